"""初步核实 (plan, work, report and its result, hand-over for 立案 with the receiving body), 澄清正名 with
its document, and the 诬告陷害 flag."""

from __future__ import annotations

from io import BytesIO

import pytest
from docx import Document

from clues_factories import make_clue  # noqa: F401
from matters_factories import last_audit, make_matter, office, storage, today  # noqa: F401
from supervision import filestore
from supervision.extensions import db
from supervision.clues import services
from supervision.errors import PermissionDenied, ValidationError, WorkflowError
from supervision.models.clues import ClueStatus, VerificationResult
from supervision.models.talks import Talk, TalkKind

PLAN = "调取预售许可审批档案，向开发企业了解情况，与李建国谈话核实。"


def verified(session, office, clue, result=VerificationResult.CLOSED, **kwargs):
    services.plan_verification(session, office.supervisor, clue, PLAN)
    services.record_verification_work(session, office.supervisor, clue, "调取档案 3 卷，询问企业人员 2 名。")
    services.report_verification(session, office.supervisor, clue, "经核实，未发现收受购物卡的事实。", result, **kwargs)
    session.commit()
    return clue


def test_a_verification_plan_needs_an_approved_verification(session, office, make_clue):
    with pytest.raises(WorkflowError, match="只有经批准初步核实的线索"):
        services.plan_verification(session, office.supervisor, make_clue("inquiry"), PLAN)
    clue = make_clue("verify")
    with pytest.raises(PermissionDenied):
        services.plan_verification(session, office.intake, clue, PLAN)
    with pytest.raises(WorkflowError, match="请先制定初核方案"):
        services.report_verification(session, office.supervisor, clue, "报告", VerificationResult.CLOSED)


def test_a_verification_found_untrue_closes_the_clue(session, office, make_clue):
    clue = verified(session, office, make_clue("verify"), found_untrue=True)
    assert clue.status == ClueStatus.CONCLUDED and clue.conclusion == "予以了结"
    assert clue.verification.found_untrue and clue.verification.reported_by_id == office.supervisor.id
    entry, changes = last_audit(session, "clue.conclude", clue)
    assert changes["result"] == "closed" and changes["found_untrue"] is True
    assert last_audit(session, "clue.verification_planned", clue)[0].actor_id == office.supervisor.id


def test_a_hand_over_for_investigation_records_the_receiving_body(session, office, make_clue):
    clue = make_clue("verify")
    services.plan_verification(session, office.supervisor, clue, PLAN)
    with pytest.raises(ValidationError, match="接收单位"):
        services.report_verification(session, office.supervisor, clue, "问题属实。", VerificationResult.HAND_OVER)
    services.report_verification(session, office.supervisor, clue, "问题属实，涉嫌违纪。", VerificationResult.HAND_OVER,
                                 receiving_body="市纪委监委第三审查调查室")
    assert clue.status == ClueStatus.HANDED_OVER and clue.verification.receiving_body == "市纪委监委第三审查调查室"
    assert last_audit(session, "clue.hand_over", clue)[1]["receiving_body"] == "市纪委监委第三审查调查室"


def test_an_admonition_result_proposes_the_talk(session, office, make_clue):
    clue = verified(session, office, make_clue("verify"), VerificationResult.ADMONITION)
    talk = session.get(Talk, clue.verification.follow_talk_id)
    assert talk.kind == TalkKind.ADMONITION and talk.subject_name == "李建国"


def test_clearance_is_for_a_clue_found_untrue_and_gives_its_document(app, session, office, make_clue, tmp_path):
    substantiated = verified(session, office, make_clue("verify"), VerificationResult.REMINDER)
    with pytest.raises(WorkflowError, match="反映不实"):
        services.record_clearance(session, office.supervisor, substantiated, "本人", "在单位党组会议上通报")
    clue = verified(session, office, make_clue("verify"), found_untrue=True)
    with pytest.raises(WorkflowError, match="请先记录澄清正名"):
        services.generate_clearance_notice(session, office.supervisor, clue, config=app.config, folder=tmp_path)
    services.record_clearance(session, office.supervisor, clue, "李建国本人", "在市住房和城乡建设局党组会议上通报")
    document = services.generate_clearance_notice(session, office.supervisor, clue, config=app.config,
                                                  folder=tmp_path)
    session.commit()
    assert document.number == "澄清〔2026〕1号" and document.department_id is None
    text = "\n".join(p.text for p in Document(BytesIO(filestore.read_checked(db.session, document.sha256))).paragraphs)
    assert "李建国同志澄清正名" in text and "反映的问题不属实" in text and "党组会议上通报" in text
    assert "王举报" not in text and "13911112222" not in text
    assert last_audit(session, "clue.cleared", clue)[1]["requested_by"] == "李建国本人"


def test_a_deliberately_false_report_is_flagged(session, office, make_clue):
    with pytest.raises(WorkflowError, match="反映不实"):
        services.flag_false_accusation(session, office.supervisor, make_clue("verify"), "捏造事实")
    clue = verified(session, office, make_clue("verify"), found_untrue=True)
    with pytest.raises(ValidationError, match="依据"):
        services.flag_false_accusation(session, office.supervisor, clue, "")
    services.flag_false_accusation(session, office.supervisor, clue, "举报人捏造购物卡情节，移送有关部门依规处理。")
    assert clue.false_accusation and last_audit(session, "clue.false_accusation", clue)[0].actor_id == office.supervisor.id


@pytest.mark.parametrize("kind", ["person_inquiry_notice", "clearance_notice"])
def test_the_clue_documents_have_no_field_for_the_reporter_and_print_every_field(kind):
    import dataclasses

    from supervision.paperwork.builders import BUILDERS
    from supervision.paperwork.layout import format_cn_date
    from supervision.demo.paperwork import SAMPLE_PROFILE, SAMPLES

    data = SAMPLES[kind]()
    names = {f.name for f in dataclasses.fields(data)} - {"contact_phone", "addressee"}  # office contact; the 党组
    assert not [n for n in names if any(p in n for p in ("complainant", "reporter", "informant", "accuser",
                                                          "phone", "id_number", "address"))]
    text = "\n".join(p.text for p in Document(BytesIO(BUILDERS[kind](data, SAMPLE_PROFILE))).paragraphs)
    for value in [*data.problems, data.person.name, data.person.unit, format_cn_date(data.issued_on)]:
        assert value in text.replace("\n", ""), value


def test_every_clue_row_the_services_write_matches_its_audit_digest(app, session, office, make_clue, make_matter,
                                                                     storage):
    from matters_factories import PDF_BYTES
    from supervision.models.audit import AuditEntry
    from sqlalchemy import select

    clue = make_clue("inquiry")
    inquiry = services.issue_inquiry(session, office.supervisor, clue, clue.people[0], clue.summary, "某党组")
    services.serve_inquiry(session, office.supervisor, inquiry, inquiry.issued_at.date())
    services.record_inquiry_reply(session, office.supervisor, inquiry, "说明。", inquiry.issued_at.date(), "王书记",
                                  files=[("说明.pdf", PDF_BYTES)], storage=storage)
    services.decide_inquiry_outcome(session, office.supervisor, inquiry, services.InquiryOutcome.ACCEPTED, "采信。")
    session.commit()
    services.record_clearance(session, office.supervisor, clue, "本人", "在单位会议上通报")
    session.commit()
    verified(session, office, make_clue("verify"), VerificationResult.HAND_OVER, receiving_body="市纪委监委")
    make_clue("shelve")
    services.clue_from_matter(session, office.intake, make_matter("accepted"), [services.PersonInput("甲", "乙局")])
    session.commit()
    result = app.test_cli_runner().invoke(args=["audit", "verify", "--rows"])
    assert result.exit_code == 0, result.output
    digested = {line.split(":")[0] for lines in session.scalars(select(AuditEntry.row_digests)) for line in
                lines.splitlines()}
    assert {"clue", "clue_person", "clue_reporter", "clue_disposal", "clue_inquiry", "clue_verification"} <= digested
