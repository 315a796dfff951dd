"""Figures that many pages read and few writes change, kept in each process until the next write.

Every write of the application appends to the audit log in its own transaction, and the log's head row
counts the entries of business writes (``AuditChainHead.business_seq``, ``audit.py``): while that count is
unchanged, nothing the application writes has changed, in this process or any other server's. A page
reads the count once per transaction (one primary key look-up) and gets the figures computed for that
count — exact, whatever another server wrote — or computes them once. The statistics page keeps its own
cache on the same count. Bookkeeping entries (an audited identity look, an export:
``audit.BOOKKEEPING_ACTIONS``) change no figure and leave the count alone.

A transaction that has written anything (a flush, an INSERT/UPDATE/DELETE through the session) neither
reads nor fills the cache: it sees its own uncommitted rows, and might still roll back. A bookkeeping
entry alone does not count as a write here (``forget_bookkeeping``).

Only plain values belong here (numbers, tuples, rows of plain columns, frozen dataclasses): never ORM
objects, which belong to one session. Keys name the figure and every argument it depends on (the day,
the user's scope).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from sqlalchemy import event, select
from sqlalchemy.orm import Session, scoped_session

from supervision.models.audit import AuditChainHead

T = TypeVar("T")

SIZE = 512  # entries per process; old marks' entries fall out first
_entries: OrderedDict[tuple, Any] = OrderedDict()
_MARK, _WROTE = "readcache.mark", "readcache.wrote"


def write_mark(session: Session) -> int | None:
    """The audit log's entry count as this transaction sees it, read once per transaction; None when this
    transaction has written (then nothing is cached)."""
    if isinstance(session, scoped_session):
        session = session()
    if session.info.get(_WROTE) or session.new or session.dirty or session.deleted:
        return None
    transaction = session.get_transaction()
    memo = session.info.get(_MARK)
    if memo is not None and transaction is not None and memo[0] is transaction:
        return memo[1]
    mark = session.scalar(select(AuditChainHead.business_seq).where(AuditChainHead.id == 1)) or 0
    session.info[_MARK] = (session.get_transaction(), mark)
    return mark


def has_written(session: Session) -> bool:
    """Whether this transaction has written anything so far (flushed rows, statements that write)."""
    if isinstance(session, scoped_session):
        session = session()
    return bool(session.info.get(_WROTE) or session.new or session.dirty or session.deleted)


def forget_bookkeeping(session: Session) -> None:
    """The transaction's only writes so far were a bookkeeping audit entry (flushed): it reads and fills
    the cache as a reading transaction does (``audit.record`` calls this)."""
    if isinstance(session, scoped_session):
        session = session()
    session.info.pop(_WROTE, None)


def until_next_write(session: Session, key: tuple[Hashable, ...], compute: Callable[[], T]) -> T:
    """``compute()``, or its value from an earlier call with the same ``key`` since the last write."""
    mark = write_mark(session)
    if mark is None:
        return compute()
    full = (str(session.get_bind().url), mark, *key)
    try:
        value = _entries[full]
    except KeyError:
        value = _entries[full] = compute()
        while len(_entries) > SIZE:
            _entries.popitem(last=False)
    else:
        _entries.move_to_end(full)
    return value


def statement_key(session: Session, statement) -> tuple:
    """The SQL text and parameter values of ``statement``: equal for statements that select the same rows."""
    if isinstance(session, scoped_session):
        session = session()
    compiled = statement.compile(dialect=session.get_bind().dialect)
    return str(compiled), tuple((name, tuple(value) if isinstance(value, list) else value)
                                for name, value in sorted(compiled.params.items()))


def first_column(session: Session, statement) -> tuple:
    """The first column of every row ``statement`` returns (ids, typically), kept until the next write."""
    return until_next_write(session, ("first_column", statement_key(session, statement)),
                            lambda: tuple(session.scalars(statement)))


def load_in_order(session: Session, entity, ids: tuple, *options) -> list:
    """The rows of ``entity`` with these ids, in the order of ``ids`` (one statement; none if no ids)."""
    if not ids:
        return []
    rows = {row.id: row for row in session.scalars(select(entity).where(entity.id.in_(ids)).options(*options))}
    return [rows[i] for i in ids if i in rows]


def clear() -> None:
    _entries.clear()


@event.listens_for(Session, "do_orm_execute")
def _note_write_statement(state) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info[_WROTE] = True


@event.listens_for(Session, "after_flush")
def _note_flush(session: Session, flush_context) -> None:
    session.info[_WROTE] = True


@event.listens_for(Session, "after_transaction_end")
def _transaction_ended(session: Session, transaction) -> None:
    if transaction.parent is None:  # the outermost transaction: committed or rolled back
        session.info.pop(_WROTE, None)
        session.info.pop(_MARK, None)
