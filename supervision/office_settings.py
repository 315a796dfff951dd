"""The office settings as the application reads them (``models.settings``: keys, defaults, ranges): the
stored value or the default, read once and kept until the next write (``readcache``). The supervisors
change them in the settings area (``settings.services.update_office_settings``, audited)."""

from __future__ import annotations

from types import MappingProxyType

from sqlalchemy import select
from sqlalchemy.orm import Session

from supervision import readcache
from supervision.errors import ValidationError
from supervision.models.settings import BY_KEY, DEFAULTS, DEFINITIONS, OfficeSetting
from supervision.models.tasks import TaskGrade

GRADE_KEYS = {TaskGrade.EXCELLENT: "grade_points_excellent", TaskGrade.GOOD: "grade_points_good",
              TaskGrade.FAIR: "grade_points_fair", TaskGrade.POOR: "grade_points_poor"}


def current(session: Session) -> MappingProxyType:
    """{key: value} of every setting: the stored one, or its default. Read-only."""
    def load():
        stored = dict(session.execute(select(OfficeSetting.key, OfficeSetting.value)).all())
        return MappingProxyType({key: stored.get(key, default) for key, default in DEFAULTS.items()})
    return readcache.until_next_write(session, ("office_settings",), load)


def get(session: Session, key: str) -> int:
    return current(session)[key]


def warning_workdays(session: Session) -> int:
    """The office's yellow light: within this many working days of a deadline (an item may set its own)."""
    return current(session)["task_warning_workdays"]


def grade_points(session: Session) -> dict[TaskGrade, int]:
    values = current(session)
    return {grade: values[key] for grade, key in GRADE_KEYS.items()}


def validate(values: dict[str, int]) -> None:
    """Every value in its range, and the orders that make the rules mean something; all problems at once."""
    errors = []
    for key, value in values.items():
        definition = BY_KEY.get(key)
        if definition is None:
            errors.append(f"未知的设置项“{key}”。")
        elif not isinstance(value, int) or not definition.minimum <= value <= definition.maximum:
            errors.append(f"“{definition.label}”应为 {definition.minimum}–{definition.maximum} 之间的整数。")
    if errors:
        raise ValidationError(" ".join(errors))
    merged = {**DEFAULTS, **values}
    points = [merged[GRADE_KEYS[g]] for g in (TaskGrade.EXCELLENT, TaskGrade.GOOD, TaskGrade.FAIR, TaskGrade.POOR)]
    if points != sorted(points, reverse=True):
        errors.append("评价计分应满足：好 ≥ 较好 ≥ 一般 ≥ 差。")
    if not merged["admonish_below"] <= merged["criticise_below"] <= merged["praise_min_score"]:
        errors.append("分数线应满足：诫勉谈话分数线 ≤ 通报批评分数线 ≤ 表彰最低得分。")
    if errors:
        raise ValidationError(" ".join(errors))


__all__ = ["DEFINITIONS", "GRADE_KEYS", "current", "get", "grade_points", "validate", "warning_workdays"]
