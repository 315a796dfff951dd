"""`flask calendar import FILE.csv [--published YEAR]` and `flask calendar deadline DATE N [--calendar-days]`:
the holiday schedule and deadline arithmetic for clerks' scripts (dates in ISO form, so scripts can read them)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

from supervision.extensions import db


@click.group("calendar", cls=AppGroup)
def calendar_group() -> None:
    """Working-day calendar (节假日安排)."""


@calendar_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--published", "published_year", type=int, default=None,
              help="该文件是这一年的全年安排：导入后标记为已公布（该年时限不再推定）。")
def import_command(path: Path, published_year: int | None) -> None:
    """Import a schedule CSV (日期,上班/休息,名称,依据) as the admin page does; audited as the system."""
    from supervision.documents.services import Paperwork, office_profile
    from supervision.errors import DomainError
    from supervision.settings.services import import_overrides

    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("gb18030", errors="replace")
    paperwork = Paperwork(office_profile(current_app.config), Path(current_app.instance_path) / "documents")
    try:
        days, changed = import_overrides(db.session, None, text, published_year=published_year, paperwork=paperwork)
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from error
    db.session.commit()
    click.echo(f"导入 {days} 天，重算 {changed} 个时限" + (f"；{published_year} 年已标记为已公布" if published_year
                                                       else "") + "。")


@calendar_group.command("deadline")
@click.argument("start", type=click.DateTime(formats=["%Y-%m-%d"]))
@click.argument("amount", type=click.IntRange(0, 3650))
@click.option("--calendar-days", is_flag=True, help="按自然日计算（默认按工作日）。")
def deadline_command(start, amount: int, calendar_days: bool) -> None:
    """Print the deadline of AMOUNT working (or calendar) days from START as YYYY-MM-DD, then 推定 when it
    rests on an estimated year."""
    from supervision.calendar import LimitUnit
    from supervision.deadlines import office_calendar

    unit = LimitUnit.CALENDAR if calendar_days else LimitUnit.WORKDAY
    try:
        result = office_calendar(db.session).deadline(date(start.year, start.month, start.day), amount, unit)
    except ValueError as error:
        raise click.ClickException(str(error)) from error
    click.echo(result.due.isoformat() + (" 推定" if result.provisional else ""))
