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
from json.encoder import encode_basestring as _json_string  # a str as the encoder writes it
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


def _json_value(value: Any) -> str:
    """One value exactly as ``canonical_json`` writes it: strings and ints directly (the columns' types),
    anything else through the encoder."""
    if isinstance(value, str):
        return _json_string(value)
    if type(value) is int:
        return int.__repr__(value)
    return canonical_json(value)


def _hashed_head(action: str, actor_name: str, actor_id: int | None, created_at: datetime, changes: str,
                 ip_address: str) -> str:
    """The hashed text up to the previous hash: the keys in canonical (sorted) order. Many entries of
    one ``record_many`` share it."""
    return (f'{{"action":{_json_value(action)},"actor":{_json_value(actor_name)},"actor_id":{_json_value(actor_id)},'
            f'"at":{_json_value(created_at.isoformat())},"changes":{_json_value(changes)},'
            f'"ip":{_json_value(ip_address)},"prev":')


def _hash(head: str, prev_hash: str, seq: int, summary: str, target_id: int | None, target_type: str) -> str:
    content = (f'{head}{_json_value(prev_hash)},"seq":{_json_value(seq)},"summary":{_json_value(summary)},'
               f'"target_id":{"null" if target_id is None else _json_value(target_id)},'
               f'"target_type":{_json_value(target_type)}}}')
    return hashlib.sha256(content.encode()).hexdigest()


def hash_of(values: dict[str, Any]) -> str:
    """SHA-256 over an entry's columns (and so over the previous entry's hash): of the canonical JSON of
    {seq, prev, at, actor_id, actor, action, target_type, target_id, summary, changes, ip}, written key by
    key rather than through the encoder: the sweep hashes tens of thousands, and ``record_many`` writes the
    part of the text its entries share once."""
    head = _hashed_head(values["action"], values["actor_name"], values["actor_id"], values["created_at"],
                        values["changes"], values["ip_address"])
    return _hash(head, values["prev_hash"], values["seq"], values["summary"], values["target_id"],
                 values["target_type"])


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
    # Entries often share one changes dict (the sweep: one per date and step): encoded once, and the
    # hashed text's head (everything before the previous hash) written once per action and changes.
    heads: dict[tuple[str, int], tuple[str, str]] = {}

    def chunks() -> Iterator[dict[str, list[Any]]]:
        """The rows, hashed a chunk at a time: the database inserts one chunk while the next is hashed."""
        nonlocal prev_hash
        for start in range(0, len(entries), bulk.CHUNK):
            rows = []
            for seq, (action, target, summary, changes) in enumerate(entries[start:start + bulk.CHUNK],
                                                                     first_seq + start):
                target_type, target_id = target_of(target)
                known = heads.get((action, id(changes)))
                if known is None:
                    text = canonical_json(changes or {})
                    known = heads[action, id(changes)] = (text, _hashed_head(
                        action, same["actor_name"], same["actor_id"], now, text, ip_address))
                text, head = known
                summary = summary[:500]
                hash_ = _hash(head, prev_hash, seq, summary, target_id, target_type)
                rows.append((seq, action, target_type, target_id, summary, text, prev_hash, hash_))
                prev_hash = hash_
            yield dict(zip(_MANY_COLUMNS, (list(values) for values in zip(*rows))))

    bulk.insert_chunks(session, AuditEntry.__table__, chunks(), same)
    session.execute(update(AuditChainHead).where(AuditChainHead.id == HEAD_ID).values(last_hash=prev_hash))
    return len(entries)


_MANY_COLUMNS = ("seq", "action", "target_type", "target_id", "summary", "changes", "prev_hash", "hash")


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
