from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select

from supervision.extensions import db
from supervision.forms import BaseForm
from supervision.models.escalation import Notification
from supervision.notifications import services
from supervision.pagination import Page, page_number
from supervision.pipeline import submit

bp = Blueprint("notifications", __name__, url_prefix="/inbox")


@bp.get("/")
@login_required
def index():
    per_page, page = current_app.config["PER_PAGE"], page_number(request.args.get("page"))
    where = Notification.user_id == current_user.id
    total = db.session.scalar(select(func.count()).select_from(Notification).where(where))
    items = db.session.scalars(select(Notification).where(where).order_by(Notification.id.desc())
                               .limit(per_page).offset((page - 1) * per_page)).all()
    return render_template("notifications/index.html", page=Page(list(items), page, per_page, total),
                           form=BaseForm())


@bp.post("/<int:notification_id>/open")
@login_required
def open_notification(notification_id: int):
    notification = db.get_or_404(Notification, notification_id)
    inbox = url_for("notifications.index")
    if notification.user_id != current_user.id:
        return redirect(inbox)
    link = notification.link
    target = link if link.startswith("/") and not link.startswith("//") else None
    return submit(BaseForm(), lambda: services.mark_read(db.session, current_user, notification.id),
                  success=None, then=target or inbox, otherwise=inbox, invalid=None)


@bp.post("/read-all")
@login_required
def read_all():
    inbox = url_for("notifications.index")
    return submit(BaseForm(), lambda: services.mark_read(db.session, current_user), success=None, then=inbox,
                  otherwise=inbox, invalid=None)
