"""Telling the reporter of a clue registered directly (issue 16, SPEC §12): a real-name reporter with a
contact gets a 受理告知书 due within 15 working days of receipt and a 处理结果告知书 when the clue ends —
numbered, registered, sent by SMS through the delivery outbox, due dates on the to-do list and in the
sweep — never naming the reporter in the text, never telling what the person concerned answered, and
never reachable by a department."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest
from docx import Document
from sqlalchemy import select

from clues_factories import clue_input, make_clue  # noqa: F401  (fixture)
from matters_factories import TODAY, last_audit, office, signed_in, today  # noqa: F401  (fixtures)
from supervision import filestore
from supervision.extensions import db
from supervision import clock
from supervision.calendar import WorkCalendar
from supervision.clues import notices, services
from supervision.clues.services import ReporterInput
from supervision.complainants.services import LetterPolicy
from supervision.documents.services import Paperwork, office_profile
from supervision.errors import ValidationError
from supervision.escalation.services import SweepPolicy, sweep
from supervision.models.clues import ClueNoticeKind, DisposalWay
from supervision.models.complainants import DeliveryMethod
from supervision.models.escalation import Delivery, Notification
from supervision.notifications.services import deliver_pending
from test_complainant_notices import Recorder

CAL = WorkCalendar()
PHONE = "13911112222"  # clue_input's reporter 王举报


@pytest.fixture
def letters(app) -> LetterPolicy:
    return LetterPolicy(Paperwork(office_profile(app.config), Path(app.instance_path) / "documents"),
                        channels=("log", "sms"))


def by_kind(session, clue) -> dict:
    return {n.kind: n for n in notices.notices_of(session, clue)}


def docx_text(app, notice) -> str:
    data = filestore.read_checked(db.session, notice.document.sha256)
    return "\n".join(p.text for p in Document(io.BytesIO(data)).paragraphs)


def test_registering_a_real_name_clue_sends_a_numbered_acceptance_notice_due_in_15_working_days(app, session, office,
                                                                                              letters):
    clue = services.register_clue(session, office.intake, clue_input(), letters=letters)
    session.commit()
    notice = by_kind(session, clue)[ClueNoticeKind.ACCEPTANCE]
    assert notice.document.number == "线受告〔2026〕1号"
    assert notice.document.department_id is None and notice.document.matter_id is None
    assert notice.due_on == CAL.add_workdays(clue.received_on, 15)
    assert "作为问题线索受理" in notice.body and "王举报" not in notice.body and PHONE not in notice.body
    assert "李建国" not in notice.body  # nor the person concerned
    text = docx_text(app, notice)
    assert "王举报：" in text and "受理告知书" in text and clue.serial in text
    delivery = session.scalars(select(Delivery).where(Delivery.clue_notice_id == notice.id)).one()
    assert (delivery.channel, delivery.address) == ("sms", "")  # the number stays in clue_reporter
    sms = Recorder("sms")
    assert deliver_pending(session, [sms, Recorder("log")]) == (1, 0)
    assert sms.sent[0][0] == PHONE and "受理告知书" in sms.sent[0][1] and clue.serial in sms.sent[0][2]
    assert notice.delivery_method == DeliveryMethod.SMS and notice.delivered_at is not None
    _, changes = last_audit(session, "clue_notice.recorded", notice)
    assert changes["kind"] == "acceptance"


def test_no_notice_for_an_anonymous_reporter_without_contact_or_a_clue_from_a_matter(session, office, letters):
    anonymous = services.register_clue(session, office.intake, clue_input(real_name=False, reporter=ReporterInput()),
                                       letters=letters)
    no_contact = services.register_clue(session, office.intake, clue_input(
        reporter=ReporterInput(name="王举报", work_unit="某局")), letters=letters)
    assert by_kind(session, anonymous) == {} and by_kind(session, no_contact) == {}


@pytest.mark.parametrize("way, words", [(DisposalWay.CLOSE, "已依规予以了结")])
def test_the_result_is_told_without_what_the_person_answered_and_generated_by_the_sweep(app, session, office, letters,
                                                                                       way, words):
    clue = services.register_clue(session, office.intake, clue_input(), letters=letters)
    services.propose_disposal(session, office.supervisor, clue, way, "反映笼统，经了解属正常履职。")
    services.approve_disposal(session, office.leader, clue, "同意。")
    session.commit()
    notice = by_kind(session, clue)[ClueNoticeKind.RESULT]
    assert words in notice.body and "正常履职" not in notice.body  # the kind of result, not the reasons
    assert notice.document_id is None  # the step had no paperwork at hand: the sweep makes and sends it
    report = sweep(session, SweepPolicy(), clock.today(), letters=letters)
    assert report.letters == 1 and notice.document.number == "线结告〔2026〕1号"
    assert sweep(session, SweepPolicy(), clock.today(), letters=letters).letters == 0
    assert session.scalars(select(Delivery.channel).where(Delivery.clue_notice_id == notice.id)).all() == ["sms"]


def test_an_undelivered_notice_is_on_the_to_do_list_turns_overdue_and_intake_is_told_once(app, session, office,
                                                                                         letters):
    clue = services.register_clue(session, office.intake, clue_input(reporter=ReporterInput(
        name="王举报", address="示范市人民路1号")), letters=letters)  # no mobile: by post
    session.commit()
    notice = by_kind(session, clue)[ClueNoticeKind.ACCEPTANCE]
    assert session.scalars(select(Delivery.channel).where(Delivery.clue_notice_id == notice.id)).all() == ["log"]
    home = signed_in(app, office.intake).get("/").text
    assert "告知书待送达" in home and f"{clue.serial} 受理告知书" in home
    assert f"{clue.serial}" not in signed_in(app, office.head).get("/").text
    late = notice.due_on + timedelta(days=1)
    with clock.frozen(late):
        assert sweep(session, SweepPolicy(), late, letters=letters).overdue_letters == 1
        assert sweep(session, SweepPolicy(), late, letters=letters).overdue_letters == 0
        page = signed_in(app, office.intake).get(f"/clues/{clue.id}").text
        assert "告知举报人" in page and "逾期" in page
    told = session.scalars(select(Notification).where(Notification.user_id == office.intake.id,
                                                      Notification.title.like("告知书逾期未送达%"))).all()
    assert len(told) == 1 and clue.serial in told[0].title

    intake = signed_in(app, office.intake)
    response = intake.post(f"/clues/{clue.id}/notices/{notice.id}/delivered", data={"method": "post"})
    assert response.status_code == 302
    session.expire_all()
    assert notice.delivery_method == DeliveryMethod.POST and not notice.is_overdue(late)
    assert told[0].settled_at is not None  # the overdue notice asked for the delivery: it no longer needs intake
    with pytest.raises(ValidationError):
        notices.record_delivery(session, office.intake, notice, DeliveryMethod.POST)


def test_a_department_never_reaches_a_reporter_notice(app, session, office, letters):
    clue = services.register_clue(session, office.intake, clue_input(), letters=letters)
    session.commit()
    notice = by_kind(session, clue)[ClueNoticeKind.ACCEPTANCE]
    for user in (office.head, office.other_head):
        client = signed_in(app, user)
        assert client.get(f"/clues/{clue.id}").status_code == 403
        assert client.get(f"/documents/{notice.document_id}").status_code in (403, 404)
        assert client.post(f"/clues/{clue.id}/notices/{notice.id}/delivered", data={"method": "post"}).status_code == 403
    assert signed_in(app, office.intake).get(f"/documents/{notice.document_id}").status_code == 200


def test_the_audit_row_digests_match_after_reporter_notices_and_their_delivery(app, session, office, letters):
    clue = services.register_clue(session, office.intake, clue_input(), letters=letters)
    session.commit()
    deliver_pending(session, [Recorder("sms"), Recorder("log")])
    result = app.test_cli_runner().invoke(args=["audit", "verify", "--rows"])
    assert result.exit_code == 0, result.output
