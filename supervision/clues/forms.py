from __future__ import annotations

import re

from flask_wtf.file import MultipleFileField
from wtforms import BooleanField, DateField, HiddenField, RadioField, SelectField
from wtforms.validators import InputRequired, Optional

from supervision.clues.services import PersonInput
from supervision.forms import BaseForm, drop_invalid, limited
from supervision.models.clues import (DIRECT_SOURCES, CadreLevel, Clue, ClueDisposal, ClueInquiry, ClueReporter,
                                      ClueSource, ClueStatus, ClueVerification, DisposalWay, InquiryOutcome,
                                      VerificationResult)
from supervision.uploads import ACCEPT_ATTRIBUTE

C = Clue.__table__.c
D = ClueDisposal.__table__.c
R = ClueReporter.__table__.c
PEOPLE_HINT = "每行一人：姓名，单位，职务，干部层级（厅局级 / 县处级 / 乡科级 / 一般干部 / 其他人员）"
_LEVELS = {level.label: level for level in CadreLevel}


def parse_people(text: str) -> list[PersonInput]:
    """``李某某，市住房和城乡建设局，科长，乡科级`` per line → people (the level is optional)."""
    people = []
    for line in (text or "").splitlines():
        parts = [p.strip() for p in re.split(r"[，,、;；]", line) if p.strip()]
        if not parts:
            continue
        level = CadreLevel.GENERAL
        if len(parts) > 1 and parts[-1] in _LEVELS:
            level = _LEVELS[parts.pop()]
        name, unit, post = (parts + ["", ""])[:2] + ["，".join(parts[2:])]
        people.append(PersonInput(name=name, unit=unit, post=post, cadre_level=level))
    return people


def people_text(people) -> str:
    return "\n".join("，".join(x for x in (p.name, p.unit, p.post, p.cadre_level.label) if x) for p in people)


class VersionedForm(BaseForm):
    version = HiddenField()

    def expected_version(self) -> int | None:
        return int(self.version.data) if (self.version.data or "").isdigit() else None


def _people_field(label: str = "被反映人"):
    return limited(C.summary, label, textarea=True, render_kw={"rows": 3, "placeholder": PEOPLE_HINT})


class RegisterForm(BaseForm):
    source = SelectField("线索来源", choices=[(s.value, s.label) for s in DIRECT_SOURCES],
                         validators=[InputRequired(message="请选择线索来源。")])
    source_note = limited(C.source_note, "来源说明（来文文号、移交单位等）", optional=True)
    received_on = DateField("收到日期", validators=[InputRequired(message="请填写收到日期。")])
    people = _people_field()
    summary = limited(C.summary, "问题摘要（函询通知书只引用摘要）", textarea=True, render_kw={"rows": 5})
    real_name = BooleanField("实名举报")
    reporter_name = limited(R.name, "举报人姓名", optional=True)
    reporter_phone = limited(R.phone, "联系电话", optional=True)
    reporter_id_number = limited(R.id_number, "身份证号", optional=True)
    reporter_work_unit = limited(R.work_unit, "工作单位", optional=True)
    reporter_address = limited(R.address, "住址", optional=True)


class FromMatterForm(VersionedForm):
    people = _people_field()
    summary = limited(C.summary, "问题摘要（默认取事项摘要）", textarea=True, render_kw={"rows": 5})


class ProposeForm(VersionedForm):
    way = RadioField("处置方式", choices=DisposalWay.choices(),
                     validators=[InputRequired(message="请选择处置方式。")])
    reason = limited(D.reason, "拟处置理由", textarea=True, render_kw={"rows": 3})
    review_on = DateField("重新研判日期（暂存待查时填写）", validators=[Optional()])


class ApproveForm(VersionedForm):
    studied_by = limited(D.studied_by, "集体研究（经……研究）", optional=True,
                         render_kw={"placeholder": "如 委（局）室务会"})
    note = limited(D.decision_note, "审批意见", optional=True, textarea=True, render_kw={"rows": 2})


class DeclineForm(VersionedForm):
    note = limited(D.decision_note, "不批准的理由或意见", textarea=True, render_kw={"rows": 2})


class NoteForm(VersionedForm):
    note = limited(D.decision_note, "说明", optional=True, textarea=True, render_kw={"rows": 2})


class ReporterForm(BaseForm):
    reason = limited(D.studied_by, "查看事由")


class ListFilterForm(BaseForm):
    class Meta:
        csrf = False

    status = SelectField("状态", choices=[("", "全部")] + ClueStatus.choices(), validators=[Optional()])
    source = SelectField("来源", choices=[("", "全部")] + ClueSource.choices(), validators=[Optional()])
    way = SelectField("处置方式", choices=[("", "全部")] + DisposalWay.choices(), validators=[Optional()])
    q = limited(C.source_note, "检索", optional=True)


def list_filters(args) -> tuple[ListFilterForm, dict[str, str]]:
    """The register's filters from a query string: one parser for the list page and its .xlsx ledger."""
    form = ListFilterForm(args)
    drop_invalid(form)
    return form, {"status": form.status.data or "", "source": form.source.data or "", "way": form.way.data or "",
                  "q": (form.q.data or "")[:60]}


# --- 函询 to the person ----------------------------------------------------------------------------
I = ClueInquiry.__table__.c


class IssueInquiryForm(VersionedForm):
    person_id = SelectField("被函询人", coerce=int, validators=[InputRequired(message="请选择被函询人。")])
    problems = limited(I.problems, "函询的问题（摘要，每行一条；不得出现举报人信息）", textarea=True, render_kw={"rows": 5})
    party_committee = limited(I.party_committee, "所在单位党委（党组）", render_kw={"placeholder": "如 中共示范市住房和城乡建设局党组"})

    def __init__(self, clue: Clue | None = None, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if clue is not None:
            self.person_id.choices = [(p.id, str(p)) for p in clue.people]
            if not self.problems.data:
                self.problems.data = clue.summary
            if not self.party_committee.data and clue.people:
                self.party_committee.data = f"{clue.people[0].unit}党委（党组）"


class ServeForm(BaseForm):
    served_on = DateField("送达日期（被函询人签收之日）", validators=[InputRequired(message="请填写送达日期。")])
    note = limited(I.served_note, "送达方式、签收人", optional=True)


class InquiryReplyForm(BaseForm):
    replied_on = DateField("收到书面说明日期", validators=[InputRequired(message="请填写收到日期。")])
    countersigned_by = limited(I.countersigned_by, "党委（党组）主要负责人签署意见（姓名、职务）")
    text = limited(I.reply_text, "书面说明（要点）", textarea=True, render_kw={"rows": 6})
    files = MultipleFileField("附件（签字的书面说明扫描件、证明材料）",
                              render_kw={"accept": ACCEPT_ATTRIBUTE, "multiple": True})


class OutcomeForm(VersionedForm):
    outcome = RadioField("函询处理意见", choices=InquiryOutcome.choices(),
                         validators=[InputRequired(message="请选择函询处理意见。")])
    note = limited(I.outcome_note, "审核意见", textarea=True, render_kw={"rows": 3})


class AddresseeForm(BaseForm):
    name = limited(I.addressee_name, "被函询人姓名")
    unit = limited(I.addressee_unit, "所在单位")
    post = limited(I.addressee_post, "职务", optional=True)
    party_committee = limited(I.party_committee, "所在单位党委（党组）", optional=True)


# --- 初步核实, 澄清正名, 诬告陷害 -------------------------------------------------------------------
V = ClueVerification.__table__.c


class PlanForm(VersionedForm):
    plan = limited(V.plan, "初核方案（核实内容、方法、步骤、人员）", textarea=True, render_kw={"rows": 4})


class WorkForm(VersionedForm):
    work_done = limited(V.work_done, "已开展的核实工作", textarea=True, render_kw={"rows": 4})


class VerificationReportForm(VersionedForm):
    report = limited(V.report, "初核情况报告", textarea=True, render_kw={"rows": 6})
    result = RadioField("初核结论", choices=VerificationResult.choices(),
                        validators=[InputRequired(message="请选择初核结论。")])
    found_untrue = BooleanField("反映的问题不属实")
    receiving_body = limited(V.receiving_body, "移送立案的接收单位", optional=True)


class ClearanceForm(VersionedForm):
    requested_by = limited(C.clearance_requested_by, "申请人（本人或所在单位）")
    note = limited(C.clearance_note, "澄清的范围和方式", textarea=True, render_kw={"rows": 2})


class FalseAccusationForm(VersionedForm):
    note = limited(C.false_accusation_note, "认定依据和处理意见", textarea=True, render_kw={"rows": 3})


class PeriodForm(BaseForm):
    class Meta:
        csrf = False

    date_from = DateField("自", validators=[Optional()])
    date_to = DateField("至", validators=[Optional()])
