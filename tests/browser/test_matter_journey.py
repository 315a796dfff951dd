"""One complaint walked through the office in a real browser, from the phone call to the archive.

Each role works in its own browser context (its own cookies), as the people sit at their own desks:
intake registers, accepts and assigns; the department head signs for it, asks for more time and
reports; the supervisor decides the extension and reviews; intake calls back, closes and archives.
Along the way the complainant's name and phone must never reach the department: not on its page,
not in the 交办单.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from docx import Document
from playwright.sync_api import expect

from supervision.calendar import WorkCalendar


NAME_MARKER = "举报人甲乙丙"
PHONE_MARKER = "13912340000"
TITLE = "窗口办理食品经营许可证推诿扯皮"
CONTENT = ("来电人称在市市场监督管理局窗口办理食品经营许可证，窗口工作人员以“不归我们管”为由推给区里，"
           "区里又推回市里，往返三次未能办理。来电人要求回复，联系方式见登记。")
SUMMARY = "群众反映到市市场监管局窗口办理食品经营许可证时，被以职责不清为由在市、区之间来回推诿，往返三次未办理。"
DEPARTMENT = "市市场监督管理局"
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


# --- what the matter page offers -------------------------------------------------------------------
def panel(scope, title: str):
    """The <details class="action-panel"> whose summary reads exactly `title`, opened."""
    page = getattr(scope, "page", scope)
    details = scope.locator("details.action-panel").filter(
        has=page.locator(":scope > summary").get_by_text(title, exact=True))
    expect(details).to_have_count(1)
    if details.get_attribute("open") is None:
        details.locator(":scope > summary").click()
    return details


def field(scope, name: str):
    # By name, not by label: every action form on the page reuses the same ids ("note", "decision-0"...),
    # so a <label for> can point into another panel.
    return scope.locator(f"[name='{name}']")


def lead_assignment(page):
    return page.locator("article.assignment").filter(has_text=f"主办：{DEPARTMENT}")


def status_tag(page):
    return page.locator(".page-head .tag[class*='status-']")


def header_due(page) -> date:
    text = page.locator(".page-head .actions").inner_text()
    return date.fromisoformat(ISO_DATE.search(text).group())


def timeline(page) -> list[str]:
    return [" ".join(t.split()) for t in page.locator("ol.timeline > li").all_inner_texts()]


def flash(page):
    return page.locator(".flash").first


def assert_in_order(lines: list[str], steps: list[str]) -> None:
    position = 0
    for step in steps:
        found = next((i for i in range(position, len(lines)) if step in lines[i]), None)
        assert found is not None, f"timeline lacks {step!r} after line {position}: {lines}"
        position = found + 1


def docx_text(path) -> str:
    document = Document(str(path))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts += [cell.text for cell in row.cells]
    for section in document.sections:
        parts += [p.text for p in section.header.paragraphs + section.footer.paragraphs]
    return "\n".join(parts)


def full_page_screenshot(page, screenshot, name: str) -> None:
    """1280 wide, the whole page: the shared fixture shoots the viewport, so the viewport grows to the page."""
    viewport = page.viewport_size
    height = page.evaluate("document.documentElement.scrollHeight")
    page.set_viewport_size({"width": 1280, "height": height})
    screenshot(page, name)
    page.set_viewport_size(viewport)


# --- the journey -----------------------------------------------------------------------------------
def test_complaint_goes_from_phone_call_to_archive(desk, screenshot, tmp_path):
    intake = desk("intake")

    # 1. 登记: intake takes the call and registers it from the 工作台.
    intake.get_by_role("link", name="登记效能投诉").click()
    expect(intake.get_by_role("heading", name="登记效能投诉", level=1)).to_be_visible()
    intake.get_by_label("来源渠道", exact=True).select_option(label="来电")
    intake.get_by_label("问题类别", exact=True).select_option(label="推诿扯皮")
    intake.get_by_label("事由（标题）", exact=True).fill(TITLE)
    intake.get_by_label("被反映单位", exact=True).select_option(label=DEPARTMENT)
    intake.get_by_label("姓名", exact=True).fill(NAME_MARKER)
    intake.get_by_label("联系电话", exact=True).fill(PHONE_MARKER)
    intake.get_by_label("反映内容", exact=True).fill(CONTENT)
    intake.get_by_label("内容摘要（交办单位看到的内容，不得含反映人信息）", exact=True).fill(SUMMARY)
    intake.get_by_role("button", name="登记", exact=True).click()

    expect(flash(intake)).to_contain_text("已登记")
    registered = re.search(r"已登记 (XT-2026-\d{5})，查询码 (\w+)。", flash(intake).inner_text())
    assert registered, flash(intake).inner_text()
    serial, query_code = registered.groups()
    expect(intake.get_by_role("heading", level=1)).to_have_text(f"{serial} {TITLE}")
    expect(intake.locator("dl.facts")).to_contain_text(query_code)
    expect(status_tag(intake)).to_have_text("已登记")
    matter_url = intake.url

    # 2. 受理.
    accept = panel(intake, "受理")
    accept.locator("input[name='complaint_class'][value='claim']").check()  # 信访类别 (docs/domain.md §11)
    accept.get_by_role("button", name="受理").click()
    expect(flash(intake)).to_have_text("已受理。")
    expect(status_tag(intake)).to_have_text("已受理")

    # 3. 交办 to the very department complained about: the 回避 rule stops it until a reason is given.
    assign = panel(intake, "交办")
    field(assign, "lead_id").select_option(label=DEPARTMENT)
    field(assign, "requirements").fill("请核实窗口推诿情况，依规处理并答复来电人。")
    assign.get_by_role("button", name="交办").click()
    expect(intake.get_by_role("alert").first).to_contain_text("按回避原则")
    assign = panel(intake, "交办")  # shown again, open, the input kept
    expect(field(assign, "lead_id")).to_have_value(re.compile(r"\d+"))
    expect(assign.locator(".error-text")).to_contain_text(DEPARTMENT)
    expect(status_tag(intake)).to_have_text("已受理")
    field(assign, "avoidance_reason").fill("该局窗口问题须由其主管科室整改，本中心同步跟踪督办。")
    assign.get_by_role("button", name="交办").click()
    expect(flash(intake)).to_have_text("已交办。")
    expect(status_tag(intake)).to_have_text("已交办")
    expect(intake.locator(".page-head .actions .light")).to_have_count(1)
    first_due = header_due(intake)
    assert first_due > date.today()
    expect(lead_assignment(intake)).to_contain_text("待签收")
    expect(lead_assignment(intake)).to_contain_text("回避例外")
    full_page_screenshot(intake, screenshot, "matter")

    # 4. 交办单: a .docx with the serial and the summary, and nothing of the complainant.
    with intake.expect_download() as download_info:
        intake.get_by_role("button", name=f"生成交办单（{DEPARTMENT}）").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".docx"), download.suggested_filename
    slip = tmp_path / "slip.docx"
    download.save_as(slip)
    text = docx_text(slip)
    assert serial in text
    assert SUMMARY in text.replace("\n", "")
    assert NAME_MARKER not in text and PHONE_MARKER not in text
    assert CONTENT[:20] not in text

    # 5. The department head finds it among the things to sign for; the page tells nothing of the caller.
    depthead = desk("depthead")
    to_sign = depthead.locator("#todo-sign")
    to_sign.get_by_role("link", name=re.compile(serial)).click()
    expect(depthead.get_by_role("heading", level=1)).to_have_text(f"{serial} {TITLE}")
    html = depthead.content()
    for secret in (NAME_MARKER, PHONE_MARKER, CONTENT[:20], query_code, "回避例外"):
        assert secret not in html, f"the department sees {secret!r}"
    expect(depthead.get_by_text(SUMMARY)).to_be_visible()
    expect(depthead.get_by_role("heading", name="反映人信息")).to_have_count(0)
    full_page_screenshot(depthead, screenshot, "matter-department")

    lead_assignment(depthead).get_by_role("button", name="签收").click()
    expect(flash(depthead)).to_have_text("已签收。")
    expect(status_tag(depthead)).to_have_text("办理中")

    wanted_due = WorkCalendar().next_workday(first_due + timedelta(days=14))  # typed dates are working days
    extension = panel(lead_assignment(depthead), "申请延期")
    field(extension, "requested_due_on").fill(wanted_due.isoformat())
    field(extension, "note").fill("需调取窗口监控并约谈相关人员，现时限内无法完成核查。")
    extension.get_by_role("button", name="提交延期申请").click()
    expect(flash(depthead)).to_have_text("延期申请已提交，请等待审批。")
    expect(lead_assignment(depthead)).to_contain_text(f"延期申请：至 {wanted_due.isoformat()}")
    assert header_due(depthead) == first_due

    # 6. The supervisor approves the extension from the 待审批延期申请 list.
    supervisor = desk("supervisor")
    supervisor.locator("#todo-extensions").get_by_role("link", name=serial).click()
    decision = supervisor.locator("form.action-inline")
    decision.locator("input[name='decision'][value='approve']").check()
    decision.get_by_role("button", name="审批").click()
    expect(flash(supervisor), "the supervisor's 批准 of the extension was not accepted").to_have_text("延期申请已审批。")
    assert header_due(supervisor) == wanted_due
    expect(supervisor.locator("ol.timeline")).to_contain_text(
        f"批准延期，时限由 {first_due.isoformat()} 延至 {wanted_due.isoformat()}")

    # 7. 报送 → 退回重办 → 报送 again → 审核通过.
    depthead.goto(matter_url)
    assert header_due(depthead) == wanted_due
    reply = panel(lead_assignment(depthead), "报送办理结果")
    field(reply, "result").fill("经调取监控核实，窗口工作人员未履行首问负责，已批评教育并调整岗位。")
    field(reply, "public_reply").fill("您反映的问题经核实属实，已对相关人员批评教育，并已为您办理许可证。")
    reply.get_by_role("button", name="报送").click()
    expect(flash(depthead)).to_have_text("办理结果已报送。")
    expect(status_tag(depthead)).to_have_text("待审核")

    supervisor.goto(matter_url)
    review = panel(supervisor, "审核办结报告")
    review.locator("input[name='decision'][value='rework']").check()
    field(review, "note").fill("未说明区、市职责如何划分及今后如何避免推诿，请补充。")
    asked = []  # an irreversible step asks once, saying what will happen (issue 18 item 4)
    supervisor.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    review.get_by_role("button", name="提交审核意见").click()
    expect(flash(supervisor)).to_have_text("审核意见已保存。")
    assert asked and asked[0].startswith("确定退回重办？")
    expect(status_tag(supervisor)).to_have_text("退回重办")
    expect(supervisor.locator(".page-head")).to_contain_text("重办 1 次")

    depthead.goto(matter_url)
    expect(depthead.locator(".page-head")).to_contain_text("重办 1 次")
    expect(lead_assignment(depthead)).to_contain_text("未说明区、市职责如何划分")
    reply = panel(lead_assignment(depthead), "报送办理结果")
    field(reply, "result").fill("已与区局明确食品经营许可由市局窗口统一受理，并修订首问负责制度。")
    field(reply, "public_reply").fill("经核实，已对相关人员批评教育，市局窗口今后统一受理此类申请。")
    reply.get_by_role("button", name="报送").click()
    expect(flash(depthead)).to_have_text("办理结果已报送。")

    supervisor.goto(matter_url)
    review = panel(supervisor, "审核办结报告")
    expect(field(review, "public_reply")).to_have_value(re.compile("市局窗口今后统一受理"))
    review.locator("input[name='decision'][value='approve']").check()
    review.get_by_role("button", name="提交审核意见").click()
    expect(flash(supervisor)).to_have_text("审核意见已保存。")
    expect(status_tag(supervisor)).to_have_text("审核通过")

    # 8. Intake calls back: the caller's name shows only once a reason for looking is given.
    intake.goto(matter_url)
    identity = intake.locator("#identity")
    expect(identity).not_to_contain_text(NAME_MARKER)
    assert NAME_MARKER not in intake.content() and PHONE_MARKER not in intake.content()
    field(identity, "reason").fill("回访核实办理结果")
    identity.get_by_role("button", name="查看反映人信息").click()
    expect(identity).to_contain_text(NAME_MARKER)
    expect(identity).to_contain_text(PHONE_MARKER)
    expect(identity).to_contain_text("事由：回访核实办理结果")

    follow_up = panel(intake, "回访")
    follow_up.locator("input[name='satisfaction'][value='satisfied']").check()
    follow_up.get_by_role("button", name="记录回访").click()
    expect(flash(intake)).to_have_text("回访结果已记录。")
    expect(status_tag(intake)).to_have_text("已回访")

    intake.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    panel(intake, "办结").get_by_role("button", name="办结").click()
    expect(flash(intake)).to_have_text("已办结。")
    assert asked[-1].startswith("确定办结？")
    expect(status_tag(intake)).to_have_text("已办结")
    panel(intake, "归档").get_by_role("button", name="归档").click()
    expect(flash(intake)).to_have_text("已归档。")
    expect(status_tag(intake)).to_have_text("已归档")
    # Nothing left to do on an archived matter — except recording a 复查 request, which the law allows
    # within 30 days of the answer whatever the office's filing (docs/domain.md §11).
    expect(intake.locator("details.action-panel").filter(has_not_text="复查 / 复核请求")).to_have_count(0)

    assert_in_order(timeline(intake), [
        "登记，渠道：来电", "予以受理", f"交办{DEPARTMENT}办理", f"{DEPARTMENT}签收",
        f"{DEPARTMENT}申请延期至 {wanted_due.isoformat()}", "批准延期", f"{DEPARTMENT}报送办结报告",
        "退回重办：未说明区、市职责", f"{DEPARTMENT}报送办结报告", "审核通过", "回访结果：满意", "办结", "归档"])
