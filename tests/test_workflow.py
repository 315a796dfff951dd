"""The matter lifecycle as data (docs/domain.md §3): every legal move, every illegal one, every label."""

from __future__ import annotations

import re

import pytest

from supervision.errors import WorkflowError
from supervision.models.matters import MatterStatus as S
from supervision.permissions import ACTION_ROLES
from supervision.workflow import ACTION_LABELS, TRANSITIONS, Action, allowed_actions, next_status

# docs/domain.md §3, written out again by hand so that a slip in the table is caught rather than copied.
LIFECYCLE = [
    (S.REGISTERED, Action.ACCEPT, S.ACCEPTED),
    (S.REGISTERED, Action.REJECT, S.NOT_ACCEPTED),
    (S.REGISTERED, Action.FILE_DUPLICATE, S.FILED),
    (S.ACCEPTED, Action.FILE_DUPLICATE, S.FILED),
    (S.ACCEPTED, Action.ASSIGN, S.ASSIGNED),
    (S.RETURNED, Action.ASSIGN, S.ASSIGNED),  # back to intake, who assigns again
    (S.RETURNED, Action.FILE_DUPLICATE, S.FILED),
    (S.ASSIGNED, Action.SIGN, S.IN_PROGRESS),
    (S.ASSIGNED, Action.RETURN, S.RETURNED),
    (S.IN_PROGRESS, Action.RETURN, S.RETURNED),
    (S.IN_PROGRESS, Action.REPLY, S.REPLIED),
    (S.REWORK, Action.REPLY, S.REPLIED),
    (S.IN_PROGRESS, Action.REQUEST_EXTENSION, S.IN_PROGRESS),  # an overlay, not a state
    (S.REWORK, Action.REQUEST_EXTENSION, S.REWORK),
    (S.IN_PROGRESS, Action.DECIDE_EXTENSION, S.IN_PROGRESS),
    (S.REWORK, Action.DECIDE_EXTENSION, S.REWORK),
    (S.REPLIED, Action.APPROVE, S.APPROVED),
    (S.REPLIED, Action.SEND_BACK, S.REWORK),
    (S.APPROVED, Action.FOLLOW_UP, S.FOLLOWED_UP),
    (S.FOLLOWED_UP, Action.REOPEN, S.REWORK),  # 不满意 → 重办
    (S.APPROVED, Action.CLOSE, S.CLOSED),
    (S.FOLLOWED_UP, Action.CLOSE, S.CLOSED),
    (S.CLOSED, Action.ARCHIVE, S.ARCHIVED),
    (S.NOT_ACCEPTED, Action.ARCHIVE, S.ARCHIVED),
    (S.FILED, Action.ARCHIVE, S.ARCHIVED),
]
FORBIDDEN = [(state, action) for state in S for action in Action if (state, action) not in TRANSITIONS]


def test_the_transition_table_is_the_lifecycle_of_the_spec():
    assert TRANSITIONS == {(state, action): target for state, action, target in LIFECYCLE}


@pytest.mark.parametrize(("state", "action", "target"), LIFECYCLE,
                         ids=[f"{s.value}-{a.value}" for s, a, _ in LIFECYCLE])
def test_each_legal_move_leads_to_its_state(state, action, target):
    assert next_status(state, action) == target
    assert action in allowed_actions(state)


@pytest.mark.parametrize(("state", "action"), FORBIDDEN, ids=[f"{s.value}-{a.value}" for s, a in FORBIDDEN])
def test_each_illegal_move_is_refused_in_chinese(state, action):
    with pytest.raises(WorkflowError) as refused:
        next_status(state, action)
    message = str(refused.value)
    assert state.label in message and ACTION_LABELS[action] in message
    assert re.search(r"[\u4e00-\u9fff]", message) and not re.search(r"[A-Za-z]", message)
    assert action not in allowed_actions(state)


def test_forbidden_moves_include_the_shortcuts_a_clerk_might_try():
    shortcuts = [(S.REGISTERED, Action.ASSIGN), (S.ASSIGNED, Action.REPLY), (S.IN_PROGRESS, Action.APPROVE),
                 (S.REPLIED, Action.CLOSE), (S.APPROVED, Action.ARCHIVE), (S.ARCHIVED, Action.REOPEN),
                 (S.CLOSED, Action.REOPEN), (S.NOT_ACCEPTED, Action.ASSIGN), (S.FILED, Action.ACCEPT)]
    assert set(shortcuts) <= set(FORBIDDEN)


def test_every_action_has_a_chinese_label_and_roles_that_may_take_it():
    for action in Action:
        assert re.fullmatch(r"[\u4e00-\u9fff（）]+", ACTION_LABELS[action]), action
        assert ACTION_ROLES[action], action
    assert len(set(ACTION_LABELS.values())) == len(Action)


def test_every_state_has_a_chinese_label():
    for state in S:
        assert re.fullmatch(r"[\u4e00-\u9fff]+", state.label), state


def test_an_archived_matter_allows_nothing_and_every_other_state_has_a_way_on():
    assert allowed_actions(S.ARCHIVED) == []
    for state in S:
        if state != S.ARCHIVED:
            assert any(TRANSITIONS[(state, a)] != state for a in allowed_actions(state)), state


def test_every_state_can_be_reached_from_registration():
    reached, frontier = {S.REGISTERED}, [S.REGISTERED]
    while frontier:
        state = frontier.pop()
        for action in allowed_actions(state):
            target = TRANSITIONS[(state, action)]
            if target not in reached:
                reached.add(target)
                frontier.append(target)
    assert reached == set(S)
