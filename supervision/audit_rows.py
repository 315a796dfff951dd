"""Digests of business rows, so that a row changed behind the application's back is found.

Every audited write records, in its audit entry (and so under the chain's keyed hash), a digest of the
audited fields of each business row it wrote: an HMAC-SHA256 with the audit key (kept outside the
database) and, to tell which field differs, a short keyed tag per field. ``flask audit verify --rows``
compares every current row with the last digest the chain holds for it.

How the rows are found: the ORM tells after each flush which rows of the tables below were inserted or
had an audited field changed; ``audit.record`` takes the digests of those rows written since the
previous entry. Rows written after the transaction's last entry get one more entry at commit
(``audit.rows``). Rows written in bulk with ``insert()`` pass their digests to ``audit.record_many``
(``digest_line`` / ``digests_from_database``).

Writes to these tables outside the ORM that are not given to ``record_many`` show up as mismatches:
that is the point.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from json.encoder import encode_basestring as _json_string
from typing import Any

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session

from supervision import audit_keys
from supervision.audit_keys import Keyring
from supervision.models.base import Base

# The one list of what is digested: table -> audited fields. Bookkeeping that changes without a
# decision (updated_at, version, login counters) stays out; so do tables that are logs themselves.
AUDITED_FIELDS: dict[str, tuple[str, ...]] = {
    "matter": ("kind", "year", "seq", "serial", "query_code", "channel", "category_id", "title", "assigned_title",
               "content", "summary", "complaint_class",
               "respondent_department_id", "respondent_unit", "respondent_person", "received_on", "anonymous",
               "confidential", "inspected_on", "place", "inspectors", "problems", "status", "due_on",
               "due_provisional", "lead_department_id", "accept_due_on", "accept_due_provisional",
               "decision_reason", "duplicate_of_id", "rework_count", "public_reply", "satisfaction",
               "followup_note", "followed_up_at", "registered_at", "registered_by_id", "closed_at",
               "assigned_respondent_unit", "assigned_respondent_person"),
    "complainant": ("matter_id", "name", "phone", "id_number", "address", "work_unit"),
    "assignment": ("matter_id", "department_id", "role", "status", "requirements", "assigned_on", "assigned_at",
                   "assigned_by_id", "limit_amount", "limit_unit", "due_on", "due_provisional", "object_due_on",
                   "avoidance_override", "received_at", "received_by_id", "returned_at", "return_reason",
                   "replied_at", "assessed_due_on", "waived_at", "waived_by_id", "waiver_reason"),
    "reply": ("assignment_id", "result", "public_reply", "submitted_at", "submitted_by_id", "review_result",
              "review_note", "reviewed_at", "reviewed_by_id"),
    "extension": ("assignment_id", "reason", "previous_due_on", "requested_due_on", "status", "requested_at",
                  "requested_by_id", "decided_at", "decided_by_id", "decision_note"),
    "rectification_notice": ("number", "year", "seq", "department_id", "source", "inspected_on", "basis",
                             "requirements", "consequence", "contact_person", "contact_phone", "status", "issued_on",
                             "issued_at", "issued_by_id", "limit_amount", "limit_unit", "due_on", "due_provisional",
                             "received_at", "received_by_id", "closed_at"),
    "rectification_item": ("notice_id", "position", "problem", "matter_id", "status", "closed_at"),
    "rectification_report": ("item_id", "content", "submitted_at", "submitted_by_id", "verdict", "verify_note",
                             "verified_at", "verified_by_id"),
    "talk": ("kind", "year", "seq", "serial", "status", "subject_name", "subject_department_id", "subject_unit",
             "subject_post", "subject_party_branch", "reason", "studied_by", "proposal_note", "proposed_at",
             "proposed_by_id", "approved_at", "approved_by_id", "approval_note", "scheduled_at", "place",
             "notified_at", "started_at", "ended_at", "statement", "commitments", "recorded_by_id", "measure_on",
             "influence_months", "influence_ends_on", "reply_due_on", "reply_due_provisional", "reply_text",
             "replied_at", "replied_by_id", "conclusion", "follow_up_note", "followed_up_at", "closed_at",
             "close_note", "admonition_form", "appeal_due_on", "appeal_received_on", "appeal_note",
             "appeal_answer_due_on", "appeal_outcome", "appeal_decided_on", "appeal_decision", "appeal_decided_by_id"),
    "escalation": ("event_key", "subject_type", "subject_id", "matter_id", "department_id", "kind", "level", "due_on",
                   "workdays_overdue", "new_due_on", "note", "issued_at", "issued_by_id"),
    "clue": ("year", "seq", "serial", "source", "source_note", "matter_id", "rectification_notice_id", "talk_id",
             "summary", "received_on", "real_name", "status", "disposal", "review_on", "registered_at",
             "registered_by_id", "concluded_at", "conclusion", "conclusion_note", "clearance_requested_by",
             "clearance_note", "cleared_at", "cleared_by_id", "false_accusation", "false_accusation_note"),
    "clue_person": ("clue_id", "position", "name", "unit", "post", "cadre_level"),
    "clue_reporter": ("clue_id", "name", "phone", "id_number", "address", "work_unit"),
    "clue_disposal": ("clue_id", "way", "reason", "review_on", "proposed_at", "proposed_by_id", "status",
                      "decided_at", "decided_by_id", "decision_note", "studied_by"),
    "clue_inquiry": ("clue_id", "round", "person_id", "addressee_name", "addressee_unit", "addressee_post",
                     "party_committee", "problems", "talk_id", "status", "issued_at", "issued_by_id", "served_on",
                     "served_note", "reply_due_on", "reply_due_provisional", "reply_text", "replied_on",
                     "countersigned_by", "recorded_by_id", "outcome", "outcome_note", "outcome_at", "outcome_by_id",
                     "follow_talk_id"),
    "clue_verification": ("clue_id", "plan", "planned_at", "planned_by_id", "work_done", "report", "found_untrue",
                          "result", "receiving_body", "reported_at", "reported_by_id", "follow_talk_id"),
    "task_item": ("year", "seq", "serial", "source_kind", "source_number", "source_date", "source_text", "title",
                  "content", "importance", "leader_id", "expected_result", "due_on", "due_provisional",
                  "report_schedule", "report_weekday", "report_day", "status", "registered_at", "registered_by_id",
                  "submitted_at", "reviewed_at", "reviewed_by_id", "review_note", "notice_number", "issued_on",
                  "issued_at", "issued_by_id", "closed_at", "cancelled_reason"),
    "task": ("item_id", "parent_id", "department_id", "role", "responsible_person", "responsible_phone",
             "requirements", "due_on", "due_provisional", "status", "created_at", "created_by_id", "assigned_at",
             "received_at", "received_by_id", "closed_at", "closed_late", "progress", "grade", "score", "grade_note",
             "graded_at", "graded_by_id"),
    "task_milestone": ("task_id", "title", "expected_result", "limit_workdays", "due_on", "due_provisional",
                       "done_on", "report_id"),
    "task_report": ("task_id", "percent", "content", "difficulties", "due_on", "workdays_late", "submitted_at",
                    "submitted_by_id"),
    "task_instruction": ("report_id", "task_id", "text", "written_at", "written_by_id"),
    "task_closure": ("task_id", "summary", "applied_at", "applied_by_id", "decision", "decided_at",
                     "decided_by_id", "note"),
    "task_attachment": ("item_id", "task_id", "report_id", "original_name", "stored_name", "media_type", "size",
                        "sha256", "uploaded_at", "uploaded_by_id"),
    "complainant_notice": ("matter_id", "kind", "ref", "body", "issued_on", "due_on", "due_provisional",
                           "document_id", "delivered_at", "delivered_by_id", "delivery_method"),
    "clue_reporter_notice": ("clue_id", "kind", "body", "issued_on", "due_on", "due_provisional", "document_id",
                             "delivered_at", "delivered_by_id", "delivery_method"),
    "review_request": ("matter_id", "stage", "requested_on", "received_via", "reason", "body", "answer_due_on",
                       "status", "outcome", "opinion", "decided_at", "decided_by_id"),  # overdue_notified_at: bookkeeping, as for notices
    "user_account": ("username", "display_name", "password_hash", "role", "department_id", "active"),
    "department": ("code", "name", "kind", "parent_id", "active"),
}

PENDING = "audit_rows.pending"  # session.info: {(table, id): instance} written since the last entry
ACTOR = "audit_rows.actor"  # session.info: the actor of the transaction's last entry
ROWS_ACTION = "audit.rows"

def _iso(value: date | datetime) -> str:
    return f'"{value.isoformat()}"'


# How each type of value is written, by exact type (the enums' classes join as they come): canonical
# JSON, dates and times in ISO form. Written by hand: verification digests hundreds of thousands of rows.
_WRITERS: dict[type, Any] = {str: _json_string, int: int.__repr__, bool: lambda value: "true" if value else "false",
                             type(None): lambda value: "null", date: _iso, datetime: _iso}


def _text(value: Any) -> str:
    writer = _WRITERS.get(type(value))
    if writer is None:
        if isinstance(value, str):  # an enum member: its value
            writer = _WRITERS[type(value)] = _json_string
        else:
            return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return writer(value)


def _mac(key: bytes, table: str, row_id: int, texts: Iterable[str]) -> str:
    return hmac.digest(key, "\x1f".join((table, str(row_id), *texts)).encode(), "sha256").hex()[:32]


def digest(key: bytes, table: str, row_id: int, values: Sequence[Any],
           tags: dict[tuple[int, str], str] | None = None) -> str:
    """``<HMAC-SHA256 of the row, 32 hex>.<4 hex a field>``: the HMAC decides, the field tags (keyed
    BLAKE2b, 16 bits) only tell which field differs. ``tags`` caches the tags of repeated values."""
    texts = [_text(value) for value in values]
    if tags is None:
        tags = {}
    hints = []
    for index, text in enumerate(texts):
        tag = tags.get((index, text))
        if tag is None:
            if len(tags) > 100_000:
                tags.clear()
            tag = tags[index, text] = hashlib.blake2b(text.encode(), key=key[:64], digest_size=2,
                                                      person=str(index).encode()[:16]).hexdigest()
        hints.append(tag)
    return f"{_mac(key, table, row_id, texts)}.{''.join(hints)}"


def digest_mac(key: bytes, table: str, row_id: int, values: Sequence[Any]) -> str:
    """Only the HMAC part of ``digest`` (what verification needs unless it differs)."""
    return _mac(key, table, row_id, map(_text, values))


def digest_line(ring: Keyring, table: str, row_id: int, values: Mapping[str, Any] | Sequence[Any],
                tags: dict | None = None) -> str:
    """One line of an entry's ``row_digests``: ``table:id=digest``. ``values`` by field name, or in
    ``AUDITED_FIELDS`` order."""
    if isinstance(values, Mapping):
        values = [values[name] for name in AUDITED_FIELDS[table]]
    return f"{table}:{row_id}={digest(ring.current, table, row_id, values, tags)}"


def _object_line(ring: Keyring, table: str, obj: Any) -> str:
    return digest_line(ring, table, obj.id, [getattr(obj, name) for name in AUDITED_FIELDS[table]])


def _table(name: str):
    return Base.metadata.tables[name]


def digests_from_database(session: Session, ring: Keyring, table: str, ids: Sequence[int],
                          by: str = "id", chunk: int = 5000) -> dict[int, list[str]]:
    """Digest lines of rows just written in bulk, read back as the database holds them: by ``by``
    (their id, or e.g. ``matter_id`` for a matter's assignments) for each of ``ids``."""
    columns = _table(table).c
    found: dict[int, list[str]] = {}
    tags: dict = {}
    for start in range(0, len(ids), chunk):
        rows = session.execute(select(columns[by], columns.id, *(columns[name] for name in AUDITED_FIELDS[table]))
                               .where(columns[by].in_(ids[start:start + chunk])).order_by(columns.id))
        for row in rows:
            found.setdefault(row[0], []).append(digest_line(ring, table, row[1], row[2:], tags))
    return found


# --- capture ----------------------------------------------------------------------------------------
@event.listens_for(Session, "after_flush")
def _collect(session: Session, flush_context: Any) -> None:
    """Note the audited rows this flush inserted or changed (the lists still show the flush's work)."""
    pending = None
    for obj in session.new:
        table = getattr(obj, "__tablename__", None)
        if table in AUDITED_FIELDS:
            pending = pending if pending is not None else session.info.setdefault(PENDING, {})
            pending[table, obj.id] = obj
    for obj in session.dirty:
        fields = AUDITED_FIELDS.get(getattr(obj, "__tablename__", None))
        if fields is None:
            continue
        attrs = inspect(obj).attrs
        if any(attrs[name].history.has_changes() for name in fields):
            pending = pending if pending is not None else session.info.setdefault(PENDING, {})
            pending[obj.__tablename__, obj.id] = obj


def written(session: Session, *objects: Any) -> None:
    """Rows changed with a Core ``update()`` (which the flush does not see): their digests go with the
    next entry, read from the objects (refresh them first)."""
    pending = session.info.setdefault(PENDING, {})
    for obj in objects:
        pending[obj.__tablename__, obj.id] = obj


def take_pending(session: Session, ring: Keyring) -> str:
    """The digest lines of the rows written since the last entry (flushed), and forget them."""
    pending = session.info.pop(PENDING, None)
    if not pending:
        return ""
    return "\n".join(_object_line(ring, table, obj) for (table, _), obj in sorted(pending.items(),
                                                                                  key=lambda item: item[0]))


def entry_written(session: Session, actor: Any) -> None:
    session.info[ACTOR] = actor


@event.listens_for(Session, "before_commit")
def _record_leftovers(session: Session) -> None:
    """Rows written after the transaction's last entry (or in a transaction that wrote none): one
    more entry carries their digests, so that nothing the application wrote looks tampered with."""
    session.flush()
    if not session.info.get(PENDING) or audit_keys.keyring_if_running() is None:
        return
    from supervision import audit

    pending = session.info[PENDING]
    tables = sorted({table for table, _ in pending})
    audit.record(session, session.info.get(ACTOR), ROWS_ACTION, ("audit", None),
                 f"记录 {len(pending)} 行业务数据的摘要（{'、'.join(tables)}）", {"rows": len(pending)})


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(PENDING, None)
    session.info.pop(ACTOR, None)


@event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back(session: Session, previous_transaction: Any) -> None:
    """A rolled-back savepoint: its rows are gone, the rows written before it still need their digests."""
    pending = session.info.get(PENDING)
    if pending:
        for key, obj in list(pending.items()):
            if not inspect(obj).persistent:
                del pending[key]


# --- verification -----------------------------------------------------------------------------------
@dataclass
class RowMismatch:
    table: str
    row_id: int
    problem: str
    fields: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return (f"{self.table} #{self.row_id}：{self.problem}"
                + (f"（不同的字段：{'、'.join(self.fields)}）" if self.fields else ""))


@dataclass
class RowReport:
    checked: int = 0
    mismatches: list[RowMismatch] = field(default_factory=list)
    tables: dict[str, int] = field(default_factory=dict)


def _covered(values: Sequence[Any], recorded: str) -> Sequence[Any]:
    """The values a recorded digest covers. A field is appended to the end of a table's
    ``AUDITED_FIELDS`` when it is added; a digest written before that has one 4-hex tag fewer a field and
    covers the fields it had (the new ones are covered from the row's next audited write on)."""
    known = len(recorded.partition(".")[2]) // 4
    return values[:known] if 0 < known < len(values) else values


def _differing_fields(key: bytes, table: str, row_id: int, values: Sequence[Any], recorded: str,
                      tags: dict) -> list[str]:
    hints = recorded.partition(".")[2]
    current = digest(key, table, row_id, values, tags).partition(".")[2]
    names = AUDITED_FIELDS[table][:len(values)]
    if len(hints) != 4 * len(names):
        return []
    return [name for index, name in enumerate(names) if hints[4 * index:4 * index + 4] != current[4 * index:4 * index + 4]]


def verify_rows(session: Session, ring: Keyring, recorded: dict[str, tuple[str, str]],
                batch: int = 5000) -> RowReport:
    """Compare every row of the audited tables with its last recorded digest. ``recorded`` ("table:id"
    -> (key id, digest), from ``audit.walk_chain(collect_rows=True)``) is consumed."""
    report = RowReport()
    for table, names in AUDITED_FIELDS.items():
        columns = _table(table).c
        tags: dict = {}
        query = select(columns.id, *(columns[name] for name in names)).order_by(columns.id)
        count = 0
        for row in session.execute(query.execution_options(yield_per=batch)):
            row_id, values = row[0], row[1:]
            count += 1
            expected = recorded.pop(f"{table}:{row_id}", None)
            if expected is None:
                report.mismatches.append(RowMismatch(table, row_id, "没有审计摘要（未经应用写入，或升级后尚未建立基线）"))
                continue
            key_id, recorded_digest = expected
            key = ring.key(key_id)
            if key is None:
                report.mismatches.append(RowMismatch(table, row_id, f"摘要所用的密钥 {key_id} 未配置，无法校验"))
                continue
            values = _covered(values, recorded_digest)
            if digest_mac(key, table, row_id, values) != recorded_digest.partition(".")[0]:
                report.mismatches.append(RowMismatch(
                    table, row_id, "当前内容与最后一次审计记录的摘要不符（在应用之外被修改）",
                    _differing_fields(key, table, row_id, values, recorded_digest, tags)))
        report.tables[table] = count
        report.checked += count
    for name in sorted(recorded, key=_name_order):
        table, _, row_id = name.partition(":")
        report.mismatches.append(RowMismatch(table, int(row_id) if row_id.isdigit() else 0,
                                             "审计日志记有此行，数据库中却已没有（被删除）"))
    recorded.clear()
    return report


def _name_order(name: str) -> tuple[str, int]:
    table, _, row_id = name.partition(":")
    return table, int(row_id) if row_id.isdigit() else 0



# --- baseline ---------------------------------------------------------------------------------------
BASELINE_ACTION = "audit.baseline"
BASELINE_ROWS_PER_ENTRY = 1000


def record_baseline(session: Session, ring: Keyring) -> dict[str, int]:
    """Digest every audited row the chain holds no digest for: the rows written before row digests
    existed. Rows that have one are left alone, even when they differ from it."""
    from supervision import audit

    known = audit.walk_chain(session, ring, collect_rows=True).rows
    counts: dict[str, int] = {}
    for table, names in AUDITED_FIELDS.items():
        columns = _table(table).c
        tags: dict = {}
        lines = [digest_line(ring, table, row[0], row[1:], tags)
                 for row in session.execute(select(columns.id, *(columns[name] for name in names))
                                            .order_by(columns.id).execution_options(yield_per=5000))
                 if f"{table}:{row[0]}" not in known]
        counts[table] = len(lines)
        chunks = [lines[start:start + BASELINE_ROWS_PER_ENTRY] for start in range(0, len(lines), BASELINE_ROWS_PER_ENTRY)]
        audit.record_many(session, None, [
            (BASELINE_ACTION, ("audit", None), f"建立业务记录摘要基线：{table} {len(chunk)} 行", {"table": table, "rows": len(chunk)})
            for chunk in chunks], rows=["\n".join(chunk) for chunk in chunks])
    return counts
