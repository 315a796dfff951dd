"""Matters (效能投诉, 意见建议, 检查发现), their assignments to departments, replies and evidence.

Complainant identity lives in its own table (``complainant``) so that no query written for a
department head can reach it by accident (docs/domain.md §1, 《信访工作条例》§30).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from supervision import clock
from supervision.models.base import Base, LabelledEnum, enum_column, long_text
from supervision.models.org import Department, User


class MatterKind(LabelledEnum):
    COMPLAINT = "complaint", "效能投诉"
    SUGGESTION = "suggestion", "意见建议"
    FINDING = "finding", "检查发现"


SERIAL_PREFIX = {MatterKind.COMPLAINT: "XT", MatterKind.SUGGESTION: "YJ", MatterKind.FINDING: "JC"}


class Channel(LabelledEnum):
    PHONE = "phone", "来电"
    LETTER = "letter", "来信"
    VISIT = "visit", "来访"
    ONLINE = "online", "网络"
    MAILBOX = "mailbox", "意见箱"
    ONLINE_MAILBOX = "online_mailbox", "网上意见箱"
    NPC_MAILBOX = "npc_mailbox", "人大监督信箱"
    HOTLINE_12345 = "hotline_12345", "12345转办"
    UNDERCOVER = "undercover", "明察暗访"
    DISCLOSURE_CHECK = "disclosure_check", "政务公开检查"
    SPECIAL_CHECK = "special_check", "专项检查"


CHANNELS_BY_KIND = {
    MatterKind.COMPLAINT: [Channel.PHONE, Channel.LETTER, Channel.VISIT, Channel.ONLINE, Channel.HOTLINE_12345],
    MatterKind.SUGGESTION: [Channel.MAILBOX, Channel.NPC_MAILBOX, Channel.ONLINE_MAILBOX, Channel.LETTER,
                            Channel.PHONE],
    MatterKind.FINDING: [Channel.UNDERCOVER, Channel.DISCLOSURE_CHECK, Channel.SPECIAL_CHECK],
}


class MatterStatus(LabelledEnum):
    REGISTERED = "registered", "已登记"
    ACCEPTED = "accepted", "已受理"
    NOT_ACCEPTED = "not_accepted", "不予受理"
    FILED = "filed", "存查"
    ASSIGNED = "assigned", "已交办"
    RETURNED = "returned", "已退回"
    IN_PROGRESS = "in_progress", "办理中"
    REPLIED = "replied", "待审核"
    REWORK = "rework", "退回重办"
    APPROVED = "approved", "审核通过"
    FOLLOWED_UP = "followed_up", "已回访"
    CLOSED = "closed", "已办结"
    ARCHIVED = "archived", "已归档"


class ComplaintClass(LabelledEnum):
    """信访类别 (《信访工作条例》, docs/domain.md §11): each class has its own route."""

    PROPOSAL = "proposal", "建议意见"  # studied by the department concerned; the proposer is told
    ACCUSATION = "accusation", "检举控告"  # about an official: a 问题线索, never to the accused's department
    CLAIM = "claim", "申诉求决"  # the ordinary 交办 route


def default_complaint_class(kind: MatterKind) -> ComplaintClass | None:
    """The class a matter takes when nobody chose one (imports, demo data): a suggestion is a proposal,
    an efficiency complaint most often a claim; a finding of the office's own inspection has none."""
    return {MatterKind.SUGGESTION: ComplaintClass.PROPOSAL, MatterKind.COMPLAINT: ComplaintClass.CLAIM}.get(kind)


class Satisfaction(LabelledEnum):
    SATISFIED = "satisfied", "满意"
    FAIRLY_SATISFIED = "fairly_satisfied", "基本满意"
    DISSATISFIED = "dissatisfied", "不满意"


class AssignmentRole(LabelledEnum):
    LEAD = "lead", "主办"
    CO = "co", "协办"


class AssignmentStatus(LabelledEnum):
    ASSIGNED = "assigned", "待签收"
    RECEIVED = "received", "办理中"
    RETURNED = "returned", "已退回"
    REPLIED = "replied", "已答复"
    DONE = "done", "已办结"
    WITHDRAWN = "withdrawn", "已撤回"


class ExtensionStatus(LabelledEnum):
    PENDING = "pending", "待审批"
    APPROVED = "approved", "已批准"
    REFUSED = "refused", "不予批准"


class ReviewResult(LabelledEnum):
    APPROVED = "approved", "审核通过"
    REWORK = "rework", "退回重办"


class Category(Base):
    """问题类别, per kind; editable by the admin, never deleted (deactivated)."""

    __tablename__ = "category"
    __table_args__ = (UniqueConstraint("matter_kind", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    matter_kind: Mapped[MatterKind] = mapped_column(enum_column(MatterKind, "category_matter_kind"))
    name: Mapped[str] = mapped_column(String(40))
    sort_order: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)

    def __str__(self) -> str:
        return self.name


# An open matter already with a department and without an approved 交办标题 or 被反映单位/人员 (the
# predicate of the partial index ix_matter_untitled_due; queries repeat it verbatim so that SQLite uses the
# index). The statuses are TERMINAL_STATUSES (a test checks that they agree).
UNTITLED_OPEN = ("(assigned_title = '' OR assigned_respondent_unit IS NULL OR assigned_respondent_person IS NULL) "
                 "AND lead_department_id IS NOT NULL "
                 "AND status NOT IN ('not_accepted', 'filed', 'closed', 'archived')")


class Matter(Base):
    __tablename__ = "matter"
    __table_args__ = (
        UniqueConstraint("kind", "year", "seq"),
        # The list pages filter by status / department and sort by received date or deadline.
        Index("ix_matter_status_received", "status", "received_on", "id"),
        Index("ix_matter_lead_status_due", "lead_department_id", "status", "due_on", "id"),
        Index("ix_matter_received", "received_on", "id"),
        Index("ix_matter_due", "due_on", "id"),
        # The to-do lists and the list by status sorted by deadline: a status's matters in deadline order.
        Index("ix_matter_status_due", "status", "due_on", "id"),
        # Statistics: every figure of a period from the index alone (no read of the wide matter rows; the
        # id for the lead assignment's join — SQLite has it as the rowid, PostgreSQL needs it here).
        Index("ix_matter_statistics", "received_on", "lead_department_id", "kind", "category_id", "channel",
              "status", "rework_count", "satisfaction", "duplicate_of_id", "complaint_class",
              "respondent_department_id", "respondent_unit", "id"),
        # Overdue by lead department (the supervision dashboard): one contiguous range per department.
        # due_on is set only while a matter is open, so the index holds the open matters alone.
        Index("ix_matter_lead_due", "lead_department_id", "due_on", sqlite_where=text("due_on IS NOT NULL"),
              postgresql_where=text("due_on IS NOT NULL")),
        # The open matters by date received (the list's "overdue" filter in its default order: newest
        # first, the deadline checked in the index), and the open matters at a department still without
        # an approved 交办标题 (the intake to-do list, by deadline). Partial: only open matters.
        Index("ix_matter_open_received", "received_on", "id", "due_on", sqlite_where=text("due_on IS NOT NULL"),
              postgresql_where=text("due_on IS NOT NULL")),
        Index("ix_matter_untitled_due", "due_on", "id", sqlite_where=text(UNTITLED_OPEN),
              postgresql_where=text(UNTITLED_OPEN)),
        CheckConstraint("rework_count >= 0", name="rework_count_nonnegative"),
        # 原编号 of an imported legacy ledger, once per source: two clerks confirming one ledger at once
        # cannot import it twice (NULLs — matters not imported — never collide). A unique index, not a
        # constraint: SQLite adds it without rebuilding the table every other table refers to.
        Index("ux_matter_original_number", "original_source", "original_number", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[MatterKind] = mapped_column(enum_column(MatterKind, "matter_kind"))
    year: Mapped[int]
    seq: Mapped[int]
    serial: Mapped[str] = mapped_column(String(20), unique=True)
    query_code: Mapped[str] = mapped_column(String(12))
    channel: Mapped[Channel] = mapped_column(enum_column(Channel, "channel"))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("category.id"), index=True)
    # 标题 as received: a citizen's own words when it came through the portal or a ledger import, so
    # office staff only. What a department sees is the office-written or approved 交办标题 below,
    # always through ``permissions.visible_title`` (docs/domain.md §14).
    title: Mapped[str] = mapped_column(String(120))
    assigned_title: Mapped[str] = mapped_column(String(120), default="", server_default="")  # "": not approved
    content: Mapped[str] = long_text(20000)  # the complainant's own words: office staff only
    summary: Mapped[str] = long_text(4000, default="")  # 摘要: what departments see
    respondent_department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    # 被反映单位/人员 as received: free text a citizen may fill with their own name and phone, so office
    # staff only, like the title. Departments read the approved copies below, always through
    # ``permissions.visible_respondent`` (docs/domain.md §14). None: not approved yet ("" is approved empty).
    respondent_unit: Mapped[str] = mapped_column(String(120), default="")
    respondent_person: Mapped[str] = mapped_column(String(60), default="")
    assigned_respondent_unit: Mapped[str | None] = mapped_column(String(120))
    assigned_respondent_person: Mapped[str | None] = mapped_column(String(60))
    received_on: Mapped[date]
    anonymous: Mapped[bool] = mapped_column(default=False)
    confidential: Mapped[bool] = mapped_column(default=False)
    # 信访类别, set by intake on acceptance (correctable, audited); None before acceptance and for findings.
    complaint_class: Mapped[ComplaintClass | None] = mapped_column(enum_column(ComplaintClass, "complaint_class"))

    # Finding (检查发现)
    inspected_on: Mapped[date | None]
    place: Mapped[str] = mapped_column(String(120), default="")
    inspectors: Mapped[str] = mapped_column(String(120), default="")
    problems: Mapped[str] = long_text(8000, default="")  # one problem a line

    status: Mapped[MatterStatus] = mapped_column(enum_column(MatterStatus, "matter_status"),
                                                 default=MatterStatus.REGISTERED)
    # The current deadline and lead department, kept by the services for fast lists. due_on is set only
    # while the matter waits for someone (acceptance, the lead department); it is cleared on approval,
    # closing, refusal and filing.
    due_on: Mapped[date | None]
    due_provisional: Mapped[bool] = mapped_column(default=False)
    lead_department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    accept_due_on: Mapped[date | None]
    accept_due_provisional: Mapped[bool] = mapped_column(default=False)

    decision_reason: Mapped[str] = long_text(2000, default="")  # 不予受理 / 存查 reason
    # Before 交办 (SPEC §11): intake's proposed handling (拟办意见) and a leader's instruction (领导批示),
    # both printed on the 交办单.
    proposed_handling: Mapped[str] = long_text(2000, default="")
    proposed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    proposed_at: Mapped[datetime | None]
    leader_instruction: Mapped[str] = long_text(2000, default="")
    instructed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    instructed_at: Mapped[datetime | None]
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("matter.id"), index=True)
    rework_count: Mapped[int] = mapped_column(default=0)
    public_reply: Mapped[str] = long_text(4000, default="")  # the answer the citizen may read

    # 信访终结: the 复核 opinion was given; the same matter is not accepted again (SPEC §11).
    concluded_at: Mapped[datetime | None]
    satisfaction: Mapped[Satisfaction | None] = mapped_column(enum_column(Satisfaction, "satisfaction"))
    followup_note: Mapped[str] = long_text(2000, default="")
    followed_up_at: Mapped[datetime | None]

    registered_at: Mapped[datetime] = mapped_column(default=clock.now)
    registered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    closed_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)
    version: Mapped[int] = mapped_column(default=1)
    original_source: Mapped[str | None] = mapped_column(String(40))  # "ledger": 历史台账导入
    original_number: Mapped[str | None] = mapped_column(String(40))  # 原编号 in that source

    __mapper_args__ = {"version_id_col": version}

    category: Mapped[Category | None] = relationship()
    respondent_department: Mapped[Department | None] = relationship(foreign_keys=[respondent_department_id])
    lead_department: Mapped[Department | None] = relationship(foreign_keys=[lead_department_id])
    registered_by: Mapped[User | None] = relationship(foreign_keys=[registered_by_id])
    proposed_by: Mapped[User | None] = relationship(foreign_keys=[proposed_by_id])
    instructed_by: Mapped[User | None] = relationship(foreign_keys=[instructed_by_id])
    duplicate_of: Mapped[Matter | None] = relationship(remote_side=[id])
    complainant: Mapped[Complainant | None] = relationship(back_populates="matter", uselist=False,
                                                           lazy="raise_on_sql")
    assignments: Mapped[list[Assignment]] = relationship(back_populates="matter", order_by="Assignment.id")
    events: Mapped[list[MatterEvent]] = relationship(back_populates="matter", order_by="MatterEvent.id")

    def __str__(self) -> str:
        return self.serial  # never the title: which one a reader may see depends on who reads

    @property
    def lead_assignment(self) -> Assignment | None:
        return next((a for a in self.assignments if a.role == AssignmentRole.LEAD
                     and a.status != AssignmentStatus.WITHDRAWN and a.status != AssignmentStatus.RETURNED),
                    None)

    def active_assignments(self) -> list[Assignment]:
        return [a for a in self.assignments
                if a.status not in (AssignmentStatus.WITHDRAWN, AssignmentStatus.RETURNED)]

    def department_ids(self) -> set[int]:
        """Departments this matter is (or was) addressed to: who may see its summary."""
        return {a.department_id for a in self.assignments if a.status != AssignmentStatus.WITHDRAWN}

    @property
    def is_open(self) -> bool:
        return self.status not in TERMINAL_STATUSES

    def problem_list(self) -> list[str]:
        return [line.strip() for line in self.problems.splitlines() if line.strip()]


TERMINAL_STATUSES = frozenset({MatterStatus.NOT_ACCEPTED, MatterStatus.FILED, MatterStatus.CLOSED,
                               MatterStatus.ARCHIVED})


class Complainant(Base):
    """Identity of the person who complained. Office staff only; every view is audited."""

    __tablename__ = "complainant"

    id: Mapped[int] = mapped_column(primary_key=True)
    matter_id: Mapped[int] = mapped_column(ForeignKey("matter.id"), unique=True)
    name: Mapped[str] = mapped_column(String(40), default="")
    phone: Mapped[str] = mapped_column(String(40), default="", index=True)
    id_number: Mapped[str] = mapped_column(String(18), default="")
    address: Mapped[str] = mapped_column(String(200), default="")
    work_unit: Mapped[str] = mapped_column(String(120), default="")
    email: Mapped[str] = mapped_column(String(120), default="")  # notices by e-mail (SPEC §11)

    matter: Mapped[Matter] = relationship(back_populates="complainant")

    def is_empty(self) -> bool:
        return not any((self.name, self.phone, self.id_number, self.address, self.work_unit, self.email))


class Assignment(Base):
    """交办: one department's part in a matter (主办 or 协办), with its own deadline."""

    __tablename__ = "assignment"
    __table_args__ = (
        Index("ix_assignment_department_status_due", "department_id", "status", "due_on", "id"),
        Index("ix_assignment_status_due", "status", "due_on"),
        # A department head's matters (permissions: every list and count of theirs), from the index alone.
        Index("ix_assignment_department_status_matter", "department_id", "status", "matter_id"),
        # Statistics: a matter's assignments with what the figures read (sign-for, reply, deadline, the
        # assessed deadline, the id its extensions name).
        Index("ix_assignment_statistics", "matter_id", "role", "department_id", "status", "due_on", "assigned_on",
              "received_at", "replied_at", "assessed_due_on", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    matter_id: Mapped[int] = mapped_column(ForeignKey("matter.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    role: Mapped[AssignmentRole] = mapped_column(enum_column(AssignmentRole, "assignment_role"))
    status: Mapped[AssignmentStatus] = mapped_column(enum_column(AssignmentStatus, "assignment_status"),
                                                     default=AssignmentStatus.ASSIGNED)
    requirements: Mapped[str] = long_text(2000, default="")  # 交办意见 / 办理要求
    assigned_on: Mapped[date]
    assigned_at: Mapped[datetime] = mapped_column(default=clock.now)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # Deadline: computed from a rule (amount + unit from assigned_on), or an explicit date.
    limit_amount: Mapped[int | None]
    limit_unit: Mapped[str | None] = mapped_column(String(10))
    due_on: Mapped[date]
    due_provisional: Mapped[bool] = mapped_column(default=False)
    # The deadline that decides 按时办结 when a 督办 moved due_on (docs/domain.md §8): the one the
    # department was given. None: due_on decides. An approved extension or a rework deadline clears it.
    assessed_due_on: Mapped[date | None]
    object_due_on: Mapped[date]  # last day to object (退回)
    object_due_provisional: Mapped[bool] = mapped_column(default=False, server_default=false())
    avoidance_override: Mapped[str] = long_text(1000, default="")  # 回避 override reason
    received_at: Mapped[datetime | None]
    received_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    returned_at: Mapped[datetime | None]
    return_reason: Mapped[str] = long_text(2000, default="")
    replied_at: Mapped[datetime | None]
    # 协办: a supervisor may let the lead's reply be approved without this co-handler's 协办意见 (audited).
    waived_at: Mapped[datetime | None]
    waived_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    waiver_reason: Mapped[str] = long_text(1000, default="", server_default="")

    matter: Mapped[Matter] = relationship(back_populates="assignments")
    department: Mapped[Department] = relationship()
    assigned_by: Mapped[User | None] = relationship(foreign_keys=[assigned_by_id])
    replies: Mapped[list[Reply]] = relationship(back_populates="assignment", order_by="Reply.id")
    extensions: Mapped[list[Extension]] = relationship(back_populates="assignment", order_by="Extension.id")

    @property
    def is_open(self) -> bool:
        return self.status in (AssignmentStatus.ASSIGNED, AssignmentStatus.RECEIVED)

    def pending_extension(self) -> Extension | None:
        return next((e for e in self.extensions if e.status == ExtensionStatus.PENDING), None)


class Reply(Base):
    """办结报告: a department's result, and the supervisor's review of it."""

    __tablename__ = "reply"

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignment.id"), index=True)
    result: Mapped[str] = long_text(10000)  # what was found and done
    public_reply: Mapped[str] = long_text(4000, default="")  # proposed answer to the citizen
    submitted_at: Mapped[datetime] = mapped_column(default=clock.now)
    submitted_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    review_result: Mapped[ReviewResult | None] = mapped_column(enum_column(ReviewResult, "review_result"))
    review_note: Mapped[str] = long_text(2000, default="")
    reviewed_at: Mapped[datetime | None]
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    assignment: Mapped[Assignment] = relationship(back_populates="replies")
    submitted_by: Mapped[User] = relationship(foreign_keys=[submitted_by_id])
    reviewed_by: Mapped[User | None] = relationship(foreign_keys=[reviewed_by_id])


class Extension(Base):
    """延期申请: requested by the department, decided by a supervisor or leader."""

    __tablename__ = "extension"
    __table_args__ = (
        # One pending request per assignment, held by the database: two clicks at once make one request.
        Index("ux_extension_one_pending", "assignment_id", unique=True,
              sqlite_where=text("status = 'pending'"), postgresql_where=text("status = 'pending'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignment.id"), index=True)
    reason: Mapped[str] = long_text(2000)
    previous_due_on: Mapped[date]
    requested_due_on: Mapped[date]
    status: Mapped[ExtensionStatus] = mapped_column(enum_column(ExtensionStatus, "extension_status"),
                                                    default=ExtensionStatus.PENDING)
    requested_at: Mapped[datetime] = mapped_column(default=clock.now)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    decision_note: Mapped[str] = long_text(2000, default="")

    assignment: Mapped[Assignment] = relationship(back_populates="extensions")
    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])


class MatterEvent(Base):
    """One step on a matter's timeline. ``audience`` says who may read it (never identity)."""

    __tablename__ = "matter_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    matter_id: Mapped[int] = mapped_column(ForeignKey("matter.id"), index=True)
    at: Mapped[datetime] = mapped_column(default=clock.now)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    action: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = long_text(4000, default="")
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    # office: office staff only; department: also the departments of the matter; public: also the citizen
    audience: Mapped[str] = mapped_column(String(12), default="office")
    old_due_on: Mapped[date | None]
    new_due_on: Mapped[date | None]

    matter: Mapped[Matter] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()
    department: Mapped[Department | None] = relationship()


class Attachment(Base):
    """Evidence or a reply's file. Stored under instance/uploads with a random name."""

    __tablename__ = "attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    matter_id: Mapped[int] = mapped_column(ForeignKey("matter.id"), index=True)
    reply_id: Mapped[int | None] = mapped_column(ForeignKey("reply.id"))
    original_name: Mapped[str] = mapped_column(String(200))
    # One stored file may be named by several rows: evidence carried over from a duplicate merged into
    # its original (并入) names the same file, never a second copy on disk.
    stored_name: Mapped[str] = mapped_column(String(64), index=True)
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    shared_with_department: Mapped[bool] = mapped_column(default=False)
    uploaded_at: Mapped[datetime] = mapped_column(default=clock.now)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # The duplicate's own row this one was carried over from (并入此件); None for a file uploaded here.
    carried_from_id: Mapped[int | None] = mapped_column(ForeignKey("attachment.id"))

    matter: Mapped[Matter] = relationship()
    reply: Mapped[Reply | None] = relationship()
    carried_from: Mapped[Attachment | None] = relationship(remote_side=[id])

    @property
    def is_evidence(self) -> bool:
        """Evidence came with the complaint (the complainant's own files); a reply's files are the
        department's. Evidence is identity (docs/domain.md §14)."""
        return self.reply_id is None
