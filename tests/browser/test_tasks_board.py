"""The leaders' 驾驶舱 on the demo office: every count opens its items; on a phone (390×844) nothing
scrolls sideways; printed, the page is A4 landscape with the two tables side by side."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from .conftest import DESKTOP, PHONE, _page_in_fresh_context, log_in


def test_leader_opens_the_board_follows_a_count_and_prints_it(browser, live_server, screenshot):
    context, page = _page_in_fresh_context(browser, live_server, viewport=DESKTOP)
    try:
        log_in(page, live_server, "leader")
        page.get_by_role("link", name="督查驾驶舱").first.click()
        expect(page.get_by_role("heading", name="督查驾驶舱")).to_be_visible()
        screenshot(page, "task-board")
        counts = page.locator(".board-table a")
        if counts.count():  # follow the first count: the list shows exactly that many items
            link = counts.first
            shown = int(link.inner_text())
            link.click()
            expect(page).to_have_url(re.compile(r"/tasks/\?.*status=issued"))
            items = set(page.eval_on_selector_all("table a[href^='/tasks/']",
                                                  "as => as.map(a => a.getAttribute('href'))"))
            assert len({h for h in items if re.fullmatch(r"/tasks/\d+", h)}) == shown
            page.go_back()
        page.emulate_media(media="print")
        # the @page rule asks for A4 landscape: a PDF of the page has landscape A4 pages (297 × 210 mm)
        pdf = page.pdf(prefer_css_page_size=True)
        assert pdf.startswith(b"%PDF")
        sizes = re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf)
        assert sizes and all(float(w) > float(h) for w, h in sizes), sizes
        assert page.locator(".board-actions").is_hidden()
    finally:
        context.close()


def test_board_fits_a_phone(browser, live_server):
    context, page = _page_in_fresh_context(browser, live_server, viewport=PHONE, is_mobile=True, has_touch=True)
    try:
        log_in(page, live_server, "leader")
        page.goto("/tasks/board")
        expect(page.get_by_role("heading", name="督查驾驶舱")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    finally:
        context.close()
