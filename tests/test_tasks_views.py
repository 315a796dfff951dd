"""The /tasks/ pages: who sees what (each role × each page), the wiring of each step through the
pipeline, and bad input answered in Chinese (never a 500)."""

from __future__ import annotations

import re
from io import BytesIO

import pytest
from docx import Document
from sqlalchemy import select

from matters_factories import PDF_BYTES, signed_in
from supervision.models.tasks import ItemStatus, Task, TaskItem, TaskStatus

ROLES = ["admin", "intake", "supervisor", "leader", "head", "co_head", "other_head"]


def pages(item, task) -> list[str]:
    return ["/tasks/", "/tasks/?light=red", f"/tasks/{item.id}", f"/tasks/task/{task.id}",
            f"/tasks/{item.id}/notice"]


# role -> status of each page of pages(): the list, the filtered list, the item, the lead task, the notice
EXPECTED = {
    "admin": [403, 403, 403, 403, 403],
    "intake": [200, 200, 200, 200, 200],
    "supervisor": [200, 200, 200, 200, 200],
    "leader": [200, 200, 200, 200, 200],
    "head": [200, 200, 200, 200, 200],  # the lead unit
    "co_head": [200, 200, 200, 404, 200],  # the co-unit: the item, not the lead's task
    "other_head": [200, 200, 404, 404, 404],  # nothing of this item
}


@pytest.mark.parametrize("who", ROLES)
def test_each_role_on_each_page(app, office, make_task_item, who):
    item = make_task_item("reported")
    lead = item.tasks[0]
    client = signed_in(app, getattr(office, who))
    for url, expected in zip(pages(item, lead), EXPECTED[who]):
        response = client.get(url)
        assert response.status_code == expected, (who, url, response.status_code)
    if who in ("head", "co_head", "other_head"):
        listing = client.get("/tasks/").text
        assert ("老旧小区加装电梯审批提速" in listing) is (who != "other_head")
    if who == "co_head":  # the item page lists the co-unit's own task only
        page = client.get(f"/tasks/{item.id}").text
        assert office.co_department.name in page and office.department.name not in page.split("任务分解")[1]


@pytest.mark.parametrize("who", ROLES)
def test_each_role_on_each_form(app, office, make_task_item, who):
    """A POST of a step the role may not take: 403 (or 404 where the object is not theirs), no write."""
    item = make_task_item("reported")
    lead = item.tasks[0]
    report = lead.reports[0]
    posts = {  # url -> roles allowed past the permission check (they get 302 or 400, never 403/404/500)
        "/tasks/new": {"supervisor"},
        f"/tasks/{item.id}/tasks": {"supervisor"},
        f"/tasks/{item.id}/act/cancel": {"supervisor"},
        f"/tasks/{item.id}/act/approve": {"leader"},
        f"/tasks/task/{lead.id}/act/report": {"head"},
        f"/tasks/task/{lead.id}/act/split": {"head"},
        f"/tasks/task/{lead.id}/act/apply": {"head"},
        f"/tasks/task/{lead.id}/act/grade": {"supervisor"},
        f"/tasks/task/{lead.id}/act/urge": {"supervisor"},
        f"/tasks/report/{report.id}/instruction": {"leader"},
    }
    client = signed_in(app, getattr(office, who))
    for url, allowed in posts.items():
        response = client.post(url, data={})
        if who in allowed:
            assert response.status_code in (302, 400), (who, url, response.status_code)
        else:
            assert response.status_code in (403, 404), (who, url, response.status_code)


def test_the_menu_offers_tasks_to_case_roles(app, office):
    for who, shown in [("intake", True), ("supervisor", True), ("leader", True), ("head", True), ("admin", False)]:
        page = signed_in(app, getattr(office, who)).get("/").text
        assert ('href="/tasks/"' in page) is shown, who


def test_register_review_issue_and_break_down_through_the_pages(app, session, office):
    supervisor, leader = signed_in(app, office.supervisor), signed_in(app, office.leader)
    response = supervisor.post("/tasks/new", data={
        "source_kind": "meeting", "source_number": "市政府常务会议纪要〔2026〕12号", "source_date": "2026-05-28",
        "title": "优化营商环境十条措施落实", "content": "逐条落实营商环境十条措施。", "importance": "important",
        "leader_id": str(office.leader.id), "due_on": "2026-09-30", "report_schedule": "monthly", "report_day": "25",
        "report_weekday": "5"})
    assert response.status_code == 302, response.text
    item = session.scalar(select(TaskItem))
    assert item.serial == "DC-2026-00001" and item.source_kind == "meeting"
    assert supervisor.post(f"/tasks/{item.id}/act/submit", data={"version": item.version}).status_code == 302
    page = leader.get(f"/tasks/{item.id}").text
    assert "审核同意" in page and "退回修改" in page
    assert leader.post(f"/tasks/{item.id}/act/approve", data={"note": "同意"}).status_code == 302
    response = supervisor.post(f"/tasks/{item.id}/act/issue", data={})
    assert response.status_code == 302
    session.expire_all()
    assert item.status == ItemStatus.ISSUED and item.notice_number == "督查〔2026〕1号"
    notice = supervisor.get(f"/tasks/{item.id}/notice")
    assert notice.status_code == 200
    assert "优化营商环境十条措施落实" in "\n".join(p.text for p in Document(BytesIO(notice.data)).paragraphs)
    response = supervisor.post(f"/tasks/{item.id}/tasks", data={
        "department_id": str(office.department.id), "role": "lead", "responsible_person": "王志刚",
        "milestones": "2026-07-15，方案报市政府，方案经常务会审议\n10，完成摸底排查"})
    assert response.status_code == 302, response.text
    task = session.scalar(select(Task))
    assert task.status == TaskStatus.ASSIGNED and len(task.milestones) == 2
    assert "待签收" in signed_in(app, office.head).get("/tasks/").text


@pytest.mark.parametrize("data, message", [
    ({"department_id": "", "role": "lead"}, "请选择责任单位"),
    ({"department_id": "999999", "role": "lead"}, "不是有效的选择"),
    ({"role": "lead", "milestones": "明天，方案"}, "无法识别"),
    ({"role": "lead", "milestones": "只写一项"}, "节点应写作"),
    ({"role": "lead", "due_on": "2026-13-45"}, "日期"),
    ({"role": "co", "due_on": "2026-12-31"}, "晚于督查事项的办结时限"), ({"role": "co", "due_on": "2099-01-01"}, "合理范围"),
])
def test_bad_breakdown_input_is_answered_in_chinese(app, office, make_task_item, data, message):
    item = make_task_item("issued", co=False)
    data = {"department_id": str(office.co_department.id), **data}
    response = signed_in(app, office.supervisor).post(f"/tasks/{item.id}/tasks", data=data)
    said = re.findall(r'class="(?:flash[^"]*|error-text)"[^>]*>([^<]*)<', response.text)
    assert response.status_code == 400 and any(message in x for x in said), said


def test_unit_signs_reports_with_evidence_and_leader_instructs(app, session, office, make_task_item):
    item = make_task_item("issued", co=False)
    task = item.tasks[0]
    head = signed_in(app, office.head)
    assert head.post(f"/tasks/task/{task.id}/act/sign", data={}).status_code == 302
    response = head.post(f"/tasks/task/{task.id}/act/report", data={
        "percent": "150", "content": "x"})
    assert response.status_code == 400 and "0 至 100" in response.text
    response = head.post(f"/tasks/task/{task.id}/act/report", data={
        "percent": "35", "content": "完成摸底排查。", "milestone_ids": str(task.milestones[0].id),
        "files": (BytesIO(PDF_BYTES), "排查台账.pdf")}, content_type="multipart/form-data")
    assert response.status_code == 302, response.text
    session.expire_all()
    report = task.reports[0]
    assert task.progress == 35 and task.milestones[0].done_on is not None and report.attachments
    file = head.get(f"/tasks/task/{task.id}/files/{report.attachments[0].id}")
    assert file.status_code == 200 and file.data == PDF_BYTES
    assert signed_in(app, office.other_head).get(f"/tasks/task/{task.id}/files/{report.attachments[0].id}").status_code == 404
    leader = signed_in(app, office.leader)
    assert leader.post(f"/tasks/report/{report.id}/instruction", data={"text": ""}).status_code == 400
    assert leader.post(f"/tasks/report/{report.id}/instruction", data={"text": "抓紧推进。"}).status_code == 302
    assert "抓紧推进。" in head.get(f"/tasks/task/{task.id}").text


def test_junk_filters_and_ids_never_500(app, office, make_task_item):
    make_task_item("issued")
    for who in ("supervisor", "head"):
        client = signed_in(app, getattr(office, who))
        for url in ("/tasks/?status=zzz&light=purple&leader=abc&department=-1&page=-5&q=%25",
                    "/tasks/?q=" + "长" * 500, "/tasks/99999999", "/tasks/task/99999999",
                    "/tasks/1/act/nonsense", "/tasks/task/1/act/nonsense"):
            response = client.get(url) if "act" not in url else client.post(url, data={})
            assert response.status_code in (200, 400, 403, 404, 405), (who, url, response.status_code)


def test_supervisor_urges_a_task_from_its_page(app, session, office, make_task_item):
    item = make_task_item("signed", co=False)
    task = item.tasks[0]
    supervisor = signed_in(app, office.supervisor)
    assert "催办 / 督办" in supervisor.get(f"/tasks/task/{task.id}").text
    assert "催办 / 督办" not in signed_in(app, office.head).get(f"/tasks/task/{task.id}").text
    response = supervisor.post(f"/tasks/task/{task.id}/act/urge", data={"level": "phone", "note": "请按时报送进展。"})
    assert response.status_code == 302
    assert "电话催办" in signed_in(app, office.head).get(f"/tasks/task/{task.id}").text
    response = supervisor.post(f"/tasks/task/{task.id}/act/urge", data={"level": "zzz", "note": "x"})
    assert response.status_code == 400


def test_the_home_page_lists_the_tasks_waiting_for_each_user(app, session, office, make_task_item):
    """工作台: a unit sees its tasks to sign (and only its own), the leader in charge the items to review,
    the office the closures to check — each line linking to the task or item."""
    waiting = make_task_item("review", co=False, title="优化营商环境专项督查")
    issued = make_task_item("issued", title="老旧小区加装电梯提速")
    session.commit()
    lead, co = issued.tasks
    head = signed_in(app, office.head).get("/").text
    assert "督查任务（待签收 / 办理中）" in head and f'href="/tasks/task/{lead.id}"' in head
    assert issued.serial in head and f'href="/tasks/task/{co.id}"' not in head
    other = signed_in(app, office.other_head).get("/").text
    assert issued.serial not in other
    leader = signed_in(app, office.leader).get("/").text
    assert "督查事项待审核" in leader and f'href="/tasks/{waiting.id}"' in leader
    assert "督查任务办结待复核" not in signed_in(app, office.supervisor).get("/").text
