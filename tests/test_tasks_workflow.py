"""The 督查事项 procedures as data: the item's and each task's state machine."""

import pytest

from supervision import workflow
from supervision.errors import WorkflowError
from supervision.models.tasks import ItemStatus, TaskStatus
from supervision.workflow import TaskAction, TaskItemAction


def test_item_goes_from_register_through_review_to_issue_and_close():
    state = ItemStatus.DRAFT
    for action in (TaskItemAction.SUBMIT, TaskItemAction.APPROVE, TaskItemAction.ISSUE, TaskItemAction.CLOSE):
        state = workflow.next_task_item_status(state, action)
    assert state == ItemStatus.CLOSED


def test_leader_sends_an_item_back_to_draft():
    assert workflow.next_task_item_status(ItemStatus.REVIEW, TaskItemAction.SEND_BACK) == ItemStatus.DRAFT


def test_an_issued_item_cannot_be_cancelled_or_issued_again():
    with pytest.raises(WorkflowError, match="办理中"):
        workflow.next_task_item_status(ItemStatus.ISSUED, TaskItemAction.CANCEL)
    with pytest.raises(WorkflowError, match="下发督查通知"):
        workflow.next_task_item_status(ItemStatus.ISSUED, TaskItemAction.ISSUE)


def test_an_item_is_not_issued_before_the_leader_approves_it():
    with pytest.raises(WorkflowError, match="立项"):
        workflow.next_task_item_status(ItemStatus.DRAFT, TaskItemAction.ISSUE)


def test_task_goes_from_issue_to_closure_and_grade():
    state = TaskStatus.PLANNED
    for action in (TaskAction.ISSUE, TaskAction.SIGN, TaskAction.REPORT, TaskAction.SPLIT, TaskAction.APPLY,
                   TaskAction.RETURN, TaskAction.REPORT, TaskAction.APPLY, TaskAction.CLOSE, TaskAction.GRADE):
        state = workflow.next_task_status(state, action)
    assert state == TaskStatus.CLOSED


def test_a_unit_signs_before_it_reports():
    with pytest.raises(WorkflowError, match="尚未签收"):
        workflow.next_task_status(TaskStatus.ASSIGNED, TaskAction.REPORT)


def test_a_planned_task_waits_for_the_notice():
    with pytest.raises(WorkflowError, match="督查通知尚未下发"):
        workflow.next_task_status(TaskStatus.PLANNED, TaskAction.SIGN)


def test_only_a_closed_task_is_graded():
    with pytest.raises(WorkflowError, match="评价"):
        workflow.next_task_status(TaskStatus.RECEIVED, TaskAction.GRADE)
    with pytest.raises(WorkflowError):
        workflow.next_task_status(TaskStatus.CLOSED, TaskAction.REPORT)
