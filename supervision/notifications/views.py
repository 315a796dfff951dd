from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, select

from supervision.extensions import db
from supervision.forms import BaseForm
from supervision.models.escalation import Notification
from supervision.notifications import services
from supervision.pagination import Page, page_number

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
    if notification.user_id != current_user.id or not BaseForm().validate_on_submit():
        return redirect(url_for("notifications.index"))
    services.mark_read(db.session, current_user, notification.id)
    db.session.commit()
    target = notification.link if notification.link.startswith("/") and not notification.link.startswith("//") else None
    return redirect(target or url_for("notifications.index"))


@bp.post("/read-all")
@login_required
def read_all():
    if BaseForm().validate_on_submit():
        services.mark_read(db.session, current_user)
        db.session.commit()
    return redirect(url_for("notifications.index"))
