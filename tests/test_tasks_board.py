"""驾驶舱 (SPEC §13): every item by light, by leader in charge and by unit; each count is the length of
the item list it links to; printable on A4 landscape, readable on a phone; only for supervisors and
leaders.

On Wednesday 2026-12-09 (yellow: due by Friday the 11th, two working days):

    item  leader  watched   light    tasks (unit)
    A     L1      12-01     red      U1, U2
    B     L1      12-10     yellow   U1
    C     L2      12-30     green    U2, U3 (cancelled: not counted)
    D     —       12-02     red      U3
    E     L1      12-01     (立项: not yet under way, not on the board)
    F     L2      —         (已办结)
"""

from __future__ import annotations

import re
from datetime import date, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from matters_factories import signed_in
from supervision import clock
from supervision.models.org import Role
from supervision.models.tasks import ItemStatus, TaskItem, TaskStatus
from supervision.tasks import queries
from supervision.tasks.board import compute_board
from task_rows import make_item, make_task, needs_pages

DAY = date(2026, 12, 9)


@pytest.fixture
def office(session, make_department, make_user):
    supervisor = make_user(Role.SUPERVISOR)
    l1 = make_user(Role.LEADER, display_name="李副市长")
    l2 = make_user(Role.LEADER, display_name="王副市长")
    u1, u2, u3 = (make_department(name=n) for n in ("市住房和城乡建设局", "市自然资源和规划局", "市商务局"))
    a = make_item(session, supervisor, title="A", leader=l1, watch_on=date(2026, 12, 1))
    make_task(session, a, u1, watch_on=date(2026, 12, 1))
    make_task(session, a, u2, watch_on=date(2026, 12, 20))
    b = make_item(session, supervisor, title="B", leader=l1, watch_on=date(2026, 12, 10))
    make_task(session, b, u1, watch_on=date(2026, 12, 10))
    c = make_item(session, supervisor, title="C", leader=l2, watch_on=date(2026, 12, 30))
    make_task(session, c, u2, watch_on=date(2026, 12, 30))
    make_task(session, c, u3, status=TaskStatus.CANCELLED)
    d = make_item(session, supervisor, title="D", watch_on=date(2026, 12, 2))
    make_task(session, d, u3, watch_on=date(2026, 12, 2))
    make_item(session, supervisor, title="E", leader=l1, status=ItemStatus.DRAFT, watch_on=date(2026, 12, 1))
    make_item(session, supervisor, title="F", leader=l2, status=ItemStatus.CLOSED,
              closed_at=datetime(2026, 11, 20, 10))
    session.commit()
    return {"supervisor": supervisor, "l1": l1, "l2": l2, "u1": u1, "u2": u2, "u3": u3}


def test_board_counts_items_by_light_leader_and_unit(session, office):
    board = compute_board(session, DAY)
    assert board.totals.counts == {"red": 2, "yellow": 1, "green": 1}
    assert board.by_status["issued"] == 4 and board.by_status["draft"] == 1 and board.by_status["closed"] == 1
    leaders = {row.label: row.counts for row in board.by_leader}
    assert leaders == {"李副市长": {"red": 1, "yellow": 1}, "王副市长": {"green": 1}, "未指定分管领导": {"red": 1}}
    assert board.by_leader[-1].key is None  # 未指定 last
    units = {row.label: row.counts for row in board.by_unit}
    assert units == {"市住房和城乡建设局": {"red": 1, "yellow": 1}, "市自然资源和规划局": {"red": 1, "green": 1},
                     "市商务局": {"red": 1}}


def test_every_count_equals_the_item_list_it_opens(session, office):
    board = compute_board(session, DAY)

    def listed(**filters) -> int:
        where = queries.item_conditions(session, office["supervisor"], queries.Filters(status="issued", **filters),
                                        today=DAY)
        return session.scalar(select(func.count()).select_from(TaskItem).where(*where))

    for light in ("red", "yellow", "green"):
        assert listed(light=light) == board.totals.count(light)
        for row in board.by_leader:
            if row.key is not None:
                assert listed(light=light, leader=row.key) == row.count(light)
        for row in board.by_unit:
            assert listed(light=light, department=row.key) == row.count(light)


def test_board_page_links_each_count_to_its_list_and_prints_landscape(app, office):
    needs_pages(app)
    client = signed_in(app, office["l1"])
    with clock.frozen(DAY):
        response = client.get("/tasks/board")
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        assert "督查驾驶舱" in page and 'class="task-board"' in page and "data-print" in page
        css = client.get("/static/css/app.css").get_data(as_text=True)
        assert "@page task-board { size: A4 landscape" in css and "body:has(.task-board) { page: task-board; }" in css
        links = re.findall(r'href="(/tasks/\?[^"]*light=[^"]+)">(\d+)<', page)
        assert links, page
        for href, shown in links:
            args = {k: v[0] for k, v in parse_qs(urlsplit(href.replace("&amp;", "&")).query).items()}
            assert args["status"] == "issued"
            listing = client.get(href.replace("&amp;", "&"))
            assert listing.status_code == 200
            items = set(re.findall(r'href="/tasks/(\d+)"', listing.get_data(as_text=True)))
            assert len(items) == int(shown), (href, shown, items)


def test_board_is_for_supervisors_and_leaders_only(app, session, office, make_user):
    needs_pages(app)
    head = make_user(Role.DEPT_HEAD, department=office["u1"])
    assert signed_in(app, head).get("/tasks/board").status_code == 403
    assert signed_in(app, make_user(Role.ADMIN)).get("/tasks/board").status_code == 403
    assert signed_in(app, office["supervisor"]).get("/tasks/board").status_code == 200


def test_board_menu_entry_shows_to_leaders(app, office):
    needs_pages(app)
    page = signed_in(app, office["l2"]).get("/tasks/board").get_data(as_text=True)
    assert 'href="/tasks/board"' in page
