"""Notices that name their matters and link to each (issue 18, item 2), and an inbox whose notices about a
task are settled when the task is done (item 3)."""

from __future__ import annotations

import re

from sqlalchemy import select

from matters_factories import audit_entries, matter_input, signed_in
from supervision import clock
from supervision.calendar import WorkCalendar
from supervision.escalation.services import SweepPolicy, sweep
from supervision.matters import services
from supervision.models.escalation import Notification, SupervisionLevel
from supervision.notifications.services import pending_count

POLICY = SweepPolicy(remind_workdays=2, steps=((1, SupervisionLevel.phone), (6, SupervisionLevel.written)))
CAL = WorkCalendar()
CITIZEN_TITLE = "举报人王某某自拟标题"


def assigned(session, office, n: int, *, citizen: bool = False):
    """``n`` matters assigned to the office's department today (same deadline); a citizen's own
    submission gets the 交办标题 intake writes, its own title stays in the office."""
    matters = []
    for i in range(n):
        title = CITIZEN_TITLE if citizen else f"窗口办事拖拉{i}"
        matter = services.register_matter(session, None if citizen else office.intake,
                                           matter_input(title=title), public=citizen)
        services.accept_matter(session, office.intake, matter)
        services.assign_matter(session, office.intake, matter, lead=office.department,
                               assigned_title=f"交办标题{i}" if citizen else None)
        services.sign_assignment(session, office.head, matter.lead_assignment)
        matters.append(matter)
    session.commit()
    return matters


def notices_of(session, user, prefix: str) -> list[Notification]:
    return list(session.scalars(select(Notification).where(Notification.user_id == user.id,
                                                           Notification.title.like(f"{prefix}%"))
                                .order_by(Notification.id)))


def reminder_day(due):
    return [d for d in (due - __import__("datetime").timedelta(days=n) for n in range(1, 10))
            if CAL.workdays_between(d, due) == 2][0]


def test_a_reminder_digest_names_each_matter_and_links_to_each(app, session, office):
    matters = assigned(session, office, 3, citizen=True)
    sweep(session, POLICY, reminder_day(matters[0].lead_assignment.due_on))
    session.commit()
    [notice] = notices_of(session, office.head, "到期提醒")
    text = notice.title + "\n" + notice.body  # what the SMS and the e-mail carry
    for i, matter in enumerate(matters):
        assert f"{matter.serial} 交办标题{i}" in text
    assert CITIZEN_TITLE not in text
    assert text.count("办理时限为") <= 1  # not the same sentence three times over
    client = signed_in(app, office.head)
    inbox = client.get("/inbox/").text
    for i, matter in enumerate(matters):
        assert f"{matter.serial} 交办标题{i}" in inbox
    assert CITIZEN_TITLE not in inbox
    # Opened: the digest lists each matter with its own link (not the whole ledger).
    digest = client.post(f"/inbox/{notice.id}/open", follow_redirects=True).text
    for matter in matters:
        assert f'href="/matters/{matter.id}"' in digest or f"/matters/{matter.id}" in digest
    assert 'href="/matters/?sort=due"' not in digest
    session.expire_all()
    assert session.get(Notification, notice.id).read_at is not None


def test_one_matter_one_link_and_office_staff_see_their_title(app, session, office):
    [matter] = assigned(session, office, 1, citizen=True)
    services.submit_reply(session, office.head, matter.lead_assignment, "已办结。", "已办结，感谢监督。")
    session.commit()
    [notice] = notices_of(session, office.supervisor, "办结报告待审核")
    assert matter.serial in notice.title
    client = signed_in(app, office.supervisor)
    response = client.post(f"/inbox/{notice.id}/open")
    assert response.headers["Location"].endswith(f"/matters/{matter.id}")
    [told] = notices_of(session, office.head, "新交办")
    assert f"{matter.serial} 交办标题0" in told.title and CITIZEN_TITLE not in told.title + told.body


def test_a_review_notice_is_settled_when_the_report_is_reviewed(app, session, office):
    [matter] = assigned(session, office, 1)
    services.submit_reply(session, office.head, matter.lead_assignment, "已办结。", "已办结，感谢监督。")
    session.commit()
    [notice] = notices_of(session, office.supervisor, "办结报告待审核")
    assert notice.settled_at is None
    client = signed_in(app, office.supervisor)
    client.post(f"/inbox/{notice.id}/open")  # read, but the report still waits for review
    assert pending_count(session, office.supervisor) == 1
    assert 'badge-count">1<' in client.get("/").text
    services.review_reply(session, office.supervisor, matter, True)
    session.commit()
    session.expire_all()
    assert session.get(Notification, notice.id).settled_at is not None
    assert pending_count(session, office.supervisor) == 0
    assert 'inbox-link" href="/inbox/" title="通知">通知<' in client.get("/").text
    assert audit_entries(session, "notification.settled")
    page = client.get("/inbox/?state=settled").text
    assert "办结报告待审核" in page and "已办结" in page
    assert "办结报告待审核" not in client.get("/inbox/?state=pending").text


def test_a_sign_notice_is_settled_when_signed_and_unread_filters(app, session, office):
    matter = services.register_matter(session, office.intake, matter_input())
    services.accept_matter(session, office.intake, matter)
    services.assign_matter(session, office.intake, matter, lead=office.department)
    session.commit()
    [notice] = notices_of(session, office.head, "新交办")
    assert pending_count(session, office.head) == 1
    client = signed_in(app, office.head)
    assert "新交办" in client.get("/inbox/?state=unread").text
    assert "新交办" in client.get("/inbox/?kind=assign").text
    assert "新交办" not in client.get("/inbox/?kind=deadline").text
    services.sign_assignment(session, office.head, matter.lead_assignment)
    session.commit()
    session.expire_all()
    assert session.get(Notification, notice.id).settled_at is not None
    assert pending_count(session, office.head) == 0


def test_the_urge_is_settled_when_the_department_reports(app, session, office):
    [matter] = assigned(session, office, 1)
    sweep(session, POLICY, CAL.add_workdays(matter.lead_assignment.due_on, 1))
    session.commit()
    [urge] = notices_of(session, office.head, "催办")
    assert matter.serial in urge.title and urge.settled_at is None
    services.submit_reply(session, office.head, matter.lead_assignment, "已办结。", "已办结，感谢监督。")
    session.commit()
    session.expire_all()
    assert session.get(Notification, urge.id).settled_at is not None


def test_inbox_junk_filters_are_ignored(app, session, office):
    client = signed_in(app, office.head)
    for query in ("state=zzz", "kind=<b>", "page=-1", "state=settled&kind=assign&page=99"):
        assert client.get(f"/inbox/?{query}").status_code == 200
    assert client.get("/inbox/999999").status_code == 404
    assert client.post("/inbox/999999/open").status_code in (302, 404)


def test_the_upgrade_settles_old_notices_about_done_tasks(app, session, office):
    """Migration 0035 reads the notices written before it: the matters they name become their items, and
    those asking for a task already done are settled; the others settle when the task is done."""
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import func

    from supervision.models.matters import Matter
    from supervision.models.org import User

    done, waiting = assigned(session, office, 2)
    for matter in (done, waiting):
        services.submit_reply(session, office.head, matter.lead_assignment, "已办结。", "已办结，感谢监督。")
    services.review_reply(session, office.supervisor, done, True)
    unsigned = services.register_matter(session, office.intake, matter_input())
    services.accept_matter(session, office.intake, unsigned)
    services.assign_matter(session, office.intake, unsigned, lead=office.department)
    session.commit()
    ids = {"done": done.id, "waiting": waiting.id, "unsigned": unsigned.id,
           "supervisor": office.supervisor.id, "head": office.head.id}
    label = {key: f"{m.serial} {m.title}" for key, m in (("done", done), ("waiting", waiting), ("unsigned", unsigned))}
    session.remove()
    from pathlib import Path

    from alembic.script import ScriptDirectory

    before = ScriptDirectory(str(Path(__file__).resolve().parent.parent / "migrations")).get_revision("0035")
    downgrade(revision=before.down_revision)  # the notices as the version before wrote them: title, body, link
    upgrade()
    supervisor, head = session.get(User, ids["supervisor"]), session.get(User, ids["head"])

    def notice(user, title):
        return session.scalar(select(Notification).where(Notification.user_id == user.id,
                                                          Notification.title == title))

    old_done = notice(supervisor, f"办结报告待审核：{label['done']}")
    old_waiting = notice(supervisor, f"办结报告待审核：{label['waiting']}")
    assert old_done.kind == "review" and old_done.asks_action and old_done.settled_at is not None
    assert old_waiting.asks_action and old_waiting.settled_at is None
    assert [i.link for i in old_waiting.items] == [f"/matters/{ids['waiting']}"]
    signed = notice(head, f"新交办（主办）：{label['done']}")
    to_sign = notice(head, f"新交办（主办）：{label['unsigned']}")
    assert signed.kind == "assign" and signed.settled_at is not None and to_sign.settled_at is None
    unread_info = session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == supervisor.id, Notification.read_at.is_(None), Notification.asks_action.is_(False)))
    assert pending_count(session, supervisor) == 1 + unread_info
    # The task keys found for the waiting ones work: doing the task settles them.
    services.review_reply(session, supervisor, session.get(Matter, ids["waiting"]), True)
    services.sign_assignment(session, head, session.get(Matter, ids["unsigned"]).lead_assignment)
    session.commit()
    session.expire_all()
    assert session.get(Notification, old_waiting.id).settled_at is not None
    assert session.get(Notification, to_sign.id).settled_at is not None
