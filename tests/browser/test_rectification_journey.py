"""A 整改通知书 walked through the office in a real browser (docs/domain.md §4).

The supervisor records what an undercover visit found and issues a notice from that finding; the head
of the inspected department signs for it and reports on every item; the supervisor closes two items
(销号) and sends one back. Progress (2/3) shows on the notice and in the list, the department sees the
reason for the one sent back, and the .docx carries the notice's number, items and 送达回执.
"""

from __future__ import annotations

import re

from docx import Document
from playwright.sync_api import expect


DEPARTMENT = "市市场监督管理局"  # the demo department head "depthead" heads it
TITLE = "明察暗访：食品经营许可窗口作风问题"
PROBLEMS = ["窗口工作人员上班时间玩手机，群众排队等候较长", "一次性告知单仍为旧版材料清单",
            "“好差评”评价器处于关闭状态"]
NUMBER = re.compile(r"效整〔2026〕(\d+)号")


def flash(page):
    return page.locator(".flash").first


def item(page, n: int):
    return page.locator("ol.rect-items > li").nth(n - 1)


def panel(scope, title: str):
    details = scope.locator("details.action-panel").filter(has_text=title)
    expect(details).to_have_count(1)
    if details.get_attribute("open") is None:
        details.locator(":scope > summary").click()
    return details


def docx_text(path) -> str:
    document = Document(str(path))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts += [cell.text for row in table.rows for cell in row.cells]
    return "\n".join(parts)


def full_page_screenshot(page, screenshot, name: str) -> None:
    viewport = page.viewport_size
    page.set_viewport_size({"width": 1280, "height": page.evaluate("document.documentElement.scrollHeight")})
    screenshot(page, name)
    page.set_viewport_size(viewport)


def test_a_finding_becomes_a_notice_that_is_signed_reported_and_partly_closed(desk, screenshot, tmp_path):
    supervisor = desk("supervisor")

    # 1. The supervisor records the finding of the undercover visit.
    supervisor.goto("/matters/new/finding")
    supervisor.get_by_label("来源渠道", exact=True).select_option(label="明察暗访")
    supervisor.get_by_label("事由（标题）", exact=True).fill(TITLE)
    supervisor.get_by_label("被反映单位", exact=True).select_option(label=DEPARTMENT)
    supervisor.get_by_label("反映内容", exact=True).fill("上午 10 时暗访市场监管局食品经营许可窗口。")
    supervisor.get_by_label("发现的问题（每行一条）", exact=True).fill("\n".join(PROBLEMS))
    supervisor.get_by_role("button", name="登记", exact=True).click()
    expect(flash(supervisor)).to_contain_text("已登记")

    # 2. From the finding's page: 下发整改通知书, its problem lines already in the form.
    supervisor.get_by_role("link", name="下发整改通知书").click()
    expect(supervisor.get_by_role("heading", name="下发整改通知书", level=1)).to_be_visible()
    expect(supervisor.get_by_label("存在的问题（每行一条，按行编号）")).to_have_value("\n".join(PROBLEMS))
    expect(supervisor.get_by_label("被通知单位")).to_have_value(re.compile(r"\d+"))
    supervisor.get_by_label("被通知单位").select_option(label=DEPARTMENT)
    supervisor.get_by_label("工作日天数（自下发之日起算，不含当日）").fill("10")
    supervisor.get_by_label("联系人").fill("张卫东")
    supervisor.get_by_label("联系电话").fill("0571-87654321")
    asked = []  # irreversible: asks once (issue 18 item 4); verifying asks only for 销号
    supervisor.on("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    supervisor.get_by_role("button", name="下发并生成通知书").click()
    expect(flash(supervisor)).to_contain_text("已下发整改通知书 效整〔2026〕")
    number = NUMBER.search(flash(supervisor).inner_text()).group(0)
    expect(supervisor.get_by_role("heading", level=1)).to_have_text(f"{number} 整改通知书")
    expect(supervisor.locator(".page-head")).to_contain_text("待签收")
    expect(supervisor.locator(".page-head .rect-count")).to_have_text("0/3")
    notice_url = supervisor.url

    # 3. The .docx: the same number, the items, the deadline, the addressee and the 送达回执.
    with supervisor.expect_download() as download_info:
        supervisor.get_by_role("link", name=re.compile("整改通知书 效整")).click()
    path = tmp_path / "notice.docx"
    download_info.value.save_as(path)
    text = docx_text(path)
    assert number in text and f"{DEPARTMENT}：" in text and "送达回执" in text
    for problem in PROBLEMS:
        assert problem in text
    assert re.search(r"请于2026年\d{1,2}月\d{1,2}日", text)

    # 4. The department head finds it under 整改通知, signs for it and reports on every item.
    head = desk("depthead")
    head.get_by_role("link", name="整改通知").click()
    head.get_by_role("link", name=number).click()
    head.get_by_role("button", name="签收整改通知书").click()
    expect(flash(head)).to_have_text("已签收整改通知书。")
    expect(head.locator(".page-head")).to_contain_text("整改中")
    for n in (1, 2, 3):
        report = panel(item(head, n), f"报送整改情况（第 {n} 项）")
        report.get_by_label(re.compile("^整改情况")).fill(f"第 {n} 项已整改：已批评教育并建立巡查制度。")
        report.get_by_role("button", name="报送").click()
        expect(flash(head)).to_have_text("整改情况已报送。")
        expect(item(head, n)).to_contain_text("待验收")

    # 5. The supervisor closes two items and sends the third back with a reason.
    supervisor.goto(notice_url)
    for n, decision, note in ((1, "验收通过，销号", ""), (2, "验收通过，销号", ""),
                              (3, "退回整改", "评价器仍未开启，请附开启后的现场照片。")):
        verify = panel(item(supervisor, n), f"验收（第 {n} 项）")
        verify.get_by_label(decision).check()
        if note:
            verify.get_by_label("说明（退回时必填）").fill(note)
        verify.get_by_role("button", name="提交验收意见").click()
        expect(flash(supervisor)).to_have_text("验收意见已保存。")
    assert [m.split("？")[0] for m in asked] == ["确定下发整改通知书", "确定第 1 项验收通过并销号",
                                              "确定第 2 项验收通过并销号"]  # not for 退回整改
    expect(supervisor.locator(".page-head .rect-count")).to_have_text("2/3")
    expect(item(supervisor, 1)).to_contain_text("已销号")
    expect(item(supervisor, 3)).to_contain_text("退回整改")
    expect(supervisor.locator(".page-head")).to_contain_text("整改中")
    expect(supervisor.locator("ol.timeline")).to_contain_text("第 3 项退回整改：评价器仍未开启")
    full_page_screenshot(supervisor, screenshot, "rectification-notice")

    supervisor.get_by_role("link", name="整改通知").first.click()
    row = supervisor.locator("tr").filter(has=supervisor.get_by_role("link", name=number))
    expect(row.locator(".rect-count")).to_have_text("2/3")
    expect(row).to_contain_text(DEPARTMENT)
    full_page_screenshot(supervisor, screenshot, "rectification-list")

    # 6. The department sees why item 3 came back, and may report it again.
    head.goto(notice_url)
    expect(head.locator(".page-head .rect-count")).to_have_text("2/3")
    expect(item(head, 3)).to_contain_text("评价器仍未开启，请附开启后的现场照片。")
    expect(item(head, 3).locator("summary")).to_have_text("重新报送整改情况（第 3 项）")
    full_page_screenshot(head, screenshot, "rectification-department")

    # 7. Another department's head learns nothing of it.
    other = desk("depthead2")
    assert other.goto(notice_url).status == 404
    other.goto("/rectification/")
    expect(other.get_by_role("link", name=number)).to_have_count(0)
