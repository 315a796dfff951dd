"""What a matter's documents carry. The 交办单 goes to a department: it is built from the summary and
the assignment only — the data class has no field for the complainant, so none can slip in."""

from __future__ import annotations

from supervision import permissions
from supervision.errors import WorkflowError
from supervision.models.matters import Assignment, AssignmentRole, AssignmentStatus, ReviewResult
from supervision.paperwork.data import AssignmentSlip, DocNumber


def assignment_slip(assignment: Assignment, number: DocNumber | None, object_workdays: int = 5) -> AssignmentSlip:
    if assignment.status == AssignmentStatus.WITHDRAWN:
        raise WorkflowError("该交办已撤回，不能生成交办单。")
    matter = assignment.matter
    co_units = tuple(a.department.name for a in matter.assignments
                     if a.role == AssignmentRole.CO and a.status != AssignmentStatus.WITHDRAWN
                     and assignment.role == AssignmentRole.LEAD)
    lead = next((a for a in matter.assignments if a.role == AssignmentRole.LEAD
                 and a.status != AssignmentStatus.WITHDRAWN), assignment)
    approved = next((r for r in reversed(assignment.replies) if r.review_result == ReviewResult.APPROVED), None)
    respondent = permissions.department_respondent(matter)  # the slip goes to the department
    return AssignmentSlip(
        number=number, matter_number=matter.serial, title=permissions.department_title(matter),
        channel=matter.channel.label, received_on=matter.received_on,
        category=matter.category.name if matter.category else "",
        respondent_unit=respondent.unit,
        respondent_person=respondent.person, summary=matter.summary, lead_unit=lead.department.name,
        co_units=co_units, assigned_on=assignment.assigned_on, deadline=assignment.due_on,
        deadline_provisional=assignment.due_provisional, requirements=assignment.requirements,
        proposed_handling=matter.proposed_handling, leader_instruction=_instruction(matter),
        result=approved.result if approved else "", review_opinion=approved.review_note if approved else "",
        follow_up=matter.satisfaction.label if matter.satisfaction else "",
        return_within_workdays=object_workdays)


def _instruction(matter) -> str:
    """领导批示 as printed: the text, then who gave it and when — （李华 3月3日）."""
    if not matter.leader_instruction:
        return ""
    who = matter.instructed_by.display_name if matter.instructed_by else ""
    when = f"{matter.instructed_at.month}月{matter.instructed_at.day}日" if matter.instructed_at else ""
    sign = " ".join(x for x in (who, when) if x)
    return f"{matter.leader_instruction}（{sign}）" if sign else matter.leader_instruction
