"""The audit log: every write of every service records one entry in the same transaction.

Entries form a keyed hash chain: each carries the HMAC-SHA256, with the audit key (kept outside the
database, supervision/audit_keys.py), of its own content and of the previous entry's hash, and the id
of the key. Without the key nobody can recompute the chain after editing a row; the chain's head is
anchored outside the database (supervision/audit_anchor.py), so that removing entries at the end, or all
of them, is found too. Entries written before keys existed are plain SHA-256 up to
``AuditChainHead.legacy_seq``; the first keyed entry chains onto them.

The single head row is updated *before* it is read, so the writer holds the row lock (PostgreSQL) or
the database write lock (SQLite) and concurrent transactions append one after the other, never forking
the chain.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from json.encoder import encode_basestring as _json_string  # a str as the encoder writes it
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from supervision import audit_rows, bulk, clock, readcache
from supervision.audit_keys import Keyring, keyring
from supervision.models.audit import AuditChainHead, AuditEntry
from supervision.models.org import User

GENESIS_HASH = "0" * 64
HEAD_ID = 1

# Entries that record a look or a copy, not a change (docs/domain.md §14: every look at a complainant's
# identity, every export is audited): they move the chain's ``seq`` but not its ``business_seq``, so the
# figures cached until the next write (``readcache``) stay valid, and the transaction that recorded one —
# having written nothing else — still reads them.
BOOKKEEPING_ACTIONS = frozenset({"identity.viewed", "identity.searched", "identity.exported",
                                 "evidence.downloaded", "ledger.export", "assessment.exported"})


def _head_bump(n: int, business: bool) -> dict[str, Any]:
    values: dict[str, Any] = {"seq": AuditChainHead.seq + n}
    if business:
        values["business_seq"] = AuditChainHead.business_seq + n
    return values


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
                  "target_id", "summary", "changes", "ip_address", "key_id", "row_digests")
LEGACY_KEY_ID = ""  # the unkeyed SHA-256 entries written before keys existed


def _json_value(value: Any) -> str:
    """One value exactly as ``canonical_json`` writes it: strings and ints directly (the columns' types),
    anything else through the encoder."""
    if isinstance(value, str):
        return _json_string(value)
    if type(value) is int:
        return int.__repr__(value)
    return canonical_json(value)


def _hashed_head(action: str, actor_name: str, actor_id: int | None, created_at: datetime, changes: str,
                 ip_address: str, key_id: str = LEGACY_KEY_ID) -> str:
    """The hashed text up to the previous hash: the keys in canonical (sorted) order. Many entries of
    one ``record_many`` share it. A keyed entry's text also holds its key id."""
    return (f'{{"action":{_json_value(action)},"actor":{_json_value(actor_name)},"actor_id":{_json_value(actor_id)},'
            f'"at":{_json_value(created_at.isoformat())},"changes":{_json_value(changes)},'
            f'"ip":{_json_value(ip_address)},' + (f'"key":{_json_value(key_id)},' if key_id else "") + '"prev":')


def _hash(head: str, prev_hash: str, seq: int, summary: str, target_id: int | None, target_type: str,
          rows: str = "", key: bytes | None = None) -> str:
    """SHA-256 of the text (legacy), or, given the key, HMAC-SHA256 of the text with the row digests in it."""
    content = (f'{head}{_json_value(prev_hash)},' + (f'"rows":{_json_value(rows)},' if key is not None else "")
               + f'"seq":{_json_value(seq)},"summary":{_json_value(summary)},'
               f'"target_id":{"null" if target_id is None else _json_value(target_id)},'
               f'"target_type":{_json_value(target_type)}}}')
    if key is None:
        return hashlib.sha256(content.encode()).hexdigest()
    return hmac.digest(key, content.encode(), "sha256").hex()


def hash_of(values: dict[str, Any], key: bytes | None = None) -> str:
    """The hash of an entry's columns (and so of the previous entry's hash): of the canonical JSON of
    {seq, prev, at, actor_id, actor, action, target_type, target_id, summary, changes, ip} — plus
    {key, rows} for a keyed entry — written key by key rather than through the encoder: the sweep hashes
    tens of thousands, and ``record_many`` writes the part of the text its entries share once.
    Without ``key``: SHA-256 (the entries written before keys existed); with it: HMAC-SHA256."""
    key_id = values.get("key_id", LEGACY_KEY_ID) if key is not None else LEGACY_KEY_ID
    head = _hashed_head(values["action"], values["actor_name"], values["actor_id"], values["created_at"],
                        values["changes"], values["ip_address"], key_id)
    return _hash(head, values["prev_hash"], values["seq"], values["summary"], values["target_id"],
                 values["target_type"], values.get("row_digests", ""), key)


def entry_hash(entry: AuditEntry, ring: Keyring | None = None) -> str:
    """What the entry's hash must be: with the key it names (None if that key is not configured)."""
    values = {column: getattr(entry, column) for column in HASHED_COLUMNS}
    if entry.key_id == LEGACY_KEY_ID:
        return hash_of(values)
    key = (ring or keyring()).key(entry.key_id)
    return hash_of(values, key) if key is not None else ""


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
    """Append one entry. Never commits: it belongs to the caller's transaction. The entry carries the
    digests of the audited rows written in this transaction since the previous entry."""
    session.flush()  # the target needs its id, and pending rows go before the chain lock
    # Bookkeeping only when this transaction has written nothing else (no row, no other entry).
    business = action not in BOOKKEEPING_ACTIONS or readcache.has_written(session)
    ring = keyring()
    target_type, target_id = target_of(target)
    rows = audit_rows.take_pending(session, ring)
    bumped = session.execute(
        update(AuditChainHead).where(AuditChainHead.id == HEAD_ID).values(**_head_bump(1, business))
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
        key_id=ring.current_id,
        row_digests=rows,
    )
    entry.hash = entry_hash(entry, ring)
    session.add(entry)
    session.execute(
        update(AuditChainHead).where(AuditChainHead.id == HEAD_ID).values(last_hash=entry.hash)
    )
    audit_rows.entry_written(session, actor)
    if not business:
        session.flush()
        readcache.forget_bookkeeping(session)
    return entry


def record_many(session: Session, actor: User | None,
                entries: list[tuple[str, Any, str, dict[str, Any] | None]], ip_address: str = "",
                rows: Sequence[str] | None = None) -> int:
    """Append many entries (action, target, summary, changes) under one lock of the chain head:
    the deadline sweep writes thousands, and one round trip each would dominate its time.
    ``rows``: each entry's row digests (``audit_rows.digest_lines``), for rows written in bulk."""
    if not entries:
        return 0
    session.flush()
    business = readcache.has_written(session) or any(entry[0] not in BOOKKEEPING_ACTIONS for entry in entries)
    ring = keyring()
    key, key_id = ring.current, ring.current_id
    pending = audit_rows.take_pending(session, ring)  # rows the ORM wrote: with the last entry
    row_texts = list(rows) if rows is not None else [""] * len(entries)
    if pending:
        row_texts[-1] = "\n".join(filter(None, (row_texts[-1], pending)))
    session.execute(update(AuditChainHead).where(AuditChainHead.id == HEAD_ID)
                    .values(**_head_bump(len(entries), business)))
    last_seq, prev_hash = session.execute(
        select(AuditChainHead.seq, AuditChainHead.last_hash).where(AuditChainHead.id == HEAD_ID)).one()
    first_seq = last_seq - len(entries) + 1
    now = clock.now()
    same = {"created_at": now, "actor_id": actor.id if actor else None,
            "actor_name": actor.display_name if actor else "系统", "ip_address": ip_address, "key_id": key_id}
    # Entries often share one changes dict (the sweep: one per date and step): encoded once, and the
    # hashed text's head (everything before the previous hash) written once per action and changes.
    heads: dict[tuple[str, int], tuple[str, str]] = {}

    def chunks() -> Iterator[dict[str, list[Any]]]:
        """The rows, hashed a chunk at a time: the database inserts one chunk while the next is hashed."""
        nonlocal prev_hash
        for start in range(0, len(entries), bulk.CHUNK):
            chunk = []
            for seq, (action, target, summary, changes), digests in zip(
                    range(first_seq + start, last_seq + 1), entries[start:start + bulk.CHUNK],
                    row_texts[start:start + bulk.CHUNK]):
                target_type, target_id = target_of(target)
                known = heads.get((action, id(changes)))
                if known is None:
                    text = canonical_json(changes or {})
                    known = heads[action, id(changes)] = (text, _hashed_head(
                        action, same["actor_name"], same["actor_id"], now, text, ip_address, key_id))
                text, head = known
                summary = summary[:500]
                hash_ = _hash(head, prev_hash, seq, summary, target_id, target_type, digests, key)
                chunk.append((seq, action, target_type, target_id, summary, text, prev_hash, hash_, digests))
                prev_hash = hash_
            yield dict(zip(_MANY_COLUMNS, (list(values) for values in zip(*chunk))))

    bulk.insert_chunks(session, AuditEntry.__table__, chunks(), same)
    session.execute(update(AuditChainHead).where(AuditChainHead.id == HEAD_ID).values(last_hash=prev_hash))
    audit_rows.entry_written(session, actor)
    if not business:
        readcache.forget_bookkeeping(session)
    return len(entries)


_MANY_COLUMNS = ("seq", "action", "target_type", "target_id", "summary", "changes", "prev_hash", "hash",
                 "row_digests")


def diff(obj: Any, values: dict[str, Any]) -> dict[str, list[Any]]:
    """Apply ``values`` to ``obj`` and return {field: [old, new]} for the fields that changed."""
    changed: dict[str, list[Any]] = {}
    for field_name, new in values.items():
        old = getattr(obj, field_name)
        if old != new:
            changed[field_name] = [old, new]
            setattr(obj, field_name, new)
    return changed


# --- verification ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ChainBreak:
    seq: int
    reason: str


@dataclass
class ChainWalk:
    """What one pass over the chain found."""

    breaks: list[ChainBreak] = field(default_factory=list)
    count: int = 0
    last_seq: int = 0
    last_hash: str = GENESIS_HASH
    anchor_entries: dict[int, str] = field(default_factory=dict)  # anchor line number -> its MAC, per the log
    rows: dict[str, tuple[str, str]] = field(default_factory=dict)  # "table:id" -> (key id, last digest)

    @property
    def first_bad_seq(self) -> int | None:
        return min((item.seq for item in self.breaks), default=None)


_WALK_COLUMNS = (AuditEntry.seq, AuditEntry.prev_hash, AuditEntry.hash, AuditEntry.key_id, AuditEntry.created_at,
                 AuditEntry.actor_id, AuditEntry.actor_name, AuditEntry.action, AuditEntry.target_type,
                 AuditEntry.target_id, AuditEntry.summary, AuditEntry.changes, AuditEntry.ip_address,
                 AuditEntry.row_digests)


def walk_chain(session: Session, ring: Keyring | None = None, anchors: Mapping[int, str] | None = None,
               collect_rows: bool = False, legacy_seq: int | None = None, anchor_file: str | None = None,
               batch: int = 5000) -> ChainWalk:
    """Walk the chain in order: every link, every entry's hash with its key, every anchored (seq, hash)
    still there unchanged, and the head neither ahead of nor behind the last entry and the anchors.
    ``legacy_seq``: the last unkeyed entry as the anchor file knows it (the head row's otherwise);
    ``anchor_file``: collect the anchorings of that file (``audit_anchor.file_id``)."""
    ring = ring or keyring()
    anchors = anchors or {}
    head = session.execute(select(AuditChainHead.seq, AuditChainHead.last_hash, AuditChainHead.legacy_seq)
                           .where(AuditChainHead.id == HEAD_ID)).first()  # as the database holds it now
    walk = ChainWalk()
    report = walk.breaks.append
    recorded_legacy = head.legacy_seq if head is not None else 0
    if legacy_seq is None:
        legacy_seq = recorded_legacy
    elif recorded_legacy != legacy_seq:
        report(ChainBreak(min(legacy_seq, recorded_legacy) + 1,
                          f"链头记下的启用密钥位置（第 {recorded_legacy} 条）与锚点文件（第 {legacy_seq} 条）不符（被改动）"))
    expected_prev, expected_seq = GENESIS_HASH, 1
    heads: dict[tuple, str] = {}
    query = select(*_WALK_COLUMNS).order_by(AuditEntry.seq).execution_options(yield_per=batch)
    for (seq, prev_hash, hash_, key_id, created_at, actor_id, actor_name, action, target_type, target_id, summary,
         changes, ip_address, row_digests) in session.execute(query):
        if seq != expected_seq:
            report(ChainBreak(expected_seq, f"缺少第 {expected_seq}–{seq - 1} 条记录（被删除？）"))
        if prev_hash != expected_prev:
            report(ChainBreak(seq, "前一条记录的哈希不符（前一条被修改或删除）"))
        if key_id == LEGACY_KEY_ID:
            key = None
            if seq > legacy_seq:
                report(ChainBreak(seq, "本条记录没有密钥签名，却写于启用审计密钥之后（被重新计算？）"))
        else:
            key = ring.key(key_id)
            if key is None:
                report(ChainBreak(seq, f"本条记录的密钥 {key_id} 未配置，无法校验（轮换密钥后请保留旧密钥）"))
            elif seq <= legacy_seq:
                report(ChainBreak(seq, "本条记录位于启用密钥之前的部分，却带有密钥签名（链头被改动？）"))
        if key is not None or key_id == LEGACY_KEY_ID:
            cache_key = (action, actor_name, actor_id, created_at, changes, ip_address, key_id)
            text_head = heads.get(cache_key)
            if text_head is None:
                if len(heads) > 10_000:
                    heads.clear()
                text_head = heads[cache_key] = _hashed_head(action, actor_name, actor_id, created_at, changes,
                                                            ip_address, key_id if key is not None else "")
            if _hash(text_head, prev_hash, seq, summary, target_id, target_type, row_digests, key) != hash_:
                report(ChainBreak(seq, "本条记录内容与其哈希不符（被修改）"))
        anchored = anchors.get(seq)
        if anchored is not None and anchored != hash_:
            report(ChainBreak(seq, "本条记录与锚点文件中记下的哈希不符（被修改或整条链被重算）"))
        if action == ANCHOR_ACTION and anchor_file is not None:
            try:
                values = json.loads(changes)
                if values.get("file") == anchor_file:
                    walk.anchor_entries[int(values["n"])] = str(values["mac"])
            except (ValueError, KeyError, TypeError, AttributeError):
                report(ChainBreak(seq, "锚点记录的内容无法读取（被修改）"))
        if collect_rows and row_digests:
            for line in row_digests.split("\n"):
                name, _, digest = line.partition("=")
                walk.rows[name] = (key_id, digest)
        expected_prev, expected_seq, walk.last_seq = hash_, seq + 1, seq
        walk.count += 1
    walk.last_hash = expected_prev
    if head is not None and (head.seq != walk.last_seq or head.last_hash != expected_prev):
        report(ChainBreak(min(head.seq, walk.last_seq) + 1 if head.seq != walk.last_seq else walk.last_seq,
                          f"链头（第 {head.seq} 条）与最后一条记录（第 {walk.last_seq} 条）不符（末尾记录被删除？）"))
    beyond = [seq for seq in anchors if seq > walk.last_seq]
    if beyond:
        report(ChainBreak(walk.last_seq + 1, f"锚点文件记到第 {max(beyond)} 条，数据库只到第 {walk.last_seq} 条："
                                             "末尾记录被删除，或整个日志被清空"))
    if head is not None and anchors and head.seq < max(anchors):
        report(ChainBreak(head.seq + 1, f"链头（第 {head.seq} 条）落后于锚点（第 {max(anchors)} 条）：链头被回退"))
    walk.breaks.sort(key=lambda item: item.seq)
    return walk


ANCHOR_ACTION = "audit.anchored"


def verify_chain(session: Session, batch: int = 5000) -> Iterator[ChainBreak]:
    """Every place where the chain does not hold (without the anchor file: see ``audit_anchor.verify``)."""
    yield from walk_chain(session, batch=batch).breaks
