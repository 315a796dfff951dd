"""The 交办 form's pickers (issue 18 item 9): units grouped by kind with 市直部门 first, 协办单位 as
checkboxes (no Ctrl+click), 主办单位 proposed from the 被反映单位, and the deadline a blank date gets
shown before the form is sent — computed by supervision.deadlines, never counted in the page."""

from __future__ import annotations

import re

from matters_factories import signed_in
from supervision import clock
from supervision.deadlines import compute_due, limit_for
from supervision.models.calendar import LimitStep
from supervision.models.org import DepartmentKind


def assign_panel(page: str) -> str:
    match = re.search(r'action="/matters/\d+/act/assign".*?</form>', page, re.S)
    assert match, "no 交办 form"
    return match.group(0)


def test_units_are_grouped_city_departments_first_and_co_handling_is_checkboxes(
        app, session, office, make_matter, make_department):
    township = make_department(code="A01", name="城关街道", kind=DepartmentKind.TOWNSHIP)
    matter = make_matter("accepted")
    panel = assign_panel(signed_in(app, office.intake).get(f"/matters/{matter.id}").text)
    lead = re.search(r'<select[^>]*name="lead_id".*?</select>', panel, re.S).group(0)
    groups = re.findall(r'<optgroup label="([^"]+)">', lead)
    assert groups == ["市直部门", "乡镇街道"]
    assert lead.index(office.department.name) < lead.index(township.name)
    assert "data-filterable" in lead
    assert 'data-picker' in panel and "multiple" not in panel
    assert re.search(rf'<input type="checkbox" name="co_ids" value="{township.id}"', panel)
    assert "<legend>市直部门</legend>" in panel


def test_lead_is_proposed_from_the_respondent_and_the_blank_deadline_is_shown(app, session, office, make_matter):
    matter = make_matter("accepted", respondent_department=office.co_department)
    panel = assign_panel(signed_in(app, office.intake).get(f"/matters/{matter.id}").text)
    assert re.search(rf'<option selected value="{office.co_department.id}">', panel)
    assert "主办单位按被反映单位预填" in panel
    limit = limit_for(session, LimitStep.HANDLE, matter.kind.value)
    due = compute_due(session, clock.today(), limit).due
    assert f"留空按规定时限 {limit.label}，计至 {due:%Y-%m-%d}" in panel


def test_ticked_co_handling_units_are_assigned(app, session, office, make_matter):
    matter = make_matter("accepted")
    response = signed_in(app, office.intake).post(f"/matters/{matter.id}/act/assign", data={
        "version": matter.version, "lead_id": office.department.id, "assigned_title": matter.title,
        "co_ids": [str(office.co_department.id), str(office.other_department.id)]})
    assert response.status_code == 302
    session.expire_all()
    assert {a.department_id for a in matter.assignments} == {
        office.department.id, office.co_department.id, office.other_department.id}


def test_the_registration_form_shows_the_acceptance_deadline_as_it_is_filled(app, session, office):
    intake = signed_in(app, office.intake)
    limit = limit_for(session, LimitStep.ACCEPT, "complaint")
    today = clock.today()
    expected = f"受理时限：收件之日起 {limit.label}，计至 {compute_due(session, today, limit).due:%Y-%m-%d}"
    assert expected in intake.get("/matters/new/complaint").text
    answer = intake.get(f"/matters/deadline/complaint?received_on={today.replace(day=1):%Y-%m-%d}").get_json()
    assert answer["text"].startswith(f"受理时限：收件之日起 {limit.label}，计至 "
                                     f"{compute_due(session, today.replace(day=1), limit).due:%Y-%m-%d}")
    for junk in ("", "2026-13-45", "9999-01-01", "x" * 300):
        response = intake.get(f"/matters/deadline/complaint?received_on={junk}&category_id=abc")
        assert response.status_code == 200 and "填写收件日期后显示" in response.get_json()["text"]
    assert intake.get("/matters/deadline/nothing").status_code == 404
    assert signed_in(app, office.head).get("/matters/deadline/complaint").status_code == 403
