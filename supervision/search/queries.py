"""One page of search results for one viewer: the engine's hits, joined to their rows for the page.

The engine has already applied the viewer's rights inside the query. The rows of the page's hits are
loaded anyway (status, department), and each is checked with the same predicate as its own page: if
the index is behind the database (a failed after-commit write), a hit the viewer may no longer open
is dropped rather than shown.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Callable

from markupsafe import escape
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from supervision import permissions
from supervision.models.org import User
from supervision.pagination import Page
from supervision.search.engine import Hit, SearchIndex
from supervision.search.service import Scope

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Result:
    hit: Hit
    kind_label: str
    endpoint: str
    url_args: dict
    status_label: str
    unit: str  # the department (or unit) the record is addressed to
    title_html: str | None = None  # the viewer's own title of the record, when not the stored one


@dataclass
class Results:
    page: Page  # items: Result
    total_exact: bool
    partial: bool
    dropped: int  # hits the index offered but the database no longer allows


@dataclass(frozen=True)
class KindView:
    label: str
    load: Callable[[Session, list[int]], dict[int, Any]]
    allowed: Callable[[User, Any], bool]
    endpoint: str
    arg: str
    unit: Callable[[Any], str]


def _load_matters(session: Session, ids: list[int]) -> dict[int, Any]:
    from supervision.models.matters import Matter

    rows = session.scalars(select(Matter).where(Matter.id.in_(ids)).options(
        joinedload(Matter.lead_department), selectinload(Matter.assignments))).unique()
    return {m.id: m for m in rows}


def _load_notices(session: Session, ids: list[int]) -> dict[int, Any]:
    from supervision.models.rectification import RectificationNotice

    rows = session.scalars(select(RectificationNotice).where(RectificationNotice.id.in_(ids))
                           .options(joinedload(RectificationNotice.department)))
    return {n.id: n for n in rows}


def _load_talks(session: Session, ids: list[int]) -> dict[int, Any]:
    from supervision.models.talks import Talk

    return {t.id: t for t in session.scalars(select(Talk).where(Talk.id.in_(ids)))}


def _load_clues(session: Session, ids: list[int]) -> dict[int, Any]:
    from supervision.models.clues import Clue

    return {c.id: c for c in session.scalars(select(Clue).where(Clue.id.in_(ids)).options(selectinload(Clue.people)))}


def _may_view_clue(user: User, clue) -> bool:
    return permissions.can_view_clues(user)


def _load_task_items(session: Session, ids: list[int]) -> dict[int, Any]:
    from supervision.models.tasks import TaskItem

    rows = session.scalars(select(TaskItem).where(TaskItem.id.in_(ids)).options(
        joinedload(TaskItem.leader), selectinload(TaskItem.tasks)))
    return {i.id: i for i in rows}


def _load_tasks(session: Session, ids: list[int]) -> dict[int, Any]:
    from supervision.models.tasks import Task

    rows = session.scalars(select(Task).where(Task.id.in_(ids)).options(joinedload(Task.department)))
    return {t.id: t for t in rows}


KINDS: dict[str, KindView] = {
    "matter": KindView("事项", _load_matters, permissions.can_view_matter, "matters.detail", "matter_id",
                       lambda m: m.lead_department.name if m.lead_department else ""),
    "notice": KindView("整改通知书", _load_notices, permissions.can_view_rectification, "rectification.detail",
                       "notice_id", lambda n: n.department.name),
    "talk": KindView("谈话函询", _load_talks, permissions.can_view_talk, "talks.detail", "talk_id",
                     lambda t: t.subject_unit),
    "clue": KindView("问题线索", _load_clues, _may_view_clue, "clues.detail", "clue_id",
                     lambda c: "、".join(dict.fromkeys(p.unit for p in c.people))),
    "task_item": KindView("督查事项", _load_task_items, permissions.can_view_task_item, "tasks.detail", "item_id",
                          lambda i: i.leader.display_name if i.leader else ""),
    "task": KindView("督查任务", _load_tasks, permissions.can_view_task, "tasks.task", "task_id",
                     lambda t: t.department.name),
}


def _own_title(user: User, kind: str, row, hit: Hit) -> str | None:
    """The index stores a matter's 交办标题 (what departments read); office staff see the title as
    received instead, as on the matter's own page (``permissions.visible_title``)."""
    if kind != "matter":
        return None
    title = permissions.visible_title(user, row)
    return None if title == permissions.department_title(row) else str(escape(title))


def search(session: Session, index: SearchIndex, user: User, scope: Scope, text: str, criteria: dict,
           page: int, per_page: int) -> Results:
    criteria = dict(criteria)
    kinds = criteria.pop("kinds")
    found = index.search(text, **scope.arguments(kinds), **criteria, page=page, per_page=per_page)
    by_kind: dict[str, list[int]] = {}
    for hit in found.hits:
        kind, _, number = hit.id.partition(":")
        if kind in KINDS and number.isdigit():
            by_kind.setdefault(kind, []).append(int(number))
    rows = {kind: KINDS[kind].load(session, ids) for kind, ids in by_kind.items()}
    results, dropped = [], 0
    for hit in found.hits:
        kind, _, number = hit.id.partition(":")
        view = KINDS.get(kind)
        row = rows.get(kind, {}).get(int(number)) if number.isdigit() else None
        if view is None or row is None or not view.allowed(user, row):
            dropped += 1
            continue
        results.append(Result(hit=hit, kind_label=view.label, endpoint=view.endpoint,
                              url_args={view.arg: row.id}, status_label=row.status.label, unit=view.unit(row),
                              title_html=_own_title(user, kind, row, hit)))
    if dropped:
        log.warning("search: %d hit(s) dropped for user %s: the index is behind the database; "
                    "run `flask search check --fix`", dropped, user.id)
    return Results(page=Page(results, found.page, found.per_page, max(0, found.total - dropped)),
                   total_exact=found.total_exact, partial=found.partial, dropped=dropped)
