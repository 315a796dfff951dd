from __future__ import annotations

import os
from urllib.parse import urlencode

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from supervision import clock, permissions
from supervision.errors import ValidationError
from supervision.forms import drop_invalid, filters_status, refuse_invalid_filters
from supervision.ids import parse_id
from supervision.extensions import db
from supervision.ledgers.xlsx import XLSX_MEDIA_TYPE, stream_file, temporary_path
from supervision.models.matters import Matter
from supervision.pagination import Page, page_number
from supervision.statistics import assessment, periods, report
from supervision.statistics.charts import Bar, Series, bar_chart, column_chart
from supervision.statistics.figures import (FIGURES, Slice, StatisticsFilters, compute_statistics, counted_on_page,
                                            drilldown_select)
from supervision.statistics.forms import StatisticsFilterForm, WeightsForm, WorkReportForm
from supervision.pipeline import perform, submit
from supervision.web import content_disposition, documents_folder, generate_and_send, light_helpers, requires

bp = Blueprint("statistics", __name__, url_prefix="/statistics")

SLICE_ARGS = {"department": "in_department", "month": "in_month", "category": "in_category",
              "channel": "in_channel", "respondent": "in_unit", "complaint_class": "in_class"}


def _id(raw) -> int | None:
    return parse_id(raw)


def read_request(args):
    """The period and filters of a request: one parser for the page, its lists and the export."""
    today = clock.today()
    form = StatisticsFilterForm(today.year, args)
    drop_invalid(form)
    try:
        period = periods.from_args(args, today)
    except ValidationError as error:
        flash(str(error), "error")
        period = periods.year(today.year)
    filters = StatisticsFilters(kind=form.kind.data or "", category_id=_id(form.category.data),
                                channel=form.channel.data or "", department_id=_id(form.department.data))
    if not form.year.data:
        form.year.data = str(period.start.year)
    return form, period, filters, today


def link_builder(period, filters):
    """``link(figure, department=…, month=…)``: the drill-down list of one number."""
    # Built by hand rather than with url_for: the page has several hundred links.
    base = url_for("statistics.matters") + "?" + urlencode({**period.query_args(), **filters.query_args()})

    def link(figure: str, **part) -> str:
        if FIGURES[figure].condition is None:
            return ""
        extra = urlencode({SLICE_ARGS[k]: v for k, v in part.items() if v not in (None, "")})
        return f"{base}&figure={figure}" + (f"&{extra}" if extra else "")
    return link


_charts: dict[int, tuple] = {}
_figures: dict[int, tuple] = {}


def figures_html(statistics, link) -> Markup:
    """The page's cards, tables and charts (``statistics/_figures.html``), rendered once per computed
    Statistics and kept while it is: the same for every viewer of the same figures (office staff), and
    several hundred links and ten thousand numbers a render. The forms and anything per user stay in
    ``index.html``."""
    cached = _figures.get(id(statistics))
    if cached is not None and cached[0] is statistics:
        return cached[1]
    html = Markup(current_app.jinja_env.get_template("statistics/_figures.html").render(
        s=statistics, link=link, charts=charts_of(statistics, link), figures=FIGURES))
    _figures[id(statistics)] = (statistics, html)  # the reference keeps the id from being reused
    while len(_figures) > 16:
        _figures.pop(next(iter(_figures)))
    return html


def charts_of(statistics, link):
    """The page's SVG charts, drawn once per computed Statistics (they depend on nothing else)."""
    cached = _charts.get(id(statistics))
    if cached is not None and cached[0] is statistics:
        return cached[1]
    if len(_charts) > 32:
        _charts.clear()
    charts = _draw_charts(statistics, link)
    _charts[id(statistics)] = (statistics, charts)
    return charts


def _draw_charts(statistics, link):
    months = statistics.by_month
    short = [row.label if len(months) > 12 else row.label.split("年")[1] for row in months]
    trend = column_chart(
        f"{statistics.period.label}各月收件与办理情况", short,
        [Series(FIGURES[key].definition.label, tuple(getattr(row.matters, key) for row in months),
                tuple(link(key, month=row.key) for row in months))
         for key in ("received", "closed_on_time", "overdue")],
        desc="按收件月份统计的收件、按时办结和逾期件数；数字见下方表格。")
    by_category = bar_chart(
        "各类别收件", [Bar(row.label, row.matters.received, link("received", category=row.key))
                      for row in statistics.by_category[:15]],
        desc="各问题类别的收件数，多者在前。")
    departments = sorted((row for row in statistics.departments if row.department_id and row.matters.received),
                         key=lambda row: -row.matters.received)[:15]
    by_department = bar_chart(
        "各单位主办件数", [Bar(row.name, row.matters.received, link("received", department=row.department_id))
                          for row in departments],
        desc="收件中由各单位主办的件数，多者在前（最多 15 个单位）。")
    on_time = bar_chart(
        "各单位按时办结率",
        [Bar(row.name, round(100 * row.matters.on_time_rate, 1), link("closed_on_time", department=row.department_id),
             text=f"{100 * row.matters.on_time_rate:.1f}%")
         for row in sorted((r for r in statistics.departments
                            if r.department_id and r.matters.on_time_rate is not None),
                           key=lambda r: -r.matters.on_time_rate)[:15]],
        desc="按时办结 ÷（按时办结 + 逾期），高者在前。", unit="%")
    return {"trend": trend, "by_category": by_category, "by_department": by_department, "on_time": on_time}


@bp.get("/")
@requires(permissions.can_view_statistics)
def index():
    return render_index(request.args)


def render_index(args, report_form: WorkReportForm | None = None, status: int = 200):
    form, period, filters, today = read_request(args)
    status = max(status, filters_status(form))
    statistics = compute_statistics(db.session, period, filters, today, stale_ok=True)
    link = link_builder(period, filters)
    if report_form is None:
        report_form = WorkReportForm(formdata=None, data=period.query_args())
    return render_template("statistics/index.html", form=form, s=statistics, link=link,
                           figures_html=figures_html(statistics, link), figures=FIGURES, report_form=report_form,
                           report_periods=report.REPORT_PERIODS,
                           query_args={**period.query_args(), **filters.query_args()}), status


@bp.post("/report")
@requires(permissions.can_view_statistics)
def work_report():
    """办理情况报告 (.docx) of the period: office-wide figures, whatever filters the page had."""
    form = WorkReportForm()
    if not form.validate_on_submit():
        return render_index(request.form, form, 400)
    _, period, _, today = read_request(request.form)
    return generate_and_send(
        lambda: report.generate_work_report(db.session, current_user, period, next_steps=form.next_steps.data or "",
                                            config=current_app.config, folder=documents_folder(), today=today),
        url_for("statistics.index", **period.query_args()))


@bp.get("/matters")
@requires(permissions.can_view_statistics)
def matters():
    """The matters behind one number of the page."""
    key = request.args.get("figure", "")
    if key not in FIGURES or FIGURES[key].condition is None:
        abort(404)
    form, period, filters, today = read_request(request.args)
    status = filters_status(form)
    part = Slice(**{name: request.args.get(arg, "")[:120] for name, arg in SLICE_ARGS.items()})
    ids_query = drilldown_select(db.session, key, period, filters, today, part)
    per_page = current_app.config["PER_PAGE"]
    number = page_number(request.args.get("page"))
    statistics = compute_statistics(db.session, period, filters, today)
    total = counted_on_page(statistics, key, part)
    if total is None:  # a combination of slices the page does not show: count it
        total = db.session.scalar(select(func.count()).select_from(ids_query.subquery()))
    ids = db.session.scalars(ids_query.order_by(Matter.received_on.desc(), Matter.id.desc())
                             .limit(per_page).offset((number - 1) * per_page)).all()
    rows = {m.id: m for m in db.session.scalars(
        select(Matter).where(Matter.id.in_(ids)).options(joinedload(Matter.lead_department),
                                                          joinedload(Matter.category)))} if ids else {}
    page = Page([rows[i] for i in ids], number, per_page, total)
    return render_template("statistics/matters.html", page=page, figure=FIGURES[key].definition, s=statistics,
                           part=part, slice_label=slice_label(statistics, part),
                           back=url_for("statistics.index", **period.query_args(), **filters.query_args()),
                           **light_helpers()), status


def slice_label(statistics, part: Slice) -> str:
    labels = []
    if part.department:
        row = statistics.department(parse_id(part.department))
        labels.append(row.name if row else "")
    for name, rows in (("month", statistics.by_month), ("category", statistics.by_category),
                       ("channel", statistics.by_channel), ("respondent", statistics.top_units),
                       ("complaint_class", statistics.by_class)):
        value = getattr(part, name)
        if value:
            labels.append(next((r.label for r in rows if r.key == value), value))
    return "，".join(label for label in labels if label)


# --- assessment ------------------------------------------------------------------------------------------
@bp.get("/assessment")
@requires(permissions.can_view_statistics)
def assessment_page():
    return render_assessment(WeightsForm(assessment.current_weights(db.session)))


def render_assessment(weights_form: WeightsForm, status: int = 200):
    form, period, filters, today = read_request(request.args)
    status = max(status, filters_status(form))
    statistics = compute_statistics(db.session, period, filters, today)
    weights = assessment.current_weights(db.session)
    ranking = assessment.rank_departments(statistics, weights)
    rules = assessment.ProposalRules.of(db.session)
    return render_template("statistics/assessment.html", form=form, s=statistics, weights=weights,
                           weights_form=weights_form, ranking=ranking, proposals=assessment.proposals(ranking, rules),
                           proposal_rules=rules.text,
                           link=link_builder(period, filters),
                           query_args={**period.query_args(), **filters.query_args()}), status


@bp.post("/assessment/weights")
@requires(permissions.can_configure_assessment)
def weights():
    form = WeightsForm()
    return submit(form, lambda: assessment.update_weights(db.session, current_user, form.weights()),
                  success=lambda changes: "考核权重已保存。" if changes else "权重没有变化。",
                  then=url_for("statistics.assessment_page", **request.args.to_dict()),
                  otherwise=lambda: render_assessment(form), invalid=None)


@bp.get("/assessment.xlsx")
@requires(permissions.can_view_statistics)
def assessment_export():
    form, period, filters, today = read_request(request.args)
    refused = refuse_invalid_filters(form)
    if refused is not None:
        return refused
    statistics = compute_statistics(db.session, period, filters, today)
    path = temporary_path(f"{current_app.instance_path}/tmp")
    try:
        exported = perform(lambda: assessment.export_ranking(
            db.session, current_user, statistics, assessment.current_weights(db.session), path,
            current_app.config.get("OFFICE_NAME", "")))
    except BaseException:
        os.unlink(path)  # never streamed: nothing else removes it
        raise
    if not exported.ok:
        os.unlink(path)
        return redirect(url_for("statistics.assessment_page", **request.args.to_dict()))
    name = assessment.export_filename(statistics, today)
    response = Response(stream_file(path), mimetype=XLSX_MEDIA_TYPE, direct_passthrough=True)
    response.headers["Content-Disposition"] = content_disposition(name, "assessment.xlsx")
    return response
