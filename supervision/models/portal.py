"""The public side (政务公开): citizens' own ratings, and the figures the office publishes.

A published snapshot is never changed or deleted: publishing the same period again marks the older
one superseded (``superseded_at``) and adds a new one, so the history of what the public was shown
stays. At most one snapshot per period is current (a partial unique index holds that).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from supervision import clock
from supervision.models.base import Base, LabelledEnum, enum_column, long_text
from supervision.models.matters import Matter, Satisfaction
from supervision.models.org import Department, User


class CitizenRating(Base):
    """满意度评价 given by the citizen online. One per matter (the database says so too)."""

    __tablename__ = "citizen_rating"

    id: Mapped[int] = mapped_column(primary_key=True)
    matter_id: Mapped[int] = mapped_column(ForeignKey("matter.id"), unique=True)
    satisfaction: Mapped[Satisfaction] = mapped_column(enum_column(Satisfaction, "citizen_rating_satisfaction"))
    comment: Mapped[str] = long_text(500, default="")  # the citizen's own words: office staff only
    rated_at: Mapped[datetime] = mapped_column(default=clock.now)

    matter: Mapped[Matter] = relationship()


class PeriodKind(LabelledEnum):
    MONTH = "month", "月度"
    QUARTER = "quarter", "季度"
    YEAR = "year", "年度"


class FigureSnapshot(Base):
    """One publication of per-department figures for a period."""

    __tablename__ = "figure_snapshot"
    __table_args__ = (
        Index("ix_figure_snapshot_current", "period_kind", "period_start", unique=True,
              sqlite_where=text("superseded_at IS NULL"), postgresql_where=text("superseded_at IS NULL")),
        Index("ix_figure_snapshot_published", "published_at", "id"),
        CheckConstraint("period_end >= period_start", name="period_in_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    period_kind: Mapped[PeriodKind] = mapped_column(enum_column(PeriodKind, "period_kind"))
    period_start: Mapped[date]
    period_end: Mapped[date]
    label: Mapped[str] = mapped_column(String(40))  # 2026年6月 / 2026年第二季度 / 2026年度
    published_at: Mapped[datetime] = mapped_column(default=clock.now)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    superseded_at: Mapped[datetime | None]

    published_by: Mapped[User | None] = relationship()
    rows: Mapped[list[FigureRow]] = relationship(back_populates="snapshot", order_by="FigureRow.position")

    @property
    def is_current(self) -> bool:
        return self.superseded_at is None


class FigureRow(Base):
    """One department's figures in a snapshot; the name is copied so later renames do not rewrite history."""

    __tablename__ = "figure_row"
    __table_args__ = (
        CheckConstraint("received >= 0 AND closed_on_time >= 0 AND rated >= 0 AND satisfied >= 0",
                        name="counts_nonnegative"),
        CheckConstraint("closed_on_time <= received AND satisfied <= rated", name="counts_consistent"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("figure_snapshot.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    department_name: Mapped[str] = mapped_column(String(80))
    received: Mapped[int] = mapped_column(default=0)  # 收到并交该单位主办的投诉、建议
    closed_on_time: Mapped[int] = mapped_column(default=0)  # 在主办时限内办结（审核通过）
    rated: Mapped[int] = mapped_column(default=0)  # 有满意度评价的
    satisfied: Mapped[int] = mapped_column(default=0)  # 满意 + 基本满意

    snapshot: Mapped[FigureSnapshot] = relationship(back_populates="rows")
    department: Mapped[Department | None] = relationship()

    @property
    def on_time_rate(self) -> float | None:
        return self.closed_on_time / self.received if self.received else None

    @property
    def satisfaction_rate(self) -> float | None:
        return self.satisfied / self.rated if self.rated else None


class PortalCaptcha(Base):
    """A CAPTCHA question asked of one browser. The browser holds only a random token (its digest is
    kept here); the answer never leaves the server, and ``answered_at`` makes it good for one attempt.
    Rows older than a day are removed by the sweep (they are challenges, not records)."""

    __tablename__ = "portal_captcha"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    question: Mapped[str] = mapped_column(String(40))
    answer: Mapped[str] = mapped_column(String(4))
    issued_at: Mapped[datetime] = mapped_column(default=clock.now, index=True)
    answered_at: Mapped[datetime | None]


class PortalLookup(Base):
    """A citizen's progress look-up (number + query code accepted): the browser holds a random token;
    it works while used at least every ``PORTAL_LOOKUP_IDLE_MINUTES`` and until 退出查询 ends it."""

    __tablename__ = "portal_lookup"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    matter_id: Mapped[int] = mapped_column(ForeignKey("matter.id"), index=True)
    opened_at: Mapped[datetime] = mapped_column(default=clock.now, index=True)
    last_seen_at: Mapped[datetime] = mapped_column(default=clock.now)
    ended_at: Mapped[datetime | None]

    matter: Mapped[Matter] = relationship()
