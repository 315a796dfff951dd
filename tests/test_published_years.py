"""推定 clears (issue 15, item 7): after a year's complete schedule is entered and the year marked published
— on the calendar page, by the CSV import or `flask calendar import --published` — its deadlines are known:
open ones are recomputed, their 推定 flags cleared (audited), the department is told and the 交办单 with the
old date gets a new revision. And `flask calendar deadline`."""

from __future__ import annotations

import io
from datetime import date

import docx
from sqlalchemy import select

from matters_factories import last_audit, signed_in
from supervision import filestore
from supervision.extensions import db
from supervision import clock
from supervision.models.calendar import PublishedYear
from supervision.models.documents import GeneratedDocument
from supervision.models.escalation import Notification
from supervision.settings import services

SCHEDULE_2027 = """日期,安排,名称,依据
2027-01-01,休息,元旦,国务院办公厅关于2027年部分节假日安排的通知
2027-02-06,休息,春节,国务院办公厅关于2027年部分节假日安排的通知
2027-02-07,休息,春节,国务院办公厅关于2027年部分节假日安排的通知
2027-02-08,休息,春节,国务院办公厅关于2027年部分节假日安排的通知
2027-02-09,休息,春节,国务院办公厅关于2027年部分节假日安排的通知
2027-02-10,休息,春节,国务院办公厅关于2027年部分节假日安排的通知
2027-02-11,休息,春节,国务院办公厅关于2027年部分节假日安排的通知
2027-02-12,休息,春节,国务院办公厅关于2027年部分节假日安排的通知
2027-02-20,上班,春节调休上班,国务院办公厅关于2027年部分节假日安排的通知
"""


def slip_text(app, document: GeneratedDocument) -> str:
    data = filestore.read_checked(db.session, document.sha256)
    doc = docx.Document(io.BytesIO(data))
    return "\n".join(cell.text for table in doc.tables for row in table.rows for cell in row.cells)


def test_a_complete_schedule_alone_leaves_deadlines_provisional_publishing_clears_them(
        app, session, make_matter, office, paperwork):
    with clock.frozen(date(2026, 12, 24)):
        matter = make_matter("assigned")
    assignment = matter.lead_assignment
    assert assignment.due_provisional and assignment.object_due_provisional is False  # 12/24 + 5 stays in 2026
    intake = signed_in(app, office.intake)
    intake.post(f"/matters/{matter.id}/assignments/{assignment.id}/slip")
    (slip,) = session.scalars(select(GeneratedDocument)).all()
    assert "（推定）" in slip_text(app, slip)

    services.import_overrides(session, office.admin, SCHEDULE_2027)  # the old way: 推定 never cleared
    session.commit()
    assert assignment.due_provisional

    changed = services.mark_year_published(session, office.admin, 2027, "国务院办公厅关于2027年部分节假日安排的通知",
                                           paperwork=paperwork)
    session.commit()
    assert changed >= 1 and not assignment.due_provisional and not matter.due_provisional
    _, changes = last_audit(session, "deadline.recomputed", assignment)
    assert changes["provisional"] == [True, False]
    _, published = last_audit(session, "calendar.published")
    assert published["year"] == 2027
    told = session.scalars(select(Notification).where(Notification.user_id == office.head.id,
                                                      Notification.title.like("办理时限调整%"))).all()
    assert len(told) == 1 and assignment.due_on.isoformat() in told[0].body
    revised = session.scalars(select(GeneratedDocument).order_by(GeneratedDocument.revision)).all()
    assert [(d.revision, d.number) for d in revised] == [(1, slip.number), (2, slip.number)]
    assert "（推定）" not in slip_text(app, revised[-1])
    assert f"{assignment.due_on.year}年{assignment.due_on.month}月{assignment.due_on.day}日" in slip_text(
        app, revised[-1])


def test_the_objection_period_is_flagged_and_recomputed_like_the_others(session, make_matter, office):
    with clock.frozen(date(2026, 12, 28)):
        matter = make_matter("assigned")
    assignment = matter.lead_assignment
    assert assignment.object_due_provisional  # five working days from 12/28 reach into 2027
    services.import_overrides(session, office.admin, SCHEDULE_2027, published_year=2027)
    assert not assignment.object_due_provisional
    _, changes = last_audit(session, "deadline.recomputed", assignment)
    assert "object_due_on" in changes or "due_on" in changes


def test_the_calendar_page_marks_and_lists_published_years(app, session, office):
    admin = signed_in(app, office.admin)
    response = admin.post("/admin/settings/calendar/publish", data={"year": "2027", "source_notice": "国办发明电"})
    assert response.status_code == 302
    assert session.get(PublishedYear, 2027) is not None
    page = admin.get("/admin/settings/calendar?year=2027").text
    assert "<strong>2027</strong>" in page and "国办发明电" in page
    again = admin.post("/admin/settings/calendar/publish", data={"year": "2027"}, follow_redirects=True)
    assert "已标记为已公布" in again.text
    response = admin.post("/admin/settings/calendar/import", data={"text": SCHEDULE_2027, "published_year": "2028"},
                          follow_redirects=True)
    assert "不属于 2028 年的日期" in response.text and session.get(PublishedYear, 2028) is None


def test_calendar_commands_import_and_print_iso_deadlines(app, session, tmp_path):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["calendar", "deadline", "2026-12-24", "15"])
    assert result.exit_code == 0 and result.output.strip() == "2027-01-15 推定"
    assert runner.invoke(args=["calendar", "deadline", "2026-06-01", "10", "--calendar-days"]).output.strip() \
        == "2026-06-11"
    csv = tmp_path / "2027.csv"
    csv.write_text(SCHEDULE_2027, encoding="utf-8")
    result = runner.invoke(args=["calendar", "import", str(csv), "--published", "2027"])
    assert result.exit_code == 0, result.output
    assert "2027 年已标记为已公布" in result.output
    assert runner.invoke(args=["calendar", "deadline", "2026-12-24", "15"]).output.strip() == "2027-01-15"
    bad = tmp_path / "bad.csv"
    bad.write_text("日期,安排\n2027-13-01,休息\n", encoding="utf-8")
    result = runner.invoke(args=["calendar", "import", str(bad)])
    assert result.exit_code != 0 and "格式不正确" in result.output
