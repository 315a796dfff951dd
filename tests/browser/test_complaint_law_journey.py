"""The procedure of law for a complaint (docs/domain.md §11), in a real browser: a 申诉求决 complaint submitted
online → the 受理告知书 on the portal → 交办 → an approved 延期 with its 延期告知书 → the 处理意见书 → 复查 asked
on the portal → the 复查意见书 → 复核 → the 复核意见书 (信访终结) → a new submission of the same matter is
recognised and not accepted."""

from __future__ import annotations

import re
from datetime import timedelta

from playwright.sync_api import expect

from supervision import clock
from supervision.calendar import WorkCalendar

from tests.browser.test_portal_journey import answer_captcha, field, flash, lead_assignment, panel, status_tag

DEPARTMENT = "市市场监督管理局"
RESPONDENT = "市住房和城乡建设局"
TITLE = "公租房资格复审材料被反复退回"
NAME, PHONE = "孙复查", "13611112222"


def submit_online(citizen, title: str) -> tuple[str, str]:
    citizen.goto("/public/complaint")
    citizen.get_by_label("姓名（实名反映必填）", exact=True).fill(NAME)
    citizen.get_by_label("联系电话（实名反映必填）", exact=True).fill(PHONE)
    citizen.get_by_label("问题类别", exact=True).select_option(label="办事拖拉")
    citizen.get_by_label("被投诉单位", exact=True).select_option(label=RESPONDENT)
    citizen.get_by_label("标题（一句话概括）", exact=True).fill(title)
    citizen.get_by_label("反映内容", exact=True).fill("我提交公租房资格复审材料三次，每次都被以不同理由退回，没有一次性告知。")
    answer_captcha(citizen)
    citizen.get_by_role("button", name="提交").click()
    serial = citizen.locator("#receipt-serial").inner_text().strip()
    code = citizen.locator("#receipt-code").inner_text().strip()
    return serial, code


def look_up(citizen, serial: str, code: str) -> None:
    citizen.goto("/public/track")
    citizen.get_by_label("事项编号", exact=True).fill(serial)
    citizen.get_by_label("查询码", exact=True).fill(code)
    citizen.get_by_role("button", name="查询").click()


def open_matter(staff, serial: str) -> str:
    staff.goto(f"/matters/?q={serial}")
    staff.get_by_role("link", name=re.compile(serial)).first.click()
    return staff.url


def test_a_claim_from_acceptance_to_re_review_and_the_same_matter_refused(page, desk):
    citizen = page
    serial, code = submit_online(citizen, TITLE)

    # 受理 as 申诉求决: the 受理告知书 is on the portal at once.
    intake = desk("intake")
    matter_url = open_matter(intake, serial)
    accept = panel(intake, "受理")
    accept.locator("input[name='complaint_class'][value='claim']").check()
    accept.get_by_role("button", name="受理").click()
    expect(flash(intake)).to_have_text("已受理。")
    look_up(citizen, serial, code)
    notices = citizen.locator(".portal-notices")
    expect(notices).to_contain_text("受理告知书")
    expect(notices).not_to_contain_text(NAME)

    # 交办.
    summary = panel(intake, "编辑交办标题和摘要")
    field(summary, "assigned_title").fill("反映公租房资格复审未一次性告知")
    field(summary, "summary").fill("群众反映公租房资格复审材料被多次退回，未一次性告知。")
    summary.get_by_role("button", name="保存").click()
    assign = panel(intake, "交办")
    field(assign, "lead_id").select_option(label=DEPARTMENT)
    assign.get_by_role("button", name="交办").click()
    expect(flash(intake)).to_have_text("已交办。")
    citizen.reload()
    expect(citizen.locator(".portal-notices")).to_contain_text("交办告知书")

    # 延期, approved: the 延期告知书.
    depthead = desk("depthead")
    depthead.goto(matter_url)
    lead_assignment(depthead).get_by_role("button", name="签收").click()
    expect(flash(depthead)).to_have_text("已签收。")
    extension = panel(lead_assignment(depthead), "申请延期")
    # a typed date must be a working day (25 days from 12-07 would be 元旦)
    field(extension, "requested_due_on").fill(WorkCalendar().next_workday(clock.today() + timedelta(days=25)).isoformat())
    field(extension, "note").fill("需调取住房保障系统历史数据")
    extension.get_by_role("button", name="提交延期申请").click()
    expect(flash(depthead)).to_have_text("延期申请已提交，请等待审批。")
    supervisor = desk("supervisor")
    supervisor.goto(matter_url)
    decide = lead_assignment(supervisor).locator("form.action-inline")
    decide.locator("input[name='decision'][value='approve']").check()
    decide.get_by_role("button", name="审批").click()
    expect(flash(supervisor)).to_have_text("延期申请已审批。")
    citizen.reload()
    expect(citizen.locator(".portal-notices")).to_contain_text("延期告知书")
    expect(citizen.locator(".portal-notices")).to_contain_text("因情况复杂")
    expect(citizen.locator(".portal-notices")).not_to_contain_text("需调取住房保障系统历史数据")  # internal

    # The answer: 处理意见书 with the right to 复查.
    depthead.goto(matter_url)
    reply = panel(lead_assignment(depthead), "报送办理结果")
    field(reply, "result").fill("经核查，窗口未一次性告知，已批评教育。")
    field(reply, "public_reply").fill("经核实，已为您一次性告知所需材料并完成复审。")
    reply.get_by_role("button", name="报送").click()
    supervisor.goto(matter_url)
    review = panel(supervisor, "审核办结报告")
    review.locator("input[name='decision'][value='approve']").check()
    review.get_by_role("button", name="提交审核意见").click()
    expect(status_tag(supervisor)).to_have_text("审核通过")
    citizen.reload()
    expect(citizen.locator(".portal-notices")).to_contain_text("处理意见书")
    expect(citizen.locator(".portal-notices")).to_contain_text("请求复查")

    # 复查 asked on the portal; the opinion recorded; the 复查意见书.
    citizen.get_by_label("理由", exact=True).fill("处理结果未追究窗口人员责任。")
    citizen.get_by_role("button", name="提交复查请求").click()
    expect(citizen.locator(".flash-success")).to_contain_text("已收到您的复查请求")
    supervisor.goto(matter_url)
    decision = panel(supervisor, "登记复查意见")
    decision.locator("input[name='outcome'][value='upheld']").check()
    field(decision, "opinion").fill("原处理意见认定事实清楚，处理适当。")
    decision.get_by_role("button", name="登记并告知反映人").click()
    expect(flash(supervisor)).to_contain_text("复查意见已登记")
    citizen.reload()
    expect(citizen.locator(".portal-notices")).to_contain_text("复查意见书")

    # 复核, and the 复核意见书: the matter is final.
    citizen.get_by_label("理由", exact=True).fill("仍然不服。")
    citizen.get_by_role("button", name="提交复核请求").click()
    expect(citizen.locator(".flash-success")).to_contain_text("已收到您的复核请求")
    leader = desk("leader")
    leader.goto(matter_url)
    decision = panel(leader, "登记复核意见")
    decision.locator("input[name='outcome'][value='upheld']").check()
    field(decision, "opinion").fill("维持复查意见。")
    decision.get_by_role("button", name="登记并告知反映人").click()
    citizen.reload()
    expect(citizen.locator(".portal-notices")).to_contain_text("复核意见书")
    expect(citizen.locator("main")).to_contain_text("本事项已经复核终结")

    # The same matter again: recognised, and not accepted.
    again, _ = submit_online(citizen, "公租房复审又被退回")
    open_matter(intake, again)
    expect(intake.locator(".flash-error").first).to_contain_text("已经复核终结")
    accept = panel(intake, "受理")
    accept.locator("input[name='complaint_class'][value='claim']").check()
    accept.get_by_role("button", name="受理").click()
    expect(flash(intake)).to_contain_text("已经复核终结，依法不再受理")
    reject = panel(intake, "不予受理")
    expect(field(reject, "note")).to_have_value(re.compile(serial))
    asked = []  # 不予受理 is irreversible: the page asks once, saying what will happen
    intake.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    reject.get_by_role("button", name="不予受理").click()
    expect(flash(intake)).to_have_text("已作不予受理处理。")
    assert asked and "不予受理" in asked[0]
