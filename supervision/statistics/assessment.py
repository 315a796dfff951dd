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
        AssessmentIndicator.TASK_GRADE: row.tasks.grade_rate,
        AssessmentIndicator.TASK_ON_TIME_RATE: row.tasks.on_time_rate,
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


# --- 表彰 and 通报 / 诫勉谈话 proposals (the seed's reward and accountability) ---------------------------------
@dataclass(frozen=True)
class ProposalRules:
    """Who is proposed: the office's settings (``models.settings``: praise_top … admonish_poor_tasks)."""

    praise_top: int = 3  # 表彰: among the first N …
    praise_min_score: float = 90.0  # … with at least this score, and no task graded 差
    criticise_below: float = 70.0  # 通报: a score under this, or a task graded 差
    admonish_below: float = 60.0  # 诫勉谈话: a score under this, or this many tasks graded 差
    admonish_poor_tasks: int = 2

    @classmethod
    def of(cls, session: Session) -> ProposalRules:
        from supervision import office_settings

        values = office_settings.current(session)
        return cls(values["praise_top"], float(values["praise_min_score"]), float(values["criticise_below"]),
                   float(values["admonish_below"]), values["admonish_poor_tasks"])

    @property
    def text(self) -> str:
        return (f"拟表彰：排名前 {self.praise_top} 且综合得分不低于 {self.praise_min_score:g} 分、无评价为“差”的督查任务；"
                f"拟通报批评：综合得分低于 {self.criticise_below:g} 分，或有督查任务评价为“差”；"
                f"拟诫勉谈话（单位主要负责人）：综合得分低于 {self.admonish_below:g} 分，或 {self.admonish_poor_tasks} 项以上"
                "督查任务评价为“差”。以上为建议名单，由领导研究决定（规则见“督查设置”）。")


@dataclass(frozen=True)
class Proposal:
    department: RankedDepartment
    reason: str


@dataclass(frozen=True)
class Proposals:
    praise: tuple[Proposal, ...]  # 拟表彰
    criticise: tuple[Proposal, ...]  # 拟通报批评
    admonish: tuple[Proposal, ...]  # 拟诫勉谈话 (the unit's head); not listed again under 通报

    @property
    def any(self) -> bool:
        return bool(self.praise or self.criticise or self.admonish)


def proposals(ranking: list[RankedDepartment], rules: ProposalRules = ProposalRules()) -> Proposals:
    """Who the ranking proposes for 表彰, 通报 and 诫勉谈话: a proposal for the office to decide, never a
    decision (the rules are the office's settings, printed on the page)."""
    praise, criticise, admonish = [], [], []
    for item in ranking:
        if item.score is None:
            continue
        poor = item.row.tasks.poor
        if item.score < rules.admonish_below or poor >= rules.admonish_poor_tasks:
            reasons = ([f"综合得分 {item.score:.2f}，低于 {rules.admonish_below:g} 分"] if item.score < rules.admonish_below else []) \
                + ([f"{poor} 项督查任务评价为“差”"] if poor >= rules.admonish_poor_tasks else [])
            admonish.append(Proposal(item, "；".join(reasons)))
        elif item.score < rules.criticise_below or poor:
            reasons = ([f"综合得分 {item.score:.2f}，低于 {rules.criticise_below:g} 分"] if item.score < rules.criticise_below else []) \
                + ([f"{poor} 项督查任务评价为“差”"] if poor else [])
            criticise.append(Proposal(item, "；".join(reasons)))
        elif item.rank is not None and item.rank <= rules.praise_top and item.score >= rules.praise_min_score:
            praise.append(Proposal(item, f"第 {item.rank} 名，综合得分 {item.score:.2f}"))
    return Proposals(tuple(praise), tuple(criticise), tuple(admonish))


# --- the .xlsx of the ranking --------------------------------------------------------------------------
RANKING_COLUMNS = [
    Column("名次", 6, "int"), Column("单位", 28), Column("综合得分", 10, "number"),
    Column("按时办结率", 11, "percent"), Column("满意率", 10, "percent"), Column("重办率", 10, "percent"),
    Column("整改按期完成率", 14, "percent"), Column("按时签收率", 11, "percent"),
    Column("督查事项评价", 12, "percent"), Column("督查任务按期完成率", 16, "percent"),
    Column("主办件数", 9, "int"), Column("办结", 8, "int"), Column("按时办结", 9, "int"), Column("逾期", 8, "int"),
    Column("延期", 8, "int"), Column("重办", 8, "int"), Column("满意", 8, "int"), Column("基本满意", 9, "int"),
    Column("不满意", 8, "int"), Column("承办件数", 9, "int"), Column("按时签收", 9, "int"), Column("退回", 8, "int"),
    Column("催办", 8, "int"), Column("督办", 8, "int"), Column("整改通知", 9, "int"), Column("按期完成整改", 12, "int"),
    Column("整改逾期", 9, "int"), Column("督查任务应完成", 13, "int"), Column("按期销号", 9, "int"),
    Column("任务逾期", 9, "int"), Column("已评价任务", 10, "int"), Column("评价平均分", 10, "number"),
    Column("评价为差", 9, "int"), Column("逾期反馈", 9, "int"), Column("建议", 12),
]


def ranking_rows(ranking: list[RankedDepartment], rules: ProposalRules = ProposalRules()):
    proposed = proposals(ranking, rules)
    suggestion = {p.department.row.department_id: label
                  for label, group in (("拟表彰", proposed.praise), ("拟通报批评", proposed.criticise),
                                       ("拟诫勉谈话", proposed.admonish)) for p in group}
    for item in ranking:
        row, m, a, t = item.row, item.row.matters, item.row.assignments, item.row.tasks
        rates = {s.indicator: s.rate for s in item.indicators}
        yield [item.rank, row.name, round(item.score, 2) if item.score is not None else None,
               rates[AssessmentIndicator.ON_TIME_RATE], rates[AssessmentIndicator.SATISFACTION_RATE],
               rates[AssessmentIndicator.REWORK_RATE], rates[AssessmentIndicator.RECTIFICATION_ON_TIME_RATE],
               rates[AssessmentIndicator.SIGN_ON_TIME_RATE], rates[AssessmentIndicator.TASK_GRADE],
               rates[AssessmentIndicator.TASK_ON_TIME_RATE],
               m.received, m.done, m.closed_on_time, m.overdue, m.extended, m.reworked, m.satisfied,
               m.fairly_satisfied, m.dissatisfied, a.handled, a.signed_on_time, a.returned,
               row.escalations.urged, row.escalations.escalated, row.notices.issued, row.notices.closed_on_time,
               row.notices.overdue, t.due, t.on_time, t.late, t.graded,
               round(t.average_points, 1) if t.average_points is not None else None, t.poor, t.late_reports,
               suggestion.get(row.department_id, "")]


def export_ranking(session: Session, actor: User, statistics: Statistics, weights: dict[AssessmentIndicator, int],
                   path: str, office_name: str = "") -> int:
    """Write the ranking to ``path`` (.xlsx) and record the export. Returns the number of departments."""
    if not permissions.can_view_statistics(actor):
        raise PermissionDenied("只有督查人员或领导可以导出考核结果。")
    ranking = rank_departments(statistics, weights)
    rules = ProposalRules.of(session)
    weight_text = "；".join(f"{i.label} {w}" for i, w in weights.items())
    preamble = [f"{office_name}单位考核排名（{statistics.period.label}）".strip(),
                f"统计期间：{statistics.period.start:%Y-%m-%d} 至 {statistics.period.end:%Y-%m-%d}"
                + (f"；{'，'.join(statistics.filter_labels)}" if statistics.filter_labels else "")
                + f"；统计日：{statistics.today:%Y-%m-%d}",
                f"权重：{weight_text}（无数据的指标不计入该单位得分）", rules.text]
    count = write_workbook(path, [Sheet("考核排名", RANKING_COLUMNS, ranking_rows(ranking, rules), preamble)])
    audit.record(session, actor, "assessment.exported", ("assessment_weight", None),
                 f"导出单位考核排名 {statistics.period.label}",
                 {"period": statistics.period.label, "filters": list(statistics.filter_labels), "rows": count})
    return count


def export_filename(statistics: Statistics, today: date | None = None) -> str:
    return f"单位考核排名_{statistics.period.label}_{(today or clock.today()):%Y%m%d}.xlsx"
