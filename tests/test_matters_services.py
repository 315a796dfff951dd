"""The matters services, one transition at a time: the state, the rule, the timeline and the audit row."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from matters_factories import TODAY, audit_entries, last_audit, matter_input, signed_in
from supervision import audit, clock
from supervision.calendar import LimitUnit, WorkCalendar
from supervision.errors import PermissionDenied, StaleObjectError, ValidationError, WorkflowError
from supervision.matters import queries, services
from supervision.matters.services import AvoidanceRequired, IdentityInput
from supervision.models.matters import (
    AssignmentRole,
    AssignmentStatus,
    Channel,
    Complainant,
    ExtensionStatus,
    MatterKind,
    MatterStatus,
    ReviewResult,
    Satisfaction,
)

CALENDAR = WorkCalendar()


def workdays_after(start: date, n: int) -> date:
    return CALENDAR.deadline(start, n, LimitUnit.WORKDAY).due


def assert_transition(session, matter, action: str, old: str, new: str) -> dict:
    """The matter is in ``new`` and the audit log holds ``matter.<action>`` with the change of status."""
    assert matter.status == MatterStatus(new)
    entry, changes = last_audit(session, f"matter.{action}", matter)
    assert changes["status"] == [old, new]
    assert entry.summary.startswith(matter.serial)
    return changes


# --- registration (登记) ----------------------------------------------------------------------------
def test_serial_numbers_count_per_kind_and_per_year(session, office):
    def register(kind, received_on=TODAY, **fields):
        channel = {MatterKind.COMPLAINT: Channel.PHONE, MatterKind.SUGGESTION: Channel.MAILBOX,
                   MatterKind.FINDING: Channel.UNDERCOVER}[kind]
        return services.register_matter(session, office.intake, matter_input(
            kind=kind, channel=channel, received_on=received_on, **fields)).serial

    serials = [register(MatterKind.COMPLAINT), register(MatterKind.COMPLAINT),
               register(MatterKind.SUGGESTION, anonymous=True),
               register(MatterKind.FINDING, problems="窗口离岗\n未公示收费标准", identity=IdentityInput()),
               register(MatterKind.COMPLAINT, received_on=date(2025, 12, 31))]
    assert serials == ["XT-2026-00001", "XT-2026-00002", "YJ-2026-00001", "JC-2026-00001", "XT-2025-00001"]
    registered = audit_entries(session, "matter.registered")
    assert [e.summary.split()[-1] for e in registered] == serials


def test_query_code_avoids_characters_misheard_on_the_phone(session, office):
    codes = {services.register_matter(session, office.intake, matter_input()).query_code for _ in range(5)}
    assert len(codes) == 5
    for code in codes:
        assert len(code) == 8 and set(code) <= set(services.QUERY_CODE_ALPHABET)
    assert not set("0O1I") & set(services.QUERY_CODE_ALPHABET)


def test_acceptance_is_due_three_working_days_after_receipt(session, office):
    friday = date(2026, 5, 29)
    matter = services.register_matter(session, office.intake, matter_input(received_on=friday))
    assert matter.accept_due_on == workdays_after(friday, 3) == date(2026, 6, 3)  # Mon, Tue, Wed
    assert matter.accept_due_provisional is False and matter.due_on == matter.accept_due_on
    assert matter.status == MatterStatus.REGISTERED


def test_real_name_identity_is_stored_apart_from_the_matter(session, office):
    identity = IdentityInput("李某", "13700001111", "110101199001011234", "和平路 1 号", "某公司")
    matter = services.register_matter(session, office.intake, matter_input(identity=identity))
    session.commit()
    stored = session.scalar(select(Complainant).where(Complainant.matter_id == matter.id))
    assert (stored.name, stored.phone, stored.id_number, stored.address, stored.work_unit) == (
        "李某", "13700001111", "110101199001011234", "和平路 1 号", "某公司")
    entry, changes = last_audit(session, "matter.registered", matter)
    assert "李某" not in entry.summary + entry.changes and changes["anonymous"] is False


def test_anonymous_matter_keeps_no_complainant_row(session, office):
    matter = services.register_matter(session, office.intake, matter_input(anonymous=True))
    session.commit()
    assert session.scalar(select(Complainant).where(Complainant.matter_id == matter.id)) is None
    assert last_audit(session, "matter.registered", matter)[1]["anonymous"] is True


def test_anonymous_matter_with_an_identity_is_refused(session, office):
    with pytest.raises(ValidationError, match="匿名"):
        services.register_matter(session, office.intake,
                                 matter_input(anonymous=True, identity=IdentityInput(name="王某")))


def test_matter_received_tomorrow_is_refused(session, office):
    with pytest.raises(ValidationError, match="收件日期不能晚于今天"):
        services.register_matter(session, office.intake, matter_input(received_on=TODAY + timedelta(days=1)))


def test_only_intake_and_supervisors_register(session, office):
    for someone in (office.head, office.leader, office.admin):
        with pytest.raises(PermissionDenied):
            services.register_matter(session, someone, matter_input())
    assert audit_entries(session, "matter.registered") == []
    services.register_matter(session, office.supervisor, matter_input())


# --- acceptance (受理 / 不予受理 / 存查) -------------------------------------------------------------------
def test_accepting_a_matter(session, office, make_matter):
    matter = make_matter("registered")
    services.accept_matter(session, office.intake, matter, "属于受理范围")
    assert_transition(session, matter, "accept", "registered", "accepted")
    assert matter.due_on is None  # the acceptance limit is met; the next deadline comes with assignment
    assert matter.events[-1].text == "属于受理范围" and matter.events[-1].audience == "public"


def test_rejecting_a_matter_needs_a_reason_told_to_the_complainant(session, office, make_matter):
    matter = make_matter("registered")
    with pytest.raises(ValidationError, match="不予受理的理由"):
        services.reject_matter(session, office.intake, matter, "  ")
    assert matter.status == MatterStatus.REGISTERED
    services.reject_matter(session, office.intake, matter, "已通过诉讼途径解决")
    changes = assert_transition(session, matter, "reject", "registered", "not_accepted")
    assert changes["reason"] == matter.decision_reason == "已通过诉讼途径解决"


def test_duplicate_is_filed_and_linked_to_its_original(session, office, make_matter):
    original = make_matter("assigned")
    duplicate = make_matter("accepted")
    services.file_as_duplicate(session, office.intake, duplicate, original, "同一人重复来电")
    changes = assert_transition(session, duplicate, "file_duplicate", "accepted", "filed")
    assert duplicate.duplicate_of is original and changes["duplicate_of"] == original.serial
    assert original.events[-1].action == "duplicate_linked" and duplicate.serial in original.events[-1].text
    assert original.status == MatterStatus.ASSIGNED  # the original goes on; nothing is deleted


def test_matter_cannot_be_filed_as_a_duplicate_of_itself(session, office, make_matter):
    matter = make_matter("registered")
    with pytest.raises(ValidationError, match="自身"):
        services.file_as_duplicate(session, office.intake, matter, matter)
    assert matter.status == MatterStatus.REGISTERED and matter.duplicate_of_id is None


def test_assigned_matter_cannot_be_filed_as_duplicate(session, office, make_matter):
    original, matter = make_matter("registered"), make_matter("assigned")
    with pytest.raises(WorkflowError, match="已交办"):
        services.file_as_duplicate(session, office.intake, matter, original)


# --- assignment (交办) ------------------------------------------------------------------------------
def test_assignment_gives_lead_and_co_handling_units_each_a_deadline(session, office, make_matter):
    matter = make_matter("accepted")
    lead = services.assign_matter(session, office.intake, matter, lead=office.department,
                                  co_handling=[office.co_department], requirements="限期核实")
    changes = assert_transition(session, matter, "assign", "accepted", "assigned")
    lead_assignment, co_assignment = matter.assignments
    assert lead is lead_assignment
    assert (lead_assignment.department, lead_assignment.role) == (office.department, AssignmentRole.LEAD)
    assert (co_assignment.department, co_assignment.role) == (office.co_department, AssignmentRole.CO)
    for assignment in matter.assignments:
        assert assignment.status == AssignmentStatus.ASSIGNED and assignment.assigned_on == TODAY
        assert (assignment.limit_amount, assignment.limit_unit) == (15, "workday")  # docs/domain.md §6 default
        assert assignment.due_on == workdays_after(TODAY, 15) and assignment.due_provisional is False
        assert assignment.object_due_on == workdays_after(TODAY, 5)
    assert matter.due_on == lead_assignment.due_on and matter.lead_department == office.department
    assert changes["lead"] == office.department.name and changes["co"] == office.co_department.name
    assert changes["due_on"] == lead_assignment.due_on.isoformat()


def test_assignment_with_an_explicit_deadline(session, office, make_matter):
    matter = make_matter("accepted")
    due = date(2026, 6, 30)
    services.assign_matter(session, office.intake, matter, lead=office.department, due_on=due)
    assignment = matter.lead_assignment
    assert (assignment.due_on, assignment.limit_amount, assignment.limit_unit) == (due, None, None)
    assert matter.due_on == due


def test_assignment_deadline_of_today_or_earlier_is_refused(session, office, make_matter):
    matter = make_matter("accepted")
    for due in (TODAY, TODAY - timedelta(days=1)):
        with pytest.raises(ValidationError, match="必须晚于今天"):
            services.assign_matter(session, office.intake, matter, lead=office.department, due_on=due)
    session.rollback()
    assert matter.status == MatterStatus.ACCEPTED and matter.assignments == []


def test_assigning_to_the_department_complained_about_needs_a_reason(session, office, make_matter):
    matter = make_matter("accepted", respondent_department=office.department)
    with pytest.raises(AvoidanceRequired, match="回避"):
        services.assign_matter(session, office.intake, matter, lead=office.department)
    session.rollback()
    assert matter.status == MatterStatus.ACCEPTED

    services.assign_matter(session, office.intake, matter, lead=office.department,
                           avoidance_reason="系统内无其他有权处理单位，由其纪检组监督办理")
    changes = assert_transition(session, matter, "assign", "accepted", "assigned")
    assert changes["avoidance_reason"] == "系统内无其他有权处理单位，由其纪检组监督办理"
    assert matter.lead_assignment.avoidance_override == changes["avoidance_reason"]


def test_avoidance_also_applies_when_the_unit_is_named_in_words(session, office, make_matter):
    matter = make_matter("accepted", respondent_unit="市市场监督管理局政务窗口")
    with pytest.raises(AvoidanceRequired):
        services.assign_matter(session, office.intake, matter, lead=office.co_department,
                               co_handling=[office.department])


def test_assigning_to_an_inactive_department_is_refused(session, office, make_matter, make_department):
    closed = make_department(name="已撤并的局", active=False)
    matter = make_matter("accepted")
    with pytest.raises(ValidationError, match="已停用"):
        services.assign_matter(session, office.intake, matter, lead=closed)


def test_matter_without_a_summary_cannot_be_assigned(session, office, make_matter):
    matter = make_matter("accepted", summary="")
    with pytest.raises(ValidationError, match="摘要"):
        services.assign_matter(session, office.intake, matter, lead=office.department)
    services.update_summary(session, office.intake, matter, "群众反映窗口服务问题。", matter.version)
    entry, changes = last_audit(session, "matter.summary_edited", matter)
    assert changes["summary"] == ["", "群众反映窗口服务问题。"]
    services.assign_matter(session, office.intake, matter, lead=office.department)
    assert matter.status == MatterStatus.ASSIGNED


def test_registered_matter_must_be_accepted_before_assignment(session, office, make_matter):
    # Even where 回避 would apply: the clerk is told first that the matter is not accepted yet.
    matter = make_matter("registered", respondent_department=office.department)
    with pytest.raises(WorkflowError, match="已登记"):
        services.assign_matter(session, office.intake, matter, lead=office.department)
    assert matter.assignments == []


def test_only_intake_and_supervisors_assign(session, office, make_matter):
    matter = make_matter("accepted")
    for someone in (office.head, office.leader):
        with pytest.raises(PermissionDenied):
            services.assign_matter(session, someone, matter, lead=office.department)
        session.rollback()
    services.assign_matter(session, office.supervisor, matter, lead=office.department)
    assert last_audit(session, "matter.assign", matter)[0].actor_id == office.supervisor.id


# --- sign-for (签收) and return (退回) ----------------------------------------------------------------
def test_lead_department_signs_for_its_assignment(session, office, make_matter):
    matter = make_matter("assigned")
    services.sign_assignment(session, office.head, matter.lead_assignment)
    assert_transition(session, matter, "sign", "assigned", "in_progress")
    assert matter.lead_assignment.status == AssignmentStatus.RECEIVED
    assert matter.lead_assignment.received_by_id == office.head.id


def test_second_sign_for_is_refused(session, office, make_matter):
    matter = make_matter("in_progress")
    with pytest.raises(WorkflowError, match="不能重复签收"):
        services.sign_assignment(session, office.head, matter.lead_assignment)


def test_co_handling_unit_signs_without_moving_the_matter(session, office, make_matter):
    matter = make_matter("assigned", co_handling=True)
    co = matter.assignments[1]
    services.sign_assignment(session, office.co_head, co)
    assert co.status == AssignmentStatus.RECEIVED and matter.status == MatterStatus.ASSIGNED
    assert last_audit(session, "assignment.signed", co)[0].summary.endswith("（协办）签收")


def test_another_department_cannot_sign(session, office, make_matter):
    matter = make_matter("assigned")
    with pytest.raises(PermissionDenied):
        services.sign_assignment(session, office.other_head, matter.lead_assignment)


def test_department_returns_an_assignment_within_the_objection_period(session, office, make_matter):
    matter = make_matter("assigned", co_handling=True)
    lead, co = matter.assignments
    with clock.frozen(lead.object_due_on):  # the last day still counts
        services.return_assignment(session, office.head, lead, "属于区级事权")
    changes = assert_transition(session, matter, "return", "assigned", "returned")
    assert changes["reason"] == lead.return_reason == "属于区级事权"
    assert lead.status == AssignmentStatus.RETURNED and co.status == AssignmentStatus.WITHDRAWN
    assert matter.lead_department_id is None and matter.due_on is None
    # Back with intake, who assigns it elsewhere.
    services.assign_matter(session, office.intake, matter, lead=office.co_department)
    assert matter.status == MatterStatus.ASSIGNED and matter.lead_assignment.department == office.co_department


def test_return_after_the_objection_period_is_refused(session, office, make_matter):
    matter = make_matter("in_progress")
    assignment = matter.lead_assignment
    with clock.frozen(assignment.object_due_on + timedelta(days=1)):
        with pytest.raises(WorkflowError, match="已超过异议期限"):
            services.return_assignment(session, office.head, assignment, "不属于本单位职责")
    assert matter.status == MatterStatus.IN_PROGRESS and assignment.status == AssignmentStatus.RECEIVED


def test_return_needs_a_reason(session, office, make_matter):
    matter = make_matter("assigned")
    with pytest.raises(ValidationError, match="退回理由"):
        services.return_assignment(session, office.head, matter.lead_assignment, "")


# --- extension (延期) ---------------------------------------------------------------------------------
def test_department_asks_for_an_extension(session, office, make_matter):
    matter = make_matter("in_progress")
    assignment = matter.lead_assignment
    wanted = assignment.due_on + timedelta(days=10)
    extension = services.request_extension(session, office.head, assignment, wanted, "需现场调查")
    assert extension.status == ExtensionStatus.PENDING and extension.previous_due_on == assignment.due_on
    assert matter.status == MatterStatus.IN_PROGRESS and assignment.due_on != wanted
    _, changes = last_audit(session, "extension.requested", assignment)
    assert changes == {"reason": "需现场调查", "requested_due_on": wanted.isoformat()}


def test_extension_must_ask_for_a_later_deadline(session, office, make_matter):
    assignment = make_matter("in_progress").lead_assignment
    with pytest.raises(ValidationError, match="须晚于现时限"):
        services.request_extension(session, office.head, assignment, assignment.due_on, "需现场调查")


def test_only_one_extension_request_may_be_pending(session, office, make_matter):
    assignment = make_matter("in_progress").lead_assignment
    services.request_extension(session, office.head, assignment, assignment.due_on + timedelta(days=6), "一")
    with pytest.raises(WorkflowError, match="待审批"):
        services.request_extension(session, office.head, assignment, assignment.due_on + timedelta(days=9), "二")


def test_extension_before_sign_for_is_refused(session, office, make_matter):
    assignment = make_matter("assigned").lead_assignment
    with pytest.raises(WorkflowError, match="已签收"):
        services.request_extension(session, office.head, assignment, assignment.due_on + timedelta(days=6), "一")


def test_approved_extension_moves_the_deadline_on_the_timeline(session, office, make_matter):
    from supervision.settings.services import save_time_limit
    from supervision.models.calendar import LimitStep

    # Two extensions in a row: a rule that allows two (the default allows one, see test_extension_rules).
    save_time_limit(session, office.admin, step=LimitStep.HANDLE, matter_kind=None, category=None, amount=15,
                    unit=LimitUnit.WORKDAY, max_extensions=2)
    matter = make_matter("in_progress")
    assignment = matter.lead_assignment
    for decider in (office.supervisor, office.leader):
        old_due, wanted = assignment.due_on, assignment.due_on + timedelta(days=10)
        extension = services.request_extension(session, office.head, assignment, wanted, "需现场调查")
        services.decide_extension(session, decider, extension, True, "同意")
        assert extension.status == ExtensionStatus.APPROVED and extension.decided_by_id == decider.id
        assert assignment.due_on == matter.due_on == wanted
        event = matter.events[-1]
        assert (event.action, event.old_due_on, event.new_due_on) == ("extension_decided", old_due, wanted)
        _, changes = last_audit(session, "extension.approved", assignment)
        assert changes["due_on"] == [old_due.isoformat(), wanted.isoformat()]


def test_approver_may_grant_another_date_than_asked(session, office, make_matter):
    assignment = make_matter("in_progress").lead_assignment
    granted = assignment.due_on + timedelta(days=6)  # typed extension dates are working days
    extension = services.request_extension(session, office.head, assignment, granted + timedelta(days=4), "需调查")
    services.decide_extension(session, office.supervisor, extension, True, new_due=granted)
    assert assignment.due_on == granted


def test_approving_a_date_not_later_than_the_deadline_changes_nothing(session, office, make_matter):
    assignment = make_matter("in_progress").lead_assignment
    old_due = assignment.due_on
    extension = services.request_extension(session, office.head, assignment, old_due + timedelta(days=6), "需调查")
    with pytest.raises(ValidationError, match="须晚于原时限"):
        services.decide_extension(session, office.supervisor, extension, True, new_due=old_due)
    assert extension.status == ExtensionStatus.PENDING and assignment.due_on == old_due


def test_refusing_an_extension_needs_a_reason_and_keeps_the_deadline(session, office, make_matter):
    matter = make_matter("in_progress")
    assignment = matter.lead_assignment
    old_due = assignment.due_on
    extension = services.request_extension(session, office.head, assignment, old_due + timedelta(days=6), "需调查")
    with pytest.raises(ValidationError, match="理由"):
        services.decide_extension(session, office.leader, extension, False, "")
    assert extension.status == ExtensionStatus.PENDING
    services.decide_extension(session, office.leader, extension, False, "时限内可以办结")
    assert extension.status == ExtensionStatus.REFUSED and assignment.due_on == matter.due_on == old_due
    entry, _ = last_audit(session, "extension.refused", assignment)
    assert "时限内可以办结" in entry.summary
    with pytest.raises(WorkflowError, match="已不予批准"):
        services.decide_extension(session, office.leader, extension, True)


def test_only_supervisors_and_leaders_decide_extensions(session, office, make_matter):
    assignment = make_matter("in_progress").lead_assignment
    extension = services.request_extension(session, office.head, assignment, assignment.due_on + timedelta(days=6),
                                           "需调查")
    for someone in (office.intake, office.head):
        with pytest.raises(PermissionDenied):
            services.decide_extension(session, someone, extension, True)
    assert extension.status == ExtensionStatus.PENDING


def test_extension_left_pending_when_the_department_returns_the_matter_cannot_be_approved(
        session, office, make_matter):
    matter = make_matter("in_progress")
    assignment = matter.lead_assignment
    extension = services.request_extension(session, office.head, assignment, assignment.due_on + timedelta(days=9),
                                           "需调查")
    services.return_assignment(session, office.head, assignment, "属于区级事权")
    assert queries.pending_extensions(session) == []  # nothing left for the supervisor to decide
    with pytest.raises(WorkflowError, match="已退回"):
        services.decide_extension(session, office.supervisor, extension, True)
    assert matter.status == MatterStatus.RETURNED and matter.due_on is None
    assert extension.status == ExtensionStatus.PENDING and audit_entries(session, "extension.approved") == []


# --- reply (办结报告) and review (审核) -------------------------------------------------------------------
def test_lead_department_replies(session, office, make_matter):
    matter = make_matter("in_progress")
    reply = services.submit_reply(session, office.head, matter.lead_assignment, "已整改", "已责成整改")
    assert_transition(session, matter, "reply", "in_progress", "replied")
    assert matter.lead_assignment.status == AssignmentStatus.REPLIED and reply.public_reply == "已责成整改"


def test_reply_before_sign_for_is_refused(session, office, make_matter):
    matter = make_matter("assigned")
    with pytest.raises(WorkflowError, match="请先签收"):
        services.submit_reply(session, office.head, matter.lead_assignment, "已整改", "已责成整改")
    assert matter.status == MatterStatus.ASSIGNED


def test_lead_reply_to_a_real_name_complaint_needs_a_public_reply(session, office, make_matter):
    matter = make_matter("in_progress")
    with pytest.raises(ValidationError, match="答复意见"):
        services.submit_reply(session, office.head, matter.lead_assignment, "已整改", "")


def test_anonymous_complaint_needs_no_public_reply(session, office, make_matter):
    matter = make_matter("in_progress", anonymous=True)
    services.submit_reply(session, office.head, matter.lead_assignment, "已整改", "")
    assert matter.status == MatterStatus.REPLIED


def test_co_handling_reply_leaves_the_matter_with_the_lead(session, office, make_matter):
    matter = make_matter("in_progress", co_handling=True)
    co = matter.assignments[1]
    services.sign_assignment(session, office.co_head, co)
    services.submit_reply(session, office.co_head, co, "协办意见：配合核实")
    assert co.status == AssignmentStatus.REPLIED and matter.status == MatterStatus.IN_PROGRESS
    assert last_audit(session, "assignment.replied", co)[0].summary.endswith("报送协办意见")


def test_supervisor_approves_the_reply(session, office, make_matter):
    matter = make_matter("replied")
    services.review_reply(session, office.supervisor, matter, True, public_reply="经核实，已整改。")
    assert_transition(session, matter, "approve", "replied", "approved")
    assert matter.lead_assignment is not None and matter.lead_assignment.status == AssignmentStatus.DONE
    assert matter.public_reply == "经核实，已整改。" and matter.due_on is None
    assert matter.lead_assignment.replies[-1].review_result == ReviewResult.APPROVED


def test_sending_back_for_rework_is_counted(session, office, make_matter):
    matter = make_matter("replied")
    with pytest.raises(ValidationError, match="理由"):
        services.review_reply(session, office.supervisor, matter, False, "")
    new_due = TODAY + timedelta(days=22)  # a working day: a typed deadline on a rest day is refused
    services.review_reply(session, office.supervisor, matter, False, "未核实到位", new_due=new_due)
    changes = assert_transition(session, matter, "send_back", "replied", "rework")
    assert changes["note"] == "未核实到位" and matter.rework_count == 1
    assert matter.lead_assignment.status == AssignmentStatus.RECEIVED
    assert matter.lead_assignment.due_on == matter.due_on == new_due
    assert matter.events[-1].new_due_on == new_due

    services.submit_reply(session, office.head, matter.lead_assignment, "补充核实", "已整改")
    services.review_reply(session, office.supervisor, matter, False, "仍未到位")
    assert matter.rework_count == 2
    assert "第 2 次" in last_audit(session, "matter.send_back", matter)[0].summary


def test_a_matter_without_a_reply_cannot_be_approved(session, office, make_matter):
    matter = make_matter("in_progress")
    with pytest.raises(WorkflowError, match="没有待审核的办结报告"):
        services.review_reply(session, office.supervisor, matter, True)
    assert matter.status == MatterStatus.IN_PROGRESS


def test_intake_cannot_approve_a_reply(session, office, make_matter):
    matter = make_matter("replied")
    with pytest.raises(PermissionDenied):
        services.review_reply(session, office.intake, matter, True)


# --- follow-up (回访), close (办结), archive (归档) ------------------------------------------------------
def test_dissatisfied_follow_up_sends_the_matter_back_for_rework(session, office, make_matter):
    matter = make_matter("approved")
    services.record_follow_up(session, office.intake, matter, Satisfaction.DISSATISFIED, "称问题依旧")
    changes = assert_transition(session, matter, "follow_up", "approved", "followed_up")
    assert changes["satisfaction"] == "dissatisfied" and matter.followed_up_at is not None

    services.reopen_for_rework(session, office.intake, matter, "请重新核实窗口情况")
    assert_transition(session, matter, "reopen", "followed_up", "rework")
    assert matter.rework_count == 1 and matter.lead_assignment.status == AssignmentStatus.RECEIVED
    services.submit_reply(session, office.head, matter.lead_assignment, "重新核实", "已再次整改")
    assert matter.status == MatterStatus.REPLIED


def test_satisfied_matter_cannot_be_reopened(session, office, make_matter):
    matter = make_matter("followed_up", satisfaction=Satisfaction.SATISFIED)
    with pytest.raises(WorkflowError, match="不满意"):
        services.reopen_for_rework(session, office.intake, matter, "重办")


def test_real_name_matter_closed_without_follow_up_needs_a_note(session, office, make_matter):
    matter = make_matter("approved")
    with pytest.raises(ValidationError, match="回访"):
        services.close_matter(session, office.intake, matter)
    services.close_matter(session, office.intake, matter, "反映人电话停机，无法回访")
    assert_transition(session, matter, "close", "approved", "closed")
    assert matter.closed_at == clock.now()


def test_anonymous_matter_closes_without_follow_up(session, office, make_matter):
    matter = make_matter("approved", anonymous=True)
    services.close_matter(session, office.intake, matter)
    assert matter.status == MatterStatus.CLOSED


def test_followed_up_matter_closes(session, office, make_matter):
    matter = make_matter("followed_up")
    services.close_matter(session, office.supervisor, matter)
    assert_transition(session, matter, "close", "followed_up", "closed")


def test_open_matter_cannot_be_closed(session, office, make_matter):
    matter = make_matter("in_progress")
    with pytest.raises(WorkflowError, match="办理中"):
        services.close_matter(session, office.intake, matter, "直接办结")


def test_closing_a_matter_finishes_the_co_handling_parts_still_open(session, office, make_matter):
    matter = make_matter("approved", co_handling=True)
    co = matter.assignments[1]
    assert co.status == AssignmentStatus.ASSIGNED  # the co-handling unit never signed for it
    services.close_matter(session, office.intake, matter, "主办单位已办结，反映人无法联系")
    assert co.status == AssignmentStatus.DONE
    assert queries.department_assignments(session, office.co_head, [AssignmentStatus.ASSIGNED,
                                                                     AssignmentStatus.RECEIVED]) == []
    with pytest.raises(WorkflowError):
        services.sign_assignment(session, office.co_head, co)


def test_finished_matter_is_archived(session, office, make_matter):
    for status in ("closed", "not_accepted", "filed"):
        matter = make_matter(status)
        services.archive_matter(session, office.intake, matter)
        assert_transition(session, matter, "archive", status, "archived")


def test_open_matter_cannot_be_archived(session, office, make_matter):
    matter = make_matter("replied")
    with pytest.raises(WorkflowError, match="归档"):
        services.archive_matter(session, office.intake, matter)


# --- concurrency and the audit log -----------------------------------------------------------------
def test_stale_form_is_refused(session, office, make_matter):
    matter = make_matter("registered")
    seen = matter.version
    services.update_summary(session, office.supervisor, matter, "另一人改过的摘要", seen)
    session.commit()
    assert matter.version > seen
    with pytest.raises(StaleObjectError, match="已被他人修改"):
        services.accept_matter(session, office.intake, matter, expected_version=seen)
    assert matter.status == MatterStatus.REGISTERED


def test_full_walk_writes_one_audit_row_per_step_and_keeps_the_chain_intact(session, office, make_matter):
    matter = make_matter("archived")
    actions = [e.action for e in audit_entries(session, target=matter)]
    assert actions == ["matter.registered", "matter.accept", "matter.assign", "matter.sign", "matter.reply",
                       "matter.approve", "matter.follow_up", "matter.close", "matter.archive"]
    assert [e.action for e in matter.events] == ["registered", "accept", "assign", "sign", "reply", "approve",
                                                 "follow_up", "close", "archive"]
    assert list(audit.verify_chain(session)) == []


# --- the working-day calendar through the services, on both engines ------------------------------------
def test_deadline_running_into_2027_is_provisional_and_shown_so(session, office, make_matter, app):
    with clock.frozen(date(2026, 12, 21)):
        matter = make_matter("accepted", received_on=date(2026, 12, 20))
        services.assign_matter(session, office.intake, matter, lead=office.department)
        session.commit()
        expected = CALENDAR.deadline(date(2026, 12, 21), 15, LimitUnit.WORKDAY)
        assert expected.provisional and expected.due.year == 2027
        assert (matter.due_on, matter.due_provisional) == (expected.due, True)
        assert matter.lead_assignment.due_provisional is True
        page = signed_in(app, office.head).get(f"/matters/{matter.id}").text
    assert expected.due.isoformat() in page and "（推定）" in page


def test_deadline_counts_the_october_10_make_up_saturday(session, office, make_matter):
    with clock.frozen(date(2026, 9, 30)):
        matter = make_matter("accepted")
        services.assign_matter(session, office.intake, matter, lead=office.department)
    assignment = matter.lead_assignment
    # 1–7 October off; 8 Thu, 9 Fri, 10 Sat (调休上班), 12 Mon, 13 Tue: five working days.
    assert assignment.object_due_on == date(2026, 10, 13)
    assert assignment.due_on == workdays_after(date(2026, 9, 30), 15)
    assert assignment.due_provisional is False


def test_acceptance_deadline_jumps_the_2026_spring_festival(session, office):
    with clock.frozen(date(2026, 2, 13)):
        matter = services.register_matter(session, office.intake, matter_input(received_on=date(2026, 2, 13)))
    # 14 Feb (Sat) is a make-up working day, 15–23 Feb are the holiday, then 24 and 25 Feb.
    assert matter.accept_due_on == date(2026, 2, 25) == workdays_after(date(2026, 2, 13), 3)
    assert matter.accept_due_provisional is False
