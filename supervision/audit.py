"""The audit log: every write of every service records one entry in the same transaction.

Entries form a hash chain: each carries the SHA-256 of its own content and of the previous entry's
hash. The single head row is updated *before* it is read, so the writer holds the row lock
(PostgreSQL) or the database write lock (SQLite) and concurrent transactions append one after the
other, never forking the chain.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from supervision import bulk, clock
from supervision.models.audit import AuditChainHead, AuditEntry
from supervision.models.org import User

GENESIS_HASH = "0" * 64
HEAD_ID = 1


def _jsonable(value: Any) -> Any:
    """What json cannot write itself: dates, and enums that are not str subclasses."""
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if hasattr(value, "value"):
        return value.value
    raise TypeError(f"cannot record {type(value).__name__} in the audit log")


# One encoder for the process: json.dumps with these options would build a new one per call.
_CANONICAL = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=_jsonable)


def canonical_json(data: dict[str, Any]) -> str:
    return _CANONICAL.encode(data)


HASHED_COLUMNS = ("seq", "prev_hash", "created_at", "actor_id", "actor_name", "action", "target_type",
                  "target_id", "summary", "changes", "ip_address")


def hash_of(values: dict[str, Any]) -> str:
    """SHA-256 over an entry's columns (and so over the previous entry's hash)."""
    content = canonical_json(
        {
            "seq": values["seq"],
            "prev": values["prev_hash"],
            "at": values["created_at"].isoformat(),
            "actor_id": values["actor_id"],
            "actor": values["actor_name"],
            "action": values["action"],
            "target_type": values["target_type"],
            "target_id": values["target_id"],
            "summary": values["summary"],
            "changes": values["changes"],
            "ip": values["ip_address"],
        }
    )
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


def entry_hash(entry: AuditEntry) -> str:
    return hash_of({column: getattr(entry, column) for column in HASHED_COLUMNS})


def target_of(target: Any) -> tuple[str, int | None]:
    """(type, id) of a model object, or of an explicit ("type", id) pair."""
    if isinstance(target, tuple):
        return target
    return target.__tablename__, target.id


def record(
    session: Session,
    actor: User | None,
    action: str,
    target: Any,
    summary: str,
    changes: dict[str, Any] | None = None,
    ip_address: str = "",
) -> AuditEntry:
    """Append one entry. Never commits: it belongs to the caller's transaction."""
    session.flush()  # the target needs its id, and pending rows go before the chain lock
    target_type, target_id = target_of(target)
    bumped = session.execute(
        update(AuditChainHead).where(AuditChainHead.id == HEAD_ID).values(seq=AuditChainHead.seq + 1)
    )
    if bumped.rowcount == 0:
        raise RuntimeError("audit_chain_head row missing: run `flask db upgrade`")
    seq, prev_hash = session.execute(
        select(AuditChainHead.seq, AuditChainHead.last_hash).where(AuditChainHead.id == HEAD_ID)
    ).one()
    entry = AuditEntry(
        seq=seq,
        created_at=clock.now(),
        actor_id=actor.id if actor is not None else None,
        actor_name=actor.display_name if actor is not None else "系统",
        action=action,
        target_type=target_type,
        target_id=target_id,
        summary=summary[:500],
        changes=canonical_json(changes or {}),
        ip_address=ip_address,
        prev_hash=prev_hash,
    )
    entry.hash = entry_hash(entry)
    session.add(entry)
    session.execute(
        update(AuditChainHead).where(AuditChainHead.id == HEAD_ID).values(last_hash=entry.hash)
    )
    return entry


def record_many(session: Session, actor: User | None,
                entries: list[tuple[str, Any, str, dict[str, Any] | None]], ip_address: str = "") -> int:
    """Append many entries (action, target, summary, changes) under one lock of the chain head:
    the deadline sweep writes thousands, and one round trip each would dominate its time."""
    if not entries:
        return 0
    session.flush()
    session.execute(update(AuditChainHead).where(AuditChainHead.id == HEAD_ID)
                    .values(seq=AuditChainHead.seq + len(entries)))
    last_seq, prev_hash = session.execute(
        select(AuditChainHead.seq, AuditChainHead.last_hash).where(AuditChainHead.id == HEAD_ID)).one()
    first_seq = last_seq - len(entries) + 1
    now = clock.now()
    same = {"created_at": now, "actor_id": actor.id if actor else None,
            "actor_name": actor.display_name if actor else "系统", "ip_address": ip_address}
    names = ("seq", "action", "target_type", "target_id", "summary", "changes", "prev_hash", "hash")
    rows = []
    row = dict(same)
    changes_json: dict[int, str] = {}  # entries often share one changes dict (the sweep: one per date and step)
    for seq, (action, target, summary, changes) in enumerate(entries, first_seq):
        target_type, target_id = target_of(target)
        text = changes_json.get(id(changes))
        if text is None:
            text = changes_json[id(changes)] = canonical_json(changes or {})
        row.update(seq=seq, action=action, target_type=target_type, target_id=target_id, summary=summary[:500],
                   changes=text, prev_hash=prev_hash)
        prev_hash = hash_of(row)
        rows.append((seq, action, target_type, target_id, row["summary"], text, row["prev_hash"], prev_hash))
    columns = dict(zip(names, (list(values) for values in zip(*rows))))
    bulk.insert_rows(session, AuditEntry.__table__, columns, same)
    session.execute(update(AuditChainHead).where(AuditChainHead.id == HEAD_ID).values(last_hash=prev_hash))
    return len(entries)


def diff(obj: Any, values: dict[str, Any]) -> dict[str, list[Any]]:
    """Apply ``values`` to ``obj`` and return {field: [old, new]} for the fields that changed."""
    changed: dict[str, list[Any]] = {}
    for field, new in values.items():
        old = getattr(obj, field)
        if old != new:
            changed[field] = [old, new]
            setattr(obj, field, new)
    return changed


@dataclass(frozen=True)
class ChainBreak:
    seq: int
    reason: str


def verify_chain(session: Session, batch: int = 5000) -> Iterator[ChainBreak]:
    """Walk the chain in order and yield every place where it does not hold."""
    expected_prev, expected_seq = GENESIS_HASH, 1
    last_seq = 0
    query = select(AuditEntry).order_by(AuditEntry.seq).execution_options(yield_per=batch)
    for entry in session.scalars(query):
        if entry.seq != expected_seq:
            yield ChainBreak(expected_seq, f"缺少第 {expected_seq}–{entry.seq - 1} 条记录（被删除？）")
        if entry.prev_hash != expected_prev:
            yield ChainBreak(entry.seq, "前一条记录的哈希不符（前一条被修改或删除）")
        if entry_hash(entry) != entry.hash:
            yield ChainBreak(entry.seq, "本条记录内容与其哈希不符（被修改）")
        expected_prev, expected_seq, last_seq = entry.hash, entry.seq + 1, entry.seq
    head = session.get(AuditChainHead, HEAD_ID)
    if head is not None and (head.seq != last_seq or head.last_hash != expected_prev):
        yield ChainBreak(last_seq, "链尾记录与链头不符（末尾记录被删除？）")
