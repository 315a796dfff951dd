"""Issue 15: a 督办 that sets a new deadline must not turn a late matter into an on-time one. The deadline
the department was given (by the rule, or as extended with approval, or set anew for a rework) decides
按时办结 in the statistics and the 考核; the 督办 itself counts against the department (docs/domain.md §8)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from supervision import clock
from supervision.calendar import WorkCalendar
from supervision.escalation.services import urge_by_hand
from supervision.matters import services
from supervision.models.escalation import SupervisionLevel
from supervision.statistics import periods
from supervision.statistics.figures import StatisticsFilters, clear_cache, compute_statistics

CAL = WorkCalendar()
JUNE = periods.month(2026, 6)


def _late_then_escalated(session, office, make_matter, paperwork):
    """In progress, two working days past its deadline; a written 督办 gives it a new deadline."""
    matter = make_matter("in_progress")
    original = matter.lead_assignment.due_on
    late = CAL.add_workdays(original, 2)
    new_due = CAL.add_workdays(late, 5)
    with clock.frozen(late):
        urge_by_hand(session, office.supervisor, matter.lead_assignment, SupervisionLevel.written,
                     "逾期未报，请于新的时限内报送。", new_due=new_due, paperwork=paperwork)
        session.commit()
    return matter, original, late, new_due


def test_a_reply_within_the_supervision_deadline_but_after_the_original_is_late(session, office, make_matter,
                                                                                  paperwork):
    matter, original, late, new_due = _late_then_escalated(session, office, make_matter, paperwork)
    assert matter.lead_assignment.due_on == new_due  # the department works to the new deadline
    with clock.frozen(CAL.add_workdays(late, 1)):
        services.submit_reply(session, office.head, matter.lead_assignment, "已核实处理。", "已处理。")
        services.review_reply(session, office.supervisor, matter, True)
        session.commit()
    clear_cache()
    s = compute_statistics(session, JUNE, StatisticsFilters(), new_due + timedelta(days=10))
    d = s.department(office.department.id)
    assert (d.matters.closed_on_time, d.matters.overdue) == (0, 1)
    assert d.matters.on_time_rate == 0
    assert d.escalations.escalated == 1  # and the 督办 is counted against it


def test_an_open_matter_past_its_original_deadline_stays_overdue_after_a_new_supervision_deadline(
        session, office, make_matter, paperwork):
    matter, original, late, new_due = _late_then_escalated(session, office, make_matter, paperwork)
    clear_cache()
    s = compute_statistics(session, JUNE, StatisticsFilters(), CAL.add_workdays(late, 1))
    assert s.department(office.department.id).matters.overdue == 1


def test_an_approved_extension_still_moves_the_deadline_that_counts(session, office, make_matter):
    matter = make_matter("in_progress")
    granted = CAL.add_workdays(matter.lead_assignment.due_on, 10)
    extension = services.request_extension(session, office.head, matter.lead_assignment, granted, "需调取档案")
    services.decide_extension(session, office.supervisor, extension, True)
    with clock.frozen(granted):  # replied on the extended deadline: on time
        services.submit_reply(session, office.head, matter.lead_assignment, "已核实处理。", "已处理。")
        services.review_reply(session, office.supervisor, matter, True)
        session.commit()
    clear_cache()
    s = compute_statistics(session, JUNE, StatisticsFilters(), granted + timedelta(days=5))
    d = s.department(office.department.id)
    assert (d.matters.closed_on_time, d.matters.overdue) == (1, 0)


def test_the_supervision_records_the_deadline_that_counts(session, office, make_matter, paperwork):
    matter, original, late, new_due = _late_then_escalated(session, office, make_matter, paperwork)
    assert matter.lead_assignment.assessed_due_on == original
