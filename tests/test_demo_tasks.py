"""The demo office's 督查事项 (supervision/demo/tasks.py): a year in every state, and a board that shows
every light — red, yellow (by the office's rule, and by an item's own) and green."""

from __future__ import annotations

from supervision import clock, demo
from supervision.models.tasks import TaskItem
from supervision.tasks import queries
from supervision.tasks.board import compute_board
from sqlalchemy import select


def test_the_demo_board_shows_every_light(app, session):
    demo.load(session, app.config)
    session.commit()
    board = compute_board(session, clock.today())
    assert all(board.totals.count(light) > 0 for light in ("red", "yellow", "green")), board.totals.counts
    own_rule = session.scalar(select(TaskItem).where(TaskItem.warning_workdays.is_not(None)))
    _, item_light = queries.lights(session)
    assert own_rule is not None and item_light(own_rule).light.value == "yellow"
