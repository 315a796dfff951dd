"""/clues/: the clue register, office staff only. A department head or liaison gets 403 on every page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from supervision import clock, permissions
from supervision.clues import forms as clue_forms
from supervision.clues import notices, queries, services, workflow
from supervision.complainants.forms import DeliveredForm
from supervision.clues.forms import (AddresseeForm, ApproveForm, ClearanceForm, DeclineForm, FalseAccusationForm,
                                     FromMatterForm, InquiryReplyForm, IssueInquiryForm, NoteForm, OutcomeForm,
                                     PeriodForm, PlanForm, ProposeForm, RegisterForm, ReporterForm, ServeForm,
                                     VerificationReportForm, WorkForm, list_filters, parse_people)
from supervision.clues.workflow import ClueAction
from supervision.extensions import db
from supervision.forms import BaseForm, filters_status
from supervision.models.clues import (Clue, ClueAttachment, ClueInquiry, ClueReporterNotice, ClueSource, ClueStatus,
                                      DisposalWay, InquiryOutcome, VerificationResult)
from supervision.models.complainants import DeliveryMethod
from supervision.models.documents import GeneratedDocument
from supervision.models.matters import Matter
from supervision.pipeline import perform, submit
from supervision.web import documents_folder, generate_and_send, letters, requires, send_stored, storage, uploaded

bp = Blueprint("clues", __name__, url_prefix="/clues")


def load_clue(clue_id: int) -> Clue:
    return db.get_or_404(Clue, clue_id)


def back_to(clue_id: int, anchor: str = "") -> str:
    return url_for("clues.detail", clue_id=clue_id) + anchor


def redisplay(clue_id: int, name: str, form):
    """The clue page again, the refused form open with its input kept."""
    return lambda: render_detail(db.session.get(Clue, clue_id), {name: form})


# --- the register --------------------------------------------------------------------------------
@bp.get("/")
@requires(permissions.can_view_clues)
def index():
    form, criteria = list_filters(request.args)
    status = filters_status(form)
    clues = queries.list_clues(db.session, current_user, **criteria)
    return render_template("clues/index.html", clues=clues, form=form, today=clock.today(),
                           can_register=permissions.can_register_clue(current_user),
                           can_stats=permissions.can_view_statistics(current_user)), status


@bp.route("/new", methods=["GET", "POST"])
@requires(permissions.can_register_clue)
def new():
    form = RegisterForm(received_on=clock.today())

    def register():
        return services.register_clue(db.session, current_user, services.ClueInput(
            source=ClueSource(form.source.data), summary=form.summary.data, people=parse_people(form.people.data),
            received_on=form.received_on.data, source_note=form.source_note.data, real_name=form.real_name.data,
            reporter=services.ReporterInput(form.reporter_name.data, form.reporter_phone.data,
                                            form.reporter_id_number.data, form.reporter_address.data,
                                            form.reporter_work_unit.data)), letters=letters())

    return submit(form, register, success=lambda clue: f"已登记问题线索 {clue.serial}。",
                  then=lambda clue: back_to(clue.id), otherwise=lambda: render_template("clues/new.html", form=form))


@bp.route("/from-matter/<int:matter_id>", methods=["GET", "POST"])
@requires(permissions.can_register_clue)
def from_matter(matter_id: int):
    """转为问题线索: an accepted 检举控告 about an official."""
    matter = db.get_or_404(Matter, matter_id)
    existing = queries.clue_for_matter(db.session, current_user, matter)
    if existing is not None:
        return redirect(url_for("clues.detail", clue_id=existing.id))
    form = FromMatterForm(version=matter.version)
    if request.method == "GET":
        form.summary.data = matter.summary
        form.people.data = "，".join(x for x in (matter.respondent_person, matter.respondent_unit) if x)
    return submit(
        form, lambda: services.clue_from_matter(db.session, current_user, matter, parse_people(form.people.data),
                                                form.summary.data, expected_version=form.expected_version()),
        success=lambda clue: f"事项 {matter.serial} 已转为问题线索 {clue.serial}，不再交办被反映人所在单位。",
        then=lambda clue: back_to(clue.id),
        otherwise=lambda: render_template("clues/from_matter.html", form=form, matter=matter,
                                          convertible=services.can_convert(matter)))


@bp.get("/statistics")
@requires(permissions.can_view_statistics)
def statistics():
    """线索统计 of a period (this year by default)."""
    today = clock.today()
    form = PeriodForm(request.args)
    form.validate()
    date_from, date_to = form.date_from.data or today.replace(month=1, day=1), form.date_to.data or today
    if date_from > date_to:
        flash("起始日期不能晚于截止日期。", "error")
        date_from, date_to = date_to, date_from
    form.date_from.data, form.date_to.data = date_from, date_to
    figures = queries.clue_statistics(db.session, date_from, date_to, today)
    return render_template("clues/statistics.html", form=form, figures=figures, date_from=date_from, date_to=date_to)


# --- the clue page -------------------------------------------------------------------------------
@bp.get("/<int:clue_id>")
@requires(permissions.can_view_clues)
def detail(clue_id: int):
    return render_detail(load_clue(clue_id))


def render_detail(clue: Clue, failed: dict | None = None, status: int = 200, reporter=None, reporter_reason=""):
    user = current_user
    forms = {name: spec.form_class(formdata=None, version=clue.version)
             for name, spec in ACTIONS.items() if spec.available(user, clue)}
    if permissions.can_handle_clue(user):
        if clue.status == ClueStatus.INQUIRY and clue.open_inquiry is None:
            forms["issue_inquiry"] = IssueInquiryForm(clue, formdata=None, version=clue.version)
        for inquiry in clue.inquiries:
            for name, form_class in INQUIRY_FORMS.items():
                if workflow.inquiry_allows(inquiry.status, workflow.InquiryAction(name)) and not inquiry.needs_addressee:
                    forms[f"inquiry:{inquiry.id}:{name}"] = (
                        form_class(formdata=None, version=clue.version) if form_class is OutcomeForm
                        else form_class(formdata=None))
        for name, (form_class, available, _run, _success) in CASE_ACTIONS.items():
            if available(clue):
                forms[name] = form_class(formdata=None, version=clue.version)
    forms.update(failed or {})
    clearance = db.session.scalar(select(GeneratedDocument).where(
        GeneratedDocument.subject_type == "clue", GeneratedDocument.subject_id == clue.id,
        GeneratedDocument.doc_type == "clearance_notice").order_by(GeneratedDocument.revision.desc()).limit(1))
    documents = {d.subject_id: d for d in db.session.scalars(select(GeneratedDocument).where(
        GeneratedDocument.subject_type == "clue_inquiry",
        GeneratedDocument.subject_id.in_([i.id for i in clue.inquiries])).order_by(GeneratedDocument.revision))}
    return render_template(
        "clues/detail.html", clue=clue, forms=forms, failed_open=next(iter(failed or {}), None), documents=documents,
        clearance=clearance, found_untrue=services.found_untrue(clue), can_handle=permissions.can_handle_clue(user),
        can_read_records=permissions.can_manage_talks(user),
        reporter=reporter, reporter_reason=reporter_reason, reporter_form=ReporterForm(),
        can_view_reporter=permissions.can_view_clue_reporter(user), people_text=clue_forms.people_text,
        today=clock.today(), csrf_form=BaseForm(), reporter_notices=notices.notices_of(db.session, clue),
        delivered_form=DeliveredForm()), status


@dataclass(frozen=True)
class ClueActionSpec:
    form_class: type
    run: Callable  # (actor, clue, form) -> None
    success: str
    action: ClueAction

    def available(self, user, clue: Clue) -> bool:
        return (permissions.can_act_on_clue(user, self.action) and workflow.is_allowed(clue.status, self.action)
                and not (self.action == ClueAction.PROPOSE and clue.status != ClueStatus.REGISTERED))


ACTIONS: dict[str, ClueActionSpec] = {
    "propose": ClueActionSpec(ProposeForm, lambda u, c, f: services.propose_disposal(
        db.session, u, c, DisposalWay(f.way.data), f.reason.data, review_on=f.review_on.data,
        expected_version=f.expected_version()), "处置意见已提出，待领导审批。", ClueAction.PROPOSE),
    "approve": ClueActionSpec(ApproveForm, lambda u, c, f: services.approve_disposal(
        db.session, u, c, f.note.data, f.studied_by.data, expected_version=f.expected_version()),
        "已批准处置意见。", ClueAction.APPROVE),
    "decline": ClueActionSpec(DeclineForm, lambda u, c, f: services.decline_disposal(
        db.session, u, c, f.note.data, expected_version=f.expected_version()), "已退回处置意见。", ClueAction.DECLINE),
    "review": ClueActionSpec(NoteForm, lambda u, c, f: services.review_shelved(
        db.session, u, c, f.note.data, expected_version=f.expected_version()), "线索已重新启用，请提出处置意见。",
        ClueAction.REVIEW),
}


@bp.post("/<int:clue_id>/act/<name>")
@requires(permissions.can_view_clues)
def act(clue_id: int, name: str):
    clue = load_clue(clue_id)
    spec = ACTIONS.get(name) or abort(404)
    if not permissions.can_act_on_clue(current_user, spec.action):
        abort(403)
    form = spec.form_class()
    return submit(form, lambda: spec.run(current_user, clue, form), success=spec.success, then=back_to(clue.id),
                  otherwise=redisplay(clue.id, name, form))


@bp.post("/<int:clue_id>/notices/<int:notice_id>/delivered")
@requires(permissions.can_view_clue_reporter)
def notice_delivered(clue_id: int, notice_id: int):
    """送达 of a notice to the reporter, given by post or in person."""
    notice = db.get_or_404(ClueReporterNotice, notice_id)
    if notice.clue_id != clue_id:
        abort(404)
    form = DeliveredForm()
    back = back_to(clue_id, "#reporter-notices")
    return submit(form, lambda: notices.record_delivery(db.session, current_user, notice,
                                                        DeliveryMethod(form.method.data)),
                  success="已登记送达。", then=back, otherwise=back)


@bp.post("/<int:clue_id>/reporter")
@requires(permissions.can_view_clue_reporter)
def reveal_reporter(clue_id: int):
    """查看举报人信息: with a reason, audited; shown on this answer only (never kept in the session)."""
    clue = load_clue(clue_id)
    form = ReporterForm()
    if not form.validate_on_submit():
        flash("请填写查看举报人信息的事由。", "error")
        return redirect(url_for("clues.detail", clue_id=clue.id))
    outcome = perform(lambda: services.view_reporter(db.session, current_user, clue, form.reason.data))
    if not outcome.ok:
        return redirect(back_to(clue.id))
    return render_detail(clue, reporter=outcome.result or False, reporter_reason=form.reason.data)


# --- 函询 to the person ----------------------------------------------------------------------------
def load_inquiry(inquiry_id: int) -> ClueInquiry:
    return db.get_or_404(ClueInquiry, inquiry_id)


@bp.post("/<int:clue_id>/inquiries")
@requires(permissions.can_handle_clue)
def issue_inquiry(clue_id: int):
    clue = load_clue(clue_id)
    form = IssueInquiryForm(clue)
    person = next((p for p in clue.people if p.id == form.person_id.data), None)
    return submit(form, lambda: services.issue_inquiry(
        db.session, current_user, clue, person, form.problems.data, form.party_committee.data,
        expected_version=form.expected_version()), success="函询已发出，请生成函询通知书并记录送达。",
        then=back_to(clue.id, "#inquiries"), otherwise=redisplay(clue.id, "issue_inquiry", form))


INQUIRY_FORMS = {"serve": ServeForm, "reply": InquiryReplyForm, "decide": OutcomeForm}


@bp.post("/inquiries/<int:inquiry_id>/act/<name>")
@requires(permissions.can_handle_clue)
def inquiry_act(inquiry_id: int, name: str):
    inquiry = load_inquiry(inquiry_id)
    form_class = INQUIRY_FORMS.get(name) or abort(404)
    form = form_class()
    key = f"inquiry:{inquiry.id}:{name}"
    runs = {
        "serve": (lambda: services.serve_inquiry(db.session, current_user, inquiry, form.served_on.data,
                                                 form.note.data), "已记录送达，回复期限自送达之日起计算。"),
        "reply": (lambda: services.record_inquiry_reply(
            db.session, current_user, inquiry, form.text.data, form.replied_on.data, form.countersigned_by.data,
            files=uploaded(form.files), storage=storage()), "书面说明已登记。"),
        "decide": (lambda: services.decide_inquiry_outcome(
            db.session, current_user, inquiry, InquiryOutcome(form.outcome.data), form.note.data,
            expected_version=form.expected_version()), "函询处理意见已记录。"),
    }
    run, success = runs[name]
    return submit(form, run, success=success, then=back_to(inquiry.clue_id, "#inquiries"),
                  otherwise=redisplay(inquiry.clue_id, key, form))


@bp.post("/inquiries/<int:inquiry_id>/notice")
@requires(permissions.can_handle_clue)
def inquiry_notice(inquiry_id: int):
    """函询通知书 to the person (generated, or regenerated with its number), sent as a download."""
    inquiry = load_inquiry(inquiry_id)
    if not BaseForm().validate_on_submit():
        abort(400)
    return generate_and_send(
        lambda: services.generate_inquiry_notice(db.session, current_user, inquiry, config=current_app.config,
                                                 folder=documents_folder()),
        url_for("clues.detail", clue_id=inquiry.clue_id) + "#inquiries")


@bp.get("/<int:clue_id>/files/<int:attachment_id>")
@requires(permissions.can_view_clues)
def download(clue_id: int, attachment_id: int):
    attachment = db.get_or_404(ClueAttachment, attachment_id)
    if attachment.clue_id != clue_id:
        abort(404)
    return send_stored(attachment.sha256, mimetype=attachment.media_type,
                       download_name=attachment.original_name, label=f"附件“{attachment.original_name}”")


# --- migrated unit-addressed 函询 that name no person ----------------------------------------------
@bp.get("/inquiries/incomplete")
@requires(permissions.can_view_clues)
def incomplete():
    return render_template("clues/incomplete.html", inquiries=queries.inquiries_without_addressee(db.session),
                           can_complete=permissions.can_register_clue(current_user), form=AddresseeForm())


@bp.post("/inquiries/<int:inquiry_id>/addressee")
@requires(permissions.can_register_clue)
def complete_addressee(inquiry_id: int):
    inquiry = load_inquiry(inquiry_id)
    form = AddresseeForm()
    return submit(form, lambda: services.complete_addressee(
        db.session, current_user, inquiry, form.name.data, form.unit.data, form.post.data, form.party_committee.data),
        success=f"已补全被函询人：{form.name.data}。", then=url_for("clues.incomplete"),
        otherwise=url_for("clues.incomplete"), invalid="请填写被函询人姓名和所在单位。")


# --- 初步核实, 澄清正名, 诬告陷害: the case officer's work ---------------------------------------------
def _verifying(clue: Clue) -> bool:
    return clue.status == ClueStatus.VERIFYING


CASE_ACTIONS: dict[str, tuple[type, Callable[[Clue], bool], Callable, str]] = {
    "plan": (PlanForm, lambda c: _verifying(c) and c.verification is None,
             lambda u, c, f: services.plan_verification(db.session, u, c, f.plan.data,
                                                        expected_version=f.expected_version()), "初核方案已记录。"),
    "work": (WorkForm, lambda c: _verifying(c) and c.verification is not None,
             lambda u, c, f: services.record_verification_work(db.session, u, c, f.work_done.data,
                                                               expected_version=f.expected_version()),
             "核实工作已记录。"),
    "report": (VerificationReportForm, lambda c: _verifying(c) and c.verification is not None,
               lambda u, c, f: services.report_verification(
                   db.session, u, c, f.report.data, VerificationResult(f.result.data),
                   found_untrue=f.found_untrue.data, receiving_body=f.receiving_body.data,
                   expected_version=f.expected_version()), "初核报告已提交。"),
    "clearance": (ClearanceForm, lambda c: services.found_untrue(c) and c.cleared_at is None,
                  lambda u, c, f: services.record_clearance(db.session, u, c, f.requested_by.data, f.note.data,
                                                            expected_version=f.expected_version()),
                  "已记录澄清正名，请生成澄清正名通知书。"),
    "false_accusation": (FalseAccusationForm, lambda c: services.found_untrue(c) and not c.false_accusation,
                         lambda u, c, f: services.flag_false_accusation(db.session, u, c, f.note.data,
                                                                        expected_version=f.expected_version()),
                         "已标记为诬告陷害。"),
}


@bp.post("/<int:clue_id>/case/<name>")
@requires(permissions.can_handle_clue)
def case_act(clue_id: int, name: str):
    clue = load_clue(clue_id)
    form_class, _available, run, success = CASE_ACTIONS.get(name) or abort(404)
    form = form_class()
    return submit(form, lambda: run(current_user, clue, form), success=success, then=back_to(clue.id, f"#{name}"),
                  otherwise=redisplay(clue.id, name, form))


@bp.post("/<int:clue_id>/clearance-notice")
@requires(permissions.can_handle_clue)
def clearance_notice(clue_id: int):
    clue = load_clue(clue_id)
    if not BaseForm().validate_on_submit():
        abort(400)
    return generate_and_send(
        lambda: services.generate_clearance_notice(db.session, current_user, clue, config=current_app.config,
                                                   folder=documents_folder()),
        url_for("clues.detail", clue_id=clue.id) + "#verification")
