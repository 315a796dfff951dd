"""What the supervision dashboard shows: due soon, overdue by department, recent 催办/督办."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from supervision.calendar import WorkCalendar
from supervision.models.escalation import Escalation, EscalationKind
from supervision.models.matters import TERMINAL_STATUSES, Matter
from supervision.models.org import Department


@dataclass
class DepartmentOverdue:
    department: Department
    count: int
    oldest_due: date
    workdays_overdue: int


def due_between(session: Session, start: date, end: date, limit: int = 50) -> list[Matter]:
    return list(session.scalars(select(Matter).where(Matter.due_on >= start, Matter.due_on <= end,
                                                     Matter.status.not_in(TERMINAL_STATUSES))
                                .order_by(Matter.due_on, Matter.id).limit(limit)
                                .options(joinedload(Matter.lead_department))))


def overdue_by_department(session: Session, today: date, calendar: WorkCalendar) -> list[DepartmentOverdue]:
    rows = session.execute(
        select(Matter.lead_department_id, func.count(), func.min(Matter.due_on))
        .where(Matter.due_on < today, Matter.status.not_in(TERMINAL_STATUSES), Matter.lead_department_id.is_not(None))
        .group_by(Matter.lead_department_id)).all()
    departments = {d.id: d for d in session.scalars(select(Department).where(
        Department.id.in_([r[0] for r in rows])))} if rows else {}
    result = [DepartmentOverdue(departments[d], n, oldest, calendar.workdays_overdue(oldest, today))
              for d, n, oldest in rows]
    return sorted(result, key=lambda r: (-r.count, -r.workdays_overdue))


def recent_escalations(session: Session, limit: int = 15) -> list[Escalation]:
    return list(session.scalars(select(Escalation).where(Escalation.kind != EscalationKind.REMINDER)
                                .order_by(Escalation.issued_at.desc(), Escalation.id.desc()).limit(limit)
                                .options(joinedload(Escalation.department))))


def escalations_of(session: Session, matter_id: int) -> list[Escalation]:
    return list(session.scalars(select(Escalation).where(Escalation.matter_id == matter_id)
                                .order_by(Escalation.issued_at, Escalation.id)
                                .options(joinedload(Escalation.issued_by))))
