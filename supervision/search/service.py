"""The search index of the running application: where it lives, who may search what, and keeping it
in step with the database (full rebuild, check and repair, and the after-commit updates of hooks.py).

Permissions are applied *inside* the query (``departments``, ``include_identity``, ``kinds``), never
by filtering a page afterwards; the view only double-checks the hits of one page against the database
in case the index is behind (see ``views.py``).
"""

from __future__ import annotations

import json
import logging
import os
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, current_app, g
from sqlalchemy.orm import Session

from supervision.models.org import Role, User
from supervision.search import documents
from supervision.search.analysis import warm_up
from supervision.search.engine import CheckReport, RebuildStats, SearchIndex

log = logging.getLogger(__name__)

READY_FILE = "supervision-ready.json"  # written after a full rebuild: the index covers the database
FAILED_SUFFIX = "-failed"  # beside the index directory: the documents of after-commit writes that failed
_EXTENSION = "supervision.search"


def enabled(app: Flask | None = None) -> bool:
    """SEARCH_ENABLED: True / False, or None (the default): on, except under TESTING, where a test
    that needs the index opts in (so the rest of the suite does not index every commit)."""
    app = app or current_app
    setting = app.config.get("SEARCH_ENABLED")
    return (not app.testing) if setting is None else bool(setting)


def index_dir(app: Flask | None = None) -> Path:
    app = app or current_app
    return Path(app.config.get("SEARCH_INDEX_DIR") or Path(app.instance_path) / "search_index")


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
    """The index was fully built from the database (``flask search reindex``) with this code's format.
    A fresh, empty index on an existing database would make every search come back empty."""
    return index is not None and not index.needs_rebuild and (index.path / READY_FILE).exists()


def _mark_ready(index: SearchIndex, stats: RebuildStats) -> None:
    tmp = index.path / f"{READY_FILE}.{os.getpid()}"
    tmp.write_text(json.dumps({"docs": stats.docs, "seconds": round(stats.seconds, 2), "at": time.time()}))
    os.replace(tmp, index.path / READY_FILE)


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
    """Mirrors ``permissions``: office staff every matter and notice (and identity); supervisors and
    leaders also talks; a department head only what is addressed to their department, never identity
    or talks; the administrator no case content at all."""
    from supervision import permissions

    if permissions.is_role(user, Role.SUPERVISOR, Role.LEADER):
        return Scope(None, True, frozenset({"matter", "notice", "talk"}))
    if permissions.is_role(user, Role.INTAKE):
        return Scope(None, True, frozenset({"matter", "notice"}))
    if permissions.is_role(user, Role.DEPT_HEAD):
        departments = frozenset({user.department_id}) if user.department_id is not None else frozenset()
        return Scope(departments, False, frozenset({"matter", "notice"}))
    return None


def matter_ids(user: User, text: str, cap: int | None = None) -> list[int] | None:
    """Matter ids matching ``text`` for the main list's keyword filter: at most ``cap`` (the newest;
    ``g.search_list_capped`` then tells the page that more matched), or None when the index cannot
    answer (off, not built, broken): the list then uses its LIKE filter."""
    index = get_index()
    scope = scope_for(user)
    if not is_ready(index) or scope is None:
        return None
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
    """A session of its own: reads what is committed, and no hook fires for it."""
    from supervision.extensions import db

    return Session(bind=db.engine, autoflush=False)


def sync(keys: Iterable[str], index: SearchIndex | None = None) -> tuple[int, int]:
    """Re-read these documents from the database and upsert them (or delete those whose row is gone).
    Raises what the index raises (IndexBusy …): the caller logs it."""
    index = index or get_index()
    keys = sorted(set(keys))
    if index is None or not keys:
        return 0, 0
    with new_session() as session:
        docs, gone = documents.documents_for(session, keys)
    upserted = index.upsert(docs) if docs else 0
    deleted = index.delete(gone) if gone else 0
    return upserted, deleted


def rebuild(progress: Callable[[int, int | None], None] | None = None) -> RebuildStats:
    """The whole index again from the database, then the documents saved meanwhile: their
    after-commit writes failed with IndexBusy while the rebuild held the lock, and were recorded."""
    index = _require_index()
    with new_session() as session:
        total = documents.count_documents(session)
        stats = index.rebuild(documents.all_documents(session), total=total, progress=progress)
    _mark_ready(index, stats)
    try:
        retry_failed(index)
    except Exception:  # noqa: BLE001 — the rebuild stands; the records stay for the next write
        log.exception("search index rebuilt, but the writes recorded meanwhile were not retried yet")
    return stats


def failed_dir(app: Flask | None = None) -> Path:
    path = index_dir(app)
    return path.with_name(path.name + FAILED_SUFFIX)


def record_failed(keys: Iterable[str]) -> None:
    """Note the documents of an after-commit index write that failed (a file per write, safe for
    several processes): the next successful write, ``reindex`` and ``check --fix`` index them again."""
    directory = failed_dir()
    directory.mkdir(parents=True, exist_ok=True)
    name = f"{time.time_ns()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    tmp = directory / f".{name}.tmp"  # complete records only: retry_failed reads *.keys
    tmp.write_text("\n".join(sorted(keys)), encoding="utf-8")
    os.replace(tmp, directory / f"{name}.keys")


def retry_failed(index: SearchIndex | None = None) -> int:
    """Index again, from the database, the documents of every recorded failed write; the records go
    once that succeeded (raises what ``sync`` raises, and they stay). How many documents."""
    directory = failed_dir()
    files = sorted(directory.glob("*.keys")) if directory.is_dir() else []
    if not files:
        return 0
    keys = {key for file in files for key in file.read_text(encoding="utf-8").split()}
    sync(keys, index)
    for file in files:
        file.unlink(missing_ok=True)  # another process may have retried the same file
    return len(keys)


def check() -> CheckReport:
    index = _require_index()
    with new_session() as session:
        expected = documents.expected_versions(session)
    return index.check(expected)


def repair(report: CheckReport) -> tuple[int, int]:
    """Upsert the missing and stale documents, delete the extra ones."""
    index = _require_index()
    upserted, deleted = sync([*report.missing, *report.stale])
    if report.extra:
        deleted += index.delete(report.extra)
    return upserted, deleted


def _require_index() -> SearchIndex:
    index = get_index()
    if index is None:
        raise RuntimeError("全文检索未启用或索引无法打开（SEARCH_ENABLED / SEARCH_INDEX_DIR）。")
    return index
