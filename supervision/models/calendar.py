"""The office's calendar settings: holiday overrides and time-limit rules (docs/domain.md §6)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
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


class TimeLimitRule(Base):
    """A time limit: a number and a unit, for a step, optionally for one kind and category."""

    __tablename__ = "time_limit_rule"
    __table_args__ = (
        UniqueConstraint("step", "matter_kind", "category_id", name="uq_time_limit_rule_scope"),
        CheckConstraint("amount > 0 AND amount <= 365", name="amount_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    step: Mapped[LimitStep] = mapped_column(enum_column(LimitStep, "limit_step"))
    matter_kind: Mapped[str | None] = mapped_column(String(20))  # None: every kind
    category_id: Mapped[int | None] = mapped_column(ForeignKey("category.id"), index=True)  # None: every category
    amount: Mapped[int]
    unit: Mapped[LimitUnit] = mapped_column(enum_column(LimitUnit, "limit_unit"))
    source: Mapped[str] = mapped_column(String(120), default="")
