from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from flask import Blueprint, abort, current_app, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup

from supervision import clock, permissions
from supervision.ids import parse_id
from supervision.documents import services as documents
from supervision.extensions import db
from supervision.forms import BaseForm, filters_status
from supervision.models.org import Department
from supervision.models.rectification import RectificationEvidence, RectificationNotice, RectificationSource
from supervision.pagination import page_number
from supervision.pipeline import submit
from supervision.rectification import queries, services
from supervision.rectification.forms import IssueForm, ReportForm, VerifyForm
from supervision.rectification.queries import list_filters
from supervision.rectification.workflow import NoticeAction, item_actions
from supervision.web import (documents_folder, generate_and_send, light_helpers, once, requires, send_stored, storage,
                             uploaded, viewer)

bp = Blueprint("rectification", __name__, url_prefix="/rectification")


@bp.app_template_global()
def can_issue_rectification_from(matter) -> bool:
    """For the matter page: may this user issue a notice from this matter (a supervisor, a finding or a
    substantiated matter)?"""
    return permissions.can_issue_rectification(current_user) and services.can_be_rectified(matter)


def paperwork() -> services.Paperwork:
    return services.Paperwork(documents.office_profile(current_app.config), documents_folder())


def load_notice(notice_id: int) -> RectificationNotice:
    notice = db.get_or_404(RectificationNotice, notice_id)
    if not permissions.can_view_rectification(current_user, notice):
        abort(404)  # another department's notice: not even its existence is told
    return notice


# --- list ------------------------------------------------------------------------------------------
@bp.get("/")
@requires(permissions.can_list_rectification)
def index():
    form, filters = list_filters(request.args)
    status = filters_status(form)
    user = viewer()

    def listed() -> Listed:  # the counts and this page of the list: read and rendered once per business write
        today = clock.today()
        page = queries.list_page(db.session, user, filters, today, page_number(request.args.get("page")),
                                 current_app.config["PER_PAGE"])
        return Listed(Markup(render_template("rectification/_counts.html",
                                             counts=queries.open_counts(db.session, user, today))),
                      Markup(render_template("rectification/_table.html", page=page, today=today, **light_helpers())))

    kept = once("rectification.index", request.query_string, compute=listed)
    return render_template("rectification/index.html", form=form, listed=kept,
                           can_issue=permissions.can_issue_rectification(user)), status


@dataclass(frozen=True)
class Listed:
    """The list's counts and one page of it as rendered (kept until the next business write)."""

    counts: Markup
    table: Markup


# --- issue -----------------------------------------------------------------------------------------
@bp.route("/new", methods=["GET", "POST"])
@requires(permissions.can_issue_rectification)
def new():
    form = IssueForm()
    if request.method == "GET":
        _prefill(form, queries.matters_by_id(db.session, [i for i in map(parse_id, request.args.getlist("matter"))
                                                          if i][:50]))

    def issue():
        data = services.NoticeInput(
            department=db.session.get(Department, parse_id(form.department_id.data))
            if parse_id(form.department_id.data) else None,
            source=RectificationSource(form.source.data), problems=services.lines(form.problems.data),
            workdays=form.workdays.data if form.deadline_mode.data == "workdays" else None,
            due_on=form.due_on.data if form.deadline_mode.data == "date" else None,
            inspected_on=form.inspected_on.data, basis=form.basis.data,
            requirements=services.lines(form.requirements.data), consequence=form.consequence.data,
            contact_person=form.contact_person.data, contact_phone=form.contact_phone.data,
            matters=queries.matters_by_id(db.session, form.matter_id_list()))
        return services.issue_rectification_notice(db.session, current_user, data, paperwork=paperwork())

    def page():
        return render_template("rectification/new.html", form=form, choices=queries.rectifiable_matters(db.session),
                               sources=queries.matters_by_id(db.session, form.matter_id_list()))

    return submit(form, issue, success=lambda notice: f"已下发整改通知书 {notice.number}。", invalid=None,
                  then=lambda notice: url_for("rectification.detail", notice_id=notice.id), otherwise=page)


def _prefill(form: IssueForm, matters: list) -> None:
    profile = documents.office_profile(current_app.config)
    form.contact_person.data, form.contact_phone.data = profile.contact_person, profile.contact_phone
    matters = [m for m in matters if services.can_be_rectified(m)]
    if not matters:
        return
    first = matters[0]
    form.matter_ids.data = ",".join(str(m.id) for m in matters)
    department = first.respondent_department or first.lead_department
    if department is not None and department.active:
        form.department_id.data = str(department.id)
    source = services.SOURCE_OF_CHANNEL.get(first.channel.value, RectificationSource.COMPLAINT_CHECK)
    form.source.data = source.value
    form.inspected_on.data = first.inspected_on
    form.problems.data = "\n".join(line for m in matters for line in services.problems_of(m))


# --- the notice page -------------------------------------------------------------------------------
@bp.get("/<int:notice_id>")
@requires(permissions.can_list_rectification)
def detail(notice_id: int):
    return render_detail(load_notice(notice_id))


def item_prefix(item_id: int) -> str:
    """Each item's forms get their own field names and ids, so every <label for> points at its own field."""
    return f"item{item_id}"


def render_detail(notice: RectificationNotice, failed: dict | None = None, status: int = 200):
    user = current_user
    item_forms: dict[int, dict] = {}
    for item in notice.items:
        forms = {}
        for action in item_actions(notice.status, item.status):
            name = "report" if action == NoticeAction.REPORT else "verify"
            if permissions.can_act_on_rectification(user, notice, action) and name not in forms:
                forms[name] = (failed or {}).get((name, item.id)) or ITEM_ACTIONS[name].form_class(
                    formdata=None, prefix=item_prefix(item.id))
        item_forms[item.id] = forms
    can_sign = (permissions.can_act_on_rectification(user, notice, NoticeAction.SIGN)
                and notice.status.value == "issued")
    return render_template(
        "rectification/detail.html", notice=notice, item_forms=item_forms, can_sign=can_sign,
        csrf_form=BaseForm(), today=clock.today(), document=services.latest_document(db.session, notice),
        can_regenerate=permissions.can_act_on_rectification(user, notice, NoticeAction.REGENERATE),
        is_office=permissions.is_role(user, *permissions.OFFICE_ROLES), **light_helpers()), status


@dataclass(frozen=True)
class NoticeAct:
    form_class: type
    action: NoticeAction  # the right the view checks (403 without it)
    run: Callable  # (actor, notice or item, form) -> None
    success: str


NOTICE_ACTIONS: dict[str, NoticeAct] = {
    "sign": NoticeAct(BaseForm, NoticeAction.SIGN, lambda u, n, f: services.sign_notice(db.session, u, n),
                      "已签收整改通知书。"),
}
ITEM_ACTIONS: dict[str, NoticeAct] = {
    "report": NoticeAct(ReportForm, NoticeAction.REPORT, lambda u, i, f: services.report_item(
        db.session, u, i, f.content.data, files=uploaded(f.files), storage=storage()), "整改情况已报送。"),
    "verify": NoticeAct(VerifyForm, NoticeAction.ACCEPT, lambda u, i, f: services.verify_item(
        db.session, u, i, f.decision.data == "accept", f.note.data), "验收意见已保存。"),
}


def _run(notice: RectificationNotice, spec: NoticeAct, form, target, failed_key):
    """One action of the notice page through the pipeline; a refused form is shown again on the page."""
    notice_id = notice.id

    def page():
        db.session.expire_all()
        return render_detail(db.session.get(RectificationNotice, notice_id), {failed_key: form})

    return submit(form, lambda: spec.run(current_user, target, form), success=spec.success, otherwise=page,
                  then=url_for("rectification.detail", notice_id=notice_id),
                  stale="该整改通知书已被他人修改，请刷新页面查看最新内容后重试。")


@bp.post("/<int:notice_id>/act/<name>")
@requires(permissions.can_list_rectification)
def act(notice_id: int, name: str):
    notice = load_notice(notice_id)
    spec = NOTICE_ACTIONS.get(name) or abort(404)
    if not permissions.can_act_on_rectification(current_user, notice, spec.action):
        abort(403)
    return _run(notice, spec, spec.form_class(), notice, (name, None))


@bp.post("/<int:notice_id>/items/<int:item_id>/<name>")
@requires(permissions.can_list_rectification)
def item_act(notice_id: int, item_id: int, name: str):
    notice = load_notice(notice_id)
    spec = ITEM_ACTIONS.get(name) or abort(404)
    item = next((i for i in notice.items if i.id == item_id), None) or abort(404)
    if not permissions.can_act_on_rectification(current_user, notice, spec.action):
        abort(403)
    return _run(notice, spec, spec.form_class(prefix=item_prefix(item.id)), item, (name, item.id))


# --- the document and the evidence -----------------------------------------------------------------
@bp.post("/<int:notice_id>/document")
@requires(permissions.can_list_rectification)
def document(notice_id: int):
    """Generate a new revision of the 整改通知书 (same 文号) and send it."""
    notice = load_notice(notice_id)
    if not permissions.can_act_on_rectification(current_user, notice, NoticeAction.REGENERATE):
        abort(403)
    if not BaseForm().validate_on_submit():
        abort(400)
    return generate_and_send(
        lambda: services.regenerate_document(db.session, current_user, notice, paperwork=paperwork()),
        url_for("rectification.detail", notice_id=notice.id))


@bp.get("/<int:notice_id>/evidence/<int:evidence_id>")
@requires(permissions.can_list_rectification)
def evidence(notice_id: int, evidence_id: int):
    notice = load_notice(notice_id)
    file = db.get_or_404(RectificationEvidence, evidence_id)
    if file.report.item.notice_id != notice.id:
        abort(404)
    return send_stored(file.sha256, mimetype=file.media_type,
                       download_name=file.original_name, label=f"佐证材料“{file.original_name}”")
