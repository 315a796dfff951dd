"""The admin's settings: the holiday calendar (one day or a CSV), time limits and categories."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from matters_factories import audit_entries, last_audit, signed_in
from supervision import clock
from supervision.calendar import LimitUnit, WorkCalendar
from supervision.models.audit import AuditEntry
from supervision.models.calendar import CalendarOverride
from supervision.models.matters import Category, MatterKind
from supervision.models.talks import TalkKind

SCHEDULE_2027 = """日期,安排,名称,依据
2027-01-04,休息,元旦调休,国务院办公厅通知
2027-01-05,休息,元旦调休,国务院办公厅通知
2027-01-06,休息,元旦调休,国务院办公厅通知
2027-01-09,上班,元旦调休上班,国务院办公厅通知
"""


def test_importing_next_years_schedule_recomputes_provisional_deadlines(app, session, make_matter, office):
    with clock.frozen(date(2026, 12, 21)):
        matter = make_matter("assigned")
    assignment = matter.lead_assignment
    estimated = WorkCalendar().add_workdays(date(2026, 12, 21), 15)
    assert (assignment.due_on, assignment.due_provisional) == (estimated, True)
    admin = signed_in(app, office.admin)
    response = admin.post("/admin/settings/calendar/import", data={"text": SCHEDULE_2027})
    assert response.status_code == 302
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(CalendarOverride)) == 4
    expected = WorkCalendar({date(2027, 1, 4): _rest(), date(2027, 1, 5): _rest(), date(2027, 1, 6): _rest(),
                             date(2027, 1, 9): _work()}).add_workdays(
        date(2026, 12, 21), 15)
    assert expected != estimated and assignment.due_on == expected and matter.due_on == expected
    assert any(e.action == "due_recomputed" and e.old_due_on == estimated for e in matter.events)
    assert session.scalar(select(AuditEntry).where(AuditEntry.action == "deadline.recomputed")) is not None
    assert "导入完成：4 天，重算 1 个时限" in admin.get("/admin/settings/calendar?year=2027").text


def _calendar_2027() -> WorkCalendar:
    """The calendar once SCHEDULE_2027 is imported."""
    return WorkCalendar({date(2027, 1, 4): _rest(), date(2027, 1, 5): _rest(), date(2027, 1, 6): _rest(),
                         date(2027, 1, 9): _work()})


def test_importing_next_years_schedule_moves_a_provisional_rectification_deadline(app, session, office,
                                                                                  make_notice):
    with clock.frozen(date(2026, 12, 15)):
        notice = make_notice(workdays=15)
        fixed = make_notice(workdays=None, due_on=date(2027, 1, 8))
        closed = make_notice("closed", workdays=15)
    estimated = notice.due_on
    assert notice.due_provisional and closed.due_provisional and not fixed.due_provisional
    admin = signed_in(app, office.admin)
    assert admin.post("/admin/settings/calendar/import", data={"text": SCHEDULE_2027}).status_code == 302
    session.expire_all()
    expected = _calendar_2027().deadline(date(2026, 12, 15), 15, LimitUnit.WORKDAY)
    assert expected.due != estimated
    assert (notice.due_on, notice.due_provisional) == (expected.due, expected.provisional)
    assert (fixed.due_on, closed.due_on) == (date(2027, 1, 8), estimated)  # a fixed date; a closed notice
    entry, changes = last_audit(session, "deadline.recomputed", notice)
    assert entry.actor_id == office.admin.id and notice.number in entry.summary
    assert changes["due_on"] == [estimated.isoformat(), expected.due.isoformat()]
    assert notice.events[-1].action == "due_recomputed" and expected.due.isoformat() in notice.events[-1].text
    assert audit_entries(session, "deadline.recomputed", closed) == []


def test_importing_next_years_schedule_moves_a_provisional_inquiry_reply_deadline(app, session, office,
                                                                                 make_talk):
    with clock.frozen(date(2026, 12, 15)):
        inquiry = make_talk("notified", kind=TalkKind.INQUIRY)
    estimated = inquiry.reply_due_on
    assert inquiry.reply_due_provisional and estimated.year == 2027
    admin = signed_in(app, office.admin)
    assert admin.post("/admin/settings/calendar/import", data={"text": SCHEDULE_2027}).status_code == 302
    session.expire_all()
    expected = _calendar_2027().deadline(date(2026, 12, 15), 15, LimitUnit.WORKDAY)
    assert (inquiry.reply_due_on, inquiry.reply_due_provisional) == (expected.due, expected.provisional)
    entry, changes = last_audit(session, "deadline.recomputed", inquiry)
    assert inquiry.serial in entry.summary and changes["reply_due_on"] == [estimated.isoformat(),
                                                                           expected.due.isoformat()]


def _rest():
    from supervision.calendar import Override

    return Override(False, "元旦调休")


def _work():
    from supervision.calendar import Override

    return Override(True, "元旦调休上班")


def test_a_broken_schedule_is_rejected_whole_with_every_error(app, session, office):
    admin = signed_in(app, office.admin)
    admin.post("/admin/settings/calendar/import", data={"text": "2027-01-04,休息,元旦\n2027-13-01,休息\nfoo\n2027-01-05,放个假\n"})
    page = admin.get("/admin/settings/calendar?year=2027").text
    assert "未导入任何数据" in page and "第 2 行" in page and "第 3 行" in page and "第 4 行" in page
    assert session.scalar(select(func.count()).select_from(CalendarOverride)) == 0


def test_one_day_override_makes_a_saturday_a_working_day(app, session, office):
    admin = signed_in(app, office.admin)
    response = admin.post("/admin/settings/calendar", data={"day": "2027-02-20", "is_workday": "1",
                                                            "name": "春节调休上班", "source_notice": "国办通知"})
    assert response.status_code == 302
    page = admin.get("/admin/settings/calendar?year=2027").text
    assert "2027-02-20" in page and "管理员设定" in page
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "calendar.override_saved"))
    assert entry is not None and "2027-02-20" in entry.summary


def test_a_longer_time_limit_applies_to_the_next_assignment(app, session, make_matter, office):
    admin = signed_in(app, office.admin)
    response = admin.post("/admin/settings/time-limits", data={"step": "handle", "matter_kind": "complaint",
                                                               "category_id": "", "amount": "30", "unit": "workday",
                                                               "source": "本市效能投诉办理办法"})
    assert response.status_code == 302
    matter = make_matter("assigned")
    assert matter.lead_assignment.due_on == WorkCalendar().add_workdays(clock.today(), 30)
    assert admin.post("/admin/settings/time-limits", data={"step": "handle", "matter_kind": "", "category_id": "",
                                                           "amount": "0", "unit": "workday"}).status_code == 200


def test_categories_are_added_and_deactivated_never_deleted(app, session, office):
    admin = signed_in(app, office.admin)
    admin.post("/admin/settings/categories", data={"matter_kind": "complaint", "name": "冷硬横推", "active": "y"})
    category = session.scalar(select(Category).where(Category.name == "冷硬横推"))
    assert category is not None and category.matter_kind == MatterKind.COMPLAINT
    duplicate = admin.post("/admin/settings/categories", data={"matter_kind": "complaint", "name": "冷硬横推"})
    assert "已有类别" in duplicate.text
    admin.post(f"/admin/settings/categories/{category.id}", data={"matter_kind": "complaint", "name": "冷硬横推"})
    session.expire_all()
    assert session.get(Category, category.id).active is False


def test_settings_are_the_administrators_alone(app, office):
    for user in (office.intake, office.supervisor, office.leader, office.head):
        client = signed_in(app, user)
        for url in ("/admin/settings/calendar", "/admin/settings/time-limits", "/admin/settings/categories"):
            assert client.get(url).status_code == 403, (user.role, url)
