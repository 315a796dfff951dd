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

from supervision import clock
from supervision.models.audit import AuditChainHead, AuditEntry
from supervision.models.org import User

GENESIS_HASH = "0" * 64
HEAD_ID = 1


def _jsonable(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if hasattr(value, "value") and isinstance(getattr(value, "value"), str):  # enums
        return value.value
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


def canonical_json(data: dict[str, Any]) -> str:
    return json.dumps(_jsonable(data), ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def entry_hash(entry: AuditEntry) -> str:
    content = canonical_json(
        {
            "seq": entry.seq,
            "prev": entry.prev_hash,
            "at": entry.created_at.isoformat(),
            "actor_id": entry.actor_id,
            "actor": entry.actor_name,
            "action": entry.action,
            "target_type": entry.target_type,
            "target_id": entry.target_id,
            "summary": entry.summary,
            "changes": entry.changes,
            "ip": entry.ip_address,
        }
    )
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


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


def diff(obj: Any, values: dict[str, Any]) -> dict[str, list[Any]]:
    """Apply ``values`` to ``obj`` and return {field: [old, new]} for the fields that changed."""
    changed: dict[str, list[Any]] = {}
    for field, new in values.items():
        old = getattr(obj, field)
        if old != new:
            changed[field] = [_jsonable(old), _jsonable(new)]
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
