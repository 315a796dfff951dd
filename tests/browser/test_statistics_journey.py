"""Issue 8 in a real browser: the supervisor reads the year's statistics, opens the matters behind a
number, prints the month's work report and exports the ledger; the intake clerk brings an old Excel
ledger in — a broken one is refused with every error listed, the corrected one is previewed and imported."""

from __future__ import annotations

import re
from datetime import date

import openpyxl
from docx import Document
from playwright.sync_api import expect

from supervision.extensions import db
from supervision.ledger_import.jobs import JobPolicy, run_queued


def number_in(text: str) -> int:
    return int(re.search(r"\d+", text).group())


def test_supervisor_reads_statistics_drills_down_prints_the_report_and_exports(desk, tmp_path, screenshot):
    page = desk("supervisor")
    page.get_by_role("link", name="统计分析").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("统计分析")
    received_card = page.locator(".statistics-cards .card").filter(has_text="收件").first
    received = number_in(received_card.locator(".stat").inner_text())
    assert received > 0
    screenshot(page, "statistics")

    received_card.get_by_role("link").click()
    expect(page.get_by_text(f"共 {received} 条").or_(page.get_by_text(f"，共 {received} 条"))).to_be_visible()

    page.go_back()
    page.get_by_text(re.compile(r"生成\d{4}年度办理情况报告")).click()
    page.get_by_label("下一步工作（可选，每行一条）").fill("对逾期事项逐件督办。")
    with page.expect_download() as download:
        page.get_by_role("button", name="生成报告").click()
    report = Document(download.value.path())
    text = "".join(p.text for p in report.paragraphs)
    assert re.search(r"关于\d{4}年度效能投诉和意见建议办理情况的报告", report.paragraphs[0].text)
    assert f"本期共登记各类事项{received}件" in text and "对逾期事项逐件督办。" in text

    page.get_by_role("link", name="事项台账").click()
    total = number_in(page.locator(".pager, p.muted.small").filter(has_text="共").first.inner_text().split("共")[1])
    with page.expect_download() as download:
        page.get_by_role("link", name="导出台账 (.xlsx)").click()
    assert download.value.suggested_filename.startswith("事项台账_")
    ledger = tmp_path / "ledger.xlsx"
    download.value.save_as(ledger)
    sheet = openpyxl.load_workbook(ledger, read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    header = next(i for i, row in enumerate(rows) if row and row[0] == "编号")
    assert len(rows) - header - 1 == total


def fill_template(path, rows: list[dict[str, object]]):
    """The downloaded template with ``rows`` typed in under its header, as a clerk would."""
    workbook = openpyxl.load_workbook(path)
    sheet = workbook["台账"]
    header_row = next(r for r in range(1, 6) if any(str(c.value or "").startswith("类型") for c in sheet[r]))
    columns = {str(c.value).rstrip("*").strip(): c.column for c in sheet[header_row] if c.value}
    for offset, values in enumerate(rows, start=1):
        for name, value in values.items():
            sheet.cell(row=header_row + offset, column=columns[name], value=value)
    out = path.with_name(f"filled-{len(rows)}-{path.name}")
    workbook.save(out)
    return out, header_row


GOOD = {"原编号": "2025-效-031", "类型": "效能投诉", "渠道": "来电", "受理日期": date(2025, 12, 3),
        "标题": "浏览器导入：窗口推诿", "内容": "来电反映窗口工作人员推诿。", "摘要": "群众反映窗口推诿。",
        "状态": "已受理"}


def test_intake_imports_a_legacy_ledger_after_fixing_every_listed_error(desk, tmp_path, live_app):
    page = desk("intake")
    page.get_by_role("link", name="台账导入").click()
    with page.expect_download() as download:
        page.get_by_role("link", name="下载导入模板（.xlsx）").click()
    template = tmp_path / "template.xlsx"
    download.value.save_as(template)

    broken, header_row = fill_template(template, [
        {**GOOD, "受理日期": "去年冬天"},
        {**GOOD, "原编号": "2025-效-032", "类型": "效能投诉", "渠道": "意见箱", "标题": ""},
    ])
    page.get_by_label("台账文件（.xlsx）").set_input_files(str(broken))
    page.get_by_role("button", name="上传并检查").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("台账有误，未导入")
    errors = page.locator("table tbody tr")
    listed = {(cells[0], cells[1]) for cells in
              (row.locator("td, th").all_inner_texts() for row in errors.all())}
    first, second = str(header_row + 1), str(header_row + 2)
    assert {(first, "受理日期"), (second, "渠道"), (second, "标题")} <= listed

    good, _ = fill_template(template, [GOOD, {**GOOD, "原编号": "2025-效-032", "标题": "浏览器导入：乱收费"}])
    page.get_by_label("台账文件（.xlsx）").set_input_files(str(good))
    page.get_by_role("button", name="上传并检查").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("导入预览")
    page.get_by_role("button", name="确认导入 2 件").click()
    # The request only records the job; the worker (`flask jobs run`, or the sweep) imports it.
    expect(page.get_by_role("heading", level=1)).to_have_text("正在导入")
    with live_app.app_context():
        assert run_queued(db.session, JobPolicy.from_config(live_app.config, live_app.instance_path)) == 1
    page.reload()  # the page also refreshes itself every few seconds
    expect(page.get_by_role("heading", level=1)).to_have_text("导入完成")
    page.get_by_role("link", name=re.compile("在事项台账中查看")).click()
    expect(page.get_by_role("cell", name="浏览器导入：窗口推诿", exact=True)).to_be_visible()
    expect(page.get_by_role("cell", name="浏览器导入：乱收费", exact=True)).to_be_visible()
