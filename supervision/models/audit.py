"""The append-only audit log, chained with keyed hashes (HMAC) so that an edited, deleted or recomputed
row is detectable; on PostgreSQL triggers refuse UPDATE, DELETE and TRUNCATE of its entries."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from supervision.models.base import Base


class AuditEntry(Base):
    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_entry_target", "target_type", "target_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(unique=True)
    created_at: Mapped[datetime] = mapped_column(index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    actor_name: Mapped[str] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(60), index=True)
    target_type: Mapped[str] = mapped_column(String(40))
    target_id: Mapped[int | None]
    summary: Mapped[str] = mapped_column(String(500))
    changes: Mapped[str] = mapped_column(Text, default="{}")  # canonical JSON
    ip_address: Mapped[str] = mapped_column(String(45), default="")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    # The key the hash was made with ("" for the unkeyed SHA-256 entries written before keys existed).
    key_id: Mapped[str] = mapped_column(String(16), default="", server_default="")
    # Digests of the business rows this write left behind, "table:id=digest" a line (supervision/audit_rows.py).
    row_digests: Mapped[str] = mapped_column(Text, default="", server_default="")


class AuditChainHead(Base):
    """One row: the end of the chain. Writers lock it, so concurrent requests append in turn."""

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(default=0)
    last_hash: Mapped[str] = mapped_column(String(64))
    # Entries up to this seq were written before keyed hashing and are plain SHA-256; the first keyed
    # entry chains onto the last of them, so they cannot be recomputed unnoticed either.
    legacy_seq: Mapped[int] = mapped_column(default=0, server_default="0")
    # Counts the entries of business writes only — every entry but the bookkeeping ones (an audited
    # identity look, an export: ``audit.BOOKKEEPING_ACTIONS``), which change no figure. Cached figures are
    # valid while it is unchanged (``readcache``).
    business_seq: Mapped[int] = mapped_column(default=0, server_default="0")
