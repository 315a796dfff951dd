"""驾驶舱: every 督查事项 by light, by leader in charge and by unit — grouped statements, never a loop over
items in Python.

Each count is made of exactly the conditions of the item list (``queries.item_conditions``: status 办理中,
the light on ``watch_on`` by ``_light_conditions``, the leader, a unit's non-cancelled task), so a number and
the list it links to (``status=issued&light=…&leader=…|department=…``) agree by construction.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import and_, case, distinct, func, select
from sqlalchemy.orm import Session

from supervision import office_settings, readcache
from supervision.deadlines import office_calendar
from supervision.models.org import Department, User
from supervision.models.tasks import ItemStatus, Task, TaskItem, TaskStatus
from supervision.tasks.queries import LIGHTS, _light_conditions, effective_warning

LIGHT_KEYS = tuple(LIGHTS)  # red, yellow, green: the board's columns, most urgent first


@dataclass(frozen=True)
class LightRow:
    """One line of the board: a leader, a unit or the whole office, with its items by light."""

    key: int | None  # the user or department id (None: not set / the totals)
    label: str
    counts: dict[str, int] = field(default_factory=dict)  # red / yellow / green

    @property
    def total(self) -> int:
        return sum(self.counts.get(k, 0) for k in LIGHT_KEYS)

    def count(self, light: str) -> int:
        return self.counts.get(light, 0)


@dataclass(frozen=True)
class Board:
    today: date
    warning_workdays: int
    totals: LightRow  # items with a running deadline, by light
    by_status: dict[str, int]  # every item by status (立项 … 已办结)
    by_leader: tuple[LightRow, ...]
    by_unit: tuple[LightRow, ...]


def light_case(session: Session, column, today: date, warning=None, codes: bool = False):
    """The light of ``column`` (a watched date) as SQL: 'red' / 'yellow' / 'green' (with ``codes``: 0 / 1 / 2,
    which groups and sorts faster than text under a collation), NULL without one. ``warning``: the yellow
    light's days (default: each item's own, else the office's — the statement must read ``task_item``)."""
    calendar = office_calendar(session)
    warning = effective_warning(session) if warning is None else warning
    whens = [(and_(*_light_conditions(calendar, column, light, today, warning)), code if codes else light)
             for code, light in enumerate(LIGHT_KEYS)]
    return case(*whens, else_=None)


def _rows(pairs) -> dict[int | None, dict[str, int]]:
    grouped: dict[int | None, dict[str, int]] = {}
    for key, code, n in pairs:
        if code is not None:
            grouped.setdefault(key, {})[LIGHT_KEYS[code]] = n
    return grouped


def compute_board(session: Session, today: date) -> Board:
    """The board as of ``today``; kept in this process until the next write of the application (the same
    for every viewer: the board is for those who read every item)."""
    return readcache.until_next_write(session, ("task_board", today), lambda: _compute_board(session, today))


def _compute_board(session: Session, today: date) -> Board:
    light = light_case(session, TaskItem.watch_on, today, codes=True).label("light")
    # Issued items only (an item being drafted is watched against its own deadline, but is not yet work
    # under way): the links add status=issued to the list's filters.
    lighted = and_(TaskItem.status == ItemStatus.ISSUED, TaskItem.watch_on.is_not(None))

    totals = {LIGHT_KEYS[code]: n for code, n in session.execute(select(light, func.count()).where(lighted)
                                                                 .group_by(light)) if code is not None}
    by_status = {status.value: n for status, n in
                 session.execute(select(TaskItem.status, func.count()).group_by(TaskItem.status))}

    leader_pairs = session.execute(select(TaskItem.leader_id, light, func.count()).where(lighted)
                                   .group_by(TaskItem.leader_id, light)).all()
    unit_pairs = session.execute(
        select(Task.department_id, light, func.count(distinct(TaskItem.id)))
        .join(TaskItem, TaskItem.id == Task.item_id)
        .where(lighted, Task.status != TaskStatus.CANCELLED)
        .group_by(Task.department_id, light)).all()

    leaders = _rows(leader_pairs)
    units = _rows(unit_pairs)
    names = dict(session.execute(select(User.id, User.display_name)
                                 .where(User.id.in_([k for k in leaders if k is not None] or [-1]))).all())
    departments = {d.id: d for d in session.scalars(
        select(Department).where(Department.id.in_([k for k in units if k is not None] or [-1])))}

    def urgency(row: LightRow):
        return (-row.count("red"), -row.count("yellow"), -row.total, row.label)

    by_leader = sorted((LightRow(k, names.get(k, "未指定分管领导") if k is not None else "未指定分管领导", c)
                        for k, c in leaders.items()), key=lambda r: (r.key is None, *urgency(r)))
    by_unit = sorted((LightRow(k, departments[k].name, c) for k, c in units.items()),
                     key=lambda r: (*urgency(r), departments[r.key].code))
    return Board(today=today, warning_workdays=office_settings.warning_workdays(session),
                 totals=LightRow(None, "全部", {k: totals.get(k, 0) for k in LIGHT_KEYS}),
                 by_status={s.value: by_status.get(s.value, 0) for s in ItemStatus},
                 by_leader=tuple(by_leader), by_unit=tuple(by_unit))
