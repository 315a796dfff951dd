"""Reads of the clue register: the list (with its search), shared by the page and the .xlsx ledger."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session, selectinload

from supervision import permissions
from supervision.models.clues import Clue, CluePerson, ClueSource, ClueStatus, DisposalWay, VerificationResult
from supervision.models.matters import Matter
from supervision.models.org import User

LIST_ORDER = (Clue.received_on.desc(), Clue.id.desc())


def conditions(*, status: str = "", source: str = "", way: str = "", q: str = "") -> list:
    where = []
    if status in ClueStatus._value2member_map_:
        where.append(Clue.status == ClueStatus(status))
    if source in ClueSource._value2member_map_:
        where.append(Clue.source == ClueSource(source))
    if way in DisposalWay._value2member_map_:
        where.append(Clue.disposal == DisposalWay(way))
    if q:
        person = exists().where(CluePerson.clue_id == Clue.id, or_(
            CluePerson.name.contains(q, autoescape=True), CluePerson.unit.contains(q, autoescape=True)))
        where.append(or_(person, Clue.serial.contains(q.upper(), autoescape=True),
                         Clue.summary.contains(q, autoescape=True), Clue.source_note.contains(q, autoescape=True)))
    return where


def list_clues(session: Session, user: User, *, limit: int = 500, **criteria: str) -> list[Clue]:
    """The register as this user may see it: the whole of it for office staff, nothing for anyone else."""
    if not permissions.can_view_clues(user):
        return []
    query = (select(Clue).where(*conditions(**criteria)).options(selectinload(Clue.people))
             .order_by(*LIST_ORDER))
    return list(session.scalars(query.limit(limit)))


def clue_for_matter(session: Session, user: User, matter: Matter) -> Clue | None:
    """The clue a matter became, for the matter's page (office staff only)."""
    if not permissions.can_view_clues(user):
        return None
    return session.scalar(select(Clue).where(Clue.matter_id == matter.id))


def may_become_clue(user: User, matter: Matter) -> bool:
    """Whether the matter's page offers 转为问题线索 to this user."""
    from supervision.clues.services import can_convert

    return permissions.can_register_clue(user) and can_convert(matter)


def inquiries_without_addressee(session: Session) -> list:
    """Migrated unit-addressed 函询 that name no person: a clerk completes them."""
    from supervision.models.clues import ClueInquiry

    return list(session.scalars(select(ClueInquiry).where(ClueInquiry.addressee_name == "")
                                .options(selectinload(ClueInquiry.clue)).order_by(ClueInquiry.id)))


def person_clues(session: Session, name: str, unit: str) -> list[Clue]:
    """Every clue about one official (name and unit as written), for the 廉政档案: with its disposals and
    函询 — office staff only, as the 廉政档案 itself."""
    return list(session.scalars(
        select(Clue).where(exists().where(CluePerson.clue_id == Clue.id, CluePerson.name == name,
                                          CluePerson.unit == unit))
        .options(selectinload(Clue.disposals), selectinload(Clue.inquiries), selectinload(Clue.verification))
        .order_by(Clue.received_on.desc(), Clue.id.desc())))


# --- statistics ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ClueStatistics:
    received: int
    by_source: list[tuple[str, int]]  # label, count
    by_way: list[tuple[str, int]]  # the approved way ("未处置" when none yet)
    inquiries_replied: int
    inquiries_on_time: int
    inquiries_overdue_open: int  # served, past the deadline, no reply yet
    verification_results: list[tuple[str, int]]
    found_untrue: int
    cleared: int
    false_accusations: int

    @property
    def on_time_rate(self) -> float | None:
        return self.inquiries_on_time / self.inquiries_replied if self.inquiries_replied else None


def clue_statistics(session: Session, date_from: date, date_to: date, today: date) -> ClueStatistics:
    """Clues received in the period (by source and way of disposal); the 函询 replied in it and whether on
    time; the 初核 reported in it; 澄清正名 and 诬告陷害. One query per figure, each on the clue tables."""
    from supervision.models.clues import ClueInquiry, ClueVerification, InquiryStatus

    in_period = (Clue.received_on >= date_from, Clue.received_on <= date_to)
    start, end = datetime.combine(date_from, time.min), datetime.combine(date_to, time.max)
    by_source = dict(session.execute(select(Clue.source, func.count()).where(*in_period).group_by(Clue.source)).all())
    by_way = dict(session.execute(select(Clue.disposal, func.count()).where(*in_period).group_by(Clue.disposal)).all())
    replied = session.execute(select(ClueInquiry.replied_on, ClueInquiry.reply_due_on).where(
        ClueInquiry.replied_on >= date_from, ClueInquiry.replied_on <= date_to)).all()
    overdue = session.scalar(select(func.count()).select_from(ClueInquiry).where(
        ClueInquiry.status == InquiryStatus.SERVED, ClueInquiry.reply_due_on < today)) or 0
    results = dict(session.execute(select(ClueVerification.result, func.count()).where(
        ClueVerification.reported_at >= start, ClueVerification.reported_at <= end)
        .group_by(ClueVerification.result)).all())
    untrue = session.scalar(select(func.count()).select_from(ClueVerification).where(
        ClueVerification.found_untrue.is_(True), ClueVerification.reported_at >= start,
        ClueVerification.reported_at <= end)) or 0
    cleared = session.scalar(select(func.count()).select_from(Clue).where(
        Clue.cleared_at >= start, Clue.cleared_at <= end)) or 0
    false = session.scalar(select(func.count()).select_from(Clue).where(*in_period, Clue.false_accusation.is_(True))) or 0
    return ClueStatistics(
        received=sum(by_source.values()),
        by_source=[(s.label, by_source.get(s, 0)) for s in ClueSource],
        by_way=[(w.label, by_way.get(w, 0)) for w in DisposalWay] + [("未处置", by_way.get(None, 0))],
        inquiries_replied=len(replied),
        inquiries_on_time=sum(1 for r, due in replied if due is None or r <= due),
        inquiries_overdue_open=overdue,
        verification_results=[(r.label, results.get(r, 0)) for r in VerificationResult],
        found_untrue=untrue, cleared=cleared, false_accusations=false)
