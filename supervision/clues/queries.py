"""Reads of the clue register: the list (with its search), shared by the page and the .xlsx ledger."""

from __future__ import annotations

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session, selectinload

from supervision import permissions
from supervision.models.clues import Clue, CluePerson, ClueSource, ClueStatus, DisposalWay
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
