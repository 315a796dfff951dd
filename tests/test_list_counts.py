"""Lists count exactly while small and show PostgreSQL's estimate (约) beyond that; the to-do lists read
each status's first matters in deadline order."""

from __future__ import annotations

from datetime import timedelta

from matters_factories import (  # noqa: F401  (fixtures)
    TODAY,
    make_matter,
    office,
    signed_in,
    today,
)
from sqlalchemy import select, text

from supervision import pagination
from supervision.matters import queries
from supervision.models.matters import Matter, MatterStatus


def test_list_counts_exactly_up_to_the_cap(app, office, make_matter, monkeypatch):
    for _ in range(3):
        make_matter("registered")
    monkeypatch.setattr(pagination, "COUNT_CAP", 3)
    page = signed_in(app, office.supervisor).get("/matters/").text
    assert "共 3 条" in page and "约" not in page.split("共")[1][:4]


def test_list_beyond_the_cap_shows_an_estimate_on_postgresql(app, session, office, make_matter, monkeypatch):
    for _ in range(4):
        make_matter("registered")
    session.execute(text("ANALYZE matter") if session.get_bind().dialect.name == "postgresql"
                    else select(Matter.id))  # fresh statistics for the planner's estimate
    monkeypatch.setattr(pagination, "COUNT_CAP", 2)
    page = signed_in(app, office.supervisor).get("/matters/").text
    if session.get_bind().dialect.name == "postgresql":
        assert "共 约 " in page  # never below the cap + 1 that was counted
        total, estimated = pagination.count_rows(session, select(Matter.id))
        assert estimated and total >= 3
    else:  # SQLite counts from an index: exact
        assert "共 4 条" in page


def test_todo_lists_matters_by_deadline_with_undated_last(session, office, make_matter):
    matters = [make_matter("registered") for _ in range(4)]
    dates = [TODAY + timedelta(days=5), None, TODAY + timedelta(days=1), TODAY + timedelta(days=3)]
    for matter, due in zip(matters, dates):
        matter.accept_due_on = due
        matter.due_on = due
    session.commit()
    first = queries.first_by_deadline(session, select(Matter), [MatterStatus.REGISTERED], 3)
    assert [m.due_on for m in first] == [TODAY + timedelta(days=1), TODAY + timedelta(days=3),
                                         TODAY + timedelta(days=5)]
    every = queries.first_by_deadline(session, select(Matter), [MatterStatus.REGISTERED], 10)
    assert every[-1].due_on is None and len(every) == 4
