"""A written 督办 (书面 / 挂牌 / 提级, by hand or by the sweep) issues its 督办通知书 at that step: generated,
numbered from the shared registry, registered, delivered to the department's heads — never only on request."""

from __future__ import annotations

import io
from datetime import timedelta

from docx import Document
from sqlalchemy import select

from matters_factories import last_audit, signed_in
from supervision import filestore
from supervision.extensions import db
from supervision import clock
from supervision.calendar import WorkCalendar
from supervision.escalation.services import SweepPolicy, sweep, urge_by_hand
from supervision.models.documents import GeneratedDocument
from supervision.models.escalation import Escalation, Notification
from supervision.paperwork.data import SupervisionLevel

POLICY = SweepPolicy(remind_workdays=2, steps=((1, SupervisionLevel.phone), (6, SupervisionLevel.written),
                                               (16, SupervisionLevel.listed)))
CAL = WorkCalendar()


def notices(session) -> list[GeneratedDocument]:
    return list(session.scalars(select(GeneratedDocument).where(GeneratedDocument.doc_type == "reminder_notice")
                                .order_by(GeneratedDocument.id)))


def text_of(app, document: GeneratedDocument) -> str:
    from pathlib import Path

    doc = Document(io.BytesIO(filestore.read_checked(db.session, document.sha256)))
    return "\n".join(p.text for p in doc.paragraphs)


def test_a_written_escalation_by_hand_issues_its_numbered_notice_and_tells_the_department(
        app, session, make_matter, office, paperwork):
    matter = make_matter("in_progress")
    assignment = matter.lead_assignment
    with clock.frozen(CAL.add_workdays(assignment.due_on, 3)):
        escalation = urge_by_hand(session, office.supervisor, assignment, SupervisionLevel.written,
                                  "请于三日内书面报告逾期原因。", paperwork=paperwork)
    session.commit()
    (document,) = notices(session)
    assert (document.title, document.number) == ("督办通知书", "效督〔2026〕1号")
    assert (document.subject_type, document.subject_id) == ("escalation", escalation.id)
    assert document.department_id == office.department.id and document.matter_id == matter.id
    text = text_of(app, document)
    assert office.department.name in text and matter.serial in text and "书面督办" in text
    assert "请于三日内书面报告逾期原因。" in text and "张某某" not in text  # never the complainant
    assert "超过办理时限3个工作日" in text
    told = session.scalars(select(Notification).where(Notification.user_id == office.head.id,
                                                      Notification.link == f"/documents/{document.id}")).all()
    assert len(told) == 1 and "效督〔2026〕1号" in told[0].title
    assert signed_in(app, office.head).get(f"/documents/{document.id}").status_code == 200
    assert signed_in(app, office.other_head).get(f"/documents/{document.id}").status_code == 404
    entry, changes = last_audit(session, "escalation.notice_delivered", escalation)
    assert changes["document_id"] == document.id


def test_a_phone_urge_is_a_call_not_a_document(session, make_matter, office, paperwork):
    assignment = make_matter("in_progress").lead_assignment
    urge_by_hand(session, office.supervisor, assignment, SupervisionLevel.phone, "请抓紧。", paperwork=paperwork)
    assert notices(session) == []


def test_the_sweep_issues_each_written_escalation_its_notice_once(app, session, make_matter, office, paperwork):
    matter = make_matter("in_progress")
    due = matter.lead_assignment.due_on
    assert sweep(session, POLICY, CAL.add_workdays(due, 1), paperwork=paperwork).notices == 0  # 催办: none
    report = sweep(session, POLICY, CAL.add_workdays(due, 6), paperwork=paperwork)
    assert report.escalations == 1 and report.notices == 1 and "督办通知书 1 份" in str(report)
    assert sweep(session, POLICY, CAL.add_workdays(due, 7), paperwork=paperwork).notices == 0  # idempotent
    sweep(session, POLICY, CAL.add_workdays(due, 16), paperwork=paperwork)
    session.commit()
    written, listed = notices(session)
    assert (written.title, written.number) == ("督办通知书", "效督〔2026〕1号")
    assert (listed.title, listed.number) == ("挂牌督办通知书", "效督〔2026〕2号")
    assert "第二次催办" in text_of(app, listed) or "第三次催办" in text_of(app, listed)


def test_a_sweep_without_paperwork_leaves_the_notice_to_the_next_one_that_has_it(session, make_matter, office,
                                                                               paperwork):
    matter = make_matter("in_progress")
    day = CAL.add_workdays(matter.lead_assignment.due_on, 6)
    sweep(session, POLICY, day)
    assert notices(session) == []
    assert sweep(session, POLICY, day, paperwork=paperwork).notices == 1


def test_an_overdue_rectification_notice_gets_its_own_escalation_notice(app, session, make_notice, office,
                                                                        paperwork):
    notice = make_notice("issued")
    sweep(session, POLICY, CAL.add_workdays(notice.due_on, 6), paperwork=paperwork)
    session.commit()
    (document,) = notices(session)
    assert document.department_id == notice.department_id
    assert notice.number in text_of(app, document)


def test_the_sweep_command_issues_the_notices(app, session, make_matter, office):
    matter = make_matter("in_progress")
    day = CAL.add_workdays(matter.lead_assignment.due_on, 6)
    result = app.test_cli_runner().invoke(args=["sweep", "--today", day.isoformat()])
    assert result.exit_code == 0, result.output
    session.expire_all()
    assert len(notices(session)) == 1 and "督办通知书 1 份" in result.output


def test_the_urge_form_issues_the_notice(app, session, make_matter, office):
    matter = make_matter("in_progress")
    response = signed_in(app, office.supervisor).post(f"/supervision/matters/{matter.id}/urge", data={
        "assignment_id": str(matter.lead_assignment.id), "level": "listed", "note": "挂牌督办，限期办结",
        "new_due_on": (clock.today() + timedelta(days=7)).isoformat()})
    assert response.status_code == 302
    (document,) = notices(session)
    assert document.title == "挂牌督办通知书"
    assert session.scalar(select(Escalation.id)) == document.subject_id


def test_the_sweep_command_issues_a_backlogs_notices_in_committed_batches_and_leaves_the_rest(
        app, session, make_matter, office):
    """A first sweep over a backlog (a history imported with many overdue matters) must not hold every
    督办通知书 in one transaction for hours: it commits them a batch at a time, stops after its time budget,
    says how many are left, and the next run goes on (issue 21: 1,000,000 matters)."""
    matters = [make_matter("in_progress") for _ in range(5)]
    day = CAL.add_workdays(max(m.lead_assignment.due_on for m in matters), 6)
    app.config.update(SWEEP_NOTICE_BATCH=2, SWEEP_NOTICES_SECONDS=0)  # one batch a run
    runner = app.test_cli_runner()
    first = runner.invoke(args=["sweep", "--today", day.isoformat()])
    assert first.exit_code == 0, first.output
    session.expire_all()
    assert len(notices(session)) == 2 and "督办通知书 2 份" in first.output and "待下次运行继续生成" in first.output
    escalations = session.scalars(select(Escalation)).all()
    assert len(escalations) == 5  # every 督办 itself is recorded (and committed) at once
    second = runner.invoke(args=["sweep", "--today", day.isoformat()])
    session.expire_all()
    assert len(notices(session)) == 4 and "待下次运行继续生成" in second.output
    app.config.update(SWEEP_NOTICES_SECONDS=60)
    third = runner.invoke(args=["sweep", "--today", day.isoformat()])
    session.expire_all()
    assert len(notices(session)) == 5 and "待下次运行继续生成" not in third.output
    assert sorted(d.subject_id for d in notices(session)) == sorted(e.id for e in escalations)


def test_the_sweeps_notice_budget_counts_from_the_start_of_the_run(app, session, make_matter, office, monkeypatch):
    """The budget bounds the whole run (issue 21: under a minute at 1,000,000 matters): a run whose recording
    of the 督办 took longer than the budget issues its first batch of notices and leaves the rest."""
    import time

    from supervision.escalation import services as escalation_services

    matters = [make_matter("in_progress") for _ in range(5)]
    day = CAL.add_workdays(max(m.lead_assignment.due_on for m in matters), 6)
    record = escalation_services.sweep

    def slow_recording(*args, **kwargs):  # a large backlog: recording every 督办 takes a while
        report = record(*args, **kwargs)
        time.sleep(1.5)
        return report

    monkeypatch.setattr(escalation_services, "sweep", slow_recording)
    app.config.update(SWEEP_NOTICE_BATCH=2, SWEEP_NOTICES_SECONDS=1)
    result = app.test_cli_runner().invoke(args=["sweep", "--today", day.isoformat()])
    assert result.exit_code == 0, result.output
    session.expire_all()
    assert len(notices(session)) == 2 and "待下次运行继续生成" in result.output
    assert len(session.scalars(select(Escalation)).all()) == 5
