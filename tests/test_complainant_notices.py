"""Notices to the complainant (SPEC §11): 受理告知书, 不予受理告知书, 交办告知书, 延期告知书, 处理意见书 (with the
right to 复查), 复查意见书, 复核意见书 — generated where the step happens, numbered and registered, sent by SMS /
e-mail where the complainant gave one, shown on the portal, their due dates tracked; and 复查 / 复核."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import pytest
from docx import Document
from sqlalchemy import select

from matters_factories import TODAY, last_audit, matter_input, signed_in
from supervision import filestore
from supervision.extensions import db
from supervision import clock
from supervision.calendar import LimitUnit, WorkCalendar
from supervision.complainants import services as complainants
from supervision.complainants.services import LetterPolicy
from supervision.documents.services import Paperwork, office_profile
from supervision.errors import ValidationError, WorkflowError
from supervision.escalation.services import SweepPolicy, sweep
from supervision.matters import services
from supervision.models.complainants import (
    ComplainantNotice,
    DeliveryMethod,
    NoticeKind,
    ReviewOutcome,
    ReviewStage,
    ReviewStatus,
)
from supervision.models.escalation import Delivery, Notification
from supervision.models.matters import Matter, MatterStatus
from supervision.notifications.services import deliver_pending

CAL = WorkCalendar()
NAME, PHONE, EMAIL = "张某某", "13800000000", "zhang@example.cn"


@pytest.fixture
def letters(app) -> LetterPolicy:
    return LetterPolicy(Paperwork(office_profile(app.config), Path(app.instance_path) / "documents"),
                        channels=("log", "sms", "email"), review_body="示范市行政效能投诉中心",
                        re_review_body="示范市人民政府")


@dataclass
class Recorder:
    """A channel that keeps what it was given."""

    name: str
    sent: list = field(default_factory=list)
    address_field: str = ""

    def send(self, address, subject, body, idempotency_key=""):
        self.sent.append((address, subject, body))


def register(session, office, **fields) -> Matter:
    identity = services.IdentityInput(name=NAME, phone=PHONE, email=EMAIL)
    return services.register_matter(session, office.intake, matter_input(identity=identity, **fields))


def notices(session, matter) -> dict[NoticeKind, ComplainantNotice]:
    return {n.kind: n for n in complainants.notices_of(session, matter)}


def docx_text(app, notice) -> str:
    data = filestore.read_checked(db.session, notice.document.sha256)
    return "\n".join(p.text for p in Document(io.BytesIO(data)).paragraphs)


def answered(session, office, letters, **fields) -> Matter:
    """A real-name complaint accepted, assigned, replied and approved: the 处理意见书 is out."""
    matter = register(session, office, **fields)
    services.accept_matter(session, office.intake, matter, letters=letters)
    services.assign_matter(session, office.intake, matter, lead=office.department, assigned_title="窗口办事拖拉",
                           letters=letters)
    services.sign_assignment(session, office.head, matter.lead_assignment)
    services.submit_reply(session, office.head, matter.lead_assignment, "经核实已整改。", "已责令窗口一次性告知。")
    services.review_reply(session, office.supervisor, matter, True, letters=letters)
    session.commit()
    return matter


# --- the notices of each step ---------------------------------------------------------------------------------
def test_acceptance_notice_is_numbered_registered_due_in_15_working_days_and_sent(app, session, office, letters):
    matter = register(session, office)
    services.accept_matter(session, office.intake, matter, letters=letters)
    session.commit()
    notice = notices(session, matter)[NoticeKind.ACCEPTANCE]
    assert notice.document.number == "效受告〔2026〕1号" and notice.document.department_id is None
    assert notice.due_on == CAL.add_workdays(matter.received_on, 15)
    assert "已于2026年6月1日予以受理" in notice.body and NAME not in notice.body and PHONE not in notice.body
    text = docx_text(app, notice)
    assert f"{NAME}：" in text and "受理告知书" in text and matter.serial in text  # addressed to them by name
    ways = sorted(d.channel for d in session.scalars(select(Delivery).where(
        Delivery.complainant_notice_id == notice.id)))
    assert ways == ["email", "sms"]
    assert all(d.address == "" for d in session.scalars(select(Delivery)) if d.complainant_notice_id)
    sms, email = Recorder("sms"), Recorder("email")
    assert deliver_pending(session, [sms, email]) == (2, 0)
    assert sms.sent[0][0] == PHONE and email.sent[0][0] == EMAIL and "受理告知书" in sms.sent[0][1]
    assert notice.delivered_at is not None and notice.delivery_method in (DeliveryMethod.SMS, DeliveryMethod.EMAIL)
    _, changes = last_audit(session, "complainant_notice.recorded", notice)
    assert changes["kind"] == "acceptance"


def test_anonymous_and_identity_less_complainants_get_no_notice(session, office, letters):
    anonymous = services.register_matter(session, office.intake, matter_input(anonymous=True))
    services.accept_matter(session, office.intake, anonymous, letters=letters)
    assert complainants.notices_of(session, anonymous) == []


def test_refusal_notice_gives_the_reason_and_where_to_turn(session, office, letters):
    matter = register(session, office)
    services.reject_matter(session, office.intake, matter, "属于民事纠纷", letters=letters)
    notice = notices(session, matter)[NoticeKind.REFUSAL]
    assert "决定不予受理" in notice.body and "理由：属于民事纠纷。" in notice.body and "人民法院" not in notice.body
    assert notice.document.number == "效不受告〔2026〕1号"


def test_transfer_extension_and_answer_notices_follow_the_steps(app, session, office, letters):
    matter = register(session, office)
    services.accept_matter(session, office.intake, matter, letters=letters)
    services.assign_matter(session, office.intake, matter, lead=office.department, assigned_title="窗口拖拉",
                           letters=letters)
    services.sign_assignment(session, office.head, matter.lead_assignment)
    new_due = CAL.add_workdays(matter.lead_assignment.due_on, 10)
    extension = services.request_extension(session, office.head, matter.lead_assignment, new_due, "需调取监控录像")
    services.decide_extension(session, office.supervisor, extension, True, letters=letters)
    services.submit_reply(session, office.head, matter.lead_assignment, "经核实已整改。", "已责令窗口一次性告知。")
    services.review_reply(session, office.supervisor, matter, True, letters=letters)
    session.commit()
    found = notices(session, matter)
    assert office.department.name in found[NoticeKind.TRANSFER].body
    assert "因情况复杂" in found[NoticeKind.EXTENSION].body and "监控录像" not in found[NoticeKind.EXTENSION].body
    assert f"延长至{new_due.year}年{new_due.month}月{new_due.day}日" in found[NoticeKind.EXTENSION].body
    answer = found[NoticeKind.ANSWER]
    assert "已责令窗口一次性告知。" in answer.body and "30日内，向示范市行政效能投诉中心请求复查" in answer.body
    assert [d.number for d in (found[k].document for k in (NoticeKind.TRANSFER, NoticeKind.EXTENSION,
                                                            NoticeKind.ANSWER))] == \
        ["效交告〔2026〕1号", "效延告〔2026〕1号", "效处〔2026〕1号"]


def test_a_department_head_never_sees_or_downloads_a_notice(app, session, office, letters):
    matter = answered(session, office, letters)
    head = signed_in(app, office.head)
    page = head.get(f"/matters/{matter.id}").text
    assert "告知反映人" not in page and NAME not in page
    for notice in complainants.notices_of(session, matter):
        assert head.get(f"/documents/{notice.document_id}").status_code == 404
    assert "告知反映人" in signed_in(app, office.intake).get(f"/matters/{matter.id}").text


def test_the_portal_shows_the_notices_without_the_name(app, session, office, letters):
    matter = answered(session, office, letters)
    client = app.test_client()
    assert client.post("/public/track", data={"serial": matter.serial, "query_code": matter.query_code}
                       ).status_code == 302
    page = client.get("/public/track/result").text
    for title in ("受理告知书", "交办告知书", "处理意见书", "效处〔2026〕1号", "请求复查"):
        assert title in page
    assert NAME not in page and PHONE not in page


def test_a_step_without_the_paperwork_is_caught_up_by_the_sweep(session, office, letters):
    matter = register(session, office)
    services.accept_matter(session, office.intake, matter)  # a script, a batch: no paperwork at hand
    notice = notices(session, matter)[NoticeKind.ACCEPTANCE]
    assert notice.document_id is None
    report = sweep(session, SweepPolicy(), TODAY, letters=letters)
    assert report.letters == 1 and notice.document_id is not None
    assert sweep(session, SweepPolicy(), TODAY, letters=letters).letters == 0


def test_an_undelivered_notice_past_its_date_is_on_the_to_do_list_and_told_once(app, session, office, letters):
    matter = register(session, office)
    services.accept_matter(session, office.intake, matter, letters=LetterPolicy(letters.paperwork, ("log",)))
    session.commit()
    notice = notices(session, matter)[NoticeKind.ACCEPTANCE]
    assert notice.delivered_at is None  # the log channel is not a delivery to the complainant
    late = notice.due_on + timedelta(days=1)
    with clock.frozen(late):
        assert "告知书待送达" in signed_in(app, office.intake).get("/").text
        assert sweep(session, SweepPolicy(), late, letters=letters).overdue_letters == 1
        assert sweep(session, SweepPolicy(), late, letters=letters).overdue_letters == 0
    told = session.scalars(select(Notification).where(Notification.user_id == office.intake.id,
                                                      Notification.title.like("告知书逾期未送达%"))).all()
    assert len(told) == 1
    assert told[0].asks_action and told[0].settled_at is None
    complainants.record_delivery(session, office.intake, notice, DeliveryMethod.POST)
    session.flush()
    session.expire_all()
    assert notice.delivery_method == DeliveryMethod.POST and not notice.is_overdue(late)
    assert told[0].settled_at is not None
    with pytest.raises(ValidationError):
        complainants.record_delivery(session, office.intake, notice, DeliveryMethod.POST)



def test_a_late_notice_that_the_sms_gateway_then_delivers_no_longer_asks_intake_for_anything(app, session, office,
                                                                                            letters):
    matter = register(session, office)
    services.accept_matter(session, office.intake, matter, letters=letters)  # queued by SMS and e-mail
    session.commit()
    notice = notices(session, matter)[NoticeKind.ACCEPTANCE]
    late = notice.due_on + timedelta(days=1)
    with clock.frozen(late):  # the gateway was down until after the due date
        assert sweep(session, SweepPolicy(), late, letters=LetterPolicy(letters.paperwork, ())).overdue_letters == 1
        session.commit()
        told = session.scalars(select(Notification).where(Notification.user_id == office.intake.id,
                                                          Notification.title.like("告知书逾期未送达%"))).one()
        assert told.settled_at is None
        assert deliver_pending(session, [Recorder("sms"), Recorder("email")]) == (2, 0)
    session.expire_all()
    assert notice.delivery_method in (DeliveryMethod.SMS, DeliveryMethod.EMAIL)
    assert told.settled_at is not None

# --- 复查 and 复核 -----------------------------------------------------------------------------------------------
def test_review_is_asked_within_30_days_answered_within_30_and_its_opinion_told(session, office, letters):
    matter = answered(session, office, letters)
    answer_day = notices(session, matter)[NoticeKind.ANSWER].issued_on
    last = CAL.deadline(answer_day, 30, LimitUnit.CALENDAR).due
    assert complainants.open_stage(session, matter) == ReviewStage.REVIEW
    with pytest.raises(WorkflowError):  # 复核 comes only after a 复查 opinion
        complainants.request_review(session, office.intake, matter, ReviewStage.RE_REVIEW, "不服", letters=letters)
    with clock.frozen(last + timedelta(days=1)), pytest.raises(ValidationError, match="期限"):
        complainants.request_review(session, office.intake, matter, ReviewStage.REVIEW, "不服",
                                    requested_on=last + timedelta(days=1), letters=letters)
    with clock.frozen(last):
        request = complainants.request_review(session, None, matter, ReviewStage.REVIEW, "处理不到位",
                                              letters=letters)
    assert request.received_via == "portal" and request.body == "示范市行政效能投诉中心"
    assert request.answer_due_on == CAL.deadline(last, 30, LimitUnit.CALENDAR).due
    with pytest.raises(WorkflowError):
        complainants.request_review(session, office.intake, matter, ReviewStage.REVIEW, "再次", letters=letters)
    opinion = complainants.decide_review(session, office.supervisor, request, ReviewOutcome.UPHELD,
                                         "原处理意见认定事实清楚。", letters=letters)
    assert request.status == ReviewStatus.DECIDED and opinion.kind == NoticeKind.REVIEW
    assert "经复查，决定维持原处理意见" in opinion.body and "向示范市人民政府请求复核" in opinion.body
    assert opinion.document.number == "效复查〔2026〕1号"


def test_after_re_review_the_matter_is_final_and_the_same_matter_is_not_accepted_again(session, office, letters):
    matter = answered(session, office, letters, respondent_unit="东城区不动产登记窗口")
    review = complainants.request_review(session, office.intake, matter, ReviewStage.REVIEW, "不服", letters=letters)
    complainants.decide_review(session, office.supervisor, review, ReviewOutcome.UPHELD, "维持。", letters=letters)
    re_review = complainants.request_review(session, None, matter, ReviewStage.RE_REVIEW, "仍不服", letters=letters)
    final = complainants.decide_review(session, office.leader, re_review, ReviewOutcome.UPHELD, "维持复查意见。",
                                       letters=letters)
    session.commit()
    assert matter.concluded_at is not None and "本复核意见为终结意见" in final.body
    assert complainants.open_stage(session, matter) is None
    again = register(session, office, title="还是窗口的问题", respondent_unit="东城区不动产登记窗口")
    assert again.duplicate_of_id == matter.id
    with pytest.raises(WorkflowError, match="已经复核终结"):
        services.accept_matter(session, office.intake, again, letters=letters)
    services.reject_matter(session, office.intake, again, f"与 {matter.serial} 为同一事项，已复核终结。",
                           letters=letters)
    assert again.status == MatterStatus.NOT_ACCEPTED
    other = register(session, office, title="另一件事", respondent_unit="某医院")  # another matter: accepted
    assert other.duplicate_of_id is None


def test_only_office_staff_record_requests_and_supervisors_or_leaders_decide(session, office, letters):
    from supervision.errors import PermissionDenied

    matter = answered(session, office, letters)
    with pytest.raises(PermissionDenied):
        complainants.request_review(session, office.head, matter, ReviewStage.REVIEW, "不服", letters=letters)
    request = complainants.request_review(session, office.intake, matter, ReviewStage.REVIEW, "不服",
                                          requested_on=TODAY, letters=letters)
    with pytest.raises(PermissionDenied):
        complainants.decide_review(session, office.intake, request, ReviewOutcome.UPHELD, "维持", letters=letters)
    with pytest.raises(ValidationError):
        complainants.decide_review(session, office.supervisor, request, ReviewOutcome.UPHELD, " ", letters=letters)


def test_the_audit_row_digests_match_after_notices_deliveries_and_reviews(app, session, office, letters):
    matter = answered(session, office, letters)
    deliver_pending(session, [Recorder("sms"), Recorder("email"), Recorder("log")])
    request = complainants.request_review(session, None, matter, ReviewStage.REVIEW, "不服", letters=letters)
    complainants.decide_review(session, office.supervisor, request, ReviewOutcome.UPHELD, "维持。", letters=letters)
    session.commit()
    result = app.test_cli_runner().invoke(args=["audit", "verify", "--rows"])
    assert result.exit_code == 0, result.output
