"""Read-side queries of the rectification area. Department scoping is part of the SQL, never a filter after."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import false, func, select, true
from sqlalchemy.orm import Session, selectinload

from supervision import readcache
from supervision.deadlines import OpenDeadline
from supervision.ids import parse_id
from supervision.models.matters import Matter, MatterKind
from supervision.models.org import Role, User
from supervision.models.rectification import ItemStatus, NoticeStatus, RectificationItem, RectificationNotice
from supervision.pagination import Page, count_rows
from supervision.permissions import OFFICE_ROLES
from supervision.rectification.services import REFUSED_STATUSES, SUBSTANTIATED_STATUSES


@dataclass
class NoticeFilters:
    status: str = ""
    department_id: int | None = None
    overdue: bool = False


def visibility(user: User):
    if user.role in OFFICE_ROLES:
        return true()
    if user.role == Role.DEPT_HEAD and user.department_id is not None:
        return RectificationNotice.department_id == user.department_id
    return false()


def conditions(user: User, filters: NoticeFilters, today: date) -> list:
    """The list's WHERE clause (scoping included): the list page and the .xlsx ledger share it."""
    where = [visibility(user)]
    if filters.status in NoticeStatus._value2member_map_:
        where.append(RectificationNotice.status == filters.status)
    if filters.department_id:
        where.append(RectificationNotice.department_id == filters.department_id)
    if filters.overdue:
        where += [RectificationNotice.status != NoticeStatus.CLOSED, RectificationNotice.due_on < today]
    return where


def list_page(session: Session, user: User, filters: NoticeFilters, today: date, page: int,
              per_page: int) -> Page:
    where = conditions(user, filters, today)
    total, estimated = count_rows(session, select(RectificationNotice.id).where(*where))
    notices = session.scalars(
        select(RectificationNotice).where(*where)
        .options(selectinload(RectificationNotice.department), selectinload(RectificationNotice.items))
        .order_by(RectificationNotice.issued_on.desc(), RectificationNotice.id.desc())
        .limit(per_page).offset((page - 1) * per_page)).all()
    return Page(list(notices), page, per_page, total, estimated)


def open_counts(session: Session, user: User, today: date) -> dict[str, int]:
    """Headline numbers for the list page: open, overdue, items awaiting 验收."""
    base = [visibility(user), RectificationNotice.status != NoticeStatus.CLOSED]
    scope = (user.role in OFFICE_ROLES, user.role, user.department_id)
    # Counts of every open notice: once per write of the application, not per view (``readcache``).
    return dict(readcache.until_next_write(session, ("rectification_open_counts", scope, today), lambda: tuple({
        "open": session.scalar(select(func.count()).select_from(RectificationNotice).where(*base)) or 0,
        "overdue": session.scalar(select(func.count()).select_from(RectificationNotice).where(
            *base, RectificationNotice.due_on < today)) or 0,
        "to_verify": session.scalar(select(func.count()).select_from(RectificationItem).join(
            RectificationNotice).where(*base, RectificationItem.status == ItemStatus.REPORTED)) or 0,
    }.items())))


def rectifiable_matters(session: Session, limit: int = 200) -> list[Matter]:
    """Matters a supervisor may issue a notice from, newest first (findings; substantiated complaints)."""
    return list(session.scalars(
        select(Matter).where(
            ((Matter.kind == MatterKind.FINDING) & Matter.status.not_in(list(REFUSED_STATUSES)))
            | ((Matter.kind != MatterKind.FINDING) & Matter.status.in_(list(SUBSTANTIATED_STATUSES))))
        .order_by(Matter.received_on.desc(), Matter.id.desc()).limit(limit)))


def matters_by_id(session: Session, ids: list[int]) -> list[Matter]:
    if not ids:
        return []
    found = {m.id: m for m in session.scalars(select(Matter).where(Matter.id.in_(ids)))}
    return [found[i] for i in dict.fromkeys(ids) if i in found]


# --- for the deadline sweep ------------------------------------------------------------------------
def open_notice_deadlines(session: Session, horizon: date):
    """Open notices due by ``horizon``, as the sweep's OpenDeadline rows (registered in SOURCES)."""
    rows = session.execute(
        select(RectificationNotice.id, RectificationNotice.due_on, RectificationNotice.department_id,
               RectificationNotice.number)
        .where(RectificationNotice.status != NoticeStatus.CLOSED, RectificationNotice.due_on <= horizon))
    for id_, due_on, department_id, number in rows:
        yield OpenDeadline("rectification_notice", id_, due_on, department_id, None, f"整改通知书 {number or ''}",
                           f"/rectification/{id_}")


def list_filters(args) -> tuple:
    """The list's filters from a query string: one parser for the list page and its .xlsx ledger."""
    from supervision.rectification.forms import ListFilterForm

    from supervision.forms import drop_invalid

    form = ListFilterForm(args)
    drop_invalid(form)
    filters = NoticeFilters(
        status=form.status.data or "", overdue=bool(form.overdue.data),
        department_id=parse_id(form.department.data))
    return form, filters
