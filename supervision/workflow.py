"""The matter lifecycle as data (SPEC §3): (state, action) -> state. Pure: no Flask, no database.

Who may take an action is in ``permissions``; what happens besides the state change is in the
services. Overlays — overdue, 催办 count, 督办 level, a pending extension — are not states.
"""

from __future__ import annotations

from enum import StrEnum

from supervision.errors import WorkflowError
from supervision.models.matters import MatterStatus as S


class Action(StrEnum):
    ACCEPT = "accept"
    REJECT = "reject"
    FILE_DUPLICATE = "file_duplicate"
    ASSIGN = "assign"
    SIGN = "sign"
    RETURN = "return"
    REPLY = "reply"
    REQUEST_EXTENSION = "request_extension"
    DECIDE_EXTENSION = "decide_extension"
    APPROVE = "approve"
    SEND_BACK = "send_back"
    FOLLOW_UP = "follow_up"
    REOPEN = "reopen"
    CLOSE = "close"
    ARCHIVE = "archive"


ACTION_LABELS: dict[Action, str] = {
    Action.ACCEPT: "受理",
    Action.REJECT: "不予受理",
    Action.FILE_DUPLICATE: "存查（重复件）",
    Action.ASSIGN: "交办",
    Action.SIGN: "签收",
    Action.RETURN: "退回",
    Action.REPLY: "报送办结报告",
    Action.REQUEST_EXTENSION: "申请延期",
    Action.DECIDE_EXTENSION: "审批延期",
    Action.APPROVE: "审核通过",
    Action.SEND_BACK: "退回重办",
    Action.FOLLOW_UP: "回访",
    Action.REOPEN: "不满意重办",
    Action.CLOSE: "办结",
    Action.ARCHIVE: "归档",
}

TRANSITIONS: dict[tuple[S, Action], S] = {
    (S.REGISTERED, Action.ACCEPT): S.ACCEPTED,
    (S.REGISTERED, Action.REJECT): S.NOT_ACCEPTED,
    (S.REGISTERED, Action.FILE_DUPLICATE): S.FILED,
    (S.ACCEPTED, Action.FILE_DUPLICATE): S.FILED,
    (S.ACCEPTED, Action.ASSIGN): S.ASSIGNED,
    (S.RETURNED, Action.ASSIGN): S.ASSIGNED,
    (S.RETURNED, Action.FILE_DUPLICATE): S.FILED,
    (S.ASSIGNED, Action.SIGN): S.IN_PROGRESS,
    (S.ASSIGNED, Action.RETURN): S.RETURNED,
    (S.IN_PROGRESS, Action.RETURN): S.RETURNED,
    (S.IN_PROGRESS, Action.REPLY): S.REPLIED,
    (S.REWORK, Action.REPLY): S.REPLIED,
    (S.IN_PROGRESS, Action.REQUEST_EXTENSION): S.IN_PROGRESS,
    (S.REWORK, Action.REQUEST_EXTENSION): S.REWORK,
    (S.IN_PROGRESS, Action.DECIDE_EXTENSION): S.IN_PROGRESS,
    (S.REWORK, Action.DECIDE_EXTENSION): S.REWORK,
    (S.REPLIED, Action.APPROVE): S.APPROVED,
    (S.REPLIED, Action.SEND_BACK): S.REWORK,
    (S.APPROVED, Action.FOLLOW_UP): S.FOLLOWED_UP,
    (S.FOLLOWED_UP, Action.REOPEN): S.REWORK,
    (S.APPROVED, Action.CLOSE): S.CLOSED,
    (S.FOLLOWED_UP, Action.CLOSE): S.CLOSED,
    (S.CLOSED, Action.ARCHIVE): S.ARCHIVED,
    (S.NOT_ACCEPTED, Action.ARCHIVE): S.ARCHIVED,
    (S.FILED, Action.ARCHIVE): S.ARCHIVED,
}


def next_status(current: S, action: Action) -> S:
    """The state after ``action``, or WorkflowError with a message a clerk understands."""
    try:
        return TRANSITIONS[(current, action)]
    except KeyError:
        raise WorkflowError(
            f"当前状态为“{current.label}”，不能进行“{ACTION_LABELS[action]}”操作。"
        ) from None


def allowed_actions(current: S) -> list[Action]:
    return [action for (state, action) in TRANSITIONS if state == current]
