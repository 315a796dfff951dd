"""Every write of 督查事项: 立项 → 领导审核 → 督查通知 → 分解 → 签收 → 进度反馈 (+ 领导批示) → 办结申请 →
复核 (销号 / 退回) → 评价. Each step asks ``workflow`` whether it is legal and ``permissions`` whether this
actor may take it, changes the rows, keeps the task's light-relevant dates current, tells whom it
concerns (the outbox: ``notifications.notify``) and writes the audit row. Never commits."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from supervision import audit, clock, permissions, sequences, workflow
from supervision.calendar import LimitUnit
from supervision.deadlines import office_calendar
from supervision.errors import PermissionDenied, StaleObjectError, ValidationError, WorkflowError
from supervision.models.org import Department, Role, User
from supervision.models.settings import MAX_WARNING_WORKDAYS
from supervision.models.tasks import (SERIAL_PREFIX, ClosureDecision, Importance, ItemStatus, ReportSchedule, Task,
                                      TaskAttachment, TaskClosure, TaskGrade, TaskInstruction, TaskItem, TaskMilestone,
                                      TaskReport, TaskRole, TaskSourceKind, TaskStatus)
from supervision.notifications.services import About, department_heads, notify, settle, task_key
from supervision.tasks import schedule
from supervision.uploads import StoredFile
from supervision.workflow import TaskAction, TaskItemAction

NOTICE_DOC_TYPE = "task_notice"
NOTICE_SUBJECT = "task_item"
MAX_YEARS_AHEAD = 5  # a deadline further out is a typing error


# --- inputs ----------------------------------------------------------------------------------------
@dataclass
class ItemInput:
    source_kind: TaskSourceKind
    title: str
    content: str
    due_on: date
    source_number: str = ""
    source_date: date | None = None
    source_text: str = ""
    importance: Importance = Importance.NORMAL
    leader_id: int | None = None
    expected_result: str = ""
    report_schedule: ReportSchedule = ReportSchedule.MONTHLY
    report_weekday: int | None = None
    report_day: int | None = None
    warning_workdays: int | None = None  # the yellow light's days; None: the office's setting


@dataclass
class MilestoneInput:
    title: str
    expected_result: str = ""
    due_on: date | None = None  # a calendar date, or
    workdays: int | None = None  # N working days from the task's issue


@dataclass
class TaskInput:
    department_id: int
    role: TaskRole = TaskRole.LEAD
    due_on: date | None = None  # None: the item's deadline
    responsible_person: str = ""
    responsible_phone: str = ""
    requirements: str = ""
    milestones: list[MilestoneInput] = field(default_factory=list)


# --- helpers ---------------------------------------------------------------------------------------
def format_serial(year: int, seq: int) -> str:
    return f"{SERIAL_PREFIX}-{year}-{seq:05d}"


def _text(value: str | None, message: str | None = None) -> str:
    value = (value or "").strip()
    if message and not value:
        raise ValidationError(message)
    return value


def check_version(obj, expected_version: int | None) -> None:
    if expected_version is not None and obj.version != expected_version:
        raise StaleObjectError("该督查事项已被他人修改，请刷新页面查看最新内容后重试。")


def _check_date(value: date | None, label: str, *, not_before: date | None = None) -> None:
    if value is None:
        return
    today = clock.today()
    if value.year > today.year + MAX_YEARS_AHEAD or value.year < 2000:
        raise ValidationError(f"{label}“{value:%Y-%m-%d}”不在合理范围内，请检查。")
    if not_before is not None and value < not_before:
        raise ValidationError(f"{label}不能早于{not_before:%Y年%m月%d日}。".replace("年0", "年").replace("月0", "月"))


def _department(session: Session, department_id: int | None) -> Department:
    department = session.get(Department, department_id) if department_id else None
    if department is None or not department.active:
        raise ValidationError("请选择有效的责任单位。")
    return department


def _leader(session: Session, leader_id: int | None) -> User | None:
    if leader_id is None:
        return None
    leader = session.get(User, leader_id)
    if leader is None or not leader.active or leader.role != Role.LEADER:
        raise ValidationError("请选择有效的分管领导。")
    return leader


def _item_label(item: TaskItem) -> str:
    return f"{item.serial} {item.title}"


def task_link(task: Task) -> str:
    return f"/tasks/task/{task.id}"


def item_link(item: TaskItem) -> str:
    return f"/tasks/{item.id}"


# The inbox (docs/architecture.md, notices): a notice names its item or task and links to it; one that asks
# for a step carries the step's key, settled by the service that takes the step (sign_task, review_closure,
# approve_item / send_back_item), so the badge counts only what still needs the user.
def _task_about(task: Task, ask: str | None = None) -> About:
    return About(task_link(task), f"{_item_label(task.item)}（{task.department.name if task.department else ''}）",
                 task=task_key("task", task.id, ask) if ask else None)


def _item_about(item: TaskItem, ask: str | None = None, link: str = "") -> About:
    return About(link or item_link(item), _item_label(item), task=task_key("task_item", item.id, ask) if ask else None)


def deadline_tasks(task: Task) -> list[str]:
    """The keys the sweep's notices about this task's deadlines ask by (``escalation.services.deadline_task``):
    its final deadline (and a supervisor's own 催办), its progress reports and its milestones."""
    return [task_key("task", task.id, "handle"), task_key("task_report", task.id, "handle"),
            *(task_key("task_milestone", m.id, "handle") for m in task.milestones)]


def _tell_unit(session: Session, task: Task, title: str, body: str = "", channels: Iterable[str] = ("log",), *,
               kind: str = "other", ask: str | None = None) -> None:
    notify(session, department_heads(session, task.department_id), f"{title}：{_item_label(task.item)}"[:200],
           body, task_link(task), channels, kind=kind, about=[_task_about(task, ask)])


def _tell_office(session: Session, item: TaskItem, title: str, body: str = "", link: str = "",
                 channels: Iterable[str] = ("log",), *, kind: str = "other", about: About | None = None) -> None:
    """The supervisors who follow items (and the leader in charge)."""
    users = list(session.scalars(select(User).where(User.active, User.role == Role.SUPERVISOR)))
    if item.leader is not None and item.leader.active:
        users.append(item.leader)
    notify(session, users, f"{title}：{_item_label(item)}"[:200], body, link or item_link(item), channels,
           kind=kind, about=[about or _item_about(item, link=link)])


def refresh_task(session: Session, task: Task, after: date | None = None, calendar=None) -> None:
    """Recompute the task's next report, next milestone and watched date (and its item's). ``calendar``:
    the office calendar, when the caller refreshes many tasks."""
    calendar = calendar or office_calendar(session)
    task.next_milestone_on = schedule.next_milestone_on(task)
    if task.status in schedule.RUNNING:
        if after is not None:
            task.next_report_on = schedule.next_report_on(task.item, task, after, calendar)
        elif task.next_report_on is None and task.status == TaskStatus.RECEIVED and task.report_count == 0:
            task.next_report_on = schedule.next_report_on(task.item, task, clock.today(), calendar)
    else:
        task.next_report_on = None
    task.watch_on = schedule.watch_on(task)
    refresh_item(task.item)


def refresh_item(item: TaskItem) -> None:
    if item.status in (ItemStatus.CLOSED, ItemStatus.CANCELLED):
        item.watch_on = None
    elif item.status != ItemStatus.ISSUED:
        item.watch_on = item.due_on
    else:
        dates = [t.watch_on for t in item.tasks if t.watch_on is not None]
        item.watch_on = min(dates) if dates else None


def _item_step(session: Session, actor: User, item: TaskItem, action: TaskItemAction, summary: str,
               changes: dict | None = None, expected_version: int | None = None) -> None:
    check_version(item, expected_version)
    if not permissions.can_act_on_task_item(actor, item, action):
        raise PermissionDenied(f"您无权对该督查事项进行“{workflow.TASK_ITEM_ACTION_LABELS[action]}”操作。")
    old = item.status
    item.status = workflow.next_task_item_status(old, action)
    audit.record(session, actor, f"task_item.{action.value}", item, f"{item.serial} {summary}",
                 {"status": [old, item.status], **(changes or {})})


def _task_step(session: Session, actor: User | None, task: Task, action: TaskAction, summary: str,
               changes: dict | None = None, expected_version: int | None = None, *, check: bool = True) -> None:
    """``check=False``: a step that follows from another the actor was allowed (the issue of the
    item sends its tasks out; a lead unit's split sends the sub-task out)."""
    check_version(task, expected_version)
    if check and not permissions.can_act_on_task(actor, task, action):
        raise PermissionDenied(f"您无权对该任务进行“{workflow.TASK_ACTION_LABELS[action]}”操作。")
    old = task.status
    task.status = workflow.next_task_status(old, action)
    audit.record(session, actor, f"task.{action.value}", task,
                 f"{task.item.serial} {task.department.name}（{task.role.label}）{summary}",
                 {"status": [old, task.status], **(changes or {})} if old != task.status else (changes or {}))


# --- 立项 and review ----------------------------------------------------------------------------------
def _validate_item(session: Session, data: ItemInput) -> None:
    _text(data.title, "请填写督查事项标题。")
    _text(data.content, "请填写督查内容。")
    if data.due_on is None:
        raise ValidationError("请填写办结时限。")
    _check_date(data.due_on, "办结时限")
    _check_date(data.source_date, "来源文件日期")
    if data.source_date and data.source_date > clock.today():
        raise ValidationError("来源文件日期不能晚于今天。")
    _leader(session, data.leader_id)
    if data.report_schedule == ReportSchedule.WEEKLY and not 1 <= (data.report_weekday or 5) <= 7:
        raise ValidationError("每周报送日应为周一至周日。")
    if data.report_schedule == ReportSchedule.MONTHLY and not 1 <= (data.report_day or 25) <= 28:
        raise ValidationError("每月报送日应为 1 至 28 日。")
    _check_warning(data.warning_workdays)


def _check_warning(days: int | None) -> None:
    if days is not None and not 0 <= days <= MAX_WARNING_WORKDAYS:
        raise ValidationError(f"黄灯提前天数应为 0 至 {MAX_WARNING_WORKDAYS} 个工作日（留空按督查设置）。")


def _item_values(data: ItemInput) -> dict:
    return dict(source_kind=data.source_kind, source_number=_text(data.source_number),
                source_date=data.source_date, source_text=_text(data.source_text), title=_text(data.title),
                content=_text(data.content), importance=data.importance, leader_id=data.leader_id,
                expected_result=_text(data.expected_result), due_on=data.due_on,
                report_schedule=data.report_schedule,
                report_weekday=(data.report_weekday or schedule.DEFAULT_WEEKDAY)
                if data.report_schedule == ReportSchedule.WEEKLY else None,
                report_day=(data.report_day or schedule.DEFAULT_MONTH_DAY)
                if data.report_schedule == ReportSchedule.MONTHLY else None,
                warning_workdays=data.warning_workdays)


def set_item_warning(session: Session, actor: User, item: TaskItem, days: int | None,
                     expected_version: int | None = None) -> dict:
    """The item's own yellow light (within ``days`` working days of a deadline; None: the office's
    setting), at any time while it is open. Returns the change (empty when none)."""
    check_version(item, expected_version)
    if not permissions.can_manage_task_items(actor):
        raise PermissionDenied("只有督查人员可以设定督查事项的亮灯规则。")
    if not item.is_open:
        raise WorkflowError(f"督查事项当前为“{item.status.label}”，不能再修改亮灯规则。")
    _check_warning(days)
    if item.warning_workdays == days:
        return {}
    changes = {"warning_workdays": [item.warning_workdays, days]}
    item.warning_workdays = days
    words = f"{days} 个工作日内亮黄灯" if days is not None else "按督查设置亮黄灯"
    audit.record(session, actor, "task_item.warning_set", item, f"{item.serial} 亮灯规则：{words}", changes)
    return changes


def register_item(session: Session, actor: User, data: ItemInput) -> TaskItem:
    """立项: a new item in draft, numbered DC-<year>-<n>."""
    if not permissions.can_manage_task_items(actor):
        raise PermissionDenied("只有督查人员可以登记督查事项。")
    _validate_item(session, data)
    year = clock.today().year
    seq = sequences.next_value(session, "task_item", year)
    item = TaskItem(year=year, seq=seq, serial=format_serial(year, seq), registered_at=clock.now(),
                    registered_by_id=actor.id, status=ItemStatus.DRAFT, **_item_values(data))
    item.watch_on = item.due_on
    session.add(item)
    session.flush()
    audit.record(session, actor, "task_item.registered", item, f"{item.serial} 立项：{item.title}",
                 {"source_kind": item.source_kind, "due_on": item.due_on, "leader_id": item.leader_id})
    return item


def update_item(session: Session, actor: User, item: TaskItem, data: ItemInput,
                expected_version: int | None = None) -> TaskItem:
    """Change what was registered: only before the leader approves it."""
    check_version(item, expected_version)
    if not permissions.can_manage_task_items(actor):
        raise PermissionDenied("只有督查人员可以修改督查事项。")
    if item.status != ItemStatus.DRAFT:
        raise WorkflowError(f"督查事项当前为“{item.status.label}”，不能修改；领导退回后可修改。")
    _validate_item(session, data)
    values = _item_values(data)
    changes = {k: [getattr(item, k), v] for k, v in values.items() if getattr(item, k) != v}
    for key, value in values.items():
        setattr(item, key, value)
    refresh_item(item)
    audit.record(session, actor, "task_item.updated", item, f"{item.serial} 修改立项内容", changes)
    return item


def submit_item(session: Session, actor: User, item: TaskItem, expected_version: int | None = None,
                channels: Iterable[str] = ("log",)) -> TaskItem:
    _item_step(session, actor, item, TaskItemAction.SUBMIT, "提交领导审核", expected_version=expected_version)
    item.submitted_at = clock.now()
    leaders = [item.leader] if item.leader is not None else list(session.scalars(
        select(User).where(User.active, User.role == Role.LEADER)))
    notify(session, leaders, f"督查事项待审核：{_item_label(item)}"[:200], "请审核立项内容和任务分解。",
           item_link(item), channels, kind="review", about=[_item_about(item, "review")])
    return item


def approve_item(session: Session, actor: User, item: TaskItem, note: str = "",
                 expected_version: int | None = None, channels: Iterable[str] = ("log",)) -> TaskItem:
    """领导审核同意 (the note is the leader's 审核意见)."""
    note = _text(note)
    _item_step(session, actor, item, TaskItemAction.APPROVE, "领导审核同意" + (f"：{note}" if note else ""),
               {"review_note": note}, expected_version)
    item.reviewed_at, item.reviewed_by_id, item.review_note = clock.now(), actor.id, note
    settle(session, actor, task_key("task_item", item.id, "review"))
    _tell_office(session, item, "督查事项已审核同意", note or "请下发督查通知。", channels=channels, kind="result")
    return item


def send_back_item(session: Session, actor: User, item: TaskItem, note: str,
                   expected_version: int | None = None, channels: Iterable[str] = ("log",)) -> TaskItem:
    note = _text(note, "请填写退回修改的意见。")
    _item_step(session, actor, item, TaskItemAction.SEND_BACK, f"领导退回修改：{note}", {"review_note": note},
               expected_version)
    item.reviewed_at, item.reviewed_by_id, item.review_note = clock.now(), actor.id, note
    settle(session, actor, task_key("task_item", item.id, "review"))
    _tell_office(session, item, "督查事项被退回修改", note, channels=channels, kind="returned")
    return item


def cancel_item(session: Session, actor: User, item: TaskItem, reason: str,
                expected_version: int | None = None) -> TaskItem:
    reason = _text(reason, "请填写撤销理由。")
    _item_step(session, actor, item, TaskItemAction.CANCEL, f"撤销：{reason}", {"reason": reason}, expected_version)
    item.cancelled_reason = reason[:400]
    settle(session, actor, task_key("task_item", item.id, "review"),
           *(task_key("task", t.id, step) for t in item.tasks for step in ("sign", "review")))
    for task in item.tasks:
        if task.status == TaskStatus.PLANNED:
            _task_step(session, actor, task, TaskAction.CANCEL, "随督查事项撤销", check=False)
            refresh_task(session, task)
    refresh_item(item)
    return item


# --- 督查通知 -------------------------------------------------------------------------------------------
def notice_data(session: Session, item: TaskItem, number, issued_on: date | None = None):
    from supervision.paperwork.task_documents import TaskNotice, TaskNoticeLine, TaskNoticeMilestone

    lines = tuple(
        TaskNoticeLine(unit=t.department.name, role=t.role.label, deadline=t.due_on, requirements=t.requirements,
                       responsible=t.responsible_person, deadline_provisional=t.due_provisional,
                       milestones=tuple(TaskNoticeMilestone(m.due_on, m.title, m.expected_result, m.due_provisional)
                                        for m in t.milestones))
        for t in item.tasks if t.parent_id is None and t.status != TaskStatus.CANCELLED)
    return TaskNotice(
        number=number, item_serial=item.serial, title=item.title, source_kind=item.source_kind.label,
        content=item.content, deadline=item.due_on, issued_on=issued_on or item.issued_on or clock.today(),
        report_schedule=item.schedule_label, tasks=lines, source_number=item.source_number,
        source_date=item.source_date, source_text=item.source_text, importance=item.importance.label,
        leader_in_charge=item.leader.display_name if item.leader else "", expected_result=item.expected_result,
        deadline_provisional=item.due_provisional)


def generate_notice(session: Session, actor: User, item: TaskItem, paperwork):
    """督查通知 (督查〔年〕n号): numbered once, regenerated with the same number (new revision)."""
    from supervision.documents import services as documents

    if not permissions.can_manage_task_items(actor):
        raise PermissionDenied("只有督查人员可以生成督查通知。")
    if not item.is_issued and item.status != ItemStatus.APPROVED:
        raise WorkflowError("督查事项经领导审核同意后才能生成督查通知。")
    return documents.generate(
        session, actor, doc_type=NOTICE_DOC_TYPE, subject=(NOTICE_SUBJECT, item.id),
        build_data=lambda number: notice_data(session, item, number), profile=paperwork.profile,
        folder=paperwork.folder, prefix_key="task_notice", title=f"督查通知（{item.serial}）")


def issue_item(session: Session, actor: User, item: TaskItem, paperwork, expected_version: int | None = None,
               channels: Iterable[str] = ("log",)) -> TaskItem:
    """下发: the numbered 督查通知 is generated and registered; tasks already broken down go out to
    their units (待签收), each unit's heads told with a link to its task."""
    if not (paperwork.profile.office_name or "").strip():
        raise ValidationError("系统未配置单位名称（OFFICE_NAME），无法生成督查通知。请联系系统管理员。")
    today = clock.today()
    if item.due_on < today:
        raise ValidationError("督查事项的办结时限早于今天，无法下发。请先撤销或重新立项。")
    _item_step(session, actor, item, TaskItemAction.ISSUE, "下发督查通知", expected_version=expected_version)
    item.issued_on, item.issued_at, item.issued_by_id = today, clock.now(), actor.id
    for task in item.tasks:
        if task.status == TaskStatus.PLANNED:
            _go_out(session, actor, task, channels)
    document = generate_notice(session, actor, item, paperwork)
    item.notice_number = document.number
    refresh_item(item)
    audit.record(session, actor, "task_item.notice", item, f"{item.serial} 督查通知 {document.number}",
                 {"notice_number": document.number})
    return item


def _go_out(session: Session, actor: User, task: Task, channels: Iterable[str]) -> None:
    """A task leaves the office: 待签收, its milestones counted from today, the unit told."""
    _task_step(session, actor, task, TaskAction.ISSUE, "下发", check=False)
    task.assigned_at = clock.now()
    calendar = office_calendar(session)
    today = clock.today()
    for milestone in task.milestones:
        if milestone.limit_workdays:
            deadline = calendar.deadline(today, milestone.limit_workdays, LimitUnit.WORKDAY)
            milestone.due_on, milestone.due_provisional = deadline.due, deadline.provisional
    refresh_task(session, task, after=today)
    _tell_unit(session, task, "督查任务待签收",
               f"{task.role.label}任务，完成时限 {task.due_on:%Y-%m-%d}。请签收并按要求报送进展。", channels,
               kind="assign", ask="sign")


# --- 分解 ---------------------------------------------------------------------------------------------
def _milestones(session: Session, task: Task, data: Sequence[MilestoneInput], start: date) -> list[TaskMilestone]:
    calendar = office_calendar(session)
    rows = []
    for n, m in enumerate(data, start=1):
        title = _text(m.title)
        if not title:
            continue
        if m.due_on is None and not m.workdays:
            raise ValidationError(f"第 {n} 个节点请填写日期或工作日数。")
        if m.workdays is not None and not 1 <= m.workdays <= 750:
            raise ValidationError(f"第 {n} 个节点的工作日数应在 1 至 750 之间。")
        provisional = False
        if m.due_on is not None:
            _check_date(m.due_on, f"第 {n} 个节点日期")
            due = m.due_on
        else:
            deadline = calendar.deadline(start, m.workdays, LimitUnit.WORKDAY)
            due, provisional = deadline.due, deadline.provisional
        if due > task.due_on:
            raise ValidationError(f"第 {n} 个节点（{due:%Y-%m-%d}）晚于完成时限（{task.due_on:%Y-%m-%d}）。")
        rows.append(TaskMilestone(title=title[:200], expected_result=_text(m.expected_result), due_on=due,
                                  due_provisional=provisional,
                                  limit_workdays=m.workdays if m.due_on is None else None))
    return rows


def _new_task(session: Session, actor: User, item: TaskItem, data: TaskInput, *, parent: Task | None,
              department: Department) -> Task:
    due_on = data.due_on or (parent.due_on if parent else item.due_on)
    _check_date(due_on, "完成时限")
    limit = parent.due_on if parent else item.due_on
    if due_on > limit:
        raise ValidationError(f"完成时限不能晚于{'上级任务' if parent else '督查事项'}的办结时限（{limit:%Y-%m-%d}）。")
    if due_on < clock.today():
        raise ValidationError("完成时限不能早于今天。")
    task = Task(item=item, parent=parent, department_id=department.id, department=department, role=data.role,
                responsible_person=_text(data.responsible_person)[:40],
                responsible_phone=_text(data.responsible_phone)[:40], requirements=_text(data.requirements),
                due_on=due_on, status=TaskStatus.PLANNED, created_at=clock.now(), created_by_id=actor.id)
    session.add(task)
    with session.no_autoflush:
        milestones = _milestones(session, task, data.milestones, clock.today())
    task.milestones = milestones
    session.flush()
    return task


def add_task(session: Session, actor: User, item: TaskItem, data: TaskInput,
             channels: Iterable[str] = ("log",)) -> Task:
    """分解: one unit's task (牵头 or 配合). Added before the issue it waits for the 督查通知; added after,
    it goes out at once."""
    if not permissions.can_manage_task_items(actor):
        raise PermissionDenied("只有督查人员可以分解督查任务。")
    if item.status not in workflow.TASK_ITEM_PLANNING:
        raise WorkflowError(f"督查事项当前为“{item.status.label}”，不能再分解任务。")
    department = _department(session, data.department_id)
    if any(t.department_id == department.id and t.parent_id is None and t.status != TaskStatus.CANCELLED
           for t in item.tasks):
        raise ValidationError(f"{department.name}已有该事项的任务。")
    if data.role == TaskRole.LEAD and any(t.role == TaskRole.LEAD and t.parent_id is None
                                          and t.status != TaskStatus.CANCELLED for t in item.tasks):
        raise ValidationError("该事项已有牵头单位：其他单位请设为配合单位。")
    task = _new_task(session, actor, item, data, parent=None, department=department)
    audit.record(session, actor, "task.added", task,
                 f"{item.serial} 分解任务：{department.name}（{task.role.label}），完成时限 {task.due_on:%Y-%m-%d}",
                 {"department_id": department.id, "role": task.role, "due_on": task.due_on,
                  "milestones": len(task.milestones)})
    if item.status == ItemStatus.ISSUED:
        _go_out(session, actor, task, channels)
    refresh_item(item)
    return task


def split_task(session: Session, actor: User, parent: Task, data: TaskInput,
               channels: Iterable[str] = ("log",)) -> Task:
    """The lead unit splits its own task: a sub-task for a co-unit, which goes out at once."""
    if not permissions.can_act_on_task(actor, parent, TaskAction.SPLIT):
        raise PermissionDenied("只有牵头单位可以将本单位任务分解给配合单位。")
    workflow.next_task_status(parent.status, TaskAction.SPLIT)
    department = _department(session, data.department_id)
    if department.id == parent.department_id:
        raise ValidationError("子任务应分解给配合单位，不能分给本单位。")
    if any(c.department_id == department.id and c.status != TaskStatus.CANCELLED for c in parent.children):
        raise ValidationError(f"已向{department.name}分解过子任务。")
    data.role = TaskRole.CO
    task = _new_task(session, actor, parent.item, data, parent=parent, department=department)
    audit.record(session, actor, "task.split", task,
                 f"{parent.item.serial} {parent.department.name}分解子任务给{department.name}，完成时限 {task.due_on:%Y-%m-%d}",
                 {"parent_id": parent.id, "department_id": department.id, "due_on": task.due_on})
    _go_out(session, actor, task, channels)
    return task


def add_milestone(session: Session, actor: User, task: Task, data: MilestoneInput) -> TaskMilestone:
    if not permissions.can_manage_task_items(actor):
        raise PermissionDenied("只有督查人员可以设置任务节点。")
    if task.is_finished or task.status == TaskStatus.APPLIED:
        raise WorkflowError(f"该任务当前为“{task.status.label}”，不能再增加节点。")
    start = task.assigned_at.date() if task.assigned_at else clock.today()
    rows = _milestones(session, task, [data], start)
    if not rows:
        raise ValidationError("请填写节点名称。")
    milestone = rows[0]
    task.milestones.append(milestone)
    session.flush()
    refresh_task(session, task)
    audit.record(session, actor, "task.milestone_added", task,
                 f"{task.item.serial} {task.department.name} 增加节点：{milestone.title}（{milestone.due_on:%Y-%m-%d}）",
                 {"title": milestone.title, "due_on": milestone.due_on})
    return milestone


def cancel_task(session: Session, actor: User, task: Task, reason: str, expected_version: int | None = None) -> Task:
    reason = _text(reason, "请填写撤销理由。")
    if any(c.is_open for c in task.children):
        raise WorkflowError("该任务还有未办结的子任务，请先撤销子任务。")
    _task_step(session, actor, task, TaskAction.CANCEL, f"撤销：{reason}", {"reason": reason}, expected_version)
    refresh_task(session, task)
    settle(session, actor, task_key("task", task.id, "sign"), task_key("task", task.id, "review"),
           *deadline_tasks(task))
    if task.department_id:
        _tell_unit(session, task, "督查任务已撤销", reason)
    _close_item_if_done(session, actor, task.item)
    return task


# --- the unit's work -----------------------------------------------------------------------------------
def sign_task(session: Session, actor: User, task: Task, expected_version: int | None = None) -> Task:
    _task_step(session, actor, task, TaskAction.SIGN, "签收", expected_version=expected_version)
    task.received_at, task.received_by_id = clock.now(), actor.id
    settle(session, actor, task_key("task", task.id, "sign"))
    refresh_task(session, task, after=clock.today())
    return task


def report_progress(session: Session, actor: User, task: Task, percent: int | None, content: str,
                    difficulties: str = "", milestone_ids: Iterable[int] = (),
                    files: Sequence[StoredFile] = (), expected_version: int | None = None,
                    channels: Iterable[str] = ("log",)) -> TaskReport:
    """进度反馈: answers the report due (late if after it), may mark milestones reached, and moves the
    next report date on."""
    content = _text(content, "请填写工作进展。")
    if percent is None or not 0 <= percent <= 100:
        raise ValidationError("完成进度应为 0 至 100 之间的整数。")
    today = clock.today()
    due = task.next_report_on
    late = office_calendar(session).workdays_overdue(due, today) if due is not None and due < today else 0
    _task_step(session, actor, task, TaskAction.REPORT, f"反馈进度 {percent}%" + (f"（逾期 {late} 个工作日）" if late else ""),
               {"percent": percent, "due_on": due, "workdays_late": late}, expected_version)
    report = TaskReport(task=task, percent=percent, content=content, difficulties=_text(difficulties), due_on=due,
                        workdays_late=late, submitted_at=clock.now(), submitted_by_id=actor.id)
    session.add(report)
    session.flush()
    wanted = set(milestone_ids)
    reached = []
    for milestone in task.milestones:
        if milestone.id in wanted and milestone.done_on is None:
            milestone.done_on, milestone.report_id = today, report.id
            reached.append(task_key("task_milestone", milestone.id, "handle"))
    settle(session, actor, task_key("task_report", task.id, "handle"), *reached)  # the report owed is given
    for stored in files:
        session.add(TaskAttachment(item_id=task.item_id, task_id=task.id, report_id=report.id,
                                   original_name=stored.original_name, stored_name=stored.stored_name,
                                   media_type=stored.media_type, size=stored.size, sha256=stored.sha256,
                                   uploaded_at=clock.now(), uploaded_by_id=actor.id))
    task.progress = percent
    task.last_report_at = report.submitted_at
    task.report_count += 1
    if late:
        task.late_report_count += 1
    refresh_task(session, task, after=max(today, due) if due else today)
    if task.parent is not None:
        _tell_unit(session, task.parent, "配合单位报送进展", f"{task.department.name}：{percent}%。", channels,
                   kind="result")
    return report


def write_instruction(session: Session, actor: User, report: TaskReport, text: str,
                      channels: Iterable[str] = ("log",)) -> TaskInstruction:
    """领导批示 on a report: recorded, audited and told to the unit."""
    if not permissions.can_instruct_on_task_report(actor):
        raise PermissionDenied("只有领导可以在进度反馈上批示。")
    text = _text(text, "请填写批示内容。")
    task = report.task
    if task.status == TaskStatus.CANCELLED:
        raise WorkflowError("该任务已撤销，不能再批示。")
    instruction = TaskInstruction(report=report, task_id=task.id, text=text, written_at=clock.now(),
                                  written_by_id=actor.id)
    session.add(instruction)
    session.flush()
    audit.record(session, actor, "task.instruction", instruction,
                 f"{task.item.serial} {actor.display_name}批示（{task.department.name}进度反馈）",
                 {"report_id": report.id, "text": text[:200]})
    _tell_unit(session, task, "领导批示", f"{actor.display_name}：{text}", channels, kind="instruct")
    return instruction


def apply_closure(session: Session, actor: User, task: Task, summary: str, expected_version: int | None = None,
                  channels: Iterable[str] = ("log",)) -> TaskClosure:
    summary = _text(summary, "请填写办结情况。")
    if any(c.is_open or c.status == TaskStatus.PLANNED for c in task.children):
        raise WorkflowError("该任务还有未办结的子任务，子任务销号后才能申请办结。")
    _task_step(session, actor, task, TaskAction.APPLY, "申请办结", expected_version=expected_version)
    closure = TaskClosure(task=task, summary=summary, applied_at=clock.now(), applied_by_id=actor.id)
    session.add(closure)
    task.closed_late = clock.today() > task.due_on
    refresh_task(session, task)
    _tell_office(session, task.item, "办结申请待复核", f"{task.department.name}（{task.role.label}）申请办结。",
                 task_link(task), channels, kind="review", about=_task_about(task, "review"))
    return closure


def review_closure(session: Session, actor: User, task: Task, accept: bool, note: str = "",
                   expected_version: int | None = None, channels: Iterable[str] = ("log",)) -> Task:
    """复核: 销号 (the item closes with its last task) or 退回 with the reason."""
    note = _text(note)
    closure = task.pending_closure
    if closure is None:
        raise WorkflowError("该任务没有待复核的办结申请。")
    if accept:
        _task_step(session, actor, task, TaskAction.CLOSE, "复核销号", {"note": note}, expected_version)
        closure.decision, task.closed_at = ClosureDecision.CLOSED, clock.now()
        task.progress = 100
    else:
        if not note:
            raise ValidationError("请填写退回理由。")
        _task_step(session, actor, task, TaskAction.RETURN, f"退回：{note}", {"note": note}, expected_version)
        closure.decision = ClosureDecision.RETURNED
        task.closed_late = False
    closure.decided_at, closure.decided_by_id, closure.note = clock.now(), actor.id, note
    # 销号: every notice about the task's deadlines (the sweep's, a supervisor's 催办) needs the unit no more
    settle(session, actor, task_key("task", task.id, "review"), *(deadline_tasks(task) if accept else ()))
    refresh_task(session, task, after=clock.today() if not accept else None)
    _tell_unit(session, task, "任务已销号" if accept else "办结申请被退回", note, channels,
               kind="result" if accept else "returned")
    if accept:
        _close_item_if_done(session, actor, task.item)
    return task


def _close_item_if_done(session: Session, actor: User, item: TaskItem) -> None:
    if item.status != ItemStatus.ISSUED or not item.tasks:
        return
    if all(t.is_finished for t in item.tasks) and any(t.status == TaskStatus.CLOSED for t in item.tasks):
        old = item.status
        item.status = workflow.next_task_item_status(old, TaskItemAction.CLOSE)
        item.closed_at = clock.now()
        refresh_item(item)
        audit.record(session, actor, "task_item.close", item, f"{item.serial} 全部任务销号，督查事项办结",
                     {"status": [old, item.status]})


def grade_task(session: Session, actor: User, task: Task, grade: TaskGrade | None, score: int | None,
               note: str = "", expected_version: int | None = None) -> Task:
    """评价 of the unit's work on the task (a grade, a score, or both); may be corrected, each time audited."""
    if grade is None and score is None:
        raise ValidationError("请选择评价等次或填写评分。")
    if score is not None and not 0 <= score <= 100:
        raise ValidationError("评分应为 0 至 100 之间的整数。")
    note = _text(note)
    _task_step(session, actor, task, TaskAction.GRADE, f"评价：{'，'.join(x for x in (grade.label if grade else '', f'{score} 分' if score is not None else '') if x)}",
               {"grade": [task.grade, grade], "score": [task.score, score], "note": note}, expected_version)
    task.grade, task.score, task.grade_note = grade, score, note
    task.graded_at, task.graded_by_id = clock.now(), actor.id
    return task


def add_item_files(session: Session, actor: User, item: TaskItem, files: Sequence[StoredFile]) -> int:
    """The source document (批示件 scan, minutes) attached to the item."""
    if not permissions.can_manage_task_items(actor):
        raise PermissionDenied("只有督查人员可以上传督查事项附件。")
    if not files:
        raise ValidationError("请选择要上传的文件。")
    for stored in files:
        session.add(TaskAttachment(item_id=item.id, original_name=stored.original_name,
                                   stored_name=stored.stored_name, media_type=stored.media_type, size=stored.size,
                                   sha256=stored.sha256, uploaded_at=clock.now(), uploaded_by_id=actor.id))
    session.flush()
    audit.record(session, actor, "task_item.files", item, f"{item.serial} 上传附件 {len(files)} 个",
                 {"files": [f.original_name for f in files]})
    return len(files)


# --- 催办 / 督办 by hand ---------------------------------------------------------------------------------
def urge_task(session: Session, actor: User, task: Task, level, note: str, *, paperwork=None,
              channels: Iterable[str] = ("log",)):
    """A supervisor's own 催办 / 督办 of a running task, about the deadline it is watched on. A written
    督办 (书面 / 挂牌 / 提级) issues its numbered 督办通知书 at once (``paperwork``), as for matters."""
    import uuid

    from supervision.escalation.paperwork import issue_reminder_notice, needs_document
    from supervision.models.escalation import Escalation, EscalationKind, SupervisionLevel

    level = SupervisionLevel(level)
    if not permissions.can_escalate(actor):
        raise PermissionDenied("只有督查人员可以催办、督办。")
    if task.status not in schedule.RUNNING:
        raise WorkflowError(f"该任务当前为“{task.status.label}”，无需催办。")
    note = _text(note, "请填写催办、督办意见。")
    due = task.watch_on or task.due_on
    overdue = office_calendar(session).workdays_overdue(due, clock.today())
    kind = EscalationKind.URGE if level == SupervisionLevel.phone else EscalationKind.ESCALATION
    escalation = Escalation(
        event_key=f"manual:{uuid.uuid4().hex}", subject_type="task", subject_id=task.id, matter_id=None,
        department_id=task.department_id, kind=kind, level=level, due_on=due, workdays_overdue=overdue, note=note,
        issued_at=clock.now(), issued_by_id=actor.id)
    session.add(escalation)
    session.flush()
    audit.record(session, actor, f"escalation.{kind.value}", escalation,
                 f"{task.item.serial} {level.label}（{task.department.name}）", {"note": note, "due_on": due,
                                                                               "level": level})
    _tell_unit(session, task, level.label, note, channels, kind="deadline", ask="handle")
    if needs_document(escalation):
        if paperwork is None:
            raise ValueError("a written 督办 issues its notice: pass the paperwork")
        issue_reminder_notice(session, actor, escalation, paperwork, tuple(channels))
    return escalation
