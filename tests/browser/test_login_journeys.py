"""Every demo role logs in, finds its own menu and nothing else's, and logs out again."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from supervision.demo import DEMO_PASSWORD, USERS
from supervision.models.org import Role, User
from supervision.web import navigation_for

# The permission facts pinned by hand, so that a wrong NAVIGATION entry cannot pass unnoticed:
# (menu items the role must see, menu items it must not see).
MENU_FACTS: dict[Role, tuple[list[str], list[str]]] = {
    Role.ADMIN: (["工作台", "用户管理", "单位管理", "审计日志"], []),
    Role.INTAKE: (["工作台"], ["用户管理", "单位管理", "审计日志"]),
    Role.SUPERVISOR: (["工作台", "审计日志"], ["用户管理", "单位管理"]),
    Role.LEADER: (["工作台", "审计日志"], ["用户管理", "单位管理"]),
    Role.DEPT_HEAD: (["工作台"], ["用户管理", "单位管理", "审计日志"]),
}


def menu_of(role: Role) -> list[str]:
    """The menu the application derives for this role from its pages' permissions."""
    return [label for _, label in navigation_for(User(role=role, active=True, department_id=1))]


def main_menu(page):
    return page.get_by_role("navigation", name="主菜单")


def log_out(page, live_server):
    page.locator("details.usermenu > summary").click()
    page.get_by_role("button", name="退出登录").click()
    page.wait_for_url(f"{live_server}/login")


@pytest.mark.parametrize(("username", "display_name", "role"),
                         [(username, name, role) for username, name, role, _ in USERS],
                         ids=[username for username, *_ in USERS])
def test_each_role_sees_its_own_menu_and_logs_out(page, live_server, login_as, screenshot,
                                                   username, display_name, role):
    login_as(page, username)

    expect(page.get_by_role("heading", name="工作台", level=1)).to_be_visible()
    expect(page.locator("details.usermenu > summary")).to_contain_text(display_name)
    expect(page.locator("details.usermenu > summary")).to_contain_text(role.label)
    menu = main_menu(page)
    expect(menu.get_by_role("link")).to_have_text(menu_of(role))
    must_see, must_not_see = MENU_FACTS[role]
    for label in must_see:
        expect(menu.get_by_role("link", name=label, exact=True)).to_be_visible()
    for label in must_not_see:
        expect(page.get_by_role("link", name=label, exact=True)).to_have_count(0)
    if username == "supervisor":
        screenshot(page, "home")

    log_out(page, live_server)
    expect(page.get_by_role("heading", name="登录督查督办系统")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("您已安全退出")
    expect(main_menu(page)).to_have_count(0)


def test_department_head_is_sent_back_from_the_user_administration(page, live_server, login_as):
    login_as(page, "depthead")
    response = page.goto("/admin/users")
    assert response.status == 403
    expect(page.get_by_role("heading", name="无权访问")).to_be_visible()


def test_wrong_password_is_refused_with_a_message(page, live_server):
    page.goto("/login")
    page.get_by_label("用户名", exact=True).fill("intake")
    page.get_by_label("密码", exact=True).fill(DEMO_PASSWORD + "x")
    page.get_by_role("button", name="登录").click()

    expect(page.get_by_role("alert")).to_contain_text("用户名或密码错误")
    assert page.url.startswith(f"{live_server}/login")
    expect(page.get_by_label("用户名", exact=True)).to_have_value("intake")
    expect(page.get_by_label("密码", exact=True)).to_have_value("")


def test_login_page_shows_the_form(page, screenshot):
    page.goto("/login")
    expect(page).to_have_title("登录 · 督查督办 · 示范市行政效能投诉中心")
    expect(page.get_by_role("heading", name="登录督查督办系统")).to_be_visible()
    expect(page.get_by_label("用户名", exact=True)).to_be_focused()
    expect(page.get_by_label("密码", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="登录")).to_be_enabled()
    screenshot(page, "login")


def test_login_works_on_a_phone(phone_page, live_server, login_as):
    page = phone_page
    page.goto("/login")
    width = page.viewport_size["width"]
    for control in (page.get_by_label("用户名", exact=True), page.get_by_label("密码", exact=True),
                    page.get_by_role("button", name="登录")):
        expect(control).to_be_in_viewport()
        box = control.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width, box
        assert box["height"] >= 30, f"touch target too small: {box}"
    assert page.evaluate("document.documentElement.scrollWidth") <= width, "the login page scrolls sideways"

    login_as(page, "depthead")
    expect(page.get_by_role("heading", name="工作台", level=1)).to_be_visible()
    # On a phone the menu starts folded (one row); 菜单 opens it.
    expect(main_menu(page).get_by_role("link", name="工作台")).to_be_hidden()
    main_menu(page).get_by_text("菜单").click()
    expect(main_menu(page).get_by_role("link", name="工作台")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= width, "the home page scrolls sideways"
    log_out(page, live_server)
