"""Talks (提醒谈话, 批评教育, 诫勉谈话) and written inquiries (函询), docs/domain.md §5.

One ``talk`` row per procedure, whatever its kind: who it concerns, why, who proposed and approved
it, when and where, and — by kind — what was said (``talk_exchange``), the 诫勉 measure and its
influence period, or the 函询 reply and its conclusion. Talkers and the recorder are
``talk_participant`` rows; the matters (and, later, rectification notices) that gave rise to it are
``talk_link`` rows.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from supervision import clock
from supervision.models.base import Base, LabelledEnum, enum_column, long_text
from supervision.models.matters import Matter
from supervision.models.org import Department, User


class TalkKind(LabelledEnum):
    REMINDER = "reminder", "提醒谈话"
    CRITICISM = "criticism", "批评教育"
    ADMONITION = "admonition", "诫勉谈话"
    INQUIRY = "inquiry", "函询"


SERIAL_PREFIX = {TalkKind.REMINDER: "TX", TalkKind.CRITICISM: "PP", TalkKind.ADMONITION: "JM",
                 TalkKind.INQUIRY: "HX"}


class AppealOutcome(LabelledEnum):
    """申诉处理决定 (问责条例 §21): the deciding body upholds, changes or revokes the 诫勉."""

    UPHELD = "upheld", "维持原诫勉决定"
    CHANGED = "changed", "变更（调整影响期）"
    REVOKED = "revoked", "撤销诫勉"


class AdmonitionForm(LabelledEnum):
    """诫勉 is done by talk or in writing (问责条例 §8): a 书面诫勉 is served, not held."""

    TALK = "talk", "谈话诫勉"
    WRITTEN = "written", "书面诫勉"


APPEAL_MONTHS = 1  # 问责条例 §21: a written 申诉 within one month of receiving the decision
APPEAL_ANSWER_MONTHS = 1  # … and the deciding body's 申诉处理决定 within one month of receiving it


class TalkStatus(LabelledEnum):
    PROPOSED = "proposed", "待审批"
    DECLINED = "declined", "不予批准"
    APPROVED = "approved", "已批准"
    NOTIFIED = "notified", "已通知"
    HELD = "held", "已谈话"
    REPLIED = "replied", "已回复"
    FOLLOWED_UP = "followed_up", "已跟踪"
    CLOSED = "closed", "已了结"


class InquiryConclusion(LabelledEnum):
    """What the office makes of a 函询 reply (监督执纪工作规则)."""

    ACCEPTED = "accepted", "采信了结"
    TALK = "talk", "谈话提醒"
    PRELIMINARY = "preliminary", "初核"


class ParticipantRole(LabelledEnum):
    TALKER = "talker", "谈话人"
    RECORDER = "recorder", "记录人"


class Talk(Base):
    __tablename__ = "talk"
    __table_args__ = (
        UniqueConstraint("kind", "year", "seq"),
        Index("ix_talk_subject", "subject_name", "subject_unit"),
        Index("ix_talk_department_kind_status", "subject_department_id", "kind", "status"),
        Index("ix_talk_status_proposed", "status", "proposed_at", "id"),
        CheckConstraint("influence_months IS NULL OR (influence_months > 0 AND influence_months <= 60)",
                        name="influence_months_range"),
        CheckConstraint("kind != 'inquiry' OR subject_department_id IS NOT NULL", name="inquiry_has_department"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[TalkKind] = mapped_column(enum_column(TalkKind, "talk_kind"))
    year: Mapped[int]
    seq: Mapped[int]
    serial: Mapped[str] = mapped_column(String(20), unique=True)  # JM-2026-00003
    status: Mapped[TalkStatus] = mapped_column(enum_column(TalkStatus, "talk_status"), default=TalkStatus.PROPOSED)

    # Subject (谈话对象 / 被函询人): the unit is a department of the system or free text.
    subject_name: Mapped[str] = mapped_column(String(40))
    subject_department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    subject_unit: Mapped[str] = mapped_column(String(120))  # the department's name when one is chosen
    subject_post: Mapped[str] = mapped_column(String(60), default="")
    subject_party_branch: Mapped[str] = mapped_column(String(80), default="")

    reason: Mapped[str] = long_text(4000)  # 谈话事由 / 反映的问题, as the office words it
    studied_by: Mapped[str] = mapped_column(String(80), default="")  # 经【中心主任办公会】研究
    proposal_note: Mapped[str] = long_text(2000, default="")  # 拟办意见
    proposed_at: Mapped[datetime] = mapped_column(default=clock.now)
    proposed_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    approved_at: Mapped[datetime | None]  # also the time of a refusal
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    approval_note: Mapped[str] = long_text(2000, default="")  # 领导批示 / 不予批准理由

    scheduled_at: Mapped[datetime | None]  # planned time of the talk
    place: Mapped[str] = mapped_column(String(120), default="")
    notified_at: Mapped[datetime | None]

    # The talk held
    started_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    statement: Mapped[str] = long_text(8000, default="")  # 表态
    commitments: Mapped[str] = long_text(4000, default="")  # 整改措施 / 承诺, one a line
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    # 诫勉: an accountability measure with an influence period (《问责条例》§8)
    admonition_form: Mapped[AdmonitionForm] = mapped_column(
        enum_column(AdmonitionForm, "admonition_form"), default=AdmonitionForm.TALK, server_default="talk")
    measure_on: Mapped[date | None]
    influence_months: Mapped[int | None]
    influence_ends_on: Mapped[date | None]
    # 申诉 (问责条例 §21): the last day for it, and the appeal when one is received
    appeal_due_on: Mapped[date | None]
    appeal_received_on: Mapped[date | None]
    appeal_note: Mapped[str] = long_text(4000, default="", server_default="")
    # 申诉处理决定: due a month after the appeal was received; it does not stop the measure until then
    appeal_answer_due_on: Mapped[date | None]
    appeal_outcome: Mapped[AppealOutcome | None] = mapped_column(enum_column(AppealOutcome, "talk_appeal_outcome"))
    appeal_decided_on: Mapped[date | None]
    appeal_decision: Mapped[str] = long_text(4000, default="", server_default="")
    appeal_decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    # 函询: reply within the INQUIRY_REPLY limit, and the office's conclusion
    reply_due_on: Mapped[date | None]
    reply_due_provisional: Mapped[bool] = mapped_column(default=False)
    reply_text: Mapped[str] = long_text(10000, default="")
    replied_at: Mapped[datetime | None]
    replied_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    conclusion: Mapped[InquiryConclusion | None] = mapped_column(enum_column(InquiryConclusion, "inquiry_conclusion"))

    follow_up_note: Mapped[str] = long_text(4000, default="")  # 表态落实情况 / 回复审核意见
    followed_up_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    close_note: Mapped[str] = long_text(2000, default="")

    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    subject_department: Mapped[Department | None] = relationship()
    proposed_by: Mapped[User] = relationship(foreign_keys=[proposed_by_id])
    approved_by: Mapped[User | None] = relationship(foreign_keys=[approved_by_id])
    replied_by: Mapped[User | None] = relationship(foreign_keys=[replied_by_id])
    participants: Mapped[list[TalkParticipant]] = relationship(
        back_populates="talk", order_by="TalkParticipant.position", cascade="all, delete-orphan")
    exchanges: Mapped[list[TalkExchange]] = relationship(
        back_populates="talk", order_by="TalkExchange.position", cascade="all, delete-orphan")
    links: Mapped[list[TalkLink]] = relationship(back_populates="talk", order_by="TalkLink.id")
    attachments: Mapped[list[TalkAttachment]] = relationship(back_populates="talk", order_by="TalkAttachment.id")

    def __str__(self) -> str:
        return f"{self.serial} {self.kind.label} {self.subject_name}"

    @property
    def is_written_admonition(self) -> bool:
        return self.kind == TalkKind.ADMONITION and self.admonition_form == AdmonitionForm.WRITTEN

    @property
    def status_label(self) -> str:
        """The status as the talk's pages say it: a 书面诫勉 is served (送达), never talked."""
        if self.is_written_admonition and self.status == TalkStatus.HELD:
            return "已送达"
        return self.status.label

    @property
    def is_inquiry(self) -> bool:
        return self.kind == TalkKind.INQUIRY

    @property
    def talkers(self) -> list[TalkParticipant]:
        return [p for p in self.participants if p.role == ParticipantRole.TALKER]

    @property
    def recorder(self) -> TalkParticipant | None:
        return next((p for p in self.participants if p.role == ParticipantRole.RECORDER), None)

    @property
    def matters(self) -> list[Matter]:
        return [link.matter for link in self.links if link.matter is not None]

    def commitment_list(self) -> list[str]:
        return [line.strip() for line in self.commitments.splitlines() if line.strip()]

    def influence_active(self, on: date) -> bool:
        """诫勉影响期: from the measure up to and including its end date — unless an appeal revoked it."""
        if self.appeal_outcome == AppealOutcome.REVOKED:
            return False
        return (self.measure_on is not None and self.influence_ends_on is not None
                and self.measure_on <= on <= self.influence_ends_on)

    def appeal_answer_late(self, on: date) -> bool:
        return (self.appeal_answer_due_on is not None and self.appeal_outcome is None
                and on > self.appeal_answer_due_on)


class TalkParticipant(Base):
    """A talker (谈话人) or the recorder (记录人): name, unit and post, as written on the record."""

    __tablename__ = "talk_participant"

    id: Mapped[int] = mapped_column(primary_key=True)
    talk_id: Mapped[int] = mapped_column(ForeignKey("talk.id"), index=True)
    role: Mapped[ParticipantRole] = mapped_column(enum_column(ParticipantRole, "participant_role"))
    position: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(String(40))
    unit: Mapped[str] = mapped_column(String(120), default="")
    post: Mapped[str] = mapped_column(String(60), default="")

    talk: Mapped[Talk] = relationship(back_populates="participants")


class TalkExchange(Base):
    """One question and its answer (问 / 答) of the conversation."""

    __tablename__ = "talk_exchange"

    id: Mapped[int] = mapped_column(primary_key=True)
    talk_id: Mapped[int] = mapped_column(ForeignKey("talk.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    question: Mapped[str] = long_text(4000)
    answer: Mapped[str] = long_text(8000, default="")

    talk: Mapped[Talk] = relationship(back_populates="exchanges")


class TalkLink(Base):
    """What gave rise to the talk: a matter today; a rectification notice gets its own nullable
    foreign key here (and the CHECK becomes "exactly one") when that area lands."""

    __tablename__ = "talk_link"
    __table_args__ = (
        UniqueConstraint("talk_id", "matter_id"),
        CheckConstraint("matter_id IS NOT NULL", name="has_target"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    talk_id: Mapped[int] = mapped_column(ForeignKey("talk.id"), index=True)
    matter_id: Mapped[int | None] = mapped_column(ForeignKey("matter.id"), index=True)

    talk: Mapped[Talk] = relationship(back_populates="links")
    matter: Mapped[Matter | None] = relationship()


class TalkAttachment(Base):
    """A file of a 函询 reply (the signed, sealed written explanation and its evidence)."""

    __tablename__ = "talk_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    talk_id: Mapped[int] = mapped_column(ForeignKey("talk.id"), index=True)
    original_name: Mapped[str] = mapped_column(String(200))
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(default=clock.now)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    talk: Mapped[Talk] = relationship(back_populates="attachments")
