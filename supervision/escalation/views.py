from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user

from supervision import clock, permissions
from supervision.deadlines import office_calendar
from supervision.escalation import queries, services
from supervision.errors import WorkflowError
from supervision.escalation.forms import BatchUrgeForm, UrgeForm
from supervision.extensions import db
from supervision.matters.queries import batch_label, viewable_matter
from supervision.models.escalation import SupervisionLevel
from supervision.pipeline import perform_each, submit
from supervision.web import light_helpers, paperwork, render_once, requires, url_by_id

bp = Blueprint("escalation", __name__, url_prefix="/supervision")


@bp.get("/")
@requires(permissions.can_view_dashboard)
def dashboard():
    return render_template("escalation/dashboard.html", body=render_once("escalation.dashboard", render=dashboard_body))


def dashboard_body() -> str:
    """The dashboard's figures and lists, rendered (kept until the next business write: web.render_once)."""
    today = clock.today()
    calendar = office_calendar(db.session)
    week_end = today + timedelta(days=6 - today.weekday())
    due_count, due_this_week = queries.due_between(db.session, today, week_end)
    overdue_total, overdue = queries.overdue_by_department(db.session, today, calendar)
    notices_open, notices_overdue, notices = queries.open_notices(db.session, today)
    sections = {
        "due_count": due_count,
        "due_this_week": due_this_week,
        "overdue": overdue,
        "overdue_total": overdue_total,
        "recent": queries.recent_escalations(db.session),
        "notices": notices,
        "notices_open": notices_open,
        "notices_overdue": notices_overdue,
    }
    return render_template("escalation/_dashboard.html", today=today, week_end=week_end, **sections,
                           matter_url=url_by_id("matters.detail", "matter_id"),
                           notice_url=url_by_id("rectification.detail", "notice_id"), **light_helpers())


@bp.post("/matters/<int:matter_id>/urge")
@requires(permissions.can_escalate)
def urge(matter_id: int):
    matter = viewable_matter(db.session, current_user, matter_id) or abort(404)
    form = UrgeForm()

    def urge_assignment():
        assignment = next((a for a in matter.assignments if str(a.id) == form.assignment_id.data), None) or abort(404)
        services.urge_by_hand(db.session, current_user, assignment, SupervisionLevel(form.level.data),
                              form.note.data, form.new_due_on.data,
                              channels=current_app.config.get("NOTIFY_CHANNELS", ["log"]),
                              paperwork=paperwork())

    back = url_for("matters.detail", matter_id=matter.id) + "#escalations"
    return submit(form, urge_assignment, success=lambda _: f"已{SupervisionLevel(form.level.data).label}。",
                  then=back, otherwise=back, invalid="请填写催办、督办意见。")


@bp.post("/batch/urge")
@requires(permissions.can_escalate)
def batch_urge():
    """批量催办 from the ledger: each ticked matter's lead department is urged by its own ``urge_by_hand``
    (checked, audited, committed on its own); the flash says what was done and what was not, and why."""
    form = BatchUrgeForm()
    back = url_for("matters.index") + form.back_query()
    if not form.validate_on_submit():
        flash("请填写催办意见。" if form.ids.data else "请先勾选要催办的事项，并填写催办意见。", "error")
        return redirect(back)
    if not form.chosen_ids():
        flash("请先勾选要催办的事项。", "error")
        return redirect(back)
    level = SupervisionLevel(form.level.data)
    channels = current_app.config.get("NOTIFY_CHANNELS", ["log"])

    def urge(matter_id: int) -> None:
        matter = viewable_matter(db.session, current_user, matter_id)
        lead = matter.lead_assignment if matter is not None else None
        if lead is None or not lead.is_open:
            raise WorkflowError("该事项没有正在办理的主办单位，无需催办。")
        services.urge_by_hand(db.session, current_user, lead, level, form.note.data, channels=channels,
                              paperwork=paperwork())

    perform_each(((batch_label(db.session, current_user, matter_id), lambda matter_id=matter_id: urge(matter_id))
                  for matter_id in form.chosen_ids()), done=level.label)
    return redirect(back)
