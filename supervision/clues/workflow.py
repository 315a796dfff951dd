"""The clue procedure: the clue and clue-inquiry machines of the core ``supervision.workflow``, under the
short names this area uses."""

from __future__ import annotations

from supervision.workflow import CLUE_ACTION_LABELS as ACTION_LABELS
from supervision.workflow import CLUE_APPROVED_STATUS as APPROVED_STATUS
from supervision.workflow import CLUE_INQUIRY_ACTION_LABELS as INQUIRY_ACTION_LABELS
from supervision.workflow import CLUE_INQUIRY_TRANSITIONS as INQUIRY_TRANSITIONS
from supervision.workflow import CLUE_TERMINAL as TERMINAL
from supervision.workflow import CLUE_TRANSITIONS as TRANSITIONS
from supervision.workflow import ClueAction
from supervision.workflow import ClueInquiryAction as InquiryAction
from supervision.workflow import clue_actions as allowed_actions
from supervision.workflow import clue_allows as is_allowed
from supervision.workflow import clue_inquiry_allows as inquiry_allows
from supervision.workflow import next_clue_inquiry_status as next_inquiry_status
from supervision.workflow import next_clue_status as next_status

__all__ = ["ACTION_LABELS", "APPROVED_STATUS", "INQUIRY_ACTION_LABELS", "INQUIRY_TRANSITIONS", "TERMINAL",
           "TRANSITIONS", "ClueAction", "InquiryAction", "allowed_actions", "inquiry_allows", "is_allowed",
           "next_inquiry_status", "next_status"]
