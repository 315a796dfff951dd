"""The three procedures as data — a matter, a talk or inquiry, a rectification notice and its items:
(state, action) -> state. Pure: no Flask, no database (docs/domain.md, "The life of a matter" and after).

Each procedure is one ``StateMachine``: its transition table, the Chinese names of its actions and the
sentence that refuses an illegal move. Who may take an action is in ``permissions``; what else happens
on a step (the audit row, the deadline, the document) is in the area's services. Overlays — overdue,
催办 count, 督办 level, a pending extension — are not states.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Generic, TypeVar

from supervision.errors import WorkflowError
from supervision.models.clues import ClueStatus as CS
from supervision.models.clues import DisposalWay
from supervision.models.clues import InquiryStatus as CIS
from supervision.models.matters import MatterStatus as S
from supervision.models.rectification import ItemStatus as I
from supervision.models.rectification import NoticeStatus as N
from supervision.models.talks import TalkKind, TalkStatus
from supervision.models.tasks import ItemStatus as TI
from supervision.models.tasks import TaskStatus as TS

State = TypeVar("State", bound=StrEnum)
Move = TypeVar("Move", bound=StrEnum)


@dataclass(frozen=True)
class StateMachine(Generic[State, Move]):
    """One procedure: which action leads from which state to which, and how a refusal is worded."""

    transitions: Mapping[tuple[State, Move], State]
    action_labels: Mapping[Move, str]
    refusal: str = "当前状态为“{state}”，不能进行“{action}”操作。"
    # Actions a variant of the procedure never takes (a talk is not answered in writing …).
    excluded: Callable[[object], frozenset] = field(default=lambda variant: frozenset())

    def next(self, current: State, action: Move, variant: object = None, **wording: object) -> State:
        """The state after ``action``, or WorkflowError with a sentence a clerk understands (``wording``
        fills the refusal's other blanks)."""
        if action in self.excluded(variant):
            raise WorkflowError(f"{variant.label}不能进行“{self.action_labels[action]}”操作。")
        try:
            return self.transitions[(current, action)]
        except KeyError:
            raise WorkflowError(self.refusal.format(state=current.label, action=self.action_labels[action],
                                                    **wording)) from None

    def allows(self, current: State, action: Move, variant: object = None) -> bool:
        return action not in self.excluded(variant) and (current, action) in self.transitions

    def actions(self, current: State, variant: object = None) -> list[Move]:
        excluded = self.excluded(variant)
        return [action for (state, action) in self.transitions if state == current and action not in excluded]


# --- the matter (信访件 / 投诉 / 建议 …) ----------------------------------------------------------------
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


MATTER = StateMachine(TRANSITIONS, ACTION_LABELS)


def next_status(current: S, action: Action) -> S:
    """The state after ``action``, or WorkflowError with a message a clerk understands."""
    return MATTER.next(current, action)


def allowed_actions(current: S) -> list[Action]:
    return MATTER.actions(current)


# --- the talk and the inquiry (谈话函询) ----------------------------------------------------------------
# proposed → approved (leader) → notified → held (a talk) / replied (an inquiry) → followed up → closed;
# a leader may also decline a proposal.
class TalkAction(StrEnum):
    APPROVE = "approve"
    DECLINE = "decline"
    NOTIFY = "notify"
    HOLD = "hold"
    REPLY = "reply"
    FOLLOW_UP = "follow_up"
    CLOSE = "close"


TALK_ACTION_LABELS: dict[TalkAction, str] = {
    TalkAction.APPROVE: "批准",
    TalkAction.DECLINE: "不予批准",
    TalkAction.NOTIFY: "发出通知",
    TalkAction.HOLD: "记录谈话",
    TalkAction.REPLY: "回复函询",
    TalkAction.FOLLOW_UP: "跟踪落实",
    TalkAction.CLOSE: "了结",
}

TALK_TRANSITIONS: dict[tuple[TalkStatus, TalkAction], TalkStatus] = {
    (TalkStatus.PROPOSED, TalkAction.APPROVE): TalkStatus.APPROVED,
    (TalkStatus.PROPOSED, TalkAction.DECLINE): TalkStatus.DECLINED,
    (TalkStatus.APPROVED, TalkAction.NOTIFY): TalkStatus.NOTIFIED,
    (TalkStatus.NOTIFIED, TalkAction.HOLD): TalkStatus.HELD,
    (TalkStatus.NOTIFIED, TalkAction.REPLY): TalkStatus.REPLIED,
    (TalkStatus.HELD, TalkAction.FOLLOW_UP): TalkStatus.FOLLOWED_UP,
    (TalkStatus.REPLIED, TalkAction.FOLLOW_UP): TalkStatus.FOLLOWED_UP,
    (TalkStatus.FOLLOWED_UP, TalkAction.CLOSE): TalkStatus.CLOSED,
}

# A talk is held, an inquiry is answered in writing: each kind has only one of the two.
TALK_ONLY = frozenset({TalkAction.HOLD})
INQUIRY_ONLY = frozenset({TalkAction.REPLY})
TALK_TERMINAL = frozenset({TalkStatus.DECLINED, TalkStatus.CLOSED})


TALK = StateMachine(TALK_TRANSITIONS, TALK_ACTION_LABELS,
                    excluded=lambda kind: TALK_ONLY if kind == TalkKind.INQUIRY else INQUIRY_ONLY)


def next_talk_status(kind: TalkKind, current: TalkStatus, action: TalkAction) -> TalkStatus:
    return TALK.next(current, action, kind)


def talk_allows(kind: TalkKind, current: TalkStatus, action: TalkAction) -> bool:
    return TALK.allows(current, action, kind)


# --- the rectification notice and its items (整改通知) --------------------------------------------------
# Notice: issued → 签收 received → closed (when its last item is closed).
# Item:   open → reported → closed (销号), or → returned (sent back) → reported again …
class NoticeAction(StrEnum):
    SIGN = "sign"
    REPORT = "report"
    ACCEPT = "accept"
    SEND_BACK = "send_back"
    CLOSE = "close"
    REGENERATE = "regenerate"


NOTICE_ACTION_LABELS = {
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

NOTICE = StateMachine(NOTICE_TRANSITIONS, NOTICE_ACTION_LABELS,
                      refusal="整改通知书当前为“{state}”，不能进行“{action}”操作。")
ITEM = StateMachine(ITEM_TRANSITIONS, NOTICE_ACTION_LABELS,
                    refusal="第 {position} 项当前为“{state}”，不能进行“{action}”操作。")


def next_notice_status(current: N, action: NoticeAction) -> N:
    return NOTICE.next(current, action)


def next_item_status(notice_status: N, current: I, action: NoticeAction, position: int) -> I:
    if notice_status != ITEM_WORK_STATUS:
        if notice_status == N.ISSUED:
            raise WorkflowError("整改通知书尚未签收，请先签收再报送整改情况。")
        raise WorkflowError(f"整改通知书当前为“{notice_status.label}”，不能再进行“{NOTICE_ACTION_LABELS[action]}”操作。")
    if action in (NoticeAction.ACCEPT, NoticeAction.SEND_BACK) and current in (I.OPEN, I.RETURNED):
        raise WorkflowError(f"第 {position} 项尚未报送整改情况，不能验收。")
    return ITEM.next(current, action, position=position)


def item_actions(notice_status: N, current: I) -> list[NoticeAction]:
    return ITEM.actions(current) if notice_status == ITEM_WORK_STATUS else []


# --- the problem clue (问题线索, SPEC §12) ----------------------------------------------------------------
# registered → proposed (a case officer proposes one of four ways, with a reason)
# proposed → approved by a leader: 谈话函询 → inquiry, 初步核实 → verifying, 暂存待查 → shelved, 予以了结 → concluded
# proposed → declined → registered (a new proposal is needed)
# shelved → registered when its review date comes (the sweep) or earlier by hand
# inquiry → concluded (采信了结, a talk, 责令检查, 诫勉) or → proposed (转初步核实, which a leader approves)
# verifying → concluded (了结, 谈话提醒, 诫勉) or → handed_over (移送立案, outside this system)
class ClueAction(StrEnum):
    PROPOSE = "propose"
    APPROVE = "approve"
    DECLINE = "decline"
    REVIEW = "review"
    CONCLUDE = "conclude"
    HAND_OVER = "hand_over"


CLUE_ACTION_LABELS: dict[ClueAction, str] = {
    ClueAction.PROPOSE: "提出处置意见",
    ClueAction.APPROVE: "批准处置意见",
    ClueAction.DECLINE: "不批准处置意见",
    ClueAction.REVIEW: "暂存到期重新处置",
    ClueAction.CONCLUDE: "了结",
    ClueAction.HAND_OVER: "移送立案",
}

# Where an approved disposal takes the clue.
CLUE_APPROVED_STATUS: dict[DisposalWay, CS] = {
    DisposalWay.INQUIRY: CS.INQUIRY,
    DisposalWay.VERIFY: CS.VERIFYING,
    DisposalWay.SHELVE: CS.SHELVED,
    DisposalWay.CLOSE: CS.CONCLUDED,
}

CLUE_TRANSITIONS: dict[tuple[CS, ClueAction], CS | None] = {
    (CS.REGISTERED, ClueAction.PROPOSE): CS.PROPOSED,
    (CS.INQUIRY, ClueAction.PROPOSE): CS.PROPOSED,  # 函询 outcome 转初步核实
    (CS.PROPOSED, ClueAction.APPROVE): None,  # by the way proposed: CLUE_APPROVED_STATUS
    (CS.PROPOSED, ClueAction.DECLINE): CS.REGISTERED,
    (CS.SHELVED, ClueAction.REVIEW): CS.REGISTERED,
    (CS.INQUIRY, ClueAction.CONCLUDE): CS.CONCLUDED,
    (CS.VERIFYING, ClueAction.CONCLUDE): CS.CONCLUDED,
    (CS.VERIFYING, ClueAction.HAND_OVER): CS.HANDED_OVER,
}
CLUE_TERMINAL = frozenset({CS.CONCLUDED, CS.HANDED_OVER})


def next_clue_status(current: CS, action: ClueAction, way: DisposalWay | None = None) -> CS:
    """The status after ``action`` (for an approval, after the way approved), or WorkflowError."""
    if (current, action) not in CLUE_TRANSITIONS:
        raise WorkflowError(f"该线索当前为“{current.label}”，不能进行“{CLUE_ACTION_LABELS[action]}”操作。")
    target = CLUE_TRANSITIONS[(current, action)]
    if target is None:
        if way is None:
            raise WorkflowError("没有待审批的处置意见。")
        return CLUE_APPROVED_STATUS[way]
    return target


def clue_allows(current: CS, action: ClueAction) -> bool:
    return (current, action) in CLUE_TRANSITIONS


def clue_actions(current: CS) -> list[ClueAction]:
    return [action for (state, action) in CLUE_TRANSITIONS if state == current]


# --- a 函询 to a person (问题线索): issued → 送达 → reply (countersigned) → the office's outcome --------------
class ClueInquiryAction(StrEnum):
    SERVE = "serve"
    REPLY = "reply"
    DECIDE = "decide"


CLUE_INQUIRY_ACTION_LABELS: dict[ClueInquiryAction, str] = {
    ClueInquiryAction.SERVE: "记录送达",
    ClueInquiryAction.REPLY: "登记回复",
    ClueInquiryAction.DECIDE: "提出处理意见",
}
CLUE_INQUIRY_TRANSITIONS: dict[tuple[CIS, ClueInquiryAction], CIS] = {
    (CIS.ISSUED, ClueInquiryAction.SERVE): CIS.SERVED,
    (CIS.SERVED, ClueInquiryAction.REPLY): CIS.REPLIED,
    (CIS.REPLIED, ClueInquiryAction.DECIDE): CIS.CONCLUDED,
}


def next_clue_inquiry_status(current: CIS, action: ClueInquiryAction) -> CIS:
    try:
        return CLUE_INQUIRY_TRANSITIONS[(current, action)]
    except KeyError:
        raise WorkflowError(
            f"该函询当前为“{current.label}”，不能进行“{CLUE_INQUIRY_ACTION_LABELS[action]}”操作。") from None


def clue_inquiry_allows(current: CIS, action: ClueInquiryAction) -> bool:
    return (current, action) in CLUE_INQUIRY_TRANSITIONS


# --- 督查事项 (SPEC §13): the item and each unit's task ----------------------------------------------------
# Item: draft (立项) → review (领导审核) → approved → issued (督查通知 下发; 办理中) → closed when its last task
#       is 销号; review → draft when the leader sends it back; cancelled (撤销) before it is issued.
# Task: planned (the item not yet issued) → assigned (下发, 待签收) → received (签收; reports, sub-tasks)
#       → applied (办结申请) → closed (销号) or back to received (退回); 评价 once closed.
class TaskItemAction(StrEnum):
    SUBMIT = "submit"
    APPROVE = "approve"
    SEND_BACK = "send_back"
    ISSUE = "issue"
    CLOSE = "close"
    CANCEL = "cancel"


TASK_ITEM_ACTION_LABELS: dict[TaskItemAction, str] = {
    TaskItemAction.SUBMIT: "提交领导审核",
    TaskItemAction.APPROVE: "审核同意",
    TaskItemAction.SEND_BACK: "退回修改",
    TaskItemAction.ISSUE: "下发督查通知",
    TaskItemAction.CLOSE: "办结",
    TaskItemAction.CANCEL: "撤销",
}

TASK_ITEM_TRANSITIONS: dict[tuple[TI, TaskItemAction], TI] = {
    (TI.DRAFT, TaskItemAction.SUBMIT): TI.REVIEW,
    (TI.REVIEW, TaskItemAction.APPROVE): TI.APPROVED,
    (TI.REVIEW, TaskItemAction.SEND_BACK): TI.DRAFT,
    (TI.APPROVED, TaskItemAction.ISSUE): TI.ISSUED,
    (TI.ISSUED, TaskItemAction.CLOSE): TI.CLOSED,
    (TI.DRAFT, TaskItemAction.CANCEL): TI.CANCELLED,
    (TI.REVIEW, TaskItemAction.CANCEL): TI.CANCELLED,
    (TI.APPROVED, TaskItemAction.CANCEL): TI.CANCELLED,
}
TASK_ITEM_TERMINAL = frozenset({TI.CLOSED, TI.CANCELLED})
# Tasks may be added (分解) while the item is open; those added before the issue go out with it.
TASK_ITEM_PLANNING = frozenset({TI.DRAFT, TI.REVIEW, TI.APPROVED, TI.ISSUED})

TASK_ITEM = StateMachine(TASK_ITEM_TRANSITIONS, TASK_ITEM_ACTION_LABELS,
                         refusal="督查事项当前为“{state}”，不能进行“{action}”操作。")


class TaskAction(StrEnum):
    ISSUE = "issue"
    SIGN = "sign"
    REPORT = "report"
    SPLIT = "split"
    APPLY = "apply"
    CLOSE = "close"
    RETURN = "return"
    GRADE = "grade"
    CANCEL = "cancel"


TASK_ACTION_LABELS: dict[TaskAction, str] = {
    TaskAction.ISSUE: "下发",
    TaskAction.SIGN: "签收",
    TaskAction.REPORT: "反馈进度",
    TaskAction.SPLIT: "分解子任务",
    TaskAction.APPLY: "申请办结",
    TaskAction.CLOSE: "复核销号",
    TaskAction.RETURN: "退回",
    TaskAction.GRADE: "评价",
    TaskAction.CANCEL: "撤销",
}

TASK_TRANSITIONS: dict[tuple[TS, TaskAction], TS] = {
    (TS.PLANNED, TaskAction.ISSUE): TS.ASSIGNED,
    (TS.ASSIGNED, TaskAction.SIGN): TS.RECEIVED,
    (TS.RECEIVED, TaskAction.REPORT): TS.RECEIVED,
    (TS.RECEIVED, TaskAction.SPLIT): TS.RECEIVED,
    (TS.RECEIVED, TaskAction.APPLY): TS.APPLIED,
    (TS.APPLIED, TaskAction.CLOSE): TS.CLOSED,
    (TS.APPLIED, TaskAction.RETURN): TS.RECEIVED,
    (TS.CLOSED, TaskAction.GRADE): TS.CLOSED,
    (TS.PLANNED, TaskAction.CANCEL): TS.CANCELLED,
    (TS.ASSIGNED, TaskAction.CANCEL): TS.CANCELLED,
    (TS.RECEIVED, TaskAction.CANCEL): TS.CANCELLED,
}
TASK_TERMINAL = frozenset({TS.CLOSED, TS.CANCELLED})

TASK = StateMachine(TASK_TRANSITIONS, TASK_ACTION_LABELS, refusal="该任务当前为“{state}”，不能进行“{action}”操作。")


def next_task_item_status(current: TI, action: TaskItemAction) -> TI:
    return TASK_ITEM.next(current, action)


def next_task_status(current: TS, action: TaskAction) -> TS:
    if current == TS.ASSIGNED and action in (TaskAction.REPORT, TaskAction.APPLY, TaskAction.SPLIT):
        raise WorkflowError("该任务尚未签收，请先签收。")
    if current == TS.PLANNED and action != TaskAction.CANCEL and action != TaskAction.ISSUE:
        raise WorkflowError("督查通知尚未下发，该任务还不能办理。")
    return TASK.next(current, action)
