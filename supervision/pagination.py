"""A page of results that the ``pager`` macro can show (same attributes as Flask-SQLAlchemy's), and the
count behind it: exact while small, the planner's estimate (shown as 约) beyond that."""

from __future__ import annotations

import json
from dataclasses import dataclass
from math import ceil
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from supervision import readcache

# Up to this many rows a list counts exactly (reading at most COUNT_CAP + 1 index entries); beyond it,
# PostgreSQL's planner estimate stands in. PostgreSQL counts by visiting every row (MVCC): a bare
# count(*) of 100,000 matters costs ~30 ms, of 1,000,000 ten times that, on every page view.
COUNT_CAP = 1000


@dataclass
class Page:
    items: list[Any]
    page: int
    per_page: int
    total: int
    estimated: bool = False  # ``total`` is the planner's estimate (约), not a count

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


def count_rows(session: Session, ids: Select, cap: int | None = None) -> tuple[int, bool]:
    """(total, estimated) for the rows ``ids`` (a SELECT of one column, unordered, unlimited) selects.

    Exact up to ``cap``; past it, on PostgreSQL the planner's row estimate (never below cap + 1), which
    costs a plan, not a scan. SQLite has no estimate but counts from an index without visiting rows, so
    it counts exactly."""
    cap = COUNT_CAP if cap is None else cap
    # The same list's count is asked on every view and every page of it: kept until the next write.
    return readcache.until_next_write(session, ("count_rows", cap, readcache.statement_key(session, ids)),
                                      lambda: _count_rows(session, ids, cap))


def _count_rows(session: Session, ids: Select, cap: int) -> tuple[int, bool]:
    bounded = session.scalar(select(func.count()).select_from(ids.limit(cap + 1).subquery()))
    if bounded <= cap:
        return bounded, False
    if session.get_bind().dialect.name != "postgresql":
        return session.scalar(select(func.count()).select_from(ids.subquery())), False
    return max(cap + 1, planner_rows(session, ids)), True


def planner_rows(session: Session, statement: Select) -> int:
    """PostgreSQL's estimate of the rows ``statement`` returns (EXPLAIN, nothing executed)."""
    connection = session.connection()
    compiled = statement.compile(dialect=connection.dialect, compile_kwargs={"render_postcompile": True})
    plan = connection.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {compiled}", compiled.params).scalar()
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])
