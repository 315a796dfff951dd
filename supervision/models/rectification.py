"""Rectification notices (整改通知书, docs/domain.md §4): the notice to a department, its numbered problems
(items), the department's report on each item with evidence, and the notice's timeline.

A notice carries its own deadline (``due_on``/``due_provisional``) and status, indexed together, so
that the deadline sweep can find the open, overdue ones; every item has a status of its own.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, String, Table, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from supervision import clock
from supervision.models.base import Base, LabelledEnum, enum_column, long_text
from supervision.models.matters import Matter
from supervision.models.org import Department, User


class RectificationSource(LabelledEnum):
    UNDERCOVER = "undercover", "明察暗访"
    DISCLOSURE_CHECK = "disclosure_check", "政务公开检查"
    SPECIAL_CHECK = "special_check", "专项检查"
    COMPLAINT_CHECK = "complaint_check", "效能投诉核查"
    OTHER = "other", "监督检查"


class NoticeStatus(LabelledEnum):
    ISSUED = "issued", "待签收"
    RECEIVED = "received", "整改中"
    CLOSED = "closed", "已销号"


class ItemStatus(LabelledEnum):
    OPEN = "open", "待整改"
    REPORTED = "reported", "待验收"
    RETURNED = "returned", "退回整改"
    CLOSED = "closed", "已销号"


class Verdict(LabelledEnum):
    ACCEPTED = "accepted", "验收通过，销号"
    SENT_BACK = "sent_back", "退回整改"


# The matters a notice was issued from (findings, substantiated complaints).
rectification_notice_matter = Table(
    "rectification_notice_matter", Base.metadata,
    Column("notice_id", ForeignKey("rectification_notice.id"), primary_key=True),
    Column("matter_id", ForeignKey("matter.id"), primary_key=True, index=True),
)


class RectificationNotice(Base):
    __tablename__ = "rectification_notice"
    __table_args__ = (
        # The deadline sweep: open notices by deadline; the list: one department's notices.
        Index("ix_rectification_notice_status_due", "status", "due_on"),
        Index("ix_rectification_notice_department_status_due", "department_id", "status", "due_on", "id"),
        Index("ix_rectification_notice_issued", "issued_on", "id"),
        CheckConstraint("limit_amount IS NULL OR limit_amount > 0", name="limit_amount_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # 文号, e.g. 效整〔2026〕12号: allocated by documents.generate when the notice is issued, in the
    # same transaction; NULL only inside that transaction, before the document exists.
    number: Mapped[str | None] = mapped_column(String(40), unique=True)
    year: Mapped[int]
    seq: Mapped[int | None]
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    source: Mapped[RectificationSource] = mapped_column(enum_column(RectificationSource, "rectification_source"))
    inspected_on: Mapped[date | None]
    basis: Mapped[str] = mapped_column(String(200), default="")  # e.g. 《某某市机关效能建设监督检查办法》
    requirements: Mapped[str] = long_text(4000, default="")  # one a line; "" → the standard wording
    consequence: Mapped[str] = long_text(1000, default="")  # 通报 / 约谈 / 问责; "" → the standard wording
    contact_person: Mapped[str] = mapped_column(String(40), default="")
    contact_phone: Mapped[str] = mapped_column(String(40), default="")
    status: Mapped[NoticeStatus] = mapped_column(enum_column(NoticeStatus, "notice_status"),
                                                 default=NoticeStatus.ISSUED)
    issued_on: Mapped[date]
    issued_at: Mapped[datetime] = mapped_column(default=clock.now)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # Deadline: N working days from issued_on (kept, so a provisional one can be recomputed) or a date.
    limit_amount: Mapped[int | None]
    limit_unit: Mapped[str | None] = mapped_column(String(10))
    due_on: Mapped[date]
    due_provisional: Mapped[bool] = mapped_column(default=False)
    received_at: Mapped[datetime | None]  # 签收 (送达回执)
    received_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    closed_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    department: Mapped[Department] = relationship()
    issued_by: Mapped[User | None] = relationship(foreign_keys=[issued_by_id])
    received_by: Mapped[User | None] = relationship(foreign_keys=[received_by_id])
    items: Mapped[list[RectificationItem]] = relationship(back_populates="notice",
                                                          order_by="RectificationItem.position")
    matters: Mapped[list[Matter]] = relationship(secondary=rectification_notice_matter, order_by=Matter.id)
    events: Mapped[list[RectificationEvent]] = relationship(back_populates="notice",
                                                            order_by="RectificationEvent.id")

    def __str__(self) -> str:
        return f"{self.number or '整改通知书'}（{self.department.name}）"

    @property
    def is_open(self) -> bool:
        return self.status != NoticeStatus.CLOSED

    @property
    def closed_count(self) -> int:
        return sum(1 for item in self.items if item.status == ItemStatus.CLOSED)

    @property
    def progress(self) -> str:
        """``3/5``: items closed (销号) of all items."""
        return f"{self.closed_count}/{len(self.items)}"

    def is_overdue(self, today: date) -> bool:
        return self.is_open and self.due_on < today

    def all_items_closed(self) -> bool:
        return bool(self.items) and all(item.status == ItemStatus.CLOSED for item in self.items)


class RectificationItem(Base):
    """One numbered problem of a notice, with its own status (待整改 → 待验收 → 销号 / 退回)."""

    __tablename__ = "rectification_item"
    __table_args__ = (
        UniqueConstraint("notice_id", "position"),
        CheckConstraint("position >= 1", name="position_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("rectification_notice.id"))
    position: Mapped[int]  # 1, 2, 3 … as numbered on the notice
    problem: Mapped[str] = long_text(2000)
    matter_id: Mapped[int | None] = mapped_column(ForeignKey("matter.id"))  # the problem line's matter
    status: Mapped[ItemStatus] = mapped_column(enum_column(ItemStatus, "rectification_item_status"),
                                               default=ItemStatus.OPEN)
    closed_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    notice: Mapped[RectificationNotice] = relationship(back_populates="items")
    reports: Mapped[list[RectificationReport]] = relationship(back_populates="item",
                                                              order_by="RectificationReport.id")

    @property
    def latest_report(self) -> RectificationReport | None:
        return self.reports[-1] if self.reports else None


class RectificationReport(Base):
    """The department's report on one item (what was done, evidence), and the supervisor's 验收."""

    __tablename__ = "rectification_report"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("rectification_item.id"), index=True)
    content: Mapped[str] = long_text(6000)
    submitted_at: Mapped[datetime] = mapped_column(default=clock.now)
    submitted_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    verdict: Mapped[Verdict | None] = mapped_column(enum_column(Verdict, "rectification_verdict"))
    verify_note: Mapped[str] = long_text(2000, default="")
    verified_at: Mapped[datetime | None]
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    item: Mapped[RectificationItem] = relationship(back_populates="reports")
    submitted_by: Mapped[User] = relationship(foreign_keys=[submitted_by_id])
    verified_by: Mapped[User | None] = relationship(foreign_keys=[verified_by_id])
    evidence: Mapped[list[RectificationEvidence]] = relationship(back_populates="report",
                                                                 order_by="RectificationEvidence.id")


class RectificationEvidence(Base):
    """A file proving an item's rectification; stored by ``supervision.uploads.Storage``."""

    __tablename__ = "rectification_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("rectification_report.id"), index=True)
    original_name: Mapped[str] = mapped_column(String(200))
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(default=clock.now)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    report: Mapped[RectificationReport] = relationship(back_populates="evidence")


class RectificationEvent(Base):
    """One step on a notice's timeline (issued, signed for, reported, closed, sent back …)."""

    __tablename__ = "rectification_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("rectification_notice.id"), index=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("rectification_item.id"))
    at: Mapped[datetime] = mapped_column(default=clock.now)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    action: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = long_text(2000, default="")

    notice: Mapped[RectificationNotice] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()
