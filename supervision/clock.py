"""The office's clock: naive local datetimes in the office's time zone (China Standard Time).

Everything that asks "what day is it" goes through here, so tests and the deadline sweep can move
time forward with :func:`frozen`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

OFFICE_ZONE = ZoneInfo("Asia/Shanghai")
_fixed: datetime | None = None


def now() -> datetime:
    if _fixed is not None:
        return _fixed
    return datetime.now(OFFICE_ZONE).replace(tzinfo=None, microsecond=0)


def today() -> date:
    return now().date()


@contextmanager
def frozen(at: date | datetime) -> Iterator[None]:
    """Pretend it is ``at`` (a date means 09:00 that day) inside the block."""
    global _fixed
    previous = _fixed
    _fixed = at if isinstance(at, datetime) else datetime.combine(at, time(9, 0))
    try:
        yield
    finally:
        _fixed = previous
