from __future__ import annotations

from flask_wtf.file import MultipleFileField
from sqlalchemy import case, select
from wtforms.fields.choices import SelectChoice
from wtforms import BooleanField, DateField, HiddenField, IntegerField, RadioField, SelectField, SelectMultipleField
from wtforms.validators import InputRequired, Optional

from supervision import readcache
from supervision.ids import parse_id
from supervision.extensions import db
from supervision.forms import BaseForm, BatchForm, CheckboxGroups, drop_invalid, limited, required
from supervision.matters.queries import MatterFilters
from supervision.models.matters import (
    CHANNELS_BY_KIND,
    Assignment,
    Category,
    Complainant,
    ComplaintClass,
    Matter,
    MatterKind,
    MatterStatus,
    Reply,
    Satisfaction,
)
from supervision.models.org import Department, DepartmentKind
from supervision.uploads import ACCEPT_ATTRIBUTE

M = Matter.__table__.c
C = Complainant.__table__.c


# Pickers list the units the office assigns to most first: 市直部门, then 区县, 乡镇街道, the rest.
KIND_ORDER = [DepartmentKind.CITY, DepartmentKind.DISTRICT, DepartmentKind.TOWNSHIP, DepartmentKind.OTHER]


def _active_departments() -> tuple[tuple[int, str, DepartmentKind], ...]:
    rank = case({kind: position for position, kind in enumerate(KIND_ORDER)}, value=Department.kind, else_=len(KIND_ORDER))
    return readcache.until_next_write(db.session, ("active_departments",), lambda: tuple(
        (i, n, kind) for i, n, kind in db.session.execute(
            select(Department.id, Department.name, Department.kind).where(Department.active)
            .order_by(rank, Department.code))))


def department_choices(blank: str | None = "（请选择）") -> list[tuple[str, str]]:
    """Active units as (id, name), 市直部门 first: for the plain selects of filters."""
    return ([("", blank)] if blank is not None else []) + [(str(i), n) for i, n, _ in _active_departments()]


def grouped_department_choices(blank: str | None = "（请选择）") -> list[SelectChoice]:
    """Active units grouped by kind (an optgroup or a fieldset each), 市直部门 first: for the pickers."""
    return ([SelectChoice("", blank)] if blank is not None else []) + [
        SelectChoice(str(i), n, optgroup=kind.label) for i, n, kind in _active_departments()]


def files_field(label: str) -> MultipleFileField:
    return MultipleFileField(label, render_kw={"accept": ACCEPT_ATTRIBUTE, "multiple": True})


class RegisterForm(BaseForm):
    channel = SelectField("来源渠道", validators=[required()])
    category_id = SelectField("问题类别", validators=[Optional()])
    received_on = DateField("收件日期", validators=[InputRequired(message="请填写收件日期。")])
    title = limited(M.title, "事由（标题）")
    content = limited(M.content, "反映内容", textarea=True, render_kw={"rows": 8})
    summary = limited(M.summary, "内容摘要（交办单位看到的内容，不得含反映人信息）", optional=True, textarea=True)
    respondent_department_id = SelectField("被反映单位", validators=[Optional()])
    respondent_unit = limited(M.respondent_unit, "被反映单位（系统外单位时填写）", optional=True)
    respondent_person = limited(M.respondent_person, "被反映人员", optional=True)
    anonymous = BooleanField("匿名反映")
    confidential = BooleanField("要求保密")
    name = limited(C.name, "姓名", optional=True)
    phone = limited(C.phone, "联系电话", optional=True)
    id_number = limited(C.id_number, "身份证号", optional=True)
    address = limited(C.address, "住址", optional=True)
    work_unit = limited(C.work_unit, "工作单位", optional=True)
    email = limited(C.email, "电子邮箱（告知书可发送至此）", optional=True, render_kw={"type": "email"})
    inspected_on = DateField("检查日期", validators=[Optional()])
    place = limited(M.place, "检查地点", optional=True)
    inspectors = limited(M.inspectors, "检查人员", optional=True)
    problems = limited(M.problems, "发现的问题（每行一条）", optional=True, textarea=True)
    files = files_field("证据材料")

    def __init__(self, kind: MatterKind, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.channel.choices = [(c.value, c.label) for c in CHANNELS_BY_KIND[kind]]
        self.category_id.choices = [("", "（请选择）")] + [
            (str(c.id), c.name) for c in db.session.scalars(
                select(Category).where(Category.matter_kind == kind, Category.active).order_by(Category.sort_order))]
        self.respondent_department_id.choices = grouped_department_choices("（系统外单位或无）")


class VersionedForm(BaseForm):
    version = HiddenField()

    def expected_version(self) -> int | None:
        return parse_id(self.version.data)


class NoteForm(VersionedForm):
    note = limited(M.decision_reason, "说明", optional=True, textarea=True, render_kw={"rows": 2})


class AcceptForm(NoteForm):
    complaint_class = RadioField("信访类别", choices=ComplaintClass.choices(), validators=[Optional()])

    def chosen_class(self, matter: Matter) -> ComplaintClass | None:
        """The class chosen; intake must choose one for a complaint (a suggestion defaults to 建议意见)."""
        if self.complaint_class.data in ComplaintClass._value2member_map_:
            return ComplaintClass(self.complaint_class.data)
        if matter.kind == MatterKind.COMPLAINT:
            from supervision.errors import ValidationError

            raise ValidationError("请选择信访类别：建议意见、检举控告或申诉求决。")
        return None


class ClassifyForm(VersionedForm):
    complaint_class = RadioField("更正为", choices=ComplaintClass.choices(),
                                 validators=[InputRequired(message="请选择信访类别。")])
    note = limited(M.decision_reason, "更正理由", textarea=True, render_kw={"rows": 2})


class ProposeForm(VersionedForm):
    note = limited(M.proposed_handling, "拟办意见", textarea=True,
                   render_kw={"rows": 3, "placeholder": "如：建议交市市场监督管理局调查处理，限期答复。"})


class InstructForm(VersionedForm):
    note = limited(M.leader_instruction, "批示", textarea=True, render_kw={"rows": 3})


class ReasonForm(VersionedForm):
    note = limited(M.decision_reason, "理由", textarea=True, render_kw={"rows": 3})


class WaiveForm(BaseForm):
    reason = limited(Assignment.__table__.c.waiver_reason, "免于等待的理由", optional=True, textarea=True,
                     render_kw={"rows": 2})


class ReworkForm(ReasonForm):
    new_due_on = DateField("重办时限（已按规定时限计算，可提前，须为工作日）", validators=[Optional()])


ASSIGNED_TITLE_HINT = "交办单位看到的标题。群众自拟的标题可能含姓名、电话等，须由受理人员改写或确认后方可交办。"


def respondent_fields() -> tuple:
    """被反映单位/人员 as the departments will read them: prefilled with the citizen's text for intake
    to rewrite or confirm (a citizen may have typed their own name or phone there)."""
    return (limited(M.assigned_respondent_unit, "被反映单位（交办单位看到的）", optional=True),
            limited(M.assigned_respondent_person, "被反映人员（交办单位看到的）", optional=True))


class SummaryForm(VersionedForm):
    assigned_title = limited(M.assigned_title, "交办标题", optional=True)
    assigned_respondent_unit, assigned_respondent_person = respondent_fields()
    summary = limited(M.summary, "内容摘要", textarea=True, render_kw={"rows": 5})


class CorrectForm(VersionedForm):
    """更正登记信息 (until 交办): the basic fields as registered, and why they change."""

    title = limited(M.title, "事由（标题）")
    channel = SelectField("来源渠道", validators=[required()])
    category_id = SelectField("问题类别", validators=[Optional()])
    received_on = DateField("收件日期", validators=[InputRequired(message="请填写收件日期。")])
    respondent_department_id = SelectField("被反映单位", validators=[Optional()])
    respondent_unit = limited(M.respondent_unit, "被反映单位（系统外单位时填写）", optional=True)
    respondent_person = limited(M.respondent_person, "被反映人员", optional=True)
    inspected_on = DateField("检查日期", validators=[Optional()])
    place = limited(M.place, "检查地点", optional=True)
    inspectors = limited(M.inspectors, "检查人员", optional=True)
    note = limited(M.decision_reason, "更正理由", textarea=True, render_kw={"rows": 2})

    def __init__(self, *args, matter: Matter | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        kinds = [matter.kind] if matter is not None else list(MatterKind)
        self.channel.choices = [(c.value, c.label) for c in dict.fromkeys(
            c for kind in kinds for c in CHANNELS_BY_KIND[kind])]
        self.category_id.choices = [("", "（请选择）")] + [
            (str(c.id), c.name) for c in db.session.scalars(
                select(Category).where(Category.matter_kind.in_(kinds), Category.active).order_by(Category.sort_order))]
        self.respondent_department_id.choices = grouped_department_choices("（系统外单位或无）")
        if matter is not None:
            if matter.category is not None and not matter.category.active:  # keep showing a retired one
                self.category_id.choices.append((str(matter.category.id), f"{matter.category.name}（已停用）"))
            if matter.kind != MatterKind.FINDING:
                for name in ("inspected_on", "place", "inspectors"):
                    delattr(self, name)

    def fill(self, matter: Matter) -> None:
        """The form as the matter stands (a GET of the matter page)."""
        self.title.data, self.channel.data = matter.title, matter.channel.value
        self.category_id.data = str(matter.category_id or "")
        self.received_on.data = matter.received_on
        self.respondent_department_id.data = str(matter.respondent_department_id or "")
        named = matter.respondent_department.name if matter.respondent_department else ""
        self.respondent_unit.data = "" if matter.respondent_unit == named else matter.respondent_unit
        self.respondent_person.data = matter.respondent_person
        if matter.kind == MatterKind.FINDING:
            self.inspected_on.data, self.place.data = matter.inspected_on, matter.place
            self.inspectors.data = matter.inspectors


class DuplicateForm(VersionedForm):
    original = limited(M.serial, "原件编号", render_kw={"placeholder": "如 XT-2026-00017"})
    note = limited(M.decision_reason, "说明", optional=True, textarea=True, render_kw={"rows": 2})


class MergeForm(VersionedForm):
    """并入此件: the possible duplicate listed on the page is the original; nothing to type."""

    original_id = HiddenField(validators=[required()])


class AssignForm(VersionedForm):
    assigned_title = limited(M.assigned_title, "交办标题", optional=True)
    assigned_respondent_unit, assigned_respondent_person = respondent_fields()
    lead_id = SelectField("主办单位", validators=[required()], render_kw={"data-filterable": "输入单位名称筛选主办单位"})
    co_ids = SelectMultipleField("协办单位（可多选）", validators=[Optional()], widget=CheckboxGroups("输入单位名称筛选协办单位"))
    requirements = limited(Assignment.__table__.c.requirements, "交办意见 / 办理要求", optional=True, textarea=True,
                           render_kw={"rows": 3})
    due_on = DateField("办理时限（留空按规定时限自动计算）", validators=[Optional()])
    avoidance_reason = limited(Assignment.__table__.c.avoidance_override, "回避例外理由", optional=True,
                               textarea=True, render_kw={"rows": 2})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.lead_id.choices = grouped_department_choices()
        self.co_ids.choices = grouped_department_choices(None)


class AssignmentForm(VersionedForm):
    """Acting on one assignment (sign for, return, reply): which one travels in the form."""

    assignment_id = HiddenField(validators=[required()])

    def assignment_of(self, matter: Matter) -> Assignment | None:
        return next((a for a in matter.assignments if str(a.id) == self.assignment_id.data), None)


class ReturnForm(AssignmentForm):
    note = limited(Assignment.__table__.c.return_reason, "退回理由", textarea=True,
                   render_kw={"rows": 3})


class ExtensionForm(AssignmentForm):
    requested_due_on = DateField("申请延期至", validators=[InputRequired(message="请填写申请的新时限。")])
    note = limited(Assignment.__table__.c.return_reason, "延期理由", textarea=True,
                   render_kw={"rows": 3})


class DecideExtensionForm(VersionedForm):
    extension_id = HiddenField(validators=[required()])
    decision = RadioField("审批意见", choices=[("approve", "批准"), ("refuse", "不予批准")],
                          validators=[InputRequired(message="请选择审批意见。")])
    new_due_on = DateField("批准的新时限（留空按申请）", validators=[Optional()])
    note = limited(M.decision_reason, "审批说明", optional=True, textarea=True,
                   render_kw={"rows": 2})


class ReplyForm(AssignmentForm):
    result = limited(Reply.__table__.c.result, "办理结果（调查核实情况、处理意见、整改措施）", textarea=True,
                     render_kw={"rows": 6})
    public_reply = limited(Reply.__table__.c.public_reply, "给反映人的答复意见（审核通过后反映人可凭查询码查看）",
                           optional=True, textarea=True, render_kw={"rows": 4})
    files = files_field("附件（办结报告扫描件、整改照片等）")


class ReviewForm(VersionedForm):
    decision = RadioField("审核意见", choices=[("approve", "审核通过"), ("rework", "退回重办")],
                          validators=[InputRequired(message="请选择审核意见。")])
    note = limited(Reply.__table__.c.review_note, "审核意见说明（退回重办时必填）", optional=True, textarea=True,
                   render_kw={"rows": 3})
    public_reply = limited(M.public_reply, "对外答复（可修改后发布）", optional=True, textarea=True,
                           render_kw={"rows": 4})
    new_due_on = DateField("重办时限（留空按规定时限自今日重新计算）", validators=[Optional()])


class BatchReviewForm(BatchForm):
    """批量审核通过 from the 待审核 list: the ticked matters, the version each row was read at ("id:version"),
    and one shared 审核意见. Each matter is approved by its own ``review_reply``; 退回重办 stays one by one
    (its reason and deadline are each report's own)."""

    versions = SelectMultipleField(validate_choice=False)
    note = limited(Reply.__table__.c.review_note, "审核意见（各件共用，可不填）", optional=True,
                   render_kw={"placeholder": "如：办理结果属实，同意办结。"})

    def version_of(self, matter_id: int) -> int | None:
        """The version the row of ``matter_id`` was read at, or None when the page did not carry it."""
        for raw in self.versions.data or []:
            key, _, version = str(raw).partition(":")
            if key == str(matter_id) and version.isdigit():
                return int(version)
        return None


class FollowUpForm(VersionedForm):
    satisfaction = RadioField("回访结果", choices=Satisfaction.choices(),
                              validators=[InputRequired(message="请选择回访结果。")])
    note = limited(M.followup_note, "回访记录", optional=True, textarea=True, render_kw={"rows": 3})


class IdentityForm(BaseForm):
    reason = limited(M.decision_reason, "查看事由", render_kw={"placeholder": "如：回访核实、联系补充材料"})


class ListFilterForm(BaseForm):
    class Meta:
        csrf = False

    kind = SelectField("类型", choices=[("", "全部")] + MatterKind.choices(), validators=[Optional()])
    status = SelectField("状态", choices=[("", "全部")] + MatterStatus.choices(), validators=[Optional()])
    department = SelectField("主办单位", validators=[Optional()])
    category = SelectField("类别", validators=[Optional()])
    channel = SelectField("渠道", validators=[Optional()])
    date_from = DateField("收件自", validators=[Optional()])
    date_to = DateField("收件至", validators=[Optional()])
    overdue = BooleanField("仅看逾期")
    q = limited(M.title, "关键词", optional=True)
    sort = SelectField("排序", choices=[("-received", "收件日期（新→旧）"), ("received", "收件日期（旧→新）"),
                                       ("due", "办理时限（近→远）"), ("-serial", "编号")], validators=[Optional()])
    page = IntegerField(validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from supervision.models.matters import Channel

        self.department.choices = department_choices("全部")
        self.category.choices = [("", "全部")] + list(readcache.until_next_write(db.session, ("category_choices",),
            lambda: tuple((str(c.id), f"{c.matter_kind.label}·{c.name}") for c in db.session.scalars(
                select(Category).where(Category.active).order_by(Category.matter_kind, Category.sort_order)))))
        self.channel.choices = [("", "全部")] + Channel.choices()


def list_filters(args, user, *, keyword_ids: bool = True) -> tuple[ListFilterForm, MatterFilters]:
    """The list's filters from a query string: one parser for the list page and its .xlsx ledgers.
    ``keyword_ids=False``: the keyword's matters are not looked up yet (``find_keyword_ids``): the list
    page does it only when it renders the page again."""
    form = ListFilterForm(args)
    drop_invalid(form)
    filters = MatterFilters(
        kind=form.kind.data or "", status=form.status.data or "",
        department_id=parse_id(form.department.data), category_id=parse_id(form.category.data),
        channel=form.channel.data or "", date_from=form.date_from.data, date_to=form.date_to.data,
        overdue=bool(form.overdue.data), q=(form.q.data or "")[:100], sort=form.sort.data or "-received")
    if keyword_ids:
        find_keyword_ids(filters, user)
    return form, filters


def find_keyword_ids(filters: MatterFilters, user) -> None:
    """The matters of the keyword, from the same full-text index as the search page; left None (the list
    uses LIKE) when the index is off or not built."""
    from supervision.search import service as search

    if filters.q:
        filters.keyword_matter_ids = search.matter_ids(user, filters.q)
