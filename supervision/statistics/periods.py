"""Statistics periods: a month, a quarter, a year or any span of days, with the label printed on reports."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from supervision.errors import ValidationError
from supervision.models.base import LabelledEnum

QUARTER_NAMES = "一二三四"
MAX_CUSTOM_DAYS = 3 * 366 + 1  # a custom span: at most three years


class PeriodKind(LabelledEnum):
    MONTH = "month", "月度"
    QUARTER = "quarter", "季度"
    YEAR = "year", "年度"
    CUSTOM = "custom", "自定义"


@dataclass(frozen=True)
class Period:
    kind: PeriodKind
    start: date
    end: date  # inclusive
    label: str  # 2026年1月 / 2026年第一季度 / 2026年度 / 2026年1月5日至2026年3月20日

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def months(self) -> list[tuple[int, int]]:
        """(year, month) of every month the period touches, in order."""
        result, y, m = [], self.start.year, self.start.month
        while (y, m) <= (self.end.year, self.end.month):
            result.append((y, m))
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        return result

    def query_args(self) -> dict[str, str]:
        """The URL parameters that give this period back (for links to the drill-down lists)."""
        if self.kind == PeriodKind.YEAR:
            return {"period": "year", "year": str(self.start.year)}
        if self.kind == PeriodKind.QUARTER:
            return {"period": "quarter", "year": str(self.start.year), "quarter": str((self.start.month + 2) // 3)}
        if self.kind == PeriodKind.MONTH:
            return {"period": "month", "year": str(self.start.year), "month": str(self.start.month)}
        return {"period": "custom", "start": self.start.isoformat(), "end": self.end.isoformat()}


def month_end(year: int, month: int) -> date:
    return date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)


def _check_year(year: int) -> None:
    if not 2000 <= year <= 2100:
        raise ValidationError("请填写正确的年份。")


def month(year: int, number: int) -> Period:
    _check_year(year)
    if not 1 <= number <= 12:
        raise ValidationError("月份应为 1–12。")
    return Period(PeriodKind.MONTH, date(year, number, 1), month_end(year, number), f"{year}年{number}月")


def quarter(year: int, number: int) -> Period:
    _check_year(year)
    if not 1 <= number <= 4:
        raise ValidationError("季度应为 1–4。")
    return Period(PeriodKind.QUARTER, date(year, 3 * number - 2, 1), month_end(year, 3 * number),
                  f"{year}年第{QUARTER_NAMES[number - 1]}季度")


def year(number: int) -> Period:
    _check_year(number)
    return Period(PeriodKind.YEAR, date(number, 1, 1), date(number, 12, 31), f"{number}年度")


def custom(start: date, end: date) -> Period:
    if end < start:
        raise ValidationError("结束日期不能早于开始日期。")
    if (end - start).days + 1 > MAX_CUSTOM_DAYS:
        raise ValidationError("自定义期间最长三年。")
    _check_year(start.year)
    _check_year(end.year)
    return Period(PeriodKind.CUSTOM, start, end,
                  f"{start.year}年{start.month}月{start.day}日至{end.year}年{end.month}月{end.day}日")


def _int(raw, default: int | None = None) -> int | None:
    try:
        return int(raw)
    except (TypeError, ValueError):
        return default


def _date(raw) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def from_args(args, today: date) -> Period:
    """The period a request asks for (``period=month&year=2026&month=1`` …); this year by default.

    Raises ValidationError with the sentence to show when the parameters make no period."""
    kind = args.get("period") or PeriodKind.YEAR.value
    this_year = _int(args.get("year"), today.year)
    if kind == PeriodKind.MONTH:
        return month(this_year, _int(args.get("month"), today.month))
    if kind == PeriodKind.QUARTER:
        return quarter(this_year, _int(args.get("quarter"), (today.month + 2) // 3))
    if kind == PeriodKind.CUSTOM:
        start, end = _date(args.get("start")), _date(args.get("end"))
        if start is None or end is None:
            raise ValidationError("自定义期间请填写开始日期和结束日期。")
        return custom(start, end)
    return year(this_year)
