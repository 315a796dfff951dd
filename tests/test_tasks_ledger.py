"""督查事项台账 (.xlsx) among the ledgers: the item list's filters give the same rows; the office gets the
items and their tasks, a unit only its own tasks; the export is audited; junk filters never give a 500."""

from __future__ import annotations

import io
from datetime import date

import openpyxl
import pytest

from matters_factories import last_audit, signed_in
from supervision import clock
from supervision.models.org import Role
from supervision.models.tasks import TaskGrade, TaskRole, TaskStatus
from task_rows import make_item, make_task

DAY = date(2026, 12, 9)


@pytest.fixture
def office(session, make_department, make_user):
    supervisor = make_user(Role.SUPERVISOR)
    leader = make_user(Role.LEADER, display_name="李副市长")
    housing, commerce = make_department(name="市住建局"), make_department(name="市商务局")
    red = make_item(session, supervisor, title="老旧小区加装电梯", leader=leader, watch_on=date(2026, 12, 1))
    make_task(session, red, housing, due_on=date(2026, 12, 1), watch_on=date(2026, 12, 1), progress=60,
              responsible_person="张明")
    make_task(session, red, commerce, role=TaskRole.CO, watch_on=date(2026, 12, 30), progress=40)
    green = make_item(session, supervisor, title="农贸市场改造提升", watch_on=date(2026, 12, 30))
    make_task(session, green, commerce, watch_on=date(2026, 12, 30), status=TaskStatus.CLOSED,
              grade=TaskGrade.GOOD, score=88)
    session.commit()
    return {"supervisor": supervisor, "leader": leader, "housing": housing, "commerce": commerce,
            "head": make_user(Role.DEPT_HEAD, department=housing)}


def sheets(response) -> dict[str, list[dict]]:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    book = openpyxl.load_workbook(io.BytesIO(response.get_data()))
    out = {}
    for sheet in book.worksheets:
        rows = list(sheet.iter_rows(values_only=True))
        header_at = next(i for i, row in enumerate(rows) if row[0] in ("编号", "事项编号"))
        out[sheet.title] = [dict(zip(rows[header_at], row)) for row in rows[header_at + 1:]]
    return out


def test_office_ledger_has_the_filtered_items_and_their_tasks(app, session, office):
    client = signed_in(app, office["leader"])
    with clock.frozen(DAY):
        data = sheets(client.get("/ledgers/tasks.xlsx?status=issued&light=red"))
    [item] = data["督查事项"]
    assert (item["事项名称"], item["分管领导"], item["亮灯"], item["牵头单位"], item["配合单位"], item["任务数"],
            item["平均进度"]) == ("老旧小区加装电梯", "李副市长", "红灯", "市住建局", "市商务局", 2, 50)
    tasks = data["督查任务"]
    assert [(t["单位"], t["承办方式"], t["是否逾期"]) for t in tasks] == [("市住建局", "牵头", "是"), ("市商务局", "配合", None)]
    assert tasks[0]["责任人"] == "张明"
    _, changes = last_audit(session, "ledger.export")
    assert changes["ledger"] == "tasks" and changes["filters"] == {"status": "issued", "light": "red"}
    with clock.frozen(DAY):
        everything = sheets(client.get("/ledgers/tasks.xlsx"))
    assert len(everything["督查事项"]) == 2
    graded = next(t for t in everything["督查任务"] if t["状态"] == "已销号")
    assert (graded["评价"], graded["得分"]) == ("较好", 88)


def test_a_unit_gets_only_its_own_tasks(app, office):
    with clock.frozen(DAY):
        data = sheets(signed_in(app, office["head"]).get("/ledgers/tasks.xlsx"))
    assert list(data) == ["督查任务"]
    assert [t["单位"] for t in data["督查任务"]] == ["市住建局"]
    with clock.frozen(DAY):  # the unit's list filters: the light, a keyword
        assert len(sheets(signed_in(app, office["head"]).get("/ledgers/tasks.xlsx?light=green"))["督查任务"]) == 0
        assert len(sheets(signed_in(app, office["head"]).get("/ledgers/tasks.xlsx?light=red&q=电梯"))["督查任务"]) == 1


@pytest.mark.parametrize("query", ["light=purple", "leader=abc", "department=-3", "status=bogus", "q=" + "很" * 300])
def test_junk_filters_are_refused_in_chinese(app, office, query):
    response = signed_in(app, office["supervisor"]).get(f"/ledgers/tasks.xlsx?{query}")
    assert response.status_code == 400 and "筛选条件无效" in response.get_data(as_text=True)


def test_administrator_has_no_task_ledger(app, make_user, office):
    assert signed_in(app, make_user(Role.ADMIN)).get("/ledgers/tasks.xlsx").status_code == 403


def test_the_item_list_offers_its_ledger_with_its_filters_and_the_office_pages(app, office):
    from task_rows import needs_pages

    needs_pages(app)
    page = signed_in(app, office["supervisor"]).get("/tasks/?status=issued&light=red").get_data(as_text=True)
    assert 'href="/ledgers/tasks.xlsx?status=issued&amp;light=red"' in page
    assert 'href="/tasks/board"' in page and 'href="/tasks/bulletin"' in page and 'href="/tasks/import"' in page
