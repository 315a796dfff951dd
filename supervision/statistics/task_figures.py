"""督查事项 in the unit assessment (SPEC §13 评价, §8): each unit's task figures for a period, in one
grouped statement.

Two cohorts, each by the unit the task is addressed to (牵头 or 配合, sub-tasks included):
- **按期完成**: tasks whose final deadline (``due_on``) falls in the period and that went out (not planned,
  not cancelled). On time: 销号 and not applied late. Late: 销号 after the deadline, or still open after it.
- **评价**: tasks closed (销号) in the period that the office graded: a score (0–100) when one was given,
  otherwise the grade's points, less the lateness penalties (closed late, each late progress report), never
  under 0 — points and penalties are office settings the supervisors set (``office_settings``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, case, false, func, or_, select
from sqlalchemy.orm import Session

from supervision import office_settings
from supervision.models.tasks import OPEN_TASK_STATUSES, Task, TaskGrade, TaskStatus
from supervision.statistics.periods import Period


def _ratio(part: float, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass(frozen=True)
class TaskCounts:
    due: int = 0  # tasks due in the period (went out)
    on_time: int = 0  # of those, 销号 by the deadline
    late: int = 0  # of those, 销号 late or open past the deadline
    graded: int = 0  # tasks closed in the period and graded
    points: float = 0.0  # the sum of their points (0–100 each)
    poor: int = 0  # of those, graded 差
    late_reports: int = 0  # progress reports made late, on the tasks due in the period
    excellent: int = 0  # graded 好
    good: int = 0  # graded 较好
    fair: int = 0  # graded 一般
    on_time_rate: float | None = None
    grade_rate: float | None = None  # the mean points ÷ 100

    @classmethod
    def of(cls, due=0, on_time=0, late=0, graded=0, points=0.0, poor=0, late_reports=0, excellent=0, good=0,
           fair=0) -> TaskCounts:
        due, on_time, late, graded, poor, late_reports, excellent, good, fair = (
            int(x or 0) for x in (due, on_time, late, graded, poor, late_reports, excellent, good, fair))
        points = float(points or 0)
        return cls(due, on_time, late, graded, points, poor, late_reports, excellent, good, fair,
                   _ratio(on_time, on_time + late), _ratio(points / 100, graded))

    @property
    def grades(self) -> tuple[tuple[str, int], ...]:
        """(好, n), (较好, n) … of the graded tasks, those given."""
        counts = {TaskGrade.EXCELLENT: self.excellent, TaskGrade.GOOD: self.good, TaskGrade.FAIR: self.fair,
                  TaskGrade.POOR: self.poor}
        return tuple((grade.label, n) for grade, n in counts.items() if n)

    @property
    def average_points(self) -> float | None:
        return self.points / self.graded if self.graded else None

    @staticmethod
    def total(rows) -> TaskCounts:
        rows = list(rows)
        return TaskCounts.of(**{k: sum(getattr(r, k) for r in rows)
                                for k in ("due", "on_time", "late", "graded", "points", "poor", "late_reports",
                                          "excellent", "good", "fair")})


def grade_points(session: Session):
    """The points of a graded task as SQL: its score, or its grade's points, less the lateness penalties
    (never under 0), by the office's settings."""
    points = office_settings.grade_points(session)
    settings = office_settings.current(session)
    base = func.coalesce(Task.score, case(*[(Task.grade == grade.value, n) for grade, n in points.items()]))
    late_closure, late_report = settings["late_closure_penalty"], settings["late_report_penalty"]
    if not (late_closure or late_report):
        return base
    net = (base - case((Task.closed_late.is_(True), late_closure), else_=0)
           - late_report * func.coalesce(Task.late_report_count, 0))
    return case((net < 0, 0), else_=net)


def task_counts(session: Session, period: Period, today: date, department_id: int | None = None,
                narrows_matters: bool = False) -> dict[int, TaskCounts]:
    """{department id: TaskCounts} of the units with a task in either cohort."""
    start = datetime.combine(period.start, time.min)
    end = datetime.combine(period.end + timedelta(days=1), time.min)
    went_out = Task.status.not_in((TaskStatus.PLANNED, TaskStatus.CANCELLED))
    due_in_period = and_(went_out, Task.due_on >= period.start, Task.due_on <= period.end)
    closed = Task.status == TaskStatus.CLOSED
    on_time = and_(due_in_period, closed, Task.closed_late.is_(False))
    late = and_(due_in_period, or_(and_(closed, Task.closed_late.is_(True)),
                                   and_(Task.status.in_(OPEN_TASK_STATUSES), Task.due_on < today)))
    graded = and_(closed, Task.closed_at >= start, Task.closed_at < end,
                  or_(Task.grade.is_not(None), Task.score.is_not(None)))

    def count(condition):
        return func.count(case((condition, 1)))

    query = (select(Task.department_id, count(due_in_period), count(on_time), count(late), count(graded),
                    func.sum(case((graded, grade_points(session)), else_=0)),
                    count(and_(graded, Task.grade == TaskGrade.POOR)),
                    func.sum(case((due_in_period, Task.late_report_count), else_=0)),
                    *[count(and_(graded, Task.grade == grade))
                      for grade in (TaskGrade.EXCELLENT, TaskGrade.GOOD, TaskGrade.FAIR)])
             .where(or_(due_in_period, graded))
             .group_by(Task.department_id))
    if department_id:
        query = query.where(Task.department_id == department_id)
    if narrows_matters:  # kind, category, channel describe citizens' matters: tasks cannot follow them
        query = query.where(false())
    return {row[0]: TaskCounts.of(*row[1:]) for row in session.execute(query)}
