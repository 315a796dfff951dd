from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from supervision import clock
from supervision.models.audit import AuditEntry
from supervision.models.org import Role


def _login(client, username, password):
    return client.post("/login", data={"username": username, "password": password})


def test_login_with_right_password_lands_on_the_home_page(client, make_user):
    user = make_user(Role.INTAKE)
    response = _login(client, user.username, "pass1234")
    assert response.status_code == 302 and response.location == "/"
    assert user.display_name in client.get("/").text


def test_wrong_password_and_unknown_user_get_the_same_message(client, make_user):
    user = make_user(Role.INTAKE)
    wrong = _login(client, user.username, "wrong-pass1")
    unknown = _login(client, "nobody", "wrong-pass1")
    assert wrong.status_code == unknown.status_code == 200
    assert "用户名或密码错误" in wrong.text and "用户名或密码错误" in unknown.text


def test_five_failures_from_one_address_throttle_that_name_there_even_for_the_right_password(client, make_user,
                                                                                         session):
    user = make_user(Role.INTAKE)
    for _ in range(5):
        _login(client, user.username, "wrong-pass1")
    response = _login(client, user.username, "pass1234")
    assert response.status_code == 200 and "登录失败次数过多" in response.text
    actions = session.scalars(select(AuditEntry.action).where(AuditEntry.target_id == user.id)).all()
    assert actions.count("auth.login_failed") == 5 and "auth.login_throttled" in actions


def test_the_limit_expires_after_the_configured_minutes(client, make_user, session):
    user = make_user(Role.INTAKE)
    for _ in range(5):
        _login(client, user.username, "wrong-pass1")
    with clock.frozen(clock.now() + timedelta(minutes=16)):
        assert _login(client, user.username, "pass1234").status_code == 302


def test_deactivated_user_cannot_log_in(client, make_user):
    user = make_user(Role.INTAKE, active=False)
    response = _login(client, user.username, "pass1234")
    assert "已停用" in response.text


def test_login_form_without_csrf_token_is_rejected(client, make_user):
    user = make_user(Role.INTAKE)
    response = client.post("/login", data={"username": user.username, "password": "pass1234"}, csrf=False)
    assert response.status_code == 400 and "表单已过期" in response.text
    assert client.get("/").status_code == 302  # still not logged in


def test_forged_csrf_token_is_rejected(client, make_user, login):
    login(make_user(Role.INTAKE))
    response = client.post("/account/password", csrf=False,
                           data={"csrf_token": "forged", "current": "pass1234", "new": "abcd12345", "confirm": "abcd12345"})
    assert response.status_code == 400


def test_next_parameter_only_redirects_to_local_paths(client, make_user):
    user = make_user(Role.ADMIN)
    for evil in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        response = client.post(f"/login?next={evil}", data={"username": user.username, "password": "pass1234",
                                                              "next": evil})
        assert response.location == "/", evil
        client.post("/logout")
    response = client.post("/login", data={"username": user.username, "password": "pass1234",
                                           "next": "/admin/users"})
    assert response.location == "/admin/users"


def test_pages_require_login(client):
    response = client.get("/admin/users")
    assert response.status_code == 302 and "/login" in response.location


def test_logout_ends_the_session(client, make_user, login):
    login(make_user(Role.INTAKE))
    assert client.post("/logout").status_code == 302
    assert client.get("/").status_code == 302


def test_change_own_password(client, make_user, login, session):
    user = make_user(Role.INTAKE)
    login(user)
    response = client.post("/account/password", data={"current": "pass1234", "new": "newpass99", "confirm": "newpass99"})
    assert response.status_code == 302
    client.post("/logout")
    assert _login(client, user.username, "pass1234").status_code == 200
    assert _login(client, user.username, "newpass99").status_code == 302


def test_change_password_refuses_weak_or_mismatched_passwords(client, make_user, login):
    login(make_user(Role.INTAKE))
    weak = client.post("/account/password", data={"current": "pass1234", "new": "12345678", "confirm": "12345678"})
    assert "须同时包含字母和数字" in weak.text
    mismatch = client.post("/account/password", data={"current": "pass1234", "new": "abc12345", "confirm": "abc12346"})
    assert "两次输入的新密码不一致" in mismatch.text
    wrong = client.post("/account/password", data={"current": "nope12345", "new": "abc12345", "confirm": "abc12345"})
    assert "当前密码不正确" in wrong.text


def test_session_cookie_is_httponly_and_samesite(client, make_user):
    user = make_user(Role.INTAKE)
    response = _login(client, user.username, "pass1234")
    cookie = response.headers.get("Set-Cookie")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_over_long_username_gets_a_message_not_an_error(client):
    response = _login(client, "x" * 5000, "pass1234")
    assert response.status_code == 200 and "用户名过长" in response.text
