"""A clerk's day in a real browser (issue 18): the supervisor urges several overdue matters at once —
first changing their mind at the confirmation (nothing happens), then accepting it; intake corrects a
registration's 问题类别 and 被反映单位 before 交办; the ledger reads as cards on a phone."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from .conftest import PHONE, _page_in_fresh_context, log_in


def flash(page, kind: str):
    return page.locator(f".flash-{kind}")


def escalation_count(page) -> int:
    """What the supervisor's dashboard counts as 最近催办督办 (催办 and 督办 by hand or by the sweep)."""
    page.goto("/supervision/")
    return int(page.locator(".stat-cards a[href='#recent'] .stat").inner_text())


def test_batch_urge_asks_once_and_does_nothing_when_refused(desk):
    supervisor = desk("supervisor")
    supervisor.goto("/matters/?overdue=y&sort=due&status=in_progress")
    boxes = supervisor.locator("table input[type=checkbox][name=ids]")
    expect(boxes.first).to_be_visible()
    assert boxes.count() >= 2, "the demo office has overdue matters in progress"
    serials = [supervisor.locator("table tbody tr").nth(i).locator("td").nth(1).inner_text().strip()
               for i in range(2)]
    boxes.nth(0).check()
    boxes.nth(1).check()
    supervisor.locator("#batch input[name=note]").fill("已逾期，请于三个工作日内报送办理结果。")
    before = supervisor.url

    # Refused: the dialog says what will happen; dismissing it sends nothing.
    asked = []
    supervisor.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))
    supervisor.locator("#batch").get_by_role("button", name="批量催办").click()
    supervisor.wait_for_timeout(300)
    assert asked and "确定对勾选的事项催办" in asked[0]
    assert supervisor.url == before and flash(supervisor, "success").count() == 0
    for serial in serials:
        supervisor.goto("/matters/?q=" + serial)
        supervisor.get_by_role("link", name=serial, exact=True).click()
        expect(supervisor.locator("#escalations")).not_to_contain_text("已逾期，请于三个工作日内报送办理结果。")

    # Accepted: each ticked matter urged on its own, the summary names them.
    supervisor.goto(before)
    for serial in serials:
        supervisor.locator("table tbody tr").filter(has_text=serial).locator("input[name=ids]").check()
    supervisor.locator("#batch input[name=note]").fill("已逾期，请于三个工作日内报送办理结果。")
    supervisor.once("dialog", lambda dialog: dialog.accept())
    supervisor.locator("#batch").get_by_role("button", name="批量催办").click()
    expect(flash(supervisor, "success")).to_contain_text(f"已电话催办 2 件：{serials[0]}、{serials[1]}。")
    for serial in serials:
        supervisor.goto("/matters/?q=" + serial)
        supervisor.get_by_role("link", name=serial, exact=True).click()
        expect(supervisor.locator("#escalations")).to_contain_text("已逾期，请于三个工作日内报送办理结果。")


def test_intake_corrects_a_registration_before_assignment(desk):
    intake = desk("intake")
    intake.goto("/matters/?status=registered&kind=complaint")
    first = intake.locator("table tbody tr td a").first
    serial = first.inner_text().strip()
    first.click()
    panel = intake.locator("details.action-panel").filter(has=intake.locator("summary", has_text="更正登记信息"))
    panel.locator("summary").click()
    category = panel.locator("[name=category_id]")
    options = [o for o in category.locator("option").all_inner_texts() if o != "（请选择）"]
    current = category.locator("option:checked").inner_text()
    new_category = next(o for o in options if o != current)
    category.select_option(label=new_category)
    panel.locator("[name=respondent_department_id]").select_option(label="市教育局")
    panel.locator("[name=note]").fill("来电人补充说明，被反映单位登记错误。")
    panel.get_by_role("button", name="保存更正").click()

    expect(flash(intake, "success")).to_have_text("登记信息已更正。")
    expect(intake.locator("dl.facts")).to_contain_text(new_category)
    expect(intake.locator("dl.facts")).to_contain_text("市教育局")
    lines = " ".join(intake.locator("ol.timeline").inner_text().split())
    assert f"问题类别由“{current}”更正为“{new_category}”" in lines and "被反映单位由" in lines
    assert "理由：来电人补充说明，被反映单位登记错误。" in lines
    assert re.fullmatch(r"XT-\d{4}-\d{5}", serial)


def test_the_ledger_is_cards_on_a_phone(browser, live_server, screenshot):
    context, page = _page_in_fresh_context(browser, live_server, viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        log_in(page, live_server, "supervisor")
        page.goto("/matters/")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        expect(page.locator("table.table-cards thead")).to_be_hidden()
        card = page.locator("table.table-cards tbody tr").first
        for visible in ("td.card-head", "td.card-title", "td[data-label='状态']", "td[data-label='时限']"):
            expect(card.locator(visible)).to_be_visible()
        expect(card.locator("td.col-extra").first).to_be_hidden()
        box = card.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        expect(page.locator(".filter-fold > summary")).to_be_visible()  # the filters fold under 筛选
        page.evaluate("document.querySelector('#batch, table.table-cards').scrollIntoView()")
        screenshot(page, "ledger-phone")
    finally:
        context.close()
