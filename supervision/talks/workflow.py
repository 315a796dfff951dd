"""The talk and inquiry procedure: the ``TALK`` machine of the core ``supervision.workflow``, under the
names this area has always used."""

from __future__ import annotations

from supervision.models.talks import TalkKind
from supervision.models.talks import TalkStatus as S
from supervision.workflow import INQUIRY_ONLY, TALK, TALK_ONLY, TalkAction
from supervision.workflow import TALK_ACTION_LABELS as ACTION_LABELS
from supervision.workflow import TALK_TERMINAL as TERMINAL
from supervision.workflow import TALK_TRANSITIONS as TRANSITIONS

__all__ = ["ACTION_LABELS", "INQUIRY_ONLY", "TALK_ONLY", "TERMINAL", "TRANSITIONS", "TalkAction", "allowed_actions",
           "is_allowed", "kind_allows", "next_status"]


def kind_allows(kind: TalkKind, action: TalkAction) -> bool:
    return action not in TALK.excluded(kind)


def next_status(kind: TalkKind, current: S, action: TalkAction) -> S:
    return TALK.next(current, action, kind)


def is_allowed(kind: TalkKind, current: S, action: TalkAction) -> bool:
    return TALK.allows(current, action, kind)


def allowed_actions(kind: TalkKind, current: S) -> list[TalkAction]:
    return TALK.actions(current, kind)
