from __future__ import annotations

from flask_wtf.file import FileField
from wtforms import BooleanField, DateField, IntegerField, RadioField, SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from supervision.calendar import LIMIT_UNIT_LABELS, LimitUnit
from supervision.forms import BaseForm, limited, required
from supervision.models.calendar import CalendarOverride, LimitStep, TimeLimitRule
from supervision.models.matters import Category, MatterKind

O = CalendarOverride.__table__.c


class OverrideForm(BaseForm):
    day = DateField("日期", validators=[InputRequired(message="请填写日期。")])
    is_workday = RadioField("安排", choices=[("0", "休息（节假日）"), ("1", "上班（调休工作日）")],
                            validators=[InputRequired(message="请选择上班或休息。")])
    name = limited(O.name, "名称", render_kw={"placeholder": "如：元旦、春节调休上班"})
    source_notice = limited(O.source_notice, "依据", optional=True,
                            render_kw={"placeholder": "如：国务院办公厅关于2027年部分节假日安排的通知"})


class ImportForm(BaseForm):
    file = FileField("CSV 文件")
    # A year's schedule is a few dozen lines: far more than one override's 200-character notice field.
    text = TextAreaField("或直接粘贴", validators=[Optional(), Length(max=20000, message="粘贴的内容过长。")])
    published_year = IntegerField("这是该年的全年安排（填写年份，导入后该年标记为已公布）", validators=[
        Optional(), NumberRange(2004, 2100, message="年份须在 2004 到 2100 之间。")])


class PublishForm(BaseForm):
    year = IntegerField("年份", validators=[InputRequired(message="请填写年份。"),
                                          NumberRange(2004, 2100, message="年份须在 2004 到 2100 之间。")])
    source_notice = limited(O.source_notice, "依据", optional=True,
                            render_kw={"placeholder": "如：国务院办公厅关于2027年部分节假日安排的通知"})


class TimeLimitForm(BaseForm):
    step = SelectField("环节", choices=LimitStep.choices(), validators=[required()])
    matter_kind = SelectField("事项类型", choices=[("", "全部类型")] + MatterKind.choices(), validators=[Optional()])
    category_id = SelectField("问题类别", validators=[Optional()])
    amount = IntegerField("时限", validators=[InputRequired(message="请填写时限。"),
                                            NumberRange(1, 365, message="时限须在 1 到 365 之间。")])
    unit = SelectField("单位", choices=[(u.value, LIMIT_UNIT_LABELS[u]) for u in LimitUnit], validators=[required()])
    source = limited(TimeLimitRule.__table__.c.source, "依据", optional=True)
    max_extensions = IntegerField("最多延期次数（留空为 1 次，不得延期填 0）", default=1, validators=[
        Optional(), NumberRange(0, 10, message="延期次数须在 0 到 10 之间。")])
    extension_amount = IntegerField("每次延期不超过（同上单位，留空与时限相同）", validators=[
        Optional(), NumberRange(1, 365, message="每次延期的时长须在 1 到 365 之间。")])
    extension_by_leader = BooleanField("延期须经领导批准（信访类事项：60 日，延期一次不超过 30 日）")


class CategoryForm(BaseForm):
    matter_kind = SelectField("事项类型", choices=MatterKind.choices(), validators=[required()])
    name = limited(Category.__table__.c.name, "类别名称")
    active = BooleanField("启用", default=True)


def office_settings_form(values: dict[str, int] | None = None):
    """A form with one whole-number field per office setting (``models.settings.DEFINITIONS``)."""
    from supervision.models.settings import DEFINITIONS

    class OfficeSettingsForm(BaseForm):
        def values(self) -> dict[str, int]:
            return {d.key: self[d.key].data for d in DEFINITIONS}

    for d in DEFINITIONS:
        setattr(OfficeSettingsForm, d.key, IntegerField(
            f"{d.label}（{d.unit}）" if d.unit else d.label, description=d.hint, validators=[
                InputRequired(message=f"请填写“{d.label}”。"),
                NumberRange(d.minimum, d.maximum, message=f"“{d.label}”应在 {d.minimum}–{d.maximum} 之间。")]))
    return OfficeSettingsForm(data=dict(values) if values is not None else None)
