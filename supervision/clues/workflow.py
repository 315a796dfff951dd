"""The clue procedure as data: (status, action) -> status. Pure: no Flask, no database.

registered → proposed (a case officer proposes one of four ways, with a reason)
proposed → approved by a leader: 谈话函询 → inquiry, 初步核实 → verifying, 暂存待查 → shelved, 予以了结 → concluded
proposed → declined → registered (a new proposal is needed)
shelved → registered when its review date comes (the sweep) or earlier by hand
inquiry → concluded (采信了结, a talk, 责令检查, 诫勉) or → proposed (转初步核实, which a leader approves)
verifying → concluded (了结, 谈话提醒, 诫勉) or → handed_over (移送立案, outside this system)
Which role may take an action is in ``permissions``.
"""

from __future__ import annotations

from enum import StrEnum

from supervision.errors import WorkflowError
from supervision.models.clues import ClueStatus as S
from supervision.models.clues import DisposalWay
from supervision.models.clues import InquiryStatus as IS


class ClueAction(StrEnum):
    PROPOSE = "propose"
    APPROVE = "approve"
    DECLINE = "decline"
    REVIEW = "review"
    CONCLUDE = "conclude"
    HAND_OVER = "hand_over"


ACTION_LABELS: dict[ClueAction, str] = {
    ClueAction.PROPOSE: "提出处置意见",
    ClueAction.APPROVE: "批准处置意见",
    ClueAction.DECLINE: "不批准处置意见",
    ClueAction.REVIEW: "暂存到期重新处置",
    ClueAction.CONCLUDE: "了结",
    ClueAction.HAND_OVER: "移送立案",
}

# Where an approved disposal takes the clue.
APPROVED_STATUS: dict[DisposalWay, S] = {
    DisposalWay.INQUIRY: S.INQUIRY,
    DisposalWay.VERIFY: S.VERIFYING,
    DisposalWay.SHELVE: S.SHELVED,
    DisposalWay.CLOSE: S.CONCLUDED,
}

TRANSITIONS: dict[tuple[S, ClueAction], S | None] = {
    (S.REGISTERED, ClueAction.PROPOSE): S.PROPOSED,
    (S.INQUIRY, ClueAction.PROPOSE): S.PROPOSED,  # 函询 outcome 转初步核实
    (S.PROPOSED, ClueAction.APPROVE): None,  # by the way proposed: APPROVED_STATUS
    (S.PROPOSED, ClueAction.DECLINE): S.REGISTERED,
    (S.SHELVED, ClueAction.REVIEW): S.REGISTERED,
    (S.INQUIRY, ClueAction.CONCLUDE): S.CONCLUDED,
    (S.VERIFYING, ClueAction.CONCLUDE): S.CONCLUDED,
    (S.VERIFYING, ClueAction.HAND_OVER): S.HANDED_OVER,
}
TERMINAL = frozenset({S.CONCLUDED, S.HANDED_OVER})


def next_status(current: S, action: ClueAction, way: DisposalWay | None = None) -> S:
    """The status after ``action`` (for an approval, after the way approved), or WorkflowError."""
    if (current, action) not in TRANSITIONS:
        raise WorkflowError(f"该线索当前为“{current.label}”，不能进行“{ACTION_LABELS[action]}”操作。")
    target = TRANSITIONS[(current, action)]
    if target is None:
        if way is None:
            raise WorkflowError("没有待审批的处置意见。")
        return APPROVED_STATUS[way]
    return target


def is_allowed(current: S, action: ClueAction) -> bool:
    return (current, action) in TRANSITIONS


def allowed_actions(current: S) -> list[ClueAction]:
    return [action for (state, action) in TRANSITIONS if state == current]


# --- a 函询 to a person: issued → 送达 → reply (countersigned) → the office's outcome --------------
class InquiryAction(StrEnum):
    SERVE = "serve"
    REPLY = "reply"
    DECIDE = "decide"


INQUIRY_ACTION_LABELS: dict[InquiryAction, str] = {
    InquiryAction.SERVE: "记录送达",
    InquiryAction.REPLY: "登记回复",
    InquiryAction.DECIDE: "提出处理意见",
}
INQUIRY_TRANSITIONS: dict[tuple[IS, InquiryAction], IS] = {
    (IS.ISSUED, InquiryAction.SERVE): IS.SERVED,
    (IS.SERVED, InquiryAction.REPLY): IS.REPLIED,
    (IS.REPLIED, InquiryAction.DECIDE): IS.CONCLUDED,
}


def next_inquiry_status(current: IS, action: InquiryAction) -> IS:
    try:
        return INQUIRY_TRANSITIONS[(current, action)]
    except KeyError:
        raise WorkflowError(
            f"该函询当前为“{current.label}”，不能进行“{INQUIRY_ACTION_LABELS[action]}”操作。") from None


def inquiry_allows(current: IS, action: InquiryAction) -> bool:
    return (current, action) in INQUIRY_TRANSITIONS
