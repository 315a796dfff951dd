"""New passwords: long enough, letters and digits, not a common password (Django's list of 20,000), not
the user's own name, username, phone or e-mail (issue 14 item 9)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from supervision.auth import passwords
from supervision.errors import ValidationError
from supervision.models.org import Role, User

GOOD = "Qz7-lantern-harbor"


def change(client, new):
    return client.post("/account/password", data={"current": "pass1234", "new": new, "confirm": new})


@pytest.mark.parametrize("common", ["password1", "Password1", "abc12345", "qwe123456", "woaini1314", "p@ssw0rd"])
def test_common_passwords_are_refused(common):
    with pytest.raises(ValidationError, match="过于常见"):
        passwords.check_password_rules(common, 8, ("someone",))


def test_the_list_is_djangos_twenty_thousand():
    assert len(passwords.common_passwords()) > 19_000
    assert "password1" in passwords.common_passwords()


@pytest.mark.parametrize("password, attributes", [
    ("zhangwei2026", ("zhangwei", "张伟")),
    ("Zhangwei-2026-ok", ("ZhangWei",)),
    ("liaison_s03x", ("liaison_s03",)),
    ("w13800000000", ("clerk", "", "13800000000")),
    ("clerk.wang99", ("wang", "", "", "clerk.wang@example.gov.cn")),
    ("intake1x", ("intake1",)),
])
def test_passwords_containing_or_resembling_the_user_are_refused(password, attributes):
    with pytest.raises(ValidationError, match="不能包含用户名"):
        passwords.check_password_rules(password, 8, attributes)


def test_a_strong_password_passes_and_the_minimum_length_stays():
    passwords.check_password_rules(GOOD, 8, ("intake1", "受理人员1", "13800000000", "a@b.cn"))
    with pytest.raises(ValidationError, match="至少 8 位"):
        passwords.check_password_rules("Qz7-la", 8, ())
    with pytest.raises(ValidationError, match="同时包含字母和数字"):
        passwords.check_password_rules("lanternharbor", 8, ())


def test_changing_ones_own_password_to_a_common_or_own_name_one_is_refused(client, make_user, login, session):
    user = make_user(Role.INTAKE, username="wangfang")
    login(user)
    assert "过于常见" in change(client, "password1").text
    assert "不能包含用户名" in change(client, "wangfang2026").text
    assert change(client, GOOD).status_code == 302
    session.refresh(user)
    assert user.password_changed_at is not None


def test_the_admin_cannot_set_a_common_or_user_derived_password(client, make_user, login, session):
    login(make_user(Role.ADMIN))
    created = client.post("/admin/users/new", data={
        "username": "liming", "display_name": "李明", "role": "intake", "password": "liming123"})
    assert "不能包含用户名" in created.text
    assert session.scalar(select(User).where(User.username == "liming")) is None
    target = make_user(Role.SUPERVISOR)
    reset = client.post(f"/admin/users/{target.id}/password", data={"password": "password1"}, follow_redirects=True)
    assert "过于常见" in reset.text
