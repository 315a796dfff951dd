"""An admonition talk walked through in a real browser: the supervisor proposes it, the leader
approves, the supervisor sends the notice, records the talk (questions and answers, the subject's
statement) and downloads the talk record (.docx) — which the department head may never open."""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta

from docx import Document
from playwright.sync_api import expect

from supervision.calendar import WorkCalendar


SUBJECT = "吴浏览"
REASON = "窗口服务中多次推诿群众办事诉求，经教育仍未改正"
QUESTION = "群众反映你在窗口多次推诿，是否属实？"
ANSWER = "属实，是我工作作风不扎实。"
STATEMENT = "诚恳接受诫勉，立即改正，请组织监督。"


def panel(page, title: str):
    details = page.locator("details.action-panel").filter(
        has=page.locator(":scope > summary").get_by_text(title, exact=True))
    expect(details).to_have_count(1)
    if details.get_attribute("open") is None:
        details.locator(":scope > summary").click()
    return details


def status(page):
    return page.locator(".page-head .tag[class*='talk-status-']")


def test_admonition_from_proposal_to_the_talk_record(desk, live_server):
    supervisor = desk("supervisor")
    supervisor.get_by_role("link", name="谈话函询").click()
    supervisor.get_by_role("link", name="拟诫勉谈话").click()
    supervisor.get_by_label("谈话对象姓名").fill(SUBJECT)
    supervisor.get_by_label("所在单位（系统内）").select_option(label="市市场监督管理局")
    supervisor.get_by_label("职务", exact=True).fill("政务窗口科副科长")
    supervisor.get_by_label("事由（反映的问题）").fill(REASON)
    supervisor.get_by_label("研究机构（经……研究）").fill("中心主任办公会")
    # The talk is set for the last working day (it is written up below, after it was held: never before
    # its notified time, and a rest day would be asked about).
    talk_day = datetime.now() - timedelta(days=1)
    while not WorkCalendar().is_workday(talk_day.date()):
        talk_day -= timedelta(days=1)
    supervisor.get_by_label("拟谈话时间").fill(talk_day.strftime("%Y-%m-%dT09:30"))
    supervisor.get_by_label("谈话地点").fill("中心三楼谈话室")
    supervisor.get_by_label("谈话人").fill("张卫东，示范市行政效能投诉中心，督查科科长")
    supervisor.get_by_label("记录人（姓名，单位，职务）").fill("孙明，示范市行政效能投诉中心，干部")
    supervisor.get_by_role("button", name="提交领导审批").click()
    expect(supervisor.locator(".flash-success")).to_contain_text("待领导审批")
    expect(status(supervisor)).to_have_text("待审批")
    talk_url = supervisor.url
    assert re.search(r"/talks/\d+$", talk_url)

    leader = desk("leader")
    leader.goto(talk_url)
    approve = panel(leader, "批准")
    approve.locator("[name='note']").fill("同意，由张卫东同志谈话。")
    approve.get_by_role("button", name="批准").click()
    expect(status(leader)).to_have_text("已批准")

    supervisor.goto(talk_url)
    notify = panel(supervisor, "发出通知")
    expect(notify.locator("[name='place']")).to_have_value("中心三楼谈话室")
    notify.get_by_role("button", name="发出通知").click()
    expect(status(supervisor)).to_have_text("已通知")

    # The talk was held that afternoon; the supervisor writes it up.
    yesterday = talk_day
    hold = panel(supervisor, "记录谈话")
    hold.locator("[name='started_at']").fill(yesterday.strftime("%Y-%m-%dT14:30"))
    hold.locator("[name='ended_at']").fill(yesterday.strftime("%Y-%m-%dT15:10"))
    hold.locator("[name='exchanges']").fill(f"问：{QUESTION}\n答：{ANSWER}\n问：今后怎么做？\n答：严格落实首问负责制。")
    hold.locator("[name='statement']").fill(STATEMENT)
    hold.locator("[name='commitments']").fill("三天内向群众致歉\n每周自查窗口服务")
    hold.get_by_role("button", name="保存谈话记录").click()
    expect(supervisor.locator(".flash-success")).to_contain_text("谈话情况已记录")
    expect(status(supervisor)).to_have_text("已谈话")
    expect(supervisor.locator(".qa")).to_contain_text(ANSWER)
    expect(supervisor.locator(".page-head")).to_contain_text("诫勉影响期内")

    with supervisor.expect_download() as download_info:
        supervisor.get_by_role("button", name="生成诫勉谈话记录").click()
    download = download_info.value
    assert download.suggested_filename.endswith("诫勉谈话记录.docx")
    document = Document(io.BytesIO(open(download.path(), "rb").read()))
    text = "\n".join([p.text for p in document.paragraphs]
                     + [c.text for t in document.tables for r in t.rows for c in r.cells])
    for expected in (SUBJECT, "政务窗口科副科长", REASON, f"问：{QUESTION}", f"答：{ANSWER}", STATEMENT,
                     "谈话对象（签字）", "谈话人（签字）", "记录人（签字）", "张卫东", "孙明"):
        assert expected in text
    supervisor.reload()
    expect(supervisor.locator("#documents")).to_contain_text("诫勉谈话记录")

    # The department head of the subject's unit sees the notice, never the record.
    head = desk("depthead")
    head.goto(talk_url)
    expect(head.get_by_role("heading", name="页面不存在")).to_be_visible()
    head.goto(talk_url + "/notice")
    expect(head.locator("main")).to_contain_text("中心三楼谈话室")
    expect(head.locator("main")).not_to_contain_text(ANSWER)
