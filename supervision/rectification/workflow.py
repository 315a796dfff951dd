"""The life of a rectification notice and of each of its items, as data (SPEC §4). Pure.

Notice: issued → 签收 received → closed (when its last item is closed).
Item:   open → reported → closed (销号), or → returned (sent back) → reported again …
Who may take an action is in ``permissions``; the rest of each step is in the services.
"""

from __future__ import annotations

from enum import StrEnum

from supervision.errors import WorkflowError
from supervision.models.rectification import ItemStatus as I
from supervision.models.rectification import NoticeStatus as N


class NoticeAction(StrEnum):
    SIGN = "sign"
    REPORT = "report"
    ACCEPT = "accept"
    SEND_BACK = "send_back"
    CLOSE = "close"
    REGENERATE = "regenerate"


ACTION_LABELS = {
    NoticeAction.SIGN: "签收",
    NoticeAction.REPORT: "报送整改情况",
    NoticeAction.ACCEPT: "验收销号",
    NoticeAction.SEND_BACK: "退回整改",
    NoticeAction.CLOSE: "整改销号",
    NoticeAction.REGENERATE: "重新生成通知书",
}

NOTICE_TRANSITIONS: dict[tuple[N, NoticeAction], N] = {
    (N.ISSUED, NoticeAction.SIGN): N.RECEIVED,
    (N.RECEIVED, NoticeAction.CLOSE): N.CLOSED,
}

ITEM_TRANSITIONS: dict[tuple[I, NoticeAction], I] = {
    (I.OPEN, NoticeAction.REPORT): I.REPORTED,
    (I.RETURNED, NoticeAction.REPORT): I.REPORTED,
    (I.REPORTED, NoticeAction.ACCEPT): I.CLOSED,
    (I.REPORTED, NoticeAction.SEND_BACK): I.RETURNED,
}

# Items are worked on only while the notice is signed for and open.
ITEM_WORK_STATUS = N.RECEIVED


def next_notice_status(current: N, action: NoticeAction) -> N:
    try:
        return NOTICE_TRANSITIONS[(current, action)]
    except KeyError:
        raise WorkflowError(f"整改通知书当前为“{current.label}”，不能进行“{ACTION_LABELS[action]}”操作。") from None


def next_item_status(notice_status: N, current: I, action: NoticeAction, position: int) -> I:
    if notice_status != ITEM_WORK_STATUS:
        if notice_status == N.ISSUED:
            raise WorkflowError("整改通知书尚未签收，请先签收再报送整改情况。")
        raise WorkflowError(f"整改通知书当前为“{notice_status.label}”，不能再进行“{ACTION_LABELS[action]}”操作。")
    try:
        return ITEM_TRANSITIONS[(current, action)]
    except KeyError:
        if action in (NoticeAction.ACCEPT, NoticeAction.SEND_BACK) and current in (I.OPEN, I.RETURNED):
            raise WorkflowError(f"第 {position} 项尚未报送整改情况，不能验收。") from None
        raise WorkflowError(f"第 {position} 项当前为“{current.label}”，不能进行“{ACTION_LABELS[action]}”操作。") from None


def item_actions(notice_status: N, current: I) -> list[NoticeAction]:
    if notice_status != ITEM_WORK_STATUS:
        return []
    return [action for (state, action) in ITEM_TRANSITIONS if state == current]
