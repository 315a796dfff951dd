"""Every write about telling the complainant (SPEC §11): a notice is recorded where its step happens —
受理, 不予受理, 交办, an approved 延期, the answer, the 复查 and 复核 opinions — with the date it must reach
the complainant; it is generated as a numbered, registered .docx and sent by SMS / e-mail where the
complainant gave a number or address. Nothing here shows identity to anyone but office staff: the
notice's text names nobody; only the .docx's salutation does, and only the office may download it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from supervision import audit, clock, permissions
from supervision.calendar import LimitUnit
from supervision.complainants import letters as wording
from supervision.deadlines import compute_due, limit_for, office_calendar
from supervision.documents import services as documents
from supervision.documents.services import Paperwork, office_profile
from supervision.errors import PermissionDenied, ValidationError, WorkflowError
from supervision.models.calendar import LimitStep
from supervision.models.complainants import (
    ComplainantNotice,
    DeliveryMethod,
    NoticeKind,
    ReviewOutcome,
    ReviewRequest,
    ReviewStage,
    ReviewStatus,
)
from supervision.models.escalation import Delivery
from supervision.models.matters import Complainant, Matter, MatterEvent, MatterKind, MatterStatus
from supervision.models.org import Role, User
from supervision.notifications import letters as letters_out
from supervision.notifications.services import about_matter, notify, office_staff, settle, task_key
from supervision.paperwork.data import ComplainantLetter, DocNumber

SUBJECT_TYPE = "complainant_notice"


@dataclass(frozen=True)
class LetterPolicy:
    """How notices are made and sent: the paperwork, the delivery channels, who answers 复查 and 复核."""

    paperwork: Paperwork
    channels: tuple[str, ...] = ("log",)
    review_body: str = ""  # 复查机关; "" → the office itself
    re_review_body: str = ""  # 复核机关

    @classmethod
    def from_config(cls, config: Any, instance_path: str) -> LetterPolicy:
        profile = office_profile(config)
        return cls(Paperwork(profile, Path(instance_path) / "documents"), tuple(config.get("NOTIFY_CHANNELS", ["log"])),
                   config.get("REVIEW_BODY") or profile.office_name,
                   config.get("RE_REVIEW_BODY") or "上一级行政机关")

    @property
    def office(self) -> str:
        return self.paperwork.profile.office_name


def complainant_of(session: Session, matter: Matter) -> Complainant | None:
    return session.scalar(select(Complainant).where(Complainant.matter_id == matter.id))


def is_told(session: Session, matter: Matter) -> bool:
    """A real-name complainant who left a way to reach them is told in writing (SPEC §11)."""
    if matter.kind == MatterKind.FINDING or matter.anonymous:
        return False
    person = complainant_of(session, matter)
    return person is not None and bool(person.name) and bool(person.phone or person.address or person.email)


def issue_notice(session: Session, actor: User | None, matter: Matter, kind: NoticeKind,
                 paragraphs: tuple[str, ...], *, start: date | None = None, ref: str = "",
                 letters: LetterPolicy | None = None) -> ComplainantNotice | None:
    """Record the notice of a step (once per step: ``ref`` names it), due within the 告知 time limit from
    ``start``. With ``letters`` it is generated and sent at once; without, the next sweep does both."""
    if not is_told(session, matter):
        return None
    existing = session.scalar(select(ComplainantNotice).where(
        ComplainantNotice.matter_id == matter.id, ComplainantNotice.kind == kind, ComplainantNotice.ref == ref))
    if existing is not None:
        return existing
    today = clock.today()
    due = compute_due(session, start or today, limit_for(session, LimitStep.NOTIFY, matter.kind.value,
                                                        matter.category_id))
    notice = ComplainantNotice(matter=matter, kind=kind, ref=ref, body="\n".join(paragraphs), issued_on=today,
                               due_on=due.due, due_provisional=due.provisional, created_at=clock.now(),
                               created_by_id=actor.id if actor else None)
    session.add(notice)
    session.flush()
    audit.record(session, actor, "complainant_notice.recorded", notice, f"{matter.serial} {kind.label}",
                 {"kind": kind, "due_on": due.due})
    if letters is not None:
        send_letter(session, actor, notice, letters)
    return notice


def _letter_data(session: Session, notice: ComplainantNotice, number: DocNumber) -> ComplainantLetter:
    person = complainant_of(session, notice.matter)
    return ComplainantLetter(kind=notice.kind.value, number=number, salutation=person.name if person else "",
                             matter_number=notice.matter.serial, paragraphs=tuple(notice.body.split("\n")),
                             issued_on=notice.issued_on)


def generate_letter(session: Session, actor: User | None, notice: ComplainantNotice, paperwork: Paperwork):
    """The numbered .docx (a new revision keeps its number). Registered under the matter, addressed to no
    department: a department head can never download it."""
    document = documents.generate(
        session, actor, doc_type=notice.kind.doc_type, subject=(SUBJECT_TYPE, notice.id),
        build_data=lambda number: _letter_data(session, notice, number), profile=paperwork.profile,
        folder=paperwork.folder, matter_id=notice.matter_id, department_id=None)
    session.flush()
    notice.document_id = document.id
    return document


def send_letter(session: Session, actor: User | None, notice: ComplainantNotice, letters: LetterPolicy) -> None:
    """Generate the notice and queue its SMS / e-mail; note it on the matter's timeline (office only)."""
    document = generate_letter(session, actor, notice, letters.paperwork)
    ways = queue_deliveries(session, notice, letters.channels)
    # The notice's row as it now stands (with its document) goes into the audit log's row digests.
    audit.record(session, actor, "complainant_notice.issued", notice,
                 f"{notice.matter.serial} {notice.kind.label} {document.number}", {"ways": ways})
    how = "，已安排" + "、".join(DeliveryMethod(w).label for w in ways) + "送达" if ways else "，待邮寄或当面送达"
    session.add(MatterEvent(matter_id=notice.matter_id, actor_id=actor.id if actor else None,
                            action="notice_issued", text=f"生成{notice.kind.label} {document.number}{how}",
                            audience="office", at=clock.now()))


def queue_deliveries(session: Session, notice: ComplainantNotice, channels: tuple[str, ...]) -> list[str]:
    """A delivery per way the complainant can be reached; the address is looked up when sending, so the
    complainant's number stays in the identity table alone."""
    return letters_out.queue_deliveries(session, complainant_of(session, notice.matter), channels,
                                        complainant_notice_id=notice.id)


def letter_message(session: Session, delivery: Delivery) -> tuple[str, str, str]:
    """(address, subject, body) of a delivery to a complainant, read at sending time."""
    notice = session.get(ComplainantNotice, delivery.complainant_notice_id)
    person = complainant_of(session, notice.matter)
    address = {"sms": person.phone if person else "", "email": person.email if person else ""}.get(
        delivery.channel, f"反映人（{notice.matter.serial}）")
    number = notice.document.number if notice.document else ""
    return address, f"{notice.kind.label}{number}", f"{notice.body}\n事项编号：{notice.matter.serial}"


def mark_sent(session: Session, delivery: Delivery) -> None:
    """An SMS or e-mail reached the gateway: the notice counts as delivered (the log channel does not)."""
    notice = session.get(ComplainantNotice, delivery.complainant_notice_id)
    letters_out.mark_sent(session, notice, delivery, subject_type=SUBJECT_TYPE, serial=notice.matter.serial)


def record_delivery(session: Session, actor: User, notice: ComplainantNotice, method: DeliveryMethod) -> None:
    """送达: intake records a notice given by post or in person (or confirms an SMS / e-mail)."""
    if not permissions.can_view_identity(actor):
        raise PermissionDenied("只有受理、督查人员可以登记送达。")
    letters_out.mark_delivered(session, actor, notice, method, subject_type=SUBJECT_TYPE, serial=notice.matter.serial)


def issue_missing_letters(session: Session, letters: LetterPolicy) -> int:
    """Notices recorded without their document (a step taken without the paperwork at hand): the sweep
    generates and sends them. A rerun adds nothing."""
    pending = session.scalars(select(ComplainantNotice).where(ComplainantNotice.document_id.is_(None))
                              .order_by(ComplainantNotice.id)).all()
    for notice in pending:
        send_letter(session, None, notice, letters)
    return len(pending)


def tell_intake_of_overdue(session: Session, today: date, channels: tuple[str, ...] = ("log",)) -> int:
    """Notices past their due date and not delivered: intake is told once each (``notifications.letters``)."""
    return letters_out.tell_intake_of_overdue(
        session, ComplainantNotice, today, channels, subject_type=SUBJECT_TYPE, to_whom="反映人",
        name=lambda notice: f"{notice.matter.serial} {notice.kind.label}",
        about=lambda notice, task: about_matter(notice.matter, task))


def tell_of_overdue_reviews(session: Session, today: date, channels: tuple[str, ...] = ("log",)) -> int:
    """复查 / 复核 requests not answered by their due date: the office staff who record the answer for the
    answering body (supervisors, leaders) and intake are told once each; the to-do list marks them. Safe on
    two servers (a conditional UPDATE claims each, as for the notices above)."""
    ids = session.scalars(select(ReviewRequest.id).where(
        ReviewRequest.status == ReviewStatus.PENDING, ReviewRequest.answer_due_on < today,
        ReviewRequest.overdue_notified_at.is_(None))).all()
    told = 0
    staff = office_staff(session, Role.SUPERVISOR, Role.LEADER, Role.INTAKE) if ids else []
    for request_id in ids:
        claimed = session.execute(update(ReviewRequest).where(
            ReviewRequest.id == request_id, ReviewRequest.overdue_notified_at.is_(None))
            .values(overdue_notified_at=clock.now())).rowcount
        if not claimed:
            continue
        request = session.get(ReviewRequest, request_id)
        late = f"{request.matter.serial} {request.stage.label}逾期未答复"
        notify(session, staff, f"{late}（{request.body}）",
               f"反映人于 {request.requested_on:%Y-%m-%d} 请求{request.stage.label}，应由{request.body}于 "
               f"{request.answer_due_on:%Y-%m-%d} 前答复，至今未答复。", channels=channels, kind="complaint_review",
               about=[about_matter(request.matter, task_key("review_request", request.id, "decide"),
                                   anchor="#reviews")])
        audit.record(session, None, "review.overdue", request, late,
                     {"answer_due_on": request.answer_due_on, "body": request.body})
        told += 1
    return told


def notices_of(session: Session, matter: Matter) -> list[ComplainantNotice]:
    return list(session.scalars(select(ComplainantNotice).where(ComplainantNotice.matter_id == matter.id)
                                .order_by(ComplainantNotice.id)))


# --- 复查 and 复核 --------------------------------------------------------------------------------------
ANSWERED_STATUSES = frozenset({MatterStatus.APPROVED, MatterStatus.FOLLOWED_UP, MatterStatus.CLOSED,
                               MatterStatus.ARCHIVED})
# What each stage reviews: the notice it answers, and the notice it produces.
REVIEWED_NOTICE = {ReviewStage.REVIEW: NoticeKind.ANSWER, ReviewStage.RE_REVIEW: NoticeKind.REVIEW}
OPINION_NOTICE = {ReviewStage.REVIEW: NoticeKind.REVIEW, ReviewStage.RE_REVIEW: NoticeKind.RE_REVIEW}


def reviews_of(session: Session, matter: Matter) -> dict[ReviewStage, ReviewRequest]:
    return {r.stage: r for r in session.scalars(select(ReviewRequest).where(ReviewRequest.matter_id == matter.id))}


def _latest_notice(session: Session, matter: Matter, kind: NoticeKind) -> ComplainantNotice | None:
    return session.scalar(select(ComplainantNotice).where(ComplainantNotice.matter_id == matter.id,
                                                          ComplainantNotice.kind == kind)
                          .order_by(ComplainantNotice.id.desc()).limit(1))


def review_window(session: Session, matter: Matter, stage: ReviewStage) -> tuple[date, date] | None:
    """(from, last day) within which the complainant may ask for this stage: 30 days from receiving the
    opinion it reviews (the day it was delivered, else the day it was issued); None when there is none."""
    if matter.concluded_at is not None or matter.status not in ANSWERED_STATUSES:
        return None
    reviews = reviews_of(session, matter)
    if stage in reviews:
        return None
    if stage == ReviewStage.RE_REVIEW and (ReviewStage.REVIEW not in reviews
                                           or reviews[ReviewStage.REVIEW].status != ReviewStatus.DECIDED):
        return None
    opinion = _latest_notice(session, matter, REVIEWED_NOTICE[stage])
    if opinion is None:
        return None
    start = opinion.delivered_at.date() if opinion.delivered_at else opinion.issued_on
    last = office_calendar(session).deadline(start, wording.REVIEW_WINDOW_DAYS, LimitUnit.CALENDAR).due
    return start, last


def open_stage(session: Session, matter: Matter) -> ReviewStage | None:
    """The stage the complainant may ask for now, if any."""
    for stage in (ReviewStage.REVIEW, ReviewStage.RE_REVIEW):
        window = review_window(session, matter, stage)
        if window is not None and clock.today() <= window[1]:
            return stage
    return None


def request_review(session: Session, actor: User | None, matter: Matter, stage: ReviewStage, reason: str, *,
                   requested_on: date | None = None, letters: LetterPolicy | None = None) -> ReviewRequest:
    """复查 / 复核 asked on the portal (no actor) or recorded by intake (a letter, a visit). Within 30 days of
    the opinion it reviews; answered within 30 days by the body configured for it."""
    via = "portal" if actor is None else "intake"
    if actor is not None and not permissions.can_register_matter(actor):
        raise PermissionDenied("只有受理人员可以登记复查、复核请求。")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(f"请写明请求{stage.label}的理由。")
    today = clock.today()
    requested_on = requested_on or today
    if requested_on > today:
        raise ValidationError("请求日期不能晚于今天。")
    if matter.concluded_at is not None:
        raise WorkflowError("该事项已经复核终结，不再受理复查、复核请求。")
    existing = reviews_of(session, matter).get(stage)
    if existing is not None:
        raise WorkflowError(f"该事项已于 {existing.requested_on:%Y-%m-%d} 请求{stage.label}。")
    window = review_window(session, matter, stage)
    if window is None:
        needed = "处理意见" if stage == ReviewStage.REVIEW else "复查意见"
        raise WorkflowError(f"该事项尚未作出{needed}，不能请求{stage.label}。")
    if requested_on > window[1]:
        raise ValidationError(f"请求{stage.label}的期限（收到意见之日起{wording.REVIEW_WINDOW_DAYS}日，至 "
                              f"{window[1]:%Y-%m-%d}）已过，不予受理。")
    due = office_calendar(session).deadline(requested_on, wording.REVIEW_WINDOW_DAYS, LimitUnit.CALENDAR)
    policy_body = (letters.review_body if stage == ReviewStage.REVIEW else letters.re_review_body) if letters \
        else "本机关"
    request = ReviewRequest(matter=matter, stage=stage, requested_on=requested_on, received_via=via, reason=reason,
                            body=policy_body, answer_due_on=due.due, answer_due_provisional=due.provisional,
                            status=ReviewStatus.PENDING, created_at=clock.now(),
                            created_by_id=actor.id if actor else None)
    session.add(request)
    session.flush()
    session.add(MatterEvent(matter_id=matter.id, actor_id=actor.id if actor else None, action=f"{stage.value}_requested",
                            text=f"反映人请求{stage.label}（{'网上提交' if via == 'portal' else '受理登记'}），"
                                 f"应于 {due.due:%Y-%m-%d} 前答复", audience="public", at=clock.now()))
    audit.record(session, actor, f"review.{stage.value}_requested", request, f"{matter.serial} 请求{stage.label}",
                 {"via": via, "requested_on": requested_on, "answer_due_on": due.due})
    notify(session, office_staff(session, Role.INTAKE, Role.SUPERVISOR), f"{stage.label}请求：{matter.serial} {matter.title}",
           f"反映人请求{stage.label}，应于 {due.due:%Y-%m-%d} 前答复。", channels=letters.channels if letters else ("log",),
           kind="complaint_review", about=[about_matter(matter, task_key("review_request", request.id, "decide"))])
    return request


def decide_review(session: Session, actor: User, request: ReviewRequest, outcome: ReviewOutcome, opinion: str, *,
                  letters: LetterPolicy | None = None) -> ComplainantNotice | None:
    """The 复查 / 复核 opinion, recorded by the office for the body that gave it; the complainant gets the
    复查意见书 / 复核意见书. After 复核 the matter is final (信访终结)."""
    if not permissions.is_role(actor, Role.SUPERVISOR, Role.LEADER):
        raise PermissionDenied("只有督查人员或领导可以登记复查、复核意见。")
    if request.status != ReviewStatus.PENDING:
        raise WorkflowError(f"该{request.stage.label}请求已答复。")
    opinion = (opinion or "").strip()
    if not opinion:
        raise ValidationError(f"请填写{request.stage.label}意见（将告知反映人）。")
    matter = request.matter
    request.status, request.outcome, request.opinion = ReviewStatus.DECIDED, outcome, opinion
    request.decided_at, request.decided_by_id = clock.now(), actor.id
    settle(session, actor, task_key("review_request", request.id, "decide"))
    final = request.stage == ReviewStage.RE_REVIEW
    if final:
        matter.concluded_at = clock.now()
    session.add(MatterEvent(matter_id=matter.id, actor_id=actor.id, action=f"{request.stage.value}_decided",
                            text=f"作出{request.stage.label}意见：{outcome.label}" + ("，信访终结" if final else ""),
                            audience="public", at=clock.now()))
    audit.record(session, actor, f"review.{request.stage.value}_decided", request,
                 f"{matter.serial} {request.stage.label}意见：{outcome.label}",
                 {"outcome": outcome, "concluded": final})
    about = wording.About(matter.serial, matter.title, matter.received_on, letters.office if letters else "本机关")
    if final:
        paragraphs = wording.re_review(about, request.requested_on, outcome.label, opinion)
    else:
        paragraphs = wording.review(about, request.requested_on, outcome.label, opinion,
                                    letters.re_review_body if letters else "上一级行政机关")
    return issue_notice(session, actor, matter, OPINION_NOTICE[request.stage], paragraphs,
                        ref=f"review:{request.id}", letters=letters)


# --- the same matter again, after 复核 ---------------------------------------------------------------------
def concluded_predecessor(session: Session, matter: Matter) -> Matter | None:
    """A matter of the same complainant about the same unit (or with the same title) that is final after
    复核: the new submission is recognised as the same matter and not accepted again (SPEC §11)."""
    person = complainant_of(session, matter)
    if person is None or not (person.phone or person.id_number):
        return None
    same_person = [Complainant.phone == person.phone] if person.phone else []
    if person.id_number:
        same_person.append(Complainant.id_number == person.id_number)
    same_subject = [Matter.title == matter.title]
    if matter.respondent_department_id is not None:
        same_subject.append(Matter.respondent_department_id == matter.respondent_department_id)
    if matter.respondent_unit:
        same_subject.append(Matter.respondent_unit == matter.respondent_unit)
    return session.scalar(select(Matter).join(Complainant, Complainant.matter_id == Matter.id).where(
        Matter.id != matter.id, Matter.concluded_at.is_not(None), or_(*same_person), or_(*same_subject))
        .order_by(Matter.concluded_at.desc()).limit(1))
