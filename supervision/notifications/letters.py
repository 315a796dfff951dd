"""Notices to people outside the office — a complainant (SPEC §11, ``complainants.services``) and the
real-name reporter of a clue (§12, ``clues.notices``). Each kind keeps its own table, wording and document;
what happens to a notice once it exists is the same for both and lives here, once:

- its deliveries are queued in the outbox (``Delivery``) by every way the person can be reached — SMS to a
  mobile number, e-mail — or on the log when none; the address is read from the identity row when
  sending, so a number lives in one table only;
- it is delivered when the gateway takes an SMS or e-mail, or when intake records a letter posted or
  handed over; either way intake's to-do about it (``<subject>:<id>:deliver``) is settled;
- past its due date and still undelivered, intake is told once (a conditional UPDATE claims each notice,
  so two servers sweeping at once tell once), in a notice that asks for the delivery.

Nothing here commits."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from supervision import audit, clock
from supervision.errors import ValidationError
from supervision.models.complainants import DeliveryMethod
from supervision.models.escalation import Delivery, DeliveryStatus
from supervision.models.org import Role, User
from supervision.notifications.services import About, notify, office_staff, settle, task_key

MOBILE = re.compile(r"^1\d{10}$")


def deliver_task(subject_type: str, notice_id: int) -> str:
    """The key of "deliver this notice": intake's overdue notice asks for it; delivering settles it."""
    return task_key(subject_type, notice_id, "deliver")


def queue_deliveries(session: Session, person: Any, channels: Sequence[str], **recipient: int) -> list[str]:
    """A pending delivery per way ``person`` can be reached (``recipient`` names the notice's column, e.g.
    ``complainant_notice_id=…``); the log channel when none. Returns the ways (without the log)."""
    ways = []
    if "sms" in channels and person is not None and MOBILE.match(getattr(person, "phone", "") or ""):
        ways.append("sms")
    if "email" in channels and person is not None and getattr(person, "email", ""):
        ways.append("email")
    for way in ways or (["log"] if "log" in channels else []):
        session.add(Delivery(notification_id=None, channel=way, address="", status=DeliveryStatus.PENDING,
                             attempts=0, last_error="", next_attempt_at=clock.now(),
                             idempotency_key=secrets.token_hex(16), **recipient))
    return ways


def mark_delivered(session: Session, actor: User | None, notice: Any, method: DeliveryMethod, *,
                   subject_type: str, serial: str) -> None:
    """The notice reached its person: by the gateway (``actor`` None) or as intake records it. Audited
    (``<subject_type>.delivered``); intake's to-do about delivering it is settled."""
    if notice.delivered_at is not None:
        raise ValidationError(f"该{notice.kind.label}已于 {notice.delivered_at:%Y-%m-%d} 送达。")
    notice.delivered_at, notice.delivery_method = clock.now(), method
    if actor is not None:
        notice.delivered_by_id = actor.id
    how = method.label if method.label.endswith("送达") else f"{method.label}送达"
    audit.record(session, actor, f"{subject_type}.delivered", notice, f"{serial} {notice.kind.label}已{how}",
                 {"method": method})
    settle(session, actor, deliver_task(subject_type, notice.id))


def mark_sent(session: Session, notice: Any, delivery: Delivery, *, subject_type: str, serial: str) -> None:
    """An SMS or e-mail reached the gateway: the notice counts as delivered (the log channel does not)."""
    if delivery.channel in ("sms", "email") and notice.delivered_at is None:
        mark_delivered(session, None, notice, DeliveryMethod(delivery.channel), subject_type=subject_type,
                       serial=serial)


def tell_intake_of_overdue(session: Session, model: type, today: date, channels: Sequence[str], *,
                           subject_type: str, name: Callable[[Any], str], about: Callable[[Any, str], About],
                           to_whom: str) -> int:
    """Notices of ``model`` past their due date and not delivered: intake is told once each, in a notice
    asking for the delivery. ``name(notice)`` is e.g. "<serial> 受理告知书"; ``about(notice, task)`` what the
    notice names and links to. Returns how many were told."""
    ids = session.scalars(select(model.id).where(model.delivered_at.is_(None), model.due_on < today,
                                                 model.overdue_notified_at.is_(None))).all()
    told = 0
    staff = office_staff(session, Role.INTAKE) if ids else []
    for notice_id in ids:
        claimed = session.execute(update(model).where(model.id == notice_id, model.overdue_notified_at.is_(None))
                                  .values(overdue_notified_at=clock.now())).rowcount
        if not claimed:
            continue
        notice = session.get(model, notice_id)
        notify(session, staff, f"告知书逾期未送达：{name(notice)}",
               f"应于 {notice.due_on:%Y-%m-%d} 前送达{to_whom}，尚未登记送达。", channels=channels, kind="letter",
               about=[about(notice, deliver_task(subject_type, notice.id))])
        audit.record(session, None, f"{subject_type}.overdue", notice, f"{name(notice)}逾期未送达",
                     {"due_on": notice.due_on})
        told += 1
    return told
