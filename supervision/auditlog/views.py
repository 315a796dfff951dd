from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, current_app, render_template, request
from flask_login import current_user
from sqlalchemy import or_, select

from supervision import permissions
from supervision.ids import parse_id
from supervision.pagination import page_number
from supervision.extensions import db
from supervision.models.audit import AuditEntry
from supervision.web import requires

bp = Blueprint("auditlog", __name__, url_prefix="/audit")


def _date_arg(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


@bp.get("/")
@requires(permissions.can_view_audit_log)
def index():
    query = select(AuditEntry).order_by(AuditEntry.seq.desc())
    visible = permissions.audit_actions_visible(current_user)
    if visible is not None:  # the admin: account and system events only
        query = query.where(or_(*(AuditEntry.action.startswith(prefix, autoescape=True) for prefix in visible)))
    filters = {key: request.args.get(key, "").strip() for key in ("actor", "action", "target_type", "target_id")}
    if filters["actor"]:
        query = query.where(AuditEntry.actor_name.contains(filters["actor"], autoescape=True))
    if filters["action"]:
        query = query.where(AuditEntry.action.startswith(filters["action"], autoescape=True))
    if filters["target_type"]:
        query = query.where(AuditEntry.target_type == filters["target_type"])
    if parse_id(filters["target_id"]):
        query = query.where(AuditEntry.target_id == parse_id(filters["target_id"]))
    date_from, date_to = _date_arg("from"), _date_arg("to")
    if date_from:
        query = query.where(AuditEntry.created_at >= date_from)
    if date_to:
        query = query.where(AuditEntry.created_at < date_to + timedelta(days=1))
    page = db.paginate(query, page=page_number(request.args.get("page")), per_page=current_app.config["PER_PAGE"] * 2,
                       error_out=False)
    return render_template("auditlog/index.html", page=page, filters=filters,
                           date_from=date_from, date_to=date_to, system_only=visible is not None)
