"""The talk and inquiry procedure as data: (status, action) -> status. Pure: no Flask, no database.

proposed → approved (leader) → notified → held (a talk) / replied (an inquiry) → followed up → closed;
a leader may also decline a proposal. Which role may take an action is in ``permissions``.
"""

from __future__ import annotations

from enum import StrEnum

from supervision.errors import WorkflowError
from supervision.models.talks import TalkKind
from supervision.models.talks import TalkStatus as S


class TalkAction(StrEnum):
    APPROVE = "approve"
    DECLINE = "decline"
    NOTIFY = "notify"
    HOLD = "hold"
    REPLY = "reply"
    FOLLOW_UP = "follow_up"
    CLOSE = "close"


ACTION_LABELS: dict[TalkAction, str] = {
    TalkAction.APPROVE: "批准",
    TalkAction.DECLINE: "不予批准",
    TalkAction.NOTIFY: "发出通知",
    TalkAction.HOLD: "记录谈话",
    TalkAction.REPLY: "回复函询",
    TalkAction.FOLLOW_UP: "跟踪落实",
    TalkAction.CLOSE: "了结",
}

TRANSITIONS: dict[tuple[S, TalkAction], S] = {
    (S.PROPOSED, TalkAction.APPROVE): S.APPROVED,
    (S.PROPOSED, TalkAction.DECLINE): S.DECLINED,
    (S.APPROVED, TalkAction.NOTIFY): S.NOTIFIED,
    (S.NOTIFIED, TalkAction.HOLD): S.HELD,
    (S.NOTIFIED, TalkAction.REPLY): S.REPLIED,
    (S.HELD, TalkAction.FOLLOW_UP): S.FOLLOWED_UP,
    (S.REPLIED, TalkAction.FOLLOW_UP): S.FOLLOWED_UP,
    (S.FOLLOWED_UP, TalkAction.CLOSE): S.CLOSED,
}

# A talk is held, an inquiry is answered in writing: each kind has only one of the two.
TALK_ONLY = frozenset({TalkAction.HOLD})
INQUIRY_ONLY = frozenset({TalkAction.REPLY})
TERMINAL = frozenset({S.DECLINED, S.CLOSED})


def kind_allows(kind: TalkKind, action: TalkAction) -> bool:
    if kind == TalkKind.INQUIRY:
        return action not in TALK_ONLY
    return action not in INQUIRY_ONLY


def next_status(kind: TalkKind, current: S, action: TalkAction) -> S:
    """The status after ``action``, or WorkflowError with a sentence the clerk understands."""
    if not kind_allows(kind, action):
        raise WorkflowError(f"{kind.label}不能进行“{ACTION_LABELS[action]}”操作。")
    try:
        return TRANSITIONS[(current, action)]
    except KeyError:
        raise WorkflowError(
            f"当前状态为“{current.label}”，不能进行“{ACTION_LABELS[action]}”操作。") from None


def is_allowed(kind: TalkKind, current: S, action: TalkAction) -> bool:
    return kind_allows(kind, action) and (current, action) in TRANSITIONS


def allowed_actions(kind: TalkKind, current: S) -> list[TalkAction]:
    return [action for (state, action) in TRANSITIONS if state == current and kind_allows(kind, action)]
