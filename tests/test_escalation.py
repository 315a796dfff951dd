"""The deadline sweep (reminder, 催办, 督办 — each exactly once), 催办 by hand, the inbox and deliveries."""

from __future__ import annotations

import gc
import threading
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from matters_factories import signed_in
from supervision import audit, bulk, clock
from supervision.calendar import WorkCalendar
from supervision.errors import PermissionDenied, ValidationError
from supervision.escalation import queries
from supervision.escalation.services import SweepPolicy, sweep, urge_by_hand
from supervision.extensions import db
from supervision.matters.services import IdentityInput
from supervision.models.audit import AuditEntry
from supervision.models.escalation import Delivery, DeliveryStatus, Escalation, EscalationKind, Notification
from supervision.notifications.channels import DeliveryError, LogChannel
from supervision.notifications.services import deliver_pending, notify
from supervision.models.escalation import SupervisionLevel

POLICY = SweepPolicy(remind_workdays=2, steps=((1, SupervisionLevel.phone), (6, SupervisionLevel.written)))
CAL = WorkCalendar()


def kinds(session) -> list[tuple[str, str | None]]:
    return [(e.kind.value, e.level.value if e.level else None)
            for e in session.scalars(select(Escalation).order_by(Escalation.id))]


def test_sweep_reminds_before_the_deadline_then_urges_then_escalates_each_once(session, make_matter, office):
    matter = make_matter("in_progress")
    due = matter.lead_assignment.due_on
    far_before = CAL.add_workdays(clock.today(), 1)
    assert sweep(session, POLICY, far_before).recorded == 0
    two_before = [d for d in (due - timedelta(days=n) for n in range(1, 10)) if CAL.workdays_between(d, due) == 2][0]
    assert sweep(session, POLICY, two_before).reminders == 1
    assert sweep(session, POLICY, due).recorded == 0  # the reminder is not repeated on the last day
    first_workday_after = CAL.add_workdays(due, 1)
    report = sweep(session, POLICY, first_workday_after)
    assert report.urges == 1 and report.escalations == 0
    assert sweep(session, POLICY, first_workday_after).recorded == 0  # idempotent
    sixth = CAL.add_workdays(due, 6)
    assert sweep(session, POLICY, sixth).escalations == 1
    assert sweep(session, POLICY, sixth + timedelta(days=3)).recorded == 0
    session.commit()
    assert kinds(session) == [("reminder", None), ("urge", "phone"), ("escalation", "written")]
    assert list(audit.verify_chain(session)) == []
    assert session.scalar(select(func.count()).select_from(AuditEntry)
                          .where(AuditEntry.action.like("escalation.%"))) == 3


def test_a_sweep_that_starts_late_records_only_the_highest_step_reached(session, make_matter, office):
    matter = make_matter("in_progress")
    report = sweep(session, POLICY, CAL.add_workdays(matter.lead_assignment.due_on, 8))
    session.commit()
    assert (report.urges, report.escalations) == (0, 1)
    assert kinds(session) == [("escalation", "written")]


def test_no_urge_on_the_weekend_after_a_friday_deadline(session, make_matter, office):
    matter = make_matter("in_progress")
    assignment = matter.lead_assignment
    friday = date(2026, 7, 10)
    assignment.due_on = friday
    session.commit()
    assert sweep(session, POLICY, date(2026, 7, 11)).urges == 0  # Saturday
    assert sweep(session, POLICY, date(2026, 7, 12)).urges == 0  # Sunday
    assert sweep(session, POLICY, date(2026, 7, 13)).urges == 1  # Monday: first working day after


def test_a_new_deadline_after_an_extension_gets_its_own_reminder(session, make_matter, office):
    matter = make_matter("in_progress")
    assignment = matter.lead_assignment
    late = CAL.add_workdays(assignment.due_on, 1)
    assert sweep(session, POLICY, late).urges == 1
    assignment.due_on = late + timedelta(days=20)
    session.commit()
    before_new = [d for d in (assignment.due_on - timedelta(days=n) for n in range(1, 10))
                  if CAL.workdays_between(d, assignment.due_on) == 1][0]
    assert sweep(session, POLICY, before_new).reminders == 1


def test_sweep_notifies_the_department_head_without_identity(session, make_matter, office):
    matter = make_matter("in_progress", content="原文标记内容",
                         identity=IdentityInput(name="举报人甲乙丙", phone="13912345678"))
    sweep(session, POLICY, CAL.add_workdays(matter.lead_assignment.due_on, 1))
    session.commit()
    notices = session.scalars(select(Notification).where(Notification.user_id == office.head.id)
                              .order_by(Notification.id)).all()
    assert [n.title[:2] for n in notices] == ["新交", "催办"]
    for notice in notices:
        for marker in ("举报人甲乙丙", "13912345678", "原文标记内容"):
            assert marker not in notice.title + notice.body


@pytest.mark.postgres_only  # concurrent sweeps are exercised on PostgreSQL; SQLite has one writer
def test_two_sweeps_at_once_record_each_event_once(app, database_url, make_matter, office):
    for _ in range(5):
        make_matter("in_progress")
    from supervision.models.matters import Assignment

    due = db.session.scalar(select(func.max(Assignment.due_on)))
    day = CAL.add_workdays(due, 7)
    db.session.remove()
    barrier, errors = threading.Barrier(3), []

    def run() -> None:
        try:
            with app.app_context():
                barrier.wait(timeout=10)
                sweep(db.session, POLICY, day)
                db.session.commit()
                db.session.remove()
        except BaseException as error:  # noqa: BLE001
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    with app.app_context():
        counts = db.session.execute(select(Escalation.kind, func.count()).group_by(Escalation.kind)).all()
        assert dict(counts) == {EscalationKind.ESCALATION: 5}  # 7 working days late: straight to 督办, once each
        audited = db.session.scalars(select(AuditEntry.target_id).where(AuditEntry.action == "escalation.escalation"))
        assert sorted(audited) == sorted(db.session.scalars(select(Escalation.id)))  # audited once each
        assert list(audit.verify_chain(db.session)) == []


def test_supervisor_urges_by_hand_with_a_new_deadline(session, make_matter, office, paperwork):
    matter = make_matter("in_progress")
    assignment = matter.lead_assignment
    new_due = clock.today() + timedelta(days=10)
    urge_by_hand(session, office.supervisor, assignment, SupervisionLevel.written, "请三日内书面报告。", new_due,
                 paperwork=paperwork)
    session.commit()
    assert assignment.due_on == new_due and matter.due_on == new_due
    escalation = session.scalar(select(Escalation))
    assert escalation.issued_by_id == office.supervisor.id and escalation.level == SupervisionLevel.written
    assert session.scalar(select(AuditEntry).where(AuditEntry.action == "escalation.escalation")) is not None
    assert any(e.action == "escalation" and e.new_due_on == new_due for e in matter.events)


def test_only_supervisors_urge_and_a_note_is_required(session, make_matter, office):
    assignment = make_matter("in_progress").lead_assignment
    with pytest.raises(PermissionDenied):
        urge_by_hand(session, office.intake, assignment, SupervisionLevel.phone, "快办")
    with pytest.raises(ValidationError):
        urge_by_hand(session, office.supervisor, assignment, SupervisionLevel.phone, "  ")
    with pytest.raises(ValidationError):
        urge_by_hand(session, office.supervisor, assignment, SupervisionLevel.phone, "快办", clock.today())


def test_urge_route_and_dashboard_permissions(app, make_matter, office):
    matter = make_matter("in_progress")
    supervisor = signed_in(app, office.supervisor)
    response = supervisor.post(f"/supervision/matters/{matter.id}/urge",
                               data={"assignment_id": str(matter.lead_assignment.id), "level": "phone",
                                     "note": "请抓紧办理"})
    assert response.status_code == 302
    assert "请抓紧办理" in supervisor.get(f"/matters/{matter.id}").text
    assert signed_in(app, office.intake).post(f"/supervision/matters/{matter.id}/urge",
                                              data={"assignment_id": "1", "level": "phone", "note": "x"}
                                              ).status_code == 403
    for user, expected in ((office.supervisor, 200), (office.leader, 200), (office.intake, 403),
                           (office.head, 403), (office.admin, 403)):
        assert signed_in(app, user).get("/supervision/").status_code == expected


def test_dashboard_counts_overdue_by_department_and_links_to_the_list(app, session, make_matter, office):
    matter = make_matter("in_progress")
    late = CAL.add_workdays(matter.lead_assignment.due_on, 3)
    with clock.frozen(late):
        page = signed_in(app, office.supervisor).get("/supervision/").text
    assert office.department.name in page
    assert f"department={office.department.id}" in page and "overdue=y" in page


def test_dashboard_numbers_agree_with_the_lists_they_link_to(app, session, make_matter, make_notice, office):
    first, second = make_matter("in_progress"), make_matter("in_progress")
    notice = make_notice("partly_closed")
    late = CAL.add_workdays(max(first.due_on, notice.due_on), 3)
    sweep(session, POLICY, late)
    session.commit()
    total, by_department = queries.overdue_by_department(session, late, CAL)
    assert total == 2 and [(row.department_id, row.count) for row in by_department] == [(office.department.id, 2)]
    assert by_department[0].workdays_overdue == CAL.workdays_overdue(first.due_on, late)
    open_count, overdue_count, notices = queries.open_notices(session, late)
    assert (open_count, overdue_count) == (1, 1)
    assert [(n.notice_id, n.closed, n.total) for n in notices] == [(notice.id, 1, 3)]
    recent = queries.recent_escalations(session)
    assert sorted(e.subject_type for e in recent) == ["assignment", "assignment", "rectification_notice"]
    with clock.frozen(late):
        page = signed_in(app, office.supervisor).get("/supervision/").text
    assert f"/matters/{first.id}#escalations" in page and f"/rectification/{notice.id}" in page
    # 最近催办督办 names the matter (serial and the title the viewer may see), not only the department
    recent_part = page[page.index("<h2>最近催办督办</h2>"):]
    for matter in (first, second):
        assert f"{matter.serial} {matter.title}" in recent_part
    assert "1/3 项已销号" in page and "/rectification/?overdue=y" in page


def test_inbox_shows_unread_count_and_marks_read(app, session, make_matter, office):
    notify(session, [office.head], "催办：测试事项", "请办理", "/matters/1")
    session.commit()
    client = signed_in(app, office.head)
    assert 'badge-count">1<' in client.get("/").text
    notification = session.scalar(select(Notification))
    client.post(f"/inbox/{notification.id}/open")
    session.expire_all()
    assert session.get(Notification, notification.id).read_at is not None
    assert session.scalar(select(AuditEntry).where(AuditEntry.action == "notification.read")) is not None
    other = signed_in(app, office.other_head)
    notify(session, [office.head], "第二条")
    session.commit()
    second = session.scalar(select(Notification).order_by(Notification.id.desc()))
    other.post(f"/inbox/{second.id}/open")
    session.expire_all()
    assert session.get(Notification, second.id).read_at is None  # not theirs


class FailingChannel:
    name = "email"
    address_field = "email"

    def send(self, address, subject, body, *, idempotency_key=""):
        raise DeliveryError("SMTP: connection refused")


def test_failed_delivery_is_retried_and_never_loses_the_notice(session, office, tmp_path):
    office.head.email = "head@example.org"
    notify(session, [office.head], "催办：测试", "请办理", channels=("log", "email"))
    session.commit()
    sent, failed = deliver_pending(session, [LogChannel(tmp_path / "n.log"), FailingChannel()])
    session.commit()
    assert (sent, failed) == (1, 1)
    email = session.scalar(select(Delivery).where(Delivery.channel == "email"))
    assert email.status == DeliveryStatus.PENDING and email.attempts == 1 and "refused" in email.last_error
    assert email.next_attempt_at > clock.now()
    assert session.scalar(select(func.count()).select_from(Notification)) == 1
    assert "催办：测试" in (tmp_path / "n.log").read_text(encoding="utf-8")
    with clock.frozen(clock.now() + timedelta(hours=1)):
        assert deliver_pending(session, [FailingChannel()]) == (0, 1)


def test_flask_sweep_command_is_idempotent(app, make_matter, office):
    matter = make_matter("in_progress")
    day = CAL.add_workdays(matter.lead_assignment.due_on, 1).isoformat()
    runner = app.test_cli_runner()
    first = runner.invoke(args=["sweep", "--today", day])
    second = runner.invoke(args=["sweep", "--today", day])
    assert first.exit_code == 0 and "催办 1" in first.output
    assert second.exit_code == 0 and "催办 0" in second.output


def test_a_department_with_several_overdue_matters_gets_one_digest(session, make_matter, office):
    first, second = make_matter("in_progress"), make_matter("in_progress")
    sweep(session, POLICY, CAL.add_workdays(max(first.lead_assignment.due_on, second.lead_assignment.due_on), 1))
    session.commit()
    notices = session.scalars(select(Notification).where(Notification.user_id == office.head.id,
                                                         Notification.title.like("催办%"))).all()
    assert len(notices) == 1 and "2 件事项" in notices[0].title
    assert first.serial in notices[0].body and second.serial in notices[0].body
    assert session.scalar(select(func.count()).select_from(Escalation)) == 2


def test_the_procedure_feeds_the_inbox_of_whoever_acts_next(session, make_matter, office):
    matter = make_matter("replied")
    titles = lambda user: [n.title for n in session.scalars(  # noqa: E731
        select(Notification).where(Notification.user_id == user.id).order_by(Notification.id))]
    assert any(t.startswith("新交办（主办）") and matter.serial in t for t in titles(office.head))
    assert any(t.startswith("办结报告待审核") for t in titles(office.supervisor))
    from supervision.matters import services

    services.review_reply(session, office.supervisor, matter, False, "请补充调查")
    session.commit()
    assert titles(office.head)[-1].startswith("办结报告被退回重办")
    assert titles(office.other_head) == []


def test_sweep_urges_an_overdue_rectification_notice_once(session, office, make_notice):
    notice = make_notice("received")
    day = CAL.add_workdays(notice.due_on, 1)
    report = sweep(session, POLICY, day)
    session.commit()
    assert report.urges == 1
    escalation = session.scalar(select(Escalation).where(Escalation.subject_type == "rectification_notice"))
    assert escalation.subject_id == notice.id and escalation.department_id == office.department.id
    assert sweep(session, POLICY, day).recorded == 0
    heads = session.scalars(select(Notification.title).where(Notification.user_id == office.head.id)).all()
    assert any(notice.number in title for title in heads)


@pytest.mark.parametrize("chunk", [None, 2], ids=["one statement", "chunks of two"])
def test_every_event_of_a_large_sweep_is_audited_exactly_once(session, make_matter, office, make_notice, chunk,
                                                              monkeypatch):
    if chunk:  # several statements (PostgreSQL: in one pipeline), the audit chain continuing across them
        monkeypatch.setattr(bulk, "CHUNK", chunk)
    matters = [make_matter("in_progress") for _ in range(4)]
    notice = make_notice("received")
    day = CAL.add_workdays(max([m.lead_assignment.due_on for m in matters] + [notice.due_on]), 7)
    report = sweep(session, POLICY, day)
    session.commit()
    assert report.escalations == 5 and report.by_level == {"written": 5}
    events = session.execute(select(Escalation.id, Escalation.event_key, Escalation.workdays_overdue)).all()
    entries = session.execute(select(AuditEntry.target_id, AuditEntry.summary, AuditEntry.changes)
                              .where(AuditEntry.action == "escalation.escalation")).all()
    assert sorted(target_id for target_id, *_ in entries) == sorted(id_ for id_, *_ in events)
    assert {key.split(":")[0] for _, key, _ in events} == {"assignment", "rectification_notice"}
    assert all(summary.startswith("书面督办：") and summary.endswith("（自动）") for _, summary, _ in entries)
    assert all('"level":"written"' in changes for *_, changes in entries)
    assert sweep(session, POLICY, day).recorded == 0
    session.commit()
    assert list(audit.verify_chain(session)) == []


def test_sweep_leaves_the_cycle_collector_as_it_found_it(session, make_matter, office):
    make_matter("in_progress")
    assert gc.isenabled()
    sweep(session, POLICY, date(2026, 3, 2))
    assert gc.isenabled()
    gc.disable()
    try:
        sweep(session, POLICY, date(2026, 3, 3))
        assert not gc.isenabled()
    finally:
        gc.enable()
