"""Bad input gets a clear Chinese message and changes nothing, never a 500 (issue 14 item 9, issue 17 item 8):
junk in every filter of every list, export and statistics page; NUL bytes in text fields and query strings;
dates outside the working-day calendar's years; ids too large for the database in paths and filters; a
broken holiday CSV."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from matters_factories import TODAY, make_matter, office, signed_in, today  # noqa: F401  (fixtures)
from supervision.models.audit import AuditEntry
from supervision.models.calendar import CalendarOverride
from supervision.models.matters import Matter
from supervision.models.talks import Talk
from test_matters_views import complaint_form

HUGE = "99999999999999999999"
JUNK = ["zzz", HUGE, "²"]  # "²".isdigit() is true, int("²") fails

# Every list, export and statistics page, and the filters each reads from its query string.
MATTER_FILTERS = ["kind", "status", "channel", "department", "category", "sort", "date_from", "date_to", "page"]
STATISTICS_FILTERS = ["kind", "channel", "department", "category", "period", "year", "month", "quarter", "start",
                      "end"]
FILTERED = {
    "/matters/": MATTER_FILTERS,
    "/ledgers/matters.xlsx": MATTER_FILTERS,
    "/ledgers/assignments.xlsx": MATTER_FILTERS,
    "/rectification/": ["status", "department", "overdue", "page"],
    "/ledgers/rectification.xlsx": ["status", "department", "overdue"],
    "/talks/": ["kind", "status", "q"],
    "/ledgers/talks.xlsx": ["kind", "status", "q"],
    "/clues/": ["status", "source", "way", "q"],
    "/ledgers/clues.xlsx": ["status", "source", "way", "q"],
    "/tasks/": ["status", "light", "source", "leader", "department", "q", "mine", "page"],
    "/statistics/": STATISTICS_FILTERS,
    "/statistics/matters?figure=received": [*STATISTICS_FILTERS, "in_department", "in_month", "in_category",
                                            "in_channel", "page"],
    "/statistics/assessment": STATISTICS_FILTERS,
    "/statistics/assessment.xlsx": STATISTICS_FILTERS,
    "/audit/": ["actor", "action", "target_type", "target_id", "from", "to", "page"],
    "/documents/": ["type", "number", "page"],
    "/search/": ["q", "scope", "department", "date_from", "date_to", "page"],
    "/inbox/": ["page"],
    "/admin/users": ["role"],
    "/admin/settings/calendar": ["year"],
    "/publication/": ["year", "period_kind", "month", "quarter"],
    "/rectification/new": ["matter"],
    "/talks/people": ["q"],
    "/talks/person": ["name", "unit"],
}
ENUM_FILTERS = {"kind", "status", "channel", "sort", "type", "role", "period_kind", "scope"}


def _url(page: str, name: str, value: str) -> tuple[str, dict]:
    path, _, fixed = page.partition("?")
    query = dict(part.split("=") for part in fixed.split("&")) if fixed else {}
    return path, {**query, name: value}


@pytest.mark.parametrize("role", ["supervisor", "head"])
def test_junk_in_any_filter_of_any_list_export_or_statistics_page_is_never_a_500(app, office, make_matter, role):
    make_matter("in_progress")
    client = signed_in(app, getattr(office, role))
    for page, names in FILTERED.items():
        path, base = _url(page, "", "")
        if client.get(path, query_string={k: v for k, v in base.items() if k}).status_code in (403, 404):
            continue  # not this role's page
        for name in names:
            for junk in [*JUNK, "1900-01-01"]:
                path, query = _url(page, name, junk)
                response = client.get(path, query_string=query)
                assert response.status_code in (200, 400), (page, name, junk, response.status_code)


@pytest.mark.parametrize("page, name", [
    ("/matters/", "status"), ("/matters/", "kind"), ("/matters/", "channel"), ("/matters/", "department"),
    ("/rectification/", "status"), ("/talks/", "kind"), ("/talks/", "status"), ("/clues/", "way"),
    ("/tasks/", "light"), ("/tasks/", "leader"), ("/statistics/", "kind"), ("/statistics/", "channel"), ("/statistics/assessment", "category"),
])
def test_an_invalid_filter_on_a_list_is_ignored_with_a_message(app, office, make_matter, page, name):
    make_matter("in_progress")
    client = signed_in(app, office.supervisor)
    response = client.get(page, query_string={name: "zzz"})
    assert response.status_code == 400
    assert "以下筛选条件无效，已忽略" in response.text


@pytest.mark.parametrize("page, name", [
    ("/ledgers/matters.xlsx", "status"), ("/ledgers/matters.xlsx", "channel"), ("/ledgers/assignments.xlsx", "kind"),
    ("/ledgers/rectification.xlsx", "status"), ("/ledgers/talks.xlsx", "kind"), ("/ledgers/clues.xlsx", "source"),
    ("/statistics/assessment.xlsx", "kind"), ("/ledgers/matters.xlsx", "department"),
])
def test_an_export_with_an_invalid_filter_is_refused_and_not_audited(app, session, office, make_matter, page, name):
    make_matter("in_progress")
    client = signed_in(app, office.supervisor)
    before = session.scalar(select(func.count()).select_from(AuditEntry))
    response = client.get(page, query_string={name: "zzz" if name != "department" else HUGE})
    assert response.status_code == 400 and "筛选条件无效" in response.text and "未导出" in response.text
    assert session.scalar(select(func.count()).select_from(AuditEntry)) == before


# --- NUL bytes and other control characters ------------------------------------------------------------
NUL_MESSAGE = "不可见的控制字符"


@pytest.mark.parametrize("field", ["title", "content", "summary", "name", "phone"])
def test_a_nul_byte_in_a_matter_field_is_refused_and_nothing_is_saved(app, session, office, field):
    intake = signed_in(app, office.intake)
    response = intake.post("/matters/new/complaint", data=complaint_form(**{field: "窗口\x00办事"}))
    assert response.status_code == 400 and NUL_MESSAGE in response.text
    assert session.scalar(select(func.count()).select_from(Matter)) == 0


def test_a_nul_byte_in_a_person_field_of_a_talk_is_refused(app, session, office):
    client = signed_in(app, office.supervisor)
    response = client.post("/talks/new/reminder", data={"subject_name": "周\x00建华", "reason": "事由"})
    assert response.status_code == 400 and NUL_MESSAGE in response.text
    assert session.scalar(select(func.count()).select_from(Talk)) == 0


def test_a_nul_byte_in_the_public_form_is_refused_in_the_public_layout(app, client, office):
    response = client.post("/public/complaint", data={"title": "标题\x00", "content": "内容"})
    assert response.status_code == 400 and NUL_MESSAGE in response.text
    assert session_count(Matter) == 0


def session_count(model) -> int:
    from supervision.extensions import db

    return db.session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("url", ["/documents/?number=%00", "/matters/?q=%00", "/audit/?actor=%00",
                                 "/search/?q=a%00b", "/talks/person?name=%00"])
def test_a_nul_byte_in_a_query_string_gets_a_message(app, office, url):
    client = signed_in(app, office.supervisor)
    response = client.get(url)
    assert response.status_code == 400 and NUL_MESSAGE in response.text


# --- dates outside the calendar, ids too large ---------------------------------------------------------
@pytest.mark.parametrize("received_on", ["1900-01-01", "1999-12-31"])
def test_a_date_before_the_calendars_years_is_refused(app, session, office, received_on):
    intake = signed_in(app, office.intake)
    response = intake.post("/matters/new/complaint", data=complaint_form(received_on=received_on))
    assert response.status_code == 200 and "日期须在 2000 年至 2100 年之间" in response.text
    assert session.scalar(select(func.count()).select_from(Matter)) == 0


def test_an_extension_to_a_date_after_the_calendars_years_is_refused(app, session, office, make_matter):
    matter = make_matter("in_progress")
    head = signed_in(app, office.head)
    assignment = matter.lead_assignment
    response = head.post(f"/matters/{matter.id}/assignment/extension",
                         data={"assignment_id": str(assignment.id), "requested_due_on": "2150-01-01",
                               "note": "需要更多时间"}, follow_redirects=True)
    assert response.status_code in (200, 400) and "日期须在 2000 年至 2100 年之间" in response.text
    session.expire_all()
    assert not assignment.extensions


@pytest.mark.parametrize("path", [f"/matters/{HUGE}", f"/rectification/{HUGE}", f"/talks/{HUGE}",
                                  f"/documents/{HUGE}", f"/admin/users/{HUGE}/edit", f"/matters/1/files/{HUGE}",
                                  f"/talks/documents/{HUGE}.pdf"])
def test_an_id_too_large_for_the_database_is_a_plain_404(app, office, path):
    client = signed_in(app, office.supervisor if not path.startswith("/admin") else office.admin)
    assert client.get(path).status_code == 404


def test_a_post_to_an_id_too_large_is_a_plain_404(app, office):
    client = signed_in(app, office.intake)
    assert client.post(f"/matters/{HUGE}/identity", data={"reason": "核实"}).status_code == 404


# --- the holiday CSV -----------------------------------------------------------------------------------
BROKEN_CSV = {
    "NUL bytes": "日期,安排\n2027-01-01,休\x00息,元旦\n".encode(),
    "binary garbage": bytes(range(256)) * 8,
    "a 131,072-character field": ("日期,安排,名称\n2027-01-01,休息," + "长" * 131_072 + "\n").encode(),
    "a field past the csv module's limit": ("日期,安排,名称\n2027-01-01,休息," + "长" * 200_000 + "\n").encode(),
    "an unclosed quote": '日期,安排,名称\n2027-01-01,休息,"元旦\n2027-01-02,休息,元旦\n'.encode(),
    "the year 1999": "日期,安排\n1999-01-01,休息\n".encode(),
    "the year 2150": "日期,安排\n2150-01-01,休息\n".encode(),
    "a name too long for its column": ("日期,安排,名称\n2027-01-01,休息," + "名" * 41 + "\n").encode(),
}
CSV_MESSAGES = {
    "NUL bytes": "不可见的控制字符", "binary garbage": "不可见的控制字符", "a 131,072-character field": "字段过长",
    "a field past the csv module's limit": "无法按 CSV 读取",
    "an unclosed quote": "引号未闭合", "the year 1999": "不在 2000 年至 2100 年之间",
    "the year 2150": "不在 2000 年至 2100 年之间", "a name too long for its column": "名称不能超过 40 个字符",
}


@pytest.mark.parametrize("case", list(BROKEN_CSV))
def test_a_broken_holiday_csv_is_refused_whole_with_a_message(app, session, office, case):
    admin = signed_in(app, office.admin)
    before = session.scalar(select(func.count()).select_from(AuditEntry))
    response = admin.post("/admin/settings/calendar/import",
                          data={"file": (io.BytesIO(BROKEN_CSV[case]), "holidays.csv")},
                          content_type="multipart/form-data", follow_redirects=True)
    assert response.status_code == 200 and "未导入任何数据" in response.text, case
    assert CSV_MESSAGES[case] in response.text, case
    assert session.scalar(select(func.count()).select_from(CalendarOverride)) == 0
    assert session.scalar(select(func.count()).select_from(AuditEntry)) == before


def test_a_day_outside_the_calendar_cannot_be_set_by_hand(app, session, office):
    admin = signed_in(app, office.admin)
    response = admin.post("/admin/settings/calendar", data={"day": "2150-01-01", "is_workday": "0", "name": "假日"})
    assert "日期须在 2000 年至 2100 年之间" in response.text
    assert session.scalar(select(func.count()).select_from(CalendarOverride)) == 0
    assert TODAY + timedelta(days=1)  # (the office's clock is frozen on a plain Monday)
