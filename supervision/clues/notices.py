"""Telling the reporter of a clue registered directly (SPEC §12): a real-name reporter who left a way to
reach them is told of the acceptance within 15 working days (告知实名举报人) and of the result when the
clue ends. As for a complainant's notices (``complainants.services``): each notice is recorded where its
step happens, generated as a numbered, registered .docx (addressed to no department), sent by SMS through
the delivery outbox where the reporter gave a mobile number, and its due date is followed — the to-do
list shows it, the sweep tells intake once it is overdue. A clue from a matter tells the matter's
complainant through the matter (portal) instead.

Nothing here commits; the SMS is sent by the sweep after the commit (``notifications.deliver_pending``)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from supervision import audit, clock, permissions
from supervision.clues import letters as wording
from supervision.deadlines import compute_due, limit_for
from supervision.errors import PermissionDenied
from supervision.models.calendar import LimitStep
from supervision.models.clues import Clue, ClueNoticeKind, ClueReporter, ClueReporterNotice
from supervision.models.complainants import DeliveryMethod
from supervision.models.escalation import Delivery
from supervision.models.org import User
from supervision.notifications import letters as letters_out
from supervision.notifications.services import About

SUBJECT_TYPE = "clue_reporter_notice"


def reporter_of(session: Session, clue: Clue) -> ClueReporter | None:
    return session.scalar(select(ClueReporter).where(ClueReporter.clue_id == clue.id))


def is_told(session: Session, clue: Clue) -> bool:
    """A real-name reporter of a directly registered clue who left a phone number or an address."""
    if clue.matter_id is not None or not clue.real_name:
        return False
    reporter = reporter_of(session, clue)
    return reporter is not None and bool(reporter.name) and bool(reporter.phone or reporter.address)


def _about(clue: Clue, letters) -> wording.About:
    return wording.About(clue.serial, clue.received_on, letters.office if letters else "")


def record_notice(session: Session, actor: User | None, clue: Clue, kind: ClueNoticeKind,
                  paragraphs: tuple[str, ...], *, start: date, letters=None) -> ClueReporterNotice | None:
    """Record the notice (once per kind), due 15 working days (the 告知 time limit) from ``start``. With
    ``letters`` (a ``complainants.services.LetterPolicy``) it is generated and sent at once; without, the
    next sweep does both."""
    if not is_told(session, clue):
        return None
    existing = session.scalar(select(ClueReporterNotice).where(ClueReporterNotice.clue_id == clue.id,
                                                               ClueReporterNotice.kind == kind))
    if existing is not None:
        return existing
    due = compute_due(session, start, limit_for(session, LimitStep.NOTIFY, "complaint"))
    notice = ClueReporterNotice(clue=clue, kind=kind, body="\n".join(paragraphs), issued_on=clock.today(),
                                due_on=due.due, due_provisional=due.provisional, created_at=clock.now(),
                                created_by_id=actor.id if actor else None)
    session.add(notice)
    session.flush()
    audit.record(session, actor, "clue_notice.recorded", notice, f"{clue.serial} {kind.label}",
                 {"kind": kind, "due_on": due.due})
    if letters is not None:
        send_letter(session, actor, notice, letters)
    return notice


def tell_acceptance(session: Session, actor: User, clue: Clue, letters=None) -> ClueReporterNotice | None:
    """受理告知书: due 15 working days after the report was received."""
    return record_notice(session, actor, clue, ClueNoticeKind.ACCEPTANCE,
                         wording.acceptance(_about(clue, letters), clock.today()), start=clue.received_on,
                         letters=letters)


def tell_result(session: Session, actor: User | None, clue: Clue, step: str, letters=None) -> ClueReporterNotice | None:
    """处理结果告知书 when the clue ends: the kind of result only (``step`` from ``public_result_step``)."""
    return record_notice(session, actor, clue, ClueNoticeKind.RESULT,
                         wording.result(_about(clue, letters), step), start=clock.today(), letters=letters)


# --- generating and sending -------------------------------------------------------------------------
def generate_letter(session: Session, actor: User | None, notice: ClueReporterNotice, paperwork):
    """The numbered .docx (a new revision keeps its number), registered under no matter and no department:
    only office staff can download it."""
    from supervision.documents import services as documents
    from supervision.paperwork.clue_documents import ReporterLetter

    reporter = reporter_of(session, notice.clue)
    document = documents.generate(
        session, actor, doc_type=notice.kind.doc_type, subject=(SUBJECT_TYPE, notice.id),
        build_data=lambda number: ReporterLetter(
            kind=notice.kind.doc_type, number=number, salutation=reporter.name if reporter else "",
            clue_number=notice.clue.serial, paragraphs=tuple(notice.body.split("\n")), issued_on=notice.issued_on),
        profile=paperwork.profile, folder=paperwork.folder, prefix_key=notice.kind.doc_type,
        title=f"{notice.kind.label}（{notice.clue.serial}）")
    session.flush()
    notice.document_id = document.id
    return document


def send_letter(session: Session, actor: User | None, notice: ClueReporterNotice, letters) -> None:
    document = generate_letter(session, actor, notice, letters.paperwork)
    ways = letters_out.queue_deliveries(session, reporter_of(session, notice.clue), letters.channels,
                                        clue_notice_id=notice.id)
    audit.record(session, actor, "clue_notice.issued", notice,
                 f"{notice.clue.serial} {notice.kind.label} {document.number}", {"ways": ways})


def letter_message(session: Session, delivery: Delivery) -> tuple[str, str, str]:
    """(address, subject, body) of a delivery to a clue's reporter, read at sending time."""
    notice = session.get(ClueReporterNotice, delivery.clue_notice_id)
    reporter = reporter_of(session, notice.clue)
    address = reporter.phone if delivery.channel == "sms" and reporter else f"举报人（{notice.clue.serial}）"
    number = notice.document.number if notice.document else ""
    return address, f"{notice.kind.label}{number}", f"{notice.body}\n线索编号：{notice.clue.serial}"


def mark_sent(session: Session, delivery: Delivery) -> None:
    """An SMS reached the gateway: the notice counts as delivered (the log channel does not)."""
    notice = session.get(ClueReporterNotice, delivery.clue_notice_id)
    letters_out.mark_sent(session, notice, delivery, subject_type=SUBJECT_TYPE, serial=notice.clue.serial)


def record_delivery(session: Session, actor: User, notice: ClueReporterNotice, method: DeliveryMethod) -> None:
    """送达: intake or a supervisor records a notice given by post or in person (or confirms an SMS)."""
    if not permissions.can_view_clue_reporter(actor):
        raise PermissionDenied("只有受理、督查人员可以登记送达。")
    letters_out.mark_delivered(session, actor, notice, method, subject_type=SUBJECT_TYPE, serial=notice.clue.serial)


def notices_of(session: Session, clue: Clue) -> list[ClueReporterNotice]:
    return list(session.scalars(select(ClueReporterNotice).where(ClueReporterNotice.clue_id == clue.id)
                                .order_by(ClueReporterNotice.id)))


# --- the sweep ----------------------------------------------------------------------------------------
def issue_missing_letters(session: Session, letters) -> int:
    """Notices recorded without their document (by a step taken without the paperwork at hand)."""
    pending = session.scalars(select(ClueReporterNotice).where(ClueReporterNotice.document_id.is_(None))
                              .order_by(ClueReporterNotice.id)).all()
    for notice in pending:
        send_letter(session, None, notice, letters)
    return len(pending)


def tell_intake_of_overdue(session: Session, today: date, channels: tuple[str, ...] = ("log",)) -> int:
    """Notices past their due date and not delivered: intake is told once each (``notifications.letters``)."""
    return letters_out.tell_intake_of_overdue(
        session, ClueReporterNotice, today, channels, subject_type=SUBJECT_TYPE, to_whom="举报人",
        name=lambda notice: f"{notice.clue.serial} {notice.kind.label}",
        about=lambda notice, task: About(link=f"/clues/{notice.clue_id}#reporter-notices",
                                         label=f"{notice.clue.serial} {notice.kind.label}", task=task))
