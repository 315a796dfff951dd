"""What each document shows: one frozen dataclass per document (docs/domain.md §7, "What each carries").

The documents that go to a department (交办单, 催办单/督办通知书, 整改通知书, 函询通知书) have no
field for the complainant at all — no name, phone, ID number, address or work unit.  What a
department learns of a complaint is the intake clerk's summary (《信访工作条例》§30).  A field
that is not here cannot leak into a document.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from supervision.models.escalation import SupervisionLevel  # noqa: F401  (documents carry the level)


@dataclass(frozen=True)
class DocNumber:
    """Year and sequence of a 发文字号; the 机关代字 comes from the office profile."""

    year: int
    seq: int


@dataclass(frozen=True)
class Person:
    """A named official: talk subject, talker, recorder."""

    name: str
    unit: str = ""
    post: str = ""

    @property
    def described(self) -> str:
        """``张三（某某局副局长）``."""
        where = f"{self.unit}{self.post}"
        return f"{self.name}（{where}）" if where else self.name


class AdmonitionMethod(StrEnum):
    talk = "talk"
    written = "written"

    @property
    def label(self) -> str:
        return "谈话诫勉" if self is AdmonitionMethod.talk else "书面诫勉"


# ---- documents that go to a department: no complainant identity ------------------------------


@dataclass(frozen=True)
class AssignmentSlip:
    """交办单: the matter as the department may see it, and a block for its answer."""

    number: DocNumber
    matter_number: str  # XT-2026-00017
    channel: str  # 来源渠道: 来电 / 来信 / 来访 / 网络 / 12345转办 / 明察暗访 …
    received_on: date
    category: str  # 问题类别
    respondent_unit: str  # 被投诉单位
    summary: str  # 内容摘要 — written by intake, never the complaint itself
    lead_unit: str  # 主办单位
    assigned_on: date
    deadline: date
    respondent_person: str = ""  # 被投诉人员 (the official complained about)
    proposed_handling: str = ""  # 拟办意见
    leader_instruction: str = ""  # 领导批示
    co_units: tuple[str, ...] = ()  # 协办单位
    deadline_provisional: bool = False
    requirements: str = ""  # 办理要求; "" → the office's standard wording
    result: str = ""  # 办理结果, filled in by the department
    review_opinion: str = ""  # 审核意见
    follow_up: str = ""  # 回访情况
    return_within_workdays: int = 5  # 退回 limit (信访工作条例 §23), from the time-limit rules
    title: str = ""  # 交办标题 — written or approved by the office (permissions.department_title)


@dataclass(frozen=True)
class ReminderNotice:
    """催办单 (电话催办) or 督办通知书 (书面 / 挂牌 / 提级督办) for an overdue assignment."""

    number: DocNumber
    level: SupervisionLevel
    addressee: str  # the department
    assignment_number: str  # the original 交办 number
    matter: str  # the matter, as summarised on the 交办单
    original_deadline: date
    days_overdue: int
    new_deadline: date
    issued_on: date
    matter_number: str = ""
    assigned_on: date | None = None
    overdue_in_workdays: bool = True
    reminder_count: int = 1  # 第几次催办
    new_deadline_provisional: bool = False
    requirements: str = ""  # "" → the standard wording for the level
    leader_in_charge: str = ""  # 分管领导, copied in
    copy_to: tuple[str, ...] | None = None  # None → the office profile's default
    sent_as: str = "交办单"  # how it was sent: 交办单 / 督查通知
    awaited: str = "办理结果"  # what the unit has not sent: 办理结果 / 进度反馈 / 节点完成情况


@dataclass(frozen=True)
class RectificationNotice:
    """整改通知书 with its 送达回执."""

    number: DocNumber
    addressee: str  # the inspected unit
    source: str  # 明察暗访 / 政务公开检查 / 专项检查 / 效能投诉核查
    problems: tuple[str, ...]
    deadline: date
    issued_on: date
    inspected_on: date | None = None
    basis: str = ""  # e.g. 《某某市机关效能问责办法》
    requirements: tuple[str, ...] = ()  # "" → the standard requirements
    deadline_provisional: bool = False
    consequence: str = ""  # "" → 通报 / 约谈 / 问责 wording
    attachments: tuple[str, ...] = ()  # evidence, e.g. 检查发现问题照片
    contact_person: str = ""  # "" → the office profile's contact
    contact_phone: str = ""
    copy_to: tuple[str, ...] | None = None


@dataclass(frozen=True)
class InquiryNotice:
    """函询通知书: a summary of what was reported, to be answered in writing."""

    number: DocNumber
    addressee: str  # the unit asked to explain
    problems: tuple[str, ...]  # summaries only
    reply_deadline: date
    issued_on: date
    party_committee: str  # the unit's 党组(党委), copied in
    reply_working_days: int = 15
    reply_deadline_provisional: bool = False
    contact_person: str = ""
    contact_phone: str = ""
    copy_to: tuple[str, ...] = ()  # in addition to the party committee


# ---- talk papers -----------------------------------------------------------------------------


@dataclass(frozen=True)
class AdmonitionNotice:
    """诫勉谈话通知书 addressed to the person to be admonished."""

    number: DocNumber
    subject: Person
    problem: str  # 据反映，你存在【problem】问题
    studied_by: str  # 经【…】研究
    approved_by: str  # 报【…】批准
    issued_on: date
    method: AdmonitionMethod = AdmonitionMethod.talk
    party_branch: str = ""  # 所在党支部
    talk_at: datetime | None = None
    place: str = ""
    talkers: tuple[Person, ...] = ()
    influence_months: int = 6  # no promotion for this many months (《问责条例》)
    unit_party_head: str = ""  # 抄送: the unit's party committee head


class AppealResult(StrEnum):
    """申诉处理决定 of a 诫勉 (问责条例 §21); the values of ``models.talks.AppealOutcome``, which this package
    cannot import (it would reach the identity model through the talk's matters)."""

    upheld = "upheld"
    changed = "changed"
    revoked = "revoked"


@dataclass(frozen=True)
class AppealDecision:
    """申诉处理决定书 to the person who appealed against a 诫勉: what was appealed and when it was received,
    the deciding body's reasons, and the outcome — for 变更 the new influence period and its end."""

    number: DocNumber
    appellant: Person
    method: AdmonitionMethod  # the 诫勉 appealed against: by talk or in writing
    measure_on: date  # the day the 诫勉 was taken
    received_on: date  # the written appeal
    grounds: str  # 申诉的主要理由, as recorded
    reasons: str  # the decision's facts and reasoning, as the deciding body wrote them
    result: AppealResult
    decided_on: date
    influence_months: int  # after the decision (变更: the new period)
    influence_ends_on: date
    previous_influence_months: int | None = None  # 变更: the period it replaces
    measure_number: str = ""  # the 诫勉 notice's 文号, when one was issued
    unit_party_head: str = ""  # 抄送, as on the 诫勉 notice


@dataclass(frozen=True)
class Exchange:
    question: str
    answer: str


@dataclass(frozen=True)
class TalkRecord:
    """诫勉谈话记录 (or 提醒谈话记录 …): who, when, where, why, what was said, signatures."""

    subject: Person
    talkers: tuple[Person, ...]
    recorder: Person
    started_at: datetime
    ended_at: datetime
    place: str
    reason: str
    exchanges: tuple[Exchange, ...] = ()
    statement: str = ""  # 表态
    measures: tuple[str, ...] = ()  # 整改措施
    talk_kind: str = "诫勉谈话"


@dataclass(frozen=True)
class TalkRegisterRow:
    kind: str  # 提醒谈话 / 批评教育 / 诫勉谈话 / 函询
    held_at: datetime
    talker: Person
    subject: Person
    reason: str
    remarks: str = ""


@dataclass(frozen=True)
class TalkRegister:
    """谈话登记表: a ledger of talks held, one row each."""

    rows: tuple[TalkRegisterRow, ...]
    period: str = ""  # e.g. 2026年度 / 2026年第三季度
    compiled_on: date | None = None


# ---- reports ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tally:
    """One line of a breakdown: 办事拖拉 37 件, 占 21.4%."""

    label: str
    count: int
    share: float | None = None  # of the period's total, 0..1


@dataclass(frozen=True)
class Ratio:
    """A key ratio (按时办结率 …): the figure and what it is made of, so a reader can check it."""

    label: str
    numerator: int
    denominator: int

    @property
    def value(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None


@dataclass(frozen=True)
class DepartmentLine:
    """A department's handling figures for the period (交办 / 按时办结 / 逾期 / 督办)."""

    department: str
    assigned: int
    closed_on_time: int
    overdue: int
    escalated: int
    score: float | None = None  # 考核得分, when a ranking is included


@dataclass(frozen=True)
class WorkReport:
    """办理情况报告 for a month, quarter or year — what 《信访条例》§41 asks an office to report:
    the counts received, the areas the matters concern and the units complained about most, and
    how matters were forwarded, assigned and supervised. Figures only; no person's name."""

    period: str  # 2026年10月 / 2026年第三季度 / 2026年度
    start_on: date
    end_on: date
    compiled_on: date
    received: int
    by_kind: tuple[Tally, ...]
    by_channel: tuple[Tally, ...]
    accepted: int
    assigned: int
    closed: int
    closed_on_time: int
    overdue: int
    extended: int
    reworked: int
    returned: int
    satisfaction: tuple[Tally, ...]  # 满意 / 基本满意 / 不满意
    categories: tuple[Tally, ...]  # 主要问题领域
    top_units: tuple[Tally, ...]  # 被投诉较多的单位
    urged: int  # 催办
    escalations: tuple[Tally, ...]  # 督办 by level
    notices_issued: int
    notices_closed_on_time: int
    notices_overdue: int
    talks: tuple[Tally, ...]  # by kind
    ratios: tuple[Ratio, ...]
    departments: tuple[DepartmentLine, ...] = ()
    repeat_rate: Ratio | None = None
    next_steps: str = ""  # 下一步工作, written by the supervisor
    number: DocNumber | None = None  # 文号 (效报〔2026〕3号)
    addressee: str = ""  # 主送机关, e.g. 市人民政府
    as_of: date | None = None  # the figures' day when the period has not ended yet


@dataclass(frozen=True)
class ComplainantLetter:
    """A notice to the complainant (受理告知书, 不予受理告知书, 交办告知书, 延期告知书, 处理意见书, 复查意见书,
    复核意见书). It goes to the complainant, so it is addressed to them by name (``salutation``); its
    paragraphs are the text the portal shows, which never names them."""

    kind: str  # a NoticeKind value: acceptance, refusal, transfer, extension, answer, review, re_review
    number: DocNumber
    salutation: str  # the complainant's name as they gave it; "" → 反映人
    matter_number: str
    paragraphs: tuple[str, ...]
    issued_on: date
