from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from supervision import clock, permissions
from supervision.calendar import DaySource, LimitUnit
from supervision.deadlines import DEFAULT_LIMITS, Limit, limit_for, office_calendar
from supervision.extensions import db
from supervision.models.calendar import LimitStep, TimeLimitRule
from supervision.models.matters import Category, MatterKind
from supervision.pipeline import submit
from supervision.settings import services
from supervision.settings.forms import (CategoryForm, ImportForm, OverrideForm, PublishForm, TimeLimitForm,
                                        office_settings_form)
from supervision.web import paperwork, requires

bp = Blueprint("settings", __name__, url_prefix="/admin/settings")


def special_days(year: int) -> list:
    """Every day of the year that is not an ordinary Mon–Fri working day or weekend rest."""
    calendar = office_calendar(db.session)
    day, end, found = date(year, 1, 1), date(year, 12, 31), []
    while day <= end:
        info = calendar.day_info(day)
        weekend = day.weekday() >= 5
        if info.is_workday == weekend or info.source == DaySource.OVERRIDE:
            found.append(info)
        day += timedelta(days=1)
    return found


@bp.route("/calendar", methods=["GET", "POST"])
@requires(permissions.can_manage_calendar)
def calendar():
    year = request.args.get("year", type=int) or clock.today().year
    year = min(max(year, 2004), 2100)
    form = OverrideForm()

    def page():
        days = special_days(year)
        estimated = any(d.source == DaySource.ESTIMATED for d in days)
        return render_template("settings/calendar.html", form=form, import_form=ImportForm(), year=year,
                               days=days, estimated=estimated, sources=DaySource, publish_form=PublishForm(year=year),
                               published=services.published_years(db.session))

    def save():
        row = services.OverrideRow(form.day.data, form.is_workday.data == "1", form.name.data,
                                   form.source_notice.data)
        services.save_override(db.session, current_user, row, paperwork=paperwork())
        return row

    return submit(form, save, success=lambda row: f"已保存 {row.day:%Y-%m-%d} 的安排，推定时限已按新安排重算。",
                  then=lambda row: url_for("settings.calendar", year=row.day.year), otherwise=page, invalid=None, status=200)


@bp.post("/calendar/publish")
@requires(permissions.can_manage_calendar)
def publish_year():
    """The year's schedule is complete: its deadlines are no longer 推定 (recomputed, audited)."""
    form = PublishForm()
    back = url_for("settings.calendar", year=form.year.data) if form.year.data else url_for("settings.calendar")
    return submit(form, lambda: services.mark_year_published(db.session, current_user, form.year.data,
                                                             form.source_notice.data or "", paperwork=paperwork()),
                  success=lambda changed: f"{form.year.data} 年已标记为已公布，重算 {changed} 个时限。",
                  then=back, otherwise=back, invalid=None)


@bp.post("/calendar/import")
@requires(permissions.can_manage_calendar)
def import_calendar():
    form = ImportForm()

    def import_text():
        text = form.text.data
        if form.file.data and form.file.data.filename:
            raw = form.file.data.read()
            try:
                text = raw.decode("utf-8-sig")
            except UnicodeDecodeError:
                text = raw.decode("gb18030", errors="replace")  # Excel in Chinese Windows saves GBK
        return services.import_overrides(db.session, current_user, text or "", published_year=form.published_year.data,
                                         paperwork=paperwork())

    back = url_for("settings.calendar")
    return submit(form, import_text, success=lambda counts: "导入完成：{} 天，重算 {} 个时限。".format(*counts),
                  then=back, otherwise=back, invalid=None)


@bp.route("/time-limits", methods=["GET", "POST"])
@requires(permissions.can_administer)
def time_limits():
    form = TimeLimitForm()
    form.category_id.choices = [("", "全部类别")] + [
        (str(c.id), f"{c.matter_kind.label}·{c.name}") for c in db.session.scalars(
            select(Category).where(Category.active).order_by(Category.matter_kind, Category.sort_order))]

    def page():
        rules = db.session.scalars(select(TimeLimitRule).order_by(TimeLimitRule.step, TimeLimitRule.matter_kind)).all()
        categories = {c.id: c for c in db.session.scalars(select(Category))}
        effective = {step: limit_for(db.session, step) for step in LimitStep}
        return render_template("settings/time_limits.html", form=form, rules=rules, categories=categories,
                               effective=effective, defaults=DEFAULT_LIMITS, kinds=MatterKind,
                               extension_label=lambda r: Limit(r.amount, r.unit, r.source, r.max_extensions,
                                                               r.extension_amount, r.extension_by_leader).extension_label)

    return submit(form, lambda: services.save_time_limit(
        db.session, current_user, step=LimitStep(form.step.data),
        matter_kind=MatterKind(form.matter_kind.data) if form.matter_kind.data else None,
        category=db.session.get(Category, int(form.category_id.data)) if form.category_id.data else None,
        amount=form.amount.data, unit=LimitUnit(form.unit.data), source=form.source.data,
        max_extensions=1 if form.max_extensions.data is None else form.max_extensions.data,
        extension_amount=form.extension_amount.data, extension_by_leader=form.extension_by_leader.data),
        success="时限已保存，此后交办的事项按新时限计算。", then=url_for("settings.time_limits"), otherwise=page,
        invalid=None, status=200)


@bp.route("/categories", methods=["GET", "POST"])
@bp.route("/categories/<int:category_id>", methods=["GET", "POST"])
@requires(permissions.can_administer)
def categories(category_id: int | None = None):
    category = db.get_or_404(Category, category_id) if category_id else None
    form = CategoryForm(obj=category)

    def page():
        rows = db.session.scalars(select(Category).order_by(Category.matter_kind, Category.sort_order)).all()
        return render_template("settings/categories.html", form=form, rows=rows, category=category)

    return submit(form, lambda: services.save_category(
        db.session, current_user, matter_kind=MatterKind(form.matter_kind.data), name=form.name.data,
        category=category, active=form.active.data),
        success="类别已保存。", then=url_for("settings.categories"), otherwise=page, invalid=None, status=200)


@bp.route("/supervision", methods=["GET", "POST"])
@requires(permissions.can_configure_assessment)
def office():
    """督查设置: the yellow light's days, the grade points, the lateness penalties and the thresholds of the
    assessment's proposals — the office's policy, set by the supervisors and leaders."""
    from supervision import office_settings
    from supervision.models.settings import DEFINITIONS

    current = office_settings.current(db.session)
    form = office_settings_form(None if request.method == "POST" else current)

    def page():
        return render_template("settings/office.html", form=form, definitions=DEFINITIONS, current=current)

    return submit(form, lambda: services.update_office_settings(db.session, current_user, form.values()),
                  success=lambda changes: "督查设置已保存。" if changes else "设置没有变化。",
                  then=url_for("settings.office"), otherwise=page, invalid=None)
