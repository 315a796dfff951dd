"""Ledgers (台账) to .xlsx: the list page's rows with its filters, Chinese headers, dates as dates, who may
export what — and whistleblower protection: a department head's ledger holds their department's rows only
and no complainant identity or complaint text, an office ledger holds identity only when asked for with a
reason, and every export is audited."""

from __future__ import annotations

import io
import json
import re
from datetime import date, datetime
from urllib.parse import quote

import openpyxl
import pytest
from matters_factories import audit_entries, last_audit, signed_in
from rectification_factories import PROBLEMS

from supervision import clock
from supervision.matters import services as matter_services
from supervision.models.matters import Channel, MatterKind
from supervision.models.talks import TalkKind

NAME, PHONE = "张某某", "13800000000"  # matters_factories.matter_input's complainant
CONTENT = "来电反映到窗口办理业务被要求反复补材料。"  # … and the complaint's own words
PREAMBLE = 2  # lines above the header (ledger, exporter, time; the filters)
ROUTES = ["/ledgers/matters.xlsx", "/ledgers/assignments.xlsx", "/ledgers/rectification.xlsx",
          "/ledgers/talks.xlsx"]


def workbook(response) -> openpyxl.Workbook:
    assert response.status_code == 200, response.text[:500]
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return openpyxl.load_workbook(io.BytesIO(response.data))


def header(sheet, preamble: int = PREAMBLE) -> list[str]:
    return [cell.value for cell in sheet[preamble + 1]]


def records(sheet, preamble: int = PREAMBLE) -> list[dict]:
    """The data rows as {header: value}."""
    names = header(sheet, preamble)
    return [dict(zip(names, row, strict=True))
            for row in sheet.iter_rows(min_row=preamble + 2, values_only=True)]


def every_cell(book: openpyxl.Workbook) -> str:
    return "\n".join(str(value) for sheet in book.worksheets
                     for row in sheet.iter_rows(values_only=True) for value in row if value is not None)


def list_serials(client, query: str) -> list[str]:
    """The serials the list page shows for ``query``, in its order."""
    response = client.get(f"/matters/{query}")
    assert response.status_code == 200
    return re.findall(r'href="/matters/\d+">([A-Z]{2}-\d{4}-\d{5})</a>', response.text)


def assign_elsewhere(session, office, **fields):
    """A matter assigned to the other department only (the lead department's head must not see it)."""
    matter = matter_services.register_matter(session, office.intake, _input(**fields))
    matter_services.accept_matter(session, office.intake, matter)
    matter_services.assign_matter(session, office.intake, matter, lead=office.other_department)
    session.commit()
    return matter


def _input(**fields):
    from matters_factories import matter_input

    return matter_input(**fields)


# --- the matters ledger ----------------------------------------------------------------------------
def test_matters_ledger_has_chinese_headers_dates_as_dates_and_a_chinese_file_name(app, office, make_matter):
    matter = make_matter("in_progress")
    client = signed_in(app, office.supervisor)

    response = client.get("/ledgers/matters.xlsx")

    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=UTF-8''{quote('事项台账_2026-06-01.xlsx')}" in disposition
    assert 'filename="matters_2026-06-01.xlsx"' in disposition
    assert response.headers["Cache-Control"] == "no-store"
    sheet = workbook(response)["事项台账"]
    assert sheet["A1"].value.startswith("事项台账")
    assert header(sheet)[:6] == ["编号", "类型", "渠道", "受理日期", "标题", "摘要"]
    for name in ("主办单位", "状态", "办理期限", "是否逾期", "催办次数", "督办级别", "重办次数", "满意度", "办结日期"):
        assert name in header(sheet)
    [row] = records(sheet)
    assert row["编号"] == matter.serial
    assert row["类型"] == "效能投诉" and row["渠道"] == "来电" and row["状态"] == "办理中"
    assert row["主办单位"] == "市市场监督管理局"
    assert row["受理日期"] == datetime(2026, 6, 1)  # a real date cell, not text
    assert sheet.cell(PREAMBLE + 2, 4).number_format == "yyyy-mm-dd"
    assert isinstance(row["办理期限"], datetime) and row["办理期限"].date() == matter.due_on
    assert row["是否逾期"] is None and row["催办次数"] == 0 and row["重办次数"] == 0


def test_matters_ledger_rows_are_the_list_pages_rows_for_the_same_query(app, session, office, make_matter):
    make_matter("registered", title="窗口态度生硬")
    make_matter("in_progress", kind=MatterKind.SUGGESTION, channel=Channel.MAILBOX, title="建议延长办公时间")
    make_matter("closed", title="窗口办事拖拉")
    make_matter("in_progress", title="乱收费问题")
    with clock.frozen(date(2026, 5, 1)):
        make_matter("in_progress", received_on=date(2026, 5, 1), title="五月收件")
    client = signed_in(app, office.supervisor)

    for query in ("", "?status=in_progress", "?kind=suggestion", "?sort=received", "?q=窗口",
                  "?date_from=2026-05-01&date_to=2026-05-31", "?overdue=y&sort=due", "?status=in_progress&page=2"):
        book = workbook(client.get(f"/ledgers/matters.xlsx{query}"))
        serials = [row["编号"] for row in records(book["事项台账"])]
        expected = list_serials(client, query.replace("&page=2", "")) if "page" in query else list_serials(client, query)
        assert serials == expected, query
    book = workbook(client.get("/ledgers/matters.xlsx?status=in_progress&kind=complaint"))
    assert book["事项台账"]["A2"].value == "筛选条件：类型：效能投诉；状态：办理中"


def test_department_head_ledger_holds_only_their_department_and_no_identity(app, session, office, make_matter):
    own = make_matter("in_progress")
    co = make_matter("in_progress", co_handling=True, title="协办事项")
    elsewhere = assign_elsewhere(session, office, title="他单位的事项",
                                 identity=matter_services.IdentityInput(name="李某", phone="13911112222",
                                                                        id_number="330102199001011234",
                                                                        address="示范市文三路1号", work_unit="某公司"))
    unassigned = make_matter("accepted", title="尚未交办")
    client = signed_in(app, office.head)

    book = workbook(client.get("/ledgers/matters.xlsx"))

    rows = records(book["事项台账"])
    assert sorted(row["编号"] for row in rows) == sorted([own.serial, co.serial])
    assert "匿名" not in header(book["事项台账"]) and "反映人姓名" not in header(book["事项台账"])
    text = every_cell(book)
    for secret in (NAME, PHONE, CONTENT, "李某", "13911112222", "330102199001011234", "示范市文三路1号",
                   elsewhere.serial, unassigned.serial, "他单位的事项"):
        assert secret not in text
    assert rows[0]["摘要"] == "群众反映窗口办事拖拉、未一次性告知。"

    # A filter cannot widen the scope: another department as 主办单位 gives nothing.
    book = workbook(client.get(f"/ledgers/matters.xlsx?department={office.other_department.id}"))
    assert records(book["事项台账"]) == []


def test_department_head_assignments_ledger_holds_only_their_own_assignments(app, session, office, make_matter):
    co = make_matter("in_progress", co_handling=True)
    assign_elsewhere(session, office)

    lead_rows = records(workbook(signed_in(app, office.head).get("/ledgers/assignments.xlsx"))["交办台账"])
    co_rows = records(workbook(signed_in(app, office.co_head).get("/ledgers/assignments.xlsx"))["交办台账"])

    assert [(r["事项编号"], r["承办单位"], r["承办方式"]) for r in lead_rows] == [
        (co.serial, "市市场监督管理局", "主办")]
    assert [(r["事项编号"], r["承办单位"], r["承办方式"]) for r in co_rows] == [
        (co.serial, "市人力资源和社会保障局", "协办")]
    assert NAME not in every_cell(workbook(signed_in(app, office.co_head).get("/ledgers/assignments.xlsx")))


def test_assignments_ledger_has_one_row_per_assignment_with_dates(app, office, make_matter):
    matter = make_matter("in_progress", co_handling=True)
    client = signed_in(app, office.supervisor)

    sheet = workbook(client.get("/ledgers/assignments.xlsx"))["交办台账"]

    assert header(sheet) == ["事项编号", "事项标题", "承办单位", "承办方式", "交办日期", "办理期限", "签收时间",
                             "退回时间", "答复时间", "状态", "是否逾期", "延期次数"]
    lead, co = records(sheet)
    assert (lead["事项编号"], lead["承办方式"], lead["状态"]) == (matter.serial, "主办", "办理中")
    assert (co["承办方式"], co["状态"]) == ("协办", "待签收")
    assert lead["交办日期"] == datetime(2026, 6, 1) and isinstance(lead["签收时间"], datetime)
    assert co["签收时间"] is None


def test_office_ledger_carries_no_identity_by_default(app, office, make_matter):
    make_matter("in_progress")
    make_matter("registered", anonymous=True)

    book = workbook(signed_in(app, office.intake).get("/ledgers/matters.xlsx"))

    text = every_cell(book)
    assert NAME not in text and PHONE not in text and CONTENT not in text
    assert sorted(row["匿名"] or "" for row in records(book["事项台账"])) == ["", "是"]


def test_identity_export_needs_a_reason_and_audits_every_matter(app, session, office, make_matter):
    named = make_matter("in_progress")
    anonymous = make_matter("in_progress", anonymous=True)
    client = signed_in(app, office.supervisor)

    refused = client.post("/ledgers/matters.xlsx?status=in_progress", data={"reason": ""})
    assert refused.status_code == 302 and refused.headers["Location"].endswith("/matters/?status=in_progress")
    assert not audit_entries(session, "ledger.export") and not audit_entries(session, "identity.exported")
    assert client.post("/ledgers/matters.xlsx", data={"reason": "年度核查"}, csrf=False).status_code == 400

    response = client.post("/ledgers/matters.xlsx?status=in_progress", data={"reason": "年度信访件核查"})

    book = workbook(response)
    sheet = book["事项台账"]
    assert header(sheet, PREAMBLE + 1)[-6:] == ["反映人姓名", "联系电话", "身份证号", "住址", "工作单位", "反映内容"]
    by_serial = {row["编号"]: row for row in records(sheet, PREAMBLE + 1)}
    assert by_serial[named.serial]["反映人姓名"] == NAME and by_serial[named.serial]["联系电话"] == PHONE
    assert by_serial[named.serial]["反映内容"] == CONTENT
    assert by_serial[anonymous.serial]["反映人姓名"] is None
    entry, changes = last_audit(session, "ledger.export")
    assert entry.actor_id == office.supervisor.id and "含投诉人身份信息" in entry.summary
    assert changes == {"ledger": "matters", "rows": 2, "filters": {"status": "in_progress"}, "identity": True,
                       "reason": "年度信访件核查"}
    [seen] = audit_entries(session, "identity.exported")  # the anonymous matter carries no identity
    assert (seen.target_type, seen.target_id) == ("matter", named.id)
    assert json.loads(seen.changes) == {"reason": "年度信访件核查"}


def test_formula_text_stays_text(app, office, make_matter):
    make_matter("registered", title="=HYPERLINK(\"http://evil\",\"点击\")", summary="@SUM(1+1)")
    sheet = workbook(signed_in(app, office.intake).get("/ledgers/matters.xlsx"))["事项台账"]
    title = sheet.cell(PREAMBLE + 2, 5)
    assert title.value == "=HYPERLINK(\"http://evil\",\"点击\")" and title.data_type == "s"
    assert sheet.cell(PREAMBLE + 2, 6).data_type == "s"


# --- rectification and talks -----------------------------------------------------------------------
def test_rectification_ledger_has_notices_and_items_of_the_heads_department_only(app, office, make_notice):
    own = make_notice("partly_closed")
    other = make_notice("issued", department=office.other_department, problems=["他单位的问题。"])

    book = workbook(signed_in(app, office.head).get("/ledgers/rectification.xlsx"))

    assert book.sheetnames == ["整改通知书", "整改问题"]
    [notice] = records(book["整改通知书"])
    assert (notice["文号"], notice["被通知单位"], notice["状态"]) == (own.number, "市市场监督管理局", "整改中")
    assert (notice["问题数"], notice["已销号"]) == (3, 1)
    assert isinstance(notice["下发日期"], datetime) and isinstance(notice["整改期限"], datetime)
    items = records(book["整改问题"])
    assert [(i["文号"], i["序号"], i["存在的问题"]) for i in items] == [
        (own.number, n, problem) for n, problem in enumerate(PROBLEMS, start=1)]
    assert items[0]["状态"] == "已销号" and isinstance(items[0]["销号日期"], datetime)
    assert other.number not in every_cell(book)

    office_book = workbook(signed_in(app, office.supervisor).get("/ledgers/rectification.xlsx?status=issued"))
    assert [n["文号"] for n in records(office_book["整改通知书"])] == [other.number]


def test_talks_ledger_lists_talks_with_talkers_for_supervisors(app, office, make_talk):
    held = make_talk("held")
    make_talk("proposed", kind=TalkKind.REMINDER, subject_name="王某")

    book = workbook(signed_in(app, office.leader).get("/ledgers/talks.xlsx?kind=admonition"))

    [row] = records(book["谈话函询台账"])
    assert (row["编号"], row["类型"], row["状态"], row["谈话对象"]) == (held.serial, "诫勉谈话", "已谈话", "周建华")
    assert row["谈话人"] == "张卫东" and row["记录人"] == "孙明"
    assert row["谈话时间"] == datetime(2026, 5, 29, 14, 30)
    assert isinstance(row["影响期至"], datetime)


# --- who may export what, and the audit of each export ------------------------------------------
EXPECTED = {
    # route                        admin intake super leader head
    "/ledgers/matters.xlsx":       (403, 200, 200, 200, 200),
    "/ledgers/assignments.xlsx":   (403, 200, 200, 200, 200),
    "/ledgers/rectification.xlsx": (403, 200, 200, 200, 200),
    "/ledgers/talks.xlsx":         (403, 403, 200, 200, 403),
}


@pytest.mark.parametrize("route", ROUTES)
def test_permission_matrix(app, office, route):
    anonymous = app.test_client().get(route)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    for user, status in zip((office.admin, office.intake, office.supervisor, office.leader, office.head),
                            EXPECTED[route], strict=True):
        assert signed_in(app, user).get(route).status_code == status, (route, user.username)


def test_identity_export_is_refused_to_department_heads_and_the_administrator(app, session, office, make_matter):
    make_matter("in_progress")
    for user in (office.head, office.admin):
        response = signed_in(app, user).post("/ledgers/matters.xlsx", data={"reason": "想看看"})
        assert response.status_code == 403
    assert not audit_entries(session, "identity.exported")


def test_every_export_writes_an_audit_row(app, session, office, make_matter):
    make_matter("in_progress")
    client = signed_in(app, office.head)

    client.get("/ledgers/matters.xlsx?status=in_progress&page=3")
    client.get("/ledgers/assignments.xlsx")
    client.get("/ledgers/rectification.xlsx")

    entries = audit_entries(session, "ledger.export")
    assert [json.loads(e.changes)["ledger"] for e in entries] == ["matters", "assignments", "rectification"]
    assert all(e.actor_id == office.head.id and e.target_type == "ledger" for e in entries)
    first = json.loads(entries[0].changes)
    assert first == {"ledger": "matters", "rows": 1, "filters": {"status": "in_progress"}, "identity": False}
    assert entries[0].summary == "导出事项台账（1 行）"


def test_list_pages_offer_the_export_with_their_filters(app, office, make_matter):
    make_matter("in_progress")
    page = signed_in(app, office.supervisor).get("/matters/?status=in_progress&page=1").text
    assert 'href="/ledgers/matters.xlsx?status=in_progress"' in page
    assert 'href="/ledgers/assignments.xlsx?status=in_progress"' in page
    assert 'action="/ledgers/matters.xlsx?status=in_progress"' in page  # with identity, for office staff
    head_page = signed_in(app, office.head).get("/matters/").text
    assert 'href="/ledgers/matters.xlsx"' in head_page and "含投诉人身份信息导出" not in head_page
    assert 'href="/ledgers/rectification.xlsx?status=issued"' in \
        signed_in(app, office.head).get("/rectification/?status=issued").text
    assert 'href="/ledgers/talks.xlsx?kind=inquiry"' in signed_in(app, office.leader).get("/talks/?kind=inquiry").text
    assert "/ledgers/talks.xlsx" not in signed_in(app, office.head).get("/talks/").text


def test_the_temporary_file_is_removed_once_sent(app, office, make_matter):
    import os

    make_matter("in_progress")
    folder = os.path.join(app.instance_path, "tmp", "ledgers")
    response = signed_in(app, office.supervisor).get("/ledgers/matters.xlsx")
    workbook(response)
    response.close()
    assert os.listdir(folder) == []


# --- the writer itself -----------------------------------------------------------------------------
def test_writer_keeps_kinds_formats_and_excel_rules():
    from supervision.ledgers.xlsx import Column, Sheet, write_workbook

    columns = [Column("文本", 20), Column("日期", 11, "date"), Column("时间", 16, "datetime"), Column("件数", 8, "int"),
               Column("满意率", 9, "percent"), Column("得分", 9, "number")]
    rows = [["=1+1", date(2026, 6, 1), datetime(2026, 5, 29, 14, 30), 3, 0.875, 92.5],
            [" 控制\x01字符\x1f ", None, "未定", "", float("nan"), True]]
    target = io.BytesIO()

    assert write_workbook(target, [Sheet("考核[2026]", columns, rows, ["统计期间：2026年"]),
                                   Sheet("考核[2026]", columns, iter(()))]) == 2

    book = openpyxl.load_workbook(io.BytesIO(target.getvalue()))
    assert book.sheetnames == ["考核2026", "考核2026(2)"]  # []:*?/\ removed, names unique
    sheet = book.worksheets[0]
    assert sheet.freeze_panes == "A3" and sheet.column_dimensions["A"].width == 20
    assert sheet["A2"].value == "文本" and sheet["A2"].font.b and sheet["A2"].fill.fgColor.rgb.endswith("DDE6F0")
    text, day, moment, count, share, score = sheet[3]
    assert (text.value, text.data_type) == ("=1+1", "s")
    assert (day.value, day.number_format) == (datetime(2026, 6, 1), "yyyy-mm-dd")
    assert (moment.value, moment.number_format) == (datetime(2026, 5, 29, 14, 30), "yyyy-mm-dd hh:mm")
    assert (count.value, share.value, share.number_format, score.value) == (3, 0.875, "0.0%", 92.5)
    text, day, moment, count, share, score = sheet[4]
    assert text.value == " 控制字符 "  # control characters Excel cannot store are dropped, spaces kept
    assert (day.value, moment.value, count.value, share.value, score.value) == (None, "未定", None, "nan", "True")
