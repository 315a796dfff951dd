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


def test_the_untitled_index_predicate_names_the_terminal_statuses():
    from supervision.models.matters import TERMINAL_STATUSES, UNTITLED_OPEN

    listed = UNTITLED_OPEN.split("NOT IN (")[1].rstrip(")")
    assert {s.strip(" '") for s in listed.split(",")} == {s.value for s in TERMINAL_STATUSES}


def test_untitled_to_do_lists_open_matters_by_deadline_undated_last(session, office, make_matter):
    matters = [make_matter("in_progress") for _ in range(4)] + [make_matter("closed"), make_matter("approved")]
    dates = [TODAY + timedelta(days=5), None, TODAY + timedelta(days=1), TODAY + timedelta(days=3), None, None]
    for matter, due in zip(matters, dates):
        matter.assigned_title = ""
        if matter.status == MatterStatus.IN_PROGRESS:
            matter.due_on = due
    matters[3].assigned_title = "已确认的交办标题"
    session.commit()
    first = queries.untitled_at_departments(session, 2)
    assert [m.id for m in first] == [matters[2].id, matters[0].id]
    every = queries.untitled_at_departments(session, 10)
    assert [m.id for m in every] == [matters[2].id, matters[0].id, *sorted([matters[1].id, matters[5].id])]


def test_overdue_list_newest_first_reads_open_matters_only(app, session, office, make_matter):
    late = [make_matter("in_progress") for _ in range(3)]
    closed = make_matter("closed")
    for i, matter in enumerate(late):
        matter.due_on = TODAY - timedelta(days=1)
        matter.received_on = TODAY - timedelta(days=10 + i)
    late[2].due_on = TODAY + timedelta(days=2)  # not yet overdue
    closed.received_on = TODAY
    session.commit()
    page = queries.list_page(session, office.supervisor, queries.MatterFilters(overdue=True), 1, 20, today=TODAY)
    assert [m.id for m in page.items] == [late[0].id, late[1].id] and page.total == 2
