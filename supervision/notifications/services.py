"""In-app notices and their deliveries. Messages to a department are built by the caller from the
serial number and the 交办标题 only — never from complainant identity or the complaint itself.

A notice names what it is about (``About``: the serial and the title as its recipient may see it, and a
link); a notice asking for a task carries the task's key, and the service that does the task settles it
(``settle``), so the inbox's badge counts what still needs its reader."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, func, insert, or_, select, update
from sqlalchemy.orm import Session

from supervision import audit, clock, permissions
from supervision.models.escalation import Delivery, DeliveryStatus, Notification, NotificationItem
from supervision.models.org import Role, User
from supervision.notifications.channels import Channel, DeliveryError

# The inbox's kinds (Notification.kind): code → label.
KINDS = {
    "assign": "交办签收",
    "review": "审核",
    "extension": "延期",
    "instruct": "批示",
    "deadline": "到期催办督办",
    "returned": "退回",
    "result": "办理结果",
    "letter": "告知书",
    "complaint_review": "复查复核",
    "other": "其他",
}


def task_key(subject_type: str, subject_id: int, task: str) -> str:
    """The key a notice's task goes by, e.g. ``assignment:12:sign``; the doing service settles it."""
    return f"{subject_type}:{subject_id}:{task}"


@dataclass(frozen=True)
class About:
    """One thing a notice is about. ``matter`` (a Matter) gives the label per recipient — its serial and
    ``permissions.visible_title`` — else ``label`` is used as given (it must already be fit for every
    recipient). ``task``: the key of what the notice asks the recipient to do, if anything."""

    link: str
    label: str = ""
    matter: object | None = None
    matter_id: int | None = None
    task: str | None = None
    detail: str = ""

    def label_for(self, user: User) -> str:
        if self.matter is not None:
            return f"{self.matter.serial} {permissions.visible_title(user, self.matter)}"
        return self.label

    @property
    def matter_ref(self) -> int | None:
        return self.matter.id if self.matter is not None else self.matter_id


def about_matter(matter, task: str | None = None, detail: str = "", anchor: str = "") -> About:
    return About(link=f"/matters/{matter.id}{anchor}", matter=matter, task=task, detail=detail)


MAX_ATTEMPTS = 6
SENDING_LEASE_SECONDS = 600  # a delivery "sending" this long was abandoned by a killed process


def department_heads(session: Session, department_id: int) -> list[User]:
    return list(session.scalars(select(User).where(User.department_id == department_id, User.active,
                                                   User.role == Role.DEPT_HEAD)))


def office_staff(session: Session, *roles: Role) -> list[User]:
    return list(session.scalars(select(User).where(User.active, User.role.in_(roles))))


def department_heads_of(session: Session, department_ids: Iterable[int]) -> dict[int, list[User]]:
    """{department id: its active heads}, in one statement (the sweep's digests, one per department)."""
    heads: dict[int, list[User]] = {}
    ids = sorted(set(department_ids))
    if ids:
        for user in session.scalars(select(User).where(User.department_id.in_(ids), User.active,
                                                       User.role == Role.DEPT_HEAD).order_by(User.id)):
            heads.setdefault(user.department_id, []).append(user)
    return heads


@dataclass(frozen=True)
class Notice:
    """One message to some users (``notify_many``)."""

    users: Sequence[User]
    title: str
    body: str = ""
    link: str = ""
    about: Sequence[About] = ()


def notify(session: Session, users: Iterable[User], title: str, body: str = "", link: str = "",
           channels: Iterable[str] = ("log",), *, kind: str = "other", about: Sequence[About] = ()) -> int:
    """One notice per user, naming what it is ``about`` (each with its link; a notice about one thing
    links to it), and a pending delivery per channel where the user has an address."""
    return notify_many(session, [Notice(list(users), title, body, link, about)], channels, kind=kind)


def notify_many(session: Session, notices: Sequence[Notice], channels: Iterable[str] = ("log",), *,
                kind: str = "other") -> int:
    """``notify`` for many messages at once: three INSERTs in all (notices, their items, deliveries), not
    three per message — the sweep's digests to every department are one round of statements."""
    channels = tuple(channels)
    kind = kind if kind in KINDS else "other"
    now = clock.now()
    rows, owners = [], []  # owners[i]: (the notice, the user) of rows[i]
    for notice in notices:
        link = notice.link
        if not link and len(notice.about) == 1:
            link = notice.about[0].link
        asks = any(a.task for a in notice.about)
        for u in notice.users:
            rows.append({"user_id": u.id, "kind": kind, "title": notice.title[:200], "body": notice.body[:2000],
                         "link": link[:200], "created_at": now, "asks_action": asks})
            owners.append((notice, u))
    if not rows:
        return 0
    ids = session.scalars(insert(Notification).returning(Notification.id, sort_by_parameter_order=True), rows).all()
    items, deliveries = [], []
    for notification_id, (notice, user) in zip(ids, owners):
        items.extend({"notification_id": notification_id, "matter_id": a.matter_ref,
                      "label": a.label_for(user)[:300], "link": a.link[:200], "detail": a.detail[:200],
                      "task": a.task, "settled_at": None} for a in notice.about)
        for channel in channels:
            address = {"log": user.username, "email": user.email, "sms": user.phone}.get(channel, "")
            if address:
                deliveries.append({"notification_id": notification_id, "channel": channel, "address": address,
                                   "status": DeliveryStatus.PENDING, "attempts": 0, "last_error": "",
                                   "next_attempt_at": now, "idempotency_key": secrets.token_hex(16)})
    if items:
        session.execute(insert(NotificationItem), items)
    if deliveries:
        session.execute(insert(Delivery), deliveries)
    return len(rows)


def settle(session: Session, actor: User | None, *tasks: str, matter_id: int | None = None) -> int:
    """The tasks are done: every notice item asking for one of them (or, with ``matter_id``, every task
    about that matter — it has ended) is settled, and a notice whose items are all settled is settled.
    Called by the service doing the task, in its transaction; audited there. Returns the notices settled."""
    conditions = []
    if tasks:
        conditions.append(NotificationItem.task.in_(tasks))
    if matter_id is not None:
        conditions.append(and_(NotificationItem.matter_id == matter_id, NotificationItem.task.is_not(None)))
    if not conditions:
        return 0
    where = and_(or_(*conditions), NotificationItem.settled_at.is_(None))
    touched = session.scalars(select(NotificationItem.notification_id).where(where).distinct()).all()
    if not touched:
        return 0
    now = clock.now()
    session.execute(update(NotificationItem).where(where).values(settled_at=now)
                    .execution_options(synchronize_session=False))
    open_item = exists().where(NotificationItem.notification_id == Notification.id,
                               NotificationItem.task.is_not(None), NotificationItem.settled_at.is_(None))
    settled = session.execute(
        update(Notification).where(Notification.id.in_(touched), Notification.settled_at.is_(None), ~open_item)
        .values(settled_at=now).execution_options(synchronize_session=False)).rowcount
    if settled:
        what = "、".join(tasks) if tasks else f"matter:{matter_id}"
        audit.record(session, actor, "notification.settled", ("notification", touched[0]),
                     f"{settled} 条通知所请办理的事项已办结", {"tasks": what[:500], "notices": settled})
    return settled


def deliver_pending(session: Session, channels: list[Channel], limit: int = 500,
                    lease_seconds: float = SENDING_LEASE_SECONDS) -> tuple[int, int]:
    """Send what is due, one delivery at a time, **committing** before and after each send (this is a
    worker, run by the sweep after the transaction that recorded the deliveries): a delivery is marked
    "sending" and committed, sent with its idempotency key, then marked sent (or failed, to retry) and
    committed. A process killed meanwhile leaves at most the one delivery in flight marked "sending";
    it is sent again — with the same key — once ``lease_seconds`` have passed. A failure waits longer
    each time and stops after MAX_ATTEMPTS. Returns (sent, failed)."""
    by_name = {c.name: c for c in channels}
    session.commit()  # nothing of the caller's may ride on the commits below
    sent = failed = 0
    for _ in range(limit):
        delivery = _claim_next(session, lease_seconds)
        if delivery is None:
            break
        channel = by_name.get(delivery.channel)
        if channel is None:  # not configured here: say so instead of piling up
            delivery.status, delivery.last_error, delivery.sending_since = DeliveryStatus.FAILED, "未配置该发送渠道", None
            session.commit()
            continue
        if delivery.notification_id is not None:
            address, subject, body = delivery.address, delivery.notification.title, delivery.notification.body
        elif delivery.clue_notice_id is not None:  # to a clue's reporter: the address read from clue_reporter now
            from supervision.clues.notices import letter_message as clue_letter_message

            address, subject, body = clue_letter_message(session, delivery)
        else:  # a notice to a complainant: the address is read from the identity table now
            from supervision.complainants.services import letter_message

            address, subject, body = letter_message(session, delivery)
        try:
            channel.send(address, subject, body, idempotency_key=delivery.idempotency_key)
        except DeliveryError as error:
            delivery.last_error = str(error)[:500]
            delivery.next_attempt_at = clock.now() + timedelta(minutes=5 * 2 ** (delivery.attempts - 1))
            delivery.status = DeliveryStatus.FAILED if delivery.attempts >= MAX_ATTEMPTS else DeliveryStatus.PENDING
            failed += 1
        else:
            delivery.status, delivery.sent_at = DeliveryStatus.SENT, clock.now()
            if delivery.complainant_notice_id is not None:
                from supervision.complainants.services import mark_sent

                mark_sent(session, delivery)
            elif delivery.clue_notice_id is not None:
                from supervision.clues.notices import mark_sent as clue_mark_sent

                clue_mark_sent(session, delivery)
            sent += 1
        delivery.sending_since = None
        session.commit()
    return sent, failed


def _claim_next(session: Session, lease_seconds: float) -> Delivery | None:
    """Take the next due delivery — or one left "sending" by a process that died — mark it sending and
    commit. On PostgreSQL, servers sweeping at once skip each other's rows; on SQLite the single writer
    serialises them."""
    now = clock.now()
    abandoned = now - timedelta(seconds=lease_seconds)
    while True:
        candidate = session.scalars(
            select(Delivery).where(or_(
                and_(Delivery.status == DeliveryStatus.PENDING, Delivery.next_attempt_at <= now),
                and_(Delivery.status == DeliveryStatus.SENDING, Delivery.sending_since <= abandoned)))
            .order_by(Delivery.id).limit(1).with_for_update(skip_locked=True)).first()
        if candidate is None:
            session.commit()
            return None
        # The state the row was read in, checked again as it is changed: a second server that read the
        # same row on SQLite changes nothing and takes the next one.
        taken = session.execute(
            update(Delivery).where(Delivery.id == candidate.id, Delivery.status == candidate.status,
                                   Delivery.attempts == candidate.attempts)
            .values(status=DeliveryStatus.SENDING, sending_since=now, attempts=Delivery.attempts + 1)
            .execution_options(synchronize_session=False)).rowcount
        session.commit()
        if taken == 1:
            session.refresh(candidate)
            return candidate


def needs_reader():
    """A notice still needs its reader: unread, or asking for a task not yet done."""
    return and_(Notification.settled_at.is_(None), or_(Notification.read_at.is_(None), Notification.asks_action))


def pending_count(session: Session, user: User) -> int:
    """The badge: what still needs the user."""
    return session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user.id, needs_reader())) or 0


def unread_count(session: Session, user: User) -> int:
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
