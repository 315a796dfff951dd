"""What the complainant is told, and their requests for review (SPEC §11).

``ComplainantNotice``: 受理告知书, 不予受理告知书, 交办告知书, 延期告知书, 处理意见书, 复查意见书, 复核意见书 —
one row per notice, generated where its step happens, with the date by which it must reach the
complainant. ``body`` is the notice's text without the complainant's name: it is what the portal shows
and what an SMS or e-mail carries; the .docx adds the salutation from the identity table.

``ReviewRequest``: 复查 (within 30 days of the 处理意见) and 复核 (within 30 days of the 复查意见), each
answered within 30 days by the body configured for it. After 复核 the matter is final (信访终结).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from supervision import clock
from supervision.models.base import Base, LabelledEnum, enum_column, long_text
from supervision.models.documents import GeneratedDocument
from supervision.models.matters import Matter
from supervision.models.org import User


class NoticeKind(LabelledEnum):
    ACCEPTANCE = "acceptance", "受理告知书"
    REFUSAL = "refusal", "不予受理告知书"
    TRANSFER = "transfer", "交办告知书"
    EXTENSION = "extension", "延期告知书"
    ANSWER = "answer", "处理意见书"
    REVIEW = "review", "复查意见书"
    RE_REVIEW = "re_review", "复核意见书"

    @property
    def doc_type(self) -> str:
        """The paperwork key (BUILDERS, DOCUMENT_TITLES, the 机关代字)."""
        return f"{self.value}_notice"


class DeliveryMethod(LabelledEnum):
    SMS = "sms", "短信"
    EMAIL = "email", "电子邮件"
    POST = "post", "邮寄"
    IN_PERSON = "in_person", "当面送达"


class ComplainantNotice(Base):
    __tablename__ = "complainant_notice"
    __table_args__ = (
        # A step tells the complainant once: ``ref`` names the step's row (an extension, a review …).
        UniqueConstraint("matter_id", "kind", "ref"),
        # The to-do list and the sweep: notices not yet delivered, by due date.
        Index("ix_complainant_notice_open_due", "delivered_at", "due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    matter_id: Mapped[int] = mapped_column(ForeignKey("matter.id"), index=True)
    kind: Mapped[NoticeKind] = mapped_column(enum_column(NoticeKind, "notice_kind"))
    ref: Mapped[str] = mapped_column(String(40), default="")
    body: Mapped[str] = long_text(4000)  # no identity: portal, SMS and e-mail carry it
    issued_on: Mapped[date]
    due_on: Mapped[date]  # by when it must reach the complainant
    due_provisional: Mapped[bool] = mapped_column(default=False)
    document_id: Mapped[int | None] = mapped_column(ForeignKey("generated_document.id"))
    delivered_at: Mapped[datetime | None]
    delivered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    delivery_method: Mapped[DeliveryMethod | None] = mapped_column(enum_column(DeliveryMethod, "delivery_method"))
    overdue_notified_at: Mapped[datetime | None]  # the sweep told intake it is overdue (once)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    matter: Mapped[Matter] = relationship()
    document: Mapped[GeneratedDocument | None] = relationship()
    delivered_by: Mapped[User | None] = relationship(foreign_keys=[delivered_by_id])

    @property
    def title(self) -> str:
        return self.kind.label

    def is_overdue(self, today: date) -> bool:
        return self.delivered_at is None and self.due_on < today


class ReviewStage(LabelledEnum):
    REVIEW = "review", "复查"
    RE_REVIEW = "re_review", "复核"


class ReviewStatus(LabelledEnum):
    PENDING = "pending", "待答复"
    DECIDED = "decided", "已答复"


class ReviewOutcome(LabelledEnum):
    UPHELD = "upheld", "维持原处理意见"
    REVISED = "revised", "撤销或变更原处理意见"


class ReviewRequest(Base):
    __tablename__ = "review_request"
    __table_args__ = (UniqueConstraint("matter_id", "stage"),)  # one 复查 and one 复核 per matter

    id: Mapped[int] = mapped_column(primary_key=True)
    matter_id: Mapped[int] = mapped_column(ForeignKey("matter.id"), index=True)
    stage: Mapped[ReviewStage] = mapped_column(enum_column(ReviewStage, "review_stage"))
    requested_on: Mapped[date]
    received_via: Mapped[str] = mapped_column(String(12), default="intake")  # portal | intake
    reason: Mapped[str] = long_text(4000, default="")  # the citizen's words: office staff only
    body: Mapped[str] = mapped_column(String(120))  # the body that answers it (configured)
    answer_due_on: Mapped[date]
    answer_due_provisional: Mapped[bool] = mapped_column(default=False)
    status: Mapped[ReviewStatus] = mapped_column(enum_column(ReviewStatus, "review_status"),
                                                 default=ReviewStatus.PENDING)
    outcome: Mapped[ReviewOutcome | None] = mapped_column(enum_column(ReviewOutcome, "review_outcome"))
    opinion: Mapped[str] = long_text(4000, default="")  # the answer the complainant reads
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    overdue_notified_at: Mapped[datetime | None]  # the sweep announced it unanswered past its due date (once)

    matter: Mapped[Matter] = relationship()
