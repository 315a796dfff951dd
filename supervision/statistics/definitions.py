"""统计口径, part one: what a figure counts — each figure's SQL condition and its Chinese definition, and
the context (calendar look-ups) the conditions need. The statistics themselves are in ``figures``, which
re-exports these names. Nothing here reads complainant identity."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import (
    Date,
    and_,
    case,
    func,
    literal,
    null,
    or_,
    select,
    true,
)
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.elements import ColumnElement

from supervision.deadlines import office_calendar
from supervision.models.matters import (
    Assignment,
    AssignmentRole,
    AssignmentStatus,
    Extension,
    ExtensionStatus,
    Matter,
    MatterStatus,
    Satisfaction,
)
from supervision.models.settings import DEFAULTS as SETTING_DEFAULTS
from supervision.models.tasks import TaskGrade
from supervision.models.talks import TalkStatus
from supervision.statistics.periods import Period

CACHE_SIZE = 32  # computed statistics kept (figures) and calendar look-ups kept (here)

# 签收时限: an assignment is signed for on time within this many working days after the day it was
# assigned (the start day not counted). Local rules say "及时签收"; one working day is the common reading.
SIGN_FOR_WORKDAYS = 1

DONE_STATUSES = (MatterStatus.APPROVED, MatterStatus.FOLLOWED_UP, MatterStatus.CLOSED, MatterStatus.ARCHIVED)
NOT_ACCEPTED_STATUSES = (MatterStatus.REGISTERED, MatterStatus.NOT_ACCEPTED, MatterStatus.FILED)
TALK_COUNTED_STATUSES = tuple(s for s in TalkStatus if s not in (TalkStatus.PROPOSED, TalkStatus.DECLINED))
TOP_UNITS = 10
NO_DEPARTMENT = "none"  # the drill-down's department value for matters without a lead department

# The lead (主办) assignment of a matter: the active one of its current lead department.
Lead = aliased(Assignment, name="lead_assignment")
LEAD_JOIN = and_(Lead.matter_id == Matter.id, Lead.role == AssignmentRole.LEAD,
                 Lead.department_id == Matter.lead_department_id,
                 Lead.status.not_in((AssignmentStatus.WITHDRAWN, AssignmentStatus.RETURNED)))


def day_of(moment) -> ColumnElement:
    """The calendar day of a timestamp column, comparable with a date column on SQLite and PostgreSQL."""
    return func.date(moment, type_=Date)


# --- the context a condition needs besides the row ----------------------------------------------------
@dataclass(frozen=True)
class Context:
    today: date
    sign_due: ColumnElement  # the last day to sign for Assignment, by its assigned_on


def step_lookup(column, steps: list[tuple[date, date]]) -> ColumnElement:
    """``value(column)`` for a step function given as [(first day, value), …] in day order: a balanced
    tree of CASEs, so each row costs about log2(len(steps)) comparisons. Days before the first step
    take the first value."""
    if len(steps) == 1:
        return literal(steps[0][1], Date)
    middle = len(steps) // 2
    return case((column < literal(steps[middle][0], Date), step_lookup(column, steps[:middle])),
                else_=step_lookup(column, steps[middle:]))


_lookups: dict[tuple, tuple] = {}


def sign_due_lookup(session: Session, first: date, last: date) -> ColumnElement:
    """The last day to sign for an assignment made on ``Assignment.assigned_on`` (office calendar)."""
    calendar = office_calendar(session)  # the same object while the holiday overrides are unchanged
    key = (first, last)
    cached = _lookups.get(key)
    if cached is not None and cached[0] is calendar:
        return cached[1]
    if len(_lookups) > CACHE_SIZE:
        _lookups.clear()
    _lookups[key] = (calendar, _sign_due_steps(calendar, first, last))
    return _lookups[key][1]


def _sign_due_steps(calendar, first: date, last: date) -> ColumnElement:
    steps: list[tuple[date, date]] = []
    day = first
    while day <= last:
        due = calendar.add_workdays(day, SIGN_FOR_WORKDAYS)
        if not steps or steps[-1][1] != due:
            steps.append((day, due))
        day += timedelta(days=1)
    return step_lookup(Assignment.assigned_on, steps)


def make_context(session: Session, period: Period, today: date) -> Context:
    # Assignments follow receipt, up to today: their days lie in [period start, max(today, period end)].
    return Context(today, sign_due_lookup(session, period.start, max(today, period.end)))


# --- the figures ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Definition:
    """A figure's name and its 统计口径, as shown on the page and printed under a report's tables."""

    key: str
    label: str
    text: str
    grain: str  # matter | assignment | escalation | notice | talk


@dataclass(frozen=True)
class Figure:
    definition: Definition
    condition: Callable[[Context], ColumnElement] | None  # None: counted by its own query, no list

    @property
    def key(self) -> str:
        return self.definition.key


FIGURES: dict[str, Figure] = {}


def figure(key: str, label: str, text: str, grain: str = "matter"):
    def register(condition):
        FIGURES[key] = Figure(Definition(key, label, text, grain), condition)
        return condition
    return register


def plain_figure(key: str, label: str, text: str, grain: str) -> None:
    FIGURES[key] = Figure(Definition(key, label, text, grain), None)


@figure("received", "收件", "统计期内收件日期（received_on）落在期间内的事项，含不予受理、存查的。")
def received(ctx: Context):
    return true()


@figure("accepted", "受理", "收件中已受理的事项（不含待受理、不予受理和存查）。")
def accepted(ctx: Context):
    return Matter.status.not_in(NOT_ACCEPTED_STATUSES)


@figure("assigned", "交办", "收件中已交办主办单位的事项，含被退回、待重新交办的（退回后又作存查的不计）；"
                            "按单位统计时计入现主办单位。")
def assigned(ctx: Context):
    return or_(Matter.lead_department_id.is_not(None), Matter.status == MatterStatus.RETURNED)


@figure("done", "办结", "审核通过及其后（已回访、已办结、已归档）的事项。")
def done(ctx: Context):
    return Matter.status.in_(DONE_STATUSES)


# The deadline that decides 按时办结: the one the department was given — a 督办 that set a new deadline does
# not make a late matter an on-time one (docs/domain.md §8); an approved extension or a rework deadline does.
ASSESSED_DUE = func.coalesce(Lead.assessed_due_on, Lead.due_on)


@figure("closed_on_time", "按时办结",
        "已办结，且主办单位最后一次报送办结报告的日期不晚于主办时限（批准延期的，以延期后的时限为准；"
        "督办另定的时限不计，仍以督办前的时限为准）。")
def closed_on_time(ctx: Context):
    return and_(Matter.status.in_(DONE_STATUSES), Lead.status == AssignmentStatus.DONE,
                day_of(Lead.replied_at) <= ASSESSED_DUE)


def _replied_late():
    return and_(Lead.status.in_((AssignmentStatus.REPLIED, AssignmentStatus.DONE)),
                day_of(Lead.replied_at) > ASSESSED_DUE)


@figure("overdue", "逾期",
        "主办单位尚在办理且今天已超过主办时限的，或超过主办时限后才报送办结报告的（逾期办结）；"
        "督办另定的时限不改变逾期。")
def overdue(ctx: Context):
    open_past_due = and_(Lead.status.in_((AssignmentStatus.ASSIGNED, AssignmentStatus.RECEIVED)),
                         ASSESSED_DUE < ctx.today)
    return or_(open_past_due, _replied_late())


@figure("extended", "延期", "主办单位的延期申请获批准的事项。")
def extended(ctx: Context):
    # IN rather than a correlated EXISTS: both engines build the (small) set once, not a probe per row.
    return Lead.id.in_(select(Extension.assignment_id).where(Extension.status == ExtensionStatus.APPROVED))


@figure("reworked", "重办", "审核退回重办或回访不满意重办至少一次的事项。")
def reworked(ctx: Context):
    return Matter.rework_count > 0


@figure("satisfied", "满意", "回访结果（含群众网上评价）为满意的事项。")
def satisfied(ctx: Context):
    return Matter.satisfaction == Satisfaction.SATISFIED


@figure("fairly_satisfied", "基本满意", "回访结果为基本满意的事项。")
def fairly_satisfied(ctx: Context):
    return Matter.satisfaction == Satisfaction.FAIRLY_SATISFIED


@figure("dissatisfied", "不满意", "回访结果为不满意的事项（重办后再次回访的，以最近一次为准）。")
def dissatisfied(ctx: Context):
    return Matter.satisfaction == Satisfaction.DISSATISFIED


@figure("repeat", "重复件", "作为重复件关联到原件（存查）的事项。")
def repeat(ctx: Context):
    return Matter.duplicate_of_id.is_not(None)


@figure("handled", "承办", "交给该单位主办或协办的事项（按事项计，已撤回的协办不计）。", "assignment")
def handled(ctx: Context):
    return true()


@figure("signed_on_time", "按时签收",
        f"交办后 {SIGN_FOR_WORKDAYS} 个工作日内（交办当日不计，按本单位节假日安排）签收的事项。", "assignment")
def signed_on_time(ctx: Context):
    return and_(Assignment.received_at.is_not(None), day_of(Assignment.received_at) <= ctx.sign_due)


@figure("returned", "退回", "该单位提出异议退回的事项。", "assignment")
def returned(ctx: Context):
    return Assignment.status == AssignmentStatus.RETURNED


plain_figure("urged", "催办", "统计期内发出的催办（电话催办，含系统自动催办），按被催办单位统计。", "escalation")
plain_figure("escalated", "督办", "统计期内发出的督办（书面、挂牌、提级督办），按被督办单位统计。", "escalation")
plain_figure("notices_issued", "整改通知", "统计期内签发（issued_on）的整改通知书。", "notice")
plain_figure("notices_closed_on_time", "按期完成整改", "上述通知书中已销号，且销号日期不晚于整改期限的。", "notice")
plain_figure("notices_overdue", "整改逾期", "上述通知书中未销号且已过整改期限的，或过期限后才销号的。", "notice")
plain_figure("talks", "谈话函询", "统计期内经领导批准的谈话和函询（按批准日期，不予批准的不计），按对象所在单位统计。", "talk")

MATTER_KEYS = tuple(k for k, f in FIGURES.items() if f.definition.grain == "matter")


def matter_condition(key: str, today: date) -> ColumnElement:
    """A matter figure's condition for another reader of the same fact (the published figures): over
    ``Matter`` outer-joined to ``Lead`` by ``LEAD_JOIN``."""
    figure = FIGURES[key]
    if figure.definition.grain != "matter":
        raise KeyError(key)
    return figure.condition(Context(today, null()))

ASSIGNMENT_KEYS = tuple(k for k, f in FIGURES.items() if f.definition.grain == "assignment")

RATE_DEFINITIONS = (
    Definition("on_time_rate", "按时办结率", "按时办结 ÷（按时办结 + 逾期）；尚在时限内办理的不计入。", "rate"),
    Definition("satisfaction_rate", "满意率", "（满意 + 基本满意）÷ 已回访（满意、基本满意、不满意之和）。", "rate"),
    Definition("rework_rate", "重办率", "重办 ÷ 交办；越低越好。", "rate"),
    Definition("repeat_rate", "重复投诉率", "重复件 ÷ 收件。", "rate"),
    Definition("sign_on_time_rate", "按时签收率", "按时签收 ÷ 承办。", "rate"),
    Definition("rectification_on_time_rate", "整改按期完成率", "按期完成整改 ÷（按期完成整改 + 整改逾期）。", "rate"),
    Definition("task_on_time_rate", "督查任务按期完成率",
               "完成时限在统计期内的督查任务（牵头、配合及子任务，已下发未撤销）中：按期销号 ÷（按期销号 + 逾期）；"
               "逾期指逾期申请办结后销号，或至统计日已过时限仍未销号。", "rate"),
    Definition("task_grade", "督查事项评价",
               "统计期内销号并经评价的督查任务的平均得分 ÷ 100：打了分的按分数计，只评等次的按“督查设置”中的等次计分计（默认"
               + "、".join(f"{grade.label} {SETTING_DEFAULTS['grade_points_' + grade.value]}" for grade in TaskGrade)
               + " 分），再减去设置的逾期办结、逾期反馈扣分（最低 0 分）。", "rate"),
)


def definitions() -> tuple[Definition, ...]:
    return tuple(f.definition for f in FIGURES.values()) + RATE_DEFINITIONS
