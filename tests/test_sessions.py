"""Sessions really end (docs/domain.md §14): a copied session cookie or remember-me cookie stops working after
logout, a password change, an admin's reset and deactivation; a revealed identity belongs to the user
who gave the reason."""

from __future__ import annotations

from sqlalchemy import select

from supervision.models.audit import AuditEntry
from supervision.models.org import Role

SESSION, REMEMBER = "session", "remember_token"


def _login(client, user, password="pass1234", remember=False):
    data = {"username": user.username, "password": password}
    if remember:
        data["remember"] = "y"
    response = client.post("/login", data=data)
    assert response.status_code == 302, response.text
    return client


def _replay(app, **cookies):
    """A new browser holding only copies of the given cookies."""
    thief = app.test_client()
    for name, value in cookies.items():
        thief.set_cookie(name, value)
    return thief


def _cookie(client, name):
    cookie = client.get_cookie(name)
    assert cookie is not None, name
    return cookie.value


def _logged_in(client) -> bool:
    return client.get("/").status_code == 200


def test_a_copied_session_cookie_works_until_logout_and_never_after(app, client, make_user):
    user = make_user(Role.SUPERVISOR)
    _login(client, user)
    copied = _cookie(client, SESSION)
    assert _logged_in(_replay(app, session=copied))  # the copy is a real session (the test can fail)
    client.post("/logout")
    assert not _logged_in(_replay(app, session=copied))
    assert not _logged_in(client)


def test_logout_ends_the_remember_me_cookie_and_the_other_devices(app, make_user):
    user = make_user(Role.SUPERVISOR)
    laptop, phone = app.test_client(), app.test_client()
    _login(laptop, user, remember=True)
    _login(phone, user)
    remembered = _cookie(laptop, REMEMBER)
    assert _logged_in(_replay(app, remember_token=remembered))
    phone.post("/logout")
    assert not _logged_in(_replay(app, remember_token=remembered))
    assert not _logged_in(laptop)


def test_a_password_change_ends_every_other_session_and_keeps_this_one(app, make_user, session):
    user = make_user(Role.INTAKE)
    here, elsewhere = app.test_client(), app.test_client()
    _login(here, user, remember=True)
    _login(elsewhere, user, remember=True)
    old_session, old_remember = _cookie(elsewhere, SESSION), _cookie(elsewhere, REMEMBER)
    response = here.post("/account/password", data={"current": "pass1234", "new": "Qz7-lantern-harbor",
                                                     "confirm": "Qz7-lantern-harbor"})
    assert response.status_code == 302
    assert _logged_in(here)
    assert _logged_in(_replay(app, remember_token=_cookie(here, REMEMBER)))  # renewed with the new generation
    assert not _logged_in(elsewhere)
    assert not _logged_in(_replay(app, session=old_session))
    assert not _logged_in(_replay(app, remember_token=old_remember))
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "auth.password_changed")).one()
    assert entry.actor_id == user.id


def test_an_admin_reset_ends_the_users_sessions(app, make_user, login):
    user = make_user(Role.DEPT_HEAD)
    victim = _login(app.test_client(), user, remember=True)
    copied_session, copied_remember = _cookie(victim, SESSION), _cookie(victim, REMEMBER)
    admin = login(make_user(Role.ADMIN))
    response = admin.post(f"/admin/users/{user.id}/password",
                          data={"password": "Qz7-lantern-harbor", "confirm": "Qz7-lantern-harbor"})
    assert response.status_code == 302
    assert not _logged_in(victim)
    assert not _logged_in(_replay(app, session=copied_session))
    assert not _logged_in(_replay(app, remember_token=copied_remember))
    fresh = _login(app.test_client(), user, "Qz7-lantern-harbor")  # logs in, but must pick their own first
    assert fresh.get("/").headers["Location"].endswith("/account/password")
    assert fresh.get("/account/password").status_code == 200


def test_deactivation_ends_sessions_for_good_even_after_reactivation(app, make_user, login):
    user = make_user(Role.LEADER)
    victim = _login(app.test_client(), user, remember=True)
    copied_session, copied_remember = _cookie(victim, SESSION), _cookie(victim, REMEMBER)
    admin = login(make_user(Role.ADMIN))
    assert admin.post(f"/admin/users/{user.id}/active", data={"active": "0"}).status_code == 302
    assert not _logged_in(_replay(app, session=copied_session))
    assert admin.post(f"/admin/users/{user.id}/active", data={"active": "1"}).status_code == 302
    assert not _logged_in(victim)
    assert not _logged_in(_replay(app, session=copied_session))
    assert not _logged_in(_replay(app, remember_token=copied_remember))


def test_a_forged_or_old_style_user_id_logs_nobody_in(app, client, make_user):
    user = make_user(Role.ADMIN)
    for forged in (str(user.id), f"{user.id}:", f"{user.id}:x", "99999999999999999999999:0", "", ":"):
        with client.session_transaction() as flask_session:
            flask_session["_user_id"] = forged
            flask_session["_fresh"] = True
        assert not _logged_in(client), forged


# --- a revealed identity belongs to the user who gave the reason -------------------------------------
def _reveal(client, matter, reason):
    response = client.post(f"/matters/{matter.id}/identity", data={"reason": reason})
    assert response.status_code == 302


def test_a_revealed_identity_does_not_outlive_logout(client, session, office, make_matter):
    matter = make_matter("accepted")
    _login(client, office.intake)
    _reveal(client, matter, "核实来电人身份")
    assert "13800000000" in client.get(f"/matters/{matter.id}").text
    client.post("/logout")
    _login(client, office.supervisor)  # the same browser
    page = client.get(f"/matters/{matter.id}").text
    assert "13800000000" not in page and "核实来电人身份" not in page
    viewers = session.scalars(select(AuditEntry.actor_id).where(AuditEntry.action == "identity.viewed")).all()
    assert set(viewers) == {office.intake.id}


def test_reveal_state_of_another_user_in_the_session_is_ignored(client, session, office, make_matter):
    """Without a logout in between (a session that outlived its user): the state names its owner."""
    matter = make_matter("accepted")
    _login(client, office.intake)
    _reveal(client, matter, "核实来电人身份")
    with client.session_transaction() as flask_session:
        flask_session["_user_id"] = office.supervisor.get_id()
    page = client.get(f"/matters/{matter.id}").text
    assert office.supervisor.display_name in page  # now the supervisor's session
    assert "13800000000" not in page
    _reveal(client, matter, "督查需要")
    assert "13800000000" in client.get(f"/matters/{matter.id}").text
    rows = session.execute(select(AuditEntry.actor_id, AuditEntry.changes)
                           .where(AuditEntry.action == "identity.viewed").order_by(AuditEntry.seq)).all()
    by_actor = {actor: changes for actor, changes in rows}
    assert "督查需要" in by_actor[office.supervisor.id] and "核实来电人身份" not in by_actor[office.supervisor.id]


def test_login_starts_with_no_revealed_identity(client, office, make_matter):
    matter = make_matter("accepted")
    _login(client, office.intake)
    _reveal(client, matter, "核实来电人身份")
    copied = _cookie(client, SESSION)
    client.post("/logout")
    client.set_cookie(SESSION, copied)  # the reveal state is in there, but the session is over
    assert client.get(f"/matters/{matter.id}").status_code == 302
    _login(client, office.intake)
    assert "13800000000" not in client.get(f"/matters/{matter.id}").text
