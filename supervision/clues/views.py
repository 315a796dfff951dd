"""/clues/: the clue register, office staff only. A department head or liaison gets 403 on every page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError

from supervision import clock, permissions
from supervision.clues import forms as clue_forms
from supervision.clues import queries, services, workflow
from supervision.clues.forms import (ApproveForm, DeclineForm, FromMatterForm, ListFilterForm, NoteForm, ProposeForm,
                                     RegisterForm, ReporterForm, parse_people)
from supervision.clues.workflow import ClueAction
from supervision.errors import DomainError, StaleObjectError
from supervision.extensions import db
from supervision.forms import BaseForm
from supervision.models.clues import Clue, ClueSource, ClueStatus, DisposalWay
from supervision.models.matters import Matter
from supervision.web import requires

bp = Blueprint("clues", __name__, url_prefix="/clues")


def load_clue(clue_id: int) -> Clue:
    return db.get_or_404(Clue, clue_id)


def _failed_message() -> None:
    flash("提交的内容有误，请按提示修改（已填写的内容已保留）。", "error")


# --- the register --------------------------------------------------------------------------------
@bp.get("/")
@requires(permissions.can_view_clues)
def index():
    form, criteria = list_filters(request.args)
    clues = queries.list_clues(db.session, current_user, **criteria)
    return render_template("clues/index.html", clues=clues, form=form, today=clock.today(),
                           can_register=permissions.can_register_clue(current_user))


def list_filters(args) -> tuple[ListFilterForm, dict[str, str]]:
    form = ListFilterForm(args)
    form.validate()
    return form, {"status": form.status.data or "", "source": form.source.data or "", "way": form.way.data or "",
                  "q": (form.q.data or "")[:60]}


@bp.route("/new", methods=["GET", "POST"])
@requires(permissions.can_register_clue)
def new():
    form = RegisterForm(received_on=clock.today())
    if form.validate_on_submit():
        data = services.ClueInput(
            source=ClueSource(form.source.data), summary=form.summary.data, people=parse_people(form.people.data),
            received_on=form.received_on.data, source_note=form.source_note.data, real_name=form.real_name.data,
            reporter=services.ReporterInput(form.reporter_name.data, form.reporter_phone.data,
                                            form.reporter_id_number.data, form.reporter_address.data,
                                            form.reporter_work_unit.data))
        try:
            clue = services.register_clue(db.session, current_user, data)
        except DomainError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(f"已登记问题线索 {clue.serial}。", "success")
            return redirect(url_for("clues.detail", clue_id=clue.id))
    elif request.method == "POST":
        _failed_message()
    return render_template("clues/new.html", form=form), 400 if request.method == "POST" else 200


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
    if form.validate_on_submit():
        try:
            clue = services.clue_from_matter(db.session, current_user, matter, parse_people(form.people.data),
                                             form.summary.data, expected_version=form.expected_version())
            db.session.commit()
        except (DomainError, StaleDataError) as error:
            db.session.rollback()
            flash(str(error) if isinstance(error, DomainError) else str(StaleObjectError()), "error")
        else:
            flash(f"事项 {matter.serial} 已转为问题线索 {clue.serial}，不再交办被反映人所在单位。", "success")
            return redirect(url_for("clues.detail", clue_id=clue.id))
    elif request.method == "POST":
        _failed_message()
    return render_template("clues/from_matter.html", form=form, matter=matter,
                           convertible=services.can_convert(matter)), 400 if request.method == "POST" else 200


# --- the clue page -------------------------------------------------------------------------------
@bp.get("/<int:clue_id>")
@requires(permissions.can_view_clues)
def detail(clue_id: int):
    return render_detail(load_clue(clue_id))


def render_detail(clue: Clue, failed: dict | None = None, status: int = 200, reporter=None, reporter_reason=""):
    user = current_user
    forms = {name: spec.form_class(formdata=None, version=clue.version)
             for name, spec in ACTIONS.items() if spec.available(user, clue)}
    forms.update(failed or {})
    return render_template(
        "clues/detail.html", clue=clue, forms=forms, failed_open=next(iter(failed or {}), None),
        reporter=reporter, reporter_reason=reporter_reason, reporter_form=ReporterForm(),
        can_view_reporter=permissions.can_view_clue_reporter(user), people_text=clue_forms.people_text,
        today=clock.today(), csrf_form=BaseForm()), status


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
    if form.validate_on_submit():
        try:
            spec.run(current_user, clue, form)
            db.session.commit()
        except (DomainError, StaleDataError) as error:
            db.session.rollback()
            flash(str(error) if isinstance(error, DomainError) else str(StaleObjectError()), "error")
        else:
            flash(spec.success, "success")
            return redirect(url_for("clues.detail", clue_id=clue.id))
    else:
        _failed_message()
    db.session.expire_all()
    return render_detail(db.session.get(Clue, clue.id), {name: form}, status=400)


@bp.post("/<int:clue_id>/reporter")
@requires(permissions.can_view_clue_reporter)
def reveal_reporter(clue_id: int):
    """查看举报人信息: with a reason, audited; shown on this answer only (never kept in the session)."""
    clue = load_clue(clue_id)
    form = ReporterForm()
    if not form.validate_on_submit():
        flash("请填写查看举报人信息的事由。", "error")
        return redirect(url_for("clues.detail", clue_id=clue.id))
    reporter = services.view_reporter(db.session, current_user, clue, form.reason.data)
    db.session.commit()
    return render_detail(clue, reporter=reporter or False, reporter_reason=form.reason.data)
