"""The deadline sweep and 催办/督办 by hand.

``sweep`` looks at every open deadline (today: matter assignments; other areas add a source to
``SOURCES``), and for each plans the events the procedure asks for — a reminder before the deadline,
a 催办 the first working day after it, 督办 at higher levels when it stays overdue — keyed so that
running it again, or on two servers at once, records nothing twice.
"""

from __future__ import annotations

import gc
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from supervision import audit, audit_rows, bulk, clock, permissions
from supervision.audit_keys import keyring
from supervision.calendar import WorkCalendar
from supervision.deadlines import OpenDeadline, office_calendar, require_workday
from supervision.documents.services import Paperwork
from supervision.errors import PermissionDenied, ValidationError, WorkflowError
from supervision.matters.services import add_event
from supervision.models.escalation import Escalation, EscalationKind
from supervision.models.matters import Assignment, AssignmentStatus, Matter
from supervision.models.org import User
from supervision.notifications.services import (About, Notice, about_matter, department_heads, department_heads_of,
                                                 notify, notify_many, task_key)
from supervision.models.escalation import SupervisionLevel


@dataclass(frozen=True)
class SweepPolicy:
    remind_workdays: int = 2  # remind this many working days before the deadline
    # (working days overdue, level): 催办 the first working day after expiry, then 督办 steps.
    steps: tuple[tuple[int, SupervisionLevel], ...] = (
        (1, SupervisionLevel.phone), (6, SupervisionLevel.written), (16, SupervisionLevel.listed))
    channels: tuple[str, ...] = ("log",)

    @classmethod
    def from_config(cls, config) -> SweepPolicy:
        steps = tuple((int(n), SupervisionLevel(level)) for n, level in config.get(
            "SWEEP_STEPS", [(1, "phone"), (6, "written"), (16, "listed")]))
        return cls(int(config.get("SWEEP_REMIND_WORKDAYS", 2)), steps, tuple(config.get("NOTIFY_CHANNELS", ["log"])))


@dataclass
class SweepReport:
    looked_at: int = 0
    reminders: int = 0
    urges: int = 0
    escalations: int = 0
    by_level: dict[str, int] = field(default_factory=dict)
    notices: int = 0  # 督办通知书 generated and delivered
    notices_left: bool = False  # more written 督办 wait for their notice (a backlog: the next run goes on)
    letters: int = 0  # notices to complainants generated and sent late (recorded without the paperwork)
    overdue_letters: int = 0  # notices to complainants past their due date, told to intake
    overdue_reviews: int = 0  # 复查 / 复核 not answered by their due date, told to the office

    @property
    def recorded(self) -> int:
        return self.reminders + self.urges + self.escalations

    def __str__(self) -> str:
        return (f"检查 {self.looked_at} 个时限：提醒 {self.reminders}，催办 {self.urges}，督办 {self.escalations}"
                + ("" if not self.by_level else "（" + "、".join(f"{SupervisionLevel(k).label} {v}"
                                                                 for k, v in self.by_level.items()) + "）")
                + (f"，生成督办通知书 {self.notices} 份" if self.notices else "")
                + ("（其余书面督办的通知书待下次运行继续生成）" if self.notices_left else "")
                + (f"，生成告知书 {self.letters} 份" if self.letters else "")
                + (f"，告知书逾期未送达 {self.overdue_letters} 份" if self.overdue_letters else "")
                + (f"，复查复核逾期未答复 {self.overdue_reviews} 件" if self.overdue_reviews else ""))


def matter_assignments(session: Session, horizon: date) -> Iterable[OpenDeadline]:
    rows = session.execute(
        select(Assignment.id, Assignment.due_on, Assignment.department_id, Assignment.matter_id, Matter.serial,
               Matter.assigned_title)
        .join(Matter, Matter.id == Assignment.matter_id)
        .where(Assignment.status.in_([AssignmentStatus.ASSIGNED, AssignmentStatus.RECEIVED]),
               Assignment.due_on <= horizon))
    for row in rows:  # the label goes to the department: its 交办标题, never a citizen's title
        yield OpenDeadline("assignment", row.id, row.due_on, row.department_id, row.matter_id,
                           f"{row.serial} {permissions.department_title(row)}", f"/matters/{row.matter_id}")


def rectification_notices(session: Session, horizon: date) -> Iterable[OpenDeadline]:
    from supervision.rectification.queries import open_notice_deadlines

    return open_notice_deadlines(session, horizon)


def written_inquiries(session: Session, horizon: date) -> Iterable[OpenDeadline]:
    """函询 sent and not yet answered: the 15-working-day reply deadline."""
    from supervision.models.talks import Talk, TalkKind, TalkStatus

    rows = session.execute(select(Talk.id, Talk.reply_due_on, Talk.subject_department_id, Talk.serial).where(
        Talk.kind == TalkKind.INQUIRY, Talk.status == TalkStatus.NOTIFIED, Talk.reply_due_on <= horizon))
    for id_, due_on, department_id, serial in rows:
        yield OpenDeadline("talk", id_, due_on, department_id, None, f"函询 {serial}", f"/talks/{id_}")


def supervision_tasks(session: Session, horizon: date) -> Iterable[OpenDeadline]:
    """督查事项: each running task's final deadline, open milestones and the progress report it owes."""
    from supervision.tasks.queries import open_task_deadlines

    return open_task_deadlines(session, horizon)


# Every deadline-bearing thing: (session, horizon) -> OpenDeadline rows.
SOURCES: list[Callable[[Session, date], Iterable[OpenDeadline]]] = [
    matter_assignments, rectification_notices, written_inquiries, supervision_tasks]

TASK_SUBJECTS = ("task", "task_milestone", "task_report")


def planned_events(due_on: date, today: date, calendar: WorkCalendar,
                   policy: SweepPolicy) -> list[tuple[EscalationKind, SupervisionLevel | None, int]]:
    """What a deadline of ``due_on`` calls for today (the same for every deadline of that date)."""
    if due_on >= today:
        if calendar.workdays_between(today, due_on) <= policy.remind_workdays:
            return [(EscalationKind.REMINDER, None, 0)]
        return []
    overdue = calendar.workdays_between(due_on, today)
    reached = [level for threshold, level in policy.steps if overdue >= threshold]
    if not reached:
        return []
    # Only the highest step reached: a sweep that starts late (or after a holiday) does not send
    # a 催办 and a 督办 for the same deadline at once. Lower steps already taken keep their rows.
    level = reached[-1]
    kind = EscalationKind.URGE if level == SupervisionLevel.phone else EscalationKind.ESCALATION
    return [(kind, level, overdue)]


def event_key(item: OpenDeadline, kind: EscalationKind, level: SupervisionLevel | None) -> str:
    return f"{item.subject_type}:{item.subject_id}:{_event_key_tail(kind, level, item.due_on)}"


@lru_cache(maxsize=4096)
def _event_key_tail(kind: EscalationKind, level: SupervisionLevel | None, due_on: date) -> str:
    return f"{kind.value}:{level.value if level else '-'}:{due_on:%Y%m%d}"


# A digest's line for each event (the label names the matter), and its closing sentence, said once.
DIGEST = {
    EscalationKind.REMINDER: ("{label}：办理时限 {due}", "请按时办结并报送结果。"),
    EscalationKind.URGE: ("{label}：已超过办理时限（{due}）{overdue} 个工作日", "请抓紧办理并报送结果。"),
    EscalationKind.ESCALATION: ("{label}：已超过办理时限（{due}）{overdue} 个工作日", "现予{level}，请立即办理并书面报告。"),
}

MESSAGES = {
    EscalationKind.REMINDER: ("到期提醒：{label}", "办理时限为 {due}，请按时办结并报送结果。"),
    EscalationKind.URGE: ("催办：{label}", "该事项已超过办理时限（{due}）{overdue} 个工作日，请抓紧办理并报送结果。"),
    EscalationKind.ESCALATION: ("{level}：{label}", "该事项已超过办理时限（{due}）{overdue} 个工作日，现予{level}，请立即办理并书面报告。"),
}


def sweep(session: Session, policy: SweepPolicy, today: date | None = None,
          paperwork: Paperwork | None = None, letters=None, notice_limit: int | None = None) -> SweepReport:
    """Idempotent; safe on several servers at once. Commits nothing (the CLI commits). With ``paperwork``
    (the CLI always gives it) every 书面/挂牌/提级督办 gets its 督办通知书, generated and delivered — the
    first ``notice_limit`` of them (the CLI issues the rest a committed batch at a time). With
    ``letters`` (a complainants.services.LetterPolicy) notices to complainants recorded without their
    document are generated and sent, and intake is told of those past their due date."""
    today = today or clock.today()
    with _cycle_collection_paused():
        report = _sweep(session, policy, today)
    if paperwork is not None:
        from supervision.escalation.paperwork import issue_missing_notices

        report.notices = issue_missing_notices(session, paperwork, policy.channels, notice_limit)
        report.notices_left = notice_limit is not None and report.notices == notice_limit
    if letters is not None:
        from supervision.complainants.services import (issue_missing_letters, tell_intake_of_overdue,
                                                       tell_of_overdue_reviews)

        from supervision.clues import notices as clue_notices

        report.letters = issue_missing_letters(session, letters) + clue_notices.issue_missing_letters(session, letters)
        report.overdue_letters = (tell_intake_of_overdue(session, today, policy.channels)
                                  + clue_notices.tell_intake_of_overdue(session, today, policy.channels))
        report.overdue_reviews = tell_of_overdue_reviews(session, today, policy.channels)
    return report


@contextmanager
def _cycle_collection_paused() -> Iterator[None]:
    """A first sweep over a backlog makes hundreds of thousands of short-lived tuples, lists and dicts,
    which reference counting frees; the cycle collector's passes over the whole heap that so many
    allocations set off cost 0.6–1.0 s of its 2.6 s of CPU (PostgreSQL, 61,000 events, A/B). Nothing it
    makes is cyclic garbage."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _sweep(session: Session, policy: SweepPolicy, today: date) -> SweepReport:
    calendar = office_calendar(session)
    horizon = calendar.add_workdays(today, policy.remind_workdays)
    report = SweepReport()
    # Deadlines share a few dozen dates: what is due (and how many working days overdue) is worked
    # out once per date, not once per deadline.
    by_date: dict[date, list[tuple[EscalationKind, SupervisionLevel | None, int]]] = {}
    planned: dict[str, tuple[OpenDeadline, EscalationKind, SupervisionLevel | None, int]] = {}
    for source in SOURCES:
        for item in source(session, horizon):
            report.looked_at += 1
            events = by_date.get(item.due_on)
            if events is None:
                events = by_date[item.due_on] = planned_events(item.due_on, today, calendar, policy)
            for kind, level, overdue in events:
                planned[event_key(item, kind, level)] = (item, kind, level, overdue)
    if not planned:
        return report
    existing = bulk.existing(session, Escalation.__table__.c.event_key, list(planned))
    new_events = {key: event for key, event in planned.items() if key not in existing}
    summaries: dict[str, str] = {}
    audits, row_digests = [], []
    ring, tags = keyring(), {}
    issued_at = clock.now()  # one sweep, one moment
    counts: dict[tuple[EscalationKind, SupervisionLevel | None], int] = {}
    digests: dict[tuple[int, EscalationKind, SupervisionLevel | None], list[tuple[OpenDeadline, int]]] = {}
    for id_, key in _insert_new(session, new_events, summaries, issued_at):
        item, kind, level, overdue = new_events[key]
        counts[kind, level] = counts.get((kind, level), 0) + 1
        audits.append((_ACTIONS[kind], ("escalation", id_), summaries[key],
                       _audit_changes(item.due_on, level, overdue)))
        # The row as inserted (audit_rows.AUDITED_FIELDS["escalation"]): its digest goes with its entry.
        row_digests.append(audit_rows.digest_line(ring, "escalation", id_, (
            key, item.subject_type, item.subject_id, item.matter_id, item.department_id, kind, level, item.due_on,
            overdue, None, "", issued_at, None), tags))
        if item.department_id is not None:
            digests.setdefault((item.department_id, kind, level), []).append((item, overdue))
    for (kind, level), count in counts.items():
        if kind == EscalationKind.REMINDER:
            report.reminders += count
        elif kind == EscalationKind.URGE:
            report.urges += count
        else:
            report.escalations += count
        if level is not None:
            report.by_level[level.value] = report.by_level.get(level.value, 0) + count
    _notify_departments(session, digests, policy)
    audit.record_many(session, None, audits, rows=row_digests)
    return report


_ACTIONS = {kind: f"escalation.{kind.value}" for kind in EscalationKind}


@lru_cache(maxsize=4096)
def _iso(day: date) -> str:
    return day.isoformat()


@lru_cache(maxsize=4096)
def _audit_changes(due_on: date, level: SupervisionLevel | None, overdue: int) -> dict:
    """One dict per date and step, shared by its events: the audit log encodes it once. Read-only."""
    return {"due_on": due_on, "level": level, "workdays_overdue": overdue}


def _message_values(item: OpenDeadline, level: SupervisionLevel | None, overdue: int) -> dict:
    return {"label": item.label, "due": _iso(item.due_on), "overdue": overdue, "level": level.label if level else ""}


DIGEST_LINES = 20  # lines of a digest's text (SMS, e-mail); the inbox lists every matter, each with its link


# Deadlines whose handling settles the notices about them (matters.services.submit_reply, the
# rectification report / close, talks.services.reply_inquiry; a 督查任务's when it is 销号 or cancelled, its
# report's when the report is given, a milestone's when reached: tasks.services.deadline_tasks).
SETTLED_SUBJECTS = ("assignment", "rectification_notice", "talk", "task", "task_milestone", "task_report")


def deadline_task(subject_type: str, subject_id: int) -> str | None:
    return task_key(subject_type, subject_id, "handle") if subject_type in SETTLED_SUBJECTS else None


def deadline_about(item: OpenDeadline, detail: str = "") -> About:
    """The thing a deadline notice is about, and its task (settled when it is handled)."""
    return About(link=item.link, label=item.label, matter_id=item.matter_id, detail=detail,
                 task=deadline_task(item.subject_type, item.subject_id))


def _notify_departments(session: Session, digests: dict, policy: SweepPolicy) -> None:
    """One notice per department head and kind of event per sweep: a department with many overdue
    matters gets one message naming each of them (serial and 交办标题), not dozens. Every department's
    heads are read in one statement and every notice written in one round (``notify_many``): a first sweep
    over a backlog writes a few hundred digests."""
    heads_of = department_heads_of(session, (department_id for department_id, _, _ in digests))
    notices = []
    for (department_id, kind, level), events in digests.items():
        heads = heads_of.get(department_id)
        if not heads:
            continue
        title, body = MESSAGES[kind]
        line, closing = DIGEST[kind]
        events = sorted(events, key=lambda event: (event[0].due_on, event[0].label))
        about = [deadline_about(item, line.format(**_message_values(item, level, overdue))
                                .removeprefix(item.label + "："))
                 for item, overdue in events]
        if len(events) == 1:
            item, overdue = events[0]
            values = _message_values(item, level, overdue)
            notices.append(Notice(heads, title.format(**values), body.format(**values), item.link, about))
            continue
        first = events[0][0].label.split(" ")[0]
        label = f"{len(events)} 件事项（{first} 等）"
        lines = [line.format(**_message_values(item, level, overdue)) for item, overdue in events[:DIGEST_LINES]]
        if len(events) > DIGEST_LINES:
            lines.append(f"……另有 {len(events) - DIGEST_LINES} 件，详见系统通知。")
        lines.append(closing.format(level=level.label if level else ""))
        notices.append(Notice(heads, title.format(label=label, level=level.label if level else ""), "\n".join(lines),
                              "", about))
    notify_many(session, notices, policy.channels, kind="deadline")


def _insert_new(session: Session, new_events: dict, summaries: dict[str, str],
                issued_at) -> list[tuple[int, str]]:
    """INSERT … ON CONFLICT DO NOTHING: a row another server inserted meanwhile is skipped, and only
    the rows this transaction really added come back, as (id, event_key). Fills ``summaries`` (event key:
    its audit entry's summary) while the database inserts: ON CONFLICT may yet skip some of them."""
    if not new_events:
        return []
    # In key order: two servers inserting the same events take the unique index's locks in the same
    # order, so one waits for the other instead of deadlocking.
    keys = sorted(new_events)
    same = {"note": "", "issued_at": issued_at, "issued_by_id": None}

    def chunks() -> Iterator[dict[str, list]]:
        for start in range(0, len(keys), bulk.CHUNK):
            chunk = keys[start:start + bulk.CHUNK]
            events = [new_events[key] for key in chunk]
            yield {
                "event_key": chunk,
                "subject_type": [item.subject_type for item, *_ in events],
                "subject_id": [item.subject_id for item, *_ in events],
                "matter_id": [item.matter_id for item, *_ in events],
                "department_id": [item.department_id for item, *_ in events],
                "kind": [kind for _, kind, _, _ in events],
                "level": [level for _, _, level, _ in events],
                "due_on": [item.due_on for item, *_ in events],
                "workdays_overdue": [overdue for *_, overdue in events],
            }
            # Resumed once the chunk is sent: on PostgreSQL (pipeline mode) it is being inserted meanwhile.
            for key, (item, kind, level, overdue) in zip(chunk, events):
                summaries[key] = f"{MESSAGES[kind][0].format(**_message_values(item, level, overdue))}（自动）"

    return bulk.insert_chunks(session, Escalation.__table__, chunks(), same, skip_conflicts_on="event_key",
                              returning=("id", "event_key"))


# --- by hand ---------------------------------------------------------------------------------------
def urge_by_hand(session: Session, actor: User, assignment: Assignment, level: SupervisionLevel, note: str,
                 new_due: date | None = None, channels: Iterable[str] = ("log",), *,
                 paperwork: Paperwork | None = None) -> Escalation:
    """A supervisor's own 催办 / 督办, with a note and perhaps a new deadline. A written 督办 (书面 / 挂牌 /
    提级) issues its 督办通知书 at once: generated, numbered, registered and delivered (``paperwork``)."""
    matter = assignment.matter
    if not permissions.can_escalate(actor):
        raise PermissionDenied("只有督查人员可以催办、督办。")
    if not assignment.is_open:
        raise WorkflowError(f"该交办已{assignment.status.label}，无需催办。")
    note = (note or "").strip()
    if not note:
        raise ValidationError("请填写催办、督办意见。")
    today = clock.today()
    if new_due is not None and new_due <= today:
        raise ValidationError("新的办理时限必须晚于今天。")
    if new_due is not None:
        require_workday(session, new_due, "新的办理时限 ")
    calendar = office_calendar(session)
    overdue = calendar.workdays_overdue(assignment.due_on, today)
    kind = EscalationKind.URGE if level == SupervisionLevel.phone else EscalationKind.ESCALATION
    escalation = Escalation(
        event_key=f"manual:{uuid.uuid4().hex}", subject_type="assignment", subject_id=assignment.id,
        matter_id=matter.id, department_id=assignment.department_id, kind=kind, level=level,
        due_on=assignment.due_on, workdays_overdue=overdue, new_due_on=new_due, note=note,
        issued_at=clock.now(), issued_by_id=actor.id)
    session.add(escalation)
    old_due = assignment.due_on
    if new_due is not None:
        if assignment.assessed_due_on is None:  # the deadline given stays the one 按时办结 is judged by
            assignment.assessed_due_on = old_due
        assignment.due_on, assignment.due_provisional = new_due, False
        assignment.limit_amount = assignment.limit_unit = None
        if matter.lead_department_id == assignment.department_id:
            matter.due_on, matter.due_provisional = new_due, False
    add_event(session, matter, actor, kind.value, f"{level.label}：{note}", audience="department",
              department=assignment.department, old_due=old_due if new_due else None, new_due=new_due)
    notify(session, department_heads(session, assignment.department_id), f"{level.label}：{matter.serial} {permissions.department_title(matter)}",
           note + (f" 新的办理时限：{new_due:%Y-%m-%d}。" if new_due else ""), channels=channels, kind="deadline",
           about=[about_matter(matter, task_key("assignment", assignment.id, "handle"))])
    audit.record(session, actor, f"escalation.{kind.value}", escalation,
                 f"{matter.serial} {level.label}（{assignment.department.name}）",
                 {"note": note, "due_on": [old_due, assignment.due_on], "level": level})
    from supervision.escalation.paperwork import issue_reminder_notice, needs_document

    if needs_document(escalation):
        if paperwork is None:
            raise ValueError("a written 督办 issues its notice: pass the paperwork")
        session.flush()
        issue_reminder_notice(session, actor, escalation, paperwork, tuple(channels))
    return escalation
