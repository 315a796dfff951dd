"""Factories for the talks tests: every talk reaches its state through the real services (propose →
approve → notify → hold / reply → follow up → close), so each has the audit rows, the deadlines and
the numbers the procedure would have given it.

Loaded as a pytest plugin (``pytest_plugins`` in conftest.py): a test asks for ``make_talk`` by name
(and the office fixtures of ``matters_factories``); plain helpers (``talk_input`` …) are imported.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from supervision.models.talks import InquiryConclusion, Talk, TalkKind
from supervision.talks import services
from supervision.talks.services import HeldInput, PersonInput, TalkInput

HELD_START = datetime(2026, 5, 29, 14, 30)  # the Friday before the tests' Monday
HELD_END = datetime(2026, 5, 29, 15, 20)
INFLUENCE_MONTHS = 6


def talk_input(office, kind: TalkKind = TalkKind.ADMONITION, **fields) -> TalkInput:
    """A talk about 周建华 of the test's lead department; any TalkInput field may be overridden."""
    values = dict(kind=kind, subject_name="周建华", subject_department=office.department,
                  subject_post="行政审批科科长", subject_party_branch="行政审批科党支部",
                  reason="对窗口工作人员教育管理不力，群众多次往返未办结", studied_by="中心主任办公会",
                  scheduled_at=HELD_START, place="中心三楼谈话室",  # held as notified, not before
                  talkers=[PersonInput("张卫东", "示范市行政效能投诉中心", "督查科科长")],
                  recorder=PersonInput("孙明", "示范市行政效能投诉中心", "干部"))
    if kind == TalkKind.INQUIRY:
        values.update(scheduled_at=None, place="", talkers=[], recorder=None)
    values.update(fields)
    return TalkInput(**values)


def held_input(**fields) -> HeldInput:
    values = dict(started_at=HELD_START, ended_at=HELD_END,
                  exchanges=[("群众反映的问题你是否清楚？", "清楚，我负有管理责任。")],
                  statement="接受组织诫勉，立即整改。", commitments="一周内完成自查\n建立材料清单")
    values.update(fields)
    return HeldInput(**values)


def _approve(s, o, t):
    services.approve_talk(s, o.leader, t, "同意。")


def _notify(s, o, t):
    services.notify_talk(s, o.supervisor, t)


def _hold(s, o, t):
    services.record_talk(s, o.supervisor, t, held_input(),
                         influence_months=INFLUENCE_MONTHS if t.kind == TalkKind.ADMONITION else None)


def _reply(s, o, t):
    services.reply_inquiry(s, o.head, t, "经核查，情况说明如下：已整改。")


def _follow_up(s, o, t):
    services.follow_up_talk(s, o.supervisor, t, "已落实。", InquiryConclusion.ACCEPTED if t.is_inquiry else None)


def _close(s, o, t):
    services.close_talk(s, o.supervisor, t)


ROUTES = {
    "proposed": [],
    "declined": [lambda s, o, t: services.decline_talk(s, o.leader, t, "事实不清，暂不谈话。")],
    "approved": [_approve],
    "notified": [_approve, _notify],
    "held": [_approve, _notify, _hold],
    "replied": [_approve, _notify, _reply],
    "followed_up": None,  # by kind, below
    "closed": None,
}


def route(kind: TalkKind, status: str):
    middle = _reply if kind == TalkKind.INQUIRY else _hold
    if status == "followed_up":
        return [_approve, _notify, middle, _follow_up]
    if status == "closed":
        return [_approve, _notify, middle, _follow_up, _close]
    return ROUTES[status]


@pytest.fixture
def make_talk(session, office, make_matter):
    """``make_talk("held", kind=TalkKind.REMINDER)``: a talk driven there by the services. An inquiry
    gets a linked matter (its notice lists that matter's summary) unless ``matters`` is given."""

    def make(status: str = "proposed", *, kind: TalkKind = TalkKind.ADMONITION, **fields) -> Talk:
        if kind == TalkKind.INQUIRY and "matters" not in fields:
            fields["matters"] = [make_matter("in_progress")]
        talk = services.propose_talk(session, office.supervisor, talk_input(office, kind, **fields))
        for step in route(kind, status):
            step(session, office, talk)
        session.commit()
        assert talk.status.value == status
        return talk

    return make
