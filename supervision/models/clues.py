"""问题线索 (SPEC §12): reports about officials, handled by the office itself.

A ``clue`` row is one entry of the clue register (线索台账): where it came from, the person(s) it
concerns (``clue_person``), the problem in summary, and where it stands. The reporter's identity is
kept apart, as for matters: a clue taken from a matter reuses that matter's ``complainant`` row, a clue
registered directly has its own ``clue_reporter`` row. Every disposal proposal and the leader's
decision on it is a ``clue_disposal`` row (who proposed, who approved, when, why); a 函询 to a person is
a ``clue_inquiry``; an 初步核实 is the ``clue_verification``.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from supervision import clock
from supervision.models.base import Base, LabelledEnum, enum_column, long_text
from supervision.models.complainants import DeliveryMethod
from supervision.models.documents import GeneratedDocument
from supervision.models.matters import Matter
from supervision.models.org import User

SERIAL_PREFIX = "XS"  # 线索


class ClueSource(LabelledEnum):
    MATTER = "matter", "检举控告"
    RECTIFICATION = "rectification", "整改检查发现"
    TALK = "talk", "谈话函询中发现"
    HIGHER = "higher", "上级转办"
    INSPECTION_TOUR = "inspection_tour", "巡视巡察移交"
    AUDIT = "audit", "审计移送"
    OTHER_ORGAN = "other_organ", "其他机关移送"
    OTHER = "other", "其他"


DIRECT_SOURCES = (ClueSource.HIGHER, ClueSource.INSPECTION_TOUR, ClueSource.AUDIT, ClueSource.OTHER_ORGAN,
                  ClueSource.OTHER)


class CadreLevel(LabelledEnum):
    BUREAU = "bureau", "厅局级"
    COUNTY = "county", "县处级"
    SECTION = "section", "乡科级"
    GENERAL = "general", "一般干部"
    OTHER = "other", "其他人员"


class DisposalWay(LabelledEnum):
    """The four ways of disposing of a clue (监督执纪工作规则)."""

    INQUIRY = "inquiry", "谈话函询"
    VERIFY = "verify", "初步核实"
    SHELVE = "shelve", "暂存待查"
    CLOSE = "close", "予以了结"


class ClueStatus(LabelledEnum):
    REGISTERED = "registered", "待提出处置意见"
    PROPOSED = "proposed", "处置意见待审批"
    INQUIRY = "inquiry", "谈话函询"
    VERIFYING = "verifying", "初步核实"
    SHELVED = "shelved", "暂存待查"
    CONCLUDED = "concluded", "已了结"
    HANDED_OVER = "handed_over", "已移送立案"


class DecisionStatus(LabelledEnum):
    PENDING = "pending", "待审批"
    APPROVED = "approved", "已批准"
    DECLINED = "declined", "未批准"


class InquiryStatus(LabelledEnum):
    ISSUED = "issued", "已发出待送达"
    SERVED = "served", "已送达待回复"
    REPLIED = "replied", "已回复待处理"
    CONCLUDED = "concluded", "已处理"


class InquiryOutcome(LabelledEnum):
    """What the office makes of a 函询 reply; each leads to its next step."""

    ACCEPTED = "accepted", "采信了结"
    CRITICISM = "criticism", "批评教育"
    REMINDER = "reminder", "谈话提醒"
    SELF_EXAMINATION = "self_examination", "责令检查"
    ADMONITION = "admonition", "诫勉"
    AGAIN = "again", "再次函询"
    VERIFY = "verify", "转初步核实"


class VerificationResult(LabelledEnum):
    """How an 初步核实 report ends (立案 is outside this system: recorded as handed over)."""

    CLOSED = "closed", "予以了结"
    REMINDER = "reminder", "谈话提醒"
    ADMONITION = "admonition", "诫勉"
    HAND_OVER = "hand_over", "移送立案审查调查"


class Clue(Base):
    __tablename__ = "clue"
    __table_args__ = (
        UniqueConstraint("year", "seq"),
        Index("ix_clue_status_received", "status", "received_on", "id"),
        CheckConstraint("source != 'matter' OR matter_id IS NOT NULL", name="matter_source_has_matter"),
        CheckConstraint("status != 'shelved' OR review_on IS NOT NULL", name="shelved_has_review_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int]
    seq: Mapped[int]
    serial: Mapped[str] = mapped_column(String(20), unique=True)  # XS-2026-00003
    source: Mapped[ClueSource] = mapped_column(enum_column(ClueSource, "clue_source"))
    source_note: Mapped[str] = mapped_column(String(200), default="")  # e.g. 上级来文文号, 巡察组
    # Where it came from, when it came from inside the system (at most one matter per clue).
    matter_id: Mapped[int | None] = mapped_column(ForeignKey("matter.id"), unique=True)
    rectification_notice_id: Mapped[int | None] = mapped_column(ForeignKey("rectification_notice.id"), index=True)
    talk_id: Mapped[int | None] = mapped_column(ForeignKey("talk.id"), index=True)

    summary: Mapped[str] = long_text(4000)  # 问题摘要: what a 函询 may quote; never the reporter
    received_on: Mapped[date]
    real_name: Mapped[bool] = mapped_column(default=False)  # 实名举报

    status: Mapped[ClueStatus] = mapped_column(enum_column(ClueStatus, "clue_status"),
                                               default=ClueStatus.REGISTERED)
    disposal: Mapped[DisposalWay | None] = mapped_column(enum_column(DisposalWay, "clue_disposal_way"))
    review_on: Mapped[date | None]  # 暂存待查: when it comes back

    registered_at: Mapped[datetime] = mapped_column(default=clock.now)
    registered_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    concluded_at: Mapped[datetime | None]
    conclusion: Mapped[str] = mapped_column(String(40), default="")  # the label of the final result
    conclusion_note: Mapped[str] = long_text(4000, default="")

    # 澄清正名 for a person a report wrongly accused, on request
    clearance_requested_by: Mapped[str] = mapped_column(String(120), default="")  # 本人 / 所在单位
    clearance_note: Mapped[str] = long_text(4000, default="")  # how and where it is made known
    cleared_at: Mapped[datetime | None]
    cleared_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # 诬告陷害: a deliberately false report, flagged for handling
    false_accusation: Mapped[bool] = mapped_column(default=False)
    false_accusation_note: Mapped[str] = long_text(2000, default="")

    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    matter: Mapped[Matter | None] = relationship()
    registered_by: Mapped[User] = relationship(foreign_keys=[registered_by_id])
    people: Mapped[list[CluePerson]] = relationship(back_populates="clue", order_by="CluePerson.position",
                                                    cascade="all, delete-orphan")
    reporter: Mapped[ClueReporter | None] = relationship(back_populates="clue", uselist=False, lazy="raise_on_sql")
    disposals: Mapped[list[ClueDisposal]] = relationship(back_populates="clue", order_by="ClueDisposal.id")
    inquiries: Mapped[list[ClueInquiry]] = relationship(back_populates="clue", order_by="ClueInquiry.id")
    verification: Mapped[ClueVerification | None] = relationship(back_populates="clue", uselist=False)

    def __str__(self) -> str:
        return f"{self.serial} {self.people_names}"

    @property
    def people_names(self) -> str:
        return "、".join(p.name for p in self.people)

    @property
    def pending_disposal(self) -> ClueDisposal | None:
        return next((d for d in self.disposals if d.status == DecisionStatus.PENDING), None)

    @property
    def approved_disposal(self) -> ClueDisposal | None:
        return next((d for d in reversed(self.disposals) if d.status == DecisionStatus.APPROVED), None)

    @property
    def open_inquiry(self) -> ClueInquiry | None:
        return next((i for i in self.inquiries if i.status != InquiryStatus.CONCLUDED), None)

    @property
    def is_closed(self) -> bool:
        return self.status in (ClueStatus.CONCLUDED, ClueStatus.HANDED_OVER)


class CluePerson(Base):
    """A person the clue concerns (被反映人): name, unit, post and cadre level, as written."""

    __tablename__ = "clue_person"
    __table_args__ = (Index("ix_clue_person_name_unit", "name", "unit"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    clue_id: Mapped[int] = mapped_column(ForeignKey("clue.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(String(40))
    unit: Mapped[str] = mapped_column(String(120))
    post: Mapped[str] = mapped_column(String(60), default="")
    cadre_level: Mapped[CadreLevel] = mapped_column(enum_column(CadreLevel, "cadre_level"),
                                                    default=CadreLevel.GENERAL)

    clue: Mapped[Clue] = relationship(back_populates="people")

    def __str__(self) -> str:
        return "，".join(x for x in (self.name, self.unit, self.post) if x)


class ClueReporter(Base):
    """The identity of who reported a directly registered clue. Office staff only; every look audited.
    A clue taken from a matter has none: the matter's ``complainant`` is the one place for it."""

    __tablename__ = "clue_reporter"

    id: Mapped[int] = mapped_column(primary_key=True)
    clue_id: Mapped[int] = mapped_column(ForeignKey("clue.id"), unique=True)
    name: Mapped[str] = mapped_column(String(40), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    id_number: Mapped[str] = mapped_column(String(18), default="")
    address: Mapped[str] = mapped_column(String(200), default="")
    work_unit: Mapped[str] = mapped_column(String(120), default="")

    clue: Mapped[Clue] = relationship(back_populates="reporter")

    def is_empty(self) -> bool:
        return not any((self.name, self.phone, self.id_number, self.address, self.work_unit))


class ClueDisposal(Base):
    """A disposal proposed by a case officer and decided by a leader: who, when, why — kept whatever
    the decision, so the register shows every proposal."""

    __tablename__ = "clue_disposal"
    __table_args__ = (
        CheckConstraint("way != 'shelve' OR review_on IS NOT NULL", name="shelve_has_review_date"),
        Index("ix_clue_disposal_status", "status", "proposed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clue_id: Mapped[int] = mapped_column(ForeignKey("clue.id"), index=True)
    way: Mapped[DisposalWay] = mapped_column(enum_column(DisposalWay, "disposal_way"))
    reason: Mapped[str] = long_text(4000)  # 拟处置理由
    review_on: Mapped[date | None]  # 暂存待查: proposed review date
    proposed_at: Mapped[datetime] = mapped_column(default=clock.now)
    proposed_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    status: Mapped[DecisionStatus] = mapped_column(enum_column(DecisionStatus, "decision_status"),
                                                   default=DecisionStatus.PENDING)
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decision_note: Mapped[str] = long_text(2000, default="")  # 审批意见 / 集体研究意见
    studied_by: Mapped[str] = mapped_column(String(80), default="")  # 经……集体研究

    clue: Mapped[Clue] = relationship(back_populates="disposals")
    proposed_by: Mapped[User] = relationship(foreign_keys=[proposed_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])


class ClueInquiry(Base):
    """函询 addressed to a person (never to a unit: the unit only carries it). The reply is due 15
    working days after the person received it (送达)."""

    __tablename__ = "clue_inquiry"
    __table_args__ = (
        UniqueConstraint("clue_id", "round"),
        Index("ix_clue_inquiry_status_due", "status", "reply_due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clue_id: Mapped[int] = mapped_column(ForeignKey("clue.id"), index=True)
    round: Mapped[int] = mapped_column(default=1)  # 再次函询 is round 2, ...
    person_id: Mapped[int | None] = mapped_column(ForeignKey("clue_person.id"))
    # The addressee as written on the notice ("" for a migrated record a clerk must still complete).
    addressee_name: Mapped[str] = mapped_column(String(40), default="")
    addressee_unit: Mapped[str] = mapped_column(String(120), default="")
    addressee_post: Mapped[str] = mapped_column(String(60), default="")
    party_committee: Mapped[str] = mapped_column(String(120), default="")  # 所在单位党委（党组）
    problems: Mapped[str] = long_text(4000)  # the problems in summary, one a line
    talk_id: Mapped[int | None] = mapped_column(ForeignKey("talk.id"), unique=True)  # a migrated talk

    status: Mapped[InquiryStatus] = mapped_column(enum_column(InquiryStatus, "clue_inquiry_status"),
                                                  default=InquiryStatus.ISSUED)
    issued_at: Mapped[datetime] = mapped_column(default=clock.now)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    served_on: Mapped[date | None]  # 送达
    served_note: Mapped[str] = mapped_column(String(200), default="")  # 送达方式、签收人
    reply_due_on: Mapped[date | None]
    reply_due_provisional: Mapped[bool] = mapped_column(default=False)
    reply_text: Mapped[str] = long_text(10000, default="")
    replied_on: Mapped[date | None]
    countersigned_by: Mapped[str] = mapped_column(String(80), default="")  # 党委（党组）主要负责人
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    outcome: Mapped[InquiryOutcome | None] = mapped_column(enum_column(InquiryOutcome, "clue_inquiry_outcome"))
    outcome_note: Mapped[str] = long_text(4000, default="")
    outcome_at: Mapped[datetime | None]
    outcome_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    follow_talk_id: Mapped[int | None] = mapped_column(ForeignKey("talk.id"))  # the talk it led to

    clue: Mapped[Clue] = relationship(back_populates="inquiries")
    person: Mapped[CluePerson | None] = relationship()
    attachments: Mapped[list[ClueAttachment]] = relationship(back_populates="inquiry", order_by="ClueAttachment.id")

    @property
    def needs_addressee(self) -> bool:
        return not self.addressee_name.strip()

    def problem_list(self) -> list[str]:
        return [line.strip() for line in self.problems.splitlines() if line.strip()]

    def replied_late(self) -> bool:
        return (self.reply_due_on is not None and self.replied_on is not None
                and self.replied_on > self.reply_due_on)


class ClueVerification(Base):
    """初步核实: the plan, the work done, and the report with its result."""

    __tablename__ = "clue_verification"

    id: Mapped[int] = mapped_column(primary_key=True)
    clue_id: Mapped[int] = mapped_column(ForeignKey("clue.id"), unique=True)
    plan: Mapped[str] = long_text(4000)  # 初核方案
    planned_at: Mapped[datetime] = mapped_column(default=clock.now)
    planned_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    work_done: Mapped[str] = long_text(8000, default="")  # 开展的核实工作
    report: Mapped[str] = long_text(8000, default="")  # 初核情况报告
    found_untrue: Mapped[bool] = mapped_column(default=False)  # 反映问题不实
    result: Mapped[VerificationResult | None] = mapped_column(enum_column(VerificationResult, "verification_result"))
    receiving_body: Mapped[str] = mapped_column(String(120), default="")  # 移送立案: the receiving body
    reported_at: Mapped[datetime | None]
    reported_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    follow_talk_id: Mapped[int | None] = mapped_column(ForeignKey("talk.id"))

    clue: Mapped[Clue] = relationship(back_populates="verification")


class ClueAttachment(Base):
    """A file of a clue: the countersigned written explanation of a 函询 and its evidence."""

    __tablename__ = "clue_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    clue_id: Mapped[int] = mapped_column(ForeignKey("clue.id"), index=True)
    inquiry_id: Mapped[int | None] = mapped_column(ForeignKey("clue_inquiry.id"), index=True)
    original_name: Mapped[str] = mapped_column(String(200))
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(default=clock.now)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    inquiry: Mapped[ClueInquiry | None] = relationship(back_populates="attachments")


class ClueNoticeKind(LabelledEnum):
    """What the reporter of a directly registered clue is told (SPEC §12): acceptance, then the result."""

    ACCEPTANCE = "acceptance", "受理告知书"
    RESULT = "result", "处理结果告知书"

    @property
    def doc_type(self) -> str:
        """The paperwork key (BUILDERS, DOCUMENT_TITLES, the 机关代字)."""
        return f"clue_{self.value}_notice"


class ClueReporterNotice(Base):
    """A notice to the reporter of a clue registered directly (a clue from a matter tells its complainant
    through the matter). ``body`` names nobody and says nothing of what the person concerned answered:
    it is what an SMS carries; the .docx adds the salutation from ``clue_reporter``."""

    __tablename__ = "clue_reporter_notice"
    __table_args__ = (
        UniqueConstraint("clue_id", "kind"),  # each is given once
        Index("ix_clue_reporter_notice_open_due", "delivered_at", "due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clue_id: Mapped[int] = mapped_column(ForeignKey("clue.id"), index=True)
    kind: Mapped[ClueNoticeKind] = mapped_column(enum_column(ClueNoticeKind, "clue_notice_kind"))
    body: Mapped[str] = long_text(4000)
    issued_on: Mapped[date]
    due_on: Mapped[date]  # by when it must reach the reporter (15 working days: 告知实名举报人)
    due_provisional: Mapped[bool] = mapped_column(default=False)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("generated_document.id"))
    delivered_at: Mapped[datetime | None]
    delivered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    delivery_method: Mapped[DeliveryMethod | None] = mapped_column(enum_column(DeliveryMethod, "delivery_method"))
    overdue_notified_at: Mapped[datetime | None]  # the sweep told intake it is overdue (once)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    clue: Mapped[Clue] = relationship()
    document: Mapped[GeneratedDocument | None] = relationship()

    @property
    def title(self) -> str:
        return self.kind.label

    def is_overdue(self, today: date) -> bool:
        return self.delivered_at is None and self.due_on < today
