"""催办 and 督办: reminders before a deadline, urging after it, escalation when it stays overdue.

One row per event. ``event_key`` is unique, so the deadline sweep can run every few minutes on
several servers at once and still records each step exactly once (INSERT … ON CONFLICT DO NOTHING).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from supervision import clock
from supervision.models.base import Base, LabelledEnum, enum_column, long_text
from supervision.models.org import Department, User


class SupervisionLevel(StrEnum):
    """How hard an overdue matter is pushed (督办 level, docs/domain.md)."""

    phone = "phone"
    written = "written"
    listed = "listed"
    elevated = "elevated"

    @property
    def label(self) -> str:
        return _LEVEL_LABELS[self]

    @property
    def is_escalation(self) -> bool:
        """Anything beyond a phone call is a 督办通知书, numbered as an escalation."""
        return self is not SupervisionLevel.phone


_LEVEL_LABELS = {
    SupervisionLevel.phone: "电话催办",
    SupervisionLevel.written: "书面督办",
    SupervisionLevel.listed: "挂牌督办",
    SupervisionLevel.elevated: "提级督办",
}


class EscalationKind(LabelledEnum):
    REMINDER = "reminder", "到期提醒"
    URGE = "urge", "催办"
    ESCALATION = "escalation", "督办"


class Escalation(Base):
    __tablename__ = "escalation"
    __table_args__ = (
        Index("ix_escalation_subject", "subject_type", "subject_id"),
        Index("ix_escalation_issued_at", "issued_at", "id"),
        Index("ix_escalation_kind_issued_at", "kind", "issued_at", "id"),  # the dashboard's recent 催办/督办
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_key: Mapped[str] = mapped_column(String(120), unique=True)
    subject_type: Mapped[str] = mapped_column(String(40))  # assignment | rectification_notice | …
    subject_id: Mapped[int]
    matter_id: Mapped[int | None] = mapped_column(ForeignKey("matter.id"), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    kind: Mapped[EscalationKind] = mapped_column(enum_column(EscalationKind, "escalation_kind"))
    level: Mapped[SupervisionLevel | None] = mapped_column(enum_column(SupervisionLevel, "supervision_level"))
    due_on: Mapped[date]  # the deadline this event is about
    workdays_overdue: Mapped[int] = mapped_column(default=0)
    new_due_on: Mapped[date | None]
    note: Mapped[str] = long_text(2000, default="")
    issued_at: Mapped[datetime] = mapped_column(default=clock.now)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))  # None: the sweep

    department: Mapped[Department | None] = relationship()
    # By name: paperwork reads this module and must not import models.matters (the identity model).
    matter: Mapped[Matter | None] = relationship("Matter")  # noqa: F821
    issued_by: Mapped[User | None] = relationship()

    @property
    def label(self) -> str:
        return self.level.label if self.level is not None else self.kind.label


class Notification(Base):
    """An in-app notice. Deliveries by e-mail or SMS are attempts to send it; failing them never
    loses it."""

    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_user_unread", "user_id", "read_at", "id"),
                      Index("ix_notification_user_settled", "user_id", "settled_at", "id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    # What the notice is about, for the inbox's filter (notifications.services.KINDS): assign, review …
    kind: Mapped[str] = mapped_column(String(20), default="other", server_default="other")
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = long_text(2000, default="")
    link: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    read_at: Mapped[datetime | None]
    # A notice asking for a task (签收, 审核, 审批, 办理 …) needs its reader until the task is done: the
    # service doing it settles the notice (notifications.services.settle). One that only tells needs its
    # reader until read.
    asks_action: Mapped[bool] = mapped_column(default=False, server_default=false())
    settled_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()
    items: Mapped[list[NotificationItem]] = relationship(order_by="NotificationItem.id", viewonly=True)


class NotificationItem(Base):
    """A thing a notice is about (most name one matter; a digest names several): what the reader may
    see of it, where it is, and the task it asks for. ``task`` is a key such as ``assignment:12:sign``
    (notifications.services.task_key); the service that does the task settles every item carrying it."""

    __tablename__ = "notification_item"

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notification.id"), index=True)
    matter_id: Mapped[int | None] = mapped_column(ForeignKey("matter.id"), index=True)
    label: Mapped[str] = mapped_column(String(300))  # serial and the title as the recipient may see it
    link: Mapped[str] = mapped_column(String(200), default="")
    detail: Mapped[str] = mapped_column(String(200), default="")  # e.g. 办理时限 2026-12-08
    task: Mapped[str | None] = mapped_column(String(80), index=True)
    settled_at: Mapped[datetime | None]


class DeliveryStatus(LabelledEnum):
    PENDING = "pending", "待发送"
    SENDING = "sending", "发送中"  # marked (and committed) before the channel is called
    SENT = "sent", "已发送"
    FAILED = "failed", "发送失败"


class Delivery(Base):
    __tablename__ = "delivery"
    __table_args__ = (
        Index("ix_delivery_status_next", "status", "next_attempt_at"),
        CheckConstraint("(CASE WHEN notification_id IS NULL THEN 0 ELSE 1 END)"
                        " + (CASE WHEN complainant_notice_id IS NULL THEN 0 ELSE 1 END)"
                        " + (CASE WHEN clue_notice_id IS NULL THEN 0 ELSE 1 END) = 1", name="one_recipient"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # A user's notice, or a notice to a complainant (SPEC §11), whose address is read from the identity
    # table when sending (``address`` stays empty: the complainant's number lives in one place).
    notification_id: Mapped[int | None] = mapped_column(ForeignKey("notification.id"), index=True)
    complainant_notice_id: Mapped[int | None] = mapped_column(ForeignKey("complainant_notice.id"), index=True)
    # … or a notice to the reporter of a directly registered clue (SPEC §12), read the same way.
    clue_notice_id: Mapped[int | None] = mapped_column(ForeignKey("clue_reporter_notice.id"), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    address: Mapped[str] = mapped_column(String(120))
    status: Mapped[DeliveryStatus] = mapped_column(enum_column(DeliveryStatus, "delivery_status"),
                                                   default=DeliveryStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(String(500), default="")
    next_attempt_at: Mapped[datetime] = mapped_column(default=clock.now)
    sent_at: Mapped[datetime | None]
    # Given to the gateway / mail server with every attempt: a resend after a crash is recognisable.
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    sending_since: Mapped[datetime | None]  # the attempt in flight (status sending)

    notification: Mapped[Notification | None] = relationship()
