"""What the supervision dashboard shows: due soon, overdue by department, recent 催办/督办."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload, load_only

from supervision.calendar import WorkCalendar
from supervision.models.escalation import Escalation, EscalationKind
from supervision.models.matters import Matter
from supervision.models.org import Department


@dataclass
class DepartmentOverdue:
    department_id: int
    name: str
    count: int
    oldest_due: date
    workdays_overdue: int


def due_between(session: Session, start: date, end: date, limit: int = 20) -> tuple[int, list[Matter]]:
    """How many open matters fall due in [start, end], and the first of them (only the columns shown)."""
    where = (Matter.due_on >= start, Matter.due_on <= end)  # due_on is set only while a matter is open
    total = session.scalar(select(func.count()).select_from(Matter).where(*where))
    rows = session.scalars(select(Matter).where(*where).order_by(Matter.due_on, Matter.id).limit(limit)
                           .options(load_only(Matter.id, Matter.serial, Matter.title, Matter.due_on,
                                              Matter.due_provisional)))
    return total, list(rows)


def overdue_by_department(session: Session, today: date, calendar: WorkCalendar,
                          limit: int = 15) -> tuple[int, list[DepartmentOverdue]]:
    """All overdue matters, and the departments with the most of them (longest overdue first on ties)."""
    # Matter.due_on is set only while a matter is open (the services clear it on approval, closing,
    # refusal), so the (due_on, lead_department_id) index answers this without reading rows.
    rows = session.execute(
        select(Matter.lead_department_id, func.count(), func.min(Matter.due_on))
        .where(Matter.due_on < today, Matter.lead_department_id.is_not(None))
        .group_by(Matter.lead_department_id)).all()
    total = sum(n for _, n, _ in rows)
    top = sorted(rows, key=lambda r: (-r[1], r[2]))[:limit]
    names = {id_: name for id_, name in session.execute(select(Department.id, Department.name).where(
        Department.id.in_([r[0] for r in top])))} if top else {}
    return total, [DepartmentOverdue(department_id, names[department_id], n, oldest,
                                     calendar.workdays_overdue(oldest, today)) for department_id, n, oldest in top]


def recent_escalations(session: Session, limit: int = 15) -> list[Escalation]:
    # Ids from the (issued_at, id) index first; then only those rows (a join would sort the table).
    ids = session.scalars(select(Escalation.id).where(Escalation.kind != EscalationKind.REMINDER)
                          .order_by(Escalation.issued_at.desc(), Escalation.id.desc()).limit(limit)).all()
    rows = {e.id: e for e in session.scalars(select(Escalation).where(Escalation.id.in_(ids))
                                              .options(joinedload(Escalation.department)))}
    return [rows[i] for i in ids]


def escalations_of(session: Session, matter_id: int) -> list[Escalation]:
    return list(session.scalars(select(Escalation).where(Escalation.matter_id == matter_id)
                                .order_by(Escalation.issued_at, Escalation.id)
                                .options(joinedload(Escalation.issued_by))))
