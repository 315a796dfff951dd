"""A citizen's complaint through the public site, in a real browser: submitted online with the
CAPTCHA answered, a receipt with the number and the query code, the office accepting, assigning and
approving it in the staff pages, and the citizen following it with the code until the reply, which
they rate. The citizen's pages must never show what the office keeps for itself.
"""

from __future__ import annotations

import re

from playwright.sync_api import expect


DEPARTMENT = "市市场监督管理局"  # the demo head 刘海燕's department: it will handle the complaint
RESPONDENT = "市交通运输局"  # complained about (not the handler, so no 回避)
TITLE = "出租车营运证年审窗口让人来回跑"
ASSIGNED_TITLE = "反映营运证年审窗口未一次性告知"
CONTENT = "我于上周到市交通运输局窗口办理出租车营运证年审，工作人员要求我先去另一栋楼打印材料，回来后又说需要预约，前后跑了三次。"
NAME, PHONE = "钱网民", "13655550000"
PERSON = f"窗口周某（我是{NAME}，电话{PHONE}）"  # a citizen's own name and phone in 被投诉人员
ASSIGNED_PERSON = "年审窗口工作人员"
SUMMARY = "群众反映交通部门营运证年审窗口未一次性告知，群众往返三次。"
RESULT_INTERNAL = "内部核查：窗口人员周某某未履行一次性告知，已诫勉。"
PUBLIC_REPLY = "经核实，您反映的问题属实，已责成窗口落实一次性告知制度，并为您办结年审。"
NUMERALS = {c: n for n, c in enumerate("零一二三四五六七八九十")}


def panel(scope, title: str):
    """The matter page's <details class="action-panel"> titled ``title``, opened."""
    page = getattr(scope, "page", scope)
    details = scope.locator("details.action-panel").filter(
        has=page.locator(":scope > summary").get_by_text(title, exact=True))
    expect(details).to_have_count(1)
    if details.get_attribute("open") is None:
        details.locator(":scope > summary").click()
    return details


def field(scope, name: str):
    return scope.locator(f"[name='{name}']")  # action forms on one page share ids: by name, not label


def flash(page):
    return page.locator(".flash").first


def status_tag(page):
    return page.locator(".page-head .tag[class*='status-']")


def lead_assignment(page):
    return page.locator("article.assignment").filter(has_text=f"主办：{DEPARTMENT}")


def chinese_number(text: str) -> int:
    """七 → 7, 十二 → 12, 十 → 10 (what the CAPTCHA asks)."""
    if "十" in text:
        tens, _, ones = text.partition("十")
        return (NUMERALS[tens] if tens else 1) * 10 + (NUMERALS[ones] if ones else 0)
    return NUMERALS[text]


def answer_captcha(page) -> None:
    label = page.locator("label[for='captcha']").inner_text()
    match = re.search(r"验证问题：(\S+?)(加|减)(\S+?)等于几", label)
    assert match, label
    a, op, b = chinese_number(match.group(1)), match.group(2), chinese_number(match.group(3))
    page.get_by_label(label, exact=True).fill(str(a + b if op == "加" else a - b))


def full_page(page, screenshot, name: str, width: int) -> None:
    viewport = page.viewport_size
    page.set_viewport_size({"width": width, "height": page.evaluate("document.documentElement.scrollHeight")})
    screenshot(page, name)
    page.set_viewport_size(viewport)


def fits_the_screen(page) -> None:
    """Nothing wider than the viewport: no sideways scrolling on a phone."""
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), "page scrolls sideways"


def test_citizen_submits_follows_and_rates_a_complaint(page, phone_page, desk, screenshot):
    # 1. The public site: no login, no staff menu.
    citizen = page
    citizen.goto("/public/")
    expect(citizen.get_by_role("heading", level=1)).to_have_text("群众投诉与意见建议")
    expect(citizen.get_by_role("link", name="登录")).to_have_count(0)
    citizen.get_by_role("navigation", name="公开服务").get_by_role("link", name="我要投诉").click()
    expect(citizen.get_by_role("heading", level=1)).to_have_text("我要投诉")
    full_page(citizen, screenshot, "portal-submit", 1280)

    # 2. A first try with a wrong CAPTCHA answer: refused beside the field, what was typed kept.
    citizen.get_by_label("姓名（实名反映必填）", exact=True).fill(NAME)
    citizen.get_by_label("联系电话（实名反映必填）", exact=True).fill(PHONE)
    citizen.get_by_label("问题类别", exact=True).select_option(label="办事拖拉")
    citizen.get_by_label("被投诉单位", exact=True).select_option(label=RESPONDENT)
    citizen.get_by_label("被投诉人员（知道时填写）", exact=True).fill(PERSON)
    citizen.get_by_label("标题（一句话概括）", exact=True).fill(TITLE)
    citizen.get_by_label("反映内容", exact=True).fill(CONTENT)
    citizen.locator("#captcha").fill("99")
    citizen.get_by_role("button", name="提交").click()
    expect(citizen.locator(".field.captcha .error-text")).to_contain_text("验证问题回答不正确")
    expect(citizen.get_by_label("标题（一句话概括）", exact=True)).to_have_value(TITLE)

    answer_captcha(citizen)
    citizen.get_by_role("button", name="提交").click()

    # 3. The receipt: number and query code, printable.
    expect(citizen.get_by_role("heading", level=1)).to_have_text("效能投诉提交回执")
    serial = citizen.locator("#receipt-serial").inner_text().strip()
    code = citizen.locator("#receipt-code").inner_text().strip()
    assert re.fullmatch(r"XT-\d{4}-\d{5}", serial) and re.fullmatch(r"[A-Z2-9]{8}", code), (serial, code)
    expect(citizen.get_by_role("button", name="打印回执")).to_be_visible()  # shown by portal.js (CSP allows it)
    full_page(citizen, screenshot, "portal-receipt", 1280)
    full_page(citizen, screenshot, "portal-receipt-phone", 390)
    citizen.emulate_media(media="print")
    expect(citizen.locator(".portal-head")).to_be_hidden()
    expect(citizen.get_by_role("button", name="打印回执")).to_be_hidden()
    expect(citizen.locator("#receipt-code")).to_be_visible()
    full_page(citizen, screenshot, "portal-receipt-print", 1280)
    citizen.emulate_media(media="screen")

    # 4. Looking it up straight away: received, waiting for acceptance.
    phone = phone_page
    phone.goto("/public/track")
    fits_the_screen(phone)
    full_page(phone, screenshot, "portal-track-phone", 390)
    phone.get_by_label("事项编号", exact=True).fill(serial)
    phone.get_by_label("查询码", exact=True).fill(code.lower())
    phone.get_by_role("button", name="查询").click()
    expect(phone.locator("#public-status")).to_have_text("已收到，待受理")
    fits_the_screen(phone)
    assert code not in phone.url and code not in phone.content()

    # 5. The office: intake accepts, writes the summary and assigns it.
    intake = desk("intake")
    intake.goto(f"/matters/?q={serial}")
    intake.get_by_role("link", name=re.compile(serial)).first.click()
    expect(intake.get_by_role("heading", level=1)).to_have_text(f"{serial} {TITLE}")
    expect(intake.locator("dl.facts")).to_contain_text("网络")
    accept = panel(intake, "受理")
    accept.locator("input[name='complaint_class'][value='accusation']").check()  # 信访类别 (docs/domain.md §11)
    accept.get_by_role("button", name="受理").click()
    expect(flash(intake)).to_have_text("已受理。")
    summary = panel(intake, "编辑交办标题和摘要")  # the citizen's own title never goes to the department
    field(summary, "assigned_title").fill(ASSIGNED_TITLE)
    expect(field(summary, "assigned_respondent_person")).to_have_value(PERSON)  # offered to rewrite
    field(summary, "assigned_respondent_person").fill(ASSIGNED_PERSON)
    field(summary, "summary").fill(SUMMARY)
    summary.get_by_role("button", name="保存").click()
    expect(flash(intake)).to_have_text("交办标题和摘要已保存。")
    assign = panel(intake, "交办")
    field(assign, "lead_id").select_option(label=DEPARTMENT)
    field(assign, "requirements").fill("请核实并答复群众（内部要求）。")
    assign.get_by_role("button", name="交办").click()
    expect(flash(intake)).to_have_text("已交办。")
    matter_url = intake.url

    phone.reload()
    expect(phone.locator("#public-status")).to_have_text("正在办理")
    expect(phone.locator("ol.portal-steps")).to_contain_text("交承办单位办理")
    expect(phone.locator("dl.facts")).to_contain_text("办理时限")

    # 6. The department signs and reports; the supervisor approves.
    depthead = desk("depthead")
    depthead.goto(matter_url)
    expect(depthead.get_by_role("heading", level=1)).to_have_text(f"{serial} {ASSIGNED_TITLE}")
    expect(depthead.locator("dl.facts").first).to_contain_text(ASSIGNED_PERSON)
    assert PHONE not in depthead.content() and NAME not in depthead.content()
    lead_assignment(depthead).get_by_role("button", name="签收").click()
    expect(flash(depthead)).to_have_text("已签收。")
    reply = panel(lead_assignment(depthead), "报送办理结果")
    field(reply, "result").fill(RESULT_INTERNAL)
    field(reply, "public_reply").fill(PUBLIC_REPLY)
    reply.get_by_role("button", name="报送").click()
    expect(flash(depthead)).to_have_text("办理结果已报送。")

    phone.reload()
    expect(phone.locator("#public-status")).to_have_text("正在办理")
    assert PUBLIC_REPLY not in phone.content()  # not before the supervisor approves it

    supervisor = desk("supervisor")
    supervisor.goto(matter_url)
    review = panel(supervisor, "审核办结报告")
    review.locator("input[name='decision'][value='approve']").check()
    review.get_by_role("button", name="提交审核意见").click()
    expect(status_tag(supervisor)).to_have_text("审核通过")

    # 7. The citizen reads the reply and rates it, once.
    phone.reload()
    expect(phone.locator("#public-status")).to_have_text("已答复")
    expect(phone.locator(".portal-reply")).to_contain_text(PUBLIC_REPLY)
    html = phone.content()
    for secret in (RESULT_INTERNAL, SUMMARY, "内部要求", NAME, PHONE, CONTENT[:15], "李秀英", "张卫东", "刘海燕"):
        assert secret not in html, f"the public page shows {secret!r}"
    full_page(phone, screenshot, "portal-progress-phone", 390)
    phone.get_by_label("基本满意", exact=True).check()
    phone.get_by_label("意见（可选）", exact=True).fill("答复及时，但希望窗口多些耐心。")
    phone.get_by_role("button", name="提交评价").click()
    expect(phone.locator(".flash-success")).to_have_text("感谢您的评价！")
    expect(phone.locator("#rating-result")).to_contain_text("基本满意")
    expect(phone.get_by_role("button", name="提交评价")).to_have_count(0)
    full_page(phone, screenshot, "portal-progress", 1280)

    # 8. The office sees it as the follow-up (回访), made by the citizen.
    intake.goto(matter_url)
    expect(status_tag(intake)).to_have_text("已回访")
    expect(intake.locator("ol.timeline")).to_contain_text("群众网上评价：基本满意")

    # 9. The lookup page on a phone, and the desktop pages for the record.
    citizen.goto("/public/track")
    full_page(citizen, screenshot, "portal-track", 1280)
    phone.goto("/public/complaint")
    fits_the_screen(phone)
    full_page(phone, screenshot, "portal-submit-phone", 390)
