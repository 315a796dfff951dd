"""Department assessment (目标管理考核): a weighted score of each department's rates for a period.

score = Σ weightᵢ × scoreᵢ ÷ Σ weightᵢ over the indicators the department has data for, where scoreᵢ is
the rate × 100 (for 重办率, lower is better: (1 − rate) × 100). An indicator without data for a department
(no matter due yet, nobody called back, no notice) is left out of its score rather than counted as 0 or
100, and the ranking shows which indicators were counted. Departments with no indicator at all are not
ranked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from supervision import audit, clock, permissions
from supervision.errors import PermissionDenied, ValidationError
from supervision.ledgers.xlsx import Column, Sheet, write_workbook
from supervision.models.org import User
from supervision.models.statistics import (
    DEFAULT_WEIGHTS,
    LOWER_IS_BETTER,
    MAX_WEIGHT,
    AssessmentIndicator,
    AssessmentWeight,
)
from supervision.statistics.figures import DepartmentRow, Statistics


def current_weights(session: Session) -> dict[AssessmentIndicator, int]:
    """Every indicator's weight: the stored one, or its default."""
    stored = {row.indicator: row.weight for row in session.scalars(select(AssessmentWeight))}
    return {indicator: stored.get(indicator, DEFAULT_WEIGHTS[indicator]) for indicator in AssessmentIndicator}


def update_weights(session: Session, actor: User, weights: dict[AssessmentIndicator, int]) -> dict:
    """设置考核权重. Returns the changes {indicator: [old, new]} (empty when nothing changed)."""
    if not permissions.can_configure_assessment(actor):
        raise PermissionDenied("只有督查人员或领导可以设置考核权重。")
    for indicator, weight in weights.items():
        if not 0 <= weight <= MAX_WEIGHT:
            raise ValidationError(f"“{indicator.label}”的权重应在 0–{MAX_WEIGHT} 之间。")
    if sum(weights.values()) <= 0:
        raise ValidationError("权重不能全部为 0。")
    old = current_weights(session)
    stored = {row.indicator: row for row in session.scalars(select(AssessmentWeight))}
    changes = {}
    for indicator, weight in weights.items():
        if old[indicator] == weight and indicator in stored:
            continue
        row = stored.get(indicator) or AssessmentWeight(indicator=indicator, weight=weight)
        row.weight, row.updated_at, row.updated_by_id = weight, clock.now(), actor.id
        session.add(row)
        if old[indicator] != weight:
            changes[indicator.value] = [old[indicator], weight]
    if changes:
        summary = "、".join(f"{AssessmentIndicator(k).label} {a}→{b}" for k, (a, b) in changes.items())
        audit.record(session, actor, "assessment.weights_changed", ("assessment_weight", None),
                     f"调整考核权重：{summary}", changes)
    return changes


@dataclass(frozen=True)
class IndicatorScore:
    indicator: AssessmentIndicator
    rate: float | None  # None: no data for this department in the period
    weight: int
    score: float | None  # 0–100


@dataclass(frozen=True)
class RankedDepartment:
    rank: int | None  # None: nothing to score
    row: DepartmentRow
    indicators: tuple[IndicatorScore, ...]
    score: float | None


def rate_of(row: DepartmentRow, indicator: AssessmentIndicator) -> float | None:
    return {
        AssessmentIndicator.ON_TIME_RATE: row.matters.on_time_rate,
        AssessmentIndicator.SATISFACTION_RATE: row.matters.satisfaction_rate,
        AssessmentIndicator.REWORK_RATE: row.matters.rework_rate,
        AssessmentIndicator.RECTIFICATION_ON_TIME_RATE: row.notices.on_time_rate,
        AssessmentIndicator.SIGN_ON_TIME_RATE: row.assignments.sign_on_time_rate,
    }[indicator]


def score_department(row: DepartmentRow, weights: dict[AssessmentIndicator, int]) -> tuple[tuple, float | None]:
    scores = []
    for indicator in AssessmentIndicator:
        rate = rate_of(row, indicator)
        value = None if rate is None else 100 * ((1 - rate) if indicator in LOWER_IS_BETTER else rate)
        scores.append(IndicatorScore(indicator, rate, weights[indicator], value))
    counted = [s for s in scores if s.score is not None and s.weight > 0]
    total_weight = sum(s.weight for s in counted)
    score = sum(s.weight * s.score for s in counted) / total_weight if total_weight else None
    return tuple(scores), score


def rank_departments(statistics: Statistics, weights: dict[AssessmentIndicator, int]) -> list[RankedDepartment]:
    """Departments by score, best first; equal scores share a rank (1, 2, 2, 4)."""
    scored = []
    for row in statistics.departments:
        if row.department_id is None:
            continue
        indicators, score = score_department(row, weights)
        scored.append((row, indicators, score))
    scored.sort(key=lambda item: (item[2] is None, -(item[2] or 0), item[0].code))
    ranked, previous, rank = [], None, 0
    for position, (row, indicators, score) in enumerate(scored, start=1):
        if score is None:
            ranked.append(RankedDepartment(None, row, indicators, None))
            continue
        if previous is None or round(score, 2) != round(previous, 2):
            rank = position
        previous = score
        ranked.append(RankedDepartment(rank, row, indicators, score))
    return ranked


# --- the .xlsx of the ranking --------------------------------------------------------------------------
RANKING_COLUMNS = [
    Column("名次", 6, "int"), Column("单位", 28), Column("综合得分", 10, "number"),
    Column("按时办结率", 11, "percent"), Column("满意率", 10, "percent"), Column("重办率", 10, "percent"),
    Column("整改按期完成率", 14, "percent"), Column("按时签收率", 11, "percent"),
    Column("主办件数", 9, "int"), Column("办结", 8, "int"), Column("按时办结", 9, "int"), Column("逾期", 8, "int"),
    Column("延期", 8, "int"), Column("重办", 8, "int"), Column("满意", 8, "int"), Column("基本满意", 9, "int"),
    Column("不满意", 8, "int"), Column("承办件数", 9, "int"), Column("按时签收", 9, "int"), Column("退回", 8, "int"),
    Column("催办", 8, "int"), Column("督办", 8, "int"), Column("整改通知", 9, "int"), Column("按期完成整改", 12, "int"),
    Column("整改逾期", 9, "int"),
]


def ranking_rows(ranking: list[RankedDepartment]):
    for item in ranking:
        row, m, a = item.row, item.row.matters, item.row.assignments
        rates = {s.indicator: s.rate for s in item.indicators}
        yield [item.rank, row.name, round(item.score, 2) if item.score is not None else None,
               rates[AssessmentIndicator.ON_TIME_RATE], rates[AssessmentIndicator.SATISFACTION_RATE],
               rates[AssessmentIndicator.REWORK_RATE], rates[AssessmentIndicator.RECTIFICATION_ON_TIME_RATE],
               rates[AssessmentIndicator.SIGN_ON_TIME_RATE],
               m.received, m.done, m.closed_on_time, m.overdue, m.extended, m.reworked, m.satisfied,
               m.fairly_satisfied, m.dissatisfied, a.handled, a.signed_on_time, a.returned,
               row.escalations.urged, row.escalations.escalated, row.notices.issued, row.notices.closed_on_time,
               row.notices.overdue]


def export_ranking(session: Session, actor: User, statistics: Statistics, weights: dict[AssessmentIndicator, int],
                   path: str, office_name: str = "") -> int:
    """Write the ranking to ``path`` (.xlsx) and record the export. Returns the number of departments."""
    if not permissions.can_view_statistics(actor):
        raise PermissionDenied("只有督查人员或领导可以导出考核结果。")
    ranking = rank_departments(statistics, weights)
    weight_text = "；".join(f"{i.label} {w}" for i, w in weights.items())
    preamble = [f"{office_name}单位考核排名（{statistics.period.label}）".strip(),
                f"统计期间：{statistics.period.start:%Y-%m-%d} 至 {statistics.period.end:%Y-%m-%d}"
                + (f"；{'，'.join(statistics.filter_labels)}" if statistics.filter_labels else "")
                + f"；统计日：{statistics.today:%Y-%m-%d}",
                f"权重：{weight_text}（无数据的指标不计入该单位得分）"]
    count = write_workbook(path, [Sheet("考核排名", RANKING_COLUMNS, ranking_rows(ranking), preamble)])
    audit.record(session, actor, "assessment.exported", ("assessment_weight", None),
                 f"导出单位考核排名 {statistics.period.label}",
                 {"period": statistics.period.label, "filters": list(statistics.filter_labels), "rows": count})
    return count


def export_filename(statistics: Statistics, today: date | None = None) -> str:
    return f"单位考核排名_{statistics.period.label}_{(today or clock.today()):%Y%m%d}.xlsx"
