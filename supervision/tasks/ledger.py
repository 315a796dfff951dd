"""督查事项台账 (.xlsx), one of the ledgers (``ledgers.export.LEDGERS``): the item list's rows with its
filters, and the tasks of those items — for a unit, only its own tasks (never another unit's).

Plain columns, streamed (``yield_per``); names from one look-up each; the light computed in SQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session, aliased

from supervision import permissions
from supervision.deadlines import office_calendar
from supervision.ledgers.xlsx import Column, Sheet
from supervision.models.org import Department, User
from supervision.models.tasks import Task, TaskItem, TaskRole, TaskStatus
from supervision.tasks import queries, schedule
from supervision.tasks.board import light_case

CHUNK = 2000
LIGHT_WORDS = {"red": "红灯", "yellow": "黄灯", "green": "绿灯"}
YES = "是"

ITEM_COLUMNS = [
    Column("编号", 16), Column("事项名称", 40), Column("来源类型", 12), Column("来源文号", 18),
    Column("来源日期", 11, "date"), Column("重要程度", 8), Column("分管领导", 10), Column("办结时限", 11, "date"),
    Column("状态", 10), Column("亮灯", 6), Column("督查通知文号", 18), Column("下发日期", 11, "date"),
    Column("牵头单位", 28), Column("配合单位", 36), Column("任务数", 7, "int"), Column("已销号", 7, "int"),
    Column("平均进度", 9, "int"), Column("办结日期", 11, "date"),
]
TASK_COLUMNS = [
    Column("事项编号", 16), Column("事项名称", 40), Column("单位", 24), Column("承办方式", 10), Column("责任人", 10),
    Column("完成时限", 11, "date"), Column("状态", 10), Column("亮灯", 6), Column("进度", 6, "int"),
    Column("最近反馈", 16, "datetime"), Column("反馈次数", 8, "int"), Column("逾期反馈", 8, "int"),
    Column("签收时间", 16, "datetime"), Column("销号日期", 11, "date"), Column("是否逾期", 8), Column("评价", 6),
    Column("得分", 6, "int"),
]


def _stream(session: Session, statement) -> Iterator:
    result = session.execute(statement.execution_options(yield_per=CHUNK))
    try:
        yield from result
    finally:
        result.close()


def _day(value: datetime | None) -> date | None:
    return value.date() if value is not None else None


def _label(value) -> str:
    return value.label if value is not None else ""


def _task_rows(session: Session, where, today: date, departments: dict[int, str]) -> Iterator[list]:
    light = light_case(session, Task.watch_on, today)
    statement = (select(TaskItem.serial, TaskItem.title, Task.department_id, Task.role, Task.parent_id,
                        Task.responsible_person, Task.due_on, Task.status, light, Task.progress, Task.last_report_at,
                        Task.report_count, Task.late_report_count, Task.received_at, Task.closed_at,
                        Task.closed_late, Task.grade, Task.score)
                 .join(TaskItem, TaskItem.id == Task.item_id).where(*where)
                 .order_by(TaskItem.watch_on.is_(None), TaskItem.watch_on, TaskItem.id, Task.parent_id.is_not(None),
                           Task.id))
    running = (TaskStatus.ASSIGNED, TaskStatus.RECEIVED, TaskStatus.APPLIED)
    for (serial, title, department_id, role, parent_id, person, due_on, status, lit, progress, last_report_at,
         reports, late_reports, received_at, closed_at, closed_late, grade, score) in _stream(session, statement):
        way = "子任务" if parent_id else role.label
        late = (status in running and due_on < today) or (status == TaskStatus.CLOSED and closed_late)
        yield [serial, title, departments.get(department_id, ""), way, person, due_on, status.label,
               LIGHT_WORDS.get(lit, ""), progress, last_report_at, reports, late_reports, received_at,
               _day(closed_at), YES if late else "", _label(grade), score]


def task_sheets(session: Session, user: User, filters: queries.Filters, today: date, context) -> list[Sheet]:
    departments = dict(session.execute(select(Department.id, Department.name)).all())
    if not permissions.can_view_every_task(user):
        # A unit: its own tasks as its list shows them (issued to it), nothing of other units.
        where = [Task.department_id == (user.department_id or -1),
                 Task.status.in_(tuple(permissions.UNIT_VISIBLE_TASK_STATUSES))]
        if filters.status in TaskStatus._value2member_map_:
            where.append(Task.status == TaskStatus(filters.status))
        if filters.light in queries.LIGHTS:  # as the unit's list (queries.unit_task_page) filters
            where.extend(queries._light_conditions(office_calendar(session), Task.watch_on, filters.light, today,
                                                   queries.effective_warning(session, queries.task_warning())))
        q = (filters.q or "").strip()[:100]
        if q:
            where.append(Task.item_id.in_(select(TaskItem.id).where(or_(
                TaskItem.serial.contains(q.upper(), autoescape=True), TaskItem.title.contains(q, autoescape=True)))))
        return [Sheet("督查任务", TASK_COLUMNS, _task_rows(session, where, today, departments), context.preamble)]

    item_where = queries.item_conditions(session, user, filters, today)
    leaders = dict(session.execute(select(User.id, User.display_name)).all())
    counted = Task.status.not_in((TaskStatus.CANCELLED,))
    tasks = (select(Task.item_id, func.count().label("total"),
                    func.count(case((Task.status == TaskStatus.CLOSED, 1))).label("closed"),
                    func.avg(case((Task.parent_id.is_(None), Task.progress))).label("progress"))
             .where(counted).group_by(Task.item_id).subquery())
    light = light_case(session, TaskItem.watch_on, today)
    items = (select(TaskItem.id, TaskItem.serial, TaskItem.title, TaskItem.source_kind, TaskItem.source_number,
                    TaskItem.source_date, TaskItem.importance, TaskItem.leader_id, TaskItem.due_on, TaskItem.status,
                    light, TaskItem.notice_number, TaskItem.issued_on, tasks.c.total, tasks.c.closed,
                    tasks.c.progress, TaskItem.closed_at)
             .outerjoin(tasks, tasks.c.item_id == TaskItem.id).where(*item_where)
             .order_by(TaskItem.watch_on.is_(None), TaskItem.watch_on, TaskItem.id.desc()))
    Unit = aliased(Task)

    def units_of(ids: list[int]) -> dict[int, tuple[list[str], list[str]]]:
        found: dict[int, tuple[list[str], list[str]]] = {}
        for item_id, department_id, role in session.execute(
                select(Unit.item_id, Unit.department_id, Unit.role)
                .where(Unit.item_id.in_(ids), Unit.parent_id.is_(None), Unit.status != TaskStatus.CANCELLED)
                .order_by(Unit.item_id, Unit.id)):
            lead, co = found.setdefault(item_id, ([], []))
            (lead if role == TaskRole.LEAD else co).append(departments.get(department_id, ""))
        return found

    def item_rows() -> Iterator[list]:
        result = session.execute(items.execution_options(yield_per=CHUNK))
        try:
            for chunk in result.partitions():
                units = units_of([row.id for row in chunk])
                for (id_, serial, title, source_kind, source_number, source_date, importance, leader_id, due_on,
                     status, lit, notice_number, issued_on, total, closed, progress, closed_at) in chunk:
                    lead, co = units.get(id_, ([], []))
                    yield [serial, title, source_kind.label, source_number, source_date, importance.label,
                           leaders.get(leader_id, ""), due_on, status.label, LIGHT_WORDS.get(lit, ""), notice_number,
                           issued_on, "、".join(lead), "、".join(co), total or 0, closed or 0,
                           round(progress) if progress is not None else None, _day(closed_at)]
        finally:
            result.close()

    task_where = [Task.item_id.in_(select(TaskItem.id).where(*item_where)), Task.status != TaskStatus.CANCELLED]
    return [Sheet("督查事项", ITEM_COLUMNS, item_rows(), context.preamble),
            Sheet("督查任务", TASK_COLUMNS, _task_rows(session, task_where, today, departments), context.preamble)]
