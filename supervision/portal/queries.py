"""What a citizen may read about their own matter, as a plain value built from an allow-list of fields.

The public templates get a ``PublicProgress``, never the ``Matter``: what is not copied here (content,
identity, summary, internal notes, staff names, departments' remarks, other matters) cannot reach a
public page by a template's mistake.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from supervision.models.matters import Matter, MatterStatus
from supervision.models.portal import CitizenRating
from supervision.portal import services

# status -> (what the citizen reads, a sentence of explanation)
PUBLIC_STATUS: dict[MatterStatus, tuple[str, str]] = {
    MatterStatus.REGISTERED: ("已收到，待受理", "您的反映已登记，工作人员将在受理时限内决定是否受理。"),
    MatterStatus.ACCEPTED: ("已受理", "已予受理，正在确定承办单位。"),
    MatterStatus.NOT_ACCEPTED: ("不予受理", "经审查，您反映的事项不属于本中心受理范围。"),
    MatterStatus.FILED: ("已合并办理", "您反映的问题与此前已受理的事项相同，已并入该事项一并办理。"),
    MatterStatus.ASSIGNED: ("正在办理", "已交承办单位调查处理。"),
    MatterStatus.RETURNED: ("正在办理", "正在确定承办单位。"),
    MatterStatus.IN_PROGRESS: ("正在办理", "承办单位正在调查处理。"),
    MatterStatus.REWORK: ("正在办理", "承办单位正在调查处理。"),
    MatterStatus.REPLIED: ("正在办理", "承办单位已报送办理结果，正在审核。"),
    MatterStatus.APPROVED: ("已答复", "办理结果已答复，欢迎您对办理结果作出评价。"),
    MatterStatus.FOLLOWED_UP: ("已答复", "办理结果已答复，并已完成满意度回访。"),
    MatterStatus.CLOSED: ("已办结", "该事项已办结。"),
    MatterStatus.ARCHIVED: ("已办结", "该事项已办结。"),
}
# timeline action -> the public sentence; the event's own text (which staff wrote) is never shown.
PUBLIC_STEP: dict[str, str] = {
    "registered": "收到您的反映，登记在案",
    "accept": "予以受理",
    "reject": "不予受理",
    "file_duplicate": "与相同事项合并办理",
    "assign": "交承办单位办理",
    "sign": "承办单位签收，开始办理",
    "reply": "承办单位报送办理结果，进入审核",
    "approve": "办理结果审核通过，予以答复",
    "follow_up": "完成满意度回访",
    "close": "办结",
    "review_requested": "您请求复查",
    "review_decided": "作出复查意见",
    "re_review_requested": "您请求复核",
    "re_review_decided": "作出复核意见，信访终结",
    # 问题线索 (SPEC §12): the kind of result only — never what the person concerned answered
    "clue": "作为问题线索受理，由纪检监察机关依规依纪处置",
    "clue_closed": "问题线索处置完毕：经了解核实，依规予以了结",
    "clue_dealt": "问题线索处置完毕：已依规依纪对有关人员作出处理",
    "clue_handed_over": "问题线索处置完毕：已按规定移送审查调查",
}
# A matter that became a clue: what the reporter is told, by the latest clue step.
from supervision.clues.letters import RESULT_WORDS as _CLUE_RESULT_WORDS  # noqa: E402  (one place for the words)

CLUE_STATUS: dict[str, tuple[str, str]] = {
    "clue": ("已受理", "您反映的问题已作为问题线索受理，由纪检监察机关依规依纪处置。"),
    **{step: ("已办结", f"{words}。") for step, words in _CLUE_RESULT_WORDS.items()},
}
REPLY_STATUSES = frozenset({MatterStatus.APPROVED, MatterStatus.FOLLOWED_UP, MatterStatus.CLOSED,
                            MatterStatus.ARCHIVED})
DEADLINE_LABEL = {MatterStatus.REGISTERED: "受理时限", MatterStatus.ASSIGNED: "办理时限",
                  MatterStatus.IN_PROGRESS: "办理时限", MatterStatus.REWORK: "办理时限",
                  MatterStatus.REPLIED: "办理时限"}


@dataclass(frozen=True)
class PublicStep:
    on: date
    text: str


@dataclass(frozen=True)
class PublicNotice:
    """A notice the office sent the citizen (受理告知书 …): its text names nobody."""

    title: str
    number: str
    issued_on: date
    paragraphs: tuple[str, ...]


@dataclass(frozen=True)
class PublicReview:
    stage: str  # 复查 / 复核
    requested_on: date
    answer_due_on: date
    answered: bool


@dataclass(frozen=True)
class PublicProgress:
    serial: str
    kind_label: str
    title: str
    received_on: date
    status: str  # MatterStatus value, for styling only
    status_text: str
    status_note: str
    deadline_label: str
    due_on: date | None
    due_provisional: bool
    steps: list[PublicStep]
    decision_reason: str  # 不予受理的理由: told to the complainant by rule
    reply: str
    satisfaction: str  # the label, when rated (by the citizen online or at intake's call-back)
    comment: str  # the citizen's own comment, when they rated online
    can_rate: bool
    notices: tuple[PublicNotice, ...] = ()
    reviews: tuple[PublicReview, ...] = ()
    review_stage: str = ""  # "复查" or "复核" when the citizen may ask for it now
    review_last_day: date | None = None
    concluded: bool = False
    # 并入: how far the matter this duplicate went into has come — its status only. Its serial, title and
    # notes may be another citizen's (test_portal_lookup): never told.
    merged_status: str = ""


def public_status(matter: Matter) -> MatterStatus:
    """The status the citizen is told: an archived 不予受理 or 存查 stays that, not "办结"."""
    if matter.status == MatterStatus.ARCHIVED and not matter.assignments:
        for event in reversed(matter.events):
            if event.action == "reject":
                return MatterStatus.NOT_ACCEPTED
            if event.action == "file_duplicate":
                return MatterStatus.FILED
    return matter.status


# Steps recorded for the office or the department that the citizen is told too, in words of their own:
# a report sent back between two reports, and a granted extension of the lead department with its date.
REWORK_STEP = {"send_back": "办理结果审核未通过，退回承办单位重新办理",
               "reopen": "回访不满意，退回承办单位重新办理"}


def public_steps(matter: Matter) -> list[PublicStep]:
    """What the citizen may see of the timeline, each step once (a step repeated at once, e.g. two
    co-handling departments assigned together, is said once)."""
    lead = matter.lead_assignment
    steps: list[PublicStep] = []
    for event in matter.events:
        if event.audience == "public":
            text = PUBLIC_STEP.get(event.action, "办理进展更新")
        elif event.action in REWORK_STEP:
            text = REWORK_STEP[event.action]
        elif (event.action == "extension_decided" and event.new_due_on is not None and lead is not None
              and event.department_id == lead.department_id):
            text = f"经批准延期，办理时限延至 {event.new_due_on:%Y-%m-%d}"
        else:
            continue
        step = PublicStep(event.at.date(), text)
        if not steps or steps[-1].text != text:
            steps.append(step)
    return steps


def progress_of(session: Session, matter: Matter) -> PublicProgress:
    status = public_status(matter)
    status_text, status_note = PUBLIC_STATUS.get(status, ("正在办理", ""))
    rating: CitizenRating | None = services.rating_of(session, matter)
    steps = public_steps(matter)
    clue_step = next((e.action for e in reversed(matter.events) if e.action in CLUE_STATUS), None)
    if clue_step is not None:
        status_text, status_note = CLUE_STATUS[clue_step]
    deadline_label = DEADLINE_LABEL.get(matter.status, "") if clue_step is None else ""
    return PublicProgress(
        serial=matter.serial, kind_label=matter.kind.label, title=matter.title, received_on=matter.received_on,
        status=status.value, status_text=status_text, status_note=status_note,
        deadline_label=deadline_label, due_on=matter.due_on if deadline_label else None,
        due_provisional=matter.due_provisional, steps=steps,
        decision_reason=matter.decision_reason if status == MatterStatus.NOT_ACCEPTED else "",
        reply=matter.public_reply if matter.status in REPLY_STATUSES else "",
        satisfaction=matter.satisfaction.label if matter.satisfaction else "",
        comment=rating.comment if rating else "",
        can_rate=matter.status == MatterStatus.APPROVED and rating is None,
        **_letters_and_reviews(session, matter), **_merged(matter, status),
    )


def _merged(matter: Matter, status: MatterStatus) -> dict:
    """Where a duplicate went: how far its original has come — nothing that names another citizen's matter."""
    original = matter.duplicate_of
    if status != MatterStatus.FILED or original is None:
        return {}
    return {"merged_status": PUBLIC_STATUS.get(public_status(original), ("正在办理",))[0]}


def _letters_and_reviews(session: Session, matter: Matter) -> dict:
    from supervision.complainants import services as complainants

    # An answer sent back to rework (不满意 → 重办) is superseded: the new one will be told in its turn.
    answered = matter.status in REPLY_STATUSES
    notices = tuple(PublicNotice(n.kind.label, n.document.number if n.document else "", n.issued_on,
                                 tuple(n.body.split("\n"))) for n in complainants.notices_of(session, matter)
                    if answered or n.kind.value != "answer")
    reviews = tuple(PublicReview(r.stage.label, r.requested_on, r.answer_due_on, r.status.value == "decided")
                    for r in sorted(complainants.reviews_of(session, matter).values(), key=lambda r: r.id))
    stage = complainants.open_stage(session, matter)
    window = complainants.review_window(session, matter, stage) if stage else None
    return {"notices": notices, "reviews": reviews, "review_stage": stage.label if stage else "",
            "review_last_day": window[1] if window else None, "concluded": matter.concluded_at is not None}
