"""Published figures (公开数据): computed from the matters per lead department and period, published by a
supervisor or leader as a snapshot; publishing a period again replaces what the public sees and
keeps the history."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from matters_factories import TODAY, matter_input, signed_in
from supervision import clock
from supervision.errors import PermissionDenied, ValidationError
from supervision.matters import services as matters
from supervision.models.audit import AuditEntry
from supervision.models.matters import Channel, MatterKind, Satisfaction
from supervision.models.org import Role
from supervision.models.portal import FigureRow, FigureSnapshot, PeriodKind
from supervision.portal import services
from supervision.statistics import periods
from supervision.statistics.figures import StatisticsFilters, clear_cache, compute_statistics

JUNE = services.period_of(PeriodKind.MONTH, 2026, 6)
AFTER_JUNE = date(2026, 7, 6)


def handled(session, office, *, reply_on: date, satisfaction: Satisfaction | None = None, department=None,
            kind: MatterKind = MatterKind.COMPLAINT):
    """A matter received and assigned on TODAY (2026-06-01) and approved on ``reply_on``."""
    channel = Channel.MAILBOX if kind == MatterKind.SUGGESTION else Channel.PHONE
    matter = matters.register_matter(session, office.intake, matter_input(kind=kind, channel=channel))
    matters.accept_matter(session, office.intake, matter)
    matters.assign_matter(session, office.intake, matter, lead=department or office.department)
    if department is None or department.id == office.department.id:
        head = office.head
    else:
        head = office.co_head
    matters.sign_assignment(session, head, matter.lead_assignment)
    session.commit()
    with clock.frozen(reply_on):
        matters.submit_reply(session, head, matter.lead_assignment, "结果", "答复")
        matters.review_reply(session, office.supervisor, matter, True)
        if satisfaction is not None:
            matters.record_follow_up(session, office.intake, matter, satisfaction)
    session.commit()
    return matter


def test_figures_count_received_on_time_and_satisfaction_per_lead_department(app, session, office):
    on_time = handled(session, office, reply_on=TODAY + timedelta(days=3), satisfaction=Satisfaction.SATISFIED)
    late = handled(session, office, reply_on=TODAY + timedelta(days=40), satisfaction=Satisfaction.DISSATISFIED)
    handled(session, office, reply_on=TODAY + timedelta(days=2), satisfaction=Satisfaction.FAIRLY_SATISFIED,
            kind=MatterKind.SUGGESTION)
    handled(session, office, reply_on=TODAY + timedelta(days=1), department=office.co_department)
    open_matter = matters.register_matter(session, office.intake, matter_input())
    matters.accept_matter(session, office.intake, open_matter)
    matters.assign_matter(session, office.intake, open_matter, lead=office.department)
    matters.register_matter(session, office.intake, matter_input())  # not assigned: no department yet
    session.commit()
    assert late.lead_assignment.due_on < TODAY + timedelta(days=40)
    assert on_time.lead_assignment.due_on >= TODAY + timedelta(days=3)

    with clock.frozen(AFTER_JUNE):
        rows = {row.department_name: row for row in services.compute_figures(session, JUNE)}

    lead = rows[office.department.name]
    assert (lead.received, lead.closed_on_time, lead.rated, lead.satisfied) == (4, 2, 3, 2)
    assert lead.satisfaction_rate == pytest.approx(2 / 3)
    co = rows[office.co_department.name]
    assert (co.received, co.closed_on_time, co.rated, co.satisfied) == (1, 1, 0, 0) and co.satisfaction_rate is None
    assert office.other_department.name not in rows


def test_an_approved_extension_moves_the_on_time_line(app, session, office):
    matter = matters.register_matter(session, office.intake, matter_input())
    matters.accept_matter(session, office.intake, matter)
    matters.assign_matter(session, office.intake, matter, lead=office.department)
    matters.sign_assignment(session, office.head, matter.lead_assignment)
    first_due = matter.lead_assignment.due_on
    extension = matters.request_extension(session, office.head, matter.lead_assignment,
                                          first_due + timedelta(days=10), "需调查")
    matters.decide_extension(session, office.supervisor, extension, True)
    session.commit()
    with clock.frozen(first_due + timedelta(days=5)):
        matters.submit_reply(session, office.head, matter.lead_assignment, "结果", "答复")
        matters.review_reply(session, office.supervisor, matter, True)
    session.commit()

    with clock.frozen(AFTER_JUNE + timedelta(days=30)):
        [row] = services.compute_figures(session, JUNE)
    assert row.closed_on_time == 1


def test_a_reply_on_the_deadline_approved_a_day_later_is_on_time_in_both(app, session, office):
    """One definition of 按时办结 (the statistics figure): the lead department's report on or before its
    deadline counts, even when the office approves it later; the public figures agree with the page."""
    matter = matters.register_matter(session, office.intake, matter_input())
    matters.accept_matter(session, office.intake, matter)
    matters.assign_matter(session, office.intake, matter, lead=office.department)
    matters.sign_assignment(session, office.head, matter.lead_assignment)
    session.commit()
    due = matter.lead_assignment.due_on
    with clock.frozen(due):
        matters.submit_reply(session, office.head, matter.lead_assignment, "结果", "答复")
    with clock.frozen(due + timedelta(days=1)):
        matters.review_reply(session, office.supervisor, matter, True)
    session.commit()

    with clock.frozen(AFTER_JUNE + timedelta(days=30)):
        [row] = services.compute_figures(session, JUNE)
        clear_cache()
        statistics = compute_statistics(session, periods.month(2026, 6), StatisticsFilters(), clock.today())
    assert (row.received, row.closed_on_time) == (1, 1)
    assert statistics.department(office.department.id).matters.closed_on_time == 1


def test_periods_are_months_quarters_and_years():
    assert services.period_of(PeriodKind.MONTH, 2026, 2) == services.Period(
        PeriodKind.MONTH, date(2026, 2, 1), date(2026, 2, 28), "2026年2月")
    assert services.period_of(PeriodKind.QUARTER, 2026, 4).end == date(2026, 12, 31)
    assert services.period_of(PeriodKind.QUARTER, 2026, 2).label == "2026年第二季度"
    assert services.period_of(PeriodKind.YEAR, 2026).label == "2026年度"
    with pytest.raises(ValidationError):
        services.period_of(PeriodKind.MONTH, 2026, 13)


def test_publishing_again_replaces_what_the_public_sees_and_keeps_the_history(app, client, session, office):
    handled(session, office, reply_on=TODAY + timedelta(days=3), satisfaction=Satisfaction.SATISFIED)
    with clock.frozen(AFTER_JUNE):
        first = services.publish_figures(session, office.supervisor, JUNE)
        session.commit()
        page = client.get("/public/figures").text
        assert "2026年6月" in page and "100.0%" in page

    # Received and assigned in June, approved long after its deadline and rated 不满意.
    handled(session, office, reply_on=AFTER_JUNE + timedelta(days=5), satisfaction=Satisfaction.DISSATISFIED)
    with clock.frozen(AFTER_JUNE + timedelta(days=10)):
        second = services.publish_figures(session, office.leader, JUNE)
        session.commit()

    assert first.superseded_at is not None and second.superseded_at is None
    assert session.scalar(select(func.count()).select_from(FigureSnapshot)) == 2
    assert [r.received for r in second.rows] == [2] and [r.received for r in first.rows] == [1]
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "figures.published")
                            .order_by(AuditEntry.seq)).all()[-1]
    assert entry.actor_id == office.leader.id and json.loads(entry.changes)["replaces"] == first.id
    page = client.get("/public/figures").text
    assert "50.0%" in page and "100.0%" not in page
    assert page.count("<h2>2026年6月各单位办理情况</h2>") == 1
    # The superseded snapshot cannot be asked for either.
    assert "100.0%" not in client.get(f"/public/figures?period={first.id}").text


def test_an_unfinished_period_is_not_published(app, session, office):
    with pytest.raises(ValidationError, match="尚未结束"):
        services.publish_figures(session, office.supervisor, JUNE)
    assert session.scalar(select(func.count()).select_from(FigureSnapshot)) == 0


def test_only_supervisors_and_leaders_publish(app, session, office):
    with clock.frozen(AFTER_JUNE), pytest.raises(PermissionDenied):
        services.publish_figures(session, office.intake, JUNE)


@pytest.mark.parametrize("role, status", [(Role.SUPERVISOR, 200), (Role.LEADER, 200), (Role.INTAKE, 403),
                                          (Role.DEPT_HEAD, 403), (Role.ADMIN, 403)])
def test_the_staff_page_is_for_supervisors_and_leaders(app, office, role, status):
    user = {Role.SUPERVISOR: office.supervisor, Role.LEADER: office.leader, Role.INTAKE: office.intake,
            Role.DEPT_HEAD: office.head, Role.ADMIN: office.admin}[role]
    client = signed_in(app, user)

    assert client.get("/publication/").status_code == status
    assert ("公开数据发布" in client.get("/").text) == (status == 200)  # the menu entry


def test_the_staff_page_previews_then_publishes(app, session, office):
    handled(session, office, reply_on=TODAY + timedelta(days=3), satisfaction=Satisfaction.SATISFIED)
    supervisor = signed_in(app, office.supervisor)
    period = {"period_kind": "month", "year": "2026", "month": "6", "quarter": "1"}
    with clock.frozen(AFTER_JUNE):
        preview = supervisor.get("/publication/", query_string=period).text
        assert "2026年6月（预览，尚未发布）" in preview and office.department.name in preview
        assert session.scalar(select(func.count()).select_from(FigureSnapshot)) == 0

        response = supervisor.post("/publication/publish", data=period)
        assert response.status_code == 302
        assert "已发布2026年6月公开数据" in supervisor.get(response.location).text
        again = supervisor.get("/publication/", query_string=period).text
        assert "重新发布（替换）" in again

    assert session.scalar(select(func.count()).select_from(FigureRow)) == 1


def test_the_staff_page_refuses_an_unfinished_period_with_a_message(app, session, office):
    supervisor = signed_in(app, office.supervisor)
    response = supervisor.post("/publication/publish",
                               data={"period_kind": "month", "year": "2026", "month": "6", "quarter": "1"})

    page = supervisor.get(response.location).text
    assert "以免公布不完整的数据" in page  # the service's refusal, flashed
    assert "期满后才能发布" in page and "重新发布" not in page and ">发布</button>" not in page
    assert session.scalar(select(func.count()).select_from(FigureSnapshot)) == 0


def test_the_public_page_without_figures_says_so(app, client):
    page = client.get("/public/figures")
    assert page.status_code == 200 and "暂无公开数据" in page.text


def test_one_current_snapshot_per_period_is_held_by_the_database(app, session, office):
    from sqlalchemy.exc import IntegrityError

    for _ in range(2):
        session.add(FigureSnapshot(period_kind=PeriodKind.MONTH, period_start=JUNE.start, period_end=JUNE.end,
                                   label=JUNE.label, published_at=datetime(2026, 7, 6, 9)))
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()
