from __future__ import annotations

import re

from flask_wtf.file import MultipleFileField
from wtforms import BooleanField, DateField, DateTimeLocalField, HiddenField, IntegerField, RadioField, SelectField
from wtforms.validators import InputRequired, Optional

from supervision.ids import parse_id
from supervision.forms import BaseForm, limited
from supervision.matters.forms import department_choices
from supervision.models.matters import Matter
from supervision.models.talks import AdmonitionForm, AppealOutcome, InquiryConclusion, Talk, TalkKind, TalkParticipant
from supervision.talks.services import PersonInput
from supervision.uploads import ACCEPT_ATTRIBUTE

T = Talk.__table__.c
P = TalkParticipant.__table__.c
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
PEOPLE_HINT = "每行一人：姓名，单位，职务（用逗号或顿号分隔）"
SERIAL_PATTERN = re.compile(r"[A-Za-z]{2}-\d{4}-\d{5}")


def parse_people(text: str) -> list[PersonInput]:
    """``张卫东，示范市行政效能投诉中心，督查科科长`` per line → people."""
    people = []
    for line in (text or "").splitlines():
        parts = [p.strip() for p in re.split(r"[，,、;；]", line) if p.strip()]
        if parts:
            people.append(PersonInput(*(parts[:2] + ["，".join(parts[2:])] if len(parts) > 2 else parts)))
    return people


def parse_exchanges(text: str) -> list[tuple[str, str]]:
    """Lines starting 问： / 答： (a line without a mark continues the previous one) → (question, answer)."""
    pairs: list[list[str]] = []
    current = None
    for raw in (text or "").splitlines():
        line = raw.strip()
        if not line:
            continue
        mark = line[:1]
        body = line[1:].lstrip("：: ") if mark in "问答" and line[1:2] in ("：", ":") else None
        if body is not None and mark == "问":
            pairs.append([body, ""])
            current = 0
        elif body is not None and mark == "答":
            if not pairs or pairs[-1][1]:
                pairs.append(["", body])
            else:
                pairs[-1][1] = body
            current = 1
        elif pairs and current is not None:
            pairs[-1][current] += "\n" + line
        else:
            pairs.append([line, ""])
            current = 0
    return [(q, a) for q, a in pairs]


def matter_serials(text: str) -> list[str]:
    return [s.upper() for s in SERIAL_PATTERN.findall(text or "")]


def people_text(participants) -> str:
    return "\n".join("，".join(x for x in (p.name, p.unit, p.post) if x) for p in participants)


class ProposeForm(BaseForm):
    subject_name = limited(T.subject_name, "谈话对象姓名")
    subject_department_id = SelectField("所在单位（系统内）", validators=[Optional()])
    subject_unit = limited(T.subject_unit, "所在单位（系统外单位时填写）", optional=True)
    subject_post = limited(T.subject_post, "职务", optional=True)
    subject_party_branch = limited(T.subject_party_branch, "所在党支部", optional=True)
    reason = limited(T.reason, "事由（反映的问题）", textarea=True, render_kw={"rows": 4})
    matters = limited(Matter.__table__.c.title, "关联事项编号", optional=True,
                      render_kw={"placeholder": "如 XT-2026-00017，多件用空格分隔"})
    studied_by = limited(T.studied_by, "研究机构（经……研究）", optional=True,
                         render_kw={"placeholder": "如 中心主任办公会"})
    proposal_note = limited(T.proposal_note, "拟办意见", optional=True, textarea=True, render_kw={"rows": 2})
    admonition_form = RadioField("诫勉方式", choices=AdmonitionForm.choices(), default=AdmonitionForm.TALK.value,
                                 validators=[Optional()])
    scheduled_at = DateTimeLocalField("拟谈话时间", format=DATETIME_FORMATS, validators=[Optional()])
    place = limited(T.place, "谈话地点", optional=True)
    talkers = limited(T.proposal_note, "谈话人", optional=True, textarea=True, render_kw={"rows": 2})
    recorder = limited(T.place, "记录人（姓名，单位，职务）", optional=True)

    def __init__(self, kind: TalkKind, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.subject_department_id.choices = department_choices("（系统外单位）")
        if kind != TalkKind.ADMONITION:
            del self["admonition_form"]
        if kind == TalkKind.INQUIRY:
            self.subject_name.label.text = "被函询人姓名"
            self.subject_department_id.label.text = "被函询单位"
            self.reason.label.text = "函询事由（内部掌握，不写入通知书）"
            self.matters.label.text = "关联事项编号（通知书只列其内容摘要）"
            for name in ("scheduled_at", "place", "talkers", "recorder"):
                del self[name]


class VersionedForm(BaseForm):
    version = HiddenField()

    def expected_version(self) -> int | None:
        return parse_id(self.version.data)


class NoteForm(VersionedForm):
    note = limited(T.approval_note, "说明", optional=True, textarea=True, render_kw={"rows": 2})


class ReasonForm(VersionedForm):
    note = limited(T.approval_note, "理由", textarea=True, render_kw={"rows": 3})


class NotifyForm(VersionedForm):
    scheduled_at = DateTimeLocalField("谈话时间", format=DATETIME_FORMATS, validators=[Optional()])
    place = limited(T.place, "谈话地点", optional=True)
    rest_day_confirmed = BooleanField("确认在非工作日谈话")


class ServeForm(VersionedForm):
    """书面诫勉: when the written notice was served, and what the person said in writing, if anything."""

    started_at = DateTimeLocalField("送达时间", format=DATETIME_FORMATS,
                                    validators=[InputRequired(message="请填写书面诫勉通知的送达时间。")])
    statement = limited(T.statement, "本人书面检查或表态（如有）", optional=True, textarea=True, render_kw={"rows": 3})
    commitments = limited(T.commitments, "整改措施 / 承诺（每行一条）", optional=True, textarea=True,
                          render_kw={"rows": 3})


class AppealForm(BaseForm):
    received_on = DateField("收到申诉日期", validators=[InputRequired(message="请填写收到申诉的日期。")])
    note = limited(T.appeal_note, "申诉主要理由", textarea=True, render_kw={"rows": 3})


class AppealDecisionForm(BaseForm):
    outcome = RadioField("处理决定", choices=AppealOutcome.choices(),
                         validators=[InputRequired(message="请选择维持、变更或撤销。")])
    decided_on = DateField("决定日期", validators=[InputRequired(message="请填写作出申诉处理决定的日期。")])
    influence_months = IntegerField("变更后的影响期（月，仅变更时填写）", validators=[Optional()],
                                    render_kw={"min": 1, "max": 60, "inputmode": "numeric"})
    decision = limited(T.appeal_decision, "申诉处理决定（将书面告知申诉人）", textarea=True, render_kw={"rows": 3})


class HoldForm(VersionedForm):
    started_at = DateTimeLocalField("开始时间", format=DATETIME_FORMATS,
                                    validators=[InputRequired(message="请填写谈话开始时间。")])
    ended_at = DateTimeLocalField("结束时间", format=DATETIME_FORMATS,
                                  validators=[InputRequired(message="请填写谈话结束时间。")])
    place = limited(T.place, "谈话地点（与通知不同时填写）", optional=True)
    exchanges = limited(T.statement, "谈话内容（问答）", textarea=True,
                        render_kw={"rows": 8, "placeholder": "问：……\n答：……\n问：……\n答：……"})
    statement = limited(T.statement, "谈话对象表态", textarea=True, render_kw={"rows": 4})
    commitments = limited(T.commitments, "整改措施 / 承诺（每行一条）", optional=True, textarea=True,
                          render_kw={"rows": 3})


class ReplyForm(VersionedForm):
    text = limited(T.reply_text, "函询回复（逐项说明，经单位主要负责人签字）", textarea=True, render_kw={"rows": 8})
    files = MultipleFileField("附件（签字盖章的书面说明扫描件、证明材料）",
                              render_kw={"accept": ACCEPT_ATTRIBUTE, "multiple": True})


class FollowUpForm(VersionedForm):
    conclusion = RadioField("函询处理意见", choices=InquiryConclusion.choices(), validators=[Optional()])
    note = limited(T.follow_up_note, "跟踪情况", textarea=True, render_kw={"rows": 3})

    def __init__(self, talk: Talk | None = None, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if talk is not None and talk.is_inquiry:
            self.note.label.text = "对回复的审核意见"
        elif talk is not None:
            del self["conclusion"]
            self.note.label.text = "表态和整改措施落实情况"


class RegisterForm(BaseForm):
    date_from = DateField("自", validators=[InputRequired(message="请选择起始日期。")])
    date_to = DateField("至", validators=[InputRequired(message="请选择截止日期。")])


class ListFilterForm(BaseForm):
    class Meta:
        csrf = False

    kind = SelectField("类型", choices=[("", "全部")] + TalkKind.choices(), validators=[Optional()])
    status = SelectField("状态", validators=[Optional()])
    q = limited(T.subject_name, "谈话对象", optional=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from supervision.models.talks import TalkStatus

        # a 书面诫勉 "held" was served, not talked (Talk.status_label): the filter names both
        self.status.choices = [("", "全部")] + [(value, "已谈话／已送达" if value == TalkStatus.HELD.value else label)
                                              for value, label in TalkStatus.choices()]
