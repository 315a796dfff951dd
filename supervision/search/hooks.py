"""Keep the index in step with the database: after a commit, never before (STYLE habit 5).

``after_flush`` notes which documents the flushed rows touch (a Reply touches its matter, an item its
notice …, see ``documents.Source.touched_by``); ``after_commit`` re-reads those documents from the
database in a session of its own and writes them to the index; ``after_rollback`` forgets them, so a
transaction that rolled back leaves the index as it was. Because documents are always rebuilt from
committed rows, noting too much is harmless: it only costs a re-read.

An index write that fails (another process holds the lock for too long, a full reindex, a full disk …)
is logged and recorded, and never undoes or hides the database write: the next successful write,
``flask search reindex`` and ``flask search check --fix`` index those documents again
(``service.record_failed``). The nightly ``check --fix`` also finds what no record covers.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, has_app_context
from sqlalchemy import event, select

from supervision.extensions import db
from supervision.search import documents, service

log = logging.getLogger(__name__)

PENDING = "search_pending"  # session.info key: {"matter:1", ...} and (ParentClass, id) to resolve


def init_app(app: Flask) -> None:
    """Listen once per process on the Flask-SQLAlchemy session (shared by every app); each event asks
    the current app whether search is on."""
    for name, listener in (("after_flush", _after_flush), ("after_commit", _after_commit),
                           ("after_rollback", _after_rollback)):
        if not event.contains(db.session, name, listener):
            event.listen(db.session, name, listener)


def index_after_commit(session, kind: str, ids) -> None:
    """Index these documents when ``session`` commits: for rows written in bulk (``insert()``), which
    the ORM's flush events do not see."""
    session.info.setdefault(PENDING, set()).update(f"{kind}:{i}" for i in ids)


def _after_flush(session, flush_context) -> None:
    if not has_app_context() or not service.enabled():
        return
    touched: set[Any] = session.info.setdefault(PENDING, set())
    for obj in (*session.new, *session.dirty, *session.deleted):
        for source in documents.sources().values():
            root = source.touched_by.get(type(obj))
            if root is None:
                continue
            try:
                target = root(obj)
            except Exception:  # noqa: BLE001 — an expired attribute of a deleted row, say
                log.debug("search: cannot tell which document %r touches", obj, exc_info=True)
                continue
            if target is None:
                continue
            touched.add((source.kind, target) if isinstance(target, tuple) else f"{source.kind}:{target}")


def _after_rollback(session) -> None:
    session.info.pop(PENDING, None)


def _after_commit(session) -> None:
    touched = session.info.pop(PENDING, None)
    if not touched or not has_app_context() or not service.enabled():
        return
    keys = None
    try:
        keys = _resolve(touched)
        service.sync(keys)
    except Exception:  # noqa: BLE001 — the database write stands; the index is repaired later
        log.exception("search index not updated for %s; recorded for the next write",
                      ", ".join(sorted(map(str, touched)))[:500])
        try:
            service.record_failed(keys if keys is not None else {t for t in touched if isinstance(t, str)})
        except Exception:  # noqa: BLE001
            log.exception("cannot record the failed index write; run `flask search check --fix`")
        return
    try:
        service.retry_failed()  # writes that failed earlier, now that writing works
    except Exception:  # noqa: BLE001
        log.exception("search index: recorded failed writes not retried yet")


def _resolve(touched: set[Any]) -> set[str]:
    """Document ids, with (kind, (Parent, id)) entries looked up in the committed database."""
    keys = {t for t in touched if isinstance(t, str)}
    by_parent: dict[tuple[str, type], set[int]] = {}
    for item in touched:
        if isinstance(item, tuple):
            kind, (parent, parent_id) = item
            if parent_id is not None:
                by_parent.setdefault((kind, parent), set()).add(parent_id)
    if by_parent:
        with service.new_session() as session:
            for (kind, parent), ids in by_parent.items():
                column = documents.sources()[kind].parents[parent]
                roots = session.scalars(select(column).where(parent.id.in_(ids)))
                keys.update(f"{kind}:{root}" for root in roots if root is not None)
    return keys

