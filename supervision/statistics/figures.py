"""统计口径: every figure of the statistics page, defined once.

A figure is a named SQL condition (a function returning a SQLAlchemy clause). The same condition is
summed for the count (``COUNT(CASE WHEN … THEN …)``, grouped by department, month, category or
channel) and put in the WHERE clause of its drill-down list, so a number and the list behind it agree
by construction. Its Chinese definition (``text``) is shown on the page under 统计口径说明.

Grains:
- ``matter``: the matters **received in the period** (收件日期 in the period), grouped by their current
  lead (主办) department; a matter's lead assignment is joined as ``Lead``.
- ``assignment``: the assignments (主办 and 协办, not withdrawn) of those matters, grouped by the
  department assigned; counted as distinct matters, so the list shows exactly the counted matters.
- escalations, rectification notices and talks are counted by their own date in the period (issued /
  approved) and are not filtered by kind, category or channel; they have no drill-down list.

Nothing here reads complainant identity: the statistics tree carries counts and labels only.

The conditions and their definitions are in ``definitions`` (re-exported here); this module computes
the statistics from them, caches them and builds the drill-down lists.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import TypeVar

from sqlalchemy import (
    Engine,
    Integer,
    String,
    and_,
    case,
    cast,
    distinct,
    extract,
    false,
    func,
    literal,
    null,
    or_,
    select,
    tuple_,
    union_all,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from supervision import readcache
from supervision.ids import parse_id
from supervision.models.audit import AuditChainHead
from supervision.models.escalation import Escalation, EscalationKind
from supervision.models.matters import (
    Assignment,
    AssignmentStatus,
    Category,
    Channel,
    ComplaintClass,
    Matter,
    MatterKind,
)
from supervision.models.org import Department
from supervision.models.rectification import NoticeStatus, RectificationNotice
from supervision.models.talks import Talk, TalkKind
from supervision.models.escalation import SupervisionLevel
from supervision.statistics.definitions import (  # noqa: F401  (moved out of this module; importable here as before)
    ASSIGNMENT_KEYS,
    CACHE_SIZE,
    DONE_STATUSES,
    FIGURES,
    LEAD_JOIN,
    MATTER_KEYS,
    NO_DEPARTMENT,
    NOT_ACCEPTED_STATUSES,
    RATE_DEFINITIONS,
    SIGN_FOR_WORKDAYS,
    TALK_COUNTED_STATUSES,
    TOP_UNITS,
    Context,
    Definition,
    Figure,
    Lead,
    day_of,
    definitions,
    make_context,
    matter_condition,
)
from supervision.statistics.periods import Period
from supervision.statistics.task_figures import TaskCounts, task_counts

T = TypeVar("T")


# --- the filters ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class StatisticsFilters:
    kind: str = ""
    category_id: int | None = None
    channel: str = ""
    department_id: int | None = None  # 主办 department (matters), assigned department, notice, talk …

    @property
    def narrows_matters(self) -> bool:
        """Kind, category or channel: these describe matters, so notices and talks cannot follow them."""
        return bool(self.kind or self.category_id or self.channel)

    def query_args(self) -> dict[str, str]:
        args = {"kind": self.kind, "category": str(self.category_id or ""), "channel": self.channel,
                "department": str(self.department_id or "")}
        return {k: v for k, v in args.items() if v}


# --- the result: plain frozen dataclasses ------------------------------------------------------------
def ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass(frozen=True)
class MatterCounts:
    received: int = 0
    accepted: int = 0
    assigned: int = 0
    done: int = 0
    closed_on_time: int = 0
    overdue: int = 0
    extended: int = 0
    reworked: int = 0
    satisfied: int = 0
    fairly_satisfied: int = 0
    dissatisfied: int = 0
    repeat: int = 0
    on_time_rate: float | None = None
    satisfaction_rate: float | None = None
    rework_rate: float | None = None
    repeat_rate: float | None = None

    @classmethod
    def of(cls, **counts: int) -> MatterCounts:
        c = {k: int(counts.get(k) or 0) for k in MATTER_KEYS}
        rated = c["satisfied"] + c["fairly_satisfied"] + c["dissatisfied"]
        return cls(**c, on_time_rate=ratio(c["closed_on_time"], c["closed_on_time"] + c["overdue"]),
                   satisfaction_rate=ratio(c["satisfied"] + c["fairly_satisfied"], rated),
                   rework_rate=ratio(c["reworked"], c["assigned"]), repeat_rate=ratio(c["repeat"], c["received"]))

    @property
    def rated(self) -> int:
        return self.satisfied + self.fairly_satisfied + self.dissatisfied

    @staticmethod
    def total(rows) -> MatterCounts:
        return MatterCounts.of(**{k: sum(getattr(r, k) for r in rows) for k in MATTER_KEYS})


@dataclass(frozen=True)
class AssignmentCounts:
    handled: int = 0
    signed_on_time: int = 0
    returned: int = 0
    sign_on_time_rate: float | None = None

    @classmethod
    def of(cls, **counts: int) -> AssignmentCounts:
        c = {k: int(counts.get(k) or 0) for k in ASSIGNMENT_KEYS}
        return cls(**c, sign_on_time_rate=ratio(c["signed_on_time"], c["handled"]))


@dataclass(frozen=True)
class LabelledCount:
    key: str
    label: str
    count: int


@dataclass(frozen=True)
class EscalationCounts:
    urged: int = 0  # 催办
    escalated: int = 0  # 督办, all levels
    by_level: tuple[LabelledCount, ...] = ()  # 电话催办, 书面督办, 挂牌督办, 提级督办 (all four, in order)


@dataclass(frozen=True)
class NoticeCounts:
    issued: int = 0
    closed: int = 0
    closed_on_time: int = 0
    overdue: int = 0
    on_time_rate: float | None = None

    @classmethod
    def of(cls, issued=0, closed=0, closed_on_time=0, overdue=0) -> NoticeCounts:
        return cls(issued, closed, closed_on_time, overdue, ratio(closed_on_time, closed_on_time + overdue))


@dataclass(frozen=True)
class TalkCounts:
    total: int = 0
    by_kind: tuple[LabelledCount, ...] = ()  # 提醒谈话, 批评教育, 诫勉谈话, 函询 (all four, in order)


@dataclass(frozen=True)
class DepartmentRow:
    department_id: int | None  # None: the totals row, or matters not (or no longer) assigned
    code: str
    name: str
    matters: MatterCounts  # as 主办 (lead) department
    assignments: AssignmentCounts  # as 主办 or 协办
    escalations: EscalationCounts
    notices: NoticeCounts
    talks: TalkCounts
    tasks: TaskCounts = TaskCounts()  # 督查事项: tasks due, late, graded (statistics.task_figures)


@dataclass(frozen=True)
class GroupRow:
    """One month, category or channel: ``key`` is what the drill-down link passes back."""

    key: str
    label: str
    matters: MatterCounts


@dataclass(frozen=True)
class Statistics:
    period: Period
    filters: StatisticsFilters
    filter_labels: tuple[str, ...]  # ("类型：效能投诉", "主办单位：市市场监督管理局") — for report headers
    today: date
    totals: DepartmentRow
    departments: tuple[DepartmentRow, ...]  # in department code order; the unassigned row last
    by_month: tuple[GroupRow, ...]  # every month of the period, also empty ones
    by_category: tuple[GroupRow, ...]
    by_channel: tuple[GroupRow, ...]
    by_class: tuple[GroupRow, ...]  # 信访类别 (docs/domain.md §11), in the law's order, 未分类 (findings, old matters) last
    top_units: tuple[LabelledCount, ...]  # 被投诉最多的单位 (效能投诉), key "d<id>" or "u<name>"
    definitions: tuple[Definition, ...]
    sign_for_workdays: int = SIGN_FOR_WORKDAYS
    computed_at: datetime | None = field(default=None, compare=False)
    # False: the last figures, shown while another process computes them after a later write (the page says so)
    current: bool = field(default=True, compare=False)

    def department(self, department_id: int | None) -> DepartmentRow | None:
        return next((row for row in self.departments if row.department_id == department_id), None)


NO_CLASS = "none"  # the drill-down key of matters without a 信访类别
CLASS_ORDER = {c.value: n for n, c in enumerate(ComplaintClass)}


# --- the queries ---------------------------------------------------------------------------------------
def _period_bounds(period: Period) -> tuple[datetime, datetime]:
    return datetime.combine(period.start, time.min), datetime.combine(period.end + timedelta(days=1), time.min)


def matter_filters(filters: StatisticsFilters) -> list:
    """Kind, category and channel: conditions on the matter itself."""
    where = []
    if filters.kind:
        where.append(Matter.kind == filters.kind)
    if filters.category_id:
        where.append(Matter.category_id == filters.category_id)
    if filters.channel:
        where.append(Matter.channel == filters.channel)
    return where


def matter_cohort(period: Period, filters: StatisticsFilters) -> list:
    """The WHERE clause of the matter grain: received in the period, the filters, the lead department."""
    where = [Matter.received_on >= period.start, Matter.received_on <= period.end, *matter_filters(filters)]
    if filters.department_id:
        where.append(Matter.lead_department_id == filters.department_id)
    return where


def assignment_cohort(period: Period, filters: StatisticsFilters) -> list:
    """The assignment grain: the assignments (not withdrawn) of the matters received in the period."""
    where = [Matter.received_on >= period.start, Matter.received_on <= period.end, *matter_filters(filters),
             Assignment.status != AssignmentStatus.WITHDRAWN]
    if filters.department_id:
        where.append(Assignment.department_id == filters.department_id)
    return where


def _count(condition) -> ColumnElement:
    return func.count(case((condition, 1)))


# The three groupings of the matter figures: (department, month), (category, channel), (信访类别).
MATTER_GROUPINGS = (("department_id", "month"), ("category_id", "channel"), ("complaint_class",))


def _matter_counts(session: Session, ctx: Context, period: Period, filters: StatisticsFilters
                   ) -> tuple[list[tuple[tuple, MatterCounts]], list[tuple[tuple, MatterCounts]],
                              list[tuple[str | None, MatterCounts]]]:
    """The matter figures by (department, year, month), by (category, channel) and by 信访类别, in one
    statement: each figure's condition evaluated once per matter, joined once to the lead assignment.

    PostgreSQL sums all three groupings in one pass over the join (GROUPING SETS: three small hash tables,
    nothing materialised; the conditions are evaluated below the aggregate, where parallel workers share
    them). SQLite has no grouping sets: the per-matter flags are a common table expression, which the three
    groupings sum (a CTE used three times is materialised). Two grouped passes over the join would cost
    twice as much: the join is the cost."""
    keys = {"department_id": Matter.lead_department_id,
            "month": extract("year", Matter.received_on) * 100 + extract("month", Matter.received_on),
            "category_id": Matter.category_id, "channel": Matter.channel,
            "complaint_class": Matter.complaint_class}
    types = {"department_id": Integer, "month": Integer, "category_id": Integer, "channel": String(20),
             "complaint_class": String(20)}  # channel and class (enums) read back as their plain values
    # GROUPING(every key) as PostgreSQL computes it: a bit set for each key a grouping leaves out.
    masks = [sum(1 << (len(keys) - 1 - n) for n, name in enumerate(keys) if name not in grouping)
             for grouping in MATTER_GROUPINGS]
    flags = (select(*[column.label(name) for name, column in keys.items()],
                    *[case((FIGURES[k].condition(ctx), 1), else_=0).label(k) for k in MATTER_KEYS])
             .select_from(Matter).outerjoin(Lead, LEAD_JOIN).where(*matter_cohort(period, filters)))
    if session.get_bind().dialect.name == "postgresql":
        flags = flags.subquery("matter_figures")
        statement = (select(func.grouping(*[flags.c[name] for name in keys]).label("grouping"),
                            *[cast(flags.c[name], types[name]).label(name) for name in keys],
                            *[func.sum(flags.c[k]).label(k) for k in MATTER_KEYS])
                     .group_by(func.grouping_sets(*[tuple_(*[flags.c[name] for name in grouping])
                                                    for grouping in MATTER_GROUPINGS])))
    else:
        flags = flags.cte("matter_figures")
        statement = union_all(*[
            select(literal(mask).label("grouping"),
                   *[(cast(flags.c[name], types[name]) if name in grouping else null().cast(types[name])).label(name)
                     for name in keys],
                   *[func.sum(flags.c[k]).label(k) for k in MATTER_KEYS])
            .group_by(*[flags.c[name] for name in grouping])
            for grouping, mask in zip(MATTER_GROUPINGS, masks)])
    months: list[tuple[tuple, MatterCounts]] = []
    categories: list[tuple[tuple, MatterCounts]] = []
    classes: list[tuple[str | None, MatterCounts]] = []
    for row in session.execute(statement):
        values = row._mapping
        counts = MatterCounts.of(**{k: values[k] for k in MATTER_KEYS})
        if row.grouping == masks[0]:
            month = int(row.month)
            months.append(((row.department_id, month // 100, month % 100), counts))
        elif row.grouping == masks[1]:
            categories.append(((row.category_id, row.channel), counts))
        else:
            classes.append((row.complaint_class, counts))
    return months, categories, classes


def _rolled_up(rows: list[tuple[tuple, MatterCounts]], key_of) -> dict:
    groups: dict = {}
    for key, counts in rows:
        groups.setdefault(key_of(key), []).append(counts)
    return {key: MatterCounts.total(counts) for key, counts in groups.items()}


def _assignment_counts(session: Session, ctx: Context, period: Period, filters: StatisticsFilters
                       ) -> tuple[dict[int, AssignmentCounts], AssignmentCounts]:
    """The assignment figures per department and in total (distinct matters), in one statement."""
    flags = (select(Assignment.department_id.label("department_id"), Assignment.matter_id.label("matter_id"),
                    *[case((FIGURES[k].condition(ctx), Assignment.matter_id)).label(k) for k in ASSIGNMENT_KEYS])
             .select_from(Assignment).join(Matter, Matter.id == Assignment.matter_id)
             .where(*assignment_cohort(period, filters))
             .cte("assignment_figures"))
    counts = [func.count(distinct(flags.c[k])).label(k) for k in ASSIGNMENT_KEYS]
    per_department = select(literal(1).label("grouping"), flags.c.department_id, *counts) \
        .group_by(flags.c.department_id)
    total = select(literal(2).label("grouping"), null().cast(Integer).label("department_id"), *counts)
    by_department, overall = {}, AssignmentCounts.of()
    for row in session.execute(union_all(per_department, total)):
        result = AssignmentCounts.of(**{k: row._mapping[k] for k in ASSIGNMENT_KEYS})
        if row.grouping == 1:
            by_department[row.department_id] = result
        else:
            overall = result
    return by_department, overall


LEVELS = tuple(SupervisionLevel)


def _escalations(session: Session, period: Period, filters: StatisticsFilters) -> dict[int | None, dict]:
    start, end = _period_bounds(period)
    query = (select(Escalation.department_id, Escalation.level, func.count())
             .where(Escalation.issued_at >= start, Escalation.issued_at < end,
                    Escalation.kind.in_((EscalationKind.URGE, EscalationKind.ESCALATION)))
             .group_by(Escalation.department_id, Escalation.level))
    if filters.narrows_matters:
        query = query.join(Matter, Matter.id == Escalation.matter_id).where(*matter_filters(filters))
    if filters.department_id:
        query = query.where(Escalation.department_id == filters.department_id)
    counts: dict[int | None, dict] = {}
    for department_id, level, n in session.execute(query):
        counts.setdefault(department_id, {})[level or SupervisionLevel.phone] = n
    return counts


def _escalation_counts(by_level: dict) -> EscalationCounts:
    levels = tuple(LabelledCount(level.value, level.label, by_level.get(level, 0)) for level in LEVELS)
    urged = by_level.get(SupervisionLevel.phone, 0)
    return EscalationCounts(urged, sum(by_level.values()) - urged, levels)


def _notices(session: Session, period: Period, filters: StatisticsFilters, today: date) -> dict[int, NoticeCounts]:
    closed = RectificationNotice.status == NoticeStatus.CLOSED
    on_time = and_(closed, day_of(RectificationNotice.closed_at) <= RectificationNotice.due_on)
    late = or_(and_(~closed, RectificationNotice.due_on < today),
               and_(closed, day_of(RectificationNotice.closed_at) > RectificationNotice.due_on))
    query = (select(RectificationNotice.department_id, func.count(), _count(closed), _count(on_time), _count(late))
             .where(RectificationNotice.issued_on >= period.start, RectificationNotice.issued_on <= period.end)
             .group_by(RectificationNotice.department_id))
    if filters.department_id:
        query = query.where(RectificationNotice.department_id == filters.department_id)
    if filters.narrows_matters:
        query = query.where(false())
    return {row[0]: NoticeCounts.of(*row[1:]) for row in session.execute(query)}


def _talks(session: Session, period: Period, filters: StatisticsFilters) -> dict[int | None, dict]:
    start, end = _period_bounds(period)
    query = (select(Talk.subject_department_id, Talk.kind, func.count())
             .where(Talk.approved_at >= start, Talk.approved_at < end, Talk.status.in_(TALK_COUNTED_STATUSES))
             .group_by(Talk.subject_department_id, Talk.kind))
    if filters.department_id:
        query = query.where(Talk.subject_department_id == filters.department_id)
    if filters.narrows_matters:
        query = query.where(false())
    counts: dict[int | None, dict] = {}
    for department_id, kind, n in session.execute(query):
        counts.setdefault(department_id, {})[kind] = n
    return counts


def _talk_counts(by_kind: dict) -> TalkCounts:
    return TalkCounts(sum(by_kind.values()),
                      tuple(LabelledCount(kind.value, kind.label, by_kind.get(kind, 0)) for kind in TalkKind))


def _top_units(session: Session, period: Period, filters: StatisticsFilters) -> tuple[LabelledCount, ...]:
    if filters.kind and filters.kind != MatterKind.COMPLAINT:
        return ()
    query = (select(Matter.respondent_department_id, Matter.respondent_unit, func.count())
             .where(*matter_cohort(period, filters), Matter.kind == MatterKind.COMPLAINT,
                    or_(Matter.respondent_department_id.is_not(None), Matter.respondent_unit != ""))
             .group_by(Matter.respondent_department_id, Matter.respondent_unit))
    names = dict(session.execute(select(Department.id, Department.name)).all())
    merged: dict[str, list] = {}
    for department_id, unit, n in session.execute(query):
        key, label = (f"d{department_id}", names.get(department_id, "")) if department_id else (f"u{unit}", unit)
        merged.setdefault(key, [label, 0])[1] += n
    ranked = sorted(merged.items(), key=lambda item: (-item[1][1], item[1][0]))[:TOP_UNITS]
    return tuple(LabelledCount(key, label, n) for key, (label, n) in ranked)


def respondent_condition(key: str):
    """The drill-down condition of a top unit key (``d12`` a department, ``u…`` a unit named in free text)."""
    if key.startswith("d") and key[1:].isdigit():
        return Matter.respondent_department_id == int(key[1:])
    if key.startswith("u") and len(key) > 1:
        return and_(Matter.respondent_department_id.is_(None), Matter.respondent_unit == key[1:])
    return false()


def filter_labels(session: Session, filters: StatisticsFilters) -> tuple[str, ...]:
    labels = []
    if filters.kind:
        labels.append(f"类型：{MatterKind(filters.kind).label}")
    if filters.category_id:
        labels.append(f"类别：{session.get(Category, filters.category_id).name}")
    if filters.channel:
        labels.append(f"渠道：{Channel(filters.channel).label}")
    if filters.department_id:
        labels.append(f"单位：{session.get(Department, filters.department_id).name}")
    return tuple(labels)


# PostgreSQL settings for the statements of one computation, and for them only (docs/benchmarks.md, issue 21).
# At 1,000,000 matters JIT compilation took 3.2 s of the 3.9 s matter statement: LLVM inlining and optimising
# the CASEs of every figure for a pass that runs in well under a second. With the default 4 MB of work
# memory the lead assignment's hash join and the groupings spilled to temporary files.
ANALYTIC_SETTINGS = {"jit": "off", "work_mem": "32MB"}


@contextmanager
def analytic_settings(session: Session):
    """ANALYTIC_SETTINGS for the statements run inside, local to the transaction and restored after them
    (after an error they last until the transaction ends, at most: ``set_config(…, is_local => true)``)."""
    if session.get_bind().dialect.name != "postgresql":
        yield
        return
    before = session.execute(select(*[func.current_setting(name) for name in ANALYTIC_SETTINGS])).one()
    session.execute(select(*[func.set_config(name, value, True) for name, value in ANALYTIC_SETTINGS.items()]))
    yield
    session.execute(select(*[func.set_config(name, value, True) for name, value in zip(ANALYTIC_SETTINGS, before)]))


def _compute(session: Session, period: Period, filters: StatisticsFilters, today: date) -> Statistics:
    with analytic_settings(session):
        return _compute_figures(session, period, filters, today)


def _second_connection_sees_all(session: Session) -> bool:
    """Whether a second connection reads what this transaction reads: PostgreSQL, the session on an
    engine (not a connection of its own), and nothing written in this transaction so far (another
    connection would not see it; ``pg_current_xact_id_if_assigned`` is NULL until a transaction writes)."""
    bind = session.get_bind()
    return (isinstance(bind, Engine) and bind.dialect.name == "postgresql"
            and session.scalar(select(func.pg_current_xact_id_if_assigned())) is None)


@contextmanager
def alongside(session: Session, work: Callable[[Session], T]) -> Iterator[Callable[[], T]]:
    """``work`` run on a second connection while the body runs on this one; yields the function that waits
    for its result. PostgreSQL runs the statements of one connection in one backend, and the grouping of a
    large aggregate in that backend alone: on two connections the two big statements of a year's figures
    overlap (issue 21: a year at 1,000,000 matters 2.3–2.7 s in a row, 2.1 s so; docs/benchmarks.md). Each statement reads the
    committed rows as of its start, as the statements of one READ COMMITTED transaction do, and the write
    count the figures are kept under was read before either began (``readcache.shared``). Where a second
    connection would not see the same rows, ``work`` runs here first."""
    if not _second_connection_sees_all(session):
        result = work(session)
        yield lambda: result
        return
    engine = session.get_bind()

    def run() -> T:
        with engine.connect() as connection, Session(bind=connection) as other, analytic_settings(other):
            return work(other)

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="statistics") as pool:
        future = pool.submit(run)
        try:
            yield future.result
        finally:
            future.cancel()


def _compute_figures(session: Session, period: Period, filters: StatisticsFilters, today: date) -> Statistics:
    ctx = make_context(session, period, today)
    # One statement for the matter figures (all three groupings), one for the assignment figures; the
    # assignment figures and the top units on a second connection meanwhile (``alongside``).
    with alongside(session, lambda other: (_assignment_counts(other, ctx, period, filters),
                                           _top_units(other, period, filters))) as aside:
        by_department_month, by_category_channel, by_class_rows = _matter_counts(session, ctx, period, filters)
        (handled_by, assignment_total), top_units = aside()
    by_department = _rolled_up(by_department_month, lambda key: key[0])
    escalations = _escalations(session, period, filters)
    notices = _notices(session, period, filters, today)
    talks = _talks(session, period, filters)
    tasks = task_counts(session, period, today, filters.department_id, filters.narrows_matters)

    ids = set(by_department) | set(handled_by) | set(escalations) | set(notices) | set(talks) | set(tasks)
    departments = {d.id: d for d in session.scalars(select(Department).where(Department.id.in_(
        [i for i in ids if i is not None])))}
    rows = []
    for department_id in sorted(ids, key=lambda i: (i is None, departments[i].code if i is not None else "")):
        department = departments.get(department_id)
        rows.append(DepartmentRow(
            department_id, department.code if department else "",
            department.name if department else "未交办或已退回",
            by_department.get(department_id, MatterCounts.of()), handled_by.get(department_id, AssignmentCounts.of()),
            _escalation_counts(escalations.get(department_id, {})), notices.get(department_id, NoticeCounts.of()),
            _talk_counts(talks.get(department_id, {})), tasks.get(department_id, TaskCounts.of())))

    all_levels: dict = {}
    for by_level in escalations.values():
        for level, n in by_level.items():
            all_levels[level] = all_levels.get(level, 0) + n
    all_kinds: dict = {}
    for by_kind in talks.values():
        for kind, n in by_kind.items():
            all_kinds[kind] = all_kinds.get(kind, 0) + n
    totals = DepartmentRow(
        None, "", "合计", MatterCounts.total(by_department.values()), assignment_total,
        _escalation_counts(all_levels),
        NoticeCounts.of(*(sum(getattr(n, k) for n in notices.values())
                          for k in ("issued", "closed", "closed_on_time", "overdue"))),
        _talk_counts(all_kinds), TaskCounts.total(tasks.values()))

    months = _rolled_up(by_department_month, lambda key: (int(key[1]), int(key[2])))
    by_month = tuple(GroupRow(f"{y}-{m:02d}", f"{y}年{m}月", months.get((y, m), MatterCounts.of()))
                     for y, m in period.months())

    category_names = dict(session.execute(select(Category.id, Category.name)).all())
    by_category = tuple(sorted(
        (GroupRow(str(category_id or NO_DEPARTMENT), category_names.get(category_id, "未分类"), counts)
         for category_id, counts in _rolled_up(by_category_channel, lambda key: key[0]).items()),
        key=lambda row: (-row.matters.received, row.label)))
    by_channel = tuple(sorted(
        (GroupRow(Channel(channel).value, Channel(channel).label, counts)
         for channel, counts in _rolled_up(by_category_channel, lambda key: key[1]).items()),
        key=lambda row: (-row.matters.received, row.label)))

    by_class = tuple(GroupRow(value or NO_CLASS, ComplaintClass(value).label if value else "未分类", counts)
                     for value, counts in sorted(by_class_rows, key=lambda row: CLASS_ORDER.get(row[0], 9)))

    from supervision import clock

    return Statistics(period=period, filters=filters, filter_labels=filter_labels(session, filters), today=today,
                      totals=totals, departments=tuple(rows), by_month=by_month, by_category=by_category,
                      by_channel=by_channel, by_class=by_class, top_units=top_units,
                      definitions=definitions(), computed_at=clock.now())


# --- the cache ------------------------------------------------------------------------------------------
# Every business write of the application appends to the audit log, whose head row counts them: while
# that count (and the day) is unchanged, the figures are too. They are computed once for every worker and
# server (``readcache.shared``: the ``shared_figure`` table), and kept in each process.


def audit_head(session: Session) -> int:
    return session.scalar(select(AuditChainHead.business_seq).where(AuditChainHead.id == 1)) or 0


def compute_statistics(session: Session, period: Period, filters: StatisticsFilters, today: date, *,
                       stale_ok: bool = False) -> Statistics:
    """Every figure of ``period`` under ``filters`` as of ``today``: the public entry point (the page, the
    monthly report and the exports read this object). Computed once per business write for every process.

    ``stale_ok`` (the page): while another process is computing the figures after a write, return the last
    ones at once, with ``current`` False and their ``computed_at`` — the page says so; reports and exports
    wait for the current figures."""
    figure = readcache.shared(session, "statistics", (period, filters, today),
                              lambda: _compute(session, period, filters, today), stale_ok=stale_ok)
    return figure.value if figure.current else replace(figure.value, current=False)


def clear_cache() -> None:
    readcache.clear()


# --- drill-down -----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Slice:
    """Which part of a figure a link points at: a department row, a month, a category, a channel, a unit."""

    department: str = ""  # a department id, or NO_DEPARTMENT
    month: str = ""  # 2026-01
    category: str = ""  # a category id, or NO_DEPARTMENT for 未分类
    channel: str = ""
    respondent: str = ""  # a top_units key
    complaint_class: str = ""  # a ComplaintClass value, or NO_CLASS

    def department_condition(self, column) -> list:
        if not self.department:
            return []
        if self.department == NO_DEPARTMENT:
            return [column.is_(None)]
        return [column == parse_id(self.department) if parse_id(self.department) else false()]

    def matter_conditions(self) -> list:
        where = []
        if self.month:
            try:
                y, m = (int(part) for part in self.month.split("-"))
                first = date(y, m, 1)
            except ValueError:
                where.append(false())
            else:
                following = date(y + (m == 12), m % 12 + 1, 1)
                where.extend([Matter.received_on >= first, Matter.received_on < following])
        if self.category:
            where.append(Matter.category_id.is_(None) if self.category == NO_DEPARTMENT
                         else Matter.category_id == parse_id(self.category) if parse_id(self.category) else false())
        if self.channel:
            where.append(Matter.channel == self.channel if self.channel in Channel._value2member_map_ else false())
        if self.respondent:
            where.extend([Matter.kind == MatterKind.COMPLAINT, respondent_condition(self.respondent)])
        if self.complaint_class:
            where.append(Matter.complaint_class.is_(None) if self.complaint_class == NO_CLASS
                         else Matter.complaint_class == self.complaint_class
                         if self.complaint_class in ComplaintClass._value2member_map_ else false())
        return where


def drilldown_condition(session: Session, key: str, period: Period, filters: StatisticsFilters, today: date,
                        part: Slice) -> list:
    """The WHERE clause over ``Matter`` (with ``Lead`` outer-joined by ``LEAD_JOIN``) that selects exactly
    the matters counted in figure ``key`` for ``part``. KeyError for a figure without a list."""
    figure = FIGURES[key]
    if figure.condition is None:
        raise KeyError(key)
    ctx = make_context(session, period, today)
    if figure.definition.grain == "assignment":
        counted = select(Assignment.matter_id).where(
            Assignment.status != AssignmentStatus.WITHDRAWN, figure.condition(ctx),
            *([Assignment.department_id == filters.department_id] if filters.department_id else []),
            *part.department_condition(Assignment.department_id))
        return [Matter.received_on >= period.start, Matter.received_on <= period.end, *matter_filters(filters),
                Matter.id.in_(counted), *part.matter_conditions()]
    return [*matter_cohort(period, filters), figure.condition(ctx),
            *part.department_condition(Matter.lead_department_id), *part.matter_conditions()]


def drilldown_select(session: Session, key: str, period: Period, filters: StatisticsFilters, today: date,
                     part: Slice):
    where = drilldown_condition(session, key, period, filters, today, part)
    return select(Matter.id).select_from(Matter).outerjoin(Lead, LEAD_JOIN).where(*where)


def as_dict(statistics: Statistics) -> dict:
    """The tree as plain dicts and lists (for JSON, tests and report builders that prefer them)."""
    from dataclasses import asdict

    return asdict(statistics)


__all__ = ["AssignmentCounts", "DepartmentRow", "Definition", "EscalationCounts", "FIGURES", "GroupRow",
           "LabelledCount", "MatterCounts", "NoticeCounts", "SIGN_FOR_WORKDAYS", "Slice", "Statistics",
           "StatisticsFilters", "TalkCounts", "compute_statistics", "definitions", "drilldown_select"]


def counted_on_page(statistics: Statistics, key: str, part: Slice) -> int | None:
    """The number the page showed for figure ``key`` in ``part`` — the list's length without counting
    again (the page and the list use one condition). None when the page has no such cell."""
    sliced = [name for name in ("department", "month", "category", "channel", "respondent", "complaint_class")
              if getattr(part, name)]
    if len(sliced) > 1:
        return None
    grain = FIGURES[key].definition.grain
    if not sliced or sliced == ["department"]:
        row = statistics.totals if not sliced else statistics.department(
            None if part.department == NO_DEPARTMENT else parse_id(part.department) or -1)
        if row is None:
            return None
        counts = row.matters if grain == "matter" else row.assignments if grain == "assignment" else None
        return getattr(counts, key, None)
    if grain != "matter":
        return None
    name = sliced[0]
    if name == "respondent":
        unit = next((u for u in statistics.top_units if u.key == part.respondent), None)
        return unit.count if unit is not None and key == "received" else None
    rows = {"month": statistics.by_month, "category": statistics.by_category, "channel": statistics.by_channel,
            "complaint_class": statistics.by_class}[name]
    row = next((r for r in rows if r.key == getattr(part, name)), None)
    return getattr(row.matters, key, None) if row is not None else None
