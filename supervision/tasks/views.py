"""/tasks/: 督查事项. Office staff see every item (supervisors act, leaders review and write 批示, intake
reads); a unit (its department head) sees its own tasks only, and an item only through a task of its
own — anything else is a 404, so its existence is not told. The IT administrator gets 403."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from supervision import clock, office_settings, permissions, workflow
from supervision.documents import services as documents
from supervision.extensions import db
from supervision.forms import BaseForm, filters_status
from supervision.models.org import Department, Role, User
from supervision.models.tasks import (ItemStatus, Task, TaskAttachment, TaskGrade, TaskItem, TaskReport, TaskRole,
                                      TaskStatus)
from supervision.pagination import page_number
from supervision.pipeline import submit
from supervision.tasks import queries, services
from supervision.tasks.forms import (ApplyForm, CancelForm, ConfirmForm, FilesForm, GradeForm, InstructionForm,
                                     ItemForm, MilestoneForm, NoteForm, ReportForm, RequiredNoteForm, ReviewForm,
                                     SplitForm, TaskForm, UrgeForm, WarningForm, list_filters, parse_milestones,
                                     unit_filters)
from supervision.tasks.services import TaskInput
from supervision.web import paperwork, requires, send_stored, storage, uploaded
from supervision.workflow import TaskAction, TaskItemAction

bp = Blueprint("tasks", __name__, url_prefix="/tasks")

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _channels():
    return current_app.config.get("NOTIFY_CHANNELS", ["log"])


def _leaders() -> list[User]:
    return list(db.session.scalars(select(User).where(User.active, User.role == Role.LEADER)
                                   .order_by(User.display_name)))


def _departments() -> list[Department]:
    return list(db.session.scalars(select(Department).where(Department.active).order_by(Department.code)))


def load_item(item_id: int) -> TaskItem:
    item = queries.load_item(db.session, item_id)
    if item is None or not permissions.can_view_task_item(current_user, item):
        abort(404)
    return item


def load_task(task_id: int) -> Task:
    task = queries.load_task(db.session, task_id)
    if task is None or not permissions.can_view_task(current_user, task):
        abort(404)
    return task


def item_url(item_id: int, anchor: str = "") -> str:
    return url_for("tasks.detail", item_id=item_id) + anchor


def task_url(task_id: int, anchor: str = "") -> str:
    return url_for("tasks.task", task_id=task_id) + anchor


# --- lists ------------------------------------------------------------------------------------------------
@bp.get("/")
@requires(permissions.can_list_tasks)
def index():
    task_light, item_light = queries.lights(db.session)
    page = page_number(request.args.get("page"))
    if not permissions.can_view_every_task(current_user):
        form = unit_filters(request.args)
        status = filters_status(form)
        filters = queries.Filters(status=form.status.data or "", light=form.light.data or "", q=form.q.data or "")
        tasks = queries.unit_task_page(db.session, current_user, filters, page)
        return render_template("tasks/unit_index.html", form=form, page=tasks, task_light=task_light), status
    leaders = _leaders()
    form = list_filters(request.args, leaders, _departments())
    status = filters_status(form)
    mine = request.args.get("mine") == "1" and permissions.is_role(current_user, Role.LEADER)
    filters = queries.Filters(status=form.status.data or "", light=form.light.data or "",
                              source=form.source.data or "", leader=form.leader.data,
                              department=form.department.data, q=form.q.data or "", mine=mine)
    items = queries.item_page(db.session, current_user, filters, page)
    return render_template("tasks/index.html", form=form, page=items, item_light=item_light, mine=mine,
                           can_manage=permissions.can_manage_task_items(current_user),
                           is_leader=permissions.is_role(current_user, Role.LEADER)), status


# --- 立项 ------------------------------------------------------------------------------------------------
@bp.route("/new", methods=["GET", "POST"])
@requires(permissions.can_manage_task_items)
def new():
    form = ItemForm(_leaders())
    if request.method == "GET":
        form.source_date.data = None
    return submit(form, lambda: services.register_item(db.session, current_user, form.to_input()),
                  success=lambda item: f"已立项 {item.serial}。请分解任务后提交领导审核。",
                  then=lambda item: item_url(item.id), otherwise=lambda: render_template("tasks/new.html", form=form))


@bp.route("/<int:item_id>/edit", methods=["GET", "POST"])
@requires(permissions.can_manage_task_items)
def edit(item_id: int):
    item = load_item(item_id)
    form = ItemForm(_leaders())
    if request.method == "GET":
        form.fill(item)
    return submit(form, lambda: services.update_item(db.session, current_user, item, form.to_input(),
                                                     form.expected_version()),
                  success="立项内容已修改。", then=item_url(item.id),
                  otherwise=lambda: render_template("tasks/new.html", form=form, item=item))


# --- the item's page ----------------------------------------------------------------------------------------
ITEM_ACTIONS = {
    "submit": (TaskItemAction.SUBMIT, ConfirmForm, "已提交领导审核。"),
    "approve": (TaskItemAction.APPROVE, NoteForm, "已审核同意，督查人员可下发督查通知。"),
    "send_back": (TaskItemAction.SEND_BACK, RequiredNoteForm, "已退回修改。"),
    "issue": (TaskItemAction.ISSUE, ConfirmForm, "督查通知已生成并下发，各责任单位已收到签收通知。"),
    "cancel": (TaskItemAction.CANCEL, CancelForm, "督查事项已撤销。"),
}


def _run_item_action(name: str, item: TaskItem, form):
    version = form.expected_version()
    if name == "submit":
        return services.submit_item(db.session, current_user, item, version, _channels())
    if name == "approve":
        return services.approve_item(db.session, current_user, item, form.note.data, version, _channels())
    if name == "send_back":
        return services.send_back_item(db.session, current_user, item, form.note.data, version, _channels())
    if name == "issue":
        return services.issue_item(db.session, current_user, item, paperwork(), version, _channels())
    return services.cancel_item(db.session, current_user, item, form.note.data, version)


@bp.get("/<int:item_id>")
@requires(permissions.can_list_tasks)
def detail(item_id: int):
    return render_item(load_item(item_id))


def render_item(item: TaskItem, failed: dict | None = None, status: int = 200):
    user = current_user
    forms = {}
    for name, (action, form_class, _success) in ITEM_ACTIONS.items():
        if workflow.TASK_ITEM.allows(item.status, action) and permissions.can_act_on_task_item(user, item, action):
            forms[name] = form_class(formdata=None, version=item.version)
    can_manage = permissions.can_manage_task_items(user)
    if can_manage and item.status in workflow.TASK_ITEM_PLANNING:
        forms["add_task"] = TaskForm(_departments(), formdata=None)
        forms["files"] = FilesForm(formdata=None)
    if can_manage and item.is_open:
        forms["warning"] = WarningForm(formdata=None, version=item.version, warning_workdays=item.warning_workdays)
    forms.update(failed or {})
    task_light, item_light = queries.lights(db.session)
    notice = documents.latest(db.session, services.NOTICE_DOC_TYPE, services.NOTICE_SUBJECT, item.id)
    return render_template(
        "tasks/detail.html", item=item, tasks=queries.visible_tasks(user, item), forms=forms,
        failed_open=next(iter(failed or {}), None), task_light=task_light, light=item_light(item), notice=notice,
        can_manage=can_manage, is_office=permissions.can_view_every_task(user), csrf_form=BaseForm(),
        warning_workdays=queries.warning_of(item, office_settings.warning_workdays(db.session)),
        editable=can_manage and item.status == ItemStatus.DRAFT), status


@bp.post("/<int:item_id>/act/<name>")
@requires(permissions.can_list_tasks)
def item_act(item_id: int, name: str):
    item = load_item(item_id)
    action, form_class, success = ITEM_ACTIONS.get(name) or abort(404)
    if not permissions.can_act_on_task_item(current_user, item, action):
        abort(403)
    form = form_class()
    return submit(form, lambda: _run_item_action(name, item, form), success=success, then=item_url(item.id),
                  otherwise=lambda: render_item(db.session.get(TaskItem, item.id), {name: form}, 400))


def _task_input(form) -> TaskInput:
    return TaskInput(department_id=form.department_id.data, role=TaskRole(form.role.data or TaskRole.CO.value),
                     due_on=form.due_on.data, responsible_person=form.responsible_person.data or "",
                     responsible_phone=form.responsible_phone.data or "", requirements=form.requirements.data or "",
                     milestones=parse_milestones(form.milestones.data))


@bp.post("/<int:item_id>/tasks")
@requires(permissions.can_manage_task_items)
def add_task(item_id: int):
    item = load_item(item_id)
    form = TaskForm(_departments())
    return submit(form, lambda: services.add_task(db.session, current_user, item, _task_input(form), _channels()),
                  success=lambda task: f"已将任务分解给{task.department.name}（{task.role.label}）。",
                  then=item_url(item.id, "#tasks"),
                  otherwise=lambda: render_item(db.session.get(TaskItem, item.id), {"add_task": form}, 400))


@bp.post("/<int:item_id>/warning")
@requires(permissions.can_manage_task_items)
def set_warning(item_id: int):
    item = load_item(item_id)
    form = WarningForm()
    return submit(form, lambda: services.set_item_warning(db.session, current_user, item, form.warning_workdays.data,
                                                          form.expected_version()),
                  success=lambda changes: "亮灯规则已保存。" if changes else "亮灯规则没有变化。", then=item_url(item.id),
                  otherwise=lambda: render_item(db.session.get(TaskItem, item.id), {"warning": form}, 400))


@bp.post("/<int:item_id>/files")
@requires(permissions.can_manage_task_items)
def add_files(item_id: int):
    item = load_item(item_id)
    form = FilesForm()
    return submit(form, lambda: services.add_item_files(db.session, current_user, item,
                                                        storage().save_all(db.session, uploaded(form.files))),
                  success=lambda n: f"已上传 {n} 个附件。", then=item_url(item.id),
                  otherwise=lambda: render_item(db.session.get(TaskItem, item.id), {"files": form}, 400))


@bp.get("/<int:item_id>/notice")
@requires(permissions.can_list_tasks)
def notice(item_id: int):
    """The 督查通知 as issued (its latest revision), for the office and the units it went to."""
    item = load_item(item_id)
    document = documents.latest(db.session, services.NOTICE_DOC_TYPE, services.NOTICE_SUBJECT, item.id) or abort(404)
    return send_stored(document.sha256, mimetype=DOCX,
                       download_name=document.filename, label="督查通知")


@bp.post("/<int:item_id>/notice")
@requires(permissions.can_manage_task_items)
def regenerate_notice(item_id: int):
    """重新生成督查通知 (the same number, a new revision) after tasks were added."""
    item = load_item(item_id)
    return submit(ConfirmForm(), lambda: services.generate_notice(db.session, current_user, item, paperwork()),
                  success=lambda d: f"已重新生成督查通知 {d.number}（第 {d.revision} 版）。", then=item_url(item.id),
                  otherwise=item_url(item.id))


@bp.get("/<int:item_id>/files/<int:attachment_id>")
@requires(permissions.can_list_tasks)
def item_file(item_id: int, attachment_id: int):
    item = load_item(item_id)
    attachment = db.get_or_404(TaskAttachment, attachment_id)
    if attachment.item_id != item.id or attachment.task_id is not None:
        abort(404)
    return _send(attachment)


def _send(attachment: TaskAttachment):
    return send_stored(attachment.sha256, mimetype=attachment.media_type,
                       download_name=attachment.original_name, label=f"附件“{attachment.original_name}”")


# --- one unit's task ---------------------------------------------------------------------------------------
MILESTONE_STATUSES = (TaskStatus.PLANNED, TaskStatus.ASSIGNED, TaskStatus.RECEIVED)
TASK_ACTIONS = {
    "sign": (TaskAction.SIGN, ConfirmForm, "已签收，请按要求报送工作进展。"),
    "report": (TaskAction.REPORT, ReportForm, "工作进展已报送。"),
    "split": (TaskAction.SPLIT, SplitForm, "子任务已分解给配合单位。"),
    "apply": (TaskAction.APPLY, ApplyForm, "办结申请已提交，待督查室复核。"),
    "review": (TaskAction.CLOSE, ReviewForm, "复核意见已保存。"),
    "grade": (TaskAction.GRADE, GradeForm, "评价已保存。"),
    "cancel": (TaskAction.CANCEL, CancelForm, "任务已撤销。"),
    "milestone": (None, MilestoneForm, "节点已增加。"),
    "urge": (None, UrgeForm, "已催办、督办，并已通知责任单位。"),
}


def _task_form(name: str, task: Task, **kwargs):
    form_class = TASK_ACTIONS[name][1]
    if form_class is ReportForm:
        return ReportForm(task, **kwargs)
    if form_class is SplitForm:
        return SplitForm([d for d in _departments() if d.id != task.department_id], **kwargs)
    return form_class(**kwargs)


def _available(name: str, task: Task) -> bool:
    action = TASK_ACTIONS[name][0]
    user = current_user
    if name == "milestone":
        return permissions.can_manage_task_items(user) and task.status in MILESTONE_STATUSES
    if name == "urge":
        return permissions.can_escalate(user) and task.status in (TaskStatus.ASSIGNED, TaskStatus.RECEIVED)
    if name == "review":
        return (task.pending_closure is not None and permissions.can_act_on_task(user, task, TaskAction.CLOSE))
    return workflow.TASK.allows(task.status, action) and permissions.can_act_on_task(user, task, action)


def _run_task_action(name: str, task: Task, form):
    version = getattr(form, "expected_version", lambda: None)()
    if name == "sign":
        return services.sign_task(db.session, current_user, task, version)
    if name == "report":
        files = storage().save_all(db.session, uploaded(form.files))
        return services.report_progress(db.session, current_user, task, form.percent.data, form.content.data,
                                        form.difficulties.data or "", form.milestone_ids.data or [], files, version,
                                        _channels())
    if name == "split":
        return services.split_task(db.session, current_user, task, _task_input(form), _channels())
    if name == "apply":
        return services.apply_closure(db.session, current_user, task, form.summary.data, version, _channels())
    if name == "review":
        return services.review_closure(db.session, current_user, task, form.decision.data == "close",
                                       form.note.data or "", version, _channels())
    if name == "grade":
        grade = TaskGrade(form.grade.data) if form.grade.data else None
        return services.grade_task(db.session, current_user, task, grade, form.score.data, form.note.data or "",
                                   version)
    if name == "cancel":
        return services.cancel_task(db.session, current_user, task, form.note.data, version)
    if name == "urge":
        return services.urge_task(db.session, current_user, task, form.level.data, form.note.data,
                                  paperwork=paperwork(), channels=_channels())
    return services.add_milestone(db.session, current_user, task, services.MilestoneInput(
        form.title.data, form.expected_result.data or "", form.due_on.data, form.workdays.data))


@bp.get("/task/<int:task_id>")
@requires(permissions.can_list_tasks)
def task(task_id: int):
    return render_task(load_task(task_id))


def render_task(task: Task, failed: dict | None = None, status: int = 200):
    from supervision.tasks.schedule import watch_label

    failed = dict(failed or {})
    failed_report = failed.pop("_report_id", None)
    failed_instruction = failed.pop("instruction", None)
    forms = {}
    for name in TASK_ACTIONS:
        if _available(name, task):
            form = _task_form(name, task, formdata=None)
            if hasattr(form, "version"):
                form.version.data = str(task.version)
            forms[name] = form
    forms.update(failed)
    task_light, _ = queries.lights(db.session)
    can_instruct = permissions.can_instruct_on_task_report(current_user)
    return render_template(
        "tasks/task.html", task=task, item=task.item, forms=forms, failed_open=next(iter(failed), None),
        light=task_light(task), watch_label=watch_label(task), escalations=queries.escalations_of(db.session, task),
        children=[c for c in task.children if permissions.can_view_task(current_user, c)],
        can_instruct=can_instruct, instruction_form=failed_instruction or InstructionForm(formdata=None),
        failed_report=failed_report, is_office=permissions.can_view_every_task(current_user),
        csrf_form=BaseForm(), today=clock.today()), status


@bp.post("/task/<int:task_id>/act/<name>")
@requires(permissions.can_list_tasks)
def task_act(task_id: int, name: str):
    task = load_task(task_id)
    if name not in TASK_ACTIONS:
        abort(404)
    action = TASK_ACTIONS[name][0]
    if name == "urge":
        allowed = permissions.can_escalate(current_user)
    elif action is None:
        allowed = permissions.can_manage_task_items(current_user)
    else:
        allowed = permissions.can_act_on_task(current_user, task, action)
    if not allowed:
        abort(403)
    form = _task_form(name, task)
    return submit(form, lambda: _run_task_action(name, task, form), success=TASK_ACTIONS[name][2],
                  then=task_url(task.id), otherwise=lambda: render_task(db.session.get(Task, task.id), {name: form}, 400))


@bp.post("/report/<int:report_id>/instruction")
@requires(permissions.can_instruct_on_task_report)
def instruct(report_id: int):
    report = db.get_or_404(TaskReport, report_id)
    task = load_task(report.task_id)
    form = InstructionForm()
    return submit(form, lambda: services.write_instruction(db.session, current_user, report, form.text.data,
                                                           _channels()),
                  success="批示已保存，并已通知责任单位。", then=task_url(task.id, f"#report-{report.id}"),
                  otherwise=lambda: render_task(db.session.get(Task, task.id),
                                                {"_report_id": report.id, "instruction": form}, 400))


@bp.get("/task/<int:task_id>/files/<int:attachment_id>")
@requires(permissions.can_list_tasks)
def task_file(task_id: int, attachment_id: int):
    task = load_task(task_id)
    attachment = db.get_or_404(TaskAttachment, attachment_id)
    if attachment.task_id != task.id:
        abort(404)
    return _send(attachment)
