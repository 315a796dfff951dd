"""Statistics (统计分析, docs/domain.md §8): the figures of May 2026 for a small office, built through the real
services and counted by hand below; every number on the page links to exactly the matters it counts.

The office of ``matters_factories``: 市市场监督管理局 (D, the usual lead), 市人力资源和社会保障局 (C, 协办),
市卫生健康委员会 (O). The figures are taken on 2026-06-10 (STATS_DAY).

    matter  received  route                                                  lead  hand count
    m1      5/6       closed the same day, 满意                               D     on time, signed on time
    m2      5/6       closed the same day, 基本满意, C co-handling (never signs) D     on time
    m3      5/7       signed 5/7, replied the day after its deadline, 不满意   D     overdue (closed late)
    m4      5/8 Fri   signed Mon 5/11 — Sat 5/9 was a make-up working day      D     signed late; open past due
    m5      5/11      extension approved to 6/23 (one of 15 working days)       D     extended, not overdue
    m6      5/12      sent back once, replied again 5/13, approved            D     reworked, on time
    m7      5/13      returned (退回) by D                                    —     D returned 1
    m8      5/14      不予受理                                                —
    m9      5/14      存查 as a duplicate of m1                               —     repeat
    m10     5/15      a suggestion, only registered                           —
    m11     4/30      closed — April: outside May                             D
    m12     5/20      O signs the next working day, replies on its deadline   O     both on time (the edges)
Plus: 5/29 a 电话催办 (m4) and a 书面督办 (m5) to D; notices to D issued 5/6 (closed the same day) and
5/7 (still open, past its deadline on 6/10); talks about D approved 5/20 (诫勉) and 5/21 (函询), and
one declined.
"""

from __future__ import annotations

import html
import io
import json
import re
from dataclasses import asdict
from datetime import date, timedelta
from urllib.parse import parse_qs, urlsplit

import openpyxl
import pytest

from matters_factories import audit_entries, last_audit, matter_input, signed_in
from supervision import clock
from supervision.escalation.services import urge_by_hand
from supervision.matters import services
from supervision.models.matters import Category, Channel, Matter, MatterKind, Satisfaction
from supervision.models.statistics import AssessmentIndicator
from supervision.models.talks import TalkKind
from supervision.models.escalation import SupervisionLevel
from supervision.statistics import assessment, periods
from supervision.statistics.figures import FIGURES, StatisticsFilters, clear_cache, compute_statistics

STATS_DAY = date(2026, 6, 10)
MAY = periods.month(2026, 5)
MAY_ARGS = "period=month&year=2026&month=5"
WINDOW = "东城区不动产登记窗口"


@pytest.fixture
def may(session, office, make_matter, make_notice, make_talk, paperwork):
    """The office's May, as in the module docstring. Returns the matters by name."""
    clear_cache()
    m = {}
    o = office

    def on(day):
        return clock.frozen(day)

    with on(date(2026, 5, 6)):
        m["m1"] = make_matter("closed", respondent_unit=WINDOW)
        m["m2"] = make_matter("closed", co_handling=True, satisfaction=Satisfaction.FAIRLY_SATISFIED)
    with on(date(2026, 5, 7)):
        m["m3"] = make_matter("in_progress", respondent_unit=WINDOW)
    late_day = m["m3"].lead_assignment.due_on + timedelta(days=1)
    with on(late_day):
        services.submit_reply(session, o.head, m["m3"].lead_assignment, "已核实处理。", "已处理。")
        services.review_reply(session, o.supervisor, m["m3"], True)
        services.record_follow_up(session, o.intake, m["m3"], Satisfaction.DISSATISFIED, "不认可。")
    with on(date(2026, 5, 8)):
        m["m4"] = make_matter("assigned", respondent_unit=WINDOW)
    with on(date(2026, 5, 11)):
        services.sign_assignment(session, o.head, m["m4"].lead_assignment)
        m["m5"] = make_matter("in_progress", respondent_unit="<b>西湖区</b>社保窗口")
        extension = services.request_extension(session, o.head, m["m5"].lead_assignment, date(2026, 6, 23),
                                               "需调取档案。")
        services.decide_extension(session, o.supervisor, extension, True)
    with on(date(2026, 5, 12)):
        m["m6"] = make_matter("rework")
    with on(date(2026, 5, 13)):
        services.submit_reply(session, o.head, m["m6"].lead_assignment, "补充调查。", "已处理。")
        services.review_reply(session, o.supervisor, m["m6"], True)
        m["m7"] = make_matter("returned")
    with on(date(2026, 5, 14)):
        m["m8"] = make_matter("not_accepted")
        m["m9"] = services.register_matter(session, o.intake, matter_input(title="同一事项再次反映"))
        services.file_as_duplicate(session, o.intake, m["m9"], m["m1"])
    with on(date(2026, 5, 15)):
        m["m10"] = make_matter("registered", kind=MatterKind.SUGGESTION, channel=Channel.MAILBOX)
    with on(date(2026, 4, 30)):
        m["m11"] = make_matter("closed")
    with on(date(2026, 5, 20)):
        m12 = m["m12"] = services.register_matter(session, o.intake, matter_input())
        services.accept_matter(session, o.intake, m12)
        services.assign_matter(session, o.intake, m12, lead=o.other_department)
    with on(date(2026, 5, 21)):  # the last day to sign for it: on time
        services.sign_assignment(session, o.other_head, m12.lead_assignment)
    with on(m12.lead_assignment.due_on):  # replied on its very deadline: on time
        services.submit_reply(session, o.other_head, m12.lead_assignment, "已处理。", "已处理。")
        services.review_reply(session, o.supervisor, m12, True)
    with on(date(2026, 5, 29)):
        urge_by_hand(session, o.supervisor, m["m4"].lead_assignment, SupervisionLevel.phone, "请抓紧办理。")
        urge_by_hand(session, o.supervisor, m["m5"].lead_assignment, SupervisionLevel.written, "请书面报告进展。",
                     paperwork=paperwork)
    session.commit()
    with on(date(2026, 5, 6)):
        m["notice_closed"] = make_notice("closed")
    with on(date(2026, 5, 7)):
        m["notice_open"] = make_notice("issued")
    with on(date(2026, 5, 20)):
        make_talk("approved", kind=TalkKind.ADMONITION)
    with on(date(2026, 5, 21)):
        make_talk("approved", kind=TalkKind.INQUIRY, matters=[m["m4"]])
        make_talk("declined", kind=TalkKind.REMINDER)

    # What the hand count relies on:
    assert m["m3"].lead_assignment.replied_at.date() > m["m3"].lead_assignment.due_on
    assert m["m4"].lead_assignment.received_at.date() == date(2026, 5, 11)
    assert m["m4"].lead_assignment.due_on < STATS_DAY and m["m4"].status.value == "in_progress"
    assert m["m5"].lead_assignment.due_on == date(2026, 6, 23)
    assert m["m7"].lead_department_id is None and m["m9"].duplicate_of_id == m["m1"].id
    assert m["notice_open"].due_on < STATS_DAY and m["notice_closed"].status.value == "closed"
    return m


# --- the hand count ---------------------------------------------------------------------------------------
TOTALS = {"received": 11, "accepted": 8, "assigned": 8, "done": 5, "closed_on_time": 4, "overdue": 2,
          "extended": 1, "reworked": 1, "satisfied": 1, "fairly_satisfied": 1, "dissatisfied": 1, "repeat": 1}
D_MATTERS = {"received": 6, "accepted": 6, "assigned": 6, "done": 4, "closed_on_time": 3, "overdue": 2,
             "extended": 1, "reworked": 1, "satisfied": 1, "fairly_satisfied": 1, "dissatisfied": 1, "repeat": 0}
O_MATTERS = {**{k: 0 for k in TOTALS}, "received": 1, "accepted": 1, "assigned": 1, "done": 1, "closed_on_time": 1}
UNASSIGNED = {**{k: 0 for k in TOTALS}, "received": 4, "accepted": 1, "assigned": 1, "repeat": 1}  # m7–m10
# Assignments (主办 and 协办), as distinct matters.
D_ASSIGNMENTS = {"handled": 7, "signed_on_time": 5, "returned": 1}  # m1–m7; m4 late, m7 returned unsigned
C_ASSIGNMENTS = {"handled": 1, "signed_on_time": 0, "returned": 0}  # m2, co-handling, never signed
O_ASSIGNMENTS = {"handled": 1, "signed_on_time": 1, "returned": 0}  # m12
TOTAL_ASSIGNMENTS = {"handled": 8, "signed_on_time": 6, "returned": 1}

# The matters behind some numbers.
BEHIND = {"overdue": {"m3", "m4"}, "closed_on_time": {"m1", "m2", "m6", "m12"}, "extended": {"m5"},
          "reworked": {"m6"}, "repeat": {"m9"}, "dissatisfied": {"m3"}, "returned": {"m7"},
          "signed_on_time": {"m1", "m2", "m3", "m5", "m6", "m12"},
          "accepted": {"m1", "m2", "m3", "m4", "m5", "m6", "m7", "m12"}}


def counts(row, keys):
    return {k: getattr(row, k) for k in keys}


def test_compute_statistics_agrees_with_the_hand_count(session, office, may):
    s = compute_statistics(session, MAY, StatisticsFilters(), STATS_DAY)

    assert s.period.label == "2026年5月"
    assert counts(s.totals.matters, TOTALS) == TOTALS
    assert counts(s.totals.assignments, TOTAL_ASSIGNMENTS) == TOTAL_ASSIGNMENTS
    d, c, o = (s.department(x.id) for x in (office.department, office.co_department, office.other_department))
    assert counts(d.matters, D_MATTERS) == D_MATTERS
    assert counts(o.matters, O_MATTERS) == O_MATTERS
    assert counts(s.department(None).matters, UNASSIGNED) == UNASSIGNED
    assert counts(d.assignments, D_ASSIGNMENTS) == D_ASSIGNMENTS
    assert counts(c.assignments, C_ASSIGNMENTS) == C_ASSIGNMENTS
    assert counts(o.assignments, O_ASSIGNMENTS) == O_ASSIGNMENTS

    assert s.totals.matters.on_time_rate == pytest.approx(4 / 6)
    assert s.totals.matters.satisfaction_rate == pytest.approx(2 / 3)
    assert s.totals.matters.rework_rate == pytest.approx(1 / 8)
    assert s.totals.matters.repeat_rate == pytest.approx(1 / 11)
    assert d.matters.on_time_rate == pytest.approx(3 / 5)

    assert (d.escalations.urged, d.escalations.escalated) == (1, 1)
    assert {x.label: x.count for x in s.totals.escalations.by_level} == {
        "电话催办": 1, "书面督办": 1, "挂牌督办": 0, "提级督办": 0}
    assert (d.notices.issued, d.notices.closed, d.notices.closed_on_time, d.notices.overdue) == (2, 1, 1, 1)
    assert d.notices.on_time_rate == pytest.approx(0.5)
    assert {x.label: x.count for x in d.talks.by_kind} == {"提醒谈话": 0, "批评教育": 0, "诫勉谈话": 1, "函询": 1}
    assert [(u.label, u.count) for u in s.top_units] == [(WINDOW, 3), ("<b>西湖区</b>社保窗口", 1)]
    assert {row.label: row.matters.received for row in s.by_month} == {"2026年5月": 11}
    assert {row.label: row.matters.received for row in s.by_channel} == {"来电": 10, "意见箱": 1}


def test_quarter_and_year_take_in_april_and_filters_narrow_the_cohort(session, office, may):
    quarter = compute_statistics(session, periods.quarter(2026, 2), StatisticsFilters(), STATS_DAY)
    assert quarter.period.label == "2026年第二季度"
    assert quarter.totals.matters.received == 12 and quarter.totals.matters.closed_on_time == 5
    assert [(r.label, r.matters.received) for r in quarter.by_month] == [
        ("2026年4月", 1), ("2026年5月", 11), ("2026年6月", 0)]
    assert compute_statistics(session, periods.year(2026), StatisticsFilters(), STATS_DAY).period.label == "2026年度"

    suggestions = compute_statistics(session, MAY, StatisticsFilters(kind="suggestion"), STATS_DAY)
    assert suggestions.totals.matters.received == 1 and suggestions.filter_labels == ("类型：意见建议",)
    assert suggestions.totals.notices.issued == 0  # notices and talks do not follow a kind filter
    only_d = compute_statistics(session, MAY, StatisticsFilters(department_id=office.department.id), STATS_DAY)
    assert counts(only_d.totals.matters, D_MATTERS) == D_MATTERS
    assert counts(only_d.totals.assignments, D_ASSIGNMENTS) == D_ASSIGNMENTS
    assert only_d.totals.notices.issued == 2 and only_d.totals.talks.total == 2


def test_the_statistics_are_plain_data_without_complainant_identity(session, office, may):
    tree = json.dumps(asdict(compute_statistics(session, MAY, StatisticsFilters(), STATS_DAY)), default=str,
                      ensure_ascii=False)
    assert "张某某" not in tree and "13800000000" not in tree  # matter_input's complainant
    assert "按时办结率" in tree  # self-describing: the definitions travel with the figures


# --- the page ------------------------------------------------------------------------------------------------
LINK = re.compile(r'<a href="(/statistics/matters\?[^"]+)">(\d+)</a>')
SLICES = ("in_department", "in_month", "in_category", "in_channel", "in_unit", "in_class")


def linked_numbers(page: str) -> dict[tuple, int]:
    """Every linked number of the page: (figure, slice…) → the number shown (each shown consistently)."""
    numbers: dict[tuple, int] = {}
    for href, value in LINK.findall(page):
        args = parse_qs(urlsplit(html.unescape(href)).query)
        key = (args["figure"][0], *(args.get(name, [""])[0] for name in SLICES))
        key = key if key[-1] else key[:-1]  # the 信访类别 slice (in_class) only where a link has one
        assert numbers.setdefault(key, int(value)) == int(value), key
    return numbers


def listed_serials(client, href: str) -> set[str]:
    page = client.get(href).get_data(as_text=True)
    return set(re.findall(r'>((?:XT|YJ|JC)-\d{4}-\d{5})</a>', page))


def test_page_shows_the_hand_counted_figures(app, session, office, may):
    client = signed_in(app, office.supervisor)
    with clock.frozen(STATS_DAY):
        page = client.get(f"/statistics/?{MAY_ARGS}").get_data(as_text=True)
    numbers = linked_numbers(page)
    d, o = str(office.department.id), str(office.other_department.id)
    for key, value in TOTALS.items():
        assert numbers.get((key, "", "", "", "", ""), 0) == value, key
    for key, value in D_MATTERS.items():
        if key not in ("accepted", "assigned", "repeat"):  # not columns of the department table
            assert numbers.get((key, d, "", "", "", ""), 0) == value, key
    for key, value in {**D_ASSIGNMENTS}.items():
        assert numbers.get((key, d, "", "", "", ""), 0) == value, key
    assert numbers[("received", o, "", "", "", "")] == 1
    assert numbers[("received", "none", "", "", "", "")] == 4
    assert numbers[("received", "", "2026-05", "", "", "")] == 11
    assert "2026年5月" in page and "统计口径说明" in page and "<svg" in page


def test_every_linked_number_lists_exactly_that_many_matters(app, session, office, may):
    client = signed_in(app, office.supervisor)
    with clock.frozen(STATS_DAY):
        numbers = linked_numbers(client.get(f"/statistics/?{MAY_ARGS}").get_data(as_text=True))
        assert len(numbers) > 40
        for (figure, *part), value in numbers.items():
            query = "&".join(f"{name}={v}" for name, v in zip(SLICES, part) if v)
            href = f"/statistics/matters?figure={figure}&{MAY_ARGS}" + (f"&{query}" if query else "")
            assert len(listed_serials(client, href)) == value, href


def test_drill_down_lists_the_counted_matters(app, session, office, may):
    client = signed_in(app, office.supervisor)
    serial = {name: m.serial for name, m in may.items() if isinstance(m, Matter)}
    with clock.frozen(STATS_DAY):
        for figure, names in BEHIND.items():
            assert listed_serials(client, f"/statistics/matters?figure={figure}&{MAY_ARGS}") == \
                {serial[n] for n in names}, figure
        assert listed_serials(client, f"/statistics/matters?figure=signed_on_time&{MAY_ARGS}"
                                      f"&in_department={office.department.id}") == \
            {serial[n] for n in ("m1", "m2", "m3", "m5", "m6")}
        assert listed_serials(client, f"/statistics/matters?figure=received&{MAY_ARGS}&in_unit=u{WINDOW}") == \
            {serial[n] for n in ("m1", "m3", "m4")}
        assert client.get(f"/statistics/matters?figure=urged&{MAY_ARGS}").status_code == 404
        assert client.get(f"/statistics/matters?figure=nonsense&{MAY_ARGS}").status_code == 404


def test_user_text_in_charts_and_tables_is_escaped(app, session, office, may):
    session.add(Category(matter_kind=MatterKind.COMPLAINT, name="<script>x</script>", sort_order=99))
    session.commit()
    category = session.query(Category).filter_by(name="<script>x</script>").one()
    with clock.frozen(date(2026, 5, 25)):
        services.register_matter(session, office.intake, matter_input(category=category))
    session.commit()
    client = signed_in(app, office.supervisor)
    with clock.frozen(STATS_DAY):
        page = client.get(f"/statistics/?{MAY_ARGS}").get_data(as_text=True)
    assert "<script>x</script>" not in page and "<b>西湖区</b>" not in page
    assert "&lt;script&gt;x&lt;/script&gt;" in page and "&lt;b&gt;西湖区&lt;/b&gt;社保窗口" in page
    assert page.count('role="img"') >= 3 and "<title id=" in page and "<desc id=" in page


@pytest.mark.parametrize("role, status", [("supervisor", 200), ("leader", 200), ("intake", 403), ("head", 403),
                                          ("admin", 403)])
def test_only_supervisors_and_leaders_see_statistics(app, office, today, role, status):
    client = signed_in(app, getattr(office, role))
    for url in ("/statistics/", "/statistics/matters?figure=received", "/statistics/assessment",
                "/statistics/assessment.xlsx"):
        assert client.get(url).status_code == status, url
    weights = {i.value: 10 for i in AssessmentIndicator}
    assert client.post("/statistics/assessment/weights", data=weights).status_code == (302 if status == 200 else 403)


def test_menu_shows_statistics_to_supervisors_only(app, office, today):
    assert "统计分析" in signed_in(app, office.supervisor).get("/").get_data(as_text=True)
    assert "统计分析" not in signed_in(app, office.head).get("/").get_data(as_text=True)


def test_a_bad_period_is_explained_and_the_year_shown(app, office, today):
    client = signed_in(app, office.supervisor)
    page = client.get("/statistics/?period=custom&start=2026-05-10&end=2026-05-01").get_data(as_text=True)
    assert "结束日期不能早于开始日期" in page and "2026年度" in page
    page = client.get("/statistics/?period=custom&start=2026-05-01&end=2026-05-10").get_data(as_text=True)
    assert "2026年5月1日至2026年5月10日" in page


# --- cache ----------------------------------------------------------------------------------------------------
def test_a_write_is_seen_by_the_next_computation(session, office, may):
    before = compute_statistics(session, MAY, StatisticsFilters(), STATS_DAY)
    assert compute_statistics(session, MAY, StatisticsFilters(), STATS_DAY) is before  # cached
    with clock.frozen(STATS_DAY):
        services.record_follow_up(session, office.intake, may["m6"], Satisfaction.SATISFIED, "满意。")
    session.commit()
    after = compute_statistics(session, MAY, StatisticsFilters(), STATS_DAY)
    assert after.totals.matters.satisfied == before.totals.matters.satisfied + 1
    later = compute_statistics(session, MAY, StatisticsFilters(), date(2026, 7, 10))
    assert later.totals.matters.overdue == 3  # m5's extended deadline (6/30) has passed too


# --- assessment -----------------------------------------------------------------------------------------------
def test_ranking_weights_the_department_rates(session, office, may):
    s = compute_statistics(session, MAY, StatisticsFilters(), STATS_DAY)
    ranking = assessment.rank_departments(s, assessment.current_weights(session))
    # O: 按时办结 1/1, 重办 0/1, 签收 1/1 → 100 (no 回访, no notice: not counted).
    # D: 35×60 + 30×66.67 + 15×(100 − 16.67) + 15×50 + 5×71.43, ÷ 100.
    # C: only 按时签收 0/1 → 0.
    assert [(r.rank, r.row.name, round(r.score, 2)) for r in ranking] == [
        (1, office.other_department.name, 100.0), (2, office.department.name, 64.57),
        (3, office.co_department.name, 0.0)]


def test_supervisor_changes_weights_audited_and_ranking_follows(app, session, office, may):
    client = signed_in(app, office.supervisor)
    weights = {"on_time_rate": 50, "satisfaction_rate": 20, "rework_rate": 10, "rectification_on_time_rate": 20,
               "sign_on_time_rate": 0, "task_grade": 20, "task_on_time_rate": 15}  # the last two unchanged
    with clock.frozen(STATS_DAY):
        response = client.post(f"/statistics/assessment/weights?{MAY_ARGS}", data=weights)
        assert response.status_code == 302
        page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "考核权重已保存" in page
    entry, changes = last_audit(session, "assessment.weights_changed")
    assert entry.actor_id == office.supervisor.id
    assert changes == {"on_time_rate": [35, 50], "satisfaction_rate": [30, 20], "rework_rate": [15, 10],
                       "rectification_on_time_rate": [15, 20], "sign_on_time_rate": [5, 0]}
    s = compute_statistics(session, MAY, StatisticsFilters(), STATS_DAY)
    ranking = assessment.rank_departments(s, assessment.current_weights(session))
    assert [(r.rank, r.row.name) for r in ranking][-1] == (None, office.co_department.name)  # nothing to score


def test_weights_out_of_range_are_refused(app, session, office, today):
    client = signed_in(app, office.leader)
    response = client.post("/statistics/assessment/weights", data={i.value: 101 for i in AssessmentIndicator})
    assert response.status_code == 400 and "权重应在 0–100 之间" in response.get_data(as_text=True)
    response = client.post("/statistics/assessment/weights", data={i.value: 0 for i in AssessmentIndicator})
    assert response.status_code == 400 and "权重不能全部为 0" in response.get_data(as_text=True)
    assert audit_entries(session, "assessment.weights_changed") == []


def test_ranking_exports_to_xlsx_with_the_counts_and_is_audited(app, session, office, may):
    client = signed_in(app, office.leader)
    with clock.frozen(STATS_DAY):
        response = client.get(f"/statistics/assessment.xlsx?{MAY_ARGS}")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    rows = list(openpyxl.load_workbook(io.BytesIO(response.get_data())).active.iter_rows(values_only=True))
    assert "2026年5月" in rows[0][0]
    assert rows[3][0].startswith("拟表彰：")  # the rules of the proposals column
    header = rows[4]
    body = [dict(zip(header, row)) for row in rows[5:]]
    assert [(r["名次"], r["单位"], r["综合得分"]) for r in body] == [
        (1, office.other_department.name, 100), (2, office.department.name, 64.57), (3, office.co_department.name, 0)]
    d = body[1]
    assert (d["主办件数"], d["按时办结"], d["逾期"], d["重办"], d["承办件数"], d["按时签收"], d["整改通知"]) == \
        (6, 3, 2, 1, 7, 5, 2)
    assert d["按时办结率"] == pytest.approx(0.6)
    entry, changes = last_audit(session, "assessment.exported")
    assert entry.actor_id == office.leader.id and changes["period"] == "2026年5月" and changes["rows"] == 3


def test_drill_down_totals_taken_from_the_page_equal_a_fresh_count(app, session, office, may):
    """The list's 共 N 条 comes from the computed figures; it must be what counting the list gives."""
    from sqlalchemy import func, select

    from supervision.statistics.figures import Slice, counted_on_page, drilldown_select

    client = signed_in(app, office.supervisor)
    with clock.frozen(STATS_DAY):
        numbers = linked_numbers(client.get(f"/statistics/?{MAY_ARGS}").get_data(as_text=True))
    s = compute_statistics(session, MAY, StatisticsFilters(), STATS_DAY)
    checked = 0
    for (figure, *values) in numbers:
        part = Slice(**dict(zip(("department", "month", "category", "channel", "respondent"), values)))
        shown = counted_on_page(s, figure, part)
        if shown is None:
            continue
        query = drilldown_select(session, figure, MAY, StatisticsFilters(), STATS_DAY, part)
        assert shown == session.scalar(select(func.count()).select_from(query.subquery())), (figure, part)
        checked += 1
    assert checked > 40
    d = str(office.department.id)
    both = Slice(department=d, month="2026-05")
    assert counted_on_page(s, "received", both) is None  # not a cell of the page: the list counts itself
    with clock.frozen(STATS_DAY):
        page = client.get(f"/statistics/matters?figure=received&{MAY_ARGS}&in_department={d}&in_month=2026-05")
    assert "共 6 条" in page.get_data(as_text=True)


@pytest.mark.postgres_only
def test_jit_and_work_memory_are_set_for_the_computation_only(session, may):
    """PostgreSQL: no JIT compilation and more work memory while the figures are computed (issue 21: JIT
    compiling took 3.2 of 3.9 s at 1,000,000 matters), and the transaction's own settings again after."""
    from sqlalchemy import text

    from supervision.statistics import figures

    settings = text("SELECT current_setting('jit'), current_setting('work_mem')")
    before = session.execute(settings).one()
    with figures.analytic_settings(session):
        assert tuple(session.execute(settings).one()) == ("off", "32MB")
    clear_cache()
    compute_statistics(session, MAY, StatisticsFilters(), STATS_DAY)
    assert session.execute(settings).one() == before


@pytest.mark.postgres_only
def test_the_assignment_figures_are_counted_on_a_second_connection_meanwhile(app, session, may):
    """PostgreSQL (issue 21): the assignment figures and the top units are counted on a second connection
    while the matter figures are counted on the request's own, and come out as the hand count."""
    from sqlalchemy import event

    from supervision.extensions import db

    sessions = {}

    def note(conn, cursor, statement, parameters, context, executemany):
        if "assignment_figures" in statement or "matter_figures" in statement:
            kind = "assignment" if "assignment_figures" in statement else "matter"
            sessions[kind] = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()

    session.commit()
    clear_cache()
    event.listen(db.engine, "before_cursor_execute", note)
    try:
        s = compute_statistics(session, MAY, StatisticsFilters(), STATS_DAY)
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    assert set(sessions) == {"assignment", "matter"} and sessions["assignment"] != sessions["matter"]
    assert counts(s.totals.assignments, TOTAL_ASSIGNMENTS) == TOTAL_ASSIGNMENTS
    assert counts(s.totals.matters, TOTALS) == TOTALS
    assert [(u.label, u.count) for u in s.top_units] == [(WINDOW, 3), ("<b>西湖区</b>社保窗口", 1)]


def test_figures_computed_inside_a_writing_transaction_count_its_own_rows(session, office, may):
    """A computation after an uncommitted write counts that write on both engines: a second connection
    would not see it, so nothing is counted there (the assignment figures, the top units)."""
    from supervision.models.matters import AssignmentStatus

    session.commit()
    clear_cache()
    assignment = may["m1"].lead_assignment
    assignment.status = AssignmentStatus.RETURNED
    may["m5"].respondent_unit = WINDOW
    session.flush()
    s = compute_statistics(session, MAY, StatisticsFilters(), STATS_DAY)
    assert s.totals.assignments.returned == TOTAL_ASSIGNMENTS["returned"] + 1
    assert [(u.label, u.count) for u in s.top_units] == [(WINDOW, 4)]
    session.rollback()
