"""Lookups of the complainants area for other pages (the to-do list)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from supervision import clock
from supervision.matters.queries import TodoItem
from supervision.models.clues import ClueReporterNotice
from supervision.models.complainants import ComplainantNotice, ReviewRequest, ReviewStatus


def letters_to_deliver(session: Session, limit: int) -> list[TodoItem]:
    """Notices to complainants not yet delivered, the earliest due first (overdue ones turn red)."""
    rows = session.scalars(select(ComplainantNotice).where(ComplainantNotice.delivered_at.is_(None))
                           .order_by(ComplainantNotice.due_on, ComplainantNotice.id).limit(limit)
                           .options(joinedload(ComplainantNotice.matter)))
    items = [TodoItem(f"{n.matter.serial} {n.kind.label}", f"/matters/{n.matter_id}#complainant", n.due_on,
                      n.due_provisional) for n in rows]
    # … and to the reporters of clues registered directly (office staff only: so is this list)
    clue_rows = session.scalars(select(ClueReporterNotice).where(ClueReporterNotice.delivered_at.is_(None))
                                .order_by(ClueReporterNotice.due_on, ClueReporterNotice.id).limit(limit)
                                .options(joinedload(ClueReporterNotice.clue)))
    items += [TodoItem(f"{n.clue.serial} {n.kind.label}（问题线索举报人）", f"/clues/{n.clue_id}#reporter-notices",
                       n.due_on, n.due_provisional) for n in clue_rows]
    items.sort(key=lambda item: item.due_on)
    return items[:limit]


def reviews_to_answer(session: Session, limit: int) -> list[TodoItem]:
    rows = session.scalars(select(ReviewRequest).where(ReviewRequest.status == ReviewStatus.PENDING)
                           .order_by(ReviewRequest.answer_due_on, ReviewRequest.id).limit(limit)
                           .options(joinedload(ReviewRequest.matter)))
    today = clock.today()
    return [TodoItem(f"{r.matter.serial} {r.stage.label}请求" + ("（逾期未答复）" if r.answer_due_on < today else ""),
                     f"/matters/{r.matter_id}#reviews", r.answer_due_on, r.answer_due_provisional) for r in rows]
