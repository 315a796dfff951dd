"""The 申诉处理决定书 (问责条例 §21: the appeal against a 诫勉 is decided within a month and the decision given
to the appellant in writing): recording the decision builds the numbered document in the same transaction;
it is reopened and read, listed on the talk page and downloadable by those who see the talk's papers."""

from __future__ import annotations

from datetime import date
from io import BytesIO

import pytest
from sqlalchemy import func, select

from matters_factories import last_audit, signed_in
from supervision import clock
from supervision.errors import ValidationError
from supervision.models.documents import GeneratedDocument
from supervision.models.talks import AppealOutcome
from supervision.talks import services
from test_talks_documents import generate, text_of

RECEIVED = date(2026, 6, 1)  # the 诫勉 of make_talk("held") was taken on 2026-05-29 (影响期至 2026-11-29)
DECIDED = date(2026, 6, 20)


def appealed(session, office, make_talk):
    talk = make_talk("held")
    with clock.frozen(date(2026, 6, 2)):
        services.record_appeal(session, office.supervisor, talk, RECEIVED, "认为反映的问题发生在本人调离之后")
        session.commit()
    return talk


def decisions(session, talk) -> list[GeneratedDocument]:
    return list(session.scalars(select(GeneratedDocument).where(
        GeneratedDocument.doc_type == "appeal_decision", GeneratedDocument.subject_type == "talk",
        GeneratedDocument.subject_id == talk.id)))


def decide(session, office, talk, paperwork, outcome, text="经复查，诫勉决定认定的事实清楚。", **fields):
    with clock.frozen(DECIDED):
        document = services.decide_appeal(session, office.leader, talk, outcome, DECIDED, text,
                                          paperwork=paperwork, **fields)
        session.commit()
    return document


def download(app, user, document) -> bytes:
    response = signed_in(app, user).get(f"/documents/{document.id}")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    return response.data


def test_a_changed_admonition_gets_one_decision_with_the_new_period_and_its_end(app, session, office, make_talk,
                                                                              paperwork):
    talk = appealed(session, office, make_talk)
    notice = text_of(generate(signed_in(app, office.supervisor), talk, "admonition_notice"))
    assert "诫勉〔2026〕1号" in notice
    document = decide(session, office, talk, paperwork, AppealOutcome.CHANGED,
                      "经复查，你对窗口管理负有领导责任，但后两次问题发生在你调离之后。\n综合考虑，对影响期予以调整。",
                      influence_months=3)
    assert [d.id for d in decisions(session, talk)] == [document.id]
    assert document.number == "诫申〔2026〕1号" and document.title == "申诉处理决定书"
    assert document.department_id is None  # a department never sees it (docs/domain.md §5)
    entry, changes = last_audit(session, "document.generated", document)
    assert changes["doc_type"] == "appeal_decision" and "诫申〔2026〕1号" in entry.summary

    text = text_of(download(app, office.supervisor, document))
    assert "申诉处理决定书" in text and "诫申〔2026〕1号" in text and app.config["OFFICE_NAME"] in text
    assert "周建华同志：" in text and "你（市市场监督管理局行政审批科科长）" in text
    assert "对2026年5月29日受到的诫勉（谈话诫勉，诫勉〔2026〕1号）不服" in text
    assert "于2026年6月1日收到你的申诉" in text
    assert "你申诉的主要理由：认为反映的问题发生在本人调离之后。" in text
    assert "经复查，你对窗口管理负有领导责任" in text and "综合考虑，对影响期予以调整。" in text
    assert ("变更2026年5月29日对你作出的诫勉决定：诫勉影响期由六个月调整为三个月，"
            "自2026年5月29日起计算，至2026年8月29日止。") in text
    assert "特此决定。" in text and "2026年6月20日" in text  # 落款: the day of the decision
    assert "抄送：市市场监督管理局党组（党委）主要负责同志" in text


def test_an_upheld_admonition_keeps_its_period(app, session, office, make_talk, paperwork):
    talk = appealed(session, office, make_talk)
    document = decide(session, office, talk, paperwork, AppealOutcome.UPHELD)
    text = text_of(download(app, office.leader, document))
    assert "维持2026年5月29日对你作出的诫勉决定。诫勉影响期为六个月，自2026年5月29日起计算，至2026年11月29日止。" in text
    assert "（谈话诫勉）" in text  # no 诫勉 notice was generated: no number to cite
    assert "撤销" not in text and "变更" not in text


def test_a_revoked_admonition_is_said_to_run_no_influence_period(app, session, office, make_talk, paperwork):
    talk = appealed(session, office, make_talk)
    document = decide(session, office, talk, paperwork, AppealOutcome.REVOKED, "经复查，反映的问题事实不清。")
    text = text_of(download(app, office.supervisor, document))
    assert "撤销2026年5月29日对你作出的诫勉决定。该诫勉不再计算影响期" in text
    assert "2026年11月29日" not in text and "维持" not in text


def test_the_view_records_the_decision_and_lists_its_document_on_the_talk_page(app, session, office, make_talk):
    talk = appealed(session, office, make_talk)
    leader = signed_in(app, office.leader)
    with clock.frozen(DECIDED):
        response = leader.post(f"/talks/{talk.id}/appeal/decision", data={
            "outcome": "changed", "decided_on": "2026-06-20", "influence_months": "3", "decision": "影响期调整为三个月。"})
        assert response.status_code == 302
        (document,) = decisions(session, talk)
        for user in (office.leader, office.supervisor):
            page = signed_in(app, user).get(f"/talks/{talk.id}").text
            assert f"/documents/{document.id}" in page and "申诉处理决定书 诫申〔2026〕1号" in page
            assert f"/talks/documents/{document.id}.pdf" in page
    assert "至2026年8月29日止" in text_of(download(app, office.leader, document))


def test_a_refused_decision_produces_no_document(app, session, office, make_talk, paperwork):
    talk = appealed(session, office, make_talk)
    with clock.frozen(DECIDED):
        with pytest.raises(ValidationError, match="请填写变更后的影响期"):
            services.decide_appeal(session, office.leader, talk, AppealOutcome.CHANGED, DECIDED, "减轻。",
                                   paperwork=paperwork)
        session.rollback()
        response = signed_in(app, office.leader).post(f"/talks/{talk.id}/appeal/decision", data={
            "outcome": "changed", "decided_on": "2026-06-20", "decision": "减轻。"})  # no new period
        assert response.status_code == 400 and "请填写变更后的影响期" in response.text
    session.expire_all()
    assert decisions(session, talk) == [] and talk.appeal_outcome is None
    assert session.scalar(select(func.count()).select_from(GeneratedDocument)) == 0


def test_a_rolled_back_decision_takes_its_document_and_number_with_it(session, office, make_talk, paperwork):
    talk = appealed(session, office, make_talk)
    with clock.frozen(DECIDED):
        services.decide_appeal(session, office.leader, talk, AppealOutcome.UPHELD, DECIDED, "维持。",
                               paperwork=paperwork)
        session.rollback()
    session.expire_all()
    assert decisions(session, talk) == [] and talk.appeal_outcome is None
    assert decide(session, office, talk, paperwork, AppealOutcome.UPHELD).number == "诫申〔2026〕1号"  # no gap


def test_only_supervisors_and_leaders_download_the_decision(app, session, office, make_talk, paperwork):
    """Like the talk's other papers: the office's talk staff; not intake, not the person's department."""
    talk = appealed(session, office, make_talk)
    document = decide(session, office, talk, paperwork, AppealOutcome.REVOKED)
    for user in (office.supervisor, office.leader):
        assert signed_in(app, user).get(f"/documents/{document.id}").status_code == 200
    for user in (office.intake, office.head, office.other_head):
        assert signed_in(app, user).get(f"/documents/{document.id}").status_code in (403, 404)
    intake = signed_in(app, office.intake)
    assert document.number not in intake.get("/documents/").text  # the register (文书登记) does not list it
    assert intake.get(f"/talks/documents/{document.id}.pdf").status_code in (403, 404)
    assert document.number in signed_in(app, office.supervisor).get("/documents/").text


def test_paperwork_samples_writes_the_appeal_decision(app, tmp_path):
    result = app.test_cli_runner().invoke(args=["paperwork", "samples", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "appeal_decision.docx\t申诉处理决定书" in result.output
    text = text_of((tmp_path / "out" / "appeal_decision.docx").read_bytes())
    assert "申诉处理决定书" in text and "诫申〔2026〕1号" in text and "张伟同志：" in text
    assert "诫勉影响期由六个月调整为三个月" in text and "至2026年11月10日止" in text


def test_the_decision_and_its_lead_in_share_a_pdf_page(libreoffice):
    """The PDF copy: "现作出如下申诉处理决定：" never ends a page with the decision on the next."""
    pypdf = pytest.importorskip("pypdf")
    from supervision.demo.paperwork import SAMPLE_PROFILE, SAMPLES
    from supervision.paperwork import pdf
    from supervision.paperwork.builders import BUILDERS

    converted = pdf.to_pdf(BUILDERS["appeal_decision"](SAMPLES["appeal_decision"](), SAMPLE_PROFILE))
    pages = ["".join(page.extract_text().split()) for page in pypdf.PdfReader(BytesIO(converted)).pages]
    (page,) = [p for p in pages if "现作出如下申诉处理决定" in p]
    assert "变更2026年8月10日对你作出的诫勉决定" in page and "特此决定" in page
