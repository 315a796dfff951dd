"""Office settings the supervisors set (docs/domain.md §13): whole numbers by key, each with its default,
its range and its label here, in one place. A key without a row has its default, as an assessment weight
without a row has its default weight. Written only by ``settings.services.update_office_settings``
(audited); read through ``supervision.office_settings``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from supervision import clock
from supervision.models.base import Base


@dataclass(frozen=True)
class SettingDefinition:
    key: str
    label: str
    default: int
    minimum: int
    maximum: int
    unit: str = ""
    hint: str = ""


MAX_WARNING_WORKDAYS = 20  # a yellow light longer than a month of working days is no warning

DEFINITIONS: tuple[SettingDefinition, ...] = (
    SettingDefinition("task_warning_workdays", "督查事项黄灯提前天数", 2, 0, MAX_WARNING_WORKDAYS, "个工作日",
                      "时限前多少个工作日亮黄灯；单个督查事项可另行设定。"),
    SettingDefinition("grade_points_excellent", "评价“好”计分", 100, 0, 100, "分"),
    SettingDefinition("grade_points_good", "评价“较好”计分", 85, 0, 100, "分"),
    SettingDefinition("grade_points_fair", "评价“一般”计分", 70, 0, 100, "分"),
    SettingDefinition("grade_points_poor", "评价“差”计分", 50, 0, 100, "分"),
    SettingDefinition("late_closure_penalty", "逾期办结扣分", 0, 0, 100, "分",
                      "办结申请晚于办结时限的任务，其评价得分扣减的分数（最低 0 分）。"),
    SettingDefinition("late_report_penalty", "逾期反馈扣分", 0, 0, 100, "分/次",
                      "任务每有一次逾期的进度反馈，其评价得分扣减的分数（最低 0 分）。"),
    SettingDefinition("praise_top", "拟表彰：排名前", 3, 0, 100, "名"),
    SettingDefinition("praise_min_score", "拟表彰：综合得分不低于", 90, 0, 100, "分"),
    SettingDefinition("criticise_below", "拟通报批评：综合得分低于", 70, 0, 100, "分"),
    SettingDefinition("admonish_below", "拟诫勉谈话：综合得分低于", 60, 0, 100, "分"),
    SettingDefinition("admonish_poor_tasks", "拟诫勉谈话：评价为“差”的任务达到", 2, 1, 100, "项"),
)
BY_KEY = {d.key: d for d in DEFINITIONS}
DEFAULTS = {d.key: d.default for d in DEFINITIONS}


class OfficeSetting(Base):
    __tablename__ = "office_setting"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int]
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
