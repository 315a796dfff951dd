"""Recording what the search index must re-read: rows of the change log, in the writer's transaction.

A service changes rows through the ORM: nothing to do. ``after_flush`` notes which index documents
the flushed objects touch (a Reply touches its matter, an item its notice …, see
``documents.Source.touched_by``) and inserts one ``search_change`` row per document through the
flushing transaction's own connection. The rows commit with the change or roll back with it (also a
savepoint's), so a committed change always has its row, and a rolled-back one never does
(the transactional outbox, docs/architecture.md). Each server then applies the log to its own index
(``applier.py``).

Rows written with Core (``insert()``, ``update()`` …) are not seen by the ORM's flush: the service
calls :func:`record_change` itself, in the same transaction::

    from supervision.search.changes import record_change
    record_change(session, "matter", ids)
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from sqlalchemy import event, insert, select
from sqlalchemy.orm import Session

from supervision import clock
from supervision.models.search import SearchChange
from supervision.search import documents

log = logging.getLogger(__name__)

_RECORDED = "search_recorded"  # session.info: documents already in this transaction's log rows
_TABLE = SearchChange.__table__


def record_change(session: Session, kind: str, ids: int | Iterable[int]) -> list[int]:
    """Note, in ``session``'s transaction, that these documents (``kind`` as in ``documents.sources()``:
    "matter", "notice", "talk") changed; the ids of the log rows written. Cheap: one INSERT for all."""
    if isinstance(ids, int):
        ids = [ids]
    keys = [f"{kind}:{int(i)}" for i in ids]
    return _insert(session.connection(), keys)


def _insert(connection, keys: list[str]) -> list[int]:
    if not keys:
        return []
    now = clock.now()
    rows = [{"document": key, "recorded_at": now} for key in keys]
    written: list[int] = []
    for start in range(0, len(rows), 5000):
        written.extend(connection.scalars(insert(_TABLE).returning(_TABLE.c.id, sort_by_parameter_order=True),
                                          rows[start:start + 5000]))
    return written


def init_app() -> None:
    """Listen once per process on every ORM session (the Flask-SQLAlchemy one and ``Session()``s)."""
    for name, listener in (("after_flush", _after_flush), ("after_commit", _forget),
                           ("after_soft_rollback", _forget_on_rollback)):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)


def _forget(session: Session) -> None:
    session.info.pop(_RECORDED, None)


def _forget_on_rollback(session: Session, previous_transaction) -> None:
    # a rolled-back savepoint took its log rows with it: write them again if touched again
    session.info.pop(_RECORDED, None)


def _after_flush(session: Session, flush_context) -> None:
    touched: set[str] = set()
    by_parent: dict[tuple[str, type], set[int]] = {}
    for obj in (*session.new, *session.dirty, *session.deleted):
        for source in _sources_touched_by(type(obj)):
            try:
                target = source.touched_by[type(obj)](obj)
            except Exception:  # noqa: BLE001 — an expired attribute of a deleted row, say
                log.debug("search: cannot tell which document %r touches", obj, exc_info=True)
                continue
            if target is None:
                continue
            if isinstance(target, tuple):
                parent, parent_id = target
                if parent_id is not None:
                    by_parent.setdefault((source.kind, parent), set()).add(parent_id)
            else:
                touched.add(f"{source.kind}:{target}")
    if not touched and not by_parent:
        return
    connection = session.connection()
    for (kind, parent), ids in by_parent.items():  # read inside the transaction: sees this flush
        column = documents.sources()[kind].parents[parent]
        roots = connection.scalars(select(column).where(parent.id.in_(sorted(ids))))
        touched.update(f"{kind}:{root}" for root in roots if root is not None)
    recorded: set[str] = session.info.setdefault(_RECORDED, set())
    new = sorted(touched - recorded)
    if new:
        _insert(connection, new)
        recorded.update(new)


_by_class: dict[type, list[Any]] = {}


def _sources_touched_by(cls: type) -> list[Any]:
    found = _by_class.get(cls)
    if found is None:
        found = _by_class[cls] = [s for s in documents.sources().values() if cls in s.touched_by]
    return found
