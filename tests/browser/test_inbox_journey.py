"""The inbox in a real browser (issue 18): a notice names its matter and is followed to it; a digest
lists each matter with its own link; a notice asking for a task is settled when the task is done, and
the badge counts only what still needs the user. Checked at a laptop's and a phone's size."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from .conftest import log_in

SERIAL = re.compile(r"(?:XT|YJ|JC)-\d{4}-\d{5}")


def badge(page) -> int:
    link = page.locator("a.inbox-link")
    count = link.locator(".badge-count")
    return int(count.inner_text()) if count.count() else 0


def test_a_review_notice_is_followed_to_its_matter_and_settles_with_the_review(desk):
    supervisor = desk("supervisor")
    before = badge(supervisor)
    assert before > 0
    supervisor.locator("a.inbox-link").click()
    expect(supervisor.get_by_role("heading", name="通知", exact=True)).to_be_visible()
    supervisor.get_by_role("link", name=re.compile("^待处理")).click()
    notice = supervisor.locator("ul.inbox > li").filter(has_text="办结报告待审核").first
    title = notice.locator("button.inbox-title").inner_text()
    serial = SERIAL.search(title).group()
    expect(notice.locator(".tag", has_text="待办理")).to_be_visible()
    notice.locator("button.inbox-title").click()
    # Followed: the matter the notice names, not the whole ledger.
    expect(supervisor).to_have_url(re.compile(r"/matters/\d+$"))
    expect(supervisor.locator("h1")).to_contain_text(serial)
    review = supervisor.locator("details.action-panel").filter(
        has=supervisor.locator(":scope > summary").get_by_text("审核办结报告", exact=True))
    review.locator(":scope > summary").click()
    review.get_by_label("审核通过", exact=True).check()
    review.get_by_role("button", name="提交审核意见").click()
    expect(supervisor.locator(".flash").first).to_be_visible()
    # Settled by the review itself: no longer waiting, and the badge counts one less.
    assert badge(supervisor) <= before - 1
    supervisor.goto("/inbox/?state=settled")
    settled = supervisor.locator("ul.inbox > li").filter(has_text=f"办结报告待审核：{serial}").first
    expect(settled.locator(".tag", has_text="已办结")).to_be_visible()
    supervisor.goto("/inbox/?state=pending")
    expect(supervisor.locator("ul.inbox > li").filter(has_text=f"办结报告待审核：{serial}")).to_have_count(0)


def test_a_digest_lists_each_matter_and_each_link_opens_it_on_a_phone(browser, live_server, screenshot):
    context = browser.new_context(base_url=live_server, viewport={"width": 390, "height": 844}, locale="zh-CN",
                                  is_mobile=True, has_touch=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        log_in(page, live_server, "depthead")
        page.goto("/inbox/?kind=deadline")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        # A digest about matters (the sweep's digests of 督查事项 tasks link to the tasks' pages).
        digest = page.locator("ul.inbox > li").filter(has=page.locator("ul.notice-items")).filter(
            has_text=SERIAL).first
        items = digest.locator("ul.notice-items > li")
        assert items.count() >= 2
        labels = [SERIAL.search(text).group() for text in items.all_inner_texts() if SERIAL.search(text)]
        assert len(set(labels)) == len(labels) >= 2  # each matter named once, by its number
        screenshot(page, "inbox-phone")
        items.nth(1).locator("button, a").first.click()
        expect(page).to_have_url(re.compile(r"/matters/\d+$"))
        expect(page.locator("h1")).to_contain_text(labels[1])
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.goto("/matters/")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        # The list itself (below the filters), as a clerk scrolls to it on a phone.
        page.evaluate("() => { const list = document.querySelector('main table, main .cards');"
                      " if (list) window.scrollTo(0, list.getBoundingClientRect().top + window.scrollY - 8); }")
        screenshot(page, "matters-phone")
    finally:
        context.close()


def test_the_inbox_filters_unread_and_by_kind(desk, screenshot):
    head = desk("depthead")
    head.set_viewport_size({"width": 1366, "height": 768})
    head.goto("/inbox/")
    screenshot(head, "inbox")
    head.get_by_role("link", name=re.compile("^未读")).click()
    expect(head).to_have_url(re.compile(r"state=unread"))
    for tag in head.locator("ul.inbox > li .notice-meta").all():
        expect(tag.locator(".tag", has_text=re.compile("未读|已办结"))).not_to_have_count(0)
    head.get_by_label("类别").select_option(label="交办签收")
    head.get_by_role("button", name="筛选").click()
    expect(head).to_have_url(re.compile(r"kind=assign"))
    expect(head.locator("ul.inbox > li").first).to_contain_text(re.compile("新交办|督查任务待签收|没有符合条件的通知"))
