"""Forms of /tasks/: 立项, 分解 (with milestones), 签收 and progress reports, 批示, 办结 and 复核, 评价,
and the list's filters. Limits come from the columns (``limited``)."""

from __future__ import annotations

import re
from datetime import date

from flask_wtf.file import MultipleFileField
from wtforms import DateField, HiddenField, IntegerField, RadioField, SelectField, SelectMultipleField
from wtforms.validators import InputRequired, NumberRange, Optional

from supervision.forms import BaseForm, drop_invalid, limited
from supervision.models.escalation import Escalation, SupervisionLevel
from supervision.models.settings import MAX_WARNING_WORKDAYS
from supervision.models.tasks import (Importance, ItemStatus, ReportSchedule, Task, TaskClosure, TaskGrade,
                                      TaskInstruction, TaskItem, TaskMilestone, TaskReport, TaskRole, TaskSourceKind,
                                      TaskStatus)
from supervision.tasks.services import ItemInput, MilestoneInput
from supervision.uploads import ACCEPT_ATTRIBUTE

I = TaskItem.__table__.c
T = Task.__table__.c
M = TaskMilestone.__table__.c
R = TaskReport.__table__.c
WEEKDAYS = [(str(n), f"周{'一二三四五六日'[n - 1]}") for n in range(1, 8)]
MILESTONE_HINT = ("每行一个节点：日期或工作日数，节点名称，预期成果。例如：2026-07-15，方案报市政府，方案经常务会审议；"
                  "或：10，完成摸底排查（下发后第 10 个工作日）")


class VersionedForm(BaseForm):
    version = HiddenField()

    def expected_version(self) -> int | None:
        return int(self.version.data) if (self.version.data or "").isdigit() else None


def _coerce_int(value):
    """A select of ids with an empty choice: "" is None, anything else must be a number (junk is refused)."""
    if value in (None, ""):
        return None
    return int(value)


class ItemForm(VersionedForm):
    source_kind = SelectField("来源类别", choices=TaskSourceKind.choices(),
                              validators=[InputRequired(message="请选择来源类别。")])
    source_number = limited(I.source_number, "来源文号（批示件、会议纪要编号）", optional=True)
    source_date = DateField("来源文件日期", validators=[Optional()])
    source_text = limited(I.source_text, "批示原文 / 会议议定内容", optional=True, textarea=True, render_kw={"rows": 3})
    title = limited(I.title, "事项标题")
    content = limited(I.content, "督查内容", textarea=True, render_kw={"rows": 5})
    importance = SelectField("重要程度", choices=Importance.choices(), default=Importance.NORMAL.value)
    leader_id = SelectField("分管领导", coerce=_coerce_int, validators=[Optional()])
    expected_result = limited(I.expected_result, "预期成效", optional=True, textarea=True, render_kw={"rows": 2})
    due_on = DateField("办结时限", validators=[InputRequired(message="请填写办结时限。")])
    report_schedule = SelectField("进度反馈周期", choices=ReportSchedule.choices(),
                                  default=ReportSchedule.MONTHLY.value)
    report_weekday = SelectField("每周报送日（按周反馈时）", choices=WEEKDAYS, default="5")
    report_day = IntegerField("每月报送日（按月反馈时，1–28）", default=25,
                              validators=[Optional(), NumberRange(1, 28, message="每月报送日应为 1 至 28 日。")])
    warning_workdays = IntegerField("黄灯提前天数（工作日，留空按督查设置）", validators=[
        Optional(), NumberRange(0, MAX_WARNING_WORKDAYS, message=f"黄灯提前天数应为 0 至 {MAX_WARNING_WORKDAYS} 个工作日。")])

    def __init__(self, leaders=(), *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.leader_id.choices = [("", "（未指定）")] + [(u.id, u.display_name) for u in leaders]

    def to_input(self) -> ItemInput:
        return ItemInput(
            source_kind=TaskSourceKind(self.source_kind.data), title=self.title.data, content=self.content.data,
            due_on=self.due_on.data, source_number=self.source_number.data or "", source_date=self.source_date.data,
            source_text=self.source_text.data or "", importance=Importance(self.importance.data),
            leader_id=self.leader_id.data, expected_result=self.expected_result.data or "",
            report_schedule=ReportSchedule(self.report_schedule.data),
            report_weekday=int(self.report_weekday.data or 5), report_day=self.report_day.data,
            warning_workdays=self.warning_workdays.data)

    def fill(self, item: TaskItem) -> None:
        for name in ("source_number", "source_date", "source_text", "title", "content", "expected_result", "due_on"):
            getattr(self, name).data = getattr(item, name)
        self.source_kind.data = item.source_kind.value
        self.importance.data = item.importance.value
        self.leader_id.data = item.leader_id
        self.report_schedule.data = item.report_schedule.value
        self.report_weekday.data = str(item.report_weekday or 5)
        self.report_day.data = item.report_day or 25
        self.warning_workdays.data = item.warning_workdays
        self.version.data = str(item.version)


def parse_milestones(text: str) -> list[MilestoneInput]:
    """``2026-07-15，方案报市政府，方案经常务会审议`` or ``10，完成摸底排查`` per line. A bad date is
    refused by the service's message (ValueError here becomes a form error)."""
    rows = []
    for n, line in enumerate((text or "").splitlines(), start=1):
        parts = [p.strip() for p in re.split(r"[，,；;\t]", line, maxsplit=2) if p.strip()]
        if not parts:
            continue
        if len(parts) < 2:
            raise ValueError(f"第 {n} 行节点应写作“日期或工作日数，节点名称，预期成果”。")
        when, title, expected = parts[0], parts[1], parts[2] if len(parts) > 2 else ""
        if when.isdigit():
            rows.append(MilestoneInput(title, expected, workdays=int(when)))
            continue
        try:
            day = date.fromisoformat(when.replace("/", "-").replace(".", "-"))
        except ValueError:
            raise ValueError(f"第 {n} 行节点的日期“{when[:20]}”无法识别，请写作 2026-07-15 或工作日数。") from None
        rows.append(MilestoneInput(title, expected, due_on=day))
    return rows


class TaskForm(BaseForm):
    """分解: one unit's task with its milestones."""

    department_id = SelectField("责任单位", coerce=_coerce_int, validators=[InputRequired(message="请选择责任单位。")])
    role = RadioField("承办方式", choices=TaskRole.choices(), default=TaskRole.LEAD.value,
                      validators=[InputRequired(message="请选择牵头或配合。")])
    responsible_person = limited(T.responsible_person, "责任人", optional=True)
    responsible_phone = limited(T.responsible_phone, "责任人电话", optional=True)
    requirements = limited(T.requirements, "任务要求", optional=True, textarea=True, render_kw={"rows": 3})
    due_on = DateField("完成时限（不填则为事项办结时限）", validators=[Optional()])
    milestones = limited(I.content, "节点", optional=True, textarea=True,
                         render_kw={"rows": 3, "placeholder": MILESTONE_HINT})

    def __init__(self, departments=(), *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.department_id.choices = [("", "（请选择）")] + [(d.id, d.name) for d in departments]

    def validate_milestones(self, field) -> None:
        try:
            parse_milestones(field.data)
        except ValueError as error:
            from wtforms.validators import ValidationError

            raise ValidationError(str(error)) from None


class SplitForm(TaskForm):
    """The lead unit's sub-task for a co-unit: no role to choose."""

    role = HiddenField(default=TaskRole.CO.value)


class MilestoneForm(BaseForm):
    title = limited(M.title, "节点名称")
    expected_result = limited(M.expected_result, "预期成果", optional=True)
    due_on = DateField("节点日期", validators=[Optional()])
    workdays = IntegerField("或：下发后第几个工作日", validators=[Optional(), NumberRange(1, 750, message="应为 1 至 750。")])


class NoteForm(VersionedForm):
    note = limited(TaskItem.__table__.c.review_note, "意见", optional=True, textarea=True, render_kw={"rows": 2})


class RequiredNoteForm(VersionedForm):
    note = limited(TaskItem.__table__.c.review_note, "意见", textarea=True, render_kw={"rows": 2})


class CancelForm(VersionedForm):
    note = limited(I.cancelled_reason, "撤销理由", textarea=True, render_kw={"rows": 2})


class ConfirmForm(VersionedForm):
    pass


class ReportForm(VersionedForm):
    percent = IntegerField("完成进度（%）", validators=[InputRequired(message="请填写完成进度。"),
                                                   NumberRange(0, 100, message="完成进度应为 0 至 100。")])
    content = limited(R.content, "工作进展", textarea=True, render_kw={"rows": 4})
    difficulties = limited(R.difficulties, "存在问题及需协调事项", optional=True, textarea=True, render_kw={"rows": 2})
    milestone_ids = SelectMultipleField("本次完成的节点", coerce=int, validators=[Optional()])
    files = MultipleFileField("佐证材料", render_kw={"accept": ACCEPT_ATTRIBUTE})

    def __init__(self, task: Task | None = None, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.milestone_ids.choices = [(m.id, f"{m.due_on:%Y-%m-%d} {m.title}")
                                      for m in (task.milestones if task else []) if m.done_on is None]


class InstructionForm(BaseForm):
    text = limited(TaskInstruction.__table__.c.text, "批示内容", textarea=True, render_kw={"rows": 2})


class ApplyForm(VersionedForm):
    summary = limited(TaskClosure.__table__.c.summary, "办结情况", textarea=True, render_kw={"rows": 4})


class ReviewForm(VersionedForm):
    decision = RadioField("复核意见", choices=[("close", "同意销号"), ("return", "退回")], default="close",
                          validators=[InputRequired(message="请选择复核意见。")])
    note = limited(TaskClosure.__table__.c.note, "复核意见 / 退回理由", optional=True, textarea=True,
                   render_kw={"rows": 2})


class GradeForm(VersionedForm):
    grade = SelectField("评价等次", choices=[("", "（不评等次）")] + TaskGrade.choices(), validators=[Optional()])
    score = IntegerField("评分（0–100，可不填）", validators=[Optional(), NumberRange(0, 100, message="评分应为 0 至 100。")])
    note = limited(T.grade_note, "评价说明", optional=True, textarea=True, render_kw={"rows": 2})


class FilesForm(BaseForm):
    files = MultipleFileField("来源文件（批示件扫描件、会议纪要等）", render_kw={"accept": ACCEPT_ATTRIBUTE})


class ListFilterForm(BaseForm):
    class Meta:
        csrf = False

    status = SelectField("状态", choices=[("", "全部")] + ItemStatus.choices(), validators=[Optional()])
    light = SelectField("亮灯", choices=[("", "全部"), ("red", "红灯（逾期）"), ("yellow", "黄灯（临期）"),
                                         ("green", "绿灯（正常）")], validators=[Optional()])
    source = SelectField("来源", choices=[("", "全部")] + TaskSourceKind.choices(), validators=[Optional()])
    leader = SelectField("分管领导", coerce=_coerce_int, validators=[Optional()])
    department = SelectField("责任单位", coerce=_coerce_int, validators=[Optional()])
    q = limited(I.title, "关键词", optional=True)


class UnitFilterForm(BaseForm):
    class Meta:
        csrf = False

    status = SelectField("状态", choices=[("", "全部")] + [(s.value, s.label) for s in TaskStatus
                                                          if s not in (TaskStatus.PLANNED, TaskStatus.CANCELLED)],
                         validators=[Optional()])
    light = ListFilterForm.light
    q = limited(I.title, "关键词", optional=True)


def list_filters(args, leaders=(), departments=()) -> ListFilterForm:
    form = ListFilterForm(args)
    form.leader.choices = [("", "全部")] + [(u.id, u.display_name) for u in leaders]
    form.department.choices = [("", "全部")] + [(d.id, d.name) for d in departments]
    drop_invalid(form)
    return form


def unit_filters(args) -> UnitFilterForm:
    form = UnitFilterForm(args)
    drop_invalid(form)
    return form


class UrgeForm(BaseForm):
    level = SelectField("方式", choices=[(level.value, level.label) for level in SupervisionLevel],
                        validators=[InputRequired(message="请选择催办、督办方式。")])
    note = limited(Escalation.__table__.c.note, "催办、督办意见", textarea=True, render_kw={"rows": 2})


class WarningForm(VersionedForm):
    """An item's own yellow light (``services.set_item_warning``)."""

    warning_workdays = IntegerField("黄灯提前天数（工作日，留空按督查设置）", validators=[
        Optional(), NumberRange(0, MAX_WARNING_WORKDAYS, message=f"黄灯提前天数应为 0 至 {MAX_WARNING_WORKDAYS} 个工作日。")])
