"""Forms of the office's 督查事项 pages (``office_views``): the period document and the list import."""

from __future__ import annotations

from datetime import date

from flask_wtf.file import FileField
from wtforms import HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, NumberRange, Optional

from supervision import permissions
from supervision.forms import BaseForm
from supervision.statistics.periods import QUARTER_NAMES, PeriodKind
from supervision.tasks.bulletin import ADDRESSEE_MAX, KINDS, REQUIREMENTS_MAX

BULLETIN_PERIODS = (PeriodKind.MONTH, PeriodKind.QUARTER, PeriodKind.YEAR)


class BulletinForm(BaseForm):
    """督查通报 / 督查专报 of a month, quarter or year."""

    kind = SelectField("文种", choices=list(KINDS.items()), default="task_bulletin")
    period = SelectField("统计周期", choices=[(k.value, k.label) for k in BULLETIN_PERIODS],
                         default=PeriodKind.MONTH.value)
    year = SelectField("年份")
    month = SelectField("月份", choices=[(str(m), f"{m}月") for m in range(1, 13)], validators=[Optional()])
    quarter = SelectField("季度", choices=[(str(q), f"第{QUARTER_NAMES[q - 1]}季度") for q in range(1, 5)],
                          validators=[Optional()])
    addressee = StringField("主送（可选）", validators=[Optional(), Length(
        max=ADDRESSEE_MAX, message=f"主送单位不能超过 {ADDRESSEE_MAX} 个字。")],
        render_kw={"placeholder": "通报默认“各有关单位”；专报可填“市政府各位领导”", "maxlength": ADDRESSEE_MAX})
    requirements = TextAreaField("工作要求 / 下一步工作（可选，每行一条；不填用标准表述）", validators=[
        Optional(), Length(max=REQUIREMENTS_MAX, message=f"不能超过 {REQUIREMENTS_MAX} 个字。")],
        render_kw={"rows": 3, "maxlength": REQUIREMENTS_MAX})

    def __init__(self, today, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.year.choices = [(str(y), f"{y}年") for y in range(today.year, today.year - 6, -1)]
        if not self.is_submitted():
            last = date.fromordinal(today.replace(day=1).toordinal() - 1)  # last month: a monthly 通报's
            self.year.data, self.month.data = str(last.year), str(last.month)
            self.quarter.data = str((today.month + 2) // 3)

    def period_args(self) -> dict[str, str]:
        return {"period": self.period.data, "year": self.year.data, "month": self.month.data or "",
                "quarter": self.quarter.data or ""}


class ImportUploadForm(BaseForm):
    file = FileField("任务清单（.xlsx）", render_kw={"accept": ".xlsx"})


class ImportConfirmForm(BaseForm):
    token = HiddenField()


class LedgerFilterForm(BaseForm):
    """The item list's filters as the 督查事项台账 reads them from the list's query string (GET, no CSRF)."""

    class Meta:
        csrf = False

    status = SelectField("状态", validators=[Optional()])
    light = SelectField("亮灯", choices=[("", "全部"), ("red", "红灯"), ("yellow", "黄灯"), ("green", "绿灯")],
                        validators=[Optional()])
    source = SelectField("来源", validators=[Optional()])
    importance = SelectField("重要程度", validators=[Optional()])
    leader = IntegerField("分管领导", validators=[Optional(), NumberRange(min=1)])
    department = IntegerField("责任单位", validators=[Optional(), NumberRange(min=1)])
    q = StringField("关键词", validators=[Optional(), Length(max=100)])
    mine = StringField("我分管的", validators=[Optional(), Length(max=1)])


def ledger_filters(args, user):
    """(form, queries.Filters) of the list's query string; invalid values dropped (and named in the sheet)."""
    from supervision.forms import drop_invalid
    from supervision.models.tasks import Importance, ItemStatus, TaskSourceKind, TaskStatus
    from supervision.tasks.queries import Filters

    form = LedgerFilterForm(args)
    office = permissions.can_view_every_task(user)
    statuses = ItemStatus if office else TaskStatus
    form.status.choices = [("", "全部")] + statuses.choices()
    form.source.choices = [("", "全部")] + TaskSourceKind.choices()
    form.importance.choices = [("", "全部")] + Importance.choices()
    drop_invalid(form)
    filters = Filters(status=form.status.data or "", light=form.light.data or "", source=form.source.data or "",
                      importance=form.importance.data or "", leader=form.leader.data,
                      department=form.department.data, q=form.q.data or "",
                      mine=form.mine.data == "1" and permissions.is_role(user, permissions.Role.LEADER))
    return form, filters
