"""Password guessing is throttled per typed name and per address (issue 14 item 9): nobody can lock a
user — the admin included — out of their own machine, and neither the answer nor the work done tells
whether a name exists."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from supervision.auth import services
from supervision.models.audit import AuditEntry
from supervision.models.logins import LoginAttempt
from supervision.models.org import Role

HOME, ATTACKER = "10.0.0.7", "10.66.0.1"


def attempt(client, username, password, address):
    return client.post("/login", data={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def message(response) -> str:
    found = re.findall(r'<div class="flash flash-\w+"[^>]*>([^<]*)</div>', response.text)
    assert found, response.text
    return found[-1].strip()


def test_nobody_can_lock_the_admin_out_of_their_own_machine(app, make_user):
    admin = make_user(Role.ADMIN)
    assert attempt(app.test_client(), admin.username, "pass1234", HOME).status_code == 302  # their machine
    attacker = app.test_client()
    for n in range(5):
        attempt(attacker, admin.username, "wrong-pass1", ATTACKER)
    for n in range(30):  # and from many addresses: past the per-name limit too
        attempt(attacker, admin.username, "wrong-pass1", f"10.77.0.{n}")

    assert attempt(app.test_client(), admin.username, "pass1234", HOME).status_code == 302
    # the attacker's address, and addresses the admin never used, are refused even the right password
    assert "登录失败次数过多" in message(attempt(app.test_client(), admin.username, "pass1234", ATTACKER))
    assert "登录失败次数过多" in message(attempt(app.test_client(), admin.username, "pass1234", "10.88.0.1"))


def test_a_users_own_typos_do_not_keep_them_out_after_they_get_in(app, client, make_user):
    user = make_user(Role.INTAKE)
    for _ in range(4):
        attempt(client, user.username, "wrong-pass1", HOME)
    assert attempt(client, user.username, "pass1234", HOME).status_code == 302
    client.post("/logout")
    for _ in range(4):
        attempt(client, user.username, "wrong-pass1", HOME)
    assert attempt(client, user.username, "pass1234", HOME).status_code == 302  # the earlier four stopped counting


def test_one_address_trying_many_names_is_throttled_for_every_name(app, client, make_user):
    user = make_user(Role.SUPERVISOR)
    for n in range(20):
        attempt(client, f"guess{n}", "wrong-pass1", ATTACKER)
    assert "登录失败次数过多" in message(attempt(client, user.username, "pass1234", ATTACKER))
    assert attempt(app.test_client(), user.username, "pass1234", HOME).status_code == 302


def test_existing_and_unknown_names_get_the_same_answers_at_every_step(app, make_user):
    user = make_user(Role.INTAKE)
    existing, unknown = app.test_client(), app.test_client()
    for step in range(7):
        seen = message(attempt(existing, user.username, "wrong-pass1", HOME))
        ghost = message(attempt(unknown, "no-such-user", "wrong-pass1", HOME))
        assert seen == ghost, step
    assert "登录失败次数过多" in seen
    # the right password of a throttled name gets that same answer
    assert message(attempt(existing, user.username, "pass1234", HOME)) == seen


def test_every_attempt_checks_one_password_hash_of_the_same_kind(app, client, make_user, monkeypatch):
    user = make_user(Role.INTAKE)
    checked: list[str] = []
    real_check = services.check_password_hash

    def counting(pwhash, password):
        checked.append(pwhash.split("$", 1)[0])
        return real_check(pwhash, password)

    monkeypatch.setattr(services, "check_password_hash", counting)
    method = services.PASSWORD_HASH_METHOD
    cases = [(user.username, "wrong-pass1")] * 6 + [("no-such-user", "wrong-pass1")] * 6 + \
            [(user.username, "pass1234")]
    for username, password in cases:
        before = len(checked)
        attempt(client, username, password, HOME)
        assert checked[before:] == [method], (username, len(checked) - before)


def test_every_attempt_records_one_attempt_and_one_audit_row_whether_the_name_exists_or_not(app, client, session,
                                                                                           make_user):
    user = make_user(Role.INTAKE)

    def counts():
        return (session.scalar(select(func.count()).select_from(LoginAttempt)),
                session.scalar(select(func.count()).select_from(AuditEntry)))

    for username in [user.username] * 6 + ["no-such-user"] * 6:
        before = counts()
        attempt(client, username, "wrong-pass1", HOME)
        after = counts()
        assert (after[0] - before[0], after[1] - before[1]) == (1, 1), username
    rows = session.scalars(select(LoginAttempt.username).distinct()).all()
    assert set(rows) == {user.username.lower(), "no-such-user"}
