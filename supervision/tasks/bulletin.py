"""督查通报 / 督查专报 of a period (SPEC §13): its figures read from the tasks in grouped statements, the
items listed by light, registered and numbered like every other document (``documents.services.generate``).

Lights are those of the day the document is made (统计日): a light is a state, not a history. Counts of
events (new items, closures, reports, 催办 and 督办, 批示) are those of the period.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from supervision import clock, permissions
from supervision.deadlines import office_calendar
from supervision.documents.services import generate, office_profile
from supervision.errors import PermissionDenied, ValidationError
from supervision.models.documents import GeneratedDocument
from supervision.models.escalation import Escalation, EscalationKind, SupervisionLevel
from supervision.models.org import Department, User
from supervision.models.tasks import (ItemStatus, Task, TaskInstruction, TaskItem, TaskReport, TaskRole,
                                      TaskStatus)
from supervision.paperwork.data import Tally
from supervision.paperwork.task_reports import BulletinItem, InstructionLine, LateUnit, TaskBulletin
from supervision.statistics.periods import Period
from supervision.tasks import schedule
from supervision.tasks.board import LIGHT_KEYS, light_case
from supervision.tasks.queries import LIGHTS

KINDS = {"task_bulletin": "督查通报", "task_report": "督查专报"}
MAX_LISTED = 200  # items listed per light; more are counted, not listed (a 通报 is read, not searched)
LATEST_CHARS = 60
REQUIREMENTS_MAX = 2000
ADDRESSEE_MAX = 100
TASK_SUBJECTS = ("task", "task_milestone", "task_report")  # the sweep's escalation subjects of tasks
LIGHT_WORDS = {"red": "红灯", "yellow": "黄灯", "green": "绿灯"}


def _bounds(period: Period) -> tuple[datetime, datetime]:
    return datetime.combine(period.start, time.min), datetime.combine(period.end + timedelta(days=1), time.min)


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= LATEST_CHARS else text[:LATEST_CHARS - 1] + "…"


def bulletin_data(session: Session, kind: str, period: Period, today: date) -> TaskBulletin:
    start, end = _bounds(period)
    day = today  # lateness, like the lights, as of the day the document is made (统计日)
    went_out = Task.status.not_in((TaskStatus.PLANNED, TaskStatus.CANCELLED))
    in_period = and_(TaskItem.status.in_((ItemStatus.ISSUED, ItemStatus.CLOSED)),
                     TaskItem.issued_on <= period.end,
                     or_(TaskItem.closed_at.is_(None), TaskItem.closed_at >= start))
    light = light_case(session, TaskItem.watch_on, today)

    def count(condition):
        return func.count(case((condition, 1)))

    items_total, items_closed, *light_counts = session.execute(
        select(func.count(), count(and_(TaskItem.closed_at >= start, TaskItem.closed_at < end)),
               *[count(and_(TaskItem.status == ItemStatus.ISSUED, light == key)) for key in LIGHT_KEYS])
        .where(in_period)).one()
    items_new = session.scalar(select(func.count()).select_from(TaskItem).where(
        TaskItem.registered_at >= start, TaskItem.registered_at < end, TaskItem.status != ItemStatus.CANCELLED))
    open_task = Task.status.in_(schedule.RUNNING)
    tasks_total, tasks_closed, tasks_late, reports_missed, average = session.execute(
        select(func.count(), count(Task.status == TaskStatus.CLOSED), count(and_(open_task, Task.due_on < day)),
               count(and_(open_task, Task.next_report_on < day)),
               func.avg(case((Task.status.in_(schedule.RUNNING + (TaskStatus.APPLIED,)), Task.progress))))
        .join(TaskItem, TaskItem.id == Task.item_id).where(in_period, went_out)).one()
    reports = session.scalar(select(func.count()).select_from(TaskReport).where(
        TaskReport.submitted_at >= start, TaskReport.submitted_at < end))
    escalations = dict(session.execute(
        select(Escalation.kind, func.count()).where(Escalation.subject_type.in_(TASK_SUBJECTS),
                                                    Escalation.issued_at >= start, Escalation.issued_at < end,
                                                    Escalation.kind != EscalationKind.REMINDER)
        .group_by(Escalation.kind)).all())

    return TaskBulletin(
        kind=kind, period=period.label, start_on=period.start, end_on=period.end, compiled_on=today,
        items_total=items_total, items_new=items_new or 0, items_closed=items_closed, tasks_total=tasks_total,
        tasks_closed=tasks_closed, tasks_late=tasks_late,
        lights=tuple(Tally(LIGHT_WORDS[key], n) for key, n in zip(LIGHT_KEYS, light_counts, strict=True)),
        items=_items(session, light, in_period, start, end),
        late_units=_late_units(session, day),
        instructions=_instructions(session, start, end),
        reports=reports or 0, reports_missed=reports_missed,
        urged=escalations.get(EscalationKind.URGE, 0), escalated=escalations.get(EscalationKind.ESCALATION, 0),
        average_progress=round(average) if average is not None else None,
        as_of=today if today < period.end else None)


def _items(session: Session, light, in_period, start: datetime, end: datetime) -> tuple[BulletinItem, ...]:
    """Open items by light (the most urgent first, at most MAX_LISTED of each), then those closed in the
    period; each with its lead units, the mean progress of its tasks and its latest report."""
    chosen: list[tuple[int, str]] = []
    for key in LIGHT_KEYS:
        chosen += [(i, LIGHT_WORDS[key]) for i in session.scalars(
            select(TaskItem.id).where(in_period, TaskItem.status == ItemStatus.ISSUED, light == key)
            .order_by(TaskItem.watch_on, TaskItem.id).limit(MAX_LISTED))]
    chosen += [(i, "已办结") for i in session.scalars(
        select(TaskItem.id).where(TaskItem.closed_at >= start, TaskItem.closed_at < end)
        .order_by(TaskItem.closed_at, TaskItem.id).limit(MAX_LISTED))]
    ids = [i for i, _ in chosen]
    if not ids:
        return ()
    items = {row.id: row for row in session.execute(
        select(TaskItem.id, TaskItem.serial, TaskItem.title, TaskItem.due_on, User.display_name)
        .outerjoin(User, User.id == TaskItem.leader_id).where(TaskItem.id.in_(ids)))}
    leads: dict[int, list[str]] = {}
    for item_id, name in session.execute(
            select(Task.item_id, Department.name).join(Department, Department.id == Task.department_id)
            .where(Task.item_id.in_(ids), Task.role == TaskRole.LEAD, Task.parent_id.is_(None),
                   Task.status != TaskStatus.CANCELLED).order_by(Task.item_id, Task.id)):
        leads.setdefault(item_id, []).append(name)
    progress = dict(session.execute(
        select(Task.item_id, func.avg(Task.progress)).where(
            Task.item_id.in_(ids), Task.parent_id.is_(None),
            Task.status.not_in((TaskStatus.PLANNED, TaskStatus.CANCELLED))).group_by(Task.item_id)).all())
    newest = (select(Task.item_id, func.max(TaskReport.id).label("report_id"))
              .join(Task, Task.id == TaskReport.task_id).where(Task.item_id.in_(ids))
              .group_by(Task.item_id).subquery())
    latest = dict(session.execute(select(newest.c.item_id, TaskReport.content)
                                  .join(TaskReport, TaskReport.id == newest.c.report_id)).all())
    return tuple(
        BulletinItem(serial=items[i].serial, title=items[i].title, light=word,
                     lead_units="、".join(leads.get(i, [])) or "—", leader=items[i].display_name or "",
                     due_on=items[i].due_on,
                     progress=100 if word == "已办结" else (round(progress[i]) if progress.get(i) is not None else None),
                     latest=_short(latest.get(i, "")))
        for i, word in chosen if i in items)


def _late_units(session: Session, day: date) -> tuple[LateUnit, ...]:
    """Units with running tasks past their final deadline on ``day``, the most late first."""
    running = Task.status.in_(schedule.RUNNING)
    rows = session.execute(
        select(Task.department_id, func.count(), func.count(case((Task.watch_on < day, 1))), func.min(Task.due_on))
        .where(running, Task.due_on < day).group_by(Task.department_id)).all()
    if not rows:
        return ()
    ids = [row[0] for row in rows]
    names = dict(session.execute(select(Department.id, Department.name).where(Department.id.in_(ids))).all())
    urged = dict(session.execute(
        select(Escalation.department_id, func.count()).where(
            Escalation.subject_type.in_(TASK_SUBJECTS), Escalation.kind != EscalationKind.REMINDER,
            Escalation.department_id.in_(ids)).group_by(Escalation.department_id)).all())
    calendar = office_calendar(session)
    units = [LateUnit(names.get(department_id, ""), late, red, urged.get(department_id, 0),
                      max(0, calendar.workdays_between(oldest, day)))
             for department_id, late, red, oldest in rows]
    return tuple(sorted(units, key=lambda u: (-u.late_tasks, -u.longest_days, u.unit)))


def _instructions(session: Session, start: datetime, end: datetime) -> tuple[InstructionLine, ...]:
    rows = session.execute(
        select(User.display_name, TaskItem.title, TaskInstruction.text, TaskInstruction.written_at)
        .join(User, User.id == TaskInstruction.written_by_id)
        .join(Task, Task.id == TaskInstruction.task_id).join(TaskItem, TaskItem.id == Task.item_id)
        .where(TaskInstruction.written_at >= start, TaskInstruction.written_at < end)
        .order_by(TaskInstruction.written_at, TaskInstruction.id).limit(MAX_LISTED))
    return tuple(InstructionLine(leader, title, " ".join(text.split()), at.date()) for leader, title, text, at in rows)


def bulletin_subject(kind: str, period: Period) -> str:
    """What the register files it under: one number (and revision chain) per kind and period."""
    return f"{kind}:{period.start.isoformat()}:{period.end.isoformat()}"


def generate_bulletin(session: Session, actor: User, kind: str, period: Period, *, addressee: str = "",
                      requirements: str = "", config: Mapping[str, Any], folder: Path,
                      today: date | None = None) -> GeneratedDocument:
    """Build, number, register and audit the 督查通报 or 督查专报 of ``period``."""
    if not permissions.can_manage_task_items(actor):
        raise PermissionDenied("只有督查人员可以生成督查通报、督查专报。")
    if kind not in KINDS:
        raise ValidationError("请选择督查通报或督查专报。")
    today = today or clock.today()
    if period.start > today:
        raise ValidationError("统计期间尚未开始，不能生成。")
    addressee, requirements = addressee.strip(), requirements.strip()
    if len(addressee) > ADDRESSEE_MAX:
        raise ValidationError(f"主送单位不能超过 {ADDRESSEE_MAX} 个字。")
    if len(requirements) > REQUIREMENTS_MAX:
        raise ValidationError(f"工作要求不能超过 {REQUIREMENTS_MAX} 个字。")
    data = replace(bulletin_data(session, kind, period, today), addressee=addressee, requirements=requirements,
                   copy_to=tuple(config.get("TASK_BULLETIN_COPY_TO", ())))
    return generate(session, actor, doc_type=kind, subject=(bulletin_subject(kind, period), 0),
                    build_data=lambda number: replace(data, number=number), profile=office_profile(config),
                    folder=folder, title=f"{period.label}{KINDS[kind]}", prefix_key=kind)


__all__ = ["KINDS", "LIGHTS", "bulletin_data", "generate_bulletin"]
