"""督查事项 services: each step changes the state, writes its audit row and tells whom it concerns."""

from __future__ import annotations

from datetime import date, timedelta
from io import BytesIO

import pytest
from docx import Document
from sqlalchemy import func, select

from supervision import filestore
from supervision.extensions import db
from supervision import clock
from supervision.errors import PermissionDenied, ValidationError, WorkflowError
from supervision.models.audit import AuditEntry
from supervision.models.documents import GeneratedDocument
from supervision.models.escalation import Notification
from supervision.models.tasks import ItemStatus, TaskGrade, TaskRole, TaskStatus
from supervision.tasks import services
from supervision.tasks.services import MilestoneInput, TaskInput
from tasks_factories import item_input


def audit_actions(session, target_type: str, target_id: int) -> list[str]:
    return list(session.scalars(select(AuditEntry.action).where(
        AuditEntry.target_type == target_type, AuditEntry.target_id == target_id).order_by(AuditEntry.id)))


def notices_of(session, user) -> list[Notification]:
    return list(session.scalars(select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)))


def test_register_numbers_the_item_and_audits_it(session, office):
    item = services.register_item(session, office.supervisor, item_input(leader_id=office.leader.id))
    session.commit()
    assert item.serial == "DC-2026-00001" and item.status == ItemStatus.DRAFT
    assert item.watch_on == item.due_on
    assert audit_actions(session, "task_item", item.id) == ["task_item.registered"]


def test_only_a_supervisor_registers_an_item(session, office):
    for user in (office.intake, office.leader, office.head, office.admin):
        with pytest.raises(PermissionDenied):
            services.register_item(session, user, item_input())


@pytest.mark.parametrize("overrides, message", [
    ({"title": "  "}, "标题"), ({"content": ""}, "督查内容"), ({"due_on": date(2099, 1, 1)}, "合理范围"),
    ({"source_date": date(2026, 12, 31)}, "不能晚于今天"),
])
def test_bad_item_input_is_refused_in_chinese(session, office, overrides, message):
    with pytest.raises(ValidationError, match=message):
        services.register_item(session, office.supervisor, item_input(**overrides))


def test_review_by_the_leader_in_charge_and_send_back(session, office, make_user):
    from supervision.models.org import Role

    other_leader = make_user(Role.LEADER)
    item = services.register_item(session, office.supervisor, item_input(leader_id=office.leader.id))
    services.submit_item(session, office.supervisor, item)
    assert [n.title for n in notices_of(session, office.leader)][-1].startswith("督查事项待审核：DC-2026-00001")
    with pytest.raises(PermissionDenied):
        services.approve_item(session, other_leader, item)
    with pytest.raises(ValidationError, match="退回修改的意见"):
        services.send_back_item(session, office.leader, item, "")
    services.send_back_item(session, office.leader, item, "请补充配合单位。")
    assert item.status == ItemStatus.DRAFT and item.review_note == "请补充配合单位。"
    services.update_item(session, office.supervisor, item, item_input(leader_id=office.leader.id, title="新标题"))
    services.submit_item(session, office.supervisor, item)
    services.approve_item(session, office.leader, item, "同意")
    assert item.status == ItemStatus.APPROVED
    with pytest.raises(WorkflowError, match="不能修改"):
        services.update_item(session, office.supervisor, item, item_input())
    assert audit_actions(session, "task_item", item.id) == [
        "task_item.registered", "task_item.submit", "task_item.send_back", "task_item.updated", "task_item.submit",
        "task_item.approve"]


def test_issue_generates_the_numbered_notice_and_sends_the_tasks(session, office, make_task_item, paperwork):
    item = make_task_item("issued")
    lead, co = item.tasks
    assert item.status == ItemStatus.ISSUED and item.notice_number == "督查〔2026〕1号"
    assert lead.status == co.status == TaskStatus.ASSIGNED
    # the milestone given in working days is counted from the issue: 10 working days after 2026-06-01
    assert lead.milestones[0].due_on == date(2026, 6, 15)
    # weekly on Friday: the first report is due 2026-06-05
    assert lead.next_report_on == date(2026, 6, 5) and lead.watch_on == date(2026, 6, 5)
    assert item.watch_on == date(2026, 6, 5)
    document = session.scalar(select(GeneratedDocument).where(GeneratedDocument.doc_type == "task_notice"))
    assert document.number == "督查〔2026〕1号" and document.subject_id == item.id
    text = "\n".join(p.text for p in Document(BytesIO(filestore.read_checked(db.session, document.sha256))).paragraphs)
    assert "督查通知" in text and "老旧小区加装电梯审批提速" in text and "（牵头）" in text
    assert office.department.name in text and office.co_department.name in text and "每周五报送" in text
    titles = [n.title for n in notices_of(session, office.head)]
    assert "督查任务待签收：DC-2026-00001 老旧小区加装电梯审批提速" in titles
    assert notices_of(session, office.head)[-1].link == f"/tasks/task/{lead.id}"


def test_tasks_added_after_the_issue_go_out_at_once(session, office, make_task_item, make_department):
    item = make_task_item("issued", co=False)
    third = make_department(name="市自然资源和规划局")
    task = services.add_task(session, office.supervisor, item, TaskInput(third.id, TaskRole.CO))
    assert task.status == TaskStatus.ASSIGNED and task.due_on == item.due_on
    with pytest.raises(ValidationError, match="已有该事项的任务"):
        services.add_task(session, office.supervisor, item, TaskInput(third.id, TaskRole.CO))
    with pytest.raises(ValidationError, match="已有牵头单位"):
        services.add_task(session, office.supervisor, item, TaskInput(office.other_department.id, TaskRole.LEAD))
    with pytest.raises(ValidationError, match="不能晚于督查事项的办结时限"):
        services.add_task(session, office.supervisor, item, TaskInput(
            office.other_department.id, TaskRole.CO, due_on=item.due_on + timedelta(days=1)))


def test_a_unit_signs_reports_and_a_late_report_counts(session, office, make_task_item):
    item = make_task_item("issued")
    lead = item.tasks[0]
    with pytest.raises(WorkflowError, match="尚未签收"):
        services.report_progress(session, office.head, lead, 10, "x")
    with pytest.raises(PermissionDenied):
        services.sign_task(session, office.co_head, lead)
    services.sign_task(session, office.head, lead)
    assert lead.status == TaskStatus.RECEIVED and lead.received_by_id == office.head.id
    with pytest.raises(ValidationError, match="0 至 100"):
        services.report_progress(session, office.head, lead, 120, "x")
    with clock.frozen(date(2026, 6, 9)):  # the report due Friday 6-5 comes on Tuesday: 2 working days late
        report = services.report_progress(session, office.head, lead, 30, "已梳理审批环节。",
                                          milestone_ids=[lead.milestones[0].id])
    assert report.due_on == date(2026, 6, 5) and report.workdays_late == 2
    assert lead.late_report_count == 1 and lead.report_count == 1 and lead.progress == 30
    assert lead.milestones[0].done_on == date(2026, 6, 9) and lead.next_milestone_on is None
    assert lead.next_report_on == date(2026, 6, 12)
    assert audit_actions(session, "task", lead.id)[-2:] == ["task.sign", "task.report"]


def test_leader_instruction_is_told_to_the_unit(session, office, make_task_item):
    item = make_task_item("reported")
    report = item.tasks[0].reports[0]
    with pytest.raises(PermissionDenied):
        services.write_instruction(session, office.supervisor, report, "抓紧。")
    instruction = services.write_instruction(session, office.leader, report, "进度偏慢，请加快。")
    session.commit()
    assert audit_actions(session, "task_instruction", instruction.id) == ["task.instruction"]
    last = notices_of(session, office.head)[-1]
    assert last.title == "领导批示：DC-2026-00001 老旧小区加装电梯审批提速" and "进度偏慢" in last.body
    assert notices_of(session, office.co_head)[-1].title != last.title


def test_lead_unit_splits_a_sub_task_for_a_co_unit(session, office, make_task_item):
    item = make_task_item("signed", co=False)
    lead = item.tasks[0]
    with pytest.raises(PermissionDenied):
        services.split_task(session, office.supervisor, lead, TaskInput(office.co_department.id))
    sub = services.split_task(session, office.head, lead, TaskInput(office.co_department.id, requirements="配合核验。"))
    assert sub.parent_id == lead.id and sub.role == TaskRole.CO and sub.status == TaskStatus.ASSIGNED
    with pytest.raises(PermissionDenied):  # a co-unit does not split further
        services.split_task(session, office.co_head, sub, TaskInput(office.other_department.id))
    with pytest.raises(WorkflowError, match="子任务"):
        services.apply_closure(session, office.head, lead, "完成。")
    services.sign_task(session, office.co_head, sub)
    services.apply_closure(session, office.co_head, sub, "已完成配合事项。")
    services.review_closure(session, office.supervisor, sub, True)
    assert item.status == ItemStatus.ISSUED  # the lead's task still runs
    services.apply_closure(session, office.head, lead, "完成。")
    services.review_closure(session, office.supervisor, lead, True)
    assert item.status == ItemStatus.CLOSED


def test_closure_is_reviewed_returned_then_closed_and_the_item_closes(session, office, make_task_item):
    item = make_task_item("applied")
    lead, co = item.tasks
    with pytest.raises(ValidationError, match="退回理由"):
        services.review_closure(session, office.supervisor, lead, False, "")
    services.review_closure(session, office.supervisor, lead, False, "佐证材料不全。")
    assert lead.status == TaskStatus.RECEIVED and lead.closures[0].decision == "returned"
    assert notices_of(session, office.head)[-1].title.startswith("办结申请被退回")
    services.review_closure(session, office.supervisor, co, True)
    assert item.status == ItemStatus.ISSUED
    services.apply_closure(session, office.head, lead, "补充了佐证材料。")
    services.review_closure(session, office.supervisor, lead, True, "同意销号。")
    session.commit()
    assert item.status == ItemStatus.CLOSED and item.watch_on is None and lead.watch_on is None
    assert [c.decision for c in lead.closures] == ["returned", "closed"]
    assert audit_actions(session, "task_item", item.id)[-1] == "task_item.close"


def test_grade_is_stored_on_the_task_and_audited(session, office, make_task_item):
    item = make_task_item("closed")
    lead = item.tasks[0]
    with pytest.raises(ValidationError, match="评价等次"):
        services.grade_task(session, office.supervisor, lead, None, None)
    with pytest.raises(PermissionDenied):
        services.grade_task(session, office.leader, lead, TaskGrade.GOOD, None)
    services.grade_task(session, office.supervisor, lead, TaskGrade.GOOD, 88, "按期完成。")
    session.commit()
    assert (lead.grade, lead.score, lead.grade_label) == (TaskGrade.GOOD, 88, "较好，88 分")
    assert audit_actions(session, "task", lead.id)[-1] == "task.grade"


def test_only_a_closed_task_is_graded(session, office, make_task_item):
    item = make_task_item("signed")
    with pytest.raises(WorkflowError, match="评价"):
        services.grade_task(session, office.supervisor, item.tasks[0], TaskGrade.GOOD, None)


def test_cancel_a_draft_item_cancels_its_planned_tasks(session, office, make_task_item):
    item = make_task_item("review")
    with pytest.raises(ValidationError):
        services.cancel_item(session, office.supervisor, item, " ")
    services.cancel_item(session, office.supervisor, item, "已并入其他事项。")
    assert item.status == ItemStatus.CANCELLED and {t.status for t in item.tasks} == {TaskStatus.CANCELLED}


def test_milestone_by_date_must_fall_before_the_deadline(session, office, make_task_item):
    item = make_task_item("issued")
    lead = item.tasks[0]
    with pytest.raises(ValidationError, match="晚于完成时限"):
        services.add_milestone(session, office.supervisor, lead, MilestoneInput("x", due_on=lead.due_on + timedelta(1)))
    milestone = services.add_milestone(session, office.supervisor, lead, MilestoneInput("试运行", due_on=date(2026, 6, 3)))
    assert lead.next_milestone_on == date(2026, 6, 3) == lead.watch_on


def test_monthly_schedule_reports_on_day_n(session, office, make_task_item):
    from supervision.models.tasks import ReportSchedule

    item = make_task_item("signed", report_schedule=ReportSchedule.MONTHLY, report_day=20)
    assert item.tasks[0].next_report_on == date(2026, 6, 22)  # 6-20 is a Saturday: the next working day


def test_a_supervisor_urges_by_hand_and_a_written_escalation_issues_its_notice(session, office, make_task_item,
                                                                              paperwork):
    from supervision.models.escalation import Escalation, SupervisionLevel

    item = make_task_item("signed", co=False)
    lead = item.tasks[0]
    with pytest.raises(PermissionDenied):
        services.urge_task(session, office.leader, lead, SupervisionLevel.phone, "抓紧。")
    with pytest.raises(ValidationError, match="催办、督办意见"):
        services.urge_task(session, office.supervisor, lead, SupervisionLevel.phone, " ")
    with clock.frozen(date(2026, 6, 10)):  # the 6-5 report is 3 working days late
        escalation = services.urge_task(session, office.supervisor, lead, SupervisionLevel.written, "请立即报送进展。",
                                        paperwork=paperwork)
    session.commit()
    assert (escalation.subject_type, escalation.due_on, escalation.workdays_overdue) == ("task", date(2026, 6, 5), 3)
    document = session.scalar(select(GeneratedDocument).where(GeneratedDocument.subject_type == "escalation",
                                                              GeneratedDocument.subject_id == escalation.id))
    text = "\n".join(p.text for p in Document(BytesIO(filestore.read_checked(db.session, document.sha256))).paragraphs)
    assert "督办通知书" in text and "以督查通知（督查〔2026〕1号）" in text and "请立即报送进展。" in text
    assert notices_of(session, office.head)[-2].title == "书面督办：DC-2026-00001 老旧小区加装电梯审批提速"
    assert audit_actions(session, "escalation", escalation.id)[0] == "escalation.escalation"
    services.apply_closure(session, office.head, lead, "完成。")
    with pytest.raises(WorkflowError, match="无需催办"):
        services.urge_task(session, office.supervisor, lead, SupervisionLevel.phone, "抓紧。")


def test_task_notices_name_the_item_and_settle_when_the_step_is_taken(session, office, make_task_item, paperwork):
    """The inbox (issue 18): a notice asking a unit to sign, a leader to review or the office to check a
    closure names the item, links to it, and stops counting on the badge once the step is taken."""
    from supervision.notifications.services import pending_count

    item = make_task_item("review", co=False)
    (review,) = [n for n in notices_of(session, office.leader) if n.title.startswith("督查事项待审核")]
    assert review.kind == "review" and review.link == f"/tasks/{item.id}" and item.serial in review.items[0].label
    services.approve_item(session, office.leader, item, "同意。")
    session.flush()
    session.refresh(review)  # settled by a bulk UPDATE
    assert review.settled_at is not None

    services.issue_item(session, office.supervisor, item, paperwork)
    lead = item.tasks[0]
    (sign,) = [n for n in notices_of(session, office.head) if n.title.startswith("督查任务待签收")]
    assert sign.kind == "assign" and sign.link == f"/tasks/task/{lead.id}" and sign.settled_at is None
    before = pending_count(session, office.head)
    services.sign_task(session, office.head, lead)
    session.flush()
    session.refresh(sign)
    assert sign.settled_at is not None and pending_count(session, office.head) == before - 1
    assert "notification.settled" in set(session.scalars(select(AuditEntry.action)))

    services.apply_closure(session, office.head, lead, "已全部完成。")
    (check,) = [n for n in notices_of(session, office.supervisor) if n.title.startswith("办结申请待复核")]
    assert check.kind == "review" and check.link == f"/tasks/task/{lead.id}" and check.settled_at is None
    services.review_closure(session, office.supervisor, lead, True, "同意销号。")
    session.flush()
    session.refresh(check)
    assert check.settled_at is not None
