"""The clue state table, pure: no application, no database."""

from __future__ import annotations

import pytest

from supervision.clues.workflow import ClueAction, allowed_actions, is_allowed, next_status
from supervision.errors import WorkflowError
from supervision.models.clues import ClueStatus as S
from supervision.models.clues import DisposalWay


@pytest.mark.parametrize("way, status", [(DisposalWay.INQUIRY, S.INQUIRY), (DisposalWay.VERIFY, S.VERIFYING),
                                         (DisposalWay.SHELVE, S.SHELVED), (DisposalWay.CLOSE, S.CONCLUDED)])
def test_an_approval_goes_where_the_way_proposed_leads(way, status):
    assert next_status(S.PROPOSED, ClueAction.APPROVE, way) == status


def test_an_approval_without_a_proposal_is_refused():
    with pytest.raises(WorkflowError, match="没有待审批的处置意见"):
        next_status(S.PROPOSED, ClueAction.APPROVE)


def test_a_concluded_or_handed_over_clue_takes_no_action():
    assert allowed_actions(S.CONCLUDED) == [] and allowed_actions(S.HANDED_OVER) == []
    with pytest.raises(WorkflowError, match="当前为“已了结”"):
        next_status(S.CONCLUDED, ClueAction.PROPOSE)


def test_the_procedure_in_order():
    assert next_status(S.REGISTERED, ClueAction.PROPOSE) == S.PROPOSED
    assert next_status(S.PROPOSED, ClueAction.DECLINE) == S.REGISTERED
    assert next_status(S.SHELVED, ClueAction.REVIEW) == S.REGISTERED
    assert next_status(S.INQUIRY, ClueAction.PROPOSE) == S.PROPOSED  # 转初步核实
    assert next_status(S.VERIFYING, ClueAction.HAND_OVER) == S.HANDED_OVER
    assert not is_allowed(S.INQUIRY, ClueAction.HAND_OVER)
    assert not is_allowed(S.REGISTERED, ClueAction.CONCLUDE)
