"""The search index of the running application: where it lives, who may search what, and keeping it
in step with the database (the change log applied by ``applier.py``, full rebuild, check and repair).

Permissions are applied *inside* the query (``departments``, ``include_identity``, ``kinds``), never
by filtering a page afterwards; the view only double-checks the hits of one page against the database
in case the index is behind (see ``views.py``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, current_app, g
from sqlalchemy.orm import Session

from supervision.models.org import User
from supervision.search import applier, documents
from supervision.search.analysis import warm_up
from supervision.search.engine import CheckReport, IndexBusy, RebuildStats, SearchIndex

log = logging.getLogger(__name__)

READY_FILE = applier.STATE_FILE  # written by a full rebuild, then by every applied batch: the position
_EXTENSION = "supervision.search"


def init_app(app: Flask) -> None:
    """Every transaction that changes an indexed row writes its change-log rows (always, whether or not
    this server searches: other servers do); this server's worker processes each start a thread that
    applies the log to the local index, on their first request (after gunicorn's fork)."""
    from supervision.search import changes

    changes.init_app()

    @app.before_request
    def _start_applier() -> None:
        if enabled(app) and not app.testing:
            applier.start_background(app)


def enabled(app: Flask | None = None) -> bool:
    """SEARCH_ENABLED: True / False, or None (the default): on, except under TESTING, where a test
    that needs the index opts in (so the rest of the suite does not index every commit)."""
    app = app or current_app
    setting = app.config.get("SEARCH_ENABLED")
    return (not app.testing) if setting is None else bool(setting)


def index_dir(app: Flask | None = None) -> Path:
    app = app or current_app
    return Path(app.config.get("SEARCH_INDEX_DIR") or Path(app.instance_path) / "search_index")  # this server's own


def get_index(app: Flask | None = None) -> SearchIndex | None:
    """The app's index, or None when search is off or the index cannot be opened (then callers fall
    back: the matter list to LIKE, the search page to a message)."""
    app = app or current_app
    if not enabled(app):
        return None
    path = index_dir(app)
    cached = app.extensions.get(_EXTENSION)
    if cached is not None and cached.path == path:
        return cached
    try:
        index = SearchIndex(path, lock_timeout=float(app.config.get("SEARCH_LOCK_TIMEOUT", 1.0)),
                            time_budget=app.config.get("SEARCH_TIME_BUDGET", 0.15))
    except Exception:  # noqa: BLE001 — a broken index must not take the pages down with it
        log.exception("cannot open the search index in %s", path)
        return None
    app.extensions[_EXTENSION] = index
    return index


def is_ready(index: SearchIndex | None) -> bool:
    """The index was fully built from the database (``flask search reindex``) with this code's format,
    and knows its position in the change log. A fresh, empty index on an existing database would make
    every search come back empty."""
    return index is not None and not index.needs_rebuild and applier.read_position(index.path) is not None


def index_state(index: SearchIndex | None = None) -> tuple:
    """What a page kept from the index's answers depends on besides the data (web.once): whether the index
    can answer, and which commit of it is on disk."""
    index = index if index is not None else get_index()
    if not is_ready(index):
        return ("off",)
    try:
        return ("on", str(index.path), index.generation())
    except Exception:  # noqa: BLE001 — the page finds out and says so
        return ("broken",)


# --- who may search what ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Scope:
    """What one viewer's searches may reach: passed as is to every ``SearchIndex`` call."""

    departments: frozenset[int] | None  # None: every department
    include_identity: bool
    kinds: frozenset[str]

    def arguments(self, kinds: Iterable[str] | None = None) -> dict:
        chosen = self.kinds & set(kinds) if kinds else self.kinds
        return {"departments": None if self.departments is None else set(self.departments),
                "include_identity": self.include_identity, "kinds": sorted(chosen) or ["-"]}


def can_search(user: User) -> bool:
    return scope_for(user) is not None


def scope_for(user: User) -> Scope | None:
    """Derived from ``permissions``: the kinds whose lists the user may read, every department or only
    their own, identity fields only for who may see identity; None for who may list nothing (the
    administrator). Talk records are searched by those who manage talks: a department head reads only
    the inquiries addressed to them, which the index does not scope by department. Clues: office staff only,
never a department (SPEC §12)."""
    from supervision import permissions

    readable = (("matter", permissions.can_list_matters), ("notice", permissions.can_list_rectification),
                ("talk", permissions.can_manage_talks), ("clue", permissions.can_view_clues),
                ("task_item", permissions.can_view_every_task), ("task", permissions.can_list_tasks))
    kinds = frozenset(kind for kind, may_list in readable if may_list(user))
    if not kinds:
        return None
    if permissions.can_view_every_department(user):
        departments = None
    else:
        departments = frozenset({user.department_id}) if user.department_id is not None else frozenset()
    return Scope(departments, permissions.can_view_identity(user), kinds)


def matter_ids(user: User, text: str, cap: int | None = None) -> list[int] | None:
    """Matter ids matching ``text`` for the main list's keyword filter: at most ``cap`` (the newest;
    ``g.search_list_capped`` then tells the page that more matched), or None when the index cannot
    answer (off, not built, broken): the list then uses its LIKE filter."""
    index = get_index()
    scope = scope_for(user)
    if not is_ready(index) or scope is None:
        return None
    catch_up(index)
    cap = cap or int(current_app.config.get("SEARCH_LIST_CAP", 2000))
    try:
        found = index.search_ids(text, limit=cap + 1, **scope.arguments(["matter"]))
    except Exception:  # noqa: BLE001
        log.exception("keyword search failed; falling back to LIKE")
        return None
    if len(found) > cap:
        g.search_list_capped = cap
    return [int(key.partition(":")[2]) for key in found[:cap]]


def preload(app: Flask) -> None:
    """Load jieba's dictionary (~1 s, ~60 MiB) now rather than in the first search of each worker:
    called by ``wsgi.py``, so that with ``gunicorn --preload`` the workers share one copy."""
    if enabled(app):
        warm_up()


# --- keeping the index in step ---------------------------------------------------------------------
def new_session() -> Session:
    """A session of its own: reads what is committed."""
    from supervision.extensions import db

    return Session(bind=db.engine, autoflush=False)


def sync(keys: Iterable[str], index: SearchIndex | None = None, *, session: Session | None = None) -> tuple[int, int]:
    """Re-read these documents from the database and upsert them (or delete those whose row is gone).
    Raises what the index raises (IndexBusy …)."""
    index = index or get_index()
    keys = sorted(set(keys))
    if index is None or not keys:
        return 0, 0
    if session is None:
        with new_session() as own:
            docs, gone = documents.documents_for(own, keys)
    else:
        docs, gone = documents.documents_for(session, keys)
        session.expunge_all()
    upserted = index.upsert(docs) if docs else 0
    deleted = index.delete(gone) if gone else 0
    return upserted, deleted


def apply_pending(*, background: bool = False, timeout: float | None = None) -> applier.Applied:
    """Apply the change log to this server's index until it is at the end (or ``timeout`` seconds have
    passed). In the background, an index that was never built or is behind the pruned log is rebuilt
    (``SEARCH_AUTO_REBUILD``). Raises what the index raises."""
    index = _require_index()
    config = current_app.config
    limit = int(config.get("SEARCH_APPLY_BATCH", 500))
    deadline = None if timeout is None else time.monotonic() + timeout
    total = applier.Applied()
    rebuilt = False
    while True:
        wait = 0.0 if background else max(0.0, deadline - time.monotonic()) if deadline else 5.0
        applied = applier.apply_batch(index, sync, limit=limit, lock_timeout=wait)
        total.rows += applied.rows
        total.documents += applied.documents
        total.busy, total.needs_rebuild = applied.busy, applied.needs_rebuild
        if applied.needs_rebuild and background and not rebuilt and config.get("SEARCH_AUTO_REBUILD", True):
            rebuilt = True
            log.warning("search index in %s is not built or is behind the pruned change log: rebuilding", index.path)
            try:
                rebuild(procs=1, lock_timeout=0)  # another worker of this server may be at it already
            except IndexBusy:
                total.busy = True
                return total
            total.needs_rebuild = False
            continue
        if not applied.more or applied.busy or (deadline and time.monotonic() >= deadline):
            total.more = applied.more
            return total


def catch_up(index: SearchIndex, timeout: float | None = None) -> bool:
    """Before answering a search: apply what the log holds beyond this server's position, waiting at
    most ``SEARCH_CATCH_UP_SECONDS`` (then the search answers from what is indexed, and the page says
    so); not at all when more than ``SEARCH_CATCH_UP_MAX_ROWS`` rows are pending. True when the index
    is at the end of the log. One small query when nothing is pending."""
    timeout = float(current_app.config.get("SEARCH_CATCH_UP_SECONDS", 2.0)) if timeout is None else timeout
    deadline = time.monotonic() + timeout
    try:
        while True:
            state = applier.read_position(index.path)
            if state is None:
                return False
            with new_session() as session:
                pending = applier.unapplied(session, state)
            if not pending:
                return True
            left = deadline - time.monotonic()
            if left <= 0 or pending > int(current_app.config.get("SEARCH_CATCH_UP_MAX_ROWS", 1000)):
                break  # a large import being indexed: the background applier is on it, don't make users wait
            applied = apply_pending(timeout=left)
            if applied.needs_rebuild:
                return False
    except IndexBusy:  # whoosh's lock held by a maintenance command: answer from what is indexed
        log.info("search index in %s is busy; answering before the change log is applied", index.path)
    except Exception:  # noqa: BLE001 — a search answers from what is indexed; the background retries
        log.exception("search index in %s could not catch up with the change log", index.path)
    g.search_behind = True
    return False


def rebuild(progress: Callable[[int, int | None], None] | None = None, *, procs: int | None = None,
            lock_timeout: float = 60.0) -> RebuildStats:
    """The whole index again from the database, holding this server's apply lock: its position is
    the log's end when the documents were read; the changes committed meanwhile are applied after."""
    index = _require_index()
    with applier.apply_lock(index.path, lock_timeout) as mine:
        if not mine:
            raise IndexBusy(f"the search index in {index.path} is being rebuilt or updated by another process")
        with new_session() as session:
            start = applier.start_position(session)
            total = documents.count_documents(session)
            stats = index.rebuild(documents.all_documents(session), total=total, progress=progress, procs=procs,
                                  lock_timeout=lock_timeout)
        start.built = {"docs": stats.docs, "seconds": round(stats.seconds, 2), "at": time.time()}
        applier.write_position(index.path, start)
        while applier.apply_locked(index, sync, limit=int(current_app.config.get("SEARCH_APPLY_BATCH", 500))).more:
            pass  # the changes saved while the documents were read
    return stats


@dataclass(frozen=True)
class Status:
    """This server's index against the log: for ``flask search status`` and readiness checks."""

    ready: bool
    position: int | None
    unapplied: int | None  # log rows not applied yet (None: not built)
    gaps: int
    applied_at: float | None
    path: Path


def status() -> Status:
    index = get_index()
    path = index_dir()
    state = applier.read_position(path) if index is not None else None
    if state is None or not is_ready(index):
        return Status(False, state.position if state else None, None, 0, None, path)
    with new_session() as session:
        behind = applier.unapplied(session, state)
    return Status(True, state.position, behind, len(state.gaps), state.applied_at, path)


def indexing_progress(ranges: list[list[int]] | None) -> tuple[int, int] | None:
    """(applied, total) of these change-log ids on this server's index, for a page that waits for
    its records to become searchable (a ledger import); None when this server does not search."""
    if not ranges or not enabled():
        return None
    index = get_index()
    state = applier.read_position(index.path) if index is not None else None
    if state is None:
        return None
    return applier.covered(state, ranges), sum(hi - lo + 1 for lo, hi in ranges)


def check() -> CheckReport:
    index = _require_index()
    with new_session() as session:
        expected = documents.expected_versions(session)
    return index.check(expected)


def repair(report: CheckReport) -> tuple[int, int]:
    """Upsert the missing and stale documents, delete the extra ones (under the apply lock, so that
    a document re-read here cannot overwrite a newer one the applier writes meanwhile)."""
    index = _require_index()
    with applier.apply_lock(index.path, 60.0) as mine:
        if not mine:
            raise IndexBusy(f"the search index in {index.path} is being rebuilt or updated by another process")
        upserted, deleted = sync([*report.missing, *report.stale])
        if report.extra:
            deleted += index.delete(report.extra)
    return upserted, deleted


def _require_index() -> SearchIndex:
    index = get_index()
    if index is None:
        raise RuntimeError("全文检索未启用或索引无法打开（SEARCH_ENABLED / SEARCH_INDEX_DIR）。")
    return index
