"""Route wiring of the matters pages: forms, messages, escaping, list filters, lights and the to-do list.
The rules themselves are tested on the services (test_matters_services.py)."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from sqlalchemy import select

from matters_factories import TODAY, signed_in
from supervision import clock
from supervision.matters import services
from supervision.models.matters import Channel, Matter, MatterKind, MatterStatus

XSS = "<script>alert(1)</script>"


def complaint_form(**overrides) -> dict:
    return {"channel": "phone", "received_on": TODAY.isoformat(), "title": "窗口办事拖拉",
            "content": "来电反映窗口办事拖拉。", "summary": "群众反映窗口办事拖拉。", "name": "张某某",
            "phone": "13800000000", **overrides}


def row_of(page: str, serial: str) -> str:
    """The list's table row of one matter."""
    match = re.search(rf"<tr>(?:(?!</tr>).)*{re.escape(serial)}(?:(?!</tr>).)*</tr>", page, re.S)
    assert match, f"{serial} not listed"
    return match.group(0)


def serials_on(page: str) -> set[str]:
    return set(re.findall(r"[A-Z]{2}-\d{4}-\d{5}", page))


# --- registration ----------------------------------------------------------------------------------
def test_registering_a_complaint_leads_to_its_page_with_serial_and_query_code(app, session, office):
    intake = signed_in(app, office.intake)
    response = intake.post("/matters/new/complaint", data=complaint_form())
    assert response.status_code == 302
    matter = session.scalars(select(Matter)).one()
    assert response.location.endswith(f"/matters/{matter.id}")
    page = intake.get(response.location).text
    assert f"已登记 {matter.serial}，查询码 {matter.query_code}" in page and matter.serial == "XT-2026-00001"


def test_register_form_errors_are_in_chinese_and_keep_what_was_typed(app, session, office):
    intake = signed_in(app, office.intake)
    tomorrow = (TODAY + timedelta(days=1)).isoformat()
    cases = [
        (complaint_form(title=""), "此项为必填项。"),
        (complaint_form(title="长" * 121), "不能超过 120 个字符。"),
        (complaint_form(received_on=tomorrow), "收件日期不能晚于今天。"),
    ]
    for form, message in cases:
        response = intake.post("/matters/new/complaint", data=form)
        assert response.status_code == 200 and message in response.text, message
        assert "来电反映窗口办事拖拉。" in response.text and 'value="13800000000"' in response.text
    assert session.scalar(select(Matter)) is None


def test_action_sent_from_a_stale_page_is_refused_with_a_message(app, session, office, make_matter):
    matter = make_matter("registered")
    seen = matter.version
    services.update_summary(session, office.supervisor, matter, "督查人员改过的摘要", seen)
    session.commit()
    response = signed_in(app, office.intake).post(f"/matters/{matter.id}/act/accept", data={
        "version": seen, "complaint_class": "claim"})
    assert response.status_code == 400 and "该事项已被他人修改，请刷新页面" in response.text
    session.expire_all()
    assert matter.status == MatterStatus.REGISTERED


def test_action_form_with_errors_is_shown_again_with_its_input(app, session, office, make_matter):
    matter = make_matter("accepted", respondent_department=office.department)
    intake = signed_in(app, office.intake)
    refused = intake.post(f"/matters/{matter.id}/act/assign", data={
        "version": matter.version, "lead_id": office.department.id, "requirements": "请七日内核实"})
    assert refused.status_code == 400 and "回避" in refused.text and "请七日内核实" in refused.text
    session.expire_all()
    accepted = intake.post(f"/matters/{matter.id}/act/assign", data={
        "version": matter.version, "lead_id": office.department.id, "avoidance_reason": "无其他有权处理单位"})
    assert accepted.status_code == 302
    session.expire_all()
    assert matter.status == MatterStatus.ASSIGNED


def test_extension_decision_posted_on_another_matters_page_is_not_found(app, session, office, make_matter):
    asking, other = make_matter("in_progress"), make_matter("in_progress")
    extension = services.request_extension(session, office.head, asking.lead_assignment,
                                           asking.lead_assignment.due_on + timedelta(days=6), "需调查")
    session.commit()
    response = signed_in(app, office.supervisor).post(f"/matters/{other.id}/act/decide_extension", data={
        "version": other.version, "extension_id": extension.id, "decision": "approve"})
    assert response.status_code == 404
    session.expire_all()
    assert extension.status.value == "pending"


def test_script_in_title_and_summary_comes_back_escaped(app, session, office):
    intake = signed_in(app, office.intake)
    response = intake.post("/matters/new/complaint", data=complaint_form(title=XSS, summary=XSS, content=XSS))
    assert response.status_code == 302
    matter = session.scalars(select(Matter)).one()
    services.accept_matter(session, office.intake, matter)
    services.assign_matter(session, office.intake, matter, lead=office.department)
    session.commit()
    for client in (intake, signed_in(app, office.head)):
        for url in ("/matters/", f"/matters/{matter.id}", "/"):
            page = client.get(url).text
            assert XSS not in page, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in client.get(f"/matters/{matter.id}").text


# --- the list --------------------------------------------------------------------------------------
def test_list_filters_by_kind_status_department_overdue_and_keyword(app, session, office, make_matter):
    complaint = make_matter("registered", title="营业执照变更被要求反复补材料")
    suggestion = make_matter("registered", kind=MatterKind.SUGGESTION, channel=Channel.MAILBOX, anonymous=True,
                             title="建议延长午间服务")
    assigned = make_matter("assigned", title="窗口离岗")
    elsewhere = make_matter("accepted", title="医院乱收费")
    services.assign_matter(session, office.intake, elsewhere, lead=office.other_department,
                           due_on=TODAY + timedelta(days=1))
    session.commit()
    intake = signed_in(app, office.intake)

    def listed(**query) -> set[str]:
        return serials_on(intake.get("/matters/", query_string=query).text)

    everything = {m.serial for m in (complaint, suggestion, assigned, elsewhere)}
    assert listed() == everything
    assert listed(kind="suggestion") == {suggestion.serial}
    assert listed(status="assigned") == {assigned.serial, elsewhere.serial}
    assert listed(department=office.other_department.id) == {elsewhere.serial}
    assert listed(q="营业执照") == {complaint.serial}
    assert listed(q=assigned.serial) == {assigned.serial}
    assert listed(overdue="y") == set()
    with clock.frozen(TODAY + timedelta(days=3)):
        assert listed(overdue="y") == {elsewhere.serial}


def test_list_is_paginated_and_keeps_the_filters(app, session, office, make_matter):
    app.config["PER_PAGE"] = 2
    matters = [make_matter("registered", title=f"第{n}件") for n in range(3)]
    intake = signed_in(app, office.intake)
    first = intake.get("/matters/", query_string={"kind": "complaint"}).text
    second = intake.get("/matters/", query_string={"kind": "complaint", "page": 2}).text
    assert "第 1 / 2 页，共 3 条" in first and "page=2" in first and "kind=complaint" in first
    assert serials_on(first) | serials_on(second) == {m.serial for m in matters}
    assert len(serials_on(first)) == 2 and len(serials_on(second)) == 1


def test_deadline_lights_red_when_overdue_and_yellow_within_two_working_days(app, session, office, make_matter):
    matters = {}
    # Seen on Wednesday 3 June: due Mon 8 June is three working days away, Fri 5 June two, Tue 2 June past.
    for name, due in (("green", date(2026, 6, 8)), ("yellow", date(2026, 6, 5)), ("red", date(2026, 6, 2))):
        matters[name] = make_matter("accepted")
        services.assign_matter(session, office.intake, matters[name], lead=office.department, due_on=due)
    session.commit()
    head = signed_in(app, office.head)
    with clock.frozen(date(2026, 6, 3)):
        page = head.get("/matters/").text
        detail = head.get(f"/matters/{matters['red'].id}").text
    for light, matter in matters.items():
        assert f"light-{light}" in row_of(page, matter.serial), light
    assert "light-red" in detail
    # … and in words beside the dot, counted in working days of the office calendar
    words = {"green": "剩余 3 个工作日", "yellow": "剩余 2 个工作日", "red": "超期 1 个工作日"}
    for light, matter in matters.items():
        assert words[light] in row_of(page, matter.serial), light
    assert "超期 1 个工作日" in detail


def test_light_words_count_working_days_and_name_the_day_itself():
    from supervision.calendar import WorkCalendar
    from supervision.deadlines import light_words

    calendar, friday = WorkCalendar(), date(2026, 6, 5)
    assert light_words(calendar, friday, friday) == "今日到期"
    assert light_words(calendar, date(2026, 6, 8), friday) == "剩余 1 个工作日"  # the weekend does not count
    assert light_words(calendar, friday, date(2026, 6, 7)) == "已超期"  # passed on Sunday: no working day late
    assert light_words(calendar, friday, date(2026, 6, 9)) == "超期 2 个工作日"
    assert light_words(calendar, None, friday) == ""


# --- the home page: each role's to-do list -------------------------------------------------------------
def test_home_page_shows_each_role_its_own_to_do(app, session, office, make_matter):
    registered = make_matter("registered", title="待受理的事项")
    replied = make_matter("replied", title="待审核的事项")
    assigned = make_matter("assigned", title="待签收的事项")
    in_progress = make_matter("in_progress", title="申请延期的事项")
    services.request_extension(session, office.head, in_progress.lead_assignment,
                               in_progress.lead_assignment.due_on + timedelta(days=6), "需调查")
    session.commit()

    def todo(user) -> dict[str, set[str]]:
        page = signed_in(app, user).get("/").text
        groups = re.findall(r'id="todo-(\w+)">(.*?)</section>', page, re.S)
        return {key: serials_on(body) for key, body in groups}

    assert todo(office.intake)["register"] == {registered.serial}
    assert replied.serial in todo(office.supervisor)["review"]
    assert todo(office.leader)["extensions"] == {in_progress.serial}
    head = todo(office.head)
    assert head["sign"] == {assigned.serial} and in_progress.serial in head["handle"]
    assert registered.serial not in set().union(*head.values())
    assert todo(office.other_head) == {"sign": set(), "handle": set()}
    assert todo(office.admin) == {}


# --- 回避 asks only where there is something to recuse (issue 15 note, issue 18) ----------------------------
def _assign_as_prefilled(client, matter) -> tuple[str, object]:
    """The 交办 form as the page fills it (主办单位 proposed from the 被反映单位), sent without a 回避 reason."""
    page = client.get(f"/matters/{matter.id}").text
    lead = re.search(r'<select[^>]*name="lead_id"[^>]*>.*?</select>', page, re.S).group(0)
    chosen = re.search(r'<option selected value="(\d+)"|<option value="(\d+)" selected', lead)
    assert chosen, "主办单位 pre-filled"
    lead_id = next(filter(None, chosen.groups()))
    return page, client.post(f"/matters/{matter.id}/act/assign", data={
        "version": matter.version, "lead_id": lead_id, "assigned_title": matter.assigned_title or matter.title,
        "assigned_respondent_unit": matter.respondent_unit, "assigned_respondent_person": ""})


@pytest.mark.parametrize("kind", ["suggestion", "finding"])
def test_keeping_the_prefilled_unit_of_a_suggestion_or_finding_asks_no_recusal_reason(
        app, session, office, make_matter, kind):
    from supervision.matters.services import IdentityInput

    extra = ({"kind": MatterKind.SUGGESTION, "channel": Channel.MAILBOX} if kind == "suggestion" else
             {"kind": MatterKind.FINDING, "channel": Channel.UNDERCOVER, "problems": "窗口离岗", "identity": IdentityInput()})
    matter = make_matter("accepted", respondent_department=office.department, **extra)
    page, response = _assign_as_prefilled(signed_in(app, office.intake), matter)
    assert "回避例外理由（主办单位按被反映单位预填" not in page  # nothing to recuse: no question on the form
    assert response.status_code == 302, response.text
    session.expire_all()
    assert matter.status == MatterStatus.ASSIGNED and matter.lead_department_id == office.department.id
    assert matter.lead_assignment.avoidance_override == ""


def test_keeping_the_prefilled_unit_of_a_complaint_about_it_still_asks_why(app, session, office, make_matter):
    matter = make_matter("accepted", respondent_department=office.department)
    page, response = _assign_as_prefilled(signed_in(app, office.intake), matter)
    assert "回避例外理由（主办单位按被反映单位预填" in page
    assert response.status_code == 400 and "按回避原则" in response.text
    session.expire_all()
    assert matter.status == MatterStatus.ACCEPTED
