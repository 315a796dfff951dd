"""The rectification notice and its items: the ``NOTICE`` and ``ITEM`` machines of the core
``supervision.workflow``, under the names this area has always used."""

from __future__ import annotations

from supervision.workflow import (ITEM_TRANSITIONS, ITEM_WORK_STATUS, NOTICE_TRANSITIONS, NoticeAction, item_actions,
                                  next_item_status, next_notice_status)
from supervision.workflow import NOTICE_ACTION_LABELS as ACTION_LABELS

__all__ = ["ACTION_LABELS", "ITEM_TRANSITIONS", "ITEM_WORK_STATUS", "NOTICE_TRANSITIONS", "NoticeAction",
           "item_actions", "next_item_status", "next_notice_status"]
