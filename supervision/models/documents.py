"""The register of generated documents: every .docx the system produces, with its number."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from supervision import clock
from supervision.models.base import Base
from supervision.models.org import Department, User


class GeneratedDocument(Base):
    __tablename__ = "generated_document"
    __table_args__ = (
        UniqueConstraint("doc_type", "subject_type", "subject_id", "revision"),
        Index("ix_generated_document_subject", "subject_type", "subject_id"),
        Index("ix_generated_document_generated_at", "generated_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    doc_type: Mapped[str] = mapped_column(String(40))  # a key of paperwork.BUILDERS
    title: Mapped[str] = mapped_column(String(60))
    number: Mapped[str] = mapped_column(String(40), default="")  # 效交〔2026〕3号; "" when unnumbered
    subject_type: Mapped[str] = mapped_column(String(40))  # what it is about: assignment, notice, talk …
    subject_id: Mapped[int]
    matter_id: Mapped[int | None] = mapped_column(ForeignKey("matter.id"), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)  # addressee
    revision: Mapped[int] = mapped_column(default=1)  # regenerated documents keep their number
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    generated_at: Mapped[datetime] = mapped_column(default=clock.now)
    generated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    department: Mapped[Department | None] = relationship()
    generated_by: Mapped[User | None] = relationship()

    @property
    def filename(self) -> str:
        label = f"{self.number} " if self.number else ""
        return f"{label}{self.title}.docx".replace("/", "-")
