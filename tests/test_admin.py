from __future__ import annotations

from sqlalchemy import select

from supervision.models.audit import AuditEntry
from supervision.models.org import Department, Role, User


def test_admin_creates_a_department_head_in_a_department(client, make_user, make_department, login, session):
    login(make_user(Role.ADMIN))
    department = make_department(name="市教育局")
    response = client.post("/admin/users/new", data={
        "username": "jyj_head", "display_name": "孙丽", "role": "dept_head",
        "department_id": str(department.id), "password": "start1234", "phone": "", "email": ""})
    assert response.status_code == 302
    created = session.scalar(select(User).where(User.username == "jyj_head"))
    assert created.department_id == department.id and created.role == Role.DEPT_HEAD
    assert session.scalar(select(AuditEntry).where(AuditEntry.action == "user.created",
                                                   AuditEntry.target_id == created.id)) is not None


def test_department_head_without_department_is_refused_and_nothing_saved(client, make_user, login, session):
    login(make_user(Role.ADMIN))
    response = client.post("/admin/users/new", data={
        "username": "nohead", "display_name": "某某", "role": "dept_head", "department_id": "",
        "password": "start1234"})
    assert response.status_code == 200 and "部门负责人必须指定所属部门" in response.text
    assert 'value="nohead"' in response.text  # the form keeps what was typed
    assert session.scalar(select(User).where(User.username == "nohead")) is None


def test_duplicate_username_is_refused(client, make_user, login):
    admin = make_user(Role.ADMIN)
    login(admin)
    response = client.post("/admin/users/new", data={
        "username": admin.username.upper(), "display_name": "重复", "role": "intake", "password": "start1234"})
    assert "已存在" in response.text


def test_deactivating_a_user_keeps_the_row_and_stops_login(client, make_user, login, session):
    login(make_user(Role.ADMIN))
    target = make_user(Role.INTAKE)
    client.post(f"/admin/users/{target.id}/active", data={"active": "0"})
    session.expire_all()
    assert session.get(User, target.id).active is False
    client.post("/logout")
    response = client.post("/login", data={"username": target.username, "password": "pass1234"})
    assert "已停用" in response.text


def test_departments_form_a_hierarchy_and_cannot_be_their_own_ancestor(client, make_user, make_department,
                                                                         login, session):
    login(make_user(Role.ADMIN))
    district = make_department(name="东城区人民政府")
    street = make_department(name="人民路街道", parent=district)
    response = client.post(f"/admin/departments/{district.id}/edit", data={
        "code": district.code, "name": district.name, "kind": "district", "parent_id": str(street.id)})
    assert "上级单位不能是本单位或其下级单位" in response.text
    session.expire_all()
    assert session.get(Department, district.id).parent_id is None


def test_deactivated_department_cannot_receive_new_users(client, make_user, make_department, login, session):
    login(make_user(Role.ADMIN))
    closed = make_department(active=False)
    response = client.post("/admin/users/new", data={
        "username": "late", "display_name": "迟到", "role": "dept_head", "department_id": str(closed.id),
        "password": "start1234"})
    assert response.status_code == 200 and "不是有效的选择" in response.text
    assert session.scalar(select(User).where(User.username == "late")) is None


def test_admin_lifts_the_login_limit_of_a_user(app, client, make_user, login, session):
    target = make_user(Role.INTAKE)
    for _ in range(5):
        client.post("/login", data={"username": target.username, "password": "bad-pass1"})
    login(make_user(Role.ADMIN))
    assert "登录失败 5 次" in client.get("/admin/users").text
    assert "解除登录限制" in client.get(f"/admin/users/{target.id}/edit").text
    client.post(f"/admin/users/{target.id}/unlock")
    assert "登录失败 5 次" not in client.get("/admin/users").text
    assert app.test_client().post("/login", data={"username": target.username, "password": "pass1234"}
                                  ).status_code == 302


def test_new_user_form_defaults_to_least_privilege_and_requires_a_password(client, make_user, login):
    login(make_user(Role.ADMIN))
    page = client.get("/admin/users/new").text
    assert '<option selected value="dept_head">' in page or '<option value="dept_head" selected>' in page
    assert 'selected value="admin"' not in page and 'value="admin" selected' not in page
    assert page.index('value="admin"') > page.index('value="leader"')  # 系统管理员 listed last
    response = client.post("/admin/users/new", data={
        "username": "nopass", "display_name": "某某", "role": "intake", "password": ""})
    assert response.status_code == 200 and "nopass" in response.text


def _must_change(session, user_id: int) -> bool:
    session.expire_all()
    return session.get(User, user_id).must_change_password


def test_a_new_user_must_change_the_password_before_anything_else(client, make_user, login, session):
    login(make_user(Role.ADMIN))
    client.post("/admin/users/new", data={"username": "newbie", "display_name": "新人", "role": "intake",
                                          "password": "Start-9876x"})
    created = session.scalar(select(User).where(User.username == "newbie"))
    assert _must_change(session, created.id) is True
    client.post("/logout")
    assert client.post("/login", data={"username": "newbie", "password": "Start-9876x"}).status_code == 302
    for path in ("/", "/matters/", "/admin/users"):
        response = client.get(path)
        assert response.status_code == 302 and response.headers["Location"].endswith("/account/password")
    page = client.get("/account/password").text
    assert "请先设置只有您自己知道的新密码" in page
    refused = client.post("/account/password", data={"current": "Start-9876x", "new": "Start-9876x",
                                                      "confirm": "Start-9876x"})
    assert "新密码不能与当前密码相同" in refused.text and _must_change(session, created.id) is True
    done = client.post("/account/password", data={"current": "Start-9876x", "new": "Mine-4321zq",
                                                   "confirm": "Mine-4321zq"})
    assert done.status_code == 302 and _must_change(session, created.id) is False
    assert client.get("/").status_code == 200


def test_an_admin_reset_forces_a_change_and_ends_the_users_sessions(app, client, make_user, login, session):
    target = make_user(Role.SUPERVISOR)
    other = app.test_client()
    login(target)  # the user's own session on `client`
    other.post("/login", data={"username": (admin := make_user(Role.ADMIN)).username, "password": "pass1234"})
    response = other.post(f"/admin/users/{target.id}/password", data={"password": "Reset-5555ab"})
    assert response.status_code == 302 and _must_change(session, target.id) is True
    assert client.get("/").status_code == 302  # the old session ended (sent to the login page)
    assert "/login" in client.get("/").headers["Location"]
    login(target, "Reset-5555ab")
    assert client.get("/matters/").headers["Location"].endswith("/account/password")
    client.post("/account/password", data={"current": "Reset-5555ab", "new": "Own-pass-7788",
                                            "confirm": "Own-pass-7788"})
    assert _must_change(session, target.id) is False and client.get("/matters/").status_code == 200
    assert admin.must_change_password is False
