from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from sqlalchemy import select

from supervision import clock, filestore, permissions
from supervision.errors import ValidationError
from supervision.extensions import db
from supervision.forms import BaseForm, filters_status
from supervision.ids import parse_id
from supervision.models.documents import GeneratedDocument
from supervision.models.matters import Matter
from supervision.models.org import Department
from supervision.models.talks import AdmonitionForm, AppealOutcome, InquiryConclusion, Talk, TalkAttachment, TalkKind
from supervision.paperwork.pdf import to_pdf
from supervision.pipeline import submit
from supervision.talks import queries, services, workflow
from supervision.talks.forms import (AppealDecisionForm, AppealForm, FollowUpForm, HoldForm, ServeForm, NoteForm, NotifyForm, ProposeForm, ReasonForm,
                                     RegisterForm, ReplyForm, matter_serials, parse_exchanges, parse_people,
                                     people_text)
from supervision.talks.queries import list_filters
from supervision.talks.workflow import TalkAction
from supervision.web import (documents_folder, generate_and_send, light_helpers, paperwork, requires, send_stored,
                             storage, uploaded)

bp = Blueprint("talks", __name__, url_prefix="/talks")
TALK_DOCUMENT_TYPES = frozenset({*services.DOCUMENT_RULES, services.APPEAL_DECISION, "talk_register"})


def load_talk(talk_id: int) -> Talk:
    """The whole file, or 404 — a department head learns nothing of a talk record, not even that it exists."""
    talk = db.get_or_404(Talk, talk_id)
    if not permissions.can_view_talk(current_user, talk):
        abort(404)
    return talk


# --- lists -----------------------------------------------------------------------------------------
@bp.get("/")
@requires(permissions.can_list_talks)
def index():
    form, criteria = list_filters(request.args)
    status = filters_status(form)
    talks = queries.list_talks(db.session, current_user, **criteria)
    return render_template("talks/index.html", talks=talks, form=form, kinds=TalkKind,
                           office=permissions.can_manage_talks(current_user),
                           can_propose=permissions.can_propose_talk(current_user), today=clock.today(),
                           **light_helpers()), status


# --- proposal --------------------------------------------------------------------------------------
@bp.route("/new/<kind>", methods=["GET", "POST"])
@requires(permissions.can_propose_talk)
def new(kind: str):
    if kind not in TalkKind._value2member_map_:
        abort(404)
    kind = TalkKind(kind)
    if kind == TalkKind.INQUIRY:  # a 函询 goes to the person, from the clue register (SPEC §12)
        flash("函询发给被反映人本人：请在问题线索中提出“谈话函询”处置意见，经批准后发出函询。", "info")
        return redirect(url_for("clues.index"))
    form = ProposeForm(kind)
    return submit(form, lambda: services.propose_talk(db.session, current_user, _talk_input(kind, form)),
                  success=lambda talk: f"已提出{kind.label} {talk.serial}，待领导审批。",
                  then=lambda talk: url_for("talks.detail", talk_id=talk.id),
                  otherwise=lambda: render_template("talks/new.html", form=form, kind=kind))


def _talk_input(kind: TalkKind, form: ProposeForm) -> services.TalkInput:
    raw = form.subject_department_id.data
    department = db.session.get(Department, parse_id(raw)) if parse_id(raw) else None
    serials = matter_serials(form.matters.data)
    matters = list(db.session.scalars(select(Matter).where(Matter.serial.in_(serials)))) if serials else []
    missing = sorted(set(serials) - {m.serial for m in matters})
    if missing:
        raise ValidationError(f"找不到编号为 {'、'.join(missing)} 的事项。")
    talk_fields = {}
    if kind != TalkKind.INQUIRY:
        recorders = parse_people(form.recorder.data)
        talk_fields = dict(scheduled_at=form.scheduled_at.data, place=form.place.data,
                           talkers=parse_people(form.talkers.data), recorder=recorders[0] if recorders else None)
        if "admonition_form" in form and form.admonition_form.data in AdmonitionForm._value2member_map_:
            talk_fields["admonition_form"] = AdmonitionForm(form.admonition_form.data)
    return services.TalkInput(
        kind=kind, subject_name=form.subject_name.data, reason=form.reason.data, subject_department=department,
        subject_unit=form.subject_unit.data, subject_post=form.subject_post.data,
        subject_party_branch=form.subject_party_branch.data, matters=matters, studied_by=form.studied_by.data,
        proposal_note=form.proposal_note.data, **talk_fields)


# --- the talk page ---------------------------------------------------------------------------------
@bp.get("/<int:talk_id>")
@requires(permissions.can_list_talks)
def detail(talk_id: int):
    return render_detail(load_talk(talk_id))


def render_detail(talk: Talk, failed: dict | None = None, status: int = 200):
    user = current_user
    forms = {name: spec.build(talk, formdata=None, version=talk.version)
             for name, spec in ACTIONS.items() if spec.available(user, talk)}
    forms.update(failed or {})
    if "notify" in forms and "scheduled_at" in forms["notify"]:
        forms["notify"].scheduled_at.data = forms["notify"].scheduled_at.data or talk.scheduled_at
        forms["notify"].place.data = forms["notify"].place.data or talk.place
    generated = [d for d in db.session.scalars(select(GeneratedDocument).where(
        GeneratedDocument.subject_type == "talk", GeneratedDocument.subject_id == talk.id)
        .order_by(GeneratedDocument.id.desc())) if permissions.can_download_document(user, d.department_id, d.doc_type)]
    if not permissions.can_manage_talks(user):
        generated = [d for d in generated if d.doc_type != "talk_record"]
        return render_template("talks/inquiry.html", talk=talk, forms=forms, generated=generated,
                               problems=[m.summary for m in talk.matters if m.summary.strip()],
                               **light_helpers()), status
    return render_template(
        "talks/detail.html", talk=talk, forms=forms, generated=generated, csrf_form=BaseForm(),
        can_generate=permissions.can_propose_talk(user), documents=services.available_documents(talk),
        document_title=services.document_title, today=clock.today(), people_text=people_text,
        appeal_form=(failed or {}).get("appeal") or (AppealForm() if permissions.can_propose_talk(user)
                                                      and talk.appeal_due_on and not talk.appeal_received_on else None),
        appeal_decision_form=(failed or {}).get("appeal_decision") or (
            AppealDecisionForm(decided_on=clock.today()) if permissions.can_decide_appeal(user)
            and talk.appeal_received_on and talk.appeal_outcome is None else None),
        failed_open=next(iter(failed or {}), None), **light_helpers()), status


@dataclass(frozen=True)
class TalkActionSpec:
    form_class: type
    run: Callable  # (actor, talk, form) -> None
    success: str
    action: TalkAction

    def available(self, user, talk: Talk) -> bool:
        return (permissions.can_act_on_talk(user, talk, self.action)
                and workflow.is_allowed(talk.kind, talk.status, self.action))

    def build(self, talk: Talk, **kwargs):
        if issubclass(self.form_class, FollowUpForm):
            return self.form_class(talk, **kwargs)
        if self.form_class is HoldForm and talk.is_written_admonition:
            return ServeForm(**kwargs)
        form = self.form_class(**kwargs)
        if isinstance(form, NotifyForm) and talk.is_written_admonition:  # served in writing: no time, no place
            for name in ("scheduled_at", "place", "rest_day_confirmed"):
                del form[name]
        return form


def _hold(user, talk: Talk, form: HoldForm) -> None:
    months = services.influence_months_from(current_app.config) if talk.kind == TalkKind.ADMONITION else None
    if isinstance(form, ServeForm):
        served = services.HeldInput(started_at=form.started_at.data, ended_at=form.started_at.data, exchanges=[],
                                    statement=form.statement.data or "", commitments=form.commitments.data or "")
        services.record_talk(db.session, user, talk, served, influence_months=months,
                             expected_version=form.expected_version())
        return
    held = services.HeldInput(started_at=form.started_at.data, ended_at=form.ended_at.data,
                              exchanges=parse_exchanges(form.exchanges.data), statement=form.statement.data,
                              commitments=form.commitments.data, place=form.place.data)
    services.record_talk(db.session, user, talk, held, influence_months=months,
                         expected_version=form.expected_version())


ACTIONS: dict[str, TalkActionSpec] = {
    "approve": TalkActionSpec(NoteForm, lambda u, t, f: services.approve_talk(
        db.session, u, t, f.note.data, expected_version=f.expected_version()), "已批准。", TalkAction.APPROVE),
    "decline": TalkActionSpec(ReasonForm, lambda u, t, f: services.decline_talk(
        db.session, u, t, f.note.data, expected_version=f.expected_version()), "已不予批准。", TalkAction.DECLINE),
    "notify": TalkActionSpec(NotifyForm, lambda u, t, f: services.notify_talk(
        db.session, u, t, scheduled_at=f.scheduled_at.data if "scheduled_at" in f else None,
        place=f.place.data if "place" in f else "",
        rest_day_confirmed=bool(f.rest_day_confirmed.data) if "rest_day_confirmed" in f else False,
        expected_version=f.expected_version()), "已发出通知。", TalkAction.NOTIFY),
    "hold": TalkActionSpec(HoldForm, _hold, "谈话情况已记录。", TalkAction.HOLD),
    "reply": TalkActionSpec(ReplyForm, lambda u, t, f: services.reply_inquiry(
        db.session, u, t, f.text.data, files=uploaded(f.files), storage=storage(),
        expected_version=f.expected_version()), "函询回复已提交。", TalkAction.REPLY),
    "follow_up": TalkActionSpec(FollowUpForm, lambda u, t, f: services.follow_up_talk(
        db.session, u, t, f.note.data,
        InquiryConclusion(f.conclusion.data) if "conclusion" in f and f.conclusion.data else None,
        expected_version=f.expected_version()), "跟踪情况已记录。", TalkAction.FOLLOW_UP),
    "close": TalkActionSpec(NoteForm, lambda u, t, f: services.close_talk(
        db.session, u, t, f.note.data, expected_version=f.expected_version()), "已了结。", TalkAction.CLOSE),
}


@bp.post("/<int:talk_id>/act/<name>")
@requires(permissions.can_list_talks)
def act(talk_id: int, name: str):
    talk = load_talk(talk_id)
    spec = ACTIONS.get(name) or abort(404)
    if not permissions.can_act_on_talk(current_user, talk, spec.action):
        abort(403)
    form, talk_id = spec.build(talk), talk.id

    def page():
        db.session.expire_all()
        return render_detail(db.session.get(Talk, talk_id), {name: form})

    return submit(form, lambda: spec.run(current_user, talk, form), success=spec.success, otherwise=page,
                  then=url_for("talks.detail", talk_id=talk_id))


@bp.post("/<int:talk_id>/appeal")
@requires(permissions.can_propose_talk)
def appeal(talk_id: int):
    """登记申诉 against a 诫勉 (问责条例 §21: within one month)."""
    talk = load_talk(talk_id)
    form = AppealForm()

    def page():
        db.session.expire_all()
        return render_detail(db.session.get(Talk, talk_id), {"appeal": form})

    return submit(form, lambda: services.record_appeal(db.session, current_user, talk, form.received_on.data,
                                                       form.note.data),
                  success="申诉已登记。", then=url_for("talks.detail", talk_id=talk_id), otherwise=page)


@bp.post("/<int:talk_id>/appeal/decision")
@requires(permissions.can_decide_appeal)
def appeal_decision(talk_id: int):
    """申诉处理决定 (问责条例 §21: within a month of the appeal)."""
    talk = load_talk(talk_id)
    form = AppealDecisionForm()

    def page():
        db.session.expire_all()
        return render_detail(db.session.get(Talk, talk_id), {"appeal_decision": form})

    return submit(form, lambda: services.decide_appeal(
        db.session, current_user, talk, AppealOutcome(form.outcome.data), form.decided_on.data, form.decision.data,
        influence_months=form.influence_months.data, paperwork=paperwork()),
        success="申诉处理决定已登记，申诉处理决定书已生成。",
        then=url_for("talks.detail", talk_id=talk_id), otherwise=page)


# --- the notice a department head may see ----------------------------------------------------------
@bp.get("/<int:talk_id>/notice")
@requires(permissions.can_list_talks)
def notice(talk_id: int):
    talk = db.get_or_404(Talk, talk_id)
    if not permissions.can_view_talk_notice(current_user, talk):
        abort(404)
    generated = [d for d in db.session.scalars(select(GeneratedDocument).where(
        GeneratedDocument.subject_type == "talk", GeneratedDocument.subject_id == talk.id,
        GeneratedDocument.doc_type == "admonition_notice").order_by(GeneratedDocument.id.desc()).limit(1))
        if permissions.can_download_document(current_user, d.department_id, d.doc_type)]
    return render_template("talks/notice.html", talk=talk, generated=generated)


# --- documents -------------------------------------------------------------------------------------
@bp.post("/<int:talk_id>/documents/<doc_type>")
@requires(permissions.can_propose_talk)
def generate(talk_id: int, doc_type: str):
    """Generate (or regenerate, keeping its number) one of the talk's documents, and send it."""
    talk = load_talk(talk_id)
    if doc_type not in services.DOCUMENT_RULES:
        abort(404)
    if not BaseForm().validate_on_submit():
        abort(400)
    return generate_and_send(
        lambda: services.generate_talk_document(db.session, current_user, talk, doc_type,
                                                config=current_app.config, folder=documents_folder()),
        url_for("talks.detail", talk_id=talk.id))


@bp.get("/documents/<int:document_id>.pdf")
@requires(permissions.can_manage_talks)
def pdf(document_id: int):
    """A PDF copy of one of this area's documents, when LibreOffice is installed."""
    document = db.get_or_404(GeneratedDocument, document_id)
    if document.doc_type not in TALK_DOCUMENT_TYPES:
        abort(404)
    converted = to_pdf(filestore.read_checked(db.session, document.sha256,
                                               document.title))
    if converted is None:
        flash("本机未安装 LibreOffice（或转换失败），无法生成 PDF，请下载 Word 文档。", "error")
        return redirect(request.referrer or url_for("talks.index"))
    from io import BytesIO

    return send_file(BytesIO(converted), mimetype="application/pdf", as_attachment=True, max_age=0,
                     download_name=document.filename.removesuffix(".docx") + ".pdf")


@bp.route("/register", methods=["GET", "POST"])
@requires(permissions.can_manage_talks)
def register():
    """谈话登记表: choose a period, download the table of the talks held in it."""
    today = clock.today()
    form = RegisterForm(date_from=today.replace(month=1, day=1), date_to=today)
    if request.method == "POST" and not permissions.can_propose_talk(current_user):
        abort(403)

    def page():
        talks = services.talks_held_between(db.session, form.date_from.data, form.date_to.data) if (
            form.date_from.data and form.date_to.data and form.date_from.data <= form.date_to.data) else []
        recent = db.session.scalars(select(GeneratedDocument).where(GeneratedDocument.doc_type == "talk_register")
                                    .order_by(GeneratedDocument.id.desc()).limit(10)).all()
        return render_template("talks/register.html", form=form, talks=talks, recent=recent,
                               can_generate=permissions.can_propose_talk(current_user))

    return submit(form, lambda: services.generate_talk_register(
        db.session, current_user, form.date_from.data, form.date_to.data, config=current_app.config,
        folder=documents_folder()), success=None, otherwise=page, invalid="请选择登记期间的起止日期。",
        then=lambda document: url_for("documents.download", document_id=document.id))


# --- files -----------------------------------------------------------------------------------------
@bp.get("/<int:talk_id>/files/<int:attachment_id>")
@requires(permissions.can_list_talks)
def download(talk_id: int, attachment_id: int):
    talk = load_talk(talk_id)
    attachment = db.get_or_404(TalkAttachment, attachment_id)
    if attachment.talk_id != talk.id:
        abort(404)
    return send_stored(attachment.sha256, mimetype=attachment.media_type,
                       download_name=attachment.original_name, label=f"附件“{attachment.original_name}”")


# --- 廉政档案 --------------------------------------------------------------------------------------
@bp.get("/people")
@requires(permissions.can_manage_talks)
def people():
    q = request.args.get("q", "").strip()[:40]
    return render_template("talks/people.html", rows=queries.people(db.session, clock.today(), q), q=q)


@bp.get("/person")
@requires(permissions.can_manage_talks)
def person():
    name, unit = request.args.get("name", "").strip()[:40], request.args.get("unit", "").strip()[:120]
    if not name:
        abort(404)
    record = queries.person_record(db.session, name, unit, clock.today())
    from supervision.clues.queries import person_clues

    clues = person_clues(db.session, name, unit)
    if not record.talks and not record.matters and not clues:
        abort(404)
    return render_template("talks/person.html", record=record, clues=clues, today=clock.today())
