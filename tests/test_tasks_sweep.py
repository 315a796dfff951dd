"""The deadline sweep over 督查事项: task deadlines, milestones and missing progress reports get the same
提醒 → 催办 → 督办 ladder as matters, each event once, with notices naming the item and the 督办通知书."""

from __future__ import annotations

import threading
from datetime import date
from io import BytesIO

from docx import Document
from sqlalchemy import func, select

from supervision import filestore
from supervision import audit, clock
from supervision.escalation.services import SweepPolicy, sweep
from supervision.extensions import db
from supervision.models.documents import GeneratedDocument
from supervision.models.audit import AuditEntry
from supervision.models.escalation import Escalation, EscalationKind, Notification, SupervisionLevel
from supervision.tasks import services

POLICY = SweepPolicy(remind_workdays=2, steps=((1, SupervisionLevel.phone), (6, SupervisionLevel.written)))


def events(session, subject_type: str | None = None) -> list[tuple[str, str, str | None, date]]:
    query = select(Escalation).order_by(Escalation.id)
    if subject_type:
        query = query.where(Escalation.subject_type == subject_type)
    return [(e.subject_type, e.kind.value, e.level.value if e.level else None, e.due_on) for e in session.scalars(query)]


def test_a_missing_progress_report_is_reminded_then_urged_once(session, office, make_task_item):
    item = make_task_item("signed", co=False)
    lead = item.tasks[0]
    assert lead.next_report_on == date(2026, 6, 5)
    assert sweep(session, POLICY, date(2026, 6, 3)).reminders == 1  # 2 working days before Friday
    assert sweep(session, POLICY, date(2026, 6, 4)).recorded == 0
    report = sweep(session, POLICY, date(2026, 6, 8))  # Monday: one working day late
    assert report.urges == 1
    assert sweep(session, POLICY, date(2026, 6, 8)).recorded == 0  # idempotent
    session.commit()
    assert events(session, "task_report") == [("task_report", "reminder", None, date(2026, 6, 5)),
                                              ("task_report", "urge", "phone", date(2026, 6, 5))]
    urge = session.scalars(select(Notification).where(Notification.user_id == office.head.id)
                           .order_by(Notification.id.desc())).first()
    assert urge.title == "催办：DC-2026-00001 老旧小区加装电梯审批提速（进度反馈）"
    assert urge.link == f"/tasks/task/{lead.id}"
    # the late report answers the 6-5 report; the next is due on the next Friday, swept afresh
    with clock.frozen(date(2026, 6, 9)):
        services.report_progress(session, office.head, lead, 20, "补报进展。")
    assert lead.next_report_on == date(2026, 6, 12)
    assert sweep(session, POLICY, date(2026, 6, 9)).urges == 0


def test_milestone_and_final_deadline_escalate_with_a_written_notice(session, office, make_task_item, paperwork):
    item = make_task_item("signed", co=False)
    lead = item.tasks[0]
    milestone_due = lead.milestones[0].due_on  # 2026-06-15
    day = date(2026, 6, 24)  # 6 working days after the milestone (6-19 is 端午)
    report = sweep(session, POLICY, day, paperwork=paperwork)
    session.commit()
    milestone_events = events(session, "task_milestone")
    assert milestone_events == [("task_milestone", "escalation", "written", milestone_due)]
    assert report.notices >= 1
    notice = session.scalar(select(GeneratedDocument).where(
        GeneratedDocument.subject_type == "escalation",
        GeneratedDocument.subject_id == session.scalar(select(Escalation.id).where(
            Escalation.subject_type == "task_milestone"))))
    text = "\n".join(p.text for p in Document(BytesIO(filestore.read_checked(db.session, notice.sha256))).paragraphs)
    assert "督办通知书" in text and office.department.name in text
    assert "以督查通知（督查〔2026〕1号）" in text and "节点：提速方案报市政府" in text
    assert "尚未报送节点完成情况" in text
    assert sweep(session, POLICY, day, paperwork=paperwork).recorded == 0  # once
    # a milestone a report marks reached is swept no more; the final deadline gets its own ladder
    with clock.frozen(day):
        services.report_progress(session, office.head, lead, 60, "方案已报市政府。", milestone_ids=[lead.milestones[0].id])
    sweep(session, POLICY, date(2026, 8, 3))  # the deadline 7-31 was a Friday: one working day late
    session.commit()
    assert ("task", "urge", "phone", lead.due_on) in events(session, "task")
    assert len(events(session, "task_milestone")) == 1
    assert list(audit.verify_chain(session)) == []


def test_applied_and_closed_tasks_are_not_swept(session, office, make_task_item):
    make_task_item("applied")
    assert sweep(session, POLICY, date(2026, 9, 30)).recorded == 0


def test_two_sweeps_at_once_record_each_task_event_once(app, office, make_task_item):
    for _ in range(3):
        make_task_item("signed")
    db.session.remove()
    day = date(2026, 6, 9)
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
        # 3 items × 2 tasks, each owing the 6-5 report: one 催办 each, no more
        counts = dict(db.session.execute(select(Escalation.kind, func.count()).group_by(Escalation.kind)).all())
        assert counts == {EscalationKind.URGE: 6}
        assert list(audit.verify_chain(db.session)) == []


# --- the sweep's notices about tasks settle when the task is done (issue 18 item 3) ------------------------
def _deadline_notices(session, user) -> list[Notification]:
    session.expire_all()
    return list(session.scalars(select(Notification).where(Notification.user_id == user.id,
                                                           Notification.kind == "deadline")))


def test_deadline_notices_about_a_task_ask_and_settle_when_it_is_closed(session, office, make_task_item):
    item = make_task_item("signed", co=False)
    lead = item.tasks[0]
    sweep(session, POLICY, date(2026, 6, 3))  # the first report's reminder
    session.commit()
    [reminder] = _deadline_notices(session, office.head)
    assert reminder.asks_action and reminder.settled_at is None
    assert [i.task for i in reminder.items] == [f"task_report:{lead.id}:handle"]
    with clock.frozen(date(2026, 6, 4)):  # the report owed is given: its notice needs the unit no more
        services.report_progress(session, office.head, lead, 30, "已梳理审批环节。")
    session.commit()
    assert _deadline_notices(session, office.head)[0].settled_at is not None
    day = date(2026, 8, 3)  # every deadline of the task has passed: final deadline, milestone, next report
    sweep(session, POLICY, day)
    session.commit()
    late = [n for n in _deadline_notices(session, office.head) if n.settled_at is None]
    assert late and all(n.asks_action for n in late)
    assert {i.task.split(":")[0] for n in late for i in n.items} == {"task", "task_milestone", "task_report"}
    with clock.frozen(day):
        services.apply_closure(session, office.head, lead, "方案已落实。")
        session.commit()
        assert all(n.settled_at is None for n in late)  # asked for, not yet 销号
        services.review_closure(session, office.supervisor, lead, True, "同意销号。")
    session.commit()
    assert all(n.settled_at is not None for n in _deadline_notices(session, office.head))
    assert session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "notification.settled")) >= 2


def test_deadline_notices_about_a_cancelled_task_settle(session, office, make_task_item):
    item = make_task_item("signed", co=False)
    lead = item.tasks[0]
    sweep(session, POLICY, date(2026, 6, 8))  # the 6-5 report is late
    session.commit()
    [urge] = _deadline_notices(session, office.head)
    assert urge.settled_at is None
    services.cancel_task(session, office.supervisor, lead, "任务调整，另行部署。")
    session.commit()
    assert _deadline_notices(session, office.head)[0].settled_at is not None


def test_a_supervisors_own_urge_of_a_task_settles_when_the_task_is_closed(session, office, make_task_item):
    from supervision.models.escalation import SupervisionLevel as Level

    item = make_task_item("reported", co=False)
    lead = item.tasks[0]
    services.urge_task(session, office.supervisor, lead, Level.phone, "请加快进度。")
    session.commit()
    [urge] = _deadline_notices(session, office.head)
    assert urge.asks_action and urge.settled_at is None
    services.apply_closure(session, office.head, lead, "已完成。")
    services.review_closure(session, office.supervisor, lead, True, "同意销号。")
    session.commit()
    assert _deadline_notices(session, office.head)[0].settled_at is not None


def test_digests_to_every_unit_are_written_in_one_round(session, office, make_task_item):
    """A first sweep over a backlog tells many departments at once: their heads are read in one statement
    (not one per department and kind of event), and each head still gets its own notice."""
    from sqlalchemy import event

    from supervision.models.escalation import NotificationItem

    item = make_task_item("signed")  # a lead unit and a co-unit: two departments to tell
    session.commit()
    engine = session.get_bind()
    statements = []

    def capture(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", capture)
    try:
        report = sweep(session, POLICY, date(2026, 12, 31))  # every deadline of both tasks past
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    session.commit()
    assert report.recorded > 2
    heads_read = [s for s in statements if "FROM user_account" in s and "user_account.role" in s]
    assert len(heads_read) == 1, heads_read
    told = dict(session.execute(select(Notification.user_id, func.count()).group_by(Notification.user_id)).all())
    assert told.get(office.head.id) and told.get(office.co_head.id)
    # each notice names what it is about (the items of the digest), as notify() writes them
    for notification in session.scalars(select(Notification).where(Notification.user_id == office.co_head.id)):
        labels = session.scalars(select(NotificationItem.label).where(
            NotificationItem.notification_id == notification.id)).all()
        assert labels and all(item.serial in label for label in labels)
