"""Reads of the talks area: the lists, and a person's 廉政档案 (every talk, inquiry and measure
concerning one official, matched by name and unit, and the matters that named them)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from supervision import permissions
from supervision.models.matters import Matter
from supervision.models.org import User
from supervision.models.talks import AppealOutcome, Talk, TalkKind, TalkStatus


LIST_ORDER = (Talk.proposed_at.desc(), Talk.id.desc())


def conditions(user: User, *, kind: str = "", status: str = "", q: str = "") -> list:
    """What this user may see: everything for the office; for a department head, the 函询 and the
    talk notices addressed to their department once sent. The list and the .xlsx ledger share it."""
    where = []
    if not permissions.can_manage_talks(user):
        where += [Talk.subject_department_id == user.department_id,
                  Talk.status.in_(permissions.TALK_SENT_STATUSES)]
    if kind in TalkKind._value2member_map_:
        where.append(Talk.kind == TalkKind(kind))
    if status in TalkStatus._value2member_map_:
        where.append(Talk.status == TalkStatus(status))
    if q:
        where.append(or_(Talk.subject_name.contains(q, autoescape=True),
                         Talk.subject_unit.contains(q, autoescape=True)))
    return where


def list_talks(session: Session, user: User, *, kind: str = "", status: str = "", q: str = "",
               limit: int = 500) -> list[Talk]:
    query = (select(Talk).where(*conditions(user, kind=kind, status=status, q=q))
             .options(selectinload(Talk.subject_department)).order_by(*LIST_ORDER))
    return list(session.scalars(query.limit(limit)))


@dataclass(frozen=True)
class PersonRow:
    name: str
    unit: str
    post: str
    count: int
    last_at: object
    influence_ends_on: date | None  # the latest 诫勉 influence period still running, if any


def people(session: Session, today: date, q: str = "") -> list[PersonRow]:
    """Everyone a talk or inquiry has concerned, one row per name + unit."""
    query = (select(Talk.subject_name, Talk.subject_unit, func.max(Talk.subject_post), func.count(Talk.id),
                    func.max(Talk.proposed_at))
             .group_by(Talk.subject_name, Talk.subject_unit).order_by(func.max(Talk.proposed_at).desc()))
    if q:
        query = query.where(or_(Talk.subject_name.contains(q, autoescape=True),
                                Talk.subject_unit.contains(q, autoescape=True)))
    active = {(name, unit): ends for name, unit, ends in session.execute(
        select(Talk.subject_name, Talk.subject_unit, func.max(Talk.influence_ends_on))
        .where(Talk.measure_on <= today, Talk.influence_ends_on >= today,
               or_(Talk.appeal_outcome.is_(None), Talk.appeal_outcome != AppealOutcome.REVOKED))
        .group_by(Talk.subject_name, Talk.subject_unit))}
    return [PersonRow(name, unit, post or "", count, last, active.get((name, unit)))
            for name, unit, post, count, last in session.execute(query.limit(500))]


@dataclass(frozen=True)
class PersonRecord:
    name: str
    unit: str
    talks: list[Talk]
    active_admonitions: list[Talk]
    matters: list[Matter]


def person_record(session: Session, name: str, unit: str, today: date) -> PersonRecord:
    talks = list(session.scalars(
        select(Talk).where(Talk.subject_name == name, Talk.subject_unit == unit)
        .order_by(Talk.proposed_at.desc(), Talk.id.desc())))
    matters = list(session.scalars(
        select(Matter).where(Matter.respondent_person.contains(name, autoescape=True))
        .order_by(Matter.received_on.desc(), Matter.id.desc()).limit(200))) if name else []
    return PersonRecord(name, unit, talks, [t for t in talks if t.influence_active(today)], matters)


def list_filters(args) -> tuple:
    """The list's filters from a query string: one parser for the list page and its .xlsx ledger."""
    from supervision.talks.forms import ListFilterForm

    from supervision.forms import drop_invalid

    form = ListFilterForm(args)
    drop_invalid(form)
    return form, {"kind": form.kind.data or "", "status": form.status.data or "", "q": (form.q.data or "")[:40]}
