"""问题线索 in a real browser (issue 16, Done when): a real-name 检举控告 accepted as a clue → 谈话函询
proposed and approved → 函询通知书 to the person → 送达 → reply countersigned → 采信了结 → the reporter
told on the portal; a second clue → 初步核实 → report → 澄清正名 document. A department head gets
nothing of it."""

from __future__ import annotations

import re

from docx import Document
from playwright.sync_api import expect

from supervision import clock

REPORTER = "实名举报人丁戊"
REPORTER_PHONE = "13955550001"
TITLE = "质监站检测员验收时索要红包"
CONTENT = "实名举报：市住房和城乡建设局质监站检测员卫某某在竣工验收时索要红包两千元，否则不出具验收意见。"
SUMMARY = "反映质监站检测员在竣工验收时索要红包、拖延出具验收意见。"
PERSON = "卫某某"
UNIT = "市住房和城乡建设局"
REPLY = "本人从未索要红包，验收意见系因资料不全暂缓出具，资料补齐当日即已出具。"


def panel(scope, title: str):
    page = getattr(scope, "page", scope)
    details = scope.locator("details.action-panel").filter(
        has=page.locator(":scope > summary").get_by_text(title, exact=True))
    expect(details).to_have_count(1)
    if details.get_attribute("open") is None:
        details.locator(":scope > summary").click()
    return details


def flash(page):
    return page.locator(".flash").first


def clue_status(page):
    return page.locator(".page-head .tag[class*='clue-status-']")


def docx_text(path) -> str:
    document = Document(str(path))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts += [cell.text for cell in row.cells]
    return "\n".join(parts)


def download(page, button: str, path):
    with page.expect_download() as info:
        page.get_by_role("button", name=button).click()
    info.value.save_as(path)
    return docx_text(path)


def test_a_real_name_accusation_becomes_a_clue_answered_by_inquiry_and_the_reporter_is_told(desk, tmp_path, page,
                                                                                             screenshot):
    today = clock.today().isoformat()  # the office's day (Asia/Shanghai), not this machine's: after 16:00 UTC they differ

    # 1. Intake registers the real-name accusation, accepts it, and turns it into a clue.
    intake = desk("intake")
    intake.goto("/matters/new/complaint")
    intake.get_by_label("来源渠道", exact=True).select_option(label="来信")
    intake.get_by_label("问题类别", exact=True).select_option(label="吃拿卡要")
    intake.get_by_label("事由（标题）", exact=True).fill(TITLE)
    intake.get_by_label("被反映单位", exact=True).select_option(label=UNIT)
    intake.get_by_label("姓名", exact=True).fill(REPORTER)
    intake.get_by_label("联系电话", exact=True).fill(REPORTER_PHONE)
    intake.get_by_label("反映内容", exact=True).fill(CONTENT)
    intake.get_by_label("内容摘要（交办单位看到的内容，不得含反映人信息）", exact=True).fill(SUMMARY)
    intake.get_by_role("button", name="登记", exact=True).click()
    serial, query_code = re.search(r"已登记 (XT-2026-\d{5})，查询码 (\w+)。", flash(intake).inner_text()).groups()
    accept = panel(intake, "受理")
    accept.get_by_label("检举控告", exact=True).check()
    accept.get_by_role("button", name="受理").click()
    expect(flash(intake)).to_contain_text("已受理")
    # A 检举控告 is never handed to the accused's department: the page offers the clue register instead.
    expect(intake.locator("#clue")).to_contain_text("该事项为检举控告类")
    intake.get_by_role("link", name="转为问题线索").click()
    intake.get_by_label("被反映人", exact=True).fill(f"{PERSON}，{UNIT}，质监站检测员，一般干部")
    intake.get_by_role("button", name="转为问题线索").click()
    expect(flash(intake)).to_contain_text("已转为问题线索")
    clue_url = intake.url
    expect(clue_status(intake)).to_have_text("待提出处置意见")
    intake.goto(f"/matters/?q={serial}")
    intake.get_by_role("link", name=re.compile(serial)).first.click()
    expect(intake.locator("#clue")).to_contain_text("已转为问题线索")

    # 2. The case officer proposes 谈话函询; the leader approves.
    supervisor = desk("supervisor")
    supervisor.goto(clue_url)
    propose = panel(supervisor, "提出处置意见")
    propose.get_by_label("谈话函询", exact=True).check()
    propose.locator("[name='reason']").fill("反映问题具体，被反映人为一般干部，拟函询本人。")
    propose.get_by_role("button", name="提交审批").click()
    expect(clue_status(supervisor)).to_have_text("处置意见待审批")
    leader = desk("leader")
    leader.goto(clue_url)
    approve = panel(leader, "批准处置意见")
    approve.locator("[name='studied_by']").fill("委（局）室务会")
    approve.locator("[name='note']").fill("同意函询。")
    approve.get_by_role("button", name="批准").click()
    expect(clue_status(leader)).to_have_text("谈话函询")

    # 3. 函询 to the person; the 函询通知书 names them and never the reporter.
    supervisor.reload()
    issue = panel(supervisor, "向被反映人本人发出函询")
    issue.locator("[name='party_committee']").fill("中共市住房和城乡建设局党组")
    issue.get_by_role("button", name="发出函询").click()
    expect(flash(supervisor)).to_contain_text("函询已发出")
    text = download(supervisor, "生成函询通知书", tmp_path / "inquiry.docx")
    assert f"{PERSON}同志" in text and SUMMARY in text.replace("\n", "") and "送达回执" in text
    assert REPORTER not in text and REPORTER_PHONE not in text and CONTENT[:20] not in text

    # 4. 送达, then the countersigned reply, then 采信了结.
    serve = panel(supervisor, "记录送达")
    serve.locator("[name='served_on']").fill(today)
    serve.locator("[name='note']").fill("由住建局党组办公室转交，本人签收")
    serve.get_by_role("button", name="记录送达").click()
    expect(supervisor.locator("#inquiries")).to_contain_text("已送达待回复")
    reply = panel(supervisor, "登记书面说明")
    reply.locator("[name='replied_on']").fill(today)
    reply.locator("[name='countersigned_by']").fill("王书记（党组书记）")
    reply.locator("[name='text']").fill(REPLY)
    reply.get_by_role("button", name="登记").click()
    expect(supervisor.locator("#inquiries")).to_contain_text("王书记（党组书记） 签署意见")
    height = supervisor.evaluate("document.documentElement.scrollHeight")
    supervisor.set_viewport_size({"width": 1280, "height": height})
    screenshot(supervisor, "clue")
    supervisor.set_viewport_size({"width": 1280, "height": 800})
    decide = panel(supervisor, "提出处理意见")
    decide.get_by_label("采信了结", exact=True).check()
    decide.locator("[name='note']").fill("经核对验收资料，说明属实，予以采信了结。")
    decide.get_by_role("button", name="提交").click()
    expect(clue_status(supervisor)).to_have_text("已了结")

    # 5. The reporter looks it up on the portal: accepted as a clue, dealt with — none of the answers.
    page.goto("/public/track")
    page.get_by_label("事项编号", exact=True).fill(serial)
    page.get_by_label("查询码", exact=True).fill(query_code)
    page.get_by_role("button", name="查询").click()
    expect(page.locator("#public-status")).to_have_text("已办结")
    html = page.content()
    assert "作为问题线索受理" in html and "依规予以了结" in html
    for secret in (PERSON, REPLY[:10], "王书记", "函询"):
        assert secret not in html, secret

    # 6. A department head may not open any of it.
    depthead = desk("depthead")
    for url in (clue_url, "/clues/", "/ledgers/clues.xlsx"):
        response = depthead.request.get(url)
        assert response.status == 403, url
    assert "问题线索" not in depthead.locator("nav").inner_text()


def test_a_second_clue_is_verified_found_untrue_and_the_person_cleared(desk, tmp_path):
    intake = desk("intake")
    intake.goto("/clues/new")
    intake.get_by_label("线索来源", exact=True).select_option(label="上级转办")
    intake.get_by_label("来源说明（来文文号、移交单位等）", exact=True).fill("市纪委监委转办〔2026〕30号")
    intake.get_by_label("被反映人", exact=True).fill("蒋某某，市教育局，计划财务科科长，乡科级")
    intake.get_by_label("问题摘要（函询通知书只引用摘要）", exact=True).fill("反映蒋某某在教辅采购中收受供应商回扣。")
    intake.get_by_role("button", name="登记").click()
    expect(flash(intake)).to_contain_text("已登记问题线索")
    clue_url = intake.url

    supervisor = desk("supervisor")
    supervisor.goto(clue_url)
    propose = panel(supervisor, "提出处置意见")
    propose.get_by_label("初步核实", exact=True).check()
    propose.locator("[name='reason']").fill("反映问题具体、涉及金额，拟初步核实。")
    propose.get_by_role("button", name="提交审批").click()
    leader = desk("leader")
    leader.goto(clue_url)
    panel(leader, "批准处置意见").get_by_role("button", name="批准").click()
    expect(clue_status(leader)).to_have_text("初步核实")

    supervisor.reload()
    plan = panel(supervisor, "制定初核方案")
    plan.locator("[name='plan']").fill("调取教辅采购合同和付款凭证，询问供应商。")
    plan.get_by_role("button", name="保存方案").click()
    report = panel(supervisor, "提交初核报告")
    report.locator("[name='report']").fill("经核查采购合同、付款凭证并询问供应商 3 家，未发现收受回扣的事实。")
    report.get_by_label("予以了结", exact=True).check()
    report.get_by_label("反映的问题不属实", exact=True).check()
    report.get_by_role("button", name="提交").click()
    expect(clue_status(supervisor)).to_have_text("已了结")

    clearance = panel(supervisor, "记录澄清正名")
    clearance.locator("[name='requested_by']").fill("市教育局党组")
    clearance.locator("[name='note']").fill("在市教育局干部大会上通报核查结论")
    clearance.get_by_role("button", name="保存").click()
    expect(flash(supervisor)).to_contain_text("已记录澄清正名")
    text = download(supervisor, "生成澄清正名通知书", tmp_path / "clearance.docx")
    assert "澄清正名通知书" in text and "蒋某某同志澄清正名" in text.replace("\n", "")
    assert "反映的问题不属实" in text and "干部大会上通报" in text
