"""The /clues/ pages: office staff only (a department head — head or liaison — and the admin get 403 on
every page, form and file), the wiring of registration, conversion from a matter and the disposal."""

from __future__ import annotations

import pytest

from clues_factories import make_clue  # noqa: F401
from matters_factories import make_matter, office, signed_in, today  # noqa: F401
from supervision.models.clues import ClueStatus


def clue_urls(clue, matter) -> list[tuple[str, str]]:
    return [("get", "/clues/"), ("get", "/clues/new"), ("get", f"/clues/{clue.id}"),
            ("get", f"/clues/from-matter/{matter.id}"), ("post", f"/clues/{clue.id}/reporter"),
            ("post", f"/clues/{clue.id}/act/propose"), ("post", "/clues/new"),
            ("get", "/clues/?q=李建国"), ("post", f"/clues/{clue.id}/inquiries"), ("get", "/clues/inquiries/incomplete"),
            ("post", "/clues/inquiries/1/act/serve"), ("post", "/clues/inquiries/1/notice"),
            ("post", "/clues/inquiries/1/addressee"), ("get", f"/clues/{clue.id}/files/1"),
            ("get", "/clues/statistics"), ("get", "/ledgers/clues.xlsx"), ("post", f"/clues/{clue.id}/case/plan"),
            ("post", f"/clues/{clue.id}/clearance-notice")]


@pytest.mark.parametrize("who", ["head", "other_head", "admin"])
def test_a_department_head_or_the_admin_gets_403_on_every_clue_page(app, office, make_clue, make_matter, who):
    clue, matter = make_clue(), make_matter("accepted")
    client = signed_in(app, getattr(office, who))
    for method, url in clue_urls(clue, matter):
        response = getattr(client, method)(url)
        assert response.status_code == 403, (url, response.status_code)
        assert "李建国" not in response.text


def test_the_navigation_shows_clues_to_office_roles_only(app, office):
    for who, shown in [("intake", True), ("supervisor", True), ("leader", True), ("head", False), ("admin", False)]:
        page = signed_in(app, getattr(office, who)).get("/").text
        assert ('href="/clues/"' in page) is shown, who


def test_intake_registers_a_clue_and_the_list_finds_it(app, office):
    client = signed_in(app, office.intake)
    response = client.post("/clues/new", data={
        "source": "inspection_tour", "source_note": "市委第二巡察组移交", "received_on": "2026-06-01",
        "people": "赵某，示范市交通运输局，副局长，县处级", "summary": "反映赵某违规接受宴请。"})
    assert response.status_code == 302, response.text
    page = client.get(response.headers["Location"]).text
    assert "赵某" in page and "县处级" in page and "巡视巡察移交" in page
    assert "XS-2026-00001" in client.get("/clues/?q=交通运输").text
    assert "XS-2026-00001" not in client.get("/clues/?q=卫生").text


def test_a_bad_registration_keeps_the_input_and_says_why(app, office):
    client = signed_in(app, office.intake)
    response = client.post("/clues/new", data={"source": "higher", "received_on": "2026-06-01",
                                               "people": "赵某", "summary": "反映赵某违规接受宴请。"})
    assert response.status_code == 400 and "工作单位" in response.text and "反映赵某违规接受宴请" in response.text


def test_turning_a_matter_into_a_clue_from_its_page(app, office, make_matter):
    matter = make_matter("accepted", respondent_person="李建国")
    client = signed_in(app, office.intake)
    page = client.get(f"/matters/{matter.id}").text
    assert "转为问题线索" in page
    form = client.get(f"/clues/from-matter/{matter.id}").text
    assert "李建国" in form
    response = client.post(f"/clues/from-matter/{matter.id}", data={
        "version": matter.version, "people": "李建国，示范市住房和城乡建设局，科长，乡科级", "summary": matter.summary})
    assert response.status_code == 302, response.text
    assert "已转为问题线索" in client.get(f"/matters/{matter.id}").text


def test_the_disposal_is_proposed_and_approved_on_the_clue_page(app, office, make_clue):
    clue = make_clue()
    supervisor, leader = signed_in(app, office.supervisor), signed_in(app, office.leader)
    assert "提交审批" in supervisor.get(f"/clues/{clue.id}").text
    assert "提交审批" not in leader.get(f"/clues/{clue.id}").text
    assert leader.post(f"/clues/{clue.id}/act/propose", data={"way": "close", "reason": "x"}).status_code == 403
    response = supervisor.post(f"/clues/{clue.id}/act/propose", data={
        "version": clue.version, "way": "inquiry", "reason": "问题具体，拟函询本人。"})
    assert response.status_code == 302, response.text
    response = leader.post(f"/clues/{clue.id}/act/approve", data={"note": "同意函询。", "studied_by": "室务会"})
    assert response.status_code == 302, response.text
    page = leader.get(f"/clues/{clue.id}").text
    assert "同意函询" in page and "经室务会研究" in page
    assert clue.status == ClueStatus.INQUIRY


def test_a_shelving_without_a_date_is_refused_in_chinese(app, office, make_clue):
    clue = make_clue()
    response = signed_in(app, office.supervisor).post(f"/clues/{clue.id}/act/propose", data={
        "way": "shelve", "reason": "暂不具备核查条件。"})
    assert response.status_code == 400 and "重新研判的日期" in response.text


def test_the_reporter_is_shown_with_a_reason_and_never_kept(app, office, make_clue):
    clue = make_clue()
    client = signed_in(app, office.supervisor)
    assert "王举报" not in client.get(f"/clues/{clue.id}").text
    page = client.post(f"/clues/{clue.id}/reporter", data={"reason": "核实举报内容"}).text
    assert "王举报" in page and "核实举报内容" in page
    assert "王举报" not in client.get(f"/clues/{clue.id}").text


def test_the_inquiry_journey_on_the_clue_page(app, office, make_clue):
    from io import BytesIO

    from matters_factories import PDF_BYTES

    clue = make_clue("inquiry")
    client = signed_in(app, office.supervisor)
    page = client.get(f"/clues/{clue.id}").text
    assert "向被反映人本人发出函询" in page
    response = client.post(f"/clues/{clue.id}/inquiries", data={
        "version": clue.version, "person_id": clue.people[0].id, "problems": clue.summary,
        "party_committee": "中共示范市住房和城乡建设局党组"})
    assert response.status_code == 302, response.text
    inquiry = clue.inquiries[0]
    notice = client.post(f"/clues/inquiries/{inquiry.id}/notice")
    assert notice.status_code == 302 and "/documents/" in notice.headers["Location"]
    assert client.get(notice.headers["Location"]).status_code == 200
    response = client.post(f"/clues/inquiries/{inquiry.id}/act/serve", data={"served_on": "2026-06-01", "note": "本人签收"})
    assert response.status_code == 302, response.text
    response = client.post(f"/clues/inquiries/{inquiry.id}/act/reply", data={
        "replied_on": "2026-06-01", "countersigned_by": "王书记", "text": "本人未收受购物卡。",
        "files": [(BytesIO(PDF_BYTES), "说明.pdf")]}, content_type="multipart/form-data")
    assert response.status_code == 302, response.text
    page = client.get(f"/clues/{clue.id}").text
    assert "说明.pdf" in page and "2026年6月23日" in page  # 15 working days after 6/1 (端午 6/19 off)
    response = client.post(f"/clues/inquiries/{inquiry.id}/act/decide", data={
        "version": clue.version, "outcome": "accepted", "note": "说明属实。"})
    assert response.status_code == 302, response.text
    assert clue.status == ClueStatus.CONCLUDED


def test_a_migrated_inquiry_without_a_person_is_completed_by_a_clerk(app, session, office, make_matter):
    from supervision.clues.services import migrate_unit_inquiries
    from supervision.models.talks import TalkKind
    from supervision.talks import services as talk_services
    from talks_factories import talk_input

    talk = talk_services.propose_talk(session, office.supervisor, talk_input(
        office, TalkKind.INQUIRY, subject_name=office.department.name, matters=[make_matter("in_progress")]))
    talk_services.approve_talk(session, office.leader, talk)
    session.commit()
    migrate_unit_inquiries(session)
    session.commit()
    client = signed_in(app, office.intake)
    page = client.get("/clues/inquiries/incomplete").text
    assert office.department.name in page
    from supervision.models.clues import ClueInquiry

    inquiry = session.query(ClueInquiry).one()
    response = client.post(f"/clues/inquiries/{inquiry.id}/addressee", data={
        "name": "周建华", "unit": office.department.name, "post": "科长"})
    assert response.status_code == 302
    assert "没有待补全的函询" in client.get("/clues/inquiries/incomplete").text
    assert inquiry.addressee_name == "周建华" and inquiry.clue.people[0].name == "周建华"


def test_a_new_inquiry_is_no_longer_addressed_to_a_unit_from_the_talks_area(app, office):
    client = signed_in(app, office.supervisor)
    response = client.get("/talks/new/inquiry")
    assert response.status_code == 302 and response.headers["Location"].endswith("/clues/")
    assert "/talks/new/inquiry" not in client.get("/talks/").text


def test_the_verification_and_clearance_on_the_clue_page(app, office, make_clue):
    clue = make_clue("verify")
    client = signed_in(app, office.supervisor)
    assert "制定初核方案" in client.get(f"/clues/{clue.id}").text
    assert client.post(f"/clues/{clue.id}/case/plan", data={"plan": "调取档案，谈话了解。"}).status_code == 302
    response = client.post(f"/clues/{clue.id}/case/report", data={"report": "未发现问题。", "result": "hand_over",
                                                                  "found_untrue": "y"})
    assert response.status_code == 400 and "须写明接收单位" in response.text
    response = client.post(f"/clues/{clue.id}/case/report", data={"report": "未发现问题。", "result": "closed",
                                                                  "found_untrue": "y"})
    assert response.status_code == 302, response.text
    response = client.post(f"/clues/{clue.id}/case/clearance", data={
        "requested_by": "李建国本人", "note": "在单位党组会议上通报"})
    assert response.status_code == 302, response.text
    notice = client.post(f"/clues/{clue.id}/clearance-notice")
    assert notice.status_code == 302 and "/documents/" in notice.headers["Location"]
    page = client.get(f"/clues/{clue.id}").text
    assert "澄清〔2026〕1号" in page and "李建国本人" in page
    assert signed_in(app, office.intake).post(f"/clues/{clue.id}/clearance-notice").status_code == 403


def test_the_reporter_reads_acceptance_and_result_on_the_portal_never_the_answers(app, session, office, make_matter,
                                                                                  make_clue):
    from clues_factories import person
    from supervision.clues import services
    from supervision.models.clues import DisposalWay, InquiryOutcome

    matter = make_matter("accepted")
    clue = services.clue_from_matter(session, office.intake, matter, [person()])
    session.commit()
    portal = app.test_client()

    def progress() -> str:
        assert portal.post("/public/track", data={"serial": matter.serial, "query_code": matter.query_code}
                           ).status_code == 302
        return portal.get("/public/track/result").text

    page = progress()
    assert "作为问题线索受理" in page and "正在确定承办单位" not in page and "李建国" not in page
    services.propose_disposal(session, office.supervisor, clue, DisposalWay.INQUIRY, "拟函询。")
    services.approve_disposal(session, office.leader, clue)
    inquiry = services.issue_inquiry(session, office.supervisor, clue, clue.people[0], clue.summary, "某党组")
    services.serve_inquiry(session, office.supervisor, inquiry, matter.received_on)
    services.record_inquiry_reply(session, office.supervisor, inquiry, "答复秘标：本人从未收受购物卡。",
                                  matter.received_on, "王书记")
    services.decide_inquiry_outcome(session, office.supervisor, inquiry, InquiryOutcome.ACCEPTED, "审核秘标")
    session.commit()
    page = progress()
    assert "已办结" in page and "依规予以了结" in page
    for secret in ("答复秘标", "审核秘标", "王书记", "李建国", "函询"):
        assert secret not in page, secret


def test_the_persons_integrity_record_shows_every_clue_disposal_and_inquiry(app, session, office, make_clue):
    clue = make_clue("inquiry")
    make_clue("close")
    other = make_clue("verify", people=[__import__("clues_factories").person(unit="示范市交通运输局")])
    client = signed_in(app, office.leader)
    page = client.get("/talks/person", query_string={"name": "李建国", "unit": "示范市住房和城乡建设局"}).text
    assert "问题线索（2）" in page and clue.serial in page and other.serial not in page
    assert "拟谈话函询" in page and "予以了结" in page and "打印廉政档案" in page
    assert f'href="/talks/person?name=' in client.get(f"/clues/{clue.id}").text
    assert signed_in(app, office.head).get("/talks/person", query_string={
        "name": "李建国", "unit": "示范市住房和城乡建设局"}).status_code == 403


def test_the_clue_ledger_holds_the_register_without_the_reporter(app, office, make_clue):
    from io import BytesIO

    from openpyxl import load_workbook

    make_clue("shelve")
    make_clue("close", people=[__import__("clues_factories").person(name="赵某", unit="示范市交通运输局")])
    response = signed_in(app, office.intake).get("/ledgers/clues.xlsx?q=交通运输")
    assert response.status_code == 200
    book = load_workbook(BytesIO(response.data), read_only=True)
    rows = [[c for c in row] for row in book["线索台账"].iter_rows(values_only=True)]
    text = repr(rows)
    assert "赵某" in text and "予以了结" in text and "暂存待查" not in text
    assert "王举报" not in text and "13911112222" not in text
    assert book.sheetnames == ["线索台账", "函询"]


def test_the_statistics_count_sources_ways_inquiries_and_clearances(app, session, office, make_clue):
    make_clue("shelve")
    make_clue("close")
    make_clue("verify", source=__import__("supervision.models.clues", fromlist=["ClueSource"]).ClueSource.INSPECTION_TOUR)
    page = signed_in(app, office.leader).get("/clues/statistics").text
    assert "受理线索 3 件" in page
    assert signed_in(app, office.intake).get("/clues/statistics").status_code == 403
