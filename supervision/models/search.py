"""The search index's change log (an outbox): which index document a committed transaction changed.

A row is written in the same transaction as the change itself (``supervision.search.changes``), so it
exists exactly when the change was committed. Every application server applies the log to its own
local index from its own position (kept beside that index, not here): nothing is shared but the
database. The log is bookkeeping, not case data: ``flask search prune`` deletes rows older than
``SEARCH_LOG_KEEP_DAYS`` and notes how far it went in ``search_log_prune`` (a server whose position is
below that rebuilds its index instead of applying the log).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from supervision import clock
from supervision.models.base import Base

# BIGINT on PostgreSQL; on SQLite an INTEGER PRIMARY KEY (the rowid) with AUTOINCREMENT, so that an id
# is never handed out twice even after the newest rows were pruned.
LogId = BigInteger().with_variant(Integer(), "sqlite")


class SearchChange(Base):
    __tablename__ = "search_change"
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(LogId, primary_key=True, autoincrement=True)
    document: Mapped[str] = mapped_column(String(60))  # "matter:12": re-read from the database when applied
    recorded_at: Mapped[datetime] = mapped_column(default=clock.now)


class SearchLogPrune(Base):
    """One row per ``flask search prune``: the log rows with ``id <= pruned_through`` are gone."""

    __tablename__ = "search_log_prune"

    id: Mapped[int] = mapped_column(primary_key=True)
    pruned_through: Mapped[int] = mapped_column(LogId)
    pruned_at: Mapped[datetime] = mapped_column(default=clock.now)
    rows: Mapped[int] = mapped_column(default=0)
