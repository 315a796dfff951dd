"""更正登记信息 (issue 18 item 7): intake corrects a registration's basic fields until 交办 — each change
audited with before and after, told on the office's timeline; the statistics follow; refused after 交办."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from matters_factories import TODAY, audit_entries, signed_in
from supervision import clock
from supervision.errors import PermissionDenied, WorkflowError
from supervision.matters import services
from supervision.models.matters import Category, Channel, MatterKind
from supervision.statistics import periods
from supervision.statistics.figures import StatisticsFilters, clear_cache, compute_statistics


@pytest.fixture
def categories(session):
    wrong = Category(matter_kind=MatterKind.COMPLAINT, name="服务态度", sort_order=1)
    right = Category(matter_kind=MatterKind.COMPLAINT, name="办事效率", sort_order=2)
    session.add_all([wrong, right])
    session.commit()
    return wrong, right


def correction_form(matter, **overrides) -> dict:
    values = {"version": matter.version, "title": matter.title, "channel": matter.channel.value,
              "category_id": str(matter.category_id or ""), "received_on": matter.received_on.isoformat(),
              "respondent_department_id": str(matter.respondent_department_id or ""),
              "respondent_unit": "", "respondent_person": matter.respondent_person, "note": "登记时选错。"}
    values.update(overrides)
    return values


def received_in(session, category) -> int:
    clear_cache()
    figures = compute_statistics(session, periods.month(TODAY.year, TODAY.month),
                                 StatisticsFilters(category_id=category.id), TODAY)
    return figures.totals.matters.received


def test_intake_corrects_category_and_respondent_audited_on_the_timeline_and_in_the_statistics(
        app, session, office, make_matter, categories):
    wrong, right = categories
    matter = make_matter("accepted", category=wrong, respondent_department=office.other_department)
    assert (received_in(session, wrong), received_in(session, right)) == (1, 0)
    intake = signed_in(app, office.intake)

    page = intake.get(f"/matters/{matter.id}").text
    assert "更正登记信息" in page and 'name="category_id"' in page

    response = intake.post(f"/matters/{matter.id}/act/correct", data=correction_form(
        matter, category_id=str(right.id), respondent_department_id=str(office.department.id),
        note="被反映单位登记错误，经核实为市场监管局。"))
    assert response.status_code == 302
    page = intake.get(response.location).text
    assert "登记信息已更正。" in page
    assert "问题类别由“服务态度”更正为“办事效率”" in page
    assert f"被反映单位由“{office.other_department.name}”更正为“{office.department.name}”" in page

    session.expire_all()
    assert matter.category_id == right.id and matter.respondent_department_id == office.department.id
    assert matter.respondent_unit == office.department.name
    [entry] = audit_entries(session, "matter.registration_corrected", matter)
    changes = json.loads(entry.changes)
    assert changes["category"] == ["服务态度", "办事效率"]
    assert changes["respondent_unit"] == [office.other_department.name, office.department.name]
    assert changes["reason"] == "被反映单位登记错误，经核实为市场监管局。"
    assert (received_in(session, wrong), received_in(session, right)) == (0, 1)


def test_a_later_receipt_date_moves_the_acceptance_deadline_of_a_registered_matter(session, office, make_matter):
    matter = make_matter("registered", received_on=TODAY.replace(day=1))
    before = matter.accept_due_on
    with clock.frozen(TODAY.replace(day=5)):
        changes = services.correct_registration(session, office.intake, matter, services.RegistrationInput(
            title=matter.title, channel=Channel.LETTER, received_on=TODAY.replace(day=4)), "收件日期录错。")
    assert changes["channel"] == [Channel.PHONE, Channel.LETTER]
    assert matter.accept_due_on > before and matter.due_on == matter.accept_due_on


def test_correction_is_refused_after_assignment_in_chinese(app, session, office, make_matter, categories):
    matter = make_matter("assigned")
    with pytest.raises(WorkflowError, match="登记信息只能在交办前更正"):
        services.correct_registration(session, office.intake, matter, services.RegistrationInput(
            title="改", channel=Channel.PHONE, received_on=TODAY), "理由")
    session.rollback()
    intake = signed_in(app, office.intake)
    assert "更正登记信息" not in intake.get(f"/matters/{matter.id}").text
    response = intake.post(f"/matters/{matter.id}/act/correct", data=correction_form(matter, title="改过"))
    assert response.status_code == 403


def test_a_department_head_cannot_correct_and_nothing_unchanged_is_recorded(session, office, make_matter):
    matter = make_matter("accepted")
    data = services.RegistrationInput(title=matter.title, channel=matter.channel, received_on=matter.received_on)
    with pytest.raises(PermissionDenied):
        services.correct_registration(session, office.head, matter, data, "理由")
    with pytest.raises(services.ValidationError, match="没有变化"):
        services.correct_registration(session, office.intake, matter, data, "理由")
    with pytest.raises(services.ValidationError, match="请填写更正理由"):
        services.correct_registration(session, office.intake, matter, data, " ")


def test_the_corrected_citizen_title_stays_off_the_department_side(app, session, office, make_matter):
    """The old and new 事由 are on the office's timeline only: once assigned, the department sees neither."""
    matter = make_matter("accepted", title="张三反映窗口拖拉")
    services.correct_registration(session, office.intake, matter, services.RegistrationInput(
        title="反映窗口办事拖拉", channel=matter.channel, received_on=matter.received_on), "标题含姓名。")
    services.assign_matter(session, office.intake, matter, lead=office.department)
    session.commit()
    page = signed_in(app, office.head).get(f"/matters/{matter.id}").text
    assert "张三" not in page and "更正登记信息" not in page
