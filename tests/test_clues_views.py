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
            ("get", "/clues/?q=李建国")]


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
