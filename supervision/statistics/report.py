"""The periodic work report (办理情况报告) as .docx, built from the very figures the statistics page
shows — the page, the ranking and the report cannot disagree, because they read one ``Statistics``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from supervision import clock
from supervision.documents.services import generate, office_profile
from supervision.errors import ValidationError
from supervision.models.documents import GeneratedDocument
from supervision.models.matters import MatterKind
from supervision.models.org import User
from supervision.paperwork.data import DepartmentLine, Ratio, Tally, WorkReport
from supervision.statistics import assessment
from supervision.statistics.figures import LabelledCount, Statistics, StatisticsFilters, compute_statistics
from supervision.statistics.periods import Period, PeriodKind

REPORT_PERIODS = (PeriodKind.MONTH, PeriodKind.QUARTER, PeriodKind.YEAR)
NEXT_STEPS_MAX = 2000
TOP_UNITS = 10


def _share(count: int, whole: int) -> float | None:
    return count / whole if whole else None


def _tallies(items, whole: int) -> tuple[Tally, ...]:
    return tuple(Tally(label, count, _share(count, whole)) for label, count in items if count)


def work_report_data(statistics: Statistics, by_kind: Mapping[MatterKind, int], ranking, compiled_on: date,
                     next_steps: str = "") -> WorkReport:
    """The report's figures, all taken from ``statistics`` (office-wide, no filter)."""
    totals = statistics.totals
    m, a, e, n = totals.matters, totals.assignments, totals.escalations, totals.notices
    received = m.received
    levels: tuple[LabelledCount, ...] = tuple(x for x in e.by_level if x.key != "phone")
    departments = tuple(
        DepartmentLine(item.row.name, item.row.matters.assigned, item.row.matters.closed_on_time,
                       item.row.matters.overdue, item.row.escalations.escalated,
                       None if item.score is None else round(item.score, 1))
        for item in ranking if item.row.matters.assigned or item.row.escalations.escalated)
    return WorkReport(
        period=statistics.period.label, start_on=statistics.period.start, end_on=statistics.period.end,
        compiled_on=compiled_on, received=received,
        by_kind=_tallies(((kind.label, by_kind.get(kind, 0)) for kind in MatterKind), received),
        by_channel=_tallies(sorted(((row.label, row.matters.received) for row in statistics.by_channel),
                                   key=lambda item: -item[1]), received),
        accepted=m.accepted, assigned=m.assigned, closed=m.done, closed_on_time=m.closed_on_time,
        overdue=m.overdue, extended=m.extended, reworked=m.reworked, returned=a.returned,
        satisfaction=_tallies((("满意", m.satisfied), ("基本满意", m.fairly_satisfied), ("不满意", m.dissatisfied)),
                              m.rated),
        categories=_tallies(sorted(((row.label, row.matters.received) for row in statistics.by_category),
                                   key=lambda item: -item[1]), received),
        top_units=_tallies(((unit.label, unit.count) for unit in statistics.top_units[:TOP_UNITS]), received),
        urged=e.urged, escalations=tuple(Tally(x.label, x.count) for x in levels if x.count),
        notices_issued=n.issued, notices_closed_on_time=n.closed_on_time, notices_overdue=n.overdue,
        talks=tuple(Tally(x.label, x.count) for x in totals.talks.by_kind if x.count),
        ratios=(Ratio("按时办结率", m.closed_on_time, m.closed_on_time + m.overdue),
                Ratio("满意率", m.satisfied + m.fairly_satisfied, m.rated),
                Ratio("重办率", m.reworked, m.assigned),
                Ratio("整改按期完成率", n.closed_on_time, n.closed_on_time + n.overdue)),
        departments=departments,
        repeat_rate=Ratio("重复投诉率", m.repeat, received),
        next_steps=next_steps.strip(),
    )


def period_subject(period: Period) -> str:
    """What the register files the report under: one revision chain per period."""
    return f"report:{period.start.isoformat()}:{period.end.isoformat()}"


def generate_work_report(session: Session, actor: User, period: Period, *, next_steps: str,
                         config: Mapping[str, Any], folder: Path, today: date | None = None) -> GeneratedDocument:
    """Build, register and audit the office-wide report for a month, quarter or year."""
    if period.kind not in REPORT_PERIODS:
        raise ValidationError("办理情况报告按月度、季度或年度生成，请选择相应的统计期间。")
    if len(next_steps) > NEXT_STEPS_MAX:
        raise ValidationError(f"“下一步工作”不能超过 {NEXT_STEPS_MAX} 个字。")
    today = today or clock.today()
    if period.start > today:
        raise ValidationError("统计期间尚未开始，不能生成报告。")
    statistics = compute_statistics(session, period, StatisticsFilters(), today)
    by_kind = {kind: compute_statistics(session, period, StatisticsFilters(kind=kind.value), today)
               .totals.matters.received for kind in MatterKind}
    ranking = assessment.rank_departments(statistics, assessment.current_weights(session))
    data = work_report_data(statistics, by_kind, ranking, today, next_steps)
    # 主送 from the configuration; a period not yet ended says up to which day its figures run.
    data = replace(data, addressee=config.get("REPORT_ADDRESSEE", ""),
                   as_of=today if today < period.end else None)
    return generate(session, actor, doc_type="work_report", subject=(period_subject(period), 0),
                    build_data=lambda number: replace(data, number=number), profile=office_profile(config),
                    folder=folder, title=f"{period.label}办理情况报告", prefix_key="work_report")
