from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, current_app, render_template, url_for
from flask_login import current_user

from supervision import clock, permissions
from supervision.deadlines import office_calendar
from supervision.escalation import queries, services
from supervision.escalation.forms import UrgeForm
from supervision.extensions import db
from supervision.matters.queries import viewable_matter
from supervision.models.escalation import SupervisionLevel
from supervision.pipeline import submit
from supervision.web import light_helpers, paperwork, requires, url_by_id

bp = Blueprint("escalation", __name__, url_prefix="/supervision")


@bp.get("/")
@requires(permissions.can_view_dashboard)
def dashboard():
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
    return render_template("escalation/dashboard.html", today=today, week_end=week_end, **sections,
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
