"""函询 addressed to the person: issued with the problems in summary (never the reporter), 送达, the reply
due 15 working days after receipt, countersigned; each outcome leading to its next step; the numbered
函询通知书 reopened; today's unit-addressed 函询 migrated."""

from __future__ import annotations

from datetime import date
from io import BytesIO

import pytest
from docx import Document
from sqlalchemy import select

from clues_factories import make_clue, person  # noqa: F401
from matters_factories import PDF_BYTES, audit_entries, last_audit, make_matter, office, storage, today  # noqa: F401
from supervision import filestore
from supervision.extensions import db
from supervision import clock
from supervision.clues import services
from supervision.errors import PermissionDenied, ValidationError, WorkflowError
from supervision.models.clues import ClueInquiry, ClueSource, ClueStatus, InquiryOutcome, InquiryStatus
from supervision.models.talks import Talk, TalkKind, TalkStatus
from talks_factories import make_talk, talk_input  # noqa: F401

PARTY = "中共示范市住房和城乡建设局党组"


def issued(session, office, clue, problems: str | None = None) -> ClueInquiry:
    inquiry = services.issue_inquiry(session, office.supervisor, clue, clue.people[0],
                                     problems if problems is not None else clue.summary, PARTY)
    session.commit()
    return inquiry


def replied(session, office, clue, storage) -> ClueInquiry:
    inquiry = issued(session, office, clue)
    services.serve_inquiry(session, office.supervisor, inquiry, clock.today(), "本人签收")
    services.record_inquiry_reply(session, office.supervisor, inquiry, "本人从未收受购物卡，网签按规定办理。",
                                  clock.today(), "王书记（党组书记）", files=[("说明.pdf", PDF_BYTES)],
                                  storage=storage)
    session.commit()
    return inquiry


def test_a_inquiry_goes_to_the_person_once_the_disposal_is_approved(session, office, make_clue):
    clue = make_clue()
    with pytest.raises(WorkflowError, match="只有经批准谈话函询的线索"):
        services.issue_inquiry(session, office.supervisor, clue, clue.people[0], clue.summary, PARTY)
    clue = make_clue("inquiry")
    inquiry = issued(session, office, clue)
    assert inquiry.addressee_name == "李建国" and inquiry.person_id == clue.people[0].id
    assert inquiry.status == InquiryStatus.ISSUED and inquiry.reply_due_on is None
    entry, changes = last_audit(session, "clue.inquiry_issued", clue)
    assert changes["person"].startswith("李建国") and entry.actor_id == office.supervisor.id
    with pytest.raises(WorkflowError, match="尚未处理完毕"):
        services.issue_inquiry(session, office.supervisor, clue, clue.people[0], clue.summary, PARTY)


def test_the_problems_never_name_the_reporter(session, office, make_clue):
    clue = make_clue("inquiry")
    with pytest.raises(ValidationError, match="举报人的姓名"):
        services.issue_inquiry(session, office.supervisor, clue, clue.people[0], "王举报反映你收受购物卡。", PARTY)


def test_a_matter_clue_checks_the_matters_complainant(session, office, make_matter):
    clue = services.clue_from_matter(session, office.intake, make_matter("accepted"), [person()])
    services.propose_disposal(session, office.supervisor, clue, services.DisposalWay.INQUIRY, "拟函询。")
    services.approve_disposal(session, office.leader, clue)
    with pytest.raises(ValidationError, match="举报人的姓名"):
        services.issue_inquiry(session, office.supervisor, clue, clue.people[0], "张某某反映窗口拖拉。", PARTY)


@pytest.mark.parametrize("who", ["intake", "leader", "head"])
def test_only_a_case_officer_issues(session, office, make_clue, who):
    clue = make_clue("inquiry")
    with pytest.raises(PermissionDenied):
        services.issue_inquiry(session, getattr(office, who), clue, clue.people[0], clue.summary, PARTY)


def test_the_reply_is_due_fifteen_working_days_after_receipt(session, office, make_clue):
    inquiry = issued(session, office, make_clue("inquiry"))
    with clock.frozen(date(2026, 9, 28)):  # a Monday before the National Day holiday
        services.serve_inquiry(session, office.supervisor, inquiry, date(2026, 9, 28), "本人签收")
    # 9/29, 9/30, then 10/1-10/7 off (10/10 Saturday is worked), 10/8, 10/9, 10/10, 10/12 ...
    assert inquiry.reply_due_on == date(2026, 10, 23) and not inquiry.reply_due_provisional
    assert inquiry.status == InquiryStatus.SERVED
    entry, changes = last_audit(session, "clue.inquiry_serve", inquiry.clue)
    assert changes["reply_due_on"] == "2026-10-23" and changes["served_on"] == "2026-09-28"


def test_a_service_date_cannot_be_in_the_future_or_missing(session, office, make_clue):
    inquiry = issued(session, office, make_clue("inquiry"))
    with pytest.raises(ValidationError, match="送达日期"):
        services.serve_inquiry(session, office.supervisor, inquiry, None)
    with pytest.raises(ValidationError, match="不能晚于今天"):
        services.serve_inquiry(session, office.supervisor, inquiry, date(2026, 6, 2))


def test_the_reply_is_countersigned_and_its_files_kept(session, office, make_clue, storage):
    inquiry = issued(session, office, make_clue("inquiry"))
    services.serve_inquiry(session, office.supervisor, inquiry, clock.today())
    with pytest.raises(ValidationError, match="党委（党组）主要负责人"):
        services.record_inquiry_reply(session, office.supervisor, inquiry, "说明", clock.today(), " ")
    services.record_inquiry_reply(session, office.supervisor, inquiry, "说明。", clock.today(), "王书记",
                                  files=[("说明.pdf", PDF_BYTES)], storage=storage)
    session.commit()
    assert inquiry.status == InquiryStatus.REPLIED and inquiry.countersigned_by == "王书记"
    assert [a.original_name for a in inquiry.attachments] == ["说明.pdf"]
    assert last_audit(session, "clue.inquiry_reply", inquiry.clue)[1]["late"] is False


def test_accepted_explanation_concludes_the_clue(session, office, make_clue, storage):
    clue = make_clue("inquiry")
    inquiry = replied(session, office, clue, storage)
    services.decide_inquiry_outcome(session, office.supervisor, inquiry, InquiryOutcome.ACCEPTED, "说明属实，予以采信。")
    session.commit()
    assert clue.status == ClueStatus.CONCLUDED and clue.conclusion == "采信了结"
    assert inquiry.status == InquiryStatus.CONCLUDED and inquiry.outcome_by_id == office.supervisor.id


@pytest.mark.parametrize("outcome, kind", [(InquiryOutcome.REMINDER, TalkKind.REMINDER),
                                           (InquiryOutcome.CRITICISM, TalkKind.CRITICISM),
                                           (InquiryOutcome.ADMONITION, TalkKind.ADMONITION)])
def test_a_talk_outcome_proposes_the_talk_in_the_talks_area(session, office, make_clue, storage, outcome, kind):
    clue = make_clue("inquiry")
    inquiry = replied(session, office, clue, storage)
    services.decide_inquiry_outcome(session, office.supervisor, inquiry, outcome, "存在一定问题，予以谈话。")
    session.commit()
    talk = session.get(Talk, inquiry.follow_talk_id)
    assert talk.kind == kind and talk.status == TalkStatus.PROPOSED and talk.subject_name == "李建国"
    assert clue.serial in talk.reason and clue.status == ClueStatus.CONCLUDED and clue.conclusion == outcome.label


def test_again_keeps_the_clue_in_inquiry_for_a_second_notice(session, office, make_clue, storage):
    clue = make_clue("inquiry")
    inquiry = replied(session, office, clue, storage)
    services.decide_inquiry_outcome(session, office.supervisor, inquiry, InquiryOutcome.AGAIN, "说明不清，再次函询。")
    second = issued(session, office, clue, "请进一步说明网签办理情况。")
    assert clue.status == ClueStatus.INQUIRY and second.round == 2


def test_to_verification_needs_the_leaders_approval(session, office, make_clue, storage):
    clue = make_clue("inquiry")
    inquiry = replied(session, office, clue, storage)
    with pytest.raises(WorkflowError, match="转初步核实"):
        services.propose_disposal(session, office.supervisor, clue, services.DisposalWay.CLOSE, "直接了结")
    services.decide_inquiry_outcome(session, office.supervisor, inquiry, InquiryOutcome.VERIFY, "说明与事实不符。")
    assert clue.status == ClueStatus.PROPOSED and clue.pending_disposal.way == services.DisposalWay.VERIFY
    services.approve_disposal(session, office.leader, clue)
    assert clue.status == ClueStatus.VERIFYING


def test_the_notice_names_the_person_lists_the_summary_and_never_the_reporter(app, session, office, make_clue,
                                                                               tmp_path):
    clue = make_clue("inquiry")
    inquiry = issued(session, office, clue)
    document = services.generate_inquiry_notice(session, office.supervisor, inquiry, config=app.config,
                                                folder=tmp_path)
    session.commit()
    assert document.number == "函询〔2026〕1号" and document.department_id is None
    text = "\n".join(p.text for p in Document(BytesIO(filestore.read_checked(db.session, document.sha256))).paragraphs)
    assert "李建国同志" in text and "收受开发企业购物卡" in text and "15个工作日" in text
    assert "自收到本通知之日起" in text and PARTY in text and "送达回执" in text
    assert "王举报" not in text and "13911112222" not in text
    again = services.generate_inquiry_notice(session, office.supervisor, inquiry, config=app.config, folder=tmp_path)
    assert again.number == document.number and again.revision == 2


# --- migration of the unit-addressed 函询 -----------------------------------------------------------
def test_unit_addressed_inquiries_are_migrated_naming_the_person_or_listed(session, office, make_matter):
    from supervision.talks import services as talk_services

    matter = make_matter("in_progress")
    named = talk_services.propose_talk(session, office.supervisor, talk_input(
        office, TalkKind.INQUIRY, subject_name="周建华", matters=[matter]))
    talk_services.approve_talk(session, office.leader, named)
    talk_services.notify_talk(session, office.supervisor, named)
    unnamed = talk_services.propose_talk(session, office.supervisor, talk_input(
        office, TalkKind.INQUIRY, subject_name="主要负责人", matters=[matter]))
    session.commit()
    assert services.migrate_unit_inquiries(session) == (2, 1)
    session.commit()
    assert services.migrate_unit_inquiries(session) == (0, 0)
    inquiry = session.scalar(select(ClueInquiry).where(ClueInquiry.talk_id == named.id))
    assert inquiry.addressee_name == "周建华" and inquiry.status == InquiryStatus.SERVED
    assert inquiry.reply_due_on == named.reply_due_on and inquiry.problems == matter.summary
    assert inquiry.clue.source == ClueSource.TALK and inquiry.clue.status == ClueStatus.INQUIRY
    unnamed_clue = session.scalar(select(services.Clue).where(services.Clue.talk_id == unnamed.id))
    assert unnamed_clue.status == ClueStatus.PROPOSED and unnamed_clue.people == []
    assert session.get(Talk, named.id).status == TalkStatus.NOTIFIED  # the talk is kept as it was
    assert len(audit_entries(session, "clue.migrated_from_talk")) == 2
