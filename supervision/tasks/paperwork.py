"""The data of 督查事项's documents: what a 催办单 / 督办通知书 says of an overdue task, milestone or
missing progress report (the 督查通知 itself is filled in ``services.notice_data``)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from supervision.models.escalation import Escalation
from supervision.models.tasks import Task, TaskMilestone


def reminder_fields(session: Session, escalation: Escalation) -> dict:
    """The ReminderNotice fields that name the task: addressee, the 督查通知's number, what is late."""
    if escalation.subject_type == "task_milestone":
        milestone = session.get(TaskMilestone, escalation.subject_id)
        task = milestone.task
        what, awaited = f"（节点：{milestone.title}）", "节点完成情况"
    else:
        task = session.get(Task, escalation.subject_id)
        what, awaited = (("（进度反馈）", "工作进展情况") if escalation.subject_type == "task_report"
                         else ("", "办理结果"))
    item = task.item
    return dict(addressee=task.department.name, assignment_number=item.notice_number or item.serial,
                matter=f"{item.title}{what}", matter_number=item.serial,
                assigned_on=task.assigned_at.date() if task.assigned_at else item.issued_on,
                leader_in_charge=f"{item.leader.display_name}同志" if item.leader else "",
                sent_as="督查通知", awaited=awaited)
