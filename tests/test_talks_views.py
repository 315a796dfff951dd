"""The talk pages: who may open what (403 for the role, 404 for what is not addressed to one), and
the wiring of the forms to the services."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from matters_factories import last_audit, signed_in
from supervision.models.talks import Talk, TalkKind, TalkStatus

ROLES = ["admin", "intake", "supervisor", "leader", "head", "other_head"]


@pytest.fixture
def pages(make_talk):
    """The pages of one admonition (held), one criticism talk (notified) and one inquiry (notified)."""
    talk = make_talk("held", subject_name="周建华")
    notice = make_talk("notified", kind=TalkKind.CRITICISM, subject_name="王海")
    inquiry = make_talk("notified", kind=TalkKind.INQUIRY, subject_name="李国强")
    return {
        "index": "/talks/",
        "new": "/talks/new/admonition",
        "talk": f"/talks/{talk.id}",
        "talk_notice": f"/talks/{notice.id}/notice",
        "criticism_record": f"/talks/{notice.id}",
        "inquiry": f"/talks/{inquiry.id}",
        "register": "/talks/register",
        "people": "/talks/people",
        "person": "/talks/person?name=周建华&unit=市市场监督管理局",
    }


# (page, {role: status})
MATRIX = {
    "index": dict(admin=403, intake=403, supervisor=200, leader=200, head=200, other_head=200),
    "new": dict(admin=403, intake=403, supervisor=200, leader=403, head=403, other_head=403),
    "talk": dict(admin=403, intake=403, supervisor=200, leader=200, head=404, other_head=404),
    "talk_notice": dict(admin=403, intake=403, supervisor=200, leader=200, head=200, other_head=404),
    "criticism_record": dict(admin=403, intake=403, supervisor=200, leader=200, head=404, other_head=404),
    "inquiry": dict(admin=403, intake=403, supervisor=200, leader=200, head=200, other_head=404),
    "register": dict(admin=403, intake=403, supervisor=200, leader=200, head=403, other_head=403),
    "people": dict(admin=403, intake=403, supervisor=200, leader=200, head=403, other_head=403),
    "person": dict(admin=403, intake=403, supervisor=200, leader=200, head=403, other_head=403),
}


@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix(app, office, pages, role):
    client = signed_in(app, getattr(office, role))
    got = {page: client.get(url).status_code for page, url in pages.items()}
    assert got == {page: MATRIX[page][role] for page in pages}


def test_anonymous_visitors_are_sent_to_login(client, pages):
    response = client.get(pages["talk"])
    assert response.status_code == 302 and "/login" in response.location


@pytest.mark.parametrize(("role", "expected"), [("admin", 403), ("intake", 403), ("leader", 403), ("head", 403),
                                                ("supervisor", 302)])
def test_only_supervisors_generate_documents(app, office, make_talk, role, expected):
    talk = make_talk("approved")
    response = signed_in(app, getattr(office, role)).post(f"/talks/{talk.id}/documents/admonition_notice")
    assert response.status_code == expected


def test_department_heads_list_shows_only_what_is_addressed_to_them(app, office, make_talk):
    make_talk("held", subject_name="记录对象")
    make_talk("notified", kind=TalkKind.CRITICISM, subject_name="通知对象")
    make_talk("notified", kind=TalkKind.INQUIRY, subject_name="函询对象")
    make_talk("approved", kind=TalkKind.INQUIRY, subject_name="未发函询")
    make_talk("notified", kind=TalkKind.INQUIRY, subject_name="别家函询", subject_department=office.other_department)
    text = signed_in(app, office.head).get("/talks/").text
    assert "通知对象" in text and "函询对象" in text and "记录对象" in text  # the admonition's notice was sent
    assert "未发函询" not in text and "别家函询" not in text
    other = signed_in(app, office.other_head).get("/talks/").text
    assert "别家函询" in other and "函询对象" not in other


def test_the_inquiry_page_of_a_department_shows_summaries_never_content_or_identity(app, office, make_talk,
                                                                                     make_matter):
    from supervision.matters.services import IdentityInput

    matter = make_matter("in_progress", content="原始内容标记QQQ", summary="摘要：窗口推诿。",
                         identity=IdentityInput(name="举报人丁", phone="13700000000"))
    talk = make_talk("notified", kind=TalkKind.INQUIRY, matters=[matter], reason="内部事由标记RRR")
    text = signed_in(app, office.head).get(f"/talks/{talk.id}").text
    assert "摘要：窗口推诿。" in text and "回复函询" in text
    for secret in ("原始内容标记QQQ", "举报人丁", "13700000000", "内部事由标记RRR", matter.serial):
        assert secret not in text


def test_department_head_answers_the_inquiry_through_the_page(app, session, office, make_talk):
    talk = make_talk("notified", kind=TalkKind.INQUIRY)
    client = signed_in(app, office.head)
    response = client.post(f"/talks/{talk.id}/act/reply", data={"text": "经核查，逐项说明如下。", "version": talk.version})
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Talk, talk.id).status == TalkStatus.REPLIED
    assert last_audit(session, "talk.reply", talk)[0].actor_id == office.head.id
    assert signed_in(app, office.other_head).post(f"/talks/{talk.id}/act/reply",
                                                  data={"text": "冒名回复"}).status_code == 404


def test_a_department_head_cannot_act_on_a_talk(app, office, make_talk):
    talk = make_talk("notified", kind=TalkKind.CRITICISM)
    assert signed_in(app, office.head).post(f"/talks/{talk.id}/act/hold", data={}).status_code == 404


def test_supervisor_proposes_through_the_form(app, session, office, make_matter):
    matter = make_matter("in_progress")
    client = signed_in(app, office.supervisor)
    response = client.post("/talks/new/admonition", data={
        "subject_name": "周建华", "subject_department_id": str(office.department.id), "subject_post": "科长",
        "reason": "管理不力", "matters": f"{matter.serial.lower()}", "scheduled_at": "2026-06-03T14:30",
        "place": "谈话室", "talkers": "张卫东，示范市行政效能投诉中心，督查科科长\n陈志刚、示范市行政效能投诉中心、副主任",
        "recorder": "孙明，示范市行政效能投诉中心，干部"})
    assert response.status_code == 302, response.text
    talk = session.scalar(select(Talk))
    assert [(p.name, p.unit, p.post) for p in talk.talkers] == [
        ("张卫东", "示范市行政效能投诉中心", "督查科科长"), ("陈志刚", "示范市行政效能投诉中心", "副主任")]
    assert talk.recorder.name == "孙明" and talk.matters == [matter]


def test_a_proposal_without_subject_or_with_an_unknown_matter_keeps_what_was_typed(app, session, office):
    client = signed_in(app, office.supervisor)
    response = client.post("/talks/new/reminder", data={"subject_name": "", "reason": "事由甲"})
    assert response.status_code == 400 and "此项为必填项" in response.text and "事由甲" in response.text
    response = client.post("/talks/new/reminder", data={"subject_name": "某人", "subject_unit": "某单位",
                                                       "reason": "事由乙", "matters": "XT-2026-99999"})
    assert response.status_code == 400 and "找不到编号为 XT-2026-99999 的事项" in response.text
    assert session.scalar(select(Talk)) is None


def test_leader_approves_and_a_supervisor_may_not(app, session, office, make_talk):
    talk = make_talk()
    assert signed_in(app, office.supervisor).post(f"/talks/{talk.id}/act/approve", data={}).status_code == 403
    response = signed_in(app, office.leader).post(f"/talks/{talk.id}/act/approve",
                                                  data={"note": "同意", "version": talk.version})
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Talk, talk.id).status == TalkStatus.APPROVED


def test_recording_a_talk_before_notice_is_refused_with_the_reason(app, session, office, make_talk):
    talk = make_talk("approved")
    response = signed_in(app, office.supervisor).post(f"/talks/{talk.id}/act/hold", data={
        "started_at": "2026-05-29T14:30", "ended_at": "2026-05-29T15:00", "exchanges": "问：甲？\n答：乙。",
        "statement": "接受。"})
    assert response.status_code == 400 and "当前状态为“已批准”，不能进行“记录谈话”操作" in response.text
    assert "问：甲？" in response.text  # what was typed is kept


def test_recording_the_talk_through_the_form_parses_the_questions_and_answers(app, session, office, make_talk):
    talk = make_talk("notified")
    response = signed_in(app, office.supervisor).post(f"/talks/{talk.id}/act/hold", data={
        "started_at": "2026-05-29T14:30", "ended_at": "2026-05-29T15:00",
        "exchanges": "问：第一问？\n答：第一答，\n接着说。\n问：第二问？\n答：第二答。", "statement": "接受诫勉。",
        "commitments": "整改一\n整改二", "version": talk.version})
    assert response.status_code == 302
    session.expire_all()
    talk = session.get(Talk, talk.id)
    assert [(e.question, e.answer) for e in talk.exchanges] == [("第一问？", "第一答，\n接着说。"), ("第二问？", "第二答。")]
    assert str(talk.influence_ends_on) == "2026-11-29"


def test_missing_influence_configuration_is_shown_not_crashed(app, office, make_talk):
    talk = make_talk("notified")
    app.config.pop("ADMONITION_INFLUENCE_MONTHS")
    response = signed_in(app, office.supervisor).post(f"/talks/{talk.id}/act/hold", data={
        "started_at": "2026-05-29T14:30", "ended_at": "2026-05-29T15:00", "exchanges": "问：甲？\n答：乙。",
        "statement": "接受。"})
    assert response.status_code == 400 and "ADMONITION_INFLUENCE_MONTHS" in response.text


def test_person_record_highlights_the_running_influence_period_and_lists_matters(app, office, make_talk,
                                                                                 make_matter):
    make_talk("held", subject_name="周建华")
    make_talk("closed", kind=TalkKind.INQUIRY, subject_name="周建华")
    make_talk("held", subject_name="周建华", subject_department=office.other_department)  # another 周建华
    matter = make_matter("assigned", respondent_person="行政审批科科长周建华")
    text = signed_in(app, office.leader).get("/talks/person?name=周建华&unit=市市场监督管理局").text
    assert "诫勉影响期内" in text and "2026年11月29日" in text and "采信了结" in text
    assert matter.serial in text and "JM-2026-00001" in text and "JM-2026-00002" not in text
    people = signed_in(app, office.supervisor).get("/talks/people?q=周建华").text
    assert people.count("/talks/person?name=") == 2 and "至 2026-11-29" in people


def test_person_record_of_nobody_is_404(app, office):
    assert signed_in(app, office.supervisor).get("/talks/person?name=查无此人&unit=x").status_code == 404


def test_navigation_shows_talks_to_supervisors_leaders_and_department_heads(app, office):
    for role, shown in [("supervisor", True), ("leader", True), ("head", True), ("intake", False), ("admin", False)]:
        assert ("谈话函询" in signed_in(app, getattr(office, role)).get("/").text) is shown
