from __future__ import annotations

from flask_wtf.file import FileField
from wtforms import BooleanField, DateField, IntegerField, RadioField, SelectField
from wtforms.validators import InputRequired, NumberRange, Optional

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
    text = limited(O.source_notice, "或直接粘贴", optional=True, textarea=True)


class TimeLimitForm(BaseForm):
    step = SelectField("环节", choices=LimitStep.choices(), validators=[required()])
    matter_kind = SelectField("事项类型", choices=[("", "全部类型")] + MatterKind.choices(), validators=[Optional()])
    category_id = SelectField("问题类别", validators=[Optional()])
    amount = IntegerField("时限", validators=[InputRequired(message="请填写时限。"),
                                            NumberRange(1, 365, message="时限须在 1 到 365 之间。")])
    unit = SelectField("单位", choices=[(u.value, LIMIT_UNIT_LABELS[u]) for u in LimitUnit], validators=[required()])
    source = limited(TimeLimitRule.__table__.c.source, "依据", optional=True)


class CategoryForm(BaseForm):
    matter_kind = SelectField("事项类型", choices=MatterKind.choices(), validators=[required()])
    name = limited(Category.__table__.c.name, "类别名称")
    active = BooleanField("启用", default=True)
