"""No page scrolls sideways, at a laptop's 1366×768 or a phone's 390×844: every page of every demo
role's menu. A wide table scrolls inside its own box; the header, the menu and the page stay put."""

from __future__ import annotations

import pytest

from supervision.demo import USERS

from .conftest import log_in

SIZES = {"laptop": {"width": 1366, "height": 768}, "phone": {"width": 390, "height": 844}}
ONE_USER_PER_ROLE: dict[str, str] = {}
for username, _, role, *_ in USERS:
    ONE_USER_PER_ROLE.setdefault(role.value, username)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("role", ONE_USER_PER_ROLE)
def test_no_page_of_the_menu_scrolls_sideways(browser, live_server, role, size):
    context = browser.new_context(base_url=live_server, viewport=SIZES[size], locale="zh-CN")
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        log_in(page, live_server, ONE_USER_PER_ROLE[role])
        menu = page.eval_on_selector_all("nav.sidenav a", "links => links.map(a => a.getAttribute('href'))")
        assert menu, "no menu"
        too_wide = []
        for href in [*menu, "/inbox/"]:  # the inbox is the header's link, not a menu entry
            page.goto(href)
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > SIZES[size]["width"]:
                too_wide.append((href, width))
        assert not too_wide, f"{role} at {size}: pages wider than the screen: {too_wide}"
    finally:
        context.close()
