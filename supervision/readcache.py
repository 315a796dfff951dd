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

import hashlib
import hmac
import pickle
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Generic, TypeVar

from sqlalchemy import event, or_, select, update
from sqlalchemy.orm import Session, scoped_session

from supervision.models.audit import AuditChainHead
from supervision.models.cache import SharedFigure

T = TypeVar("T")

SIZE = 512  # entries per process; old marks' entries fall out first
_entries: OrderedDict[tuple, Any] = OrderedDict()
_MARK, _WROTE, _BOOKKEPT = "readcache.mark", "readcache.wrote", "readcache.bookkept"


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
    session.info[_BOOKKEPT] = True


def until_next_write(session: Session, key: tuple[Hashable, ...], compute: Callable[[], T],
                     keep: Callable[[T], bool] | None = None) -> T:
    """``compute()``, or its value from an earlier call with the same ``key`` since the last write.
    ``keep(value)`` false: the value is used this once and not kept (it was computed from something
    behind the database, such as a search index still applying the change log)."""
    mark = write_mark(session)
    if mark is None:
        return compute()
    full = (str(session.get_bind().url), mark, *key)
    try:
        value = _entries[full]
    except KeyError:
        value = compute()
        if keep is None or keep(value):
            _entries[full] = value
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


def forget_this_process() -> None:
    """Empty this process's memory of figures (a newly started worker's state); shared ones stay."""
    _entries.clear()
    _shared_local.clear()


def clear() -> None:
    """Forget every figure this process holds, and distrust the shared ones computed before now (data was
    changed outside the application, or a test did)."""
    global _shared_since
    _entries.clear()
    _shared_local.clear()
    _shared_since = _wall_now()


# --- figures shared by every worker and server ---------------------------------------------------------
# A figure that costs seconds (the statistics of a year) is computed once per business write for every
# process: the value is kept in the ``shared_figure`` table with the write count it was computed at. The
# first process that finds it missing or older takes a lease on the row and computes it; the others wait
# for it — or, where the page allows, show the last value with its time at once (``Shared.current``).
# The table is read and written on a connection of its own, outside the request's transaction.

LEASE = timedelta(seconds=120)  # a computation longer than this is taken over by the next process
POLL = 0.1  # seconds between looks while another process computes
KEEP = timedelta(days=3)  # rows not computed again for this long are deleted
_shared_local: OrderedDict[tuple, Shared] = OrderedDict()
_shared_since: datetime | None = None  # ``clear()``: rows stored before this are not trusted


@dataclass(frozen=True)
class Shared(Generic[T]):
    """A shared figure: its value, the business write count it was computed at, when it was computed
    (wall time of the server, naive UTC), and whether it is current for the asking transaction."""

    value: T
    mark: int | None
    computed_at: datetime
    current: bool = True


def _wall_now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _signature(ring, key: str, mark: int, blob: bytes, key_id: str | None = None) -> str:
    secret = ring.key(key_id) if key_id is not None else ring.current
    if secret is None:
        return ""
    return hmac.new(secret, b"shared_figure\0" + key.encode() + b"\0" + str(mark).encode() + b"\0" + blob,
                    "sha256").hexdigest()


def _decode(row, key: str) -> Any:
    """The row's value, or ``_MISSING`` when there is none or its signature does not check out."""
    from supervision.audit_keys import keyring

    if row is None or row.value is None or row.mark < 0:
        return _MISSING
    if _shared_since is not None and (row.stored_at is None or row.stored_at < _shared_since):
        return _MISSING
    expected = _signature(keyring(), key, row.mark, row.value, row.key_id)
    if not expected or not hmac.compare_digest(expected, row.digest):
        return _MISSING
    return pickle.loads(row.value)  # noqa: S301 — signed above with the audit key, kept outside the database


_MISSING = object()
_TABLE = SharedFigure.__table__
_COLUMNS = (_TABLE.c.mark, _TABLE.c.stored_at, _TABLE.c.value, _TABLE.c.key_id, _TABLE.c.digest,
            _TABLE.c.lease_until)


def _insert(engine):
    if engine.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(_TABLE)


def _read(engine, key: str):
    with engine.connect() as conn:
        return conn.execute(select(*_COLUMNS).where(_TABLE.c.key == key)).first()


def _claim(engine, key: str, name: str) -> bool:
    """Take the lease on ``key`` (creating its row): True when this process is to compute it."""
    now = _wall_now()
    with engine.begin() as conn:
        created = conn.execute(_insert(engine).values(key=key, name=name[:60], mark=-1, key_id="", digest="",
                                                      lease_until=now + LEASE)
                               .on_conflict_do_nothing(index_elements=["key"]).returning(_TABLE.c.key))
        if created.first() is not None:
            return True
        taken = conn.execute(update(_TABLE).where(_TABLE.c.key == key, or_(
            _TABLE.c.lease_until.is_(None), _TABLE.c.lease_until < now)).values(lease_until=now + LEASE))
        return taken.rowcount == 1


def _store(engine, key: str, mark: int, value: Any) -> datetime:
    from supervision.audit_keys import keyring

    ring = keyring()
    blob = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
    now = _wall_now()
    with engine.begin() as conn:
        # A newer value stored meanwhile (another process, a later write) is not overwritten.
        conn.execute(update(_TABLE).where(_TABLE.c.key == key, _TABLE.c.mark <= mark).values(
            mark=mark, stored_at=now, value=blob, key_id=ring.current_id,
            digest=_signature(ring, key, mark, blob), lease_until=None))
        conn.execute(update(_TABLE).where(_TABLE.c.key == key).values(lease_until=None))
        conn.execute(_TABLE.delete().where(_TABLE.c.stored_at < now - KEEP))
    return now


def _release(engine, key: str) -> None:
    with engine.begin() as conn:
        conn.execute(update(_TABLE).where(_TABLE.c.key == key).values(lease_until=None))


def shared(session: Session, name: str, params: Hashable, compute: Callable[[], T], *,
           stale_ok: bool = False) -> Shared[T]:
    """``compute()``'s value as of the last business write, computed once for every process and server.

    ``params``: everything the value depends on, with a ``repr`` that is the same in every process (dates,
    strings, numbers, frozen dataclasses of them). The value must pickle. ``stale_ok``: while another
    process computes a newer value, return the last one at once, marked ``current=False`` (a page that says
    so); otherwise wait for it. A transaction that has written computes its own value and shares nothing."""
    mark = write_mark(session)
    if mark is None:
        return Shared(compute(), None, _wall_now())
    if isinstance(session, scoped_session):
        session = session()
    engine = session.get_bind()
    local_key = (str(engine.url), name, params)
    known = _shared_local.get(local_key)
    if known is not None and known.mark is not None and known.mark >= mark:
        _shared_local.move_to_end(local_key)
        return known
    key = hashlib.sha256(f"{name}\0{params!r}".encode()).hexdigest()
    if session.info.get(_BOOKKEPT):  # this transaction holds the write lock (SQLite): no second writer
        return Shared(compute(), mark, _wall_now())
    deadline = time.monotonic() + LEASE.total_seconds() + 5
    while True:
        row = _read(engine, key)
        value = _decode(row, key)
        if value is not _MISSING and row.mark >= mark:
            return _keep(local_key, Shared(value, row.mark, row.stored_at))
        free = row is None or row.lease_until is None or row.lease_until < _wall_now()
        if free and _claim(engine, key, name):
            try:
                value = compute()
            except BaseException:
                _release(engine, key)
                raise
            return _keep(local_key, Shared(value, mark, _store(engine, key, mark, value)))
        if stale_ok and value is not _MISSING:
            return Shared(value, row.mark, row.stored_at, current=False)
        if time.monotonic() > deadline:  # the lease holder is gone and its lease not yet expired: compute
            return Shared(compute(), mark, _wall_now())
        time.sleep(POLL)


def _keep(local_key: tuple, figure: Shared) -> Shared:
    _shared_local[local_key] = figure
    _shared_local.move_to_end(local_key)
    while len(_shared_local) > SIZE:
        _shared_local.popitem(last=False)
    return figure


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
        session.info.pop(_BOOKKEPT, None)
