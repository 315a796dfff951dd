"""督查事项 in the 单位考核 ranking (SPEC §13 评价, §8): task grades and lateness beside the complaint
figures, weighted on the assessment page, and the 表彰 / 通报 / 诫勉谈话 proposals that follow.

The tasks are written as rows (the state a task reaches through the area's services): an item issued in
2026, three units — G closed both its tasks on time, graded 好 and 90 points; L closed one late, graded 差
twice, and has one open past its deadline; F closed one on time graded 一般. Figures are taken on
2026-12-10 for the year 2026.
"""

from __future__ import annotations

import io
from datetime import date, datetime

import openpyxl
import pytest

from matters_factories import last_audit, signed_in
from supervision import clock
from supervision.models.org import Role
from supervision.models.statistics import AssessmentIndicator
from supervision.models.tasks import ItemStatus, Task, TaskGrade, TaskItem, TaskRole, TaskStatus
from supervision.statistics import assessment, periods
from supervision.statistics.figures import StatisticsFilters, clear_cache, compute_statistics

DAY = date(2026, 12, 10)
YEAR = periods.year(2026)


@pytest.fixture
def graded(session, make_department, make_user):
    clear_cache()
    supervisor = make_user(Role.SUPERVISOR)
    leader = make_user(Role.LEADER)
    good, late, fair = (make_department(name=name) for name in ("好单位局", "拖拉单位局", "一般单位局"))
    item = TaskItem(year=2026, seq=1, serial="DC-2026-00001", source_kind="key_work", title="年度重点工作",
                    content="推进营商环境改革", due_on=date(2026, 11, 30), status=ItemStatus.ISSUED,
                    registered_by_id=supervisor.id, leader_id=leader.id, issued_on=date(2026, 3, 2))
    session.add(item)
    session.flush()

    def task(department, due, status, *, late=False, grade=None, score=None, closed=None, late_reports=0):
        row = Task(item_id=item.id, department_id=department.id, role=TaskRole.LEAD, due_on=due, status=status,
                   created_by_id=supervisor.id, closed_late=late, grade=grade, score=score,
                   closed_at=datetime.combine(closed, datetime.min.time()) if closed else None,
                   graded_at=datetime.combine(closed, datetime.min.time()) if grade or score is not None else None,
                   late_report_count=late_reports)
        session.add(row)
        return row

    task(good, date(2026, 6, 30), TaskStatus.CLOSED, grade=TaskGrade.EXCELLENT, closed=date(2026, 6, 20))
    task(good, date(2026, 9, 30), TaskStatus.CLOSED, score=90, closed=date(2026, 9, 28))
    task(late, date(2026, 6, 30), TaskStatus.CLOSED, late=True, grade=TaskGrade.POOR, closed=date(2026, 7, 15),
         late_reports=2)
    task(late, date(2026, 8, 31), TaskStatus.CLOSED, grade=TaskGrade.POOR, closed=date(2026, 8, 30))
    task(late, date(2026, 10, 31), TaskStatus.RECEIVED)  # open past its deadline: late
    task(late, date(2027, 3, 31), TaskStatus.RECEIVED)  # due next year: not in 2026's cohort
    task(fair, date(2026, 12, 31), TaskStatus.CLOSED, grade=TaskGrade.FAIR, closed=date(2026, 12, 1))
    task(fair, date(2026, 5, 31), TaskStatus.CANCELLED)  # cancelled: never counted
    session.commit()
    return {"good": good, "late": late, "fair": fair, "supervisor": supervisor, "leader": leader}


def statistics(session):
    return compute_statistics(session, YEAR, StatisticsFilters(), DAY)


def test_task_grades_and_lateness_are_counted_per_unit(session, graded):
    s = statistics(session)
    good, late, fair = (s.department(graded[k].id).tasks for k in ("good", "late", "fair"))
    assert (good.due, good.on_time, good.late, good.graded, good.average_points) == (2, 2, 0, 2, 95.0)
    assert (late.due, late.on_time, late.late, late.graded, late.poor, late.late_reports) == (3, 1, 2, 2, 2, 2)
    assert late.grades == (("差", 2),) and good.grades == (("好", 1),)  # the 90 points were a score, no grade
    assert late.on_time_rate == pytest.approx(1 / 3) and late.grade_rate == pytest.approx(0.5)
    assert (fair.due, fair.on_time, fair.graded, fair.average_points) == (1, 1, 1, 70.0)
    assert s.totals.tasks.due == 6 and s.totals.tasks.graded == 5


def test_task_indicators_weigh_in_the_score_and_a_unit_without_matters_is_ranked_on_them(session, graded):
    weights = assessment.current_weights(session)
    assert weights[AssessmentIndicator.TASK_GRADE] == 20 and weights[AssessmentIndicator.TASK_ON_TIME_RATE] == 15
    ranking = assessment.rank_departments(statistics(session), weights)
    scores = {r.row.name: round(r.score, 2) for r in ranking}
    # only the two task indicators have data: (20 × grade + 15 × on-time) ÷ 35
    assert scores == {"好单位局": pytest.approx((20 * 95 + 15 * 100) / 35, abs=0.01), "一般单位局": pytest.approx((20 * 70 + 15 * 100) / 35, abs=0.01),
                      "拖拉单位局": pytest.approx((20 * 50 + 15 * 100 / 3) / 35, abs=0.01)}
    assert [r.row.name for r in ranking] == ["好单位局", "一般单位局", "拖拉单位局"]


def test_ranking_proposes_units_for_praise_criticism_and_admonition(session, graded):
    ranking = assessment.rank_departments(statistics(session), assessment.current_weights(session))
    proposed = assessment.proposals(ranking)
    assert [p.department.row.name for p in proposed.praise] == ["好单位局"]
    assert [p.department.row.name for p in proposed.admonish] == ["拖拉单位局"]
    assert "2 项督查任务评价为“差”" in proposed.admonish[0].reason
    assert proposed.criticise == ()  # 一般单位局 scores 82.86: neither


def test_assessment_page_shows_the_grades_beside_the_complaint_figures_and_the_proposals(app, session, graded):
    client = signed_in(app, graded["leader"])
    with clock.frozen(DAY):
        page = client.get("/statistics/assessment?period=year&year=2026").get_data(as_text=True)
    assert "督查事项评价" in page and "督查任务按期完成率" in page
    assert "95.0/2" in page  # 好单位局: mean points / graded tasks
    assert "差 2" in page and "好 1" in page
    proposals = page.split("表彰与问责建议", 1)[1]
    assert "拟表彰" in proposals and "好单位局" in proposals.split("拟通报批评")[0]
    assert "拖拉单位局" in proposals.split("拟诫勉谈话")[1]


def test_weights_of_the_task_indicators_are_set_on_the_page_and_audited(app, session, graded):
    client = signed_in(app, graded["supervisor"])
    weights = {i.value: assessment.DEFAULT_WEIGHTS[i] for i in AssessmentIndicator}
    weights.update(task_grade=40, task_on_time_rate=0)
    with clock.frozen(DAY):
        response = client.post("/statistics/assessment/weights?period=year&year=2026", data=weights)
    assert response.status_code == 302
    _, changes = last_audit(session, "assessment.weights_changed")
    assert changes == {"task_grade": [20, 40], "task_on_time_rate": [15, 0]}
    ranking = assessment.rank_departments(statistics(session), assessment.current_weights(session))
    assert {r.row.name: round(r.score, 2) for r in ranking}["拖拉单位局"] == 50.0  # the grade alone


def test_ranking_export_carries_the_task_figures_and_the_proposal(app, session, graded):
    client = signed_in(app, graded["leader"])
    with clock.frozen(DAY):
        response = client.get("/statistics/assessment.xlsx?period=year&year=2026")
    assert response.status_code == 200
    rows = list(openpyxl.load_workbook(io.BytesIO(response.get_data())).active.iter_rows(values_only=True))
    header = next(row for row in rows if row[0] == "名次")
    body = {row[1]: dict(zip(header, row)) for row in rows[rows.index(header) + 1:]}
    late = body["拖拉单位局"]
    assert (late["督查任务应完成"], late["按期销号"], late["任务逾期"], late["评价为差"], late["逾期反馈"]) == (3, 1, 2, 2, 2)
    assert late["建议"] == "拟诫勉谈话" and body["好单位局"]["建议"] == "拟表彰"
    assert body["好单位局"]["评价平均分"] == 95.0
