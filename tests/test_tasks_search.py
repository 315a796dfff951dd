"""督查事项 in 全文检索: items and tasks reach each server's index through the search change log written
with them; the office finds both, a unit only its own tasks (never another unit's, never the item's own
document, never a task not yet issued to it)."""

from __future__ import annotations

from datetime import datetime

import pytest

from matters_factories import signed_in
from supervision.models.org import Role
from supervision.models.tasks import TaskInstruction, TaskReport, TaskRole, TaskStatus
from supervision.search import service
from supervision.search.engine import SearchIndex
from task_rows import make_item, make_task


@pytest.fixture(autouse=True)
def search_index(app) -> SearchIndex:
    app.config["SEARCH_ENABLED"] = True
    service.rebuild()
    return service.get_index()


def found(index: SearchIndex, text: str, departments=None) -> list[str]:
    service.catch_up(index)
    return sorted(index.search_ids(text, departments=departments, include_identity=False))


@pytest.fixture
def office(session, make_department, make_user):
    supervisor = make_user(Role.SUPERVISOR)
    leader = make_user(Role.LEADER, display_name="李副市长")
    housing, commerce, planning = (make_department(name=n) for n in ("市住建局", "市商务局", "市规划局"))
    item = make_item(session, supervisor, title="老旧小区加装电梯三年行动", leader=leader,
                     content="全年完成加装电梯四十台，群众满意度明显提升。")
    own = make_task(session, item, housing, requirements="牵头制定加装电梯补助办法。")
    co = make_task(session, item, commerce, role=TaskRole.CO, requirements="配合做好电梯采购价格监测。")
    make_task(session, item, planning, role=TaskRole.CO, status=TaskStatus.PLANNED,
              requirements="审批规划许可绿色通道。")
    report = TaskReport(task_id=own.id, percent=60, content="已完成加装32台，余下8台居民协商中。",
                        submitted_at=datetime(2026, 11, 18, 10), submitted_by_id=supervisor.id)
    session.add(report)
    session.flush()
    session.add(TaskInstruction(report_id=report.id, task_id=own.id, text="要加快协商进度，月底前全部开工。",
                                written_at=datetime(2026, 11, 19, 9), written_by_id=leader.id))
    session.commit()
    heads = {d.name: make_user(Role.DEPT_HEAD, department=d) for d in (housing, commerce, planning)}
    return {"item": item, "task": own, "co": co, "supervisor": supervisor, "heads": heads, "housing": housing,
            "commerce": commerce, "planning": planning}


def test_items_and_tasks_are_indexed_through_the_change_log(search_index, office):
    item, task = office["item"], office["task"]
    assert f"task_item:{item.id}" in found(search_index, "加装电梯")
    assert f"task:{task.id}" in found(search_index, "补助办法")
    assert f"task:{task.id}" in found(search_index, "月底前全部开工")  # a leader's 批示 on its report
    assert f"task:{task.id}" in found(search_index, "余下8台")  # its progress report


def test_a_report_written_later_is_found_after_the_commit(session, search_index, office):
    task = office["task"]
    session.add(TaskReport(task_id=task.id, percent=80, content="召开业主协调会三场。",
                           submitted_at=datetime(2026, 11, 30, 10), submitted_by_id=office["supervisor"].id))
    session.commit()
    assert found(search_index, "业主协调会") == [f"task:{task.id}"]


def test_a_unit_finds_only_its_own_tasks(search_index, office):
    housing, commerce, planning = office["housing"].id, office["commerce"].id, office["planning"].id
    assert found(search_index, "补助办法", departments={housing}) == [f"task:{office['task'].id}"]
    assert found(search_index, "补助办法", departments={commerce}) == []
    assert found(search_index, "加装电梯", departments={commerce}) == [f"task:{office['co'].id}"]
    assert not any(hit.startswith("task_item:") for hit in found(search_index, "加装电梯", departments={housing}))
    assert found(search_index, "绿色通道", departments={planning}) == []  # not yet issued to it
    assert found(search_index, "绿色通道") != []  # the office finds it


def test_search_page_shows_a_unit_its_task_and_the_office_the_item(app, search_index, office):
    head = office["heads"]["市住建局"]
    page = signed_in(app, head).get("/search/", query_string={"q": "加装电梯"}).get_data(as_text=True)
    assert f'href="/tasks/task/{office["task"].id}"' in page
    assert f'href="/tasks/{office["item"].id}"' not in page
    other = signed_in(app, office["heads"]["市商务局"]).get("/search/", query_string={"q": "补助办法"})
    assert f'/tasks/task/{office["task"].id}' not in other.get_data(as_text=True)
    page = signed_in(app, office["supervisor"]).get("/search/", query_string={"q": "加装电梯",
                                                                              "kind": "task_item"})
    assert f'href="/tasks/{office["item"].id}"' in page.get_data(as_text=True)
