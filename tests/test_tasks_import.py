"""Import of last year's 督查任务清单 from Excel: the template, every error per row in Chinese (nothing
written), the preview, the confirmation that writes items and tasks (audited, searchable), duplicates
skipped, and never a 500 for a bad file."""

from __future__ import annotations

import io
from datetime import date

import openpyxl
import pytest
from sqlalchemy import select

from matters_factories import last_audit, signed_in
from supervision import clock
from supervision.models.org import Role
from supervision.models.tasks import ItemStatus, Task, TaskGrade, TaskItem, TaskRole, TaskStatus
from supervision.tasks import importing
from task_rows import needs_pages

DAY = date(2026, 3, 10)
HEADER = [c.header for c in importing.COLUMNS]


def workbook(*rows, header=HEADER) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append([row.get(h) for h in header])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def line(**values):
    row = {"事项名称": "优化营商环境“一件事”改革", "来源类型": "年度重点工作", "事项内容": "上线第二批12个“一件事”。",
           "办结时限": date(2025, 12, 31), "牵头单位": "市行政审批局", "配合单位": "市市场监督管理局、市税务局",
           "状态": "已办结", "办结日期": date(2025, 12, 20), "评价": "好", "责任人": "张明"}
    row.update(values)
    return row


@pytest.fixture
def office(session, make_department, make_user):
    for name in ("市行政审批局", "市市场监督管理局", "市税务局"):
        make_department(name=name)
    make_department(name="市旧机构", active=False)
    return {"supervisor": make_user(Role.SUPERVISOR), "leader": make_user(Role.LEADER, display_name="王副市长")}


def test_a_clean_list_imports_items_with_a_task_per_unit(session, office):
    data = workbook(line(), line(**{"事项名称": "老旧小区加装电梯", "状态": "办理中", "办结日期": None, "评价": None,
                                   "分管领导": "王副市长", "配合单位": None, "办结时限": date(2026, 6, 30),
                                   "来源类型": "领导批示件", "来源文号": "示政批〔2025〕3号",
                                   "来源日期": "2025年11月3日"}))
    with clock.frozen(DAY):
        parsed = importing.read_list(session, data)
        assert parsed.ok and parsed.counts() == {"已办结": 1, "办理中": 1}
        result = importing.import_list(session, office["supervisor"], parsed, file_name="2025.xlsx")
        session.commit()
    closed, running = (session.get(TaskItem, i) for i in result.item_ids)
    assert closed.status == ItemStatus.CLOSED and closed.serial.startswith("DC-2025-")
    assert [(t.department.name, t.role, t.status) for t in closed.tasks] == [
        ("市行政审批局", TaskRole.LEAD, TaskStatus.CLOSED), ("市市场监督管理局", TaskRole.CO, TaskStatus.CLOSED),
        ("市税务局", TaskRole.CO, TaskStatus.CLOSED)]
    lead = closed.tasks[0]
    assert lead.grade == TaskGrade.EXCELLENT and lead.responsible_person == "张明" and not lead.closed_late
    assert closed.tasks[1].grade is None  # 评价 goes to the lead unit
    assert running.status == ItemStatus.ISSUED and running.leader.display_name == "王副市长"
    assert running.source_date == date(2025, 11, 3) and running.watch_on is not None
    [task] = running.tasks
    assert task.status == TaskStatus.RECEIVED and task.watch_on <= date(2026, 6, 30)
    entry, changes = last_audit(session, "task_list.imported")
    assert changes["imported"] == 2 and entry.actor_id == office["supervisor"].id
    assert last_audit(session, "task_item.imported")[1]["tasks"] == 1


def test_every_error_is_reported_per_row_in_chinese_and_nothing_is_written(session, office):
    data = workbook(
        line(**{"事项名称": None, "来源类型": "口头交办", "牵头单位": "市不存在局"}),
        line(**{"状态": "已办结", "办结日期": None, "得分": "一百"}),
        line(**{"状态": "办理中", "办结日期": date(2025, 12, 1), "配合单位": "市行政审批局", "分管领导": "张三"}),
        line(**{"办结时限": "2025-02-30", "牵头单位": "市旧机构", "评价": "优秀"}),
    )
    with clock.frozen(DAY):
        parsed = importing.read_list(session, data)
    assert not parsed.ok
    found = {(e.row, e.column, e.message) for e in parsed.errors}
    assert (2, "事项名称", "此项为必填项。") in found
    assert any(e[:2] == (2, "来源类型") and "“口头交办”不是可选的值" in e[2] for e in found)
    assert any(e[:2] == (2, "牵头单位") and "系统中没有名为“市不存在局”的单位" in e[2] for e in found)
    assert (3, "办结日期", "状态为“已办结”时必填。") in found
    assert (3, "得分", "“一百”应为 0–100 的整数。") in found
    assert any(e[:2] == (4, "办结日期") and "状态为“办理中”时不填办结日期" in e[2] for e in found)
    assert (4, "配合单位", "同一单位不能既是牵头单位又是配合单位。") in found
    assert (4, "分管领导", "系统中没有名为“张三”的在岗领导账号。") in found
    assert (5, "办结时限", "日期“2025-02-30”不存在。") in found
    assert (5, "牵头单位", "单位“市旧机构”已停用。") in found
    assert [e.row for e in parsed.errors] == sorted(e.row for e in parsed.errors)
    assert session.scalar(select(TaskItem.id)) is None


@pytest.mark.parametrize("data, message", [
    (b"", "上传的文件是空的。"),
    (b"not a spreadsheet at all", "不是 Excel（.xlsx）文件"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"0" * 100, "旧版 Excel（.xls）"),
    (b"PK\x03\x04broken zip", "无法读取该文件"),
])
def test_files_that_are_no_list_say_why(session, office, data, message):
    parsed = importing.read_list(session, data)
    assert [e.row for e in parsed.errors] == [None] and message in parsed.errors[0].message


def test_header_problems_are_named(session, office):
    parsed = importing.read_list(session, workbook(line(), header=[*HEADER[:-1], "其他列"]))
    messages = {(e.column, e.message) for e in parsed.errors}
    assert ("其他列", "模板中没有此列：请改回模板中的列名，或删除此列。") in messages
    assert ("备注", "缺少此列（列名被修改或删除）。") in messages
    assert importing.read_list(session, workbook()).errors[0].message.startswith("文件中只有列名")


def test_rows_already_imported_or_twice_in_the_file_are_skipped(session, office):
    with clock.frozen(DAY):
        importing.import_list(session, office["supervisor"], importing.read_list(session, workbook(line())))
        session.commit()
        parsed = importing.read_list(session, workbook(line(), line(**{"事项名称": "新事项"}),
                                                       line(**{"事项名称": "新事项"})))
    assert parsed.ok and [r.title for r in parsed.rows] == ["新事项"]
    assert [why for _, _, why in parsed.duplicates][0].startswith("与已有督查事项 DC-2025-")
    assert "与第 3 行的名称、办结时限相同。" in parsed.duplicates[1][2]


def test_upload_preview_confirm_through_the_pages(app, session, office, make_user):
    """The confirmation records a job and commits, nothing more (2,000 rows took 20–45 s in the request);
    a worker writes the items and the result page follows it."""
    from supervision.extensions import db
    from supervision.ledger_import.jobs import JobPolicy, run_queued

    needs_pages(app)
    client = signed_in(app, office["supervisor"])
    template = client.get("/tasks/import/template.xlsx")
    assert template.status_code == 200
    headers = [c.value for c in openpyxl.load_workbook(io.BytesIO(template.get_data())).active[1]]
    assert headers == HEADER
    with clock.frozen(DAY):
        preview = client.post("/tasks/import", data={"file": (io.BytesIO(workbook(line())), "2025年任务.xlsx")},
                              content_type="multipart/form-data")
        assert preview.status_code == 200
        page = preview.get_data(as_text=True)
        assert "将导入 <strong>1</strong> 项督查事项" in page and "确认导入" in page
        assert session.scalar(select(TaskItem.id)) is None  # nothing written before the confirmation
        token = page.split('name="token" type="hidden" value="')[1].split('"')[0]
        confirmed = client.post("/tasks/import/confirm", data={"token": token})
        assert confirmed.status_code == 302 and confirmed.headers["Location"].endswith(f"/tasks/import/{token}")
        again = client.post("/tasks/import/confirm", data={"token": token})  # a double click: the same job
        assert again.status_code == 302 and again.headers["Location"] == confirmed.headers["Location"]
        assert session.scalar(select(TaskItem.id)) is None  # the request wrote the job only
        waiting = client.get(f"/tasks/import/{token}").get_data(as_text=True)
        assert "正在排队等待后台导入" in waiting and 'http-equiv="refresh"' in waiting
        with app.app_context():
            assert run_queued(db.session, JobPolicy()) == 1
        done = client.get(f"/tasks/import/{token}").get_data(as_text=True)
    session.expire_all()
    assert "导入完成" in done and "已导入 <strong>1</strong> 项督查事项" in done
    items = session.scalars(select(TaskItem)).all()
    assert len(items) == 1 and items[0].serial in done
    assert len(session.scalars(select(Task)).all()) == 3
    _, queued = last_audit(session, "task_list.import_queued")
    assert queued["file"] == "2025年任务.xlsx"
    _, imported = last_audit(session, "task_list.imported")
    assert imported["imported"] == 1
    # another user cannot read the job's page
    other = signed_in(app, make_user(Role.SUPERVISOR))
    assert other.get(f"/tasks/import/{token}").status_code == 302


def test_a_list_the_office_outgrew_before_the_worker_ran_fails_with_its_errors_and_writes_nothing(
        app, session, office):
    from supervision.extensions import db
    from supervision.ledger_import.jobs import JobPolicy, run_queued
    from supervision.models.org import Department

    needs_pages(app)
    client = signed_in(app, office["supervisor"])
    with clock.frozen(DAY):
        page = client.post("/tasks/import", data={"file": (io.BytesIO(workbook(line())), "2025.xlsx")},
                           content_type="multipart/form-data").get_data(as_text=True)
        token = page.split('name="token" type="hidden" value="')[1].split('"')[0]
        assert client.post("/tasks/import/confirm", data={"token": token}).status_code == 302
        unit = session.scalar(select(Department).where(Department.name == "市税务局"))
        unit.active = False  # closed meanwhile (the worker checks the file again)
        session.commit()
        with app.app_context():
            assert run_queued(db.session, JobPolicy()) == 1
        failed = client.get(f"/tasks/import/{token}")
    assert failed.status_code == 200 and "未能导入" in failed.text and "市税务局" in failed.text
    assert session.scalar(select(TaskItem.id)) is None


def test_a_bad_file_through_the_page_is_a_422_with_the_errors_never_a_500(app, session, office):
    needs_pages(app)
    client = signed_in(app, office["supervisor"])
    with clock.frozen(DAY):
        response = client.post("/tasks/import", data={"file": (io.BytesIO(workbook(line(**{"状态": "不知道"}))),
                                                                "bad.xlsx")}, content_type="multipart/form-data")
        assert response.status_code == 422
        assert "整个文件都没有导入" in response.get_data(as_text=True)
        assert "“不知道”不是可选的值" in response.get_data(as_text=True)
        junk = client.post("/tasks/import", data={"file": (io.BytesIO(b"\x00\x01junk"), "x.xlsx")},
                           content_type="multipart/form-data")
        assert junk.status_code == 422
        empty = client.post("/tasks/import", data={}, content_type="multipart/form-data")
        assert empty.status_code == 400 and "请选择要上传的任务清单" in empty.get_data(as_text=True)
        assert client.post("/tasks/import/confirm", data={"token": "../../etc"}).status_code == 302


def test_only_supervisors_import(app, office, make_user):
    needs_pages(app)
    assert signed_in(app, office["leader"]).get("/tasks/import").status_code == 403
    assert signed_in(app, make_user(Role.DEPT_HEAD)).post("/tasks/import").status_code == 403


def test_only_the_clerk_who_confirmed_a_failed_list_retries_it_and_only_from_its_own_page(app, session, office,
                                                                                         make_user):
    """重新导入 of a 督查任务清单 that failed (not on its file's errors): its clerk queues it again; a colleague,
    the ledger's retry and a malformed token get 404."""
    from supervision.ledger_import import jobs
    from supervision.models.jobs import JobState

    needs_pages(app)
    token = "a" * 32
    job = jobs.queue_import(session, office["supervisor"], token=token, kind=jobs.TASK_LIST, file_name="2025.xlsx",
                            data=workbook(line()), sha256="0" * 64)
    job.state, job.failure = JobState.FAILED, "后台导入中断。"
    session.commit()
    assert signed_in(app, make_user(Role.SUPERVISOR)).post(f"/tasks/import/{token}/retry").status_code == 404
    client = signed_in(app, office["supervisor"])
    assert client.post(f"/ledgers/import/{token}/retry").status_code == 404  # a task list is not a ledger
    assert client.post(f"/tasks/import/{'z' * 32}/retry").status_code == 404
    session.expire_all()
    assert job.state == JobState.FAILED
    retried = client.post(f"/tasks/import/{token}/retry")
    assert retried.status_code == 302 and retried.headers["Location"].endswith(f"/tasks/import/{token}")
    session.expire_all()
    assert job.state == JobState.QUEUED and job.failure == ""
    entry, changes = last_audit(session, "ledger.import_retried")
    assert "督查任务清单 2025.xlsx" in entry.summary
