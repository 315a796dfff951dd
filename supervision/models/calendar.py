"""The office's calendar settings: holiday overrides and time-limit rules (docs/domain.md §6)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from supervision import clock
from supervision.calendar import LimitUnit
from supervision.models.base import Base, LabelledEnum, enum_column


class LimitStep(LabelledEnum):
    """The steps that carry a time limit."""

    ACCEPT = "accept", "受理审查"
    OBJECT = "object", "异议退回"
    HANDLE = "handle", "办理答复"
    NOTIFY = "notify", "告知实名举报人"
    INQUIRY_REPLY = "inquiry_reply", "函询回复"


class CalendarOverride(Base):
    """A day the admin has decided: the State Council's schedule for a year chinesecalendar lacks."""

    __tablename__ = "calendar_override"

    day: Mapped[date] = mapped_column(primary_key=True)
    is_workday: Mapped[bool]
    name: Mapped[str] = mapped_column(String(40), default="")
    source_notice: Mapped[str] = mapped_column(String(200), default="")
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)


class PublishedYear(Base):
    """A year whose holiday schedule the admin entered in full (the State Council's notice): its days are
    known, so its deadlines are no longer provisional (推定)."""

    __tablename__ = "published_year"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    source_notice: Mapped[str] = mapped_column(String(200), default="")
    published_at: Mapped[datetime] = mapped_column(default=clock.now)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))


class TimeLimitRule(Base):
    """A time limit: a number and a unit, for a step, optionally for one kind and category."""

    __tablename__ = "time_limit_rule"
    __table_args__ = (
        UniqueConstraint("step", "matter_kind", "category_id", name="uq_time_limit_rule_scope"),
        CheckConstraint("amount > 0 AND amount <= 365", name="amount_range"),
        CheckConstraint("max_extensions >= 0 AND max_extensions <= 10", name="max_extensions_range"),
        CheckConstraint("extension_amount IS NULL OR (extension_amount > 0 AND extension_amount <= 365)",
                        name="extension_amount_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    step: Mapped[LimitStep] = mapped_column(enum_column(LimitStep, "limit_step"))
    matter_kind: Mapped[str | None] = mapped_column(String(20))  # None: every kind
    category_id: Mapped[int | None] = mapped_column(ForeignKey("category.id"), index=True)  # None: every category
    amount: Mapped[int]
    unit: Mapped[LimitUnit] = mapped_column(enum_column(LimitUnit, "limit_unit"))
    source: Mapped[str] = mapped_column(String(120), default="")
    # Extensions (延期) of this limit: how many, each at most how long (in the rule's unit; None: as long
    # as the limit itself), and whether only a leader may approve one (信访-type matters: 30 days once).
    max_extensions: Mapped[int] = mapped_column(default=1, server_default="1")
    extension_amount: Mapped[int | None]
    extension_by_leader: Mapped[bool] = mapped_column(default=False, server_default=false())
