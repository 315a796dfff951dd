"""Applying the change log to this server's own index, from this server's own position.

Every application server keeps a whoosh index in its instance folder (nothing on shared storage) and,
beside it, ``supervision-ready.json``: the id of the last change-log row it applied (its *position*),
the gaps below it (see below), and when it was built. A server applies the rows after its position:

- before answering a search or a keyword filter (:func:`catch_up`, waiting at most
  ``SEARCH_CATCH_UP_SECONDS``, then answering from what is indexed);
- in the background, a thread per worker process (:func:`start_background`), every
  ``SEARCH_APPLY_INTERVAL`` seconds; also ``flask search apply`` (for a server without web workers).

Applying a row re-reads its document from the committed database and upserts it (or deletes it when
the row is gone), so applying twice is harmless: the position is written after the index commit, and a
crash between the two only means the next run applies those rows again.

The processes of one server take turns through a file lock in the index folder (``supervision_APPLY``,
a local ``flock``: released by the kernel when its process dies). A full rebuild holds it throughout.

**Gaps: ids that commit out of order.** On PostgreSQL a row's id is taken from a sequence when it is
inserted, but the transaction commits later: a long transaction (a ledger import) can hold id 100
while a short one with id 101 commits first. An applier that saw 101 and moved its position there
would never look at 100 again. So when the rows read skip ids (position 99, rows 101, 102), the
missing ids are kept as *gaps* and read again on every later run, until they turn up (applied, and
removed from the gaps) or until ``SEARCH_LOG_GAP_SECONDS`` (10 minutes) have passed since the gap was
first seen: by then the id belonged to a transaction that rolled back (its id is never used again),
since no writing transaction of this application lasts that long. A commit-ordered scheme (one
advisory lock taken by every writing transaction until its commit) would make gaps impossible, but
would serialise all writers, a 20,000-row import holding up every clerk's save; a gap costs one
indexed range read per run. On SQLite writers are serialised by the database, so ids commit in order
and gaps do not occur (a rolled-back id is reused: AUTOINCREMENT rolls back with the transaction).
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from flask import Flask, current_app
from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.orm import Session
from whoosh.filedb.filestore import FileStorage

from supervision import clock
from supervision.models.search import SearchChange, SearchLogPrune
from supervision.search.engine import IndexBusy, SearchIndex

log = logging.getLogger(__name__)

STATE_FILE = "supervision-ready.json"  # written by a full rebuild, then after every applied batch
APPLY_LOCK = "supervision_APPLY"
MAX_GAP_RANGES = 200  # beyond, neighbouring ranges are merged (re-applying an applied row is harmless)
C = SearchChange.__table__.c


# --- the position, kept beside the index -----------------------------------------------------------
@dataclass
class Position:
    """How far this server's index has applied the log: every row with ``id <= position`` except the
    ``gaps`` (``[first id, last id, first seen (epoch seconds)]``) is in the index."""

    position: int
    gaps: list[list[float]] = field(default_factory=list)
    built: dict = field(default_factory=dict)  # docs, seconds, at: of the last full rebuild
    applied_at: float = 0.0

    def covers(self, change_id: int) -> bool:
        return change_id <= self.position and not any(lo <= change_id <= hi for lo, hi, _ in self.gaps)

    def as_json(self) -> dict:
        return {"position": self.position, "gaps": self.gaps, "built": self.built, "applied_at": self.applied_at}


def read_position(path: Path) -> Position | None:
    """The position of the index in ``path``; None if it was never fully built by this version."""
    try:
        data = json.loads((path / STATE_FILE).read_text())
        return Position(int(data["position"]), [list(g) for g in data.get("gaps", [])], data.get("built", {}),
                        float(data.get("applied_at", 0.0)))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_position(path: Path, state: Position) -> None:
    state.applied_at = time.time()
    tmp = path / f"{STATE_FILE}.{os.getpid()}.{threading.get_ident()}"
    tmp.write_text(json.dumps(state.as_json()))
    os.replace(tmp, path / STATE_FILE)


@contextmanager
def apply_lock(path: Path, timeout: float) -> Iterator[bool]:
    """This server's turn to apply (or rebuild): True if taken within ``timeout`` seconds."""
    path.mkdir(parents=True, exist_ok=True)
    lock = FileStorage(str(path)).lock(APPLY_LOCK)
    deadline = time.monotonic() + timeout
    while not lock.acquire(blocking=False):
        if time.monotonic() >= deadline:
            yield False
            return
        time.sleep(0.02)
    try:
        yield True
    finally:
        lock.release()


def as_ranges(ids: list[int]) -> list[list[int]]:
    """Log ids as ``[first, last]`` ranges (an import's 20,000 rows: a range or a few)."""
    out: list[list[int]] = []
    for change_id in sorted(ids):
        if out and change_id == out[-1][1] + 1:
            out[-1][1] = change_id
        else:
            out.append([change_id, change_id])
    return out


def covered(state: Position, ranges: list[list[int]]) -> int:
    """How many of the ids in ``ranges`` this index has applied."""
    done = 0
    for lo, hi in ranges:
        top = min(hi, state.position)
        if top < lo:
            continue
        done += top - lo + 1
        for g_lo, g_hi, _ in state.gaps:
            a, b = max(lo, int(g_lo)), min(top, int(g_hi))
            if a <= b:
                done -= b - a + 1
    return done


# --- reading the log ---------------------------------------------------------------------------------
def start_position(session: Session) -> Position:
    """The position of an index about to be rebuilt from ``session``'s reads: the log's newest id, with
    the ids below it that are not visible yet (transactions still running) as gaps. Rows recorded
    longer ago than the gap horizon are taken as settled, so only the recent part is examined."""
    # a log pruned to nothing still counts from the pruned ids: ids are never handed out again
    newest = max(session.scalar(select(func.max(C.id))) or 0, pruned_through(session))
    horizon = clock.now() - timedelta(seconds=gap_seconds())
    settled = session.scalar(select(func.max(C.id)).where(C.recorded_at < horizon)) or 0
    visible = list(session.scalars(select(C.id).where(C.id > settled, C.id <= newest).order_by(C.id)))
    now = time.time()
    gaps, previous = [], settled
    for change_id in visible:
        if change_id > previous + 1:
            gaps.append([previous + 1, change_id - 1, now])
        previous = change_id
    return Position(newest, _bounded(gaps))


def pruned_through(session: Session) -> int:
    return session.scalar(select(func.max(SearchLogPrune.pruned_through))) or 0


def _gap_filter(gaps):
    return or_(*(and_(C.id >= int(lo), C.id <= int(hi)) for lo, hi, _ in gaps))


def unapplied(session: Session, state: Position) -> int:
    """How many log rows this index has not applied yet (gap rows that turned up included)."""
    condition = C.id > state.position
    if state.gaps:
        condition = or_(condition, _gap_filter(state.gaps))
    return session.scalar(select(func.count()).select_from(SearchChange).where(condition)) or 0


@dataclass
class Applied:
    rows: int = 0  # log rows read
    documents: int = 0  # distinct documents re-read and written
    more: bool = False  # the batch was full: call again
    busy: bool = False  # another process of this server was applying (or rebuilding)
    needs_rebuild: bool = False  # never built, or behind what `flask search prune` removed


def apply_batch(index: SearchIndex, sync, *, limit: int, lock_timeout: float) -> Applied:
    """Apply up to ``limit`` rows after this index's position (and the rows that filled its gaps)."""
    with apply_lock(index.path, lock_timeout) as mine:
        if not mine:
            return Applied(busy=True)
        return apply_locked(index, sync, limit=limit)


def apply_locked(index: SearchIndex, sync, *, limit: int) -> Applied:
    """:func:`apply_batch` for a caller that holds the apply lock."""
    from supervision.search.service import new_session

    state = read_position(index.path)
    if state is None or index.needs_rebuild:
        return Applied(needs_rebuild=True)
    with new_session() as session:
        if state.position < pruned_through(session):
            return Applied(needs_rebuild=True)
        rows = session.execute(select(C.id, C.document).where(C.id > state.position)
                               .order_by(C.id).limit(limit)).all()
        filled = session.execute(select(C.id, C.document).where(_gap_filter(state.gaps))).all() \
            if state.gaps else []
        keys = {row.document for row in (*rows, *filled)}
        if keys:
            sync(keys, index, session=session)
    now = time.time()
    gaps = _remaining(state.gaps, sorted(row.id for row in filled))
    previous = state.position
    for row in rows:
        if row.id > previous + 1:
            gaps.append([previous + 1, row.id - 1, now])
        previous = row.id
    expired = [g for g in gaps if now - g[2] > gap_seconds()]
    if expired:
        log.info("search log: ids %s never committed within %d s (rolled back); no longer watched",
                 ", ".join(f"{int(lo)}–{int(hi)}" for lo, hi, _ in expired[:10]), gap_seconds())
    state.gaps = _bounded([g for g in gaps if now - g[2] <= gap_seconds()])
    state.position = previous
    if rows or filled or expired:
        write_position(index.path, state)
    return Applied(rows=len(rows) + len(filled), documents=len(keys), more=len(rows) == limit)


def _remaining(gaps: list[list[float]], seen: list[int]) -> list[list[float]]:
    """The gap ranges without the ids that turned up."""
    out = []
    for lo, hi, first in gaps:
        start = int(lo)
        for change_id in seen:
            if start <= change_id <= hi:
                if change_id > start:
                    out.append([start, change_id - 1, first])
                start = change_id + 1
        if start <= hi:
            out.append([start, int(hi), first])
    return out


def _bounded(gaps: list[list[float]]) -> list[list[float]]:
    """At most MAX_GAP_RANGES ranges: the two closest are merged (their ids between are read again,
    harmlessly); a merged range is watched as long as the newer of the two."""
    gaps = sorted(gaps)
    while len(gaps) > MAX_GAP_RANGES:
        i = min(range(len(gaps) - 1), key=lambda k: gaps[k + 1][0] - gaps[k][1])
        gaps[i:i + 2] = [[gaps[i][0], gaps[i + 1][1], max(gaps[i][2], gaps[i + 1][2])]]
    return gaps


def gap_seconds(app: Flask | None = None) -> int:
    return int((app or current_app).config.get("SEARCH_LOG_GAP_SECONDS", 600))


# --- pruning -------------------------------------------------------------------------------------
def prune(session: Session, keep_days: int) -> tuple[int, int]:
    """Delete the log rows recorded more than ``keep_days`` ago (they are bookkeeping, not case data)
    and note how far: a server whose position is below rebuilds its index rather than miss them.
    Returns (rows deleted, pruned through id). The caller commits."""
    cutoff = clock.now() - timedelta(days=keep_days)
    through = session.scalar(select(func.max(C.id)).where(C.recorded_at < cutoff))
    if not through:
        return 0, pruned_through(session)
    deleted = session.execute(delete(SearchChange).where(C.id <= through)).rowcount or 0
    session.add(SearchLogPrune(pruned_through=through, rows=deleted))
    return deleted, through


# --- in the background ---------------------------------------------------------------------------
_thread_lock = threading.Lock()
_threads: dict[int, threading.Thread] = {}  # pid -> the applier thread of this process


def start_background(app: Flask) -> bool:
    """Start this process's applier thread, once per process (a forked gunicorn worker starts its
    own). Returns whether a thread was started now."""
    interval = float(app.config.get("SEARCH_APPLY_INTERVAL", 2.0) or 0)
    if interval <= 0:
        return False
    pid = os.getpid()
    running = _threads.get(pid)
    if running is not None and running.is_alive():
        return False
    with _thread_lock:
        thread = _threads.get(pid)
        if thread is not None and thread.is_alive():
            return False
        thread = threading.Thread(target=_run, args=(app, interval), name="search-log-applier", daemon=True)
        _threads[pid] = thread
        thread.start()
        return True


def _run(app: Flask, interval: float) -> None:
    from supervision.search import service

    failures = 0
    while True:
        try:
            with app.app_context():
                if service.enabled():
                    service.apply_pending(background=True)
            failures = 0
        except Exception:  # noqa: BLE001 — keep trying; the log keeps every change until applied
            failures += 1
            log.exception("search log not applied (attempt %d); retrying", failures)
        time.sleep(interval * min(2 ** failures, 30))
