"""Reads of 督查事项: the item list and a unit's task list (as each user may see them), one item or task
for a page, the lights, and the open deadlines the sweep looks at."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, exists, func, or_, select
from sqlalchemy.orm import Session, selectinload

from supervision import clock, office_settings, permissions, readcache
from supervision.deadlines import WARNING_WORKDAYS, Light, OpenDeadline, light_words, office_calendar
from supervision.models.org import User
from supervision.models.tasks import (Importance, ItemStatus, Task, TaskItem, TaskMilestone, TaskReport,
                                      TaskSourceKind, TaskStatus)
from supervision.pagination import Page, count_rows
from supervision.tasks import schedule

PER_PAGE = 50
LIGHTS = {"red": "逾期", "yellow": "临期", "green": "正常"}


@dataclass
class Filters:
    status: str = ""
    light: str = ""
    source: str = ""
    importance: str = ""
    leader: int | None = None
    department: int | None = None
    q: str = ""
    mine: bool = False  # a leader: the items in their charge


def own_warnings(session: Session) -> tuple[int, ...]:
    """The yellow-light days items set for themselves (few items, few values; kept until the next write)."""
    return readcache.until_next_write(session, ("task_own_warnings",), lambda: tuple(session.scalars(
        select(TaskItem.warning_workdays).where(TaskItem.warning_workdays.is_not(None)).distinct())))


def effective_warning(session: Session, item_column=None):
    """An item's yellow-light days: the office's (``office_settings``) as a number while no item has a
    rule of its own — the lights are then plain date ranges, answered from the indexes — else as SQL, its
    own or the office's. ``item_column``: the item's ``warning_workdays`` (default
    ``TaskItem.warning_workdays``) or, for a task, ``task_warning()``."""
    default = office_settings.warning_workdays(session)
    own = own_warnings(session)
    if not own:
        return default
    column = TaskItem.warning_workdays if item_column is None else item_column
    return WarningRule(func.coalesce(column, default), tuple(sorted({default, *own})))


@dataclass(frozen=True)
class WarningRule:
    """Per-item yellow-light days as SQL, and the values it can take (the CASE of the edge lists only these)."""

    expression: object
    values: tuple[int, ...]


def task_warning():
    """A task's item's own yellow-light days (NULL: the office's), for statements over ``task``."""
    return select(TaskItem.warning_workdays).where(TaskItem.id == Task.item_id).correlate(Task).scalar_subquery()


def _light_conditions(calendar, column, light: str, today: date, warning) -> list:
    """The light as a date range on the watched date (yellow: within N working days). ``warning`` is N, or
    a ``WarningRule`` (N per row, ``effective_warning``): then the edge is a CASE over the few values N
    takes, with the widest edge as a plain range for the index."""
    if light == "red":
        return [column < today]
    if isinstance(warning, int):
        edge = calendar.add_workdays(today, warning)
        widest = edge
    else:
        edges = {n: calendar.add_workdays(today, n) for n in warning.values}
        widest = max(edges.values())
        edge = case(*[(warning.expression == n, day) for n, day in edges.items()], else_=widest)
    if light == "yellow":
        return [column >= today, column <= widest] + ([] if edge is widest else [column <= edge])
    if light == "green":
        return [column > edge]
    return []


def item_conditions(session: Session, user: User, f: Filters, today: date | None = None) -> list:
    today = today or clock.today()
    where = []
    if f.status in ItemStatus._value2member_map_:
        where.append(TaskItem.status == ItemStatus(f.status))
    if f.source in TaskSourceKind._value2member_map_:
        where.append(TaskItem.source_kind == TaskSourceKind(f.source))
    if f.importance in Importance._value2member_map_:
        where.append(TaskItem.importance == Importance(f.importance))
    if f.mine:
        where.append(TaskItem.leader_id == user.id)
    elif f.leader:
        where.append(TaskItem.leader_id == f.leader)
    if f.department:
        where.append(exists().where(Task.item_id == TaskItem.id, Task.department_id == f.department,
                                    Task.status != TaskStatus.CANCELLED))
    if f.light in LIGHTS:
        where.extend(_light_conditions(office_calendar(session), TaskItem.watch_on, f.light, today,
                                        effective_warning(session)))
    q = (f.q or "").strip()[:100]
    if q:
        where.append(or_(TaskItem.serial.contains(q.upper(), autoescape=True),
                         TaskItem.title.contains(q, autoescape=True),
                         TaskItem.source_number.contains(q, autoescape=True)))
    return where


def item_page(session: Session, user: User, f: Filters, page: int, per_page: int = PER_PAGE) -> Page:
    """The item list for office staff (the whole register, filtered), most urgent first."""
    if not permissions.can_view_every_task(user):
        return Page([], 1, per_page, 0)
    where = item_conditions(session, user, f)
    total, estimated = count_rows(session, select(TaskItem.id).where(*where))
    rows = list(session.scalars(
        select(TaskItem).where(*where).options(selectinload(TaskItem.leader))
        .order_by(TaskItem.watch_on.is_(None), TaskItem.watch_on, TaskItem.id.desc())
        .limit(per_page).offset((page - 1) * per_page)))
    return Page(rows, page, per_page, total, estimated)


def unit_task_page(session: Session, user: User, f: Filters, page: int, per_page: int = PER_PAGE) -> Page:
    """A unit's own tasks (issued to it), most urgent first."""
    if not permissions.is_role(user, *permissions.CASE_ROLES) or user.department_id is None:
        return Page([], 1, per_page, 0)
    where = [Task.department_id == user.department_id,
             Task.status.in_(tuple(permissions.UNIT_VISIBLE_TASK_STATUSES))]
    if f.status in TaskStatus._value2member_map_:
        where.append(Task.status == TaskStatus(f.status))
    if f.light in LIGHTS:
        where.extend(_light_conditions(office_calendar(session), Task.watch_on, f.light, clock.today(),
                                        effective_warning(session, task_warning())))
    q = (f.q or "").strip()[:100]
    if q:
        where.append(exists().where(TaskItem.id == Task.item_id, or_(
            TaskItem.serial.contains(q.upper(), autoescape=True), TaskItem.title.contains(q, autoescape=True))))
    total, estimated = count_rows(session, select(Task.id).where(*where))
    rows = list(session.scalars(
        select(Task).where(*where).options(selectinload(Task.item), selectinload(Task.department))
        .order_by(Task.watch_on.is_(None), Task.watch_on, Task.id.desc())
        .limit(per_page).offset((page - 1) * per_page)))
    return Page(rows, page, per_page, total, estimated)


def visible_tasks(user: User, item: TaskItem) -> list[Task]:
    """The item's tasks this user may see, sub-tasks after their parent."""
    tasks = [t for t in item.tasks if permissions.can_view_task(user, t)]
    ordered: list[Task] = []
    for task in sorted((t for t in tasks if t.parent_id is None), key=lambda t: (t.role != "lead", t.id)):
        ordered.append(task)
        ordered.extend(c for c in tasks if c.parent_id == task.id)
    ordered.extend(t for t in tasks if t not in ordered)
    return ordered


def load_item(session: Session, item_id: int) -> TaskItem | None:
    return session.scalar(select(TaskItem).where(TaskItem.id == item_id).options(
        selectinload(TaskItem.tasks).selectinload(Task.milestones),
        selectinload(TaskItem.tasks).selectinload(Task.department)))


def load_task(session: Session, task_id: int) -> Task | None:
    return session.scalar(select(Task).where(Task.id == task_id).options(
        selectinload(Task.milestones), selectinload(Task.closures),
        selectinload(Task.reports).selectinload(TaskReport.instructions),
        selectinload(Task.reports).selectinload(TaskReport.attachments), selectinload(Task.children)))


# --- lights ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LightInfo:
    light: Light
    words: str  # 剩余 3 个工作日 / 超期 2 个工作日
    what: str = ""  # which deadline: 进度反馈 / 节点 / 办结时限

    @property
    def label(self) -> str:
        return LIGHTS.get(self.light.value, "")


def warning_of(item: TaskItem, default: int) -> int:
    return item.warning_workdays if item.warning_workdays is not None else default


def task_light(calendar, task: Task, today: date | None = None, default_warning: int = WARNING_WORKDAYS) -> LightInfo:
    today = today or clock.today()
    return LightInfo(schedule.light(calendar, task.watch_on, today, warning_of(task.item, default_warning)),
                     light_words(calendar, task.watch_on, today), schedule.watch_label(task))


def item_light(calendar, item: TaskItem, today: date | None = None, default_warning: int = WARNING_WORKDAYS) -> LightInfo:
    today = today or clock.today()
    return LightInfo(schedule.light(calendar, item.watch_on, today, warning_of(item, default_warning)),
                     light_words(calendar, item.watch_on, today))


def lights(session: Session):
    """``task_light(task)`` / ``item_light(item)`` for a page, with the office calendar and the office's
    yellow-light days read once."""
    calendar, today, default = office_calendar(session), clock.today(), office_settings.warning_workdays(session)
    return (lambda task: task_light(calendar, task, today, default)), (lambda item: item_light(calendar, item, today, default))


# --- the sweep's source -----------------------------------------------------------------------------------
def open_task_deadlines(session: Session, horizon: date) -> Iterable[OpenDeadline]:
    """Every running task's final deadline, open milestones and the progress report it owes, up to
    ``horizon``: the same 提醒 → 催办 → 督办 ladder as matters (``escalation.services.sweep``)."""
    running = tuple(schedule.RUNNING)
    rows = session.execute(
        select(Task.id, Task.due_on, Task.department_id, TaskItem.serial, TaskItem.title)
        .join(TaskItem, TaskItem.id == Task.item_id)
        .where(Task.status.in_(running), Task.due_on <= horizon))
    for id_, due_on, department_id, serial, title in rows:
        yield OpenDeadline("task", id_, due_on, department_id, None, f"{serial} {title}（办结时限）",
                           f"/tasks/task/{id_}")
    rows = session.execute(
        select(TaskMilestone.id, TaskMilestone.due_on, TaskMilestone.title, Task.id, Task.department_id,
               TaskItem.serial)
        .join(Task, Task.id == TaskMilestone.task_id).join(TaskItem, TaskItem.id == Task.item_id)
        .where(TaskMilestone.done_on.is_(None), TaskMilestone.due_on <= horizon, Task.status.in_(running)))
    for id_, due_on, title, task_id, department_id, serial in rows:
        yield OpenDeadline("task_milestone", id_, due_on, department_id, None, f"{serial} 节点“{title}”",
                           f"/tasks/task/{task_id}")
    rows = session.execute(
        select(Task.id, Task.next_report_on, Task.department_id, TaskItem.serial, TaskItem.title)
        .join(TaskItem, TaskItem.id == Task.item_id)
        .where(Task.status.in_(running), Task.next_report_on <= horizon))
    for id_, due_on, department_id, serial, title in rows:
        yield OpenDeadline("task_report", id_, due_on, department_id, None, f"{serial} {title}（进度反馈）",
                           f"/tasks/task/{id_}")


def escalations_of(session: Session, task: Task) -> list:
    """The reminders, 催办 and 督办 recorded for the task, its milestones and its reports."""
    from supervision.models.escalation import Escalation

    milestone_ids = [m.id for m in task.milestones]
    subject = or_(Escalation.subject_type.in_(("task", "task_report")) & (Escalation.subject_id == task.id),
                  (Escalation.subject_type == "task_milestone") & Escalation.subject_id.in_(milestone_ids or [-1]))
    return list(session.scalars(select(Escalation).where(subject).order_by(Escalation.issued_at, Escalation.id)))
