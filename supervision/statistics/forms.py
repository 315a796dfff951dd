from __future__ import annotations

from sqlalchemy import select
from wtforms import DateField, HiddenField, IntegerField, SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from supervision.extensions import db
from supervision.forms import BaseForm
from supervision.matters.forms import department_choices
from supervision.models.matters import Category, Channel, MatterKind
from supervision.models.statistics import MAX_WEIGHT, AssessmentIndicator
from supervision.statistics.periods import QUARTER_NAMES, PeriodKind
from supervision.statistics.report import NEXT_STEPS_MAX


class StatisticsFilterForm(BaseForm):
    """The period picker and filters (GET): the page, its drill-down lists and the export share them."""

    class Meta:
        csrf = False

    period = SelectField("统计周期", choices=PeriodKind.choices(), default=PeriodKind.YEAR.value,
                         validators=[Optional()])
    year = SelectField("年份", validators=[Optional()])
    month = SelectField("月份", choices=[(str(m), f"{m}月") for m in range(1, 13)], validators=[Optional()])
    quarter = SelectField("季度", choices=[(str(q), f"第{QUARTER_NAMES[q - 1]}季度") for q in range(1, 5)],
                          validators=[Optional()])
    start = DateField("自", validators=[Optional()])
    end = DateField("至", validators=[Optional()])
    kind = SelectField("类型", choices=[("", "全部")] + MatterKind.choices(), validators=[Optional()])
    category = SelectField("类别", validators=[Optional()])
    channel = SelectField("渠道", choices=[("", "全部")] + Channel.choices(), validators=[Optional()])
    department = SelectField("单位", validators=[Optional()])

    def __init__(self, this_year: int, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.year.choices = [(str(y), f"{y}年") for y in range(this_year, this_year - 8, -1)]
        self.department.choices = department_choices("全部")
        self.category.choices = [("", "全部")] + [
            (str(c.id), f"{c.matter_kind.label}·{c.name}") for c in
            db.session.scalars(select(Category).order_by(Category.matter_kind, Category.sort_order, Category.id))]


class WeightsForm(BaseForm):
    """One whole number per indicator (0–100); the score divides by their sum, so they need not add to 100."""

    def __init__(self, weights: dict[AssessmentIndicator, int] | None = None, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if weights is not None and not self.is_submitted():
            for indicator, weight in weights.items():
                getattr(self, indicator.value).data = weight

    def weights(self) -> dict[AssessmentIndicator, int]:
        return {indicator: getattr(self, indicator.value).data for indicator in AssessmentIndicator}


for _indicator in AssessmentIndicator:
    setattr(WeightsForm, _indicator.value, IntegerField(
        _indicator.label, validators=[InputRequired(message="请填写权重（0–100 的整数）。"),
                                      NumberRange(0, MAX_WEIGHT, message=f"权重应在 0–{MAX_WEIGHT} 之间。")],
        render_kw={"min": 0, "max": MAX_WEIGHT, "inputmode": "numeric"}))


class WorkReportForm(BaseForm):
    """办理情况报告 for the period on the page; the period travels in hidden fields."""

    period = HiddenField()
    year = HiddenField()
    month = HiddenField()
    quarter = HiddenField()
    next_steps = TextAreaField("下一步工作（可选，每行一条）", validators=[
        Optional(), Length(max=NEXT_STEPS_MAX, message=f"“下一步工作”不能超过 {NEXT_STEPS_MAX} 个字。")],
        render_kw={"rows": 3, "maxlength": NEXT_STEPS_MAX})
