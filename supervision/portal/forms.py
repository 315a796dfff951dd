from __future__ import annotations

import re

from flask_wtf.file import MultipleFileField
from sqlalchemy import select
from wtforms import BooleanField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Optional, ValidationError

from supervision.ids import parse_id
from supervision.extensions import db
from supervision.forms import BaseForm, limited, required
from supervision.models.complainants import ReviewRequest
from supervision.models.matters import Category, Complainant, Matter, MatterKind, Satisfaction
from supervision.models.org import Department
from supervision.models.portal import CitizenRating, PeriodKind
from supervision.portal import services
from supervision.uploads import ACCEPT_ATTRIBUTE, sniff

M = Matter.__table__.c
C = Complainant.__table__.c
# A tag or a script opener: "<script", "</b", "<img", "<!--". A lone "<" (收费 <200 元) is fine.
MARKUP = re.compile(r"<\s*[a-zA-Z!/?]|javascript:", re.IGNORECASE)
PHONE = re.compile(r"^[0-9+\-（）() ]{7,20}$")


def no_markup(form, field) -> None:
    if field.data and MARKUP.search(field.data):
        raise ValidationError("请不要输入网页代码或尖括号标记（如 <script>），请用文字描述。")


class PublicForm(BaseForm):
    """Every text field of a public form refuses markup, with the message next to the field."""

    def validate(self, extra_validators=None) -> bool:
        extra = dict(extra_validators or {})
        for name, field in self._fields.items():
            if isinstance(field, (StringField, TextAreaField)) and field.type not in ("CSRFTokenField",):
                extra.setdefault(name, []).append(no_markup)
        return super().validate(extra_validators=extra)


class SubmitForm(PublicForm):
    mode = RadioField("反映方式", choices=[("named", "实名反映（留下姓名和电话，便于联系和回访）"),
                                          ("anonymous", "匿名反映（不留姓名和电话）")],
                      default="named", validators=[InputRequired(message="请选择实名或匿名。")])
    name = limited(C.name, "姓名（实名反映必填）", optional=True, render_kw={"autocomplete": "name"})
    phone = limited(C.phone, "联系电话（实名反映必填）", optional=True, render_kw={"autocomplete": "tel", "inputmode": "tel"})
    email = limited(C.email, "电子邮箱（可选，受理、答复等告知书将同时发送至此）", optional=True,
                    render_kw={"autocomplete": "email", "type": "email"})
    confidential = BooleanField("要求对我的身份保密")
    category_id = SelectField("问题类别", validators=[required()])
    respondent_department_id = SelectField("被投诉单位", validate_choice=False, validators=[Optional()])
    respondent_unit = limited(M.respondent_unit, "单位名称（列表中没有时填写）", optional=True)
    respondent_person = limited(M.respondent_person, "被投诉人员（知道时填写）", optional=True)
    title = limited(M.title, "标题（一句话概括）")
    content = limited(M.content, "反映内容", textarea=True, render_kw={"rows": 8})
    files = MultipleFileField("附件（可选）", render_kw={"accept": ACCEPT_ATTRIBUTE, "multiple": True})
    captcha = StringField("验证问题", validators=[required()],
                          render_kw={"inputmode": "numeric", "autocomplete": "off", "maxlength": 4})
    # Honeypot: hidden from people by CSS; a bot that fills every field gives itself away.
    website = StringField("网址（请勿填写）", render_kw={"autocomplete": "off", "tabindex": "-1"})

    def __init__(self, kind: MatterKind, max_files: int, max_bytes: int, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind, self.max_files, self.max_bytes = kind, max_files, max_bytes
        self.category_id.choices = [("", "（请选择）")] + [
            (str(c.id), c.name) for c in db.session.scalars(
                select(Category).where(Category.matter_kind == kind, Category.active).order_by(Category.sort_order))]
        departments = db.session.execute(select(Department.id, Department.name).where(Department.active)
                                         .order_by(Department.code)).all()
        self.respondent_department_id.choices = [("", "（不在列表中，请在下方填写）")] + [
            (str(i), n) for i, n in departments]
        if kind == MatterKind.SUGGESTION:
            self.respondent_department_id.label.text = "建议涉及的单位（可选）"
            self.title.label.text = "建议主题"
            self.content.label.text = "建议内容"
        self.uploads: list[tuple[str, bytes]] = []

    # --- the rules that need the database or the files -------------------------------------------
    @property
    def anonymous(self) -> bool:
        return self.mode.data == "anonymous"

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        # Rules across fields (an empty optional field skips its own validators).
        if not self.anonymous:
            if not self.name.data:
                self.name.errors.append("实名反映请填写姓名。")
            if not self.phone.data:
                self.phone.errors.append("实名反映请填写联系电话。")
            elif not self.phone.errors and not PHONE.match(self.phone.data):
                self.phone.errors.append("请填写正确的电话号码（手机或带区号的固定电话）。")
        if self.kind == MatterKind.COMPLAINT and not self.respondent_unit.data \
                and not self.respondent_department_id.data:
            self.respondent_unit.errors.append("请选择被投诉单位，或在此填写单位名称。")
        return valid and not any(f.errors for f in (self.name, self.phone, self.respondent_unit))

    def department(self) -> Department | None:
        raw = self.respondent_department_id.data or ""
        return db.session.get(Department, parse_id(raw)) if parse_id(raw) else None

    def category(self) -> Category | None:
        raw = self.category_id.data or ""
        return db.session.get(Category, parse_id(raw)) if parse_id(raw) else None

    def validate_respondent_department_id(self, field) -> None:
        if not field.data:
            return
        department = self.department()
        if department is None or not department.active:
            raise ValidationError("所选单位不存在或已停用，请重新选择；列表中没有的，请在下方填写单位名称。")

    def validate_category_id(self, field) -> None:
        category = self.category()
        if category is None or category.matter_kind != self.kind or not category.active:
            raise ValidationError("请从列表中选择问题类别。")

    def validate_files(self, field) -> None:
        files = [f for f in (field.data or []) if getattr(f, "filename", "")]
        if len(files) > self.max_files:
            raise ValidationError(f"最多上传 {self.max_files} 个附件。")
        limit_mb = self.max_bytes / 1048576
        uploads = []
        for item in files:
            data = item.read()
            name = (item.filename or "附件").rsplit("/", 1)[-1]
            if not data:
                raise ValidationError(f"文件“{name}”是空的。")
            if len(data) > self.max_bytes:
                raise ValidationError(f"文件“{name}”过大，单个文件不能超过 {limit_mb:g} MB。")
            if sniff(data[:16], data) is None:
                raise ValidationError(f"文件“{name}”的类型不允许上传。可上传：图片（JPG/PNG/GIF）、PDF、"
                                      "Word/Excel/PPT 文档、录音（MP3/WAV/M4A/AMR）。")
            uploads.append((item.filename, data))
        self.uploads = uploads

    def submission(self) -> services.Submission:
        return services.Submission(
            kind=self.kind, title=self.title.data, content=self.content.data, anonymous=self.anonymous,
            name="" if self.anonymous else self.name.data, phone="" if self.anonymous else self.phone.data,
            email="" if self.anonymous else (self.email.data or ""),
            confidential=bool(self.confidential.data), category=self.category(),
            respondent_department=self.department(), respondent_unit=self.respondent_unit.data,
            respondent_person=self.respondent_person.data if self.kind == MatterKind.COMPLAINT else "")


class LookupForm(PublicForm):
    serial = StringField("事项编号", validators=[required()],
                         render_kw={"placeholder": "如 XT-2026-00017", "autocomplete": "off", "maxlength": 20})
    query_code = StringField("查询码", validators=[required()],
                             render_kw={"placeholder": "8 位字母和数字", "autocomplete": "off", "maxlength": 12,
                                        "autocapitalize": "characters"})

    def validate_serial(self, field) -> None:
        field.data = services.normalise_serial(field.data)
        if not services.SERIAL_PATTERN.match(field.data):
            raise ValidationError("事项编号的格式应如 XT-2026-00017（字母、年份、五位序号，用短横线连接）。")

    def validate_query_code(self, field) -> None:
        field.data = services.normalise_code(field.data)
        if not services.QUERY_CODE_PATTERN.match(field.data):
            raise ValidationError("查询码为 8 位字母和数字（不含 0、1、I、O），请对照回执重新输入。")


class RatingForm(PublicForm):
    satisfaction = RadioField("您对办理结果的评价", choices=Satisfaction.choices(),
                              validators=[InputRequired(message="请选择满意、基本满意或不满意。")])
    comment = limited(CitizenRating.__table__.c.comment, "意见（可选）", optional=True, textarea=True,
                      render_kw={"rows": 3})


class PeriodForm(BaseForm):
    """The staff page: which period to compute and publish (month or quarter is read by the kind)."""

    period_kind = SelectField("统计周期", choices=PeriodKind.choices(), default=PeriodKind.MONTH.value)
    year = SelectField("年份", validators=[required()])
    month = SelectField("月份（月度）", choices=[(str(m), f"{m}月") for m in range(1, 13)], validators=[Optional()])
    quarter = SelectField("季度（季度）", choices=[(str(q), f"第{'一二三四'[q - 1]}季度") for q in range(1, 5)],
                          validators=[Optional()])

    def __init__(self, this_year: int, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.year.choices = [(str(y), f"{y}年") for y in range(this_year, this_year - 6, -1)]

    def period(self) -> services.Period:
        kind = PeriodKind(self.period_kind.data)
        number = {PeriodKind.MONTH: self.month.data, PeriodKind.QUARTER: self.quarter.data}.get(kind)
        return services.period_of(kind, int(self.year.data), int(number) if (number or "").isdigit() else None)


class ReviewRequestForm(PublicForm):
    """复查 / 复核 asked by the citizen on the progress page (number + query code already checked)."""

    reason = limited(ReviewRequest.__table__.c.reason, "理由", textarea=True, render_kw={"rows": 5})
