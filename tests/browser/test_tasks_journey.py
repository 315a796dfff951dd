"""督查事项 in a real browser (issue 20, Done when): 立项 → 领导审核 → 督查通知 (the .docx opened) → 分解 to two
units → 签收 → two progress reports, the second late and 催办'd by the deadline sweep → 领导批示 → 办结申请 →
复核 → 销号 → 评价 → (the ranking: ``check_ranking``, tasks-extra's hook).

The live server runs in this process, so ``clock.frozen`` moves the office's "today" for the pages too: the
second report comes two weeks on, after the sweep has 催办'd it.
"""

from __future__ import annotations

import re
from datetime import timedelta

from docx import Document
from playwright.sync_api import expect
from sqlalchemy import select

from supervision import clock

LEAD = "市市场监督管理局"  # demo head: depthead
CO = "市政务服务中心"  # demo head: depthead2
TITLE = "校园周边交通秩序集中整治"
NUMBER = re.compile(r"督查〔\d{4}〕(\d+)号")


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


def docx_text(path) -> str:
    return "\n".join(p.text for p in Document(str(path)).paragraphs)


def accept_confirmations(page, asked: list) -> None:
    page.on("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))


def check_ranking(desk, department: str, grade: str) -> None:
    """The unit graded here shows in the 单位考核 ranking with its 督查事项 figures: its row's 督查评价 cell
    (mean points / graded tasks, and the grades given) names the grade, beside the complaint figures."""
    leader = desk("leader")
    leader.goto(f"/statistics/assessment?period=year&year={clock.today().year}")
    row = leader.locator("table.statistics-ranking tbody tr").filter(
        has=leader.get_by_role("rowheader", name=department, exact=True))
    expect(row).to_have_count(1)
    expect(row.locator("td").last).to_contain_text(f"{grade} ")
    expect(leader.locator("table.statistics-ranking thead")).to_contain_text("督查事项评价")
    expect(leader.locator(".assessment-proposals")).to_contain_text("拟表彰")


def open_task(page, item_url: str, unit: str) -> None:
    page.goto(item_url)
    page.locator("#tasks table").get_by_role("link", name=unit, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"{TITLE}：{unit}")


def only_this_task(item_id: int):
    """The sweep's sources narrowed to this journey's item: the shared demo office stays as other browser
    tests expect it (the ladder and the idempotence are those of the real sweep)."""
    from supervision.tasks.queries import open_task_deadlines

    def source(session, horizon):
        from supervision.models.tasks import Task

        ids = {f"/tasks/task/{task_id}" for task_id in session.scalars(select(Task.id).where(Task.item_id == item_id))}
        return [deadline for deadline in open_task_deadlines(session, horizon) if deadline.link in ids]

    return source


def test_an_instruction_is_registered_reviewed_issued_broken_down_reported_urged_closed_and_graded(
        desk, live_app, tmp_path, screenshot, monkeypatch):
    today = clock.today()
    supervisor = desk("supervisor")
    asked: list[str] = []
    accept_confirmations(supervisor, asked)

    # 1. 立项: a leader's written instruction.
    supervisor.goto("/tasks/")
    supervisor.get_by_role("link", name="督查立项").click()
    supervisor.get_by_label("来源类别").select_option(label="领导批示件")
    supervisor.get_by_label("来源文号（批示件、会议纪要编号）").fill("市领导批示〔2026〕90号")
    supervisor.get_by_label("来源文件日期").fill(today.isoformat())
    supervisor.get_by_label("批示原文 / 会议议定内容").fill("校园周边交通秩序群众反映强烈，请市场监管局牵头、政务服务中心配合，限期整治。")
    supervisor.get_by_label("事项标题").fill(TITLE)
    supervisor.get_by_label("督查内容").fill("整治校园周边占道经营和违停，建立长效管控机制。")
    supervisor.get_by_label("分管领导").select_option(label="陈志刚")
    supervisor.get_by_label("办结时限").fill((today + timedelta(days=60)).isoformat())
    supervisor.get_by_label("进度反馈周期").select_option(label="每周")
    supervisor.get_by_label("每周报送日（按周反馈时）").select_option(label="周五")
    supervisor.get_by_role("button", name="立项", exact=True).click()
    expect(flash(supervisor)).to_contain_text("已立项 DC-")
    item_url = supervisor.url
    item_id = int(item_url.rstrip("/").rsplit("/", 1)[-1])
    expect(supervisor.locator(".page-head .tag").first).to_have_text("立项")

    # 2. 领导审核.
    panel(supervisor, "提交领导审核").get_by_role("button", name="提交审核").click()
    expect(flash(supervisor)).to_contain_text("已提交领导审核")
    leader = desk("leader")
    leader.goto(item_url)
    panel(leader, "审核同意").get_by_label("意见").fill("同意，务必在开学前见效。")
    panel(leader, "审核同意").get_by_role("button", name="同意").click()
    expect(flash(leader)).to_contain_text("已审核同意")

    # 3. 督查通知: generated, numbered, opened.
    supervisor.reload()
    panel(supervisor, "下发督查通知").get_by_role("button", name="生成并下发").click()
    expect(flash(supervisor)).to_contain_text("督查通知已生成并下发")
    assert asked and "下发督查通知" in asked[-1]
    link = supervisor.get_by_role("link", name=NUMBER)
    number = link.inner_text().removeprefix("督查通知 ")
    with supervisor.expect_download() as info:
        link.click()
    info.value.save_as(tmp_path / "notice.docx")
    text = docx_text(tmp_path / "notice.docx")
    assert "督查通知" in text and number in text and TITLE in text and "市领导批示〔2026〕90号" in text
    assert "陈志刚同志" in text and "每周五报送" in text

    # 4. 分解 to two units: the lead with a milestone, and a co-unit.
    for unit, role, milestones in ((LEAD, "牵头", "5，完成摸底排查，形成问题清单"), (CO, "配合", "")):
        add = panel(supervisor, "分解任务到责任单位")
        add.get_by_label("责任单位").select_option(label=unit)
        add.get_by_label(role, exact=True).check()
        add.get_by_label("责任人", exact=True).fill("王强" if role == "牵头" else "李娜")
        add.get_by_label("任务要求").fill(f"{unit}{role}整治。")
        add.get_by_label("节点").fill(milestones)
        add.get_by_role("button", name="分解任务").click()
        expect(flash(supervisor)).to_contain_text(f"已将任务分解给{unit}（{role}）")
    rows = supervisor.locator("#tasks tbody tr")
    expect(rows.filter(has_text=LEAD)).to_contain_text("待签收")
    expect(rows.filter(has_text=CO)).to_contain_text("待签收")
    supervisor.get_by_role("button", name="重新生成督查通知（文号不变）").click()
    expect(flash(supervisor)).to_contain_text(f"已重新生成督查通知 {number}（第 2 版）")
    with supervisor.expect_download() as info:
        supervisor.get_by_role("link", name=NUMBER).click()
    info.value.save_as(tmp_path / "notice2.docx")
    text = docx_text(tmp_path / "notice2.docx")
    assert f"{LEAD}（牵头）" in text and f"{CO}（配合）" in text and "完成摸底排查" in text and number in text

    # 5. 签收 by both units (each sees its own task only).
    lead, co = desk("depthead"), desk("depthead2")
    for unit, page in ((LEAD, lead), (CO, co)):
        page.goto("/tasks/")
        page.get_by_role("link", name=TITLE).click()
        expect(page.get_by_role("heading", level=1)).to_contain_text(f"{TITLE}：{unit}")
        panel(page, "签收任务").get_by_role("button", name="签收").click()
        expect(flash(page)).to_contain_text("已签收")
    lead_url = lead.url
    co.goto(item_url)
    expect(co.locator("#tasks tbody")).not_to_contain_text(LEAD)

    # 6. The first report, on time.
    report = panel(lead, "报送工作进展")
    report.get_by_label("完成进度（%）").fill("30")
    report.get_by_label("工作进展").fill("第一次进展：已完成摸底排查，形成问题清单 23 条。")
    report.get_by_label("本次完成的节点").select_option(index=0)
    report.get_by_role("button", name="报送").click()
    expect(flash(lead)).to_contain_text("工作进展已报送")
    expect(lead.locator("#reports")).not_to_contain_text("逾期")

    # 7. The next report is not made; two weeks on the sweep 催办s it (once, however often it runs).
    from supervision.escalation import services as escalation
    from supervision.extensions import db
    from supervision.models.tasks import Task

    with live_app.app_context():
        due = db.session.scalar(select(Task.next_report_on).where(Task.item_id == item_id,
                                                                    Task.parent_id.is_(None),
                                                                    Task.role == "lead"))
        db.session.remove()
    late_day = due + timedelta(days=3)  # Friday's report, on Monday
    monkeypatch.setattr(escalation, "SOURCES", [only_this_task(item_id)])
    with live_app.app_context():
        policy = escalation.SweepPolicy(remind_workdays=2)
        first = escalation.sweep(db.session, policy, late_day)
        db.session.commit()
        again = escalation.sweep(db.session, policy, late_day)
        db.session.commit()
        db.session.remove()
    assert first.urges >= 1 and again.recorded == 0
    with clock.frozen(late_day):
        lead.goto("/inbox/")
        expect(lead.locator("main")).to_contain_text(f"催办：DC-")
        expect(lead.locator("main")).to_contain_text(f"{TITLE}（进度反馈）")
        lead.goto(lead_url)
        expect(lead.locator("aside")).to_contain_text("电话催办")
        expect(lead.locator(".page-head")).to_contain_text("进度反馈")
        report = panel(lead, "报送工作进展")
        report.get_by_label("完成进度（%）").fill("60")
        report.get_by_label("工作进展").fill("第二次进展：占道经营已清理 18 处，违停抓拍设备已安装。")
        report.get_by_role("button", name="报送").click()
        expect(flash(lead)).to_contain_text("工作进展已报送")
        late = lead.locator("article.reply").filter(has_text="第二次进展")
        expect(late).to_contain_text("逾期 1 个工作日")

        # 8. The leader's 批示 on the late report, told to the unit.
        leader.goto(lead_url)
        on_report = leader.locator("article.reply").filter(has_text="第二次进展")
        on_report.locator("details.action-panel > summary").click()
        on_report.get_by_label("批示内容").fill("报送要及时，整治要见实效。")
        on_report.get_by_role("button", name="保存批示").click()
        expect(flash(leader)).to_contain_text("批示已保存")
        lead.reload()
        expect(lead.locator("blockquote.instruction")).to_contain_text("报送要及时，整治要见实效。")
        lead.goto("/inbox/")
        expect(lead.locator("main")).to_contain_text("领导批示：DC-")

        # 9. 办结申请 by both units, 复核, 销号: the item closes with its last task.
        co.goto("/tasks/")
        co.get_by_role("link", name=TITLE).click()
        co_url = co.url
        accept_confirmations(co, asked)
        accept_confirmations(lead, asked)
        for page, url in ((co, co_url), (lead, lead_url)):
            page.goto(url)
            apply = panel(page, "申请办结")
            apply.get_by_label("办结情况").fill("整治任务全部完成，长效机制已建立。")
            apply.get_by_role("button", name="提交办结申请").click()
            expect(flash(page)).to_contain_text("办结申请已提交")
        for url in (co_url, lead_url):
            supervisor.goto(url)
            review = panel(supervisor, "复核办结申请")
            review.get_by_label("同意销号").check()
            review.get_by_label("复核意见 / 退回理由").fill("材料齐全，同意销号。")
            review.get_by_role("button", name="保存复核意见").click()
            expect(flash(supervisor)).to_contain_text("复核意见已保存")
            expect(supervisor.locator(".page-head")).to_contain_text("已销号")
        supervisor.goto(item_url)
        expect(supervisor.locator(".page-head .tag").first).to_have_text("已办结")

        # 10. 评价 of the lead unit's work.
        supervisor.goto(lead_url)
        grade = panel(supervisor, "评价")
        grade.get_by_label("评价等次").select_option(label="较好")
        grade.get_by_label("评分（0–100，可不填）").fill("86")
        grade.get_by_label("评价说明").fill("整治见效，但一次进展逾期报送。")
        grade.get_by_role("button", name="保存评价").click()
        expect(flash(supervisor)).to_contain_text("评价已保存")
        expect(supervisor.locator(".page-head")).to_contain_text("评价：较好，86 分")
        screenshot(supervisor, "tasks-task")

    check_ranking(desk, LEAD, "较好")
