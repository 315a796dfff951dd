"""In-app notices and their deliveries. Messages to a department are built by the caller from the
serial number and the summary only — never from complainant identity or the complaint itself."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from supervision import audit, clock
from supervision.models.escalation import Delivery, DeliveryStatus, Notification
from supervision.models.org import Role, User
from supervision.notifications.channels import Channel, DeliveryError

MAX_ATTEMPTS = 6


def department_heads(session: Session, department_id: int) -> list[User]:
    return list(session.scalars(select(User).where(User.department_id == department_id, User.active,
                                                   User.role == Role.DEPT_HEAD)))


def office_staff(session: Session, *roles: Role) -> list[User]:
    return list(session.scalars(select(User).where(User.active, User.role.in_(roles))))


def notify(session: Session, users: Iterable[User], title: str, body: str = "", link: str = "",
           channels: Iterable[str] = ("log",)) -> int:
    """One notice per user, and a pending delivery per channel where the user has an address."""
    rows = [{"user_id": u.id, "title": title[:200], "body": body[:2000], "link": link[:200],
             "created_at": clock.now()} for u in users]
    if not rows:
        return 0
    ids = session.execute(insert(Notification).returning(Notification.id, Notification.user_id), rows).all()
    addresses = {u.id: u for u in users}
    deliveries = []
    for notification_id, user_id in ids:
        user = addresses[user_id]
        for channel in channels:
            address = {"log": user.username, "email": user.email, "sms": user.phone}.get(channel, "")
            if address:
                deliveries.append({"notification_id": notification_id, "channel": channel, "address": address,
                                   "status": DeliveryStatus.PENDING, "attempts": 0, "last_error": "",
                                   "next_attempt_at": clock.now()})
    if deliveries:
        session.execute(insert(Delivery), deliveries)
    return len(rows)


def deliver_pending(session: Session, channels: list[Channel], limit: int = 500) -> tuple[int, int]:
    """Send what is due; a failure waits longer each time and stops after MAX_ATTEMPTS.
    Returns (sent, failed)."""
    by_name = {c.name: c for c in channels}
    now = clock.now()
    due = session.scalars(select(Delivery).where(Delivery.status == DeliveryStatus.PENDING,
                                                 Delivery.next_attempt_at <= now)
                          .order_by(Delivery.id).limit(limit).with_for_update(skip_locked=True)).all()
    sent = failed = 0
    for delivery in due:
        channel = by_name.get(delivery.channel)
        if channel is None:  # not configured here: say so instead of piling up
            delivery.status, delivery.last_error = DeliveryStatus.FAILED, "未配置该发送渠道"
            continue
        notification = delivery.notification
        delivery.attempts += 1
        try:
            channel.send(delivery.address, notification.title, notification.body)
        except DeliveryError as error:
            delivery.last_error = str(error)[:500]
            delivery.next_attempt_at = now + timedelta(minutes=5 * 2 ** (delivery.attempts - 1))
            if delivery.attempts >= MAX_ATTEMPTS:
                delivery.status = DeliveryStatus.FAILED
            failed += 1
        else:
            delivery.status, delivery.sent_at = DeliveryStatus.SENT, now
            sent += 1
    return sent, failed


def unread_count(session: Session, user: User) -> int:
    from sqlalchemy import func

    return session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None))) or 0


def mark_read(session: Session, user: User, notification_id: int | None = None) -> int:
    query = update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    if notification_id is not None:
        query = query.where(Notification.id == notification_id)
    count = session.execute(query.values(read_at=clock.now())).rowcount
    if count:
        audit.record(session, user, "notification.read", ("notification", notification_id),
                     f"{user.display_name} 已读 {count} 条通知")
    return count


def stamp(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M}"
