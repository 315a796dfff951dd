"""File content kept in the database (SPEC §15: the servers share the database and nothing else).

``file_content`` holds each distinct content once, addressed by its sha256: every row that registers a
file (an attachment, a piece of evidence, a generated document …) already records the sha256 of its
bytes, and that is the key its content is found by. The content is written in the same transaction as
the row that names it, so a rolled-back or crashed request leaves nothing behind, and a committed row
finds its content on every server. Two rows with the same bytes share one content row; nothing is ever
deleted from it.

``pending_upload`` keeps an uploaded spreadsheet between its preview and its confirmation (历史台账导入,
督查任务清单导入), which may reach another server. It is transient working state, not a record: the
content is dropped when the upload is confirmed, and rows older than a day go on the next upload.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from supervision import clock
from supervision.models.base import Base


class FileContent(Base):
    __tablename__ = "file_content"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class PendingUpload(Base):
    __tablename__ = "pending_upload"
    __table_args__ = (Index("ix_pending_upload_uploaded_at", "uploaded_at"),)

    token: Mapped[str] = mapped_column(String(32), primary_key=True)  # random: the preview's hidden field
    purpose: Mapped[str] = mapped_column(String(20))  # "ledger", "task_list": a token serves one page only
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    file_name: Mapped[str] = mapped_column(String(200))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes | None] = mapped_column(LargeBinary)  # None once confirmed
    uploaded_at: Mapped[datetime] = mapped_column(default=clock.now)
    result_json: Mapped[str | None] = mapped_column(Text)  # what the confirmation did, once it did
