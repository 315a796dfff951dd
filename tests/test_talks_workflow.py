"""The talk procedure as a pure state table, and the 诫勉 influence period arithmetic."""

from __future__ import annotations

from datetime import date

import pytest

from supervision.errors import WorkflowError
from supervision.models.talks import TalkKind, TalkStatus as S
from supervision.talks.services import add_months
from supervision.talks.workflow import TRANSITIONS, TalkAction as A, allowed_actions, is_allowed, next_status


def test_a_talk_goes_proposed_approved_notified_held_followed_up_closed():
    status = S.PROPOSED
    for action, expected in [(A.APPROVE, S.APPROVED), (A.NOTIFY, S.NOTIFIED), (A.HOLD, S.HELD),
                             (A.FOLLOW_UP, S.FOLLOWED_UP), (A.CLOSE, S.CLOSED)]:
        status = next_status(TalkKind.ADMONITION, status, action)
        assert status == expected


def test_an_inquiry_is_replied_instead_of_held():
    assert next_status(TalkKind.INQUIRY, S.NOTIFIED, A.REPLY) == S.REPLIED
    assert next_status(TalkKind.INQUIRY, S.REPLIED, A.FOLLOW_UP) == S.FOLLOWED_UP
    with pytest.raises(WorkflowError, match="函询不能进行“记录谈话”操作"):
        next_status(TalkKind.INQUIRY, S.NOTIFIED, A.HOLD)
    with pytest.raises(WorkflowError, match="提醒谈话不能进行“回复函询”操作"):
        next_status(TalkKind.REMINDER, S.NOTIFIED, A.REPLY)


@pytest.mark.parametrize("kind", list(TalkKind))
def test_every_pair_outside_the_table_is_refused_with_the_current_state(kind):
    for status in S:
        for action in A:
            if is_allowed(kind, status, action):
                assert next_status(kind, status, action) == TRANSITIONS[(status, action)]
            else:
                with pytest.raises(WorkflowError):
                    next_status(kind, status, action)


def test_a_talk_record_cannot_come_before_approval():
    with pytest.raises(WorkflowError, match="当前状态为“待审批”，不能进行“记录谈话”操作"):
        next_status(TalkKind.ADMONITION, S.PROPOSED, A.HOLD)


def test_declined_and_closed_are_the_end():
    for kind in TalkKind:
        assert allowed_actions(kind, S.DECLINED) == []
        assert allowed_actions(kind, S.CLOSED) == []
    assert allowed_actions(TalkKind.ADMONITION, S.PROPOSED) == [A.APPROVE, A.DECLINE]


@pytest.mark.parametrize(("start", "months", "end"), [
    (date(2026, 3, 15), 6, date(2026, 9, 15)),
    (date(2026, 8, 31), 6, date(2027, 2, 28)),  # no 2月31日: clamp to the month's end
    (date(2027, 8, 31), 6, date(2028, 2, 29)),  # a leap year
    (date(2026, 3, 31), 6, date(2026, 9, 30)),
    (date(2026, 12, 1), 12, date(2027, 12, 1)),
    (date(2026, 7, 31), 1, date(2026, 8, 31)),
])
def test_influence_period_adds_months_and_clamps_to_the_month_end(start, months, end):
    assert add_months(start, months) == end
