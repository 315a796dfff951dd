"""Extension rules (SPEC §11): each time-limit rule says how many extensions and how long each; a request
beyond the rule is refused with the rule named. 信访-type matters: 60 days, at most 30 days once, a leader
approves. Before this, extensions were unlimited (2026-12-24 → 2027-12-31 → 2028-06-30 both approved)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from matters_factories import last_audit, signed_in
from supervision import clock
from supervision.calendar import LimitUnit, WorkCalendar
from supervision.errors import PermissionDenied, ValidationError
from supervision.matters import services
from supervision.models.calendar import LimitStep
from supervision.models.matters import ExtensionStatus
from supervision.settings.services import save_time_limit

CAL = WorkCalendar()


def xinfang_rule(session, office):
    """The 信访 rule of SPEC §11 for complaints: 60 calendar days, one extension of at most 30, by a leader."""
    save_time_limit(session, office.admin, step=LimitStep.HANDLE, matter_kind=None, category=None, amount=60,
                    unit=LimitUnit.CALENDAR, source="《信访工作条例》", max_extensions=1, extension_amount=30,
                    extension_by_leader=True)
    session.commit()


def extend(session, office, matter, to: date, approver=None):
    extension = services.request_extension(session, office.head, matter.lead_assignment, to, "情况复杂，需进一步核查")
    services.decide_extension(session, approver or office.supervisor, extension, True)
    return extension


def test_by_default_one_extension_of_at_most_the_limit_itself(session, make_matter, office):
    matter = make_matter("in_progress")
    assignment = matter.lead_assignment
    latest = CAL.add_workdays(assignment.due_on, 15)  # 15 working days: the default 办理答复 limit
    with pytest.raises(ValidationError, match=f"最迟可延至 {latest:%Y-%m-%d}"):
        services.request_extension(session, office.head, assignment, latest + timedelta(days=1), "需核查")
    extend(session, office, matter, latest)
    assert assignment.due_on == latest
    with pytest.raises(ValidationError, match="已延期 1 次，不能再延期") as refused:
        services.request_extension(session, office.head, assignment, latest + timedelta(days=5), "还需核查")
    assert "效能投诉办理规定" in str(refused.value)  # the rule is named


def test_the_issues_unlimited_extensions_are_refused(session, make_matter, office):
    with clock.frozen(date(2026, 12, 1)):
        matter = make_matter("in_progress")
        assignment = matter.lead_assignment
        with pytest.raises(ValidationError):
            services.request_extension(session, office.head, assignment, date(2027, 12, 31), "跨年")


def test_a_xinfang_extension_is_thirty_days_once_and_only_a_leader_approves_it(session, make_matter, office):
    xinfang_rule(session, office)
    matter = make_matter("in_progress")
    assignment = matter.lead_assignment
    assert assignment.due_on == CAL.deadline(clock.today(), 60, LimitUnit.CALENDAR).due
    thirty = CAL.deadline(assignment.due_on, 30, LimitUnit.CALENDAR).due
    with pytest.raises(ValidationError, match="每次不超过 30 个自然日"):
        services.request_extension(session, office.head, assignment, thirty + timedelta(days=1), "复杂")
    extension = services.request_extension(session, office.head, assignment, thirty, "复杂")
    with pytest.raises(PermissionDenied, match="须经领导批准"):
        services.decide_extension(session, office.supervisor, extension, True)
    assert extension.status == ExtensionStatus.PENDING
    services.decide_extension(session, office.leader, extension, True)
    assert assignment.due_on == thirty
    with pytest.raises(ValidationError, match="不能再延期"):
        services.request_extension(session, office.head, assignment, thirty + timedelta(days=3), "再延")


def test_a_supervisor_may_still_refuse_a_xinfang_extension(session, make_matter, office):
    xinfang_rule(session, office)
    matter = make_matter("in_progress")
    extension = services.request_extension(session, office.head, matter.lead_assignment,
                                           matter.lead_assignment.due_on + timedelta(days=10), "复杂")
    services.decide_extension(session, office.supervisor, extension, False, "理由不充分")
    assert extension.status == ExtensionStatus.REFUSED


def test_an_approver_cannot_grant_more_than_the_rule_allows(session, make_matter, office):
    matter = make_matter("in_progress")
    assignment = matter.lead_assignment
    extension = services.request_extension(session, office.head, assignment, assignment.due_on + timedelta(days=3),
                                           "需核查")
    with pytest.raises(ValidationError, match="最迟可延至"):
        services.decide_extension(session, office.supervisor, extension, True,
                                  new_due=CAL.add_workdays(assignment.due_on, 16))
    assert extension.status == ExtensionStatus.PENDING


def test_a_rule_without_extensions_refuses_every_request(session, make_matter, office):
    save_time_limit(session, office.admin, step=LimitStep.HANDLE, matter_kind=None, category=None, amount=10,
                    unit=LimitUnit.WORKDAY, source="本办规定", max_extensions=0)
    session.commit()
    matter = make_matter("in_progress")
    with pytest.raises(ValidationError, match="不得延期"):
        services.request_extension(session, office.head, matter.lead_assignment,
                                   matter.lead_assignment.due_on + timedelta(days=1), "需核查")


def test_saving_extension_rules_is_audited_and_checked(session, office):
    xinfang_rule(session, office)
    _, changes = last_audit(session, "time_limit.saved")
    assert changes["max_extensions"] == [1, 1] and changes["extension_amount"] == [None, 30]
    assert changes["extension_by_leader"] == [False, True]
    with pytest.raises(ValidationError):
        save_time_limit(session, office.admin, step=LimitStep.HANDLE, matter_kind=None, category=None, amount=10,
                        unit=LimitUnit.WORKDAY, max_extensions=11)


def test_the_time_limits_page_sets_the_extension_rule(app, session, office):
    admin = signed_in(app, office.admin)
    response = admin.post("/admin/settings/time-limits", data={
        "step": "handle", "matter_kind": "", "category_id": "", "amount": "60", "unit": "calendar",
        "source": "《信访工作条例》", "max_extensions": "1", "extension_amount": "30", "extension_by_leader": "y"})
    assert response.status_code == 302, response.text
    page = admin.get("/admin/settings/time-limits").text
    assert "可延期一次，每次不超过 30 个自然日，须经领导批准" in page


# --- issue 15 leftover: a typed extension date is a working day, like every other typed date -------------------
def _rest_day_after(day: date) -> date:
    return next(d for d in (day + timedelta(days=i) for i in range(1, 15)) if not CAL.is_workday(d))


def test_an_extension_requested_to_a_rest_day_is_refused_naming_the_next_working_day(session, make_matter, office):
    from supervision.errors import NonWorkdayError

    matter = make_matter("in_progress")
    assignment = matter.lead_assignment
    rest = _rest_day_after(assignment.due_on)
    with pytest.raises(NonWorkdayError, match=f"{rest:%Y-%m-%d}（.*）不是工作日.*{CAL.next_workday(rest):%Y-%m-%d}"):
        services.request_extension(session, office.head, assignment, rest, "需进一步核查")
    assert assignment.extensions == []


def test_an_extension_approved_to_a_rest_day_is_refused_and_stays_pending(session, make_matter, office):
    from supervision.errors import NonWorkdayError

    matter = make_matter("in_progress")
    assignment = matter.lead_assignment
    asked = CAL.add_workdays(assignment.due_on, 5)
    extension = services.request_extension(session, office.head, assignment, asked, "需进一步核查")
    session.commit()
    rest = _rest_day_after(assignment.due_on)
    with pytest.raises(NonWorkdayError, match="批准的新时限"):
        services.decide_extension(session, office.supervisor, extension, True, new_due=rest)
    session.rollback()
    assert extension.status == ExtensionStatus.PENDING and assignment.due_on < asked


def test_the_extension_form_offers_the_next_working_day(app, session, make_matter, office):
    matter = make_matter("in_progress")
    assignment = matter.lead_assignment
    rest = _rest_day_after(assignment.due_on)
    page = signed_in(app, office.head).post(f"/matters/{matter.id}/assignment/extension", data={
        "version": matter.version, "assignment_id": assignment.id, "requested_due_on": rest.isoformat(),
        "note": "需进一步核查"})
    assert page.status_code == 400
    assert "不是工作日" in page.text and f'value="{CAL.next_workday(rest):%Y-%m-%d}"' in page.text
