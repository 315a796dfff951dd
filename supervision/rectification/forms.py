from __future__ import annotations

from wtforms import BooleanField, DateField, HiddenField, IntegerField, RadioField, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from supervision.ids import parse_id
from supervision.forms import BaseForm, limited, required
from supervision.matters.forms import department_choices, files_field
from supervision.models.rectification import (
    NoticeStatus,
    RectificationNotice,
    RectificationReport,
    RectificationSource,
)
from supervision.rectification.services import MAX_WORKDAYS

N = RectificationNotice.__table__.c
R = RectificationReport.__table__.c
MAX_PROBLEMS_TEXT = 40000


class IssueForm(BaseForm):
    matter_ids = HiddenField()  # the source matters, "12,13"
    # Only active departments are offered; any other id reaches the service, which says why it refuses.
    department_id = SelectField("被通知单位", validators=[required()], validate_choice=False)
    source = SelectField("检查方式（来源）", choices=RectificationSource.choices(), validators=[required()])
    inspected_on = DateField("检查日期", validators=[Optional()])
    basis = limited(N.basis, "依据", optional=True,
                    render_kw={"placeholder": "如：《示范市机关效能建设监督检查办法》"})
    # Each line is one item; the service checks each line against the item column's limit.
    problems = TextAreaField("存在的问题（每行一条，按行编号）", render_kw={"rows": 7}, validators=[
        DataRequired(message="请至少列出一项需要整改的问题（每行一条）。"),
        Length(max=MAX_PROBLEMS_TEXT, message=f"不能超过 {MAX_PROBLEMS_TEXT} 个字符。")])
    requirements = limited(N.requirements, "整改要求（每行一条；留空使用标准表述）", optional=True, textarea=True,
                           render_kw={"rows": 4})
    deadline_mode = RadioField("整改时限", choices=[("workdays", "按工作日计算"), ("date", "指定截止日期")],
                               default="workdays", validators=[InputRequired(message="请选择整改时限的计算方式。")])
    workdays = IntegerField("工作日天数（自下发之日起算，不含当日）", default=20,
                            validators=[Optional(), NumberRange(1, MAX_WORKDAYS, message=f"应为 1–{MAX_WORKDAYS} 之间的整数。")])
    due_on = DateField("截止日期", validators=[Optional()])
    consequence = limited(N.consequence, "逾期后果（通报 / 约谈 / 问责；留空使用标准表述）", optional=True,
                          textarea=True, render_kw={"rows": 2})
    contact_person = limited(N.contact_person, "联系人", optional=True)
    contact_phone = limited(N.contact_phone, "联系电话", optional=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.department_id.choices = department_choices()

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if valid and self.deadline_mode.data == "workdays" and self.workdays.data is None:
            self.workdays.errors = ["请填写工作日天数。"]
            return False
        if valid and self.deadline_mode.data == "date" and self.due_on.data is None:
            self.due_on.errors = ["请填写截止日期。"]
            return False
        return valid

    def matter_id_list(self) -> list[int]:
        return [i for i in map(parse_id, (self.matter_ids.data or "").split(",")) if i]


class ReportForm(BaseForm):
    content = limited(R.content, "整改情况（采取的措施、整改结果、对相关人员的处理）", textarea=True,
                      render_kw={"rows": 4})
    files = files_field("佐证材料（照片、制度文件、处理决定等）")


class VerifyForm(BaseForm):
    decision = RadioField("验收意见", choices=[("accept", "验收通过，销号"), ("send_back", "退回整改")],
                          validators=[InputRequired(message="请选择验收意见。")])
    note = limited(R.verify_note, "说明（退回时必填）", optional=True, textarea=True, render_kw={"rows": 2})


class ListFilterForm(BaseForm):
    class Meta:
        csrf = False

    status = SelectField("状态", choices=[("", "全部")] + NoticeStatus.choices(), validators=[Optional()])
    department = SelectField("被通知单位", validators=[Optional()])
    overdue = BooleanField("仅看逾期")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.department.choices = department_choices("全部")
