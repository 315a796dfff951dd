"""督查事项 rows in a given state, for the tests of what reads them (the board, the 通报, the ledger,
search): an issued item with tasks whose watched dates put them exactly where a test wants them. The
services that reach these states are tested by the area's own tests (tasks-core); here the state is set.
"""

from __future__ import annotations

from datetime import date, datetime

from supervision.models.tasks import ItemStatus, Task, TaskItem, TaskRole, TaskSourceKind, TaskStatus

_seq = iter(range(1, 1_000_000))


def make_item(session, registered_by, *, title="推进政务服务“一网通办”", leader=None, status=ItemStatus.ISSUED,
              watch_on: date | None = None, due_on=date(2026, 12, 31), issued_on=date(2026, 3, 2),
              registered_at=datetime(2026, 3, 1, 9), closed_at=None, source_kind=TaskSourceKind.KEY_WORK,
              content="按年度工作要点推进。", **extra) -> TaskItem:
    seq = next(_seq)
    item = TaskItem(year=2026, seq=seq, serial=f"DC-2026-{seq:05d}", source_kind=source_kind, title=title,
                    content=content, due_on=due_on, status=status, registered_by_id=registered_by.id,
                    leader_id=leader.id if leader else None, issued_on=issued_on, watch_on=watch_on,
                    registered_at=registered_at, closed_at=closed_at, **extra)
    session.add(item)
    session.flush()
    return item


def make_task(session, item: TaskItem, department, *, role=TaskRole.LEAD, status=TaskStatus.RECEIVED,
              due_on=date(2026, 12, 31), watch_on: date | None = None, progress=0, **extra) -> Task:
    task = Task(item_id=item.id, department_id=department.id, role=role, status=status, due_on=due_on,
                created_by_id=item.registered_by_id, watch_on=watch_on, progress=progress, **extra)
    session.add(task)
    session.flush()
    return task


def needs_pages(app) -> None:
    """Skip a page test until both the area's pages (tasks-core: ``tasks.index`` …) and the office's pages
    (``task_office``) are registered: the office's pages link to the area's list and items."""
    import pytest

    if not {"tasks.index", "task_office.board"} <= set(app.view_functions):
        pytest.skip("督查事项 pages not registered yet")
