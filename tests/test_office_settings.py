"""督查设置 (SPEC §13): the yellow light's working days (the office's default, and an item's own), the grade
points and lateness penalties of the 督查事项评价 indicator, and the thresholds of the 表彰 / 通报 / 诫勉谈话
proposals — set by supervisors and leaders on one page, validated, audited, and used by the lights, the
board, the lists and the 单位考核 ranking.

Lights are taken on Wednesday 2026-12-09: an item watched on Friday 12-11 is two working days away (yellow
by default), one watched on Wednesday 12-16 five (green by default).
"""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from matters_factories import last_audit, signed_in
from supervision import clock, office_settings
from supervision.errors import PermissionDenied, ValidationError
from supervision.models.org import Role
from supervision.models.tasks import ItemStatus, Task, TaskGrade, TaskItem, TaskRole, TaskStatus
from supervision.settings.services import update_office_settings
from supervision.statistics import assessment, periods
from supervision.statistics.figures import StatisticsFilters, clear_cache, compute_statistics
from supervision.tasks import queries, services
from supervision.tasks.board import compute_board
from task_rows import make_item, make_task

DAY = date(2026, 12, 9)


@pytest.fixture
def lit(session, make_department, make_user):
    supervisor = make_user(Role.SUPERVISOR)
    unit = make_department(name="市发展和改革委员会")
    near = make_item(session, supervisor, title="两天后", watch_on=date(2026, 12, 11))
    make_task(session, near, unit, watch_on=date(2026, 12, 11))
    far = make_item(session, supervisor, title="五天后", watch_on=date(2026, 12, 16))
    make_task(session, far, unit, watch_on=date(2026, 12, 16))
    session.commit()
    return {"supervisor": supervisor, "unit": unit, "near": near, "far": far}


def _listed(session, user, light: str) -> set[str]:
    where = queries.item_conditions(session, user, queries.Filters(status="issued", light=light), today=DAY)
    return set(session.scalars(select(TaskItem.title).where(*where)))


def _python_light(session, item) -> str:
    with clock.frozen(DAY):
        _, item_light = queries.lights(session)
        return item_light(item).light.value


def test_office_default_is_two_working_days_and_moves_every_light(session, lit):
    assert office_settings.warning_workdays(session) == 2
    assert compute_board(session, DAY).totals.counts == {"red": 0, "yellow": 1, "green": 1}
    assert _listed(session, lit["supervisor"], "yellow") == {"两天后"}

    changes = update_office_settings(session, lit["supervisor"], {"task_warning_workdays": 5})
    session.commit()
    assert changes == {"task_warning_workdays": [2, 5]}
    assert compute_board(session, DAY).totals.counts == {"red": 0, "yellow": 2, "green": 0}
    assert _listed(session, lit["supervisor"], "yellow") == {"两天后", "五天后"}
    assert _python_light(session, lit["far"]) == "yellow"
    entry, audited = last_audit(session, "settings.office_changed")
    assert audited == {"task_warning_workdays": [2, 5]} and "督查事项黄灯提前天数 2→5" in entry.summary


def test_an_item_sets_its_own_yellow_light_and_the_board_lists_and_lamps_agree(session, lit):
    services.set_item_warning(session, lit["supervisor"], lit["far"], 5)
    services.set_item_warning(session, lit["supervisor"], lit["near"], 0)
    session.commit()
    board = compute_board(session, DAY)
    assert board.totals.counts == {"red": 0, "yellow": 1, "green": 1}
    assert _listed(session, lit["supervisor"], "yellow") == {"五天后"}
    assert _listed(session, lit["supervisor"], "green") == {"两天后"}
    assert {row.label: row.counts for row in board.by_unit} == {"市发展和改革委员会": {"yellow": 1, "green": 1}}
    assert (_python_light(session, lit["far"]), _python_light(session, lit["near"])) == ("yellow", "green")
    # a unit's own list filters its tasks by their item's rule too
    head = lit["unit"]
    where = queries._light_conditions(queries.office_calendar(session), Task.watch_on, "yellow", DAY,
                                      queries.effective_warning(session, queries.task_warning()))
    assert set(session.scalars(select(Task.item_id).where(Task.department_id == head.id, *where))) == {lit["far"].id}
    _, audited = last_audit(session, "task_item.warning_set", lit["near"])
    assert audited == {"warning_workdays": [None, 0]}


def test_an_items_rule_is_refused_out_of_range_on_a_closed_item_and_for_units(session, lit, make_user):
    with pytest.raises(ValidationError, match="0 至 20"):
        services.set_item_warning(session, lit["supervisor"], lit["far"], 21)
    with pytest.raises(PermissionDenied):
        services.set_item_warning(session, make_user(Role.DEPT_HEAD, department=lit["unit"]), lit["far"], 3)
    lit["far"].status = ItemStatus.CLOSED
    with pytest.raises(Exception, match="不能再修改亮灯规则"):
        services.set_item_warning(session, lit["supervisor"], lit["far"], 3)


def test_settings_are_validated_all_at_once_and_only_supervisors_and_leaders_set_them(session, make_user):
    supervisor = make_user(Role.SUPERVISOR)
    with pytest.raises(ValidationError) as error:
        update_office_settings(session, supervisor, {"task_warning_workdays": 40, "grade_points_good": 120})
    assert "督查事项黄灯提前天数" in str(error.value) and "评价“较好”计分" in str(error.value)
    with pytest.raises(ValidationError, match="好 ≥ 较好 ≥ 一般 ≥ 差"):
        update_office_settings(session, supervisor, {"grade_points_fair": 90})
    with pytest.raises(ValidationError, match="诫勉谈话分数线 ≤ 通报批评分数线"):
        update_office_settings(session, supervisor, {"admonish_below": 80})
    for role in (Role.ADMIN, Role.INTAKE):
        with pytest.raises(PermissionDenied):
            update_office_settings(session, make_user(role), {"task_warning_workdays": 3})
    assert update_office_settings(session, make_user(Role.LEADER), {"task_warning_workdays": 2}) == {}


def test_settings_page_saves_and_refuses_bad_input_with_a_chinese_message(app, session, make_user):
    supervisor = make_user(Role.SUPERVISOR)
    client = signed_in(app, supervisor)
    page = client.get("/admin/settings/supervision")
    assert page.status_code == 200 and "督查设置" in page.text and 'value="85"' in page.text
    data = dict(office_settings.current(session))
    response = client.post("/admin/settings/supervision", data={**data, "grade_points_excellent": "abc"})
    assert response.status_code == 400 and "评价“好”计分" in response.text
    response = client.post("/admin/settings/supervision", data={**data, "grade_points_poor": 90})
    assert response.status_code == 400 and "好 ≥ 较好 ≥ 一般 ≥ 差" in response.text
    response = client.post("/admin/settings/supervision", data={**data, "praise_top": 5})
    assert response.status_code == 302
    assert office_settings.get(session, "praise_top") == 5
    assert signed_in(app, make_user(Role.ADMIN)).get("/admin/settings/supervision").status_code == 403


# --- the assessment -------------------------------------------------------------------------------------
@pytest.fixture
def graded(session, make_department, make_user):
    clear_cache()
    supervisor = make_user(Role.SUPERVISOR)
    good, late = make_department(name="好单位局"), make_department(name="拖拉单位局")
    item = make_item(session, supervisor, title="年度重点工作", due_on=date(2026, 11, 30))

    def task(department, grade, *, late=False, late_reports=0):
        make_task(session, item, department, role=TaskRole.LEAD, status=TaskStatus.CLOSED, due_on=date(2026, 6, 30),
                  grade=grade, closed_late=late, late_report_count=late_reports,
                  closed_at=datetime(2026, 6, 20), graded_at=datetime(2026, 6, 21))

    task(good, TaskGrade.GOOD)
    task(late, TaskGrade.FAIR, late=True, late_reports=3)
    session.commit()
    return {"supervisor": supervisor, "good": good, "late": late}


def _points(session, unit) -> float:
    clear_cache()
    s = compute_statistics(session, periods.year(2026), StatisticsFilters(), date(2026, 12, 10))
    return s.department(unit.id).tasks.average_points


def test_grade_points_and_lateness_penalties_are_the_offices_settings(session, graded):
    assert (_points(session, graded["good"]), _points(session, graded["late"])) == (85.0, 70.0)
    update_office_settings(session, graded["supervisor"], {"grade_points_good": 90, "grade_points_fair": 60,
                                                           "late_closure_penalty": 10, "late_report_penalty": 5})
    session.commit()
    assert _points(session, graded["good"]) == 90.0
    assert _points(session, graded["late"]) == 60 - 10 - 3 * 5
    update_office_settings(session, graded["supervisor"], {"late_report_penalty": 30})
    session.commit()
    assert _points(session, graded["late"]) == 0  # never under 0


def test_proposal_thresholds_are_the_offices_settings(session, graded):
    clear_cache()
    s = compute_statistics(session, periods.year(2026), StatisticsFilters(), date(2026, 12, 10))
    ranking = assessment.rank_departments(s, assessment.current_weights(session))
    rules = assessment.ProposalRules.of(session)
    assert rules == assessment.ProposalRules()  # the defaults are today's rules
    # 好单位局: (20 × 85 + 15 × 100) ÷ 35 = 91.43
    assert [p.department.row.name for p in assessment.proposals(ranking, rules).praise] == ["好单位局"]
    update_office_settings(session, graded["supervisor"], {"praise_min_score": 95, "praise_top": 1})
    session.commit()
    rules = assessment.ProposalRules.of(session)
    assert [p.department.row.name for p in assessment.proposals(ranking, rules).praise] == []
    assert "排名前 1 且综合得分不低于 95 分" in rules.text


def test_board_by_unit_reads_tasks_from_the_covering_index(session, lit):
    """The by-unit count reads each item's tasks from ix_task_item_department_status alone (SQLite's plan
    names it a covering index; PostgreSQL picks by size, see docs/benchmarks.md)."""
    if session.get_bind().dialect.name != "sqlite":
        pytest.skip("the plan is checked on SQLite; PostgreSQL's depends on the table's size")
    statements = []
    from sqlalchemy import event

    engine = session.get_bind()

    def capture(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        from supervision.tasks.board import _compute_board
        _compute_board(session, DAY)
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    def plan(statement, parameters) -> str:
        return " | ".join(row[3] for row in session.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + statement,
                                                                                 parameters))

    by_unit = next((s, p) for s, p in statements if "count(DISTINCT" in s)
    assert "COVERING INDEX ix_task_item_department_status" in plan(*by_unit), plan(*by_unit)
    # While no item has a yellow light of its own, the lights are plain ranges: the count by light reads
    # the item index alone (with a rule of its own somewhere, the column is read too). (By leader, SQLite
    # picks its index by the table's size: not checked on a handful of rows.)
    totals = next((s, p) for s, p in statements if "GROUP BY" in s and "FROM task_item" in s and "leader_id" not in s
                  and "count(DISTINCT" not in s and "GROUP BY task_item.status" not in s)
    assert "COVERING INDEX ix_task_item_status_watch" in plan(*totals), plan(*totals)
