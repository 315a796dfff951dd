"""Issue 15: the sweep announces a 复查 / 复核 not answered by its due date — once, to the office staff who
record the answering body's opinion and to intake (an inbox message, audited) — and the to-do list marks it
(docs/domain.md §11)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from matters_factories import last_audit, signed_in
from supervision import clock
from supervision.complainants import services as complainants
from supervision.escalation.services import SweepPolicy, sweep
from supervision.models.complainants import ReviewOutcome, ReviewStage
from supervision.models.escalation import Notification
from test_complainant_notices import answered, letters  # noqa: F401  (the fixture)


def test_an_unanswered_review_past_its_date_is_announced_once_and_marked_on_the_to_do_list(
        app, session, office, letters):  # noqa: F811
    matter = answered(session, office, letters)
    request = complainants.request_review(session, None, matter, ReviewStage.REVIEW, "处理不到位", letters=letters)
    session.commit()
    late = request.answer_due_on + timedelta(days=1)
    with clock.frozen(request.answer_due_on):
        assert sweep(session, SweepPolicy(), request.answer_due_on, letters=letters).overdue_reviews == 0
    with clock.frozen(late):
        report = sweep(session, SweepPolicy(), late, letters=letters)
        assert report.overdue_reviews == 1 and "复查复核逾期未答复 1 件" in str(report)
        assert sweep(session, SweepPolicy(), late, letters=letters).overdue_reviews == 0
        session.commit()
        page = signed_in(app, office.supervisor).get("/").text
    assert f"{matter.serial} 复查请求（逾期未答复）" in page
    for person in (office.supervisor, office.leader, office.intake):
        told = session.scalars(select(Notification).where(Notification.user_id == person.id,
                                                          Notification.title.like(f"{matter.serial} 复查逾期未答复%"))).all()
        assert len(told) == 1, person.username
    entry, changes = last_audit(session, "review.overdue", request)
    assert changes["body"] == "示范市行政效能投诉中心" and "逾期未答复" in entry.summary

    # The announcement asks for the answer: it names the matter and is settled once the answer is recorded.
    told = session.scalars(select(Notification).where(Notification.title.like(f"{matter.serial} 复查逾期未答复%"))).all()
    assert all(n.asks_action and n.settled_at is None and n.kind == "complaint_review" for n in told)
    assert all(n.items and n.items[0].matter_id == matter.id for n in told)
    with clock.frozen(late):
        complainants.decide_review(session, office.supervisor, request, ReviewOutcome.UPHELD, "维持原处理意见。",
                                   letters=letters)
        session.commit()
    session.expire_all()
    assert all(n.settled_at is not None for n in told)
