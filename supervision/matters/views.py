from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Callable

from flask import (Blueprint, abort, current_app, flash, g, jsonify, redirect, render_template, request, session,
                   url_for)
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select

from supervision import clock, permissions
from supervision.calendar import MAX_YEAR, MIN_YEAR
from supervision.deadlines import compute_due, limit_for
from supervision.documents import services as documents
from supervision.errors import NonWorkdayError, StaleObjectError
from supervision.extensions import db
from supervision.forms import BaseForm, BatchForm, filters_status
from supervision.ids import parse_id
from supervision.matters import paperwork, queries, services
from supervision.matters.forms import (AcceptForm, AssignForm, AssignmentForm, ClassifyForm, CorrectForm,
                                       DecideExtensionForm, DuplicateForm, ExtensionForm, MergeForm, InstructForm,
                                       ProposeForm, FollowUpForm, IdentityForm, NoteForm, ReasonForm, RegisterForm,
                                       BatchReviewForm, ReplyForm, ReturnForm, ReviewForm, ReworkForm, SummaryForm, WaiveForm,
                                       find_keyword_ids, list_filters)
from supervision.models.calendar import LimitStep
from supervision.models.documents import GeneratedDocument
from supervision.models.matters import (AssignmentStatus, Attachment, Category, Channel, ComplaintClass, Extension, Matter, MatterKind,
                                        MatterStatus, Satisfaction)
from supervision.models.org import Department
from supervision.pagination import page_number
from supervision.pipeline import perform, perform_each, submit
from supervision.web import (documents_folder, generate_and_send, letters, light_helpers, once, requires, send_stored,
                             storage, uploaded, viewer, with_csrf)
from supervision.workflow import Action

bp = Blueprint("matters", __name__, url_prefix="/matters")
# While intake decides what to do with a matter, possible duplicates are worth showing.
TRIAGE_STATUSES = frozenset({MatterStatus.REGISTERED, MatterStatus.ACCEPTED, MatterStatus.RETURNED})


def _department(raw) -> Department | None:
    return db.session.get(Department, parse_id(raw)) if parse_id(raw) else None


def load_matter(matter_id: int) -> Matter:
    return queries.viewable_matter(db.session, current_user, matter_id) or abort(404)


# --- lists -----------------------------------------------------------------------------------------
@bp.get("/")
@requires(permissions.can_list_matters)
def index():
    user = viewer()
    form, filters = list_filters(request.args, user, keyword_ids=False)
    status = filters_status(form)
    batch = batch_actions(user, filters.status)
    reviewing = bool(batch) and batch[0][0] == "matters.batch_review"
    back = request.query_string.decode("utf-8", "replace")

    def listed() -> ListedPage:  # the table of this page: read and rendered once per business write
        find_keyword_ids(filters, user)
        page = queries.list_page(db.session, user, filters, page_number(request.args.get("page")),
                                 current_app.config["PER_PAGE"])
        ids = tuple(m.id for m in page.items)
        table = render_template("matters/_table.html", page=page, batch=batch, back=back,
                                review_replies=queries.replies_awaiting_review(db.session, list(ids)) if reviewing else {},
                                **light_helpers())
        # Found by a complainant's name or phone: an identity look, audited on every view (below)
        matched = (tuple(queries.identity_matches(db.session, filters.q, list(ids)))
                   if filters.q and permissions.can_view_identity(user) else ())
        return ListedPage(Markup(table), ids, matched, g.get("search_list_capped"), bool(g.get("search_behind")))

    from supervision.search.service import index_state

    listed_page = once("matters.index", back, index_state() if filters.q else (), compute=listed,
                       keep=lambda found: not found.search_behind)
    g.search_list_capped, g.search_behind = listed_page.search_list_capped, listed_page.search_behind
    if listed_page.identity_matched:  # else nothing to record
        perform(lambda: services.record_identity_search(db.session, user, list(listed_page.identity_matched),
                                                        "事项台账关键词"), bookkeeping=True)
    return render_template("matters/index.html", listed=listed_page, table=with_csrf(listed_page.table), form=form,
                           batch=batch, batch_form=batch_form(batch), back=back), status


@dataclass(frozen=True)
class ListedPage:
    """A page of the ledger as rendered (kept until the next business write): its table, the ids on it,
    those an office keyword search found by the complainant's identity (each view of them is audited),
    and what the keyword index said."""

    table: Markup
    ids: tuple[int, ...]
    identity_matched: tuple[tuple[int, str], ...]
    search_list_capped: int | None
    search_behind: bool


def batch_form(batch) -> BaseForm | None:
    from supervision.escalation.forms import BatchUrgeForm

    if not batch:
        return None
    return {"escalation.batch_urge": BatchUrgeForm, "matters.batch_review": BatchReviewForm}.get(
        batch[0][0], BatchForm)(formdata=None)


def batch_actions(user, status: str = "") -> list[tuple[str, str]]:
    """The batch actions of the ledger this user may take: (endpoint, button). The list of reports
    awaiting review (状态 待审核) is where a reviewer approves several at once; elsewhere a supervisor urges."""
    if status == MatterStatus.REPLIED.value and permissions.can_review_replies(user):
        return [("matters.batch_review", "批量审核通过")]
    if permissions.can_escalate(user):
        return [("escalation.batch_urge", "批量催办")]
    if permissions.is_role(user, permissions.Role.DEPT_HEAD):
        return [("matters.batch_sign", "批量签收")]
    return []


@bp.post("/batch/sign")
@requires(permissions.can_list_matters)
def batch_sign():
    """批量签收: a department head signs for their department's part of each ticked matter — each its own
    ``sign_assignment`` (checked, audited, committed on its own); the flash says what was and was not."""
    form = BatchForm()
    back = url_for("matters.index") + form.back_query()
    if not permissions.is_role(current_user, permissions.Role.DEPT_HEAD):
        abort(403)
    if not form.validate_on_submit() or not form.chosen_ids():
        flash("请先勾选要签收的事项。", "error")
        return redirect(back)
    perform_each(((queries.batch_label(db.session, current_user, matter_id), lambda matter_id=matter_id: _sign_own_part(matter_id))
                  for matter_id in form.chosen_ids()), done="签收")
    return redirect(back)


def _sign_own_part(matter_id: int) -> None:
    matter = queries.viewable_matter(db.session, current_user, matter_id)
    if matter is None:
        raise services.PermissionDenied("找不到该事项，或不是交给本单位的事项。")
    waiting = next((a for a in matter.assignments if a.department_id == current_user.department_id
                    and a.status == AssignmentStatus.ASSIGNED), None)
    if waiting is None:
        raise services.WorkflowError("本单位没有待签收的交办（可能已签收或已退回）。")
    services.sign_assignment(db.session, current_user, waiting)


@bp.post("/batch/review")
@requires(permissions.can_review_replies)
def batch_review():
    """批量审核通过 from the 待审核 list: each ticked matter goes through the single review's own
    ``review_reply`` — its version as the row was read, the permission, the 协办意见 rule, the audit row,
    the 处理意见书 and the notices — and is committed on its own; the flash says what was and was not."""
    form = BatchReviewForm()
    back = url_for("matters.index") + form.back_query()
    if not form.validate_on_submit() or not form.chosen_ids():
        flash("请先勾选要审核通过的办结报告。", "error")
        return redirect(back)
    policy = letters()

    def approve(matter_id: int) -> None:
        matter = queries.viewable_matter(db.session, current_user, matter_id)
        if matter is None:
            raise services.PermissionDenied("找不到该事项。")
        version = form.version_of(matter_id)
        if version is None:  # a tick without the version its row was read at is never approved unchecked
            raise StaleObjectError()
        services.review_reply(db.session, current_user, matter, True, form.note.data or "",
                              expected_version=version, letters=policy)

    perform_each(((queries.batch_label(db.session, current_user, matter_id), lambda matter_id=matter_id: approve(matter_id))
                  for matter_id in form.chosen_ids()), done="审核通过")
    return redirect(back)


# --- registration ----------------------------------------------------------------------------------
@bp.route("/new/<kind>", methods=["GET", "POST"])
@requires(permissions.can_register_matter)
def new(kind: str):
    if kind not in MatterKind._value2member_map_:
        abort(404)
    kind = MatterKind(kind)
    form = RegisterForm(kind, received_on=clock.today())

    def register():
        data = services.MatterInput(
            kind=kind, channel=Channel(form.channel.data), title=form.title.data, content=form.content.data,
            summary=form.summary.data, received_on=form.received_on.data,
            category=db.session.get(Category, int(form.category_id.data)) if form.category_id.data else None,
            respondent_department=_department(form.respondent_department_id.data),
            respondent_unit=form.respondent_unit.data, respondent_person=form.respondent_person.data,
            anonymous=form.anonymous.data, confidential=form.confidential.data,
            inspected_on=form.inspected_on.data, place=form.place.data, inspectors=form.inspectors.data,
            problems=form.problems.data,
            identity=services.IdentityInput(form.name.data, form.phone.data, form.id_number.data,
                                            form.address.data, form.work_unit.data, form.email.data or ""))
        return services.register_matter(db.session, current_user, data, files=uploaded(form.files), storage=storage())

    return submit(form, register, success=lambda matter: f"已登记 {matter.serial}，查询码 {matter.query_code}。",
                  then=lambda matter: url_for("matters.detail", matter_id=matter.id), invalid=None,
                  otherwise=lambda: render_template("matters/new.html", form=form, kind=kind, accept_due=accept_deadline(
                      kind, form.received_on.data, form.category_id.data)), status=200)


def accept_deadline(kind: MatterKind, received_on, category_raw) -> str:
    """受理时限 of a registration as the form stands (收件日期, 问题类别), from the office's rules and calendar."""
    if not isinstance(received_on, date) or not MIN_YEAR <= received_on.year <= MAX_YEAR:
        return "受理时限：填写收件日期后显示。"
    category = db.session.get(Category, parse_id(category_raw)) if parse_id(category_raw) else None
    limit = limit_for(db.session, LimitStep.ACCEPT, kind.value,
                      category.id if category is not None and category.matter_kind == kind else None)
    due = compute_due(db.session, received_on, limit)
    return (f"受理时限：收件之日起 {limit.label}，计至 {due.due:%Y-%m-%d}" + ("（推定）" if due.provisional else "")
            + "。")


@bp.get("/deadline/<kind>")
@requires(permissions.can_register_matter)
def deadline(kind: str):
    """The 受理时限 the registration form shows as it is filled in (static/js/app.js, data-deadline-url)."""
    if kind not in MatterKind._value2member_map_:
        abort(404)
    try:
        received_on = date.fromisoformat(request.args.get("received_on", "")[:10])
    except ValueError:
        received_on = None
    return jsonify(text=accept_deadline(MatterKind(kind), received_on, request.args.get("category_id")))


# --- the matter page -------------------------------------------------------------------------------
@bp.get("/<int:matter_id>")
@requires(permissions.can_list_matters)
def detail(matter_id: int):
    user = viewer()
    if permissions.can_view_identity(user) and str(matter_id) in revealed_by(user):
        # The complainant's identity is on the page: each view of it is an audited look, never kept.
        return render_detail(queries.viewable_matter(db.session, user, matter_id, for_page=True) or abort(404))

    def page() -> tuple[str, Markup] | None:  # read and rendered once per business write for this viewer
        matter = queries.viewable_matter(db.session, user, matter_id, for_page=True)
        return None if matter is None else (matter.serial, detail_body(matter))

    shown = once("matters.detail", matter_id, compute=page) or abort(404)
    return render_template("matters/detail.html", serial=shown[0], body=with_csrf(shown[1]))


def render_detail(matter: Matter, failed: dict | None = None, status: int = 200):
    """The matter's page as this request alone shows it: with a form that came back with errors, or with
    the complainant's identity the viewer opened."""
    return render_template("matters/detail.html", serial=matter.serial, body=detail_body(matter, failed)), status


def detail_body(matter: Matter, failed: dict | None = None) -> Markup:
    """The matter's page without its layout (``matters/_detail.html``)."""
    user = viewer()
    present = queries.panels_present(db.session, matter.id)  # one statement: the panels not to look up
    identity, identity_reason = None, None
    seen = revealed_by(user)
    if permissions.can_view_identity(user) and str(matter.id) in seen:
        identity_reason = seen[str(matter.id)]
        # Seeing the identity is itself recorded (audited and committed) before the page shows it.
        identity = perform(lambda: services.view_identity(db.session, user, matter, identity_reason),
                           bookkeeping=True).result
    forms = action_forms(matter)
    forms.update(failed or {})
    if "assign" in forms:
        _assign_hints(forms["assign"], matter)
    attachments = db.session.scalars(select(Attachment).where(Attachment.matter_id == matter.id)
                                     .order_by(Attachment.id)).all() if "attachment" in present else []
    attachments = [a for a in attachments if permissions.can_view_attachment(user, matter, a)]
    duplicates = queries.possible_duplicates(db.session, matter) if (
        permissions.can_view_identity(user) and matter.status in TRIAGE_STATUSES) else []
    merged = queries.duplicates_of(db.session, matter) if (
        "duplicate" in present and permissions.can_view_content(user)) else []
    events = [e for e in matter.events if permissions.can_view_event(user, e.audience, e.department_id)]
    assignments = [a for a in matter.assignments if permissions.can_view_assignment(user, a)]
    generated = [d for d in db.session.scalars(select(GeneratedDocument).where(
        GeneratedDocument.matter_id == matter.id).order_by(GeneratedDocument.id.desc()))
        if permissions.can_download_document(user, d.department_id, d.doc_type)] if "document" in present else []
    from supervision.escalation.forms import UrgeForm
    from supervision.escalation.queries import escalations_of

    escalations = [e for e in escalations_of(db.session, matter.id)
                   if permissions.can_view_event(user, "department", e.department_id)] if "escalation" in present else []
    urge_form = UrgeForm() if permissions.can_escalate(user) and any(a.is_open for a in matter.assignments) else None
    from supervision.clues.queries import clue_for_matter, may_become_clue

    clue = clue_for_matter(db.session, user, matter) if "clue" in present else None
    waive_form = (failed or {}).get("waive") or (WaiveForm() if permissions.can_waive_co_opinion(user) else None)
    return Markup(render_template(
        "matters/_detail.html", matter=matter, escalations=escalations, waive_form=waive_form,
        final_reply=permissions.final_reply_for_co_handler(user, matter), urge_form=urge_form, assignments=assignments, forms=forms, identity=identity, identity_reason=identity_reason,
        **complainant_panel(matter, user, present),
        identity_form=IdentityForm(), attachments=attachments, duplicates=duplicates, merged=merged, events=events,
        generated=generated, can_generate=permissions.can_generate_documents(user), csrf_form=BaseForm(),
        can_view_identity=permissions.can_view_identity(user), can_view_content=permissions.can_view_content(user),
        clue=clue, may_become_clue=clue is None and may_become_clue(user, matter), **light_helpers()))


def complainant_panel(matter: Matter, user, present: frozenset[str]) -> dict:
    """告知书 and 复查 / 复核 on the matter page: office staff only (their files are addressed by name).
    ``present``: the matter's panels that have rows (``queries.panels_present``) — without a notice there
    is neither a notice to list nor a window to ask for a review in."""
    from supervision.complainants import services as complainants
    from supervision.complainants.forms import DeliveredForm, ReviewDecisionForm, ReviewRequestForm

    if not permissions.can_view_identity(user):
        return {"complainant_notices": [], "reviews": {}}
    reviews = complainants.reviews_of(db.session, matter) if "review_request" in present else {}
    can_record = "complainant_notice" in present and permissions.can_register_matter(user) and any(
        complainants.review_window(db.session, matter, stage) for stage in complainants.ReviewStage)
    notices = complainants.notices_of(db.session, matter) if "complainant_notice" in present else []
    return {"complainant_notices": notices, "reviews": reviews,
            "delivered_form": DeliveredForm(), "review_request_form": ReviewRequestForm(requested_on=clock.today())
            if can_record else None,
            "review_decision_form": ReviewDecisionForm() if permissions.is_role(
                user, permissions.Role.SUPERVISOR, permissions.Role.LEADER) else None,
            "concluded_original": services.concluded_original(matter), "today": clock.today()}


def action_forms(matter: Matter) -> dict:
    """The forms this user may use on this matter now, keyed by action name."""
    user, version = viewer(), matter.version
    forms: dict = {}
    for name, spec in ACTIONS.items():
        if spec.available(user, matter):
            form = spec.form(matter, formdata=None, version=version)
            forms[name] = form
    for assignment in matter.assignments:
        if permissions.can_act_on_assignment(user, assignment):
            forms.setdefault("assignment_forms", {})[assignment.id] = {
                name: spec.form_class(formdata=None, version=version, assignment_id=assignment.id)
                for name, spec in ASSIGNMENT_ACTIONS.items() if spec.available(assignment)}
    _unique_ids(forms)
    if "review" in forms and matter.lead_assignment and matter.lead_assignment.replies:
        forms["review"].public_reply.data = matter.lead_assignment.replies[-1].public_reply
    if "review" in forms:  # a rework's deadline by the rule, said before the supervisor sends it back
        limit, due = services.rework_deadline(db.session, matter)
        field = forms["review"].new_due_on
        field.label.text = (f"重办时限（退回重办时适用；留空按规定时限 {limit.label} 自今日重新计算，至 {due.due:%Y-%m-%d}"
                            + ("，推定" if due.provisional else "") + "）")
        field.render_kw = {**(field.render_kw or {}), "placeholder": f"{due.due:%Y-%m-%d}"}
    if "propose" in forms:
        forms["propose"].note.data = matter.proposed_handling
    if "instruct" in forms:
        forms["instruct"].note.data = matter.leader_instruction
    if "correct" in forms:
        forms["correct"].fill(matter)
    if "summary" in forms:
        forms["summary"].summary.data = matter.summary
        forms["summary"].assigned_title.data = matter.assigned_title
    if "assign" in forms:
        forms["assign"].assigned_title.data = matter.assigned_title
        lead = services.suggested_lead(matter)
        if lead is not None:
            forms["assign"].lead_id.data = str(lead.id)
    if "reopen" in forms:  # the rule's new deadline, shown and editable (docs/domain.md §3)
        forms["reopen"].new_due_on.data = services.rework_deadline(db.session, matter)[1].due
    for name in ("summary", "assign"):
        if name in forms:  # the approved text, or the citizen's for intake to rewrite or confirm
            forms[name].assigned_respondent_unit.data = _or(matter.assigned_respondent_unit, matter.respondent_unit)
            forms[name].assigned_respondent_person.data = _or(matter.assigned_respondent_person,
                                                              matter.respondent_person)
    if "reject" in forms and services.concluded_original(matter) is not None:
        forms["reject"].note.data = (f"该事项与 {services.concluded_original(matter).serial} 为同一事项，"
                                     "已经复核终结，依照《信访工作条例》不再受理。")
    if "accept" in forms:
        if matter.kind == MatterKind.FINDING:
            del forms["accept"].complaint_class  # the office's own inspection has no 信访类别
        elif forms["accept"].complaint_class.data is None and matter.kind == MatterKind.SUGGESTION:
            forms["accept"].complaint_class.data = "proposal"
    return forms


def _assign_hints(form: AssignForm, matter: Matter) -> None:
    """The 交办 form says, before it is sent, the deadline a blank date gets (computed by
    ``supervision.deadlines``) and that the proposed 主办单位 is the 被反映单位 (回避 asks why)."""
    limit, due = services.assignment_due(db.session, matter)
    form.due_on.label.text = (f"办理时限（留空按规定时限 {limit.label}，计至 {due.due:%Y-%m-%d}"
                              + ("，推定" if due.provisional else "") + "）")
    form.due_on.render_kw = {**(form.due_on.render_kw or {}), "placeholder": f"{due.due:%Y-%m-%d}"}
    if (matter.respondent_department_id is not None and form.lead_id.data == str(matter.respondent_department_id)
            and services.recusal_applies(matter)):
        form.avoidance_reason.label.text = "回避例外理由（主办单位按被反映单位预填；交其本单位办理须填写理由，否则请另选主办单位）"


def _unique_ids(forms: dict) -> None:
    """Many forms share field names (note, version …) on one page: give each its own HTML ids so
    every label points at its own field."""
    def rename(key: str, form) -> None:
        for fld in form:
            fld.id = f"{key}-{fld.name}"
            fld.label.field_id = fld.id

    for key, form in forms.items():
        if key == "assignment_forms":
            for assignment_id, named in form.items():
                for name, sub in named.items():
                    rename(f"a{assignment_id}-{name}", sub)
        else:
            rename(key.replace(":", "-"), form)


@dataclass(frozen=True)
class MatterAction:
    form_class: type
    run: Callable  # (actor, matter, form) -> None
    success: str
    action: Action | None = None
    when: Callable | None = None  # (user, matter) -> bool, for an action outside the workflow
    per_matter: bool = False  # the form's choices depend on the matter (its kind)

    def form(self, matter: Matter, **kwargs):
        return self.form_class(matter=matter, **kwargs) if self.per_matter else self.form_class(**kwargs)

    def available(self, user, matter: Matter) -> bool:
        from supervision.workflow import TRANSITIONS

        if self.when is not None:
            return self.when(user, matter)
        if self.action is None:
            return permissions.can_act(user, matter, Action.ASSIGN) and matter.is_open
        return permissions.can_act(user, matter, self.action) and (matter.status, self.action) in TRANSITIONS


def _or(approved: str | None, received: str) -> str:
    return received if approved is None else approved


def _given(field) -> str | None:
    """A field's text, or None when the form did not carry it at all (keep what is stored)."""
    return (field.data or "") if field.raw_data else None


def _registration(matter: Matter, form: CorrectForm) -> services.RegistrationInput:
    category = db.session.get(Category, parse_id(form.category_id.data)) if parse_id(form.category_id.data) else None
    finding = matter.kind == MatterKind.FINDING
    return services.RegistrationInput(
        title=form.title.data or "", channel=Channel(form.channel.data), received_on=form.received_on.data,
        category=category, respondent_department=_department(form.respondent_department_id.data),
        respondent_unit=form.respondent_unit.data or "", respondent_person=form.respondent_person.data or "",
        inspected_on=form.inspected_on.data if finding else None, place=(form.place.data or "") if finding else "",
        inspectors=(form.inspectors.data or "") if finding else "")


def _extension(matter: Matter, form) -> Extension:
    extension = db.session.get(Extension, parse_id(form.extension_id.data)) if parse_id(form.extension_id.data) else None
    if extension is None or extension.assignment.matter_id != matter.id:
        abort(404)
    return extension


ACTIONS: dict[str, MatterAction] = {
    "accept": MatterAction(AcceptForm, lambda u, m, f: services.accept_matter(
        db.session, u, m, f.note.data, complaint_class=f.chosen_class(m), expected_version=f.expected_version(),
        letters=letters()),
        "已受理。", Action.ACCEPT),
    "propose": MatterAction(ProposeForm, lambda u, m, f: services.propose_handling(
        db.session, u, m, f.note.data, expected_version=f.expected_version()), "拟办意见已保存，已提请领导批示。",
        when=lambda u, m: permissions.can_propose_handling(u) and m.status in services.BEFORE_ASSIGNMENT),
    "instruct": MatterAction(InstructForm, lambda u, m, f: services.instruct(
        db.session, u, m, f.note.data, expected_version=f.expected_version()), "批示已保存。",
        when=lambda u, m: permissions.can_instruct(u) and m.status in services.BEFORE_ASSIGNMENT),
    "classify": MatterAction(ClassifyForm, lambda u, m, f: services.correct_complaint_class(
        db.session, u, m, ComplaintClass(f.complaint_class.data), f.note.data, expected_version=f.expected_version()),
        "信访类别已更正。", when=lambda u, m: permissions.can_classify_matter(u) and m.kind != MatterKind.FINDING
        and m.is_open and m.status != MatterStatus.REGISTERED),
    "reject": MatterAction(ReasonForm, lambda u, m, f: services.reject_matter(
        db.session, u, m, f.note.data, expected_version=f.expected_version(), letters=letters()),
        "已作不予受理处理。", Action.REJECT),
    "duplicate": MatterAction(DuplicateForm, lambda u, m, f: services.file_as_duplicate(
        db.session, u, m, _original(f.original.data), f.note.data, expected_version=f.expected_version()),
        "已作为重复件存查。", Action.FILE_DUPLICATE),
    "correct": MatterAction(CorrectForm, lambda u, m, f: services.correct_registration(
        db.session, u, m, _registration(m, f), f.note.data, expected_version=f.expected_version()),
        "登记信息已更正。", when=lambda u, m: permissions.can_register_matter(u) and m.status in services.BEFORE_ASSIGNMENT,
        per_matter=True),
    "merge": MatterAction(MergeForm, lambda u, m, f: services.file_as_duplicate(
        db.session, u, m, _listed_original(m, f.original_id.data), expected_version=f.expected_version()),
        "已并入原件，本件作为重复件存查；证据材料已转入原件。", Action.FILE_DUPLICATE),
    "summary": MatterAction(SummaryForm, lambda u, m, f: services.update_summary(
        db.session, u, m, f.summary.data, f.expected_version(), assigned_title=_given(f.assigned_title),
        assigned_respondent_unit=_given(f.assigned_respondent_unit),
        assigned_respondent_person=_given(f.assigned_respondent_person)),
        "交办标题和摘要已保存。"),
    "assign": MatterAction(AssignForm, lambda u, m, f: services.assign_matter(
        db.session, u, m, lead=_department(f.lead_id.data) or abort(400),
        co_handling=[d for d in map(_department, f.co_ids.data or []) if d], requirements=f.requirements.data,
        due_on=f.due_on.data, avoidance_reason=f.avoidance_reason.data, expected_version=f.expected_version(),
        assigned_title=_given(f.assigned_title), assigned_respondent_unit=_given(f.assigned_respondent_unit),
        assigned_respondent_person=_given(f.assigned_respondent_person), letters=letters()),
        "已交办。", Action.ASSIGN),
    "decide_extension": MatterAction(DecideExtensionForm, lambda u, m, f: services.decide_extension(
        db.session, u, _extension(m, f), f.decision.data == "approve", f.note.data, f.new_due_on.data,
        letters=letters()),
        "延期申请已审批。", Action.DECIDE_EXTENSION),
    "review": MatterAction(ReviewForm, lambda u, m, f: services.review_reply(
        db.session, u, m, f.decision.data == "approve", f.note.data, public_reply=f.public_reply.data,
        new_due=f.new_due_on.data, expected_version=f.expected_version(), letters=letters()), "审核意见已保存。",
        Action.APPROVE),
    "follow_up": MatterAction(FollowUpForm, lambda u, m, f: services.record_follow_up(
        db.session, u, m, Satisfaction(f.satisfaction.data), f.note.data, expected_version=f.expected_version()),
        "回访结果已记录。", Action.FOLLOW_UP),
    "reopen": MatterAction(ReworkForm, lambda u, m, f: services.reopen_for_rework(
        db.session, u, m, f.note.data, new_due=f.new_due_on.data, expected_version=f.expected_version()),
        "已退回重办。", Action.REOPEN),
    "close": MatterAction(NoteForm, lambda u, m, f: services.close_matter(
        db.session, u, m, f.note.data, expected_version=f.expected_version()), "已办结。", Action.CLOSE),
    "archive": MatterAction(NoteForm, lambda u, m, f: services.archive_matter(
        db.session, u, m, expected_version=f.expected_version()), "已归档。", Action.ARCHIVE),
}


@dataclass(frozen=True)
class AssignmentAction:
    form_class: type
    run: Callable  # (actor, assignment, form) -> None
    success: str
    open_statuses: tuple[str, ...]

    def available(self, assignment) -> bool:
        return assignment.status.value in self.open_statuses


ASSIGNMENT_ACTIONS: dict[str, AssignmentAction] = {
    "sign": AssignmentAction(AssignmentForm, lambda u, a, f: services.sign_assignment(
        db.session, u, a, expected_version=f.expected_version()), "已签收。", ("assigned",)),
    "return": AssignmentAction(ReturnForm, lambda u, a, f: services.return_assignment(
        db.session, u, a, f.note.data, expected_version=f.expected_version()), "已退回交办单位。",
        ("assigned", "received")),
    "extension": AssignmentAction(ExtensionForm, lambda u, a, f: services.request_extension(
        db.session, u, a, f.requested_due_on.data, f.note.data), "延期申请已提交，请等待审批。", ("received",)),
    "reply": AssignmentAction(ReplyForm, lambda u, a, f: services.submit_reply(
        db.session, u, a, f.result.data, f.public_reply.data, files=uploaded(f.files), storage=storage(),
        expected_version=f.expected_version()), "办理结果已报送。", ("received",)),
}


def _listed_original(matter: Matter, raw_id) -> Matter:
    """The original picked from the page's possible duplicates (并入此件)."""
    original = db.session.get(Matter, parse_id(raw_id)) if parse_id(raw_id) else None
    if original is None:
        raise services.ValidationError("找不到要并入的事项，请刷新页面后重试。")
    return original


def _original(serial: str) -> Matter:
    original = db.session.scalar(select(Matter).where(Matter.serial == serial.strip().upper()))
    if original is None:
        raise services.ValidationError(f"找不到编号为 {serial} 的事项。")
    return original


def _run(matter: Matter, form, run: Callable, success: str, form_key: str, target):
    """One action of the matter page through the pipeline; a refused form is shown again, open, on the page."""
    matter_id = matter.id

    def refused(error: Exception) -> None:
        if isinstance(error, services.AvoidanceRequired):
            form.avoidance_reason.errors = [str(error)]
        if isinstance(error, NonWorkdayError):  # offer the next working day in the date field typed
            field = next((f for f in form if f.type == "DateField" and f.data == error.day), None)
            if field is not None:
                field.data, field.raw_data = error.next_workday, [error.next_workday.isoformat()]
                field.errors = [str(error)]

    def page():
        db.session.expire_all()
        return render_detail(db.session.get(Matter, matter_id), {form_key: form})

    return submit(form, lambda: run(current_user, target, form), success=success, refused=refused,
                  then=url_for("matters.detail", matter_id=matter_id), otherwise=page)


@bp.post("/<int:matter_id>/act/<name>")
@requires(permissions.can_list_matters)
def act(matter_id: int, name: str):
    matter = load_matter(matter_id)
    spec = ACTIONS.get(name) or abort(404)
    if not spec.available(current_user, matter) and (spec.action is None or not permissions.can_act(
            current_user, matter, spec.action)):
        abort(403)
    return _run(matter, spec.form(matter), spec.run, spec.success, name, matter)


@bp.post("/<int:matter_id>/waive/<int:assignment_id>")
@requires(permissions.can_waive_co_opinion)
def waive(matter_id: int, assignment_id: int):
    """免于等待协办意见: the lead's reply may then be approved without this co-handler's opinion."""
    matter = load_matter(matter_id)
    assignment = next((a for a in matter.assignments if a.id == assignment_id), None) or abort(404)
    form = WaiveForm()

    def page():
        db.session.expire_all()
        return render_detail(db.session.get(Matter, matter_id), {"waive": form})

    return submit(form, lambda: services.waive_co_opinion(db.session, current_user, assignment, form.reason.data),
                  success="已免于等待该单位的协办意见。", then=url_for("matters.detail", matter_id=matter_id),
                  otherwise=page)


@bp.post("/<int:matter_id>/assignment/<name>")
@requires(permissions.can_list_matters)
def assignment_act(matter_id: int, name: str):
    matter = load_matter(matter_id)
    spec = ASSIGNMENT_ACTIONS.get(name) or abort(404)
    form = spec.form_class()
    assignment = form.assignment_of(matter) or abort(404)
    if not permissions.can_act_on_assignment(current_user, assignment):
        abort(403)
    return _run(matter, form, spec.run, spec.success, f"assignment:{assignment.id}:{name}", assignment)


# --- documents -------------------------------------------------------------------------------------
@bp.post("/<int:matter_id>/assignments/<int:assignment_id>/slip")
@requires(permissions.can_generate_documents)
def assignment_slip(matter_id: int, assignment_id: int):
    """Generate (or regenerate, keeping its number) the 交办单 of one assignment, and send it."""
    matter = load_matter(matter_id)
    assignment = next((a for a in matter.assignments if a.id == assignment_id), None) or abort(404)
    if not BaseForm().validate_on_submit():
        abort(400)
    object_limit = limit_for(db.session, LimitStep.OBJECT, matter.kind.value)
    return generate_and_send(lambda: documents.generate(
        db.session, current_user, doc_type="assignment_slip", subject=("assignment", assignment.id),
        build_data=lambda number: paperwork.assignment_slip(assignment, number, object_limit.amount),
        profile=documents.office_profile(current_app.config), folder=documents_folder(),
        matter_id=matter.id, department_id=assignment.department_id),
        url_for("matters.detail", matter_id=matter.id))


# --- identity and files ----------------------------------------------------------------------------
REVEALED_KEY = "identity_seen"


def revealed_by(user) -> dict[str, str]:
    """{matter id: reason} of the identities this user revealed in this session. Only the user who gave
    a reason has it (the session is also cleared at login and logout; this guards the rest)."""
    entry = session.get(REVEALED_KEY)
    if not isinstance(entry, dict) or entry.get("owner") != user.get_id():
        return {}
    return dict(entry.get("matters") or {})


@bp.post("/<int:matter_id>/identity")
@requires(permissions.can_view_identity)
def reveal_identity(matter_id: int):
    matter = load_matter(matter_id)
    form = IdentityForm()
    if form.validate_on_submit():
        seen = revealed_by(current_user)
        seen[str(matter.id)] = form.reason.data
        session[REVEALED_KEY] = {"owner": current_user.get_id(), "matters": seen}
    else:
        flash("请填写查看反映人信息的事由。", "error")
    return redirect(url_for("matters.detail", matter_id=matter.id) + "#identity")


@bp.get("/<int:matter_id>/files/<int:attachment_id>")
@requires(permissions.can_list_matters)
def download(matter_id: int, attachment_id: int):
    matter = load_matter(matter_id)
    attachment = db.get_or_404(Attachment, attachment_id)
    if attachment.matter_id != matter.id or not permissions.can_view_attachment(current_user, matter, attachment):
        abort(404)
    office = permissions.can_view_identity(current_user)
    if office and attachment.is_evidence:  # the complainant's own files: the identity gate (docs/domain.md §14)
        reason = revealed_by(current_user).get(str(matter.id))
        if reason is None:
            flash("证据材料属于反映人信息：请先填写事由查看反映人信息及原文，再下载。", "error")
            return redirect(url_for("matters.detail", matter_id=matter.id) + "#identity")
        if not perform(lambda: services.record_evidence_download(db.session, current_user, matter, attachment,
                                                                 reason), bookkeeping=True).ok:
            return redirect(url_for("matters.detail", matter_id=matter.id))
    # A department head sees a neutral name: an original file name can carry a complainant's name.
    name = attachment.original_name if office else neutral_name(attachment)
    return send_stored(attachment.sha256, mimetype=attachment.media_type,
                       download_name=name, label=f"附件“{name}”")


def neutral_name(attachment: Attachment) -> str:
    suffix = Path(attachment.original_name).suffix.lower()[:6]
    return f"附件{attachment.id}{suffix}"
