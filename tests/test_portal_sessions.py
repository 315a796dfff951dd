"""The public side keeps its state on the server (issue 14 items 8 and 9): a CAPTCHA's answer never
reaches the browser and a solved one cannot be replayed, also not from a copy of the cookie or twice at
once; a progress look-up ends after 30 idle minutes and 退出查询 ends it for every copy of the cookie."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from matters_factories import TODAY
from supervision import clock
from supervision.extensions import db
from supervision.models.matters import Matter
from supervision.models.portal import PortalCaptcha, PortalLookup
from test_portal_submit import captcha_answer, complaint_fields

NOON = datetime.combine(TODAY, datetime.min.time()) + timedelta(hours=12)


def _copy(app, client):
    """Another browser with a copy of this one's cookies."""
    other = app.test_client()
    other.set_cookie("session", client.get_cookie("session").value)
    return other


def _matters() -> int:
    return db.session.scalar(select(func.count()).select_from(Matter))


def test_the_answer_is_not_in_the_browsers_cookie(app, client, office):
    client.get("/public/complaint")
    with client.session_transaction() as stored:
        kept = stored["portal_captcha"]
    assert isinstance(kept, str) and len(kept) >= 32  # an opaque token, no question, no answer
    assert db.session.scalar(select(func.count()).select_from(PortalCaptcha)) == 1


def test_a_solved_captcha_cannot_be_replayed_from_a_copied_cookie(app, client, office):
    client.get("/public/complaint")
    fields = {**complaint_fields(office.department), "captcha": captcha_answer(client)}
    replayer = _copy(app, client)  # the cookie as it was when the question was asked

    assert client.post("/public/complaint", data=fields).status_code == 302
    replay = replayer.post("/public/complaint", data=fields)

    assert replay.status_code == 400 and "验证问题回答不正确" in replay.text
    assert _matters() == 1


def test_a_wrong_answer_uses_the_question_up_for_every_copy(app, client, office):
    client.get("/public/complaint")
    right = captcha_answer(client)
    replayer = _copy(app, client)
    client.post("/public/complaint", data={**complaint_fields(office.department), "captcha": str(int(right) + 1)})

    again = replayer.post("/public/complaint", data={**complaint_fields(office.department), "captcha": right})

    assert again.status_code == 400 and _matters() == 0


def test_an_old_question_has_expired(app, client, office):
    with clock.frozen(NOON):
        client.get("/public/complaint")
        answer = captcha_answer(client)
    with clock.frozen(NOON + timedelta(minutes=app.config["PORTAL_CAPTCHA_MINUTES"] + 1)):
        late = client.post("/public/complaint", data={**complaint_fields(office.department), "captcha": answer})
    assert late.status_code == 400 and _matters() == 0


@pytest.mark.postgres_only  # true concurrency is a PostgreSQL property; SQLite serialises writers itself
def test_the_same_solved_question_sent_twice_at_once_counts_once(app, database_url, client, office):
    client.get("/public/complaint")
    fields = {**complaint_fields(office.department), "captcha": captcha_answer(client)}
    browsers = [_copy(app, client) for _ in range(4)]
    db.session.remove()
    barrier, codes = threading.Barrier(len(browsers)), []

    def send(browser) -> None:
        with app.app_context():
            barrier.wait(timeout=10)
            codes.append(browser.post("/public/complaint", data=fields).status_code)
            db.session.remove()

    threads = [threading.Thread(target=send, args=(b,)) for b in browsers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(codes) == [302, 400, 400, 400]
    assert _matters() == 1


# --- the progress look-up ----------------------------------------------------------------------------
def _look_up(client, matter):
    response = client.post("/public/track", data={"serial": matter.serial, "query_code": matter.query_code})
    assert response.status_code == 302
    return response


def test_exit_ends_the_lookup_for_every_copy_of_the_cookie(app, client, make_matter):
    matter = make_matter("in_progress")
    _look_up(client, matter)
    copied = _copy(app, client)
    assert copied.get("/public/track/result").status_code == 200  # the copy works while the look-up is open

    client.post("/public/track/exit")

    assert copied.get("/public/track/result").status_code == 302
    assert client.get("/public/track/result").status_code == 302
    assert db.session.scalars(select(PortalLookup)).one().ended_at is not None


def test_a_lookup_ends_after_thirty_idle_minutes(app, client, make_matter):
    matter = make_matter("in_progress")
    with clock.frozen(NOON):
        _look_up(client, matter)
    with clock.frozen(NOON + timedelta(minutes=20)):
        assert client.get("/public/track/result").status_code == 200  # used: the idle time starts again
    with clock.frozen(NOON + timedelta(minutes=45)):
        assert client.get("/public/track/result").status_code == 200
    with clock.frozen(NOON + timedelta(minutes=76)):
        gone = client.get("/public/track/result")
        assert gone.status_code == 302 and gone.location.endswith("/public/track")
        assert "查询已结束或超时" in client.get("/public/track").text
    with clock.frozen(NOON + timedelta(minutes=77)):
        assert client.get("/public/track/result").status_code == 302  # and it stays ended


def test_a_new_lookup_ends_the_previous_one(app, client, make_matter):
    first, second = make_matter("in_progress"), make_matter("in_progress")
    _look_up(client, first)
    copied = _copy(app, client)
    _look_up(client, second)
    assert copied.get("/public/track/result").status_code == 302
    assert second.serial in client.get("/public/track/result").text


def test_the_sweep_removes_day_old_questions_and_lookups(app, client, make_matter):
    matter = make_matter("in_progress")
    with clock.frozen(NOON - timedelta(days=2)):
        client.get("/public/complaint")
        _look_up(client, matter)
    with clock.frozen(NOON):
        client.get("/public/complaint")
        result = app.test_cli_runner().invoke(args=["sweep"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(func.count()).select_from(PortalCaptcha)) == 1
    assert db.session.scalar(select(func.count()).select_from(PortalLookup)) == 0
