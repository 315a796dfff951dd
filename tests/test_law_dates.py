"""Issue 15, "defects in what exists": a date a person types that is not a working day is flagged with the
next working day (交办 deadline, 督办 new deadline, rework deadline), and 不满意 → 重办 gets a new deadline
by the rule instead of keeping the expired one (docs/domain.md §3, §6)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from matters_factories import last_audit, signed_in
from supervision import clock
from supervision.calendar import WorkCalendar
from supervision.errors import ValidationError
from supervision.escalation import services as escalation
from supervision.matters import services
from supervision.models.escalation import SupervisionLevel
from supervision.models.matters import MatterEvent, Satisfaction

CAL = WorkCalendar()
SATURDAY = date(2026, 6, 6)
DRAGON_BOAT = date(2026, 6, 19)  # 端午节, a Friday


def test_a_deadline_typed_on_a_saturday_is_refused_naming_the_next_working_day(session, office, make_matter):
    matter = make_matter("accepted")
    with pytest.raises(ValidationError, match="2026-06-06（星期六）不是工作日.*2026-06-08"):
        services.assign_matter(session, office.intake, matter, lead=office.department, due_on=SATURDAY)


def test_a_deadline_typed_on_a_holiday_names_the_holiday(session, office, make_matter):
    matter = make_matter("accepted")
    with pytest.raises(ValidationError, match="2026-06-19（端午节）不是工作日.*2026-06-22"):
        services.assign_matter(session, office.intake, matter, lead=office.department, due_on=DRAGON_BOAT)
    services.assign_matter(session, office.intake, matter, lead=office.department, due_on=date(2026, 6, 22))
    assert matter.lead_assignment.due_on == date(2026, 6, 22)


def test_a_new_deadline_of_a_supervision_on_a_sunday_is_refused(session, office, make_matter):
    matter = make_matter("in_progress")
    with pytest.raises(ValidationError, match="新的办理时限 2026-06-07（星期日）不是工作日.*2026-06-08"):
        escalation.urge_by_hand(session, office.supervisor, matter.lead_assignment, SupervisionLevel.phone,
                                "请抓紧办理", new_due=date(2026, 6, 7))


def test_the_assignment_form_offers_the_next_working_day(app, office, make_matter):
    matter = make_matter("accepted")
    page = signed_in(app, office.intake).post(f"/matters/{matter.id}/act/assign", data={
        "version": matter.version, "lead_id": office.department.id, "due_on": "2026-06-06",
        "assigned_title": matter.title, "requirements": "请核实"})
    assert page.status_code == 400
    assert "2026-06-06（星期六）不是工作日" in page.text and 'value="2026-06-08"' in page.text


def _dissatisfied_late(session, office, make_matter):
    """A matter answered and called back; the caller says 不满意 after the old deadline has passed."""
    matter = make_matter("approved")
    old_due = matter.lead_assignment.due_on
    later = CAL.add_workdays(old_due, 5)
    return matter, old_due, later


def test_rework_after_dissatisfaction_gets_a_new_deadline_by_the_rule(session, office, make_matter):
    matter, old_due, later = _dissatisfied_late(session, office, make_matter)
    with clock.frozen(later):
        services.record_follow_up(session, office.intake, matter, Satisfaction.DISSATISFIED, "称问题依旧")
        services.reopen_for_rework(session, office.intake, matter, "请重新核实")
        session.commit()
    new_due = CAL.add_workdays(later, 15)  # the default 15-working-day handling limit, from that day
    assert matter.lead_assignment.due_on == new_due and matter.due_on == new_due and new_due > later
    _, changes = last_audit(session, "matter.reopen", matter)
    assert changes["due_on"] == [old_due.isoformat(), new_due.isoformat()]
    event = session.scalars(select(MatterEvent).where(MatterEvent.matter_id == matter.id,
                                                      MatterEvent.action == "due_changed")).all()[-1]
    assert (event.old_due_on, event.new_due_on) == (old_due, new_due)


def test_the_rework_deadline_may_be_earlier_but_not_later_nor_on_a_rest_day(session, office, make_matter):
    matter, old_due, later = _dissatisfied_late(session, office, make_matter)
    with clock.frozen(later):
        services.record_follow_up(session, office.intake, matter, Satisfaction.DISSATISFIED, "称问题依旧")
        by_rule = CAL.add_workdays(later, 15)
        with pytest.raises(ValidationError, match=f"不得晚于.*{by_rule:%Y-%m-%d}"):
            services.reopen_for_rework(session, office.intake, matter, "重办", new_due=CAL.add_workdays(later, 16))
        saturday = next(d for d in (date.fromordinal(later.toordinal() + i) for i in range(1, 9))
                        if d.weekday() == 5)
        with pytest.raises(ValidationError, match="不是工作日"):
            services.reopen_for_rework(session, office.intake, matter, "重办", new_due=saturday)
        earlier = CAL.add_workdays(later, 5)
        services.reopen_for_rework(session, office.intake, matter, "重办", new_due=earlier)
    assert matter.lead_assignment.due_on == earlier


def test_the_rework_form_shows_the_new_deadline(app, session, office, make_matter):
    matter, _, later = _dissatisfied_late(session, office, make_matter)
    with clock.frozen(later):
        services.record_follow_up(session, office.intake, matter, Satisfaction.DISSATISFIED, "称问题依旧")
        session.commit()
        page = signed_in(app, office.intake).get(f"/matters/{matter.id}").text
    assert "重办时限" in page and f'value="{CAL.add_workdays(later, 15):%Y-%m-%d}"' in page


# --- issue 15 leftover: 审核退回 with a blank date gets a new deadline by the rule -------------------------
def test_a_report_sent_back_after_its_deadline_gets_a_new_deadline_by_the_rule(session, office, make_matter):
    matter = make_matter("replied")
    old_due = matter.lead_assignment.due_on
    later = CAL.add_workdays(old_due, 3)  # reviewed after the old deadline had passed
    with clock.frozen(later):
        services.review_reply(session, office.supervisor, matter, False, "证据不足，请补充核查")
        session.commit()
    new_due = CAL.add_workdays(later, 15)  # the handling limit counted afresh from the day it goes back
    assert matter.lead_assignment.due_on == new_due and matter.due_on == new_due
    assert matter.lead_assignment.limit_amount == 15 and matter.lead_assignment.assessed_due_on is None
    _, changes = last_audit(session, "matter.send_back", matter)
    assert changes["due_on"] == [old_due.isoformat(), new_due.isoformat()]
    event = session.scalars(select(MatterEvent).where(MatterEvent.matter_id == matter.id,
                                                      MatterEvent.action == "due_changed")).all()[-1]
    assert (event.old_due_on, event.new_due_on) == (old_due, new_due)


def test_a_typed_rework_deadline_on_send_back_is_kept_and_the_form_says_the_rule(app, session, office, make_matter):
    matter = make_matter("replied")
    page = signed_in(app, office.supervisor).get(f"/matters/{matter.id}").text
    by_rule = CAL.add_workdays(clock.today(), 15)
    assert f"留空按规定时限" in page and f"{by_rule:%Y-%m-%d}" in page and "留空沿用原时限" not in page
    typed = CAL.add_workdays(clock.today(), 8)
    services.review_reply(session, office.supervisor, matter, False, "请补充核查", new_due=typed)
    session.commit()
    assert matter.lead_assignment.due_on == typed and matter.lead_assignment.limit_amount is None
