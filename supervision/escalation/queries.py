"""What the supervision dashboard shows: due soon, overdue by department, open rectification notices
with their item progress, recent 催办/督办. Each is a handful of index lookups, whatever the size of
the tables: the page is opened many times a day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache

from sqlalchemy import Date, bindparam, func, select, union_all
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session, joinedload

from supervision import readcache
from supervision.calendar import WorkCalendar
from supervision.models.escalation import Escalation, EscalationKind
from supervision.models.matters import Matter
from supervision.models.org import Department
from supervision.models.rectification import ItemStatus, NoticeStatus, RectificationItem, RectificationNotice

OPEN_NOTICE_STATUSES = [s for s in NoticeStatus if s != NoticeStatus.CLOSED]
RECENT_KINDS = [EscalationKind.URGE, EscalationKind.ESCALATION]  # reminders are routine, not shown


@dataclass
class DepartmentOverdue:
    department_id: int
    name: str
    count: int
    oldest_due: date
    workdays_overdue: int


def due_between(session: Session, start: date, end: date, limit: int = 20) -> tuple[int, list[Row]]:
    """How many open matters fall due in [start, end], and the first of them (only the columns shown).
    Kept until the next write (``readcache``)."""
    def compute() -> tuple[int, tuple]:
        where = (Matter.due_on >= start, Matter.due_on <= end)  # due_on is set only while a matter is open
        total = session.scalar(select(func.count()).select_from(Matter).where(*where))
        rows = session.execute(select(Matter.id, Matter.serial, Matter.title, Matter.assigned_title, Matter.due_on,
                                      Matter.due_provisional)
                               .where(*where).order_by(Matter.due_on, Matter.id).limit(limit))
        return total, tuple(rows)

    total, rows = readcache.until_next_write(session, ("due_between", start, end, limit), compute)
    return total, list(rows)


# The statements below are built once per process: building and keying these nested selects cost
# about as much as running them. Only the date changes, as a bound parameter.
TODAY = bindparam("today", type_=Date)


@cache
def _overdue_by_department():
    # Matter.due_on is set only while a matter is open (the services clear it on approval, closing,
    # refusal). One count per department, each a contiguous range of the (lead_department_id, due_on)
    # index: a GROUP BY over every overdue row made SQLite walk and aggregate ~all of them (5–6× slower).
    of_department = (Matter.lead_department_id == Department.id, Matter.due_on < TODAY)
    count = select(func.count()).where(*of_department).correlate(Department).scalar_subquery()
    oldest = select(func.min(Matter.due_on)).where(*of_department).correlate(Department).scalar_subquery()
    # Not yet assigned (no lead department), e.g. overdue for acceptance: the head of the same index.
    unassigned = select(func.count()).select_from(Matter).where(Matter.lead_department_id.is_(None),
                                                               Matter.due_on < TODAY)
    return select(Department.id, Department.name, count, oldest), unassigned


def overdue_by_department(session: Session, today: date, calendar: WorkCalendar,
                          limit: int = 15) -> tuple[int, list[DepartmentOverdue]]:
    """All overdue matters (as the list's "overdue" filter counts them), and the lead departments with
    the most of them (longest overdue first on ties)."""
    def compute() -> tuple[int, tuple]:
        by_department, unassigned = _overdue_by_department()
        rows = [tuple(row) for row in session.execute(by_department, {"today": today}) if row[2]]
        total = sum(r[2] for r in rows) + (session.scalar(unassigned, {"today": today}) or 0)
        return total, tuple(sorted(rows, key=lambda r: (-r[2], r[3], r[0]))[:limit])

    # Counting every overdue matter is proportional to their number (~35,000 rows read from the index at
    # 100,000 matters): done once per write of the application, not per view (``readcache``).
    total, top = readcache.until_next_write(session, ("overdue_by_department", today, limit), compute)
    # Working days overdue: once per distinct date, not per row.
    overdue = {due: calendar.workdays_overdue(due, today) for due in {r[3] for r in top}}
    return total, [DepartmentOverdue(id_, name, n, oldest_due, overdue[oldest_due])
                   for id_, name, n, oldest_due in top]


def first_of_each(column, values, order_by, limit: int):
    """The ids of the first ``limit`` rows (by ``order_by``) for each of ``values``, as one subquery: a
    UNION ALL of index range scans, where ``column IN (…) ORDER BY … LIMIT`` reads and sorts them all."""
    table = column.table
    parts = [select(table.c.id).where(column == value).order_by(*order_by).limit(limit).subquery()
             for value in values]
    return union_all(*[select(part.c.id) for part in parts]).subquery()


@dataclass(frozen=True)
class NoticeProgress:
    notice_id: int
    label: str
    due_on: date
    due_provisional: bool
    closed: int
    total: int


@cache
def _open_notices(limit: int):
    notice = RectificationNotice
    is_open = notice.status.in_(OPEN_NOTICE_STATUSES)
    # Two index-only counts (a CASE per row over all open notices costs more than the second range).
    counts = select(select(func.count()).select_from(notice).where(is_open).scalar_subquery(),
                    select(func.count()).select_from(notice).where(is_open, notice.due_on < TODAY).scalar_subquery())
    firsts = first_of_each(notice.status, OPEN_NOTICE_STATUSES, (notice.due_on, notice.id), limit)
    items = select(func.count()).where(RectificationItem.notice_id == notice.id)
    total = items.correlate(notice).scalar_subquery()
    closed = items.where(RectificationItem.status == ItemStatus.CLOSED).correlate(notice).scalar_subquery()
    first_notices = (select(notice.id, notice.number, notice.due_on, notice.due_provisional, Department.name,
                            closed, total)
                     .join(Department, Department.id == notice.department_id)
                     .where(notice.id.in_(select(firsts.c.id)))
                     .order_by(notice.due_on, notice.id).limit(limit))
    return counts, first_notices


def open_notices(session: Session, today: date, limit: int = 20) -> tuple[int, int, list[NoticeProgress]]:
    """Open rectification notices: how many, how many overdue, and the ``limit`` due first with their
    items closed (销号) of all items."""
    def compute() -> tuple[int, int, tuple[NoticeProgress, ...]]:
        counts, first_notices = _open_notices(limit)
        open_count, overdue_count = session.execute(counts, {"today": today}).one()
        return open_count, overdue_count, tuple(
            NoticeProgress(id_, f"{number or '整改通知书'} {name}", due_on, provisional, n_closed, n_total)
            for id_, number, due_on, provisional, name, n_closed, n_total in session.execute(first_notices))

    open_count, overdue_count, notices = readcache.until_next_write(session, ("open_notices", today, limit), compute)
    return open_count, overdue_count, list(notices)


@cache
def _recent_escalations(limit: int):
    newest = (Escalation.issued_at.desc(), Escalation.id.desc())
    firsts = first_of_each(Escalation.kind, RECENT_KINDS, newest, limit)
    return (select(Escalation).where(Escalation.id.in_(select(firsts.c.id))).order_by(*newest).limit(limit)
            .options(joinedload(Escalation.department), joinedload(Escalation.matter)))


def recent_escalations(session: Session, limit: int = 15) -> list[Escalation]:
    """The latest 催办 and 督办 (reminders are routine): the first of each kind from the
    (kind, issued_at, id) index. Filtering the (issued_at, id) index walked past every newer reminder."""
    return list(session.scalars(_recent_escalations(limit)))


def escalations_of(session: Session, matter_id: int) -> list[Escalation]:
    return list(session.scalars(select(Escalation).where(Escalation.matter_id == matter_id)
                                .order_by(Escalation.issued_at, Escalation.id)
                                .options(joinedload(Escalation.issued_by))))
