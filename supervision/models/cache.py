"""Figures computed once and shared by every worker and server (``readcache.shared``): not business data,
never audited — a row can be deleted at any time and is computed again."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from supervision.models.base import Base


class SharedFigure(Base):
    """The last computation of one figure with its parameters: the value (pickled, signed with the audit
    key so that a row written by anything else is never unpickled), the business write count it was
    computed at, and a lease that lets one process compute while the others wait or serve the last value."""

    __tablename__ = "shared_figure"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 of the name and parameters
    name: Mapped[str] = mapped_column(String(60))
    mark: Mapped[int] = mapped_column(default=-1)  # audit_chain_head.business_seq when computed; -1: never
    stored_at: Mapped[datetime | None]  # wall time of the computation's end
    value: Mapped[bytes | None] = mapped_column(LargeBinary)
    key_id: Mapped[str] = mapped_column(String(16), default="")
    digest: Mapped[str] = mapped_column(String(64), default="")
    lease_until: Mapped[datetime | None]  # a process computing it holds the lease until then
