from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import and_, func, select
from sqlalchemy.orm import selectinload

from supervision.extensions import db
from supervision.forms import BaseForm
from supervision.ids import parse_id
from supervision.models.escalation import Notification
from supervision.notifications import services
from supervision.pagination import Page, page_number
from supervision.pipeline import submit

bp = Blueprint("notifications", __name__, url_prefix="/inbox")

# The inbox's views of the user's notices: code → label.
STATES = {
    "": "全部",
    "pending": "待处理",
    "unread": "未读",
    "settled": "已办结",
}


def _state_condition(state: str):
    if state == "pending":
        return services.needs_reader()
    if state == "unread":
        return Notification.read_at.is_(None)
    if state == "settled":
        return Notification.settled_at.is_not(None)
    return None


def _own(notification_id: int) -> Notification:
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.user_id != current_user.id:
        abort(404)  # another user's notice is not told to exist
    return notification


def _local(link: str) -> str | None:
    return link if link.startswith("/") and not link.startswith("//") else None


@bp.get("/")
@login_required
def index():
    per_page, page = current_app.config["PER_PAGE"], page_number(request.args.get("page"))
    state = request.args.get("state", "")
    state = state if state in STATES else ""
    kind = request.args.get("kind", "")
    kind = kind if kind in services.KINDS else ""
    mine = Notification.user_id == current_user.id
    where = [mine]
    if _state_condition(state) is not None:
        where.append(_state_condition(state))
    if kind:
        where.append(Notification.kind == kind)
    total = db.session.scalar(select(func.count()).select_from(Notification).where(*where))
    items = db.session.scalars(select(Notification).where(*where).options(selectinload(Notification.items))
                               .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(per_page).offset((page - 1) * per_page)).all()
    counts = {code: db.session.scalar(select(func.count()).select_from(Notification)
                                      .where(and_(mine, _state_condition(code))))
              for code in ("pending", "unread")}
    return render_template("notifications/index.html", page=Page(list(items), page, per_page, total),
                           form=BaseForm(), states=STATES, state=state, kinds=services.KINDS, kind=kind,
                           counts=counts)


@bp.get("/<int:notification_id>")
@login_required
def detail(notification_id: int):
    """A notice in full: every matter it names, each with its link (a digest's list)."""
    return render_template("notifications/detail.html", n=_own(notification_id), form=BaseForm(),
                           kinds=services.KINDS)


@bp.post("/<int:notification_id>/open")
@login_required
def open_notification(notification_id: int):
    """Mark read and go where the notice points: the item chosen, the notice's own link, its one matter,
    or — a digest — the notice's page listing each matter."""
    notification = db.session.get(Notification, notification_id)
    inbox = url_for("notifications.index")
    if notification is None or notification.user_id != current_user.id:
        return redirect(inbox)
    items = notification.items
    chosen = parse_id(request.form.get("item"))
    item = next((i for i in items if i.id == chosen), None) if chosen is not None else None
    if item is not None:
        target = _local(item.link)
    elif notification.link:
        target = _local(notification.link)
    elif len(items) == 1:
        target = _local(items[0].link)
    else:
        target = None
    if target is None and len(items) > 1:
        target = url_for("notifications.detail", notification_id=notification.id)
    return submit(BaseForm(), lambda: services.mark_read(db.session, current_user, notification.id),
                  success=None, then=target or inbox, otherwise=inbox, invalid=None)


@bp.post("/read-all")
@login_required
def read_all():
    inbox = url_for("notifications.index")
    return submit(BaseForm(), lambda: services.mark_read(db.session, current_user), success=None, then=inbox,
                  otherwise=inbox, invalid=None)

