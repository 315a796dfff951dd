"""Deadlines for the whole application: the office calendar (overrides from the database on top of
``supervision.calendar``), the time-limit rules, and the traffic light shown beside every deadline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from supervision import clock, readcache
from supervision.calendar import LIMIT_UNIT_LABELS, Deadline, LimitUnit, Override, WorkCalendar
from supervision.errors import NonWorkdayError
from supervision.models.calendar import CalendarOverride, LimitStep, PublishedYear, TimeLimitRule

# Defaults of docs/domain.md §6; an admin's TimeLimitRule rows override them per kind and category.
DEFAULT_LIMITS: dict[LimitStep, tuple[int, LimitUnit, str]] = {
    LimitStep.ACCEPT: (3, LimitUnit.WORKDAY, "效能投诉办理规定"),
    LimitStep.OBJECT: (5, LimitUnit.WORKDAY, "《信访工作条例》第二十三条"),
    LimitStep.HANDLE: (15, LimitUnit.WORKDAY, "效能投诉办理规定"),
    LimitStep.NOTIFY: (15, LimitUnit.WORKDAY, "检举控告工作规则"),
    LimitStep.INQUIRY_REPLY: (15, LimitUnit.WORKDAY, "监督执纪工作规则"),
}
WARNING_WORKDAYS = 2  # yellow light: due within this many working days

_cache: dict[str, tuple[tuple, WorkCalendar, int | None]] = {}


def office_calendar(session: Session) -> WorkCalendar:
    """The calendar with the admin's overrides; rebuilt only when the overrides change. Checked once per
    write of the application (``readcache``): every page with a deadline asks for it."""
    key = str(session.get_bind().url)
    mark = readcache.write_mark(session)
    cached = _cache.get(key)
    if cached is not None and mark is not None and cached[2] == mark:
        return cached[1]
    published = frozenset(session.scalars(select(PublishedYear.year)))
    fingerprint = (*session.execute(select(func.count(), func.max(CalendarOverride.updated_at))).one(), published)
    if cached is not None and cached[0] == fingerprint:
        _cache[key] = (fingerprint, cached[1], mark)
        return cached[1]
    overrides = {row.day: Override(is_workday=row.is_workday, name=row.name)
                 for row in session.scalars(select(CalendarOverride))}
    calendar = WorkCalendar(overrides, published)
    _cache[key] = (fingerprint, calendar, mark)
    return calendar


@dataclass(frozen=True)
class Limit:
    amount: int
    unit: LimitUnit
    source: str
    max_extensions: int = 1  # how many extensions (延期) this limit allows
    extension_amount: int | None = None  # each at most this long, in ``unit``; None: as long as the limit
    extension_by_leader: bool = False  # only a leader approves one (信访-type matters)

    @property
    def label(self) -> str:
        return f"{self.amount} 个{LIMIT_UNIT_LABELS[self.unit]}"

    @property
    def extension_length(self) -> int:
        return self.extension_amount or self.amount

    @property
    def extension_label(self) -> str:
        if self.max_extensions == 0:
            return "不得延期"
        who = "，须经领导批准" if self.extension_by_leader else ""
        times = "一次" if self.max_extensions == 1 else f"{self.max_extensions} 次"
        return f"可延期{times}，每次不超过 {self.extension_length} 个{LIMIT_UNIT_LABELS[self.unit]}{who}"

    @property
    def rule_name(self) -> str:
        """How a refusal names the rule: its source and what it says."""
        return f"{self.source or '办理时限规定'}（{self.label}，{self.extension_label}）"


def limit_for(session: Session, step: LimitStep, matter_kind: str | None = None,
              category_id: int | None = None) -> Limit:
    """The most specific rule: kind + category, then kind, then any kind, then the default."""
    rules = session.scalars(select(TimeLimitRule).where(TimeLimitRule.step == step)).all()
    for kind, category in ((matter_kind, category_id), (matter_kind, None), (None, None)):
        for rule in rules:
            if rule.matter_kind == kind and rule.category_id == category and (kind or category is None):
                return Limit(rule.amount, rule.unit, rule.source, rule.max_extensions, rule.extension_amount,
                             rule.extension_by_leader)
    amount, unit, source = DEFAULT_LIMITS[step]
    return Limit(amount, unit, source)


def compute_due(session: Session, start: date, limit: Limit) -> Deadline:
    return office_calendar(session).deadline(start, limit.amount, limit.unit)


WEEKDAY_NAMES = ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日")


def non_workday_note(calendar: WorkCalendar, day: date) -> str | None:
    """Why a typed date is not a working day, naming it and the next working day (docs/domain.md §6:
    a date a person types that is not a working day is flagged, the next working day offered);
    None for a working day."""
    info = calendar.day_info(day)
    if info.is_workday:
        return None
    following = calendar.next_workday(day)
    why = info.name or WEEKDAY_NAMES[day.weekday()]
    guessed = "（按推定的节假日安排）" if info.source == "estimated" else ""
    return (f"{day:%Y-%m-%d}（{why}）不是工作日{guessed}，其后第一个工作日是 "
            f"{following:%Y-%m-%d}（{WEEKDAY_NAMES[following.weekday()]}）")


def require_workday(session: Session, day: date, what: str) -> None:
    """A deadline a person typed must be a working day: a period that ends on a rest day ends on the next
    working day anyway (民法典 §203), so a rest day printed on a document would mislead. Refuses with the
    next working day, which the form then offers."""
    calendar = office_calendar(session)
    note = non_workday_note(calendar, day)
    if note is not None:
        raise NonWorkdayError(f"{what}{note}，请改为工作日（已为您填入 {calendar.next_workday(day):%Y-%m-%d}）。",
                              day, calendar.next_workday(day))


class Light(StrEnum):
    NONE = "none"
    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"


LIGHT_LABELS = {Light.NONE: "", Light.GREEN: "正常", Light.YELLOW: "临期", Light.RED: "逾期"}


def light_for(calendar: WorkCalendar, due: date | None, today: date | None = None) -> Light:
    if due is None:
        return Light.NONE
    today = today or clock.today()
    if due < today:
        return Light.RED
    if calendar.workdays_between(today, due) <= WARNING_WORKDAYS:
        return Light.YELLOW
    return Light.GREEN


def light_words(calendar: WorkCalendar, due: date | None, today: date | None = None) -> str:
    """The light said in words, in working days of the office calendar: 剩余 N 个工作日 / 今日到期 /
    超期 N 个工作日 (a deadline passed over a weekend only: 已超期)."""
    if due is None:
        return ""
    today = today or clock.today()
    if due < today:
        late = calendar.workdays_overdue(due, today)
        return f"超期 {late} 个工作日" if late else "已超期"
    if due == today:
        return "今日到期"
    return f"剩余 {calendar.workdays_between(today, due)} 个工作日"


@dataclass(frozen=True)
class OpenDeadline:
    """Something open with a due date, as the deadline sweep sees it (an assignment, a notice …)."""

    subject_type: str
    subject_id: int
    due_on: date
    department_id: int | None
    matter_id: int | None
    label: str  # e.g. "XT-2026-00017 窗口推诿（主办）" — never identity
    link: str
