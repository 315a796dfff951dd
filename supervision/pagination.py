"""A page of results that the ``pager`` macro can show (same attributes as Flask-SQLAlchemy's)."""

from __future__ import annotations

from dataclasses import dataclass
from math import ceil
from typing import Any


@dataclass
class Page:
    items: list[Any]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, ceil(self.total / self.per_page)) if self.total else 0

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


def page_number(raw: Any) -> int:
    try:
        return min(max(int(raw), 1), 100_000)
    except (TypeError, ValueError):
        return 1
