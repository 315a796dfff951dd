"""The one working-day calendar: which days are 工作日, and deadline arithmetic on them.

Each day is decided by the first source that knows it:

1. admin overrides (the State Council's schedule for a year ``chinesecalendar`` does not know yet);
2. ``chinesecalendar`` for the years it ships data for (2004–2026 in 1.11);
3. a fallback: Mon–Fri minus the statutory holidays the ``holidays`` package estimates (元旦, 春节 incl.
   除夕, 清明, 劳动节, 端午, 中秋, 国庆, lunar dates included). Days decided here are *estimated*, and a
   deadline that consulted one is provisional (推定) until overrides for that year are entered.

Pure Python: no Flask, no database. Callers load the overrides and pass them in.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

import chinese_calendar
import holidays

MIN_YEAR = 2000
MAX_YEAR = 2100  # the lunar tables of `holidays` end here


class DaySource(StrEnum):
    OVERRIDE = "override"
    OFFICIAL = "official"
    ESTIMATED = "estimated"


class LimitUnit(StrEnum):
    WORKDAY = "workday"
    CALENDAR = "calendar"


LIMIT_UNIT_LABELS = {LimitUnit.WORKDAY: "工作日", LimitUnit.CALENDAR: "自然日"}


@dataclass(frozen=True)
class Override:
    is_workday: bool
    name: str = ""


@dataclass(frozen=True)
class DayInfo:
    day: date
    is_workday: bool
    name: str
    source: DaySource


@dataclass(frozen=True)
class Deadline:
    due: date
    provisional: bool  # 推定: a day decided by the fallback was consulted


# chinesecalendar names its holidays in English; the office reads Chinese.
_OFFICIAL_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "中国人民抗日战争暨世界反法西斯战争胜利70周年纪念日",
}
_MAKE_UP_WORKDAY = "调休上班"


def _make_up_name(holiday: str) -> str:
    return f"{_MAKE_UP_WORKDAY}（{holiday}）" if holiday else _MAKE_UP_WORKDAY


class _Year:
    """One year, precomputed so the hot path is bisect on sorted lists of ordinals."""

    __slots__ = ("first", "work", "workdays", "estimated", "names", "sources")

    def __init__(self, first: int, work: bytearray, names: dict[int, str],
                 sources: bytearray) -> None:
        self.first = first  # ordinal of 1 January
        self.work = work  # work[ordinal - first] == 1 on a working day
        self.workdays = [first + i for i, w in enumerate(work) if w]
        self.sources = sources  # index into _SOURCES per day
        self.estimated = [first + i for i, s in enumerate(sources) if s == _ESTIMATED]
        self.names = names  # ordinal -> name, only for days that have one


_SOURCES = (DaySource.OVERRIDE, DaySource.OFFICIAL, DaySource.ESTIMATED)
_OVERRIDE, _OFFICIAL, _ESTIMATED = range(3)


def _official_year(year: int) -> tuple[bytearray, dict[int, str]] | None:
    """The year from chinesecalendar, or None if it has no data for that year."""
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
    except NotImplementedError:
        return None
    first = date(year, 1, 1)
    ndays = (date(year + 1, 1, 1) - first).days
    work = bytearray(ndays)
    names: dict[int, str] = {}
    for i in range(ndays):
        day = first + timedelta(days=i)
        on_holiday, english = chinese_calendar.get_holiday_detail(day)
        work[i] = not on_holiday
        if english is None:
            continue
        holiday = _OFFICIAL_NAMES.get(english, english)
        if on_holiday:
            names[day.toordinal()] = holiday
        elif day.weekday() >= 5:
            names[day.toordinal()] = _make_up_name(holiday)
    return work, names


def _estimated_year(year: int) -> tuple[bytearray, dict[int, str]]:
    """Mon–Fri minus the holidays `holidays.China` computes, plus any make-up weekends it knows."""
    # The next year is asked too: its New Year schedule may swap a late-December weekend of this one.
    estimate = holidays.China(years=(year, year + 1), language="zh_CN")
    first = date(year, 1, 1)
    ndays = (date(year + 1, 1, 1) - first).days
    work = bytearray(1 if (first + timedelta(days=i)).weekday() < 5 else 0 for i in range(ndays))
    names: dict[int, str] = {}
    # Iterate the items rather than `day in estimate`, which would quietly expand to other years.
    for day, name in estimate.items():
        if day.year == year:
            work[day.toordinal() - first.toordinal()] = 0
            names[day.toordinal()] = name
    for day in estimate.weekend_workdays:
        if day.year == year:
            work[day.toordinal() - first.toordinal()] = 1
            names[day.toordinal()] = _MAKE_UP_WORKDAY
    return work, names


class WorkCalendar:
    """Working days and deadlines. Build one per request or per sweep with the current overrides."""

    def __init__(self, overrides: Mapping[date, Override] | None = None,
                 published_years: frozenset[int] = frozenset()) -> None:
        self._overrides: dict[int, Override] = {
            day.toordinal(): override for day, override in (overrides or {}).items()
        }
        # Years whose schedule the admin entered in full and marked published: Mon–Fri plus the overrides,
        # nothing estimated — their deadlines are no longer 推定.
        self._published = frozenset(published_years)
        self._years: dict[int, _Year] = {}

    # -- what a day is ---------------------------------------------------------------------------

    def day_info(self, day: date) -> DayInfo:
        ordinal = day.toordinal()
        year = self._year(day.year)
        i = ordinal - year.first
        return DayInfo(
            day=date.fromordinal(ordinal),
            is_workday=bool(year.work[i]),
            name=year.names.get(ordinal, ""),
            source=_SOURCES[year.sources[i]],
        )

    def is_workday(self, day: date) -> bool:
        year = self._year(day.year)
        return bool(year.work[day.toordinal() - year.first])

    def next_workday(self, day: date) -> date:
        """The first working day on or after ``day``."""
        return date.fromordinal(self._nth_workday_after(day.toordinal() - 1, 1))

    # -- counting ----------------------------------------------------------------------------------

    def add_workdays(self, start: date, n: int) -> date:
        """The ``n``-th working day after ``start``; the start day itself is not counted (民法典 §201)."""
        if n < 0:
            raise ValueError(f"number of working days must not be negative, got {n}")
        if n == 0:
            return start
        return date.fromordinal(self._nth_workday_after(start.toordinal(), n))

    def workdays_between(self, start: date, end: date) -> int:
        """Working days in (start, end]; negative (mirrored) when end is before start."""
        a, b = start.toordinal(), end.toordinal()
        if b < a:
            return -self._count(b, a)
        return self._count(a, b)

    def workdays_overdue(self, due: date, today: date) -> int:
        """Working days after ``due`` up to and including ``today``; 0 when not overdue."""
        return max(0, self.workdays_between(due, today))

    def is_estimated(self, start: date, end: date) -> bool:
        """Whether any day in (start, end] was decided by the fallback (either order)."""
        a, b = sorted((start.toordinal(), end.toordinal()))
        return self._any_estimated(a, b)

    def deadline(self, start: date, amount: int, unit: LimitUnit) -> Deadline:
        """The due date of a time limit of ``amount`` ``unit`` counted from ``start``."""
        if amount < 0:
            raise ValueError(f"time limit must not be negative, got {amount}")
        first = start.toordinal()
        if unit == LimitUnit.WORKDAY:  # a stored plain string compares equal too
            if amount == 0:
                return Deadline(due=start, provisional=False)
            due_ordinal = self._nth_workday_after(first, amount)
            return Deadline(due=date.fromordinal(due_ordinal),
                            provisional=self._any_estimated(first, due_ordinal))
        if unit != LimitUnit.CALENDAR:
            raise ValueError(f"unknown time-limit unit {unit!r}")
        # 自然日: only the landing day and the days it is pushed over were consulted (民法典 §203).
        landing = first + amount
        due_ordinal = self._nth_workday_after(landing - 1, 1)
        return Deadline(
            due=date.fromordinal(due_ordinal),
            provisional=self._any_estimated(landing - 1, due_ordinal),
        )

    # -- internals ---------------------------------------------------------------------------------

    def _year(self, y: int) -> _Year:
        year = self._years.get(y)
        if year is None:
            year = self._years[y] = self._build_year(y)
        return year

    def _build_year(self, y: int) -> _Year:
        if not MIN_YEAR <= y <= MAX_YEAR:
            raise ValueError(f"the working-day calendar covers {MIN_YEAR}–{MAX_YEAR}, not {y}")
        official = _official_year(y)
        if official is None and y in self._published:
            first_day = date(y, 1, 1)
            ndays = (date(y + 1, 1, 1) - first_day).days
            official = (bytearray(1 if (first_day + timedelta(days=i)).weekday() < 5 else 0
                                  for i in range(ndays)), {})
        work, names = official if official is not None else _estimated_year(y)
        sources = bytearray([_OFFICIAL if official is not None else _ESTIMATED]) * len(work)
        first = date(y, 1, 1).toordinal()
        for ordinal, override in self._overrides.items():
            if first <= ordinal < first + len(work):
                work[ordinal - first] = override.is_workday
                sources[ordinal - first] = _OVERRIDE
                if override.name:
                    names[ordinal] = override.name
                else:
                    names.pop(ordinal, None)
        return _Year(first, work, names, sources)

    def _nth_workday_after(self, ordinal: int, n: int) -> int:
        """Ordinal of the n-th (n >= 1) working day strictly after ``ordinal``."""
        y = date.fromordinal(ordinal + 1).year
        year = self._year(y)
        i = bisect_right(year.workdays, ordinal) + n - 1
        while i >= len(year.workdays):
            i -= len(year.workdays)
            y += 1
            year = self._year(y)
        return year.workdays[i]

    def _count(self, a: int, b: int) -> int:
        """Working days in (a, b], a <= b."""
        total = 0
        for y in self._years_of(a, b):
            workdays = self._year(y).workdays
            total += bisect_right(workdays, b) - bisect_right(workdays, a)
        return total

    def _years_of(self, a: int, b: int) -> range:
        """The years holding (a, b], a < b; the day a itself may lie outside the covered years."""
        return range(date.fromordinal(a + 1).year, date.fromordinal(b).year + 1)

    def _any_estimated(self, a: int, b: int) -> bool:
        """Whether any day in (a, b] was decided by the fallback."""
        for y in self._years_of(a, b):
            estimated = self._year(y).estimated
            if estimated and bisect_right(estimated, b) > bisect_right(estimated, a):
                return True
        return False
