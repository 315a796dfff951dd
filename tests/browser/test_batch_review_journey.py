"""批量审核 in a real browser (issue 18 item 10): the supervisor reads three 办结报告 on the 待审核 list,
ticks them and approves them in one go after the confirmation says what will happen. One of them was
changed by someone else after the list was read: it is refused with the reason, the other two are
approved — each through the single review (audit row, 处理意见书) — and their 待审核 notices are settled
in the inbox while the refused one's still waits."""

from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlalchemy import select

from matters_factories import matter_input
from supervision.extensions import db
from supervision.matters import services
from supervision.models.audit import AuditEntry
from supervision.models.complainants import ComplainantNotice, NoticeKind
from supervision.models.matters import Matter, MatterStatus
from supervision.models.org import Department, User

MARKER = "批量审核旅程"


def _user(username: str) -> User:
    return db.session.scalar(select(User).where(User.username == username))


def replied_matters(app, count: int) -> list[tuple[int, str]]:
    """``count`` real-name complaints driven to 待审核 by the services, as the office and depthead (S02)."""
    made = []
    with app.app_context():
        intake, head = _user("intake"), _user("depthead")
        department = db.session.scalar(select(Department).where(Department.code == "S02"))
        for n in range(count):
            matter = services.register_matter(db.session, intake, matter_input(
                title=f"{MARKER}{n + 1} 窗口办事拖拉", summary="群众反映窗口办事拖拉、未一次性告知。"))
            services.accept_matter(db.session, intake, matter)
            services.assign_matter(db.session, intake, matter, lead=department)
            services.sign_assignment(db.session, head, matter.lead_assignment)
            services.submit_reply(db.session, head, matter.lead_assignment, f"经核实，第{n + 1}件已责令窗口整改。",
                                  "已责成整改，感谢您的监督。")
            made.append((matter.id, matter.serial))
        db.session.commit()
        db.session.remove()
    return made


def test_supervisor_approves_two_reports_in_one_go_and_is_told_why_the_third_was_not(desk, live_app):
    matters = replied_matters(live_app, 3)
    (first_id, first), (second_id, second), (changed_id, changed) = matters
    supervisor = desk("supervisor")
    supervisor.goto(f"/matters/?status=replied&q={MARKER}")
    rows = supervisor.locator("table tbody tr")
    expect(rows).to_have_count(3)
    row = rows.filter(has_text=first)
    row.locator("details.reply-preview > summary").click()  # the report is read on the list
    expect(row.locator("details.reply-preview")).to_contain_text("经核实，第1件已责令窗口整改。")
    for _, serial in matters:
        rows.filter(has_text=serial).locator("input[name=ids]").check()
    supervisor.locator("#batch input[name=note]").fill("办理结果属实，同意办结。")

    # On a phone the list with its reports is cards that fit the screen (no sideways scrolling).
    supervisor.set_viewport_size({"width": 390, "height": 844})
    assert supervisor.evaluate("document.documentElement.scrollWidth") <= 390
    supervisor.set_viewport_size({"width": 1280, "height": 800})

    # Someone else changes the third matter after the list was read.
    with live_app.app_context():
        matter = db.session.get(Matter, changed_id)
        services.update_summary(db.session, _user("intake"), matter, "受理人员补充了摘要。", matter.version)
        db.session.commit()
        db.session.remove()

    asked: list[str] = []
    supervisor.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    supervisor.locator("#batch").get_by_role("button", name="批量审核通过").click()
    expect(supervisor.locator(".flash-success")).to_contain_text(re.compile(  # in the list's order
        f"已审核通过 2 件：({first}、{second}|{second}、{first})。"))
    expect(supervisor.locator(".flash-error")).to_contain_text(f"1 件未能审核通过：{changed}：该事项已被他人修改")
    assert asked and "审核通过" in asked[0] and "处理意见书" in asked[0]
    expect(supervisor).to_have_url(re.compile(r"/matters/\?status=replied&q="))
    expect(supervisor.locator("table tbody tr")).to_have_count(1)  # only the refused one still waits

    for serial, status in ((first, "审核通过"), (second, "审核通过"), (changed, "待审核")):
        supervisor.goto(f"/matters/?q={serial}")
        supervisor.get_by_role("link", name=serial, exact=True).click()
        expect(supervisor.locator("main .tag.status-" + ("approved" if status == "审核通过" else "replied")).first
               ).to_have_text(status)

    # The inbox: the two approved reports' notices are settled, the refused one's still asks.
    supervisor.goto("/inbox/?state=settled")
    for serial in (first, second):
        settled = supervisor.locator("ul.inbox > li").filter(has_text=f"办结报告待审核：{serial}").first
        expect(settled.locator(".tag", has_text="已办结")).to_be_visible()
    supervisor.goto("/inbox/?state=pending")
    for serial in (first, second):
        expect(supervisor.locator("ul.inbox > li").filter(has_text=f"办结报告待审核：{serial}")).to_have_count(0)
    expect(supervisor.locator("ul.inbox > li").filter(has_text=f"办结报告待审核：{changed}")).to_have_count(1)

    with live_app.app_context():  # each approved through the single review: its audit row and 处理意见书
        for matter_id in (first_id, second_id):
            assert db.session.get(Matter, matter_id).status == MatterStatus.APPROVED
            assert len(db.session.scalars(select(AuditEntry).where(
                AuditEntry.action == "matter.approve", AuditEntry.target_id == matter_id)).all()) == 1
            assert db.session.scalar(select(ComplainantNotice).where(
                ComplainantNotice.matter_id == matter_id, ComplainantNotice.kind == NoticeKind.ANSWER))
        assert db.session.get(Matter, changed_id).status == MatterStatus.REPLIED
        db.session.remove()
