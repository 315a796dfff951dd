"""Gap-free sequences per scope and year: matter serial numbers and document numbers (文号)."""

from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from supervision.models.base import Base


class SerialCounter(Base):
    __tablename__ = "serial_counter"

    scope: Mapped[str] = mapped_column(String(40), primary_key=True)
    year: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[int] = mapped_column(default=0)
