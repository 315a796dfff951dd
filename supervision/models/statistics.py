"""Department assessment (目标管理考核, docs/domain.md §8): the weight of each indicator in a department's score.

One row per indicator, written only by ``supervision.statistics.assessment.update_weights`` (audited).
An indicator without a row has its default weight (``DEFAULT_WEIGHTS``), as a time limit without a rule
has its statutory default.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column, relationship

from supervision import clock
from supervision.models.base import Base, LabelledEnum, enum_column
from supervision.models.org import User


class AssessmentIndicator(LabelledEnum):
    ON_TIME_RATE = "on_time_rate", "按时办结率"
    SATISFACTION_RATE = "satisfaction_rate", "满意率"
    REWORK_RATE = "rework_rate", "重办率"
    RECTIFICATION_ON_TIME_RATE = "rectification_on_time_rate", "整改按期完成率"
    SIGN_ON_TIME_RATE = "sign_on_time_rate", "按时签收率"
    # 督查事项 (SPEC §13): the office's grades of each unit's tasks, and its tasks finished by the deadline.
    TASK_GRADE = "task_grade", "督查事项评价"
    TASK_ON_TIME_RATE = "task_on_time_rate", "督查任务按期完成率"


# Lower is better for these: a department scores (1 − rate).
LOWER_IS_BETTER = frozenset({AssessmentIndicator.REWORK_RATE})

DEFAULT_WEIGHTS: dict[AssessmentIndicator, int] = {
    AssessmentIndicator.ON_TIME_RATE: 35,
    AssessmentIndicator.SATISFACTION_RATE: 30,
    AssessmentIndicator.REWORK_RATE: 15,
    AssessmentIndicator.RECTIFICATION_ON_TIME_RATE: 15,
    AssessmentIndicator.SIGN_ON_TIME_RATE: 5,
    AssessmentIndicator.TASK_GRADE: 20,
    AssessmentIndicator.TASK_ON_TIME_RATE: 15,
}

MAX_WEIGHT = 100


class AssessmentWeight(Base):
    __tablename__ = "assessment_weight"
    __table_args__ = (CheckConstraint(f"weight >= 0 AND weight <= {MAX_WEIGHT}", name="weight_range"),)

    indicator: Mapped[AssessmentIndicator] = mapped_column(
        enum_column(AssessmentIndicator, "assessment_indicator"), primary_key=True)
    weight: Mapped[int]
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    updated_by: Mapped[User | None] = relationship()
