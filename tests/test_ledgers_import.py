"""历史台账导入: a clerk brings last year's Excel ledger in. A broken file is rejected whole with every
error listed by row and column; a good one is previewed, then imported in one transaction."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta
from io import BytesIO
from pathlib import Path

import pytest
from matters_factories import audit_entries, signed_in
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from supervision import audit
from supervision.ledger_import import importing
from supervision.models.audit import AuditEntry
from supervision.models.counters import SerialCounter
from supervision.models.matters import (
    Assignment,
    AssignmentRole,
    AssignmentStatus,
    Channel,
    Complainant,
    Matter,
    MatterEvent,
    MatterKind,
    MatterStatus,
    Satisfaction,
)
from supervision.models.org import Role

HEADERS = [column.header for column in importing.COLUMNS]
URL = "/ledgers/import"


# --- building ledgers as a clerk would ---------------------------------------------------------
def row(**cells) -> dict:
    """A closed 2025 complaint handled by the 市市场监督管理局; any cell may be overridden by header."""
    values = {"原编号": "2025-001", "类型": "效能投诉", "渠道": "来电", "受理日期": date(2025, 3, 5),
              "标题": "窗口办事拖拉", "内容": "来电反映窗口办理营业执照被要求反复补材料。",
              "摘要": "反映窗口未一次性告知所需材料。", "问题类别": "办事拖拉", "被反映单位": "市市场监督管理局",
              "被反映人": "", "反映人姓名": "王某", "联系电话": 13800000000, "是否匿名": "否", "要求保密": "",
              "主办单位": "市市场监督管理局", "交办日期": "2025/3/6", "办理期限": "2025年3月27日",
              "状态": "已办结", "办结日期": datetime(2025, 3, 20), "办理结果": "经核实，已对窗口人员批评教育。",
              "满意度": "满意", "备注": ""}
    values.update(cells)
    return values


def ledger(rows: list[dict], headers: list[str] = HEADERS) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "台账"
    ws.append(headers)
    for values in rows:
        if values is None:
            ws.append([])  # a blank row in the middle
            continue
        ws.append([values.get(header) for header in headers])
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def upload(client, data: bytes, name: str = "2025年台账.xlsx", **kwargs):
    return client.post(URL, data={"file": (BytesIO(data), name)}, content_type="multipart/form-data", **kwargs)


def pending_uploads(session):
    from supervision.models.files import PendingUpload

    session.expire_all()
    return session.scalars(select(PendingUpload)).all()


def token_of(response) -> str:
    match = re.search(r'name="token" type="hidden" value="([0-9a-f]{32})"', response.text) or \
        re.search(r'name="token" value="([0-9a-f]{32})"', response.text)
    assert match, response.text
    return match.group(1)


def confirm(client, token: str, run: bool = True, **kwargs):
    """确认导入, then (``run``) the worker runs the queued job, as ``flask jobs run`` would."""
    response = client.post(f"{URL}/confirm", data={"token": token}, **kwargs)
    if run:
        run_jobs(client.application)
    return response


def run_jobs(app, **policy) -> int:
    from supervision.extensions import db
    from supervision.ledger_import.jobs import JobPolicy, run_queued

    with app.app_context():
        defaults = JobPolicy.from_config(app.config, app.instance_path)
        return run_queued(db.session, JobPolicy(**{**defaults.__dict__, **policy}))


def matter_count(session) -> int:
    return session.scalar(select(func.count(Matter.id)))


def error_cells(response) -> set[tuple[str, str]]:
    """(row, column) of every line in the page's error table."""
    table = response.text.split('class="table import-errors"', 1)[1].split("</table>", 1)[0]
    cells = re.findall(r"<tr>\s*<td[^>]*>(.*?)</td>\s*<td[^>]*>(.*?)</td>", table, re.DOTALL)
    return {(r.strip(), c.strip()) for r, c in cells}


@pytest.fixture
def intake(app, office):
    return signed_in(app, office.intake)


# --- the template ------------------------------------------------------------------------------
def test_template_has_every_column_rules_and_allowed_values(intake, office):
    response = intake.get(f"{URL}/template.xlsx")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    wb = load_workbook(BytesIO(response.data))
    assert wb.sheetnames == ["台账", "填写说明", "可选值"]
    assert [c.value for c in wb["台账"][1]] == HEADERS
    rules = {r[0]: r for r in wb["填写说明"].iter_rows(values_only=True) if r and r[0] in HEADERS}
    assert set(rules) == set(HEADERS)
    assert rules["状态"][1] == "必填" and "已办结、办理中、已受理、不予受理" == rules["状态"][3]
    assert "不超过 120 个字" in rules["标题"][2]
    values = wb["可选值"]
    departments = [c.value for c in next(col for col in values.iter_cols() if col[0].value == "单位")[1:] if c.value]
    assert {office.department.name, office.co_department.name} <= set(departments)
    assert wb["台账"].data_validations.dataValidation, "drop-down lists on the choice columns"


def test_the_template_read_back_empty_says_there_are_no_rows(intake):
    data = intake.get(f"{URL}/template.xlsx").data
    response = upload(intake, data)
    assert response.status_code == 422
    assert "没有数据行" in response.text


# --- a good file ---------------------------------------------------------------------------------
def test_a_valid_ledger_is_previewed_then_imported_in_one_go(app, session, intake, office):
    rows = [
        row(),
        row(**{"原编号": "2025-002", "类型": "意见建议", "渠道": "意见箱", "受理日期": "2026/5/8",
               "标题": "建议延长午间办理时间", "问题类别": "政务服务", "被反映单位": "", "反映人姓名": "",
               "联系电话": "", "是否匿名": "是", "主办单位": "市人力资源和社会保障局", "交办日期": "2026-05-11",
               "办理期限": "", "状态": "办理中", "办结日期": None, "办理结果": "", "满意度": "",
               "备注": "原台账第 2 页"}),
        None,  # a blank row in the middle is skipped, row numbers stay Excel's
        row(**{"原编号": "JC-7", "类型": "检查发现", "渠道": "明察暗访", "受理日期": "2026年4月2日",
               "标题": "窗口工作人员脱岗", "内容": "上午 10 时窗口无人\n工作人员玩手机", "问题类别": "工作纪律",
               "被反映单位": "市卫生健康委员会", "反映人姓名": "", "联系电话": "", "主办单位": "",
               "交办日期": "", "办理期限": "", "状态": "已受理", "办结日期": None, "办理结果": "", "满意度": ""}),
        row(**{"原编号": "2025-009", "标题": "反映邻里纠纷", "是否匿名": "是", "反映人姓名": "", "联系电话": "",
               "主办单位": "", "交办日期": "", "办理期限": "", "状态": "不予受理", "办结日期": None,
               "办理结果": "不属于效能投诉受理范围，已告知向司法所反映。", "满意度": ""}),
    ]
    preview = upload(intake, ledger(rows))
    assert preview.status_code == 200, preview.text
    assert "检查无误" in preview.text and "将导入 <strong>4</strong> 件" in preview.text
    assert "确认导入 4 件" in preview.text
    assert matter_count(session) == 0, "nothing is written before the clerk confirms"

    done = confirm(intake, token_of(preview))
    assert done.status_code == 302 and "/ledgers/import/" in done.location
    result = intake.get(done.location)
    assert "导入 <strong>4</strong> 件" in result.text and "XT-2025-00001" in result.text

    matters = {m.title: m for m in session.scalars(select(Matter))}
    assert len(matters) == 4
    closed = matters["窗口办事拖拉"]
    assert (closed.serial, closed.kind, closed.channel, closed.status) == \
        ("XT-2025-00001", MatterKind.COMPLAINT, Channel.PHONE, MatterStatus.CLOSED)
    assert closed.received_on == date(2025, 3, 5) and closed.closed_at == datetime(2025, 3, 20)
    assert closed.category.name == "办事拖拉" and closed.respondent_department == office.department
    assert closed.satisfaction == Satisfaction.SATISFIED and closed.due_on is None
    lead = session.scalars(select(Assignment).where(Assignment.matter_id == closed.id)).one()
    assert (lead.department, lead.role, lead.status) == (office.department, AssignmentRole.LEAD, AssignmentStatus.DONE)
    assert (lead.assigned_on, lead.due_on) == (date(2025, 3, 6), date(2025, 3, 27))

    open_one = matters["建议延长午间办理时间"]
    assert (open_one.serial, open_one.status, open_one.anonymous) == ("YJ-2026-00001", MatterStatus.IN_PROGRESS, True)
    assert open_one.lead_department == office.co_department
    assert open_one.due_on == date(2026, 6, 1), "15 working days from 2026-05-11 by the office's rule"
    assert open_one.lead_assignment.status == AssignmentStatus.RECEIVED

    finding = matters["窗口工作人员脱岗"]
    assert (finding.serial, finding.status, finding.lead_department) == ("JC-2026-00001", MatterStatus.ACCEPTED, None)
    assert finding.problem_list() == ["上午 10 时窗口无人", "工作人员玩手机"]
    refused = matters["反映邻里纠纷"]
    assert refused.status == MatterStatus.NOT_ACCEPTED and "司法所" in refused.decision_reason
    assert refused.serial == "XT-2025-00002"

    # Identity lives in Complainant only, and only for the named complainant.
    complainants = session.scalars(select(Complainant)).all()
    assert [(c.matter_id, c.name, c.phone) for c in complainants] == [(closed.id, "王某", "13800000000")]

    events = {(e.matter_id, e.action): e.text for e in session.scalars(select(MatterEvent))}
    assert events[(closed.id, "imported")] == "自台账导入，原编号 2025-001"
    assert events[(closed.id, "imported_result")] == "台账记载的办理结果：经核实，已对窗口人员批评教育。"
    assert events[(open_one.id, "imported_note")] == "台账备注：原台账第 2 页"

    per_matter = audit_entries(session, "matter.imported")
    assert sorted(e.target_id for e in per_matter) == sorted(m.id for m in matters.values())
    by_target = {e.target_id: json.loads(e.changes) for e in per_matter}
    assert by_target[closed.id] == {"row": 2, "original_number": "2025-001", "status": "closed",
                                    "lead": office.department.name, "identity": True}
    assert by_target[open_one.id]["identity"] is False
    assert all("王某" not in e.summary + e.changes for e in audit_entries(session)), "no identity in the log"
    (batch,) = audit_entries(session, "ledger.imported")
    assert batch.actor_id == office.intake.id and "4 件" in batch.summary and "2025年台账.xlsx" in batch.summary
    assert list(audit.verify_chain(session)) == []


def test_dates_are_read_as_clerks_write_them():
    assert importing.parse_date(datetime(2026, 3, 5, 0, 0)) == date(2026, 3, 5)
    for text in ("2026-03-05", "2026/3/5", "2026年3月5日", "2026.3.5", "20260305", " 2026-3-5 ", "2026-03-05 09:30"):
        assert importing.parse_date(text) == date(2026, 3, 5), text
    assert importing.parse_date(46086) == date(2026, 3, 5), "a date cell that lost its format"
    for bad in ("2026-02-30", "3月5日", "明天", 12):
        with pytest.raises(ValueError):
            importing.parse_date(bad)


def test_headers_may_be_reordered_and_use_the_ledgers_own_names(session, intake, office):
    headers = list(reversed(HEADERS))
    headers[headers.index("被反映单位")] = "被投诉单位"
    headers[headers.index("反映人姓名")] = "投诉人姓名*"
    values = row(**{"被投诉单位": "市市场监督管理局", "投诉人姓名*": "王某"})
    preview = upload(intake, ledger([values], headers))
    assert preview.status_code == 200, preview.text
    confirm(intake, token_of(preview))
    matter = session.scalars(select(Matter)).one()
    assert matter.respondent_unit == "市市场监督管理局"
    assert session.scalars(select(Complainant.name)).one() == "王某"


# --- a broken file -------------------------------------------------------------------------------
def test_a_broken_ledger_is_rejected_whole_with_every_error_listed(session, intake, office):
    rows = [
        row(**{"原编号": "A1", "类型": "投诉", "受理日期": "2025-13-01", "标题": ""}),
        row(**{"原编号": "A2", "渠道": "明察暗访", "问题类别": "迟到", "是否匿名": "是"}),
        row(**{"原编号": "A3", "主办单位": "市不存在局", "办结日期": None, "满意度": "很满意"}),
        row(**{"原编号": "A4"}),  # a good row: still nothing is imported
        row(**{"原编号": "A5", "标题": "长" * 121, "主办单位": "", "受理日期": "2025-03-05",
               "交办日期": "2025-03-05", "办理期限": "", "办结日期": "2025-03-01"}),
        row(**{"原编号": "A4", "标题": "另一件事"}),
        None,
        row(**{"原编号": "A9", "受理日期": "2026-07-01", "交办日期": "", "办理期限": "", "主办单位": "",
               "状态": "办理中", "办结日期": None, "满意度": ""}),
    ]
    response = upload(intake, ledger(rows))
    assert response.status_code == 422
    assert "整个文件都没有导入" in response.text
    expected = {
        ("2", "类型"), ("2", "受理日期"), ("2", "标题"),
        ("3", "渠道"), ("3", "问题类别"), ("3", "是否匿名"),
        ("4", "主办单位"), ("4", "办结日期"), ("4", "满意度"),
        ("6", "标题"), ("6", "主办单位"), ("6", "办结日期"),
        ("7", "原编号"),
        ("9", "受理日期"), ("9", "主办单位"),
    }
    assert error_cells(response) == expected
    for message in ("“投诉”不是可选的值", "日期“2025-13-01”不存在", "此项为必填项",
                    "“明察暗访”不是效能投诉的渠道", "“迟到”不是效能投诉的问题类别", "匿名事项不应填写反映人姓名",
                    "系统中没有名为“市不存在局”的单位", "状态为“已办结”时必填", "“很满意”不是可选的值",
                    "不能超过 120 个字（现有 121 个）", "填写了交办日期或办理期限时，须填写主办单位",
                    "办结日期不能早于受理日期", "原编号“A4”与第 5 行相同", "受理日期不能晚于今天",
                    "状态为“办理中”时必填"):
        assert message in response.text, message
    assert f"有 {len(expected)} 处错误" in response.text
    assert matter_count(session) == 0
    assert not audit_entries(session, "matter.imported") and not audit_entries(session, "ledger.imported")
    assert pending_uploads(session) == [], "a rejected file is not kept"


@pytest.mark.parametrize("data, message", [
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "旧版 Excel（.xls）"),
    ("标题,内容\n窗口办事拖拉,反复补材料\n".encode("gb18030"), "不是 Excel（.xlsx）文件"),
    (b"PK\x03\x04 this is not really a zip", "不是有效的 .xlsx 文件或已损坏"),
    (b"", "上传的文件是空的"),
])
def test_a_file_that_is_not_a_ledger_gets_a_clear_message(session, intake, data, message):
    response = upload(intake, data, "台账.xlsx")
    assert response.status_code == 422
    assert message in response.text
    assert matter_count(session) == 0


def test_an_empty_workbook_and_a_header_only_file_are_refused(intake):
    empty = Workbook()
    buffer = BytesIO()
    empty.save(buffer)
    assert "文件中没有内容" in upload(intake, buffer.getvalue()).text
    assert "没有数据行" in upload(intake, ledger([])).text


def test_renamed_and_missing_columns_are_named_in_the_header_row(intake):
    headers = [h for h in HEADERS if h != "状态"]
    headers[headers.index("标题")] = "事项名称"
    response = upload(intake, ledger([row()], headers))
    assert response.status_code == 422
    assert error_cells(response) == {("1", "事项名称"), ("1", "标题"), ("1", "状态")}
    assert "模板中没有此列" in response.text and "缺少此列" in response.text


def test_a_sheet_without_headers_is_refused(intake):
    wb = Workbook()
    wb.active.append(["2025年效能投诉台账"])
    buffer = BytesIO()
    wb.save(buffer)
    response = upload(intake, buffer.getvalue())
    assert response.status_code == 422 and "第 1 行应为列名" in response.text


def test_a_title_line_above_the_header_is_pointed_out(intake):
    wb = Workbook()
    wb.active.append(["2025年效能投诉台账"])
    wb.active.append(HEADERS)
    buffer = BytesIO()
    wb.save(buffer)
    response = upload(intake, buffer.getvalue())
    assert response.status_code == 422 and "请删除列名上方的标题行" in response.text


def test_too_many_rows_and_too_large_a_file_are_refused(app, session, intake, office):
    parsed = importing.read_ledger(session, ledger([row(**{"原编号": str(n)}) for n in range(4)]), max_rows=3)
    assert [e.message for e in parsed.errors] == ["文件超过 3 行，请按年度等分成几个文件分别导入。"]
    app.config["LEDGER_IMPORT_MAX_BYTES"] = 2048
    response = upload(intake, ledger([row()]))
    assert response.status_code == 422 and "文件超过 2 KB" in response.text
    assert matter_count(session) == 0


# --- duplicates ----------------------------------------------------------------------------------
def test_duplicates_are_listed_and_skipped(session, intake, office, make_matter):
    existing = make_matter(title="窗口办事拖拉", received_on=date(2026, 5, 6), respondent_unit="市政务服务中心")
    first = upload(intake, ledger([row(**{"原编号": "OLD-1", "标题": "已导入过的事"})]))
    confirm(intake, token_of(first))

    rows = [
        row(**{"原编号": "OLD-1", "标题": "已导入过的事（再次）"}),
        row(**{"原编号": "", "受理日期": "2026-05-06", "标题": " 窗口办事拖拉", "被反映单位": "市政务服务中心",
               "交办日期": "2026-05-07", "办理期限": "", "办结日期": "2026-05-20"}),
        row(**{"原编号": "N-1", "标题": "新事项"}),
        row(**{"原编号": "N-2", "标题": "新事项"}),  # same day, title and unit as the row above
        row(**{"原编号": existing.serial, "标题": "本系统导出的事项"}),
        row(**{"原编号": "N-3", "标题": "<script>alert(1)</script>"}),
    ]
    preview = upload(intake, ledger(rows))
    assert preview.status_code == 200, preview.text
    table = preview.text.split('class="table import-duplicates"', 1)[1].split("</table>", 1)[0]
    assert "原编号“OLD-1”已导入过，为 XT-2025-00001" in table
    assert f"与已有事项 {existing.serial} 的受理日期、标题、被反映单位相同" in table
    assert "与第 4 行的受理日期、标题、被反映单位相同" in table
    assert f"原编号“{existing.serial}”就是系统中已有事项的编号" in table
    assert "将导入 <strong>2</strong> 件，跳过重复 <strong>4</strong> 件" in preview.text

    confirm(intake, token_of(preview))
    titles = sorted(session.scalars(select(Matter.title).where(Matter.id != existing.id)))
    assert titles == sorted(["已导入过的事", "新事项", "<script>alert(1)</script>"])
    (batch,) = [e for e in audit_entries(session, "ledger.imported") if "跳过重复 4 件" in e.summary]
    assert batch


def test_a_file_whose_rows_are_all_in_the_system_offers_nothing_to_confirm(intake, office):
    data = ledger([row()])
    confirm(intake, token_of(upload(intake, data)))
    again = upload(intake, data)
    assert "没有需要导入的事项" in again.text and "/ledgers/import/confirm" not in again.text


# --- one transaction -----------------------------------------------------------------------------
def _occupy_serial(session, serial_seq: int) -> Matter:
    """A matter written around the counter (as a hand-made SQL insert would): the import will want its serial."""
    matter = Matter(kind=MatterKind.COMPLAINT, year=2025, seq=serial_seq, serial=f"XT-2025-{serial_seq:05d}",
                    query_code="ABCDEFGH", channel=Channel.PHONE, title="手工录入", content="手工录入",
                    received_on=date(2025, 1, 2), status=MatterStatus.REGISTERED)
    session.add(matter)
    session.commit()
    return matter


def test_a_failure_midway_leaves_nothing_written(session, office):
    _occupy_serial(session, 2)
    audit_before = session.scalar(select(func.count(AuditEntry.id)))
    parsed = importing.read_ledger(session, ledger([row(**{"原编号": f"F-{n}", "标题": f"事项{n}"})
                                                    for n in range(3)]))
    assert parsed.ok and len(parsed.rows) == 3
    with pytest.raises(IntegrityError):
        importing.import_ledger(session, office.intake, parsed, file_name="f.xlsx")
        session.commit()
    session.rollback()
    assert matter_count(session) == 1
    assert session.scalar(select(func.count(MatterEvent.id))) == 0
    assert session.scalar(select(func.count(Assignment.id))) == 0
    assert session.scalar(select(func.count(Complainant.id))) == 0
    assert session.scalar(select(func.count(AuditEntry.id))) == audit_before
    assert session.scalar(select(SerialCounter.value).where(SerialCounter.scope == "matter:complaint",
                                                            SerialCounter.year == 2025)) is None


def test_a_failed_confirm_writes_nothing_and_can_be_confirmed_again(session, intake, office):
    blocker = _occupy_serial(session, 1)
    preview = upload(intake, ledger([row(**{"原编号": "X-1", "标题": "甲"}), row(**{"原编号": "X-2", "标题": "乙"})]))
    token = token_of(preview)
    failed = confirm(intake, token)
    assert failed.status_code == 302
    page = intake.get(failed.location).text
    assert "未能导入" in page and "未导入任何事项" in page and "重新导入" in page
    assert matter_count(session) == 1
    # The counter was rolled back too; with the hand-made row moved out of the way the same job imports.
    blocker.seq, blocker.serial = 999, "XT-2025-00999"
    session.commit()
    assert confirm(intake, token).location == failed.location  # confirming again finds the failed job
    assert matter_count(session) == 1
    assert intake.post(f"{failed.location}/retry").status_code == 302
    run_jobs(intake.application)
    assert matter_count(session) == 3
    assert "导入完成" in intake.get(failed.location).text


def test_confirming_twice_imports_once(session, intake, office):
    token = token_of(upload(intake, ledger([row()])))
    first = confirm(intake, token)
    assert first.status_code == 302
    second = confirm(intake, token)
    assert second.status_code == 302 and second.location == first.location  # the same job's page
    assert "导入完成" in intake.get(second.location).text
    assert matter_count(session) == 1


# --- the office's recent imports --------------------------------------------------------------------
def test_the_import_page_lists_the_offices_recent_imports_with_links_to_their_results(app, session, intake, office):
    """Issue 17: clerks need to see their past import jobs — every importer sees the office's, newest first."""
    done = confirm(intake, token_of(upload(intake, ledger([row(), row(**{"原编号": "2025-002", "标题": "另一件"})]),
                                            name="2024年台账.xlsx")))
    queued = confirm(intake, token_of(upload(intake, ledger([row(**{"原编号": "2025-003", "标题": "第三件"})]),
                                              name="2025年台账.xlsx")), run=False)
    colleague = signed_in(app, office.supervisor)
    page = colleague.get(URL).text
    table = page.split('class="table recent-imports"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr>(.*?)</tr>", table.split("<tbody>", 1)[1], re.DOTALL)
    assert len(rows) == 2
    newest, older = ([re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", r, re.S)]
                     for r in rows)
    assert newest[1:6] == [office.intake.display_name, "2025年台账.xlsx", "排队等待", "0 件", "0 件"]
    assert older[1:6] == [office.intake.display_name, "2024年台账.xlsx", "已完成", "2 件", "0 件"]
    assert f'href="{done.location}"' in rows[1] and f'href="{queued.location}"' in rows[0]
    result = colleague.get(done.location)  # a colleague reads the result …
    assert result.status_code == 200 and "导入完成" in result.text and "重新导入" not in result.text
    assert colleague.post(f"{queued.location}/retry").status_code == 404  # … but only its clerk retries it


# --- who may import ------------------------------------------------------------------------------
def test_another_users_token_is_refused(app, session, intake, office):
    token = token_of(upload(intake, ledger([row()])))
    other = signed_in(app, office.supervisor)
    response = confirm(other, token)
    assert response.status_code == 302 and "已过期或已导入" in other.get(response.location).text
    assert matter_count(session) == 0
    assert other.get(f"{URL}/{token}").status_code == 302, "nor may they read the result"
    assert confirm(intake, token).status_code == 302
    assert matter_count(session) == 1


@pytest.mark.parametrize("role, allowed", [
    (Role.INTAKE, True), (Role.SUPERVISOR, True), (Role.ADMIN, False), (Role.DEPT_HEAD, False), (Role.LEADER, False),
])
def test_who_may_import(app, session, office, role, allowed):
    user = {Role.INTAKE: office.intake, Role.SUPERVISOR: office.supervisor, Role.ADMIN: office.admin,
            Role.DEPT_HEAD: office.head, Role.LEADER: office.leader}[role]
    client = signed_in(app, user)
    expected = 200 if allowed else 403
    assert client.get(URL).status_code == expected
    assert client.get(f"{URL}/template.xlsx").status_code == expected
    assert upload(client, ledger([row()])).status_code == expected
    assert confirm(client, "0" * 32).status_code == (302 if allowed else 403)
    assert ("台账导入" in client.get("/").text) == allowed
    assert matter_count(session) == 0


def test_anonymous_visitors_are_sent_to_log_in(client, office):
    for response in (client.get(URL), client.get(f"{URL}/template.xlsx"), upload(client, ledger([row()])),
                     confirm(client, "0" * 32)):
        assert response.status_code == 302 and "/login" in response.location


def test_upload_and_confirm_need_the_csrf_token(session, intake, office):
    response = intake.post(URL, data={"file": (BytesIO(ledger([row()])), "a.xlsx")},
                           content_type="multipart/form-data", csrf=False)
    assert response.status_code == 400 and "表单已过期" in response.text
    token = token_of(upload(intake, ledger([row()])))
    assert intake.post(f"{URL}/confirm", data={"token": token}, csrf=False).status_code == 400
    assert matter_count(session) == 0


# --- what the page shows -------------------------------------------------------------------------
def test_text_from_the_file_is_shown_escaped(intake, office):
    preview = upload(intake, ledger([row(**{"标题": "<script>alert(1)</script>", "被反映单位": "<b>局</b>"})]))
    assert "<script>alert(1)</script>" not in preview.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in preview.text and "&lt;b&gt;局&lt;/b&gt;" in preview.text
    broken = upload(intake, ledger([row(**{"主办单位": "<img src=x onerror=alert(1)>"})]))
    assert "<img src=x" not in broken.text and "&lt;img src=x onerror=alert(1)&gt;" in broken.text


def test_the_start_page_explains_the_template(intake):
    page = intake.get(URL)
    assert page.status_code == 200
    for text in ("下载导入模板", "只要有一处错误，整个文件都不导入", "重复事项不会导入", "原编号", "办结日期", "办事拖拉"):
        assert text in page.text


def test_the_confirm_request_only_commits_and_the_result_page_shows_indexing_progress(app, session, intake,
                                                                                     office, monkeypatch):
    """Indexing 20,000 rows took minutes inside the request (gunicorn's 30 s timeout answered 500 after
    every row was saved). Now the request writes the matters and their change-log rows and commits; the
    index catches up afterwards, and the result page counts it up (索引中 N/M) until done."""
    from supervision.models.search import SearchChange
    from supervision.search import service as search
    from supervision.search.engine import SearchIndex

    app.config["SEARCH_ENABLED"] = True
    app.config["SEARCH_APPLY_BATCH"] = 2
    search.rebuild()
    writes = []
    monkeypatch.setattr(SearchIndex, "upsert", lambda self, docs: writes.append(docs))  # the request must not index
    rows = [row(**{"原编号": f"2025-{n:03d}", "标题": f"燃气开户窗口乱收费{n}"}) for n in range(1, 6)]
    token = token_of(upload(intake, ledger(rows)))
    response = confirm(intake, token)
    assert response.status_code == 302 and writes == []
    monkeypatch.undo()
    ids = sorted(session.scalars(select(Matter.id)))
    assert len(ids) == 5
    logged = session.scalars(select(SearchChange.document).order_by(SearchChange.id)).all()[-5:]
    assert logged == [f"matter:{i}" for i in ids]  # in the import's own transaction
    assert [p.content for p in pending_uploads(session)] == [None]  # the upload is done with

    page = intake.get(response.headers["Location"])
    assert "全文检索索引中 0/5" in page.text and 'http-equiv="refresh"' in page.text
    search.apply_pending(timeout=0)  # one batch of 2, as the background applier would
    assert "全文检索索引中 2/5" in intake.get(response.headers["Location"]).text
    search.apply_pending()
    page = intake.get(response.headers["Location"])
    assert "已全部编入全文检索（5/5）" in page.text and 'http-equiv="refresh"' not in page.text
    assert sorted(search.matter_ids(office.intake, "燃气开户")) == ids


def test_the_confirmation_checks_the_cells_the_upload_read_without_parsing_the_workbook_again(app, session, intake,
                                                                                              monkeypatch):
    token = token_of(upload(intake, ledger([row(), row(**{"原编号": "2025-002", "标题": "供水报装拖延",
                                                          "受理日期": "2025/4/1", "交办日期": date(2025, 4, 2), "办理期限": "2025-04-20",
                                                          "办结日期": datetime(2025, 4, 9, 15, 30)})])))

    def no_second_parse(*args, **kwargs):
        raise AssertionError("the workbook was parsed again")

    monkeypatch.setattr(importing, "load_workbook", no_second_parse)
    assert confirm(intake, token).status_code == 302
    matters = session.scalars(select(Matter).order_by(Matter.received_on)).all()
    assert [(m.received_on, m.closed_at.date()) for m in matters] == [(date(2025, 3, 5), date(2025, 3, 20)),
                                                                      (date(2025, 4, 1), date(2025, 4, 9))]
    assert matters[0].content == "来电反映窗口办理营业执照被要求反复补材料。"


def test_the_sweep_and_the_jobs_command_run_queued_imports(app, session, intake, office):
    """A deployment without a dedicated worker: the next `flask sweep` imports what was confirmed;
    `flask jobs run --once` does the same and exits."""
    first = confirm(intake, token_of(upload(intake, ledger([row()]))), run=False)
    assert "正在排队等待后台导入" in intake.get(first.location).text
    result = app.test_cli_runner().invoke(args=["sweep"])
    assert result.exit_code == 0, result.output
    assert "运行台账导入任务 1 个" in result.output and matter_count(session) == 1
    page = intake.get(first.location).text
    assert "已导入 <strong>1</strong> 件事项" in page and 'http-equiv="refresh"' not in page
    assert "历史台账导入完成" in intake.get("/inbox/").text  # the clerk is told too

    second = confirm(intake, token_of(upload(intake, ledger([row(**{"原编号": "2025-002", "标题": "另一件"})]))),
                     run=False)
    result = app.test_cli_runner().invoke(args=["jobs", "run", "--once"])
    assert result.exit_code == 0 and "已运行导入任务 1 个" in result.output, result.output
    assert matter_count(session) == 2 and "导入完成" in intake.get(second.location).text
    assert app.test_cli_runner().invoke(args=["jobs", "run", "--once"]).output == ""  # nothing left


def test_a_file_that_turned_bad_before_the_worker_ran_fails_whole_with_its_errors(app, session, intake, office):
    """The office moved on between the confirmation and the worker (the lead department was closed): the
    job checks the file again and imports nothing, listing the errors."""
    from supervision.models.org import Department

    first = confirm(intake, token_of(upload(intake, ledger([row(), row(**{"原编号": "2025-002"})]))), run=False)
    office.department.active = False
    session.commit()
    run_jobs(app)
    page = intake.get(first.location).text
    assert "未能导入" in page and "未导入任何事项" in page and "已停用" in page and "重新导入（" not in page
    assert matter_count(session) == 0
    assert session.get(Department, office.department.id) is not None


def _process_config(app) -> str:
    from supervision.extensions import db

    db.engine.dispose()
    shared = {key: app.config[key] for key in ("SQLALCHEMY_DATABASE_URI", "SECRET_KEY", "AUDIT_KEY", "AUDIT_KEY_ID")}
    return json.dumps({"INSTANCE_PATH": app.instance_path, **shared, "RATELIMIT_ENABLED": False,
                       "WTF_CSRF_ENABLED": False, "TESTING": True})


def _run_process(*args: str) -> "subprocess.CompletedProcess":
    import subprocess
    import sys

    script = Path(__file__).resolve().parent / "search_processes.py"
    return subprocess.run([sys.executable, str(script), *args], capture_output=True, text=True, timeout=300)


def test_a_server_killed_right_after_the_confirmation_commits_leaves_a_job_the_worker_runs(app, session, office,
                                                                                          tmp_path):
    """A server process is killed (SIGKILL) the moment the confirmation's transaction has committed: the
    job is in the database; the worker imports it and the index applies the change log when the server
    is back."""
    import signal

    from supervision.models.jobs import JobState, LedgerImportJob
    from supervision.search import service as search

    app.config["SEARCH_ENABLED"] = True
    search.rebuild()
    path = tmp_path / "台账.xlsx"
    path.write_bytes(ledger([row(**{"标题": "燃气开户窗口乱收费"}), row(**{"原编号": "2025-002", "标题": "供水报装拖延"})]))
    run = _run_process("import-and-die", _process_config(app), office.intake.username, str(path))
    assert run.returncode == -signal.SIGKILL, run.stderr[-3000:]

    assert session.scalar(select(LedgerImportJob.state)) == JobState.QUEUED  # committed …
    assert matter_count(session) == 0
    assert run_jobs(app) == 1  # … and the worker (or the next sweep) runs it
    ids = sorted(session.scalars(select(Matter.id)))
    assert len(ids) == 2
    app.extensions.pop("supervision.search")  # the server comes back
    assert search.matter_ids(office.intake, "燃气开户") == [ids[0]]
    assert search.matter_ids(office.intake, "供水报装") == [ids[1]]


def test_a_worker_killed_midway_is_taken_over_without_importing_any_row_twice(app, session, intake, office):
    """kill -9 of the worker in its third batch (two batches committed, the third written but not
    committed): the job stays "running" with a stale heartbeat; the next worker takes it over after the
    lease, continues after the last committed batch, and every row is imported once, with its serial in
    order, its audit entry and its change-log row; the index finds them all."""
    import signal

    from supervision.ledger_import import jobs
    from supervision.models.jobs import JobState, LedgerImportJob
    from supervision.models.search import SearchChange
    from supervision.search import service as search

    app.config["SEARCH_ENABLED"] = True
    search.rebuild()
    rows = [row(**{"原编号": f"K-{n:02d}", "标题": f"燃气开户窗口乱收费第{n}件", "受理日期": date(2025, 2, n)})
            for n in range(1, 8)]
    token = token_of(upload(intake, ledger(rows)))
    assert confirm(intake, token, run=False).status_code == 302
    run = _run_process("import-worker-dies", _process_config(app), "2", "3")
    assert run.returncode == -signal.SIGKILL, run.stdout + run.stderr[-3000:]

    session.expire_all()
    job = session.scalars(select(LedgerImportJob)).one()
    assert (job.state, job.rows_done, job.imported, job.total_rows) == (JobState.RUNNING, 4, 4, 7)
    assert matter_count(session) == 4  # the third batch was rolled back with the process
    page = intake.get(f"{URL}/{token}").text
    assert "正在后台导入" in page and "已处理 4/7 行" in page and 'http-equiv="refresh"' in page

    from supervision import clock

    moment = datetime.now(clock.OFFICE_ZONE).replace(tzinfo=None)  # the dead process's clock was not frozen
    with clock.frozen(moment + timedelta(seconds=30)):
        assert run_jobs(app) == 0  # within the lease the job is not taken from a worker that may be alive
    with clock.frozen(moment + timedelta(seconds=jobs.LEASE_SECONDS + 30)):
        assert run_jobs(app) == 1  # after it, the next worker (or sweep) takes it over
    session.expire_all()
    job = session.scalars(select(LedgerImportJob)).one()
    assert (job.state, job.imported, job.skipped, job.attempts) == (JobState.DONE, 7, 0, 2)
    matters = session.scalars(select(Matter).order_by(Matter.seq)).all()
    assert [m.original_number for m in matters] == [f"K-{n:02d}" for n in range(1, 8)]  # once each, in order
    assert [m.seq for m in matters] == list(range(1, 8))  # no serial lost with the rolled-back batch
    assert session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "matter.imported")) == 7
    logged = session.scalars(select(SearchChange.document)).all()
    assert sorted(d for d in logged if d.startswith("matter:")) == sorted(f"matter:{m.id}" for m in matters)
    page = intake.get(f"{URL}/{token}").text
    assert "已导入 <strong>7</strong> 件事项" in page
    search.apply_pending()
    assert sorted(search.matter_ids(office.intake, "燃气开户")) == sorted(m.id for m in matters)


def test_the_lead_department_sees_the_summary_of_an_imported_matter_never_the_complainant(app, session, intake,
                                                                                          office):
    confirm(intake, token_of(upload(intake, ledger([row(**{"状态": "办理中", "办结日期": None, "满意度": "",
                                                         "办理期限": "", "交办日期": "2026-05-25"})]))))
    matter = session.scalars(select(Matter)).one()
    assert matter.status == MatterStatus.IN_PROGRESS and matter.lead_department == office.department
    page = signed_in(app, office.head).get(f"/matters/{matter.id}")
    assert page.status_code == 200 and "反映窗口未一次性告知所需材料" in page.text
    for secret in ("王某", "13800000000", "反复补材料"):
        assert secret not in page.text
    assert signed_in(app, office.other_head).get(f"/matters/{matter.id}").status_code == 404
