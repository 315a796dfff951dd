"""督查事项 (SPEC §13): work the government set itself, followed through units to the end.

A ``task_item`` (督查事项) is one leader's instruction, meeting decision or key task: its source, what is
asked, the leader in charge (分管领导) and how often units report. It is reviewed by a leader and issued
with a numbered 督查通知, then broken down (分解) into ``task`` rows — one per unit, the lead unit (牵头)
and co-units (配合); a lead unit may split its own task into sub-tasks for co-units (``parent_id``).
Each task has milestones (``task_milestone``), progress reports (``task_report``, with evidence files in
``task_attachment``) on which leaders write 批示 (``task_instruction``), applications to close and the
office's review of each (``task_closure``), and finally a grade (评价) read by the unit assessment.

Light-relevant dates are kept on the rows themselves (``next_milestone_on``, ``next_report_on``,
``watch_on`` = the earliest open one of them and the final deadline) so the lists and the board sort
and filter by an index instead of working them out row by row; the area's services keep them current.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from supervision import clock
from supervision.models.base import Base, LabelledEnum, enum_column, long_text
from supervision.models.org import Department, User

SERIAL_PREFIX = "DC"  # 督查


class TaskSourceKind(LabelledEnum):
    INSTRUCTION = "instruction", "领导批示件"
    MEETING = "meeting", "会议议定事项"
    KEY_WORK = "key_work", "年度重点工作"
    TARGET = "target", "目标任务"
    DEPUTY = "deputy", "人大代表建议"
    PROPOSAL = "proposal", "政协提案"
    HIGHER = "higher", "上级交办"
    OTHER = "other", "其他"


class Importance(LabelledEnum):
    NORMAL = "normal", "一般"
    IMPORTANT = "important", "重要"
    CRITICAL = "critical", "特别重要"


class ReportSchedule(LabelledEnum):
    """How often units report progress on the item's tasks."""

    WEEKLY = "weekly", "每周"
    MONTHLY = "monthly", "每月"
    MILESTONE = "milestone", "按节点"


class ItemStatus(LabelledEnum):
    DRAFT = "draft", "立项"
    REVIEW = "review", "待领导审核"
    APPROVED = "approved", "已审核待下发"
    ISSUED = "issued", "办理中"
    CLOSED = "closed", "已办结"
    CANCELLED = "cancelled", "已撤销"


class TaskRole(LabelledEnum):
    LEAD = "lead", "牵头"
    CO = "co", "配合"


class TaskStatus(LabelledEnum):
    PLANNED = "planned", "待下发"  # the item is not issued yet
    ASSIGNED = "assigned", "待签收"
    RECEIVED = "received", "办理中"
    APPLIED = "applied", "办结待复核"
    CLOSED = "closed", "已销号"
    CANCELLED = "cancelled", "已撤销"


OPEN_TASK_STATUSES = (TaskStatus.ASSIGNED, TaskStatus.RECEIVED, TaskStatus.APPLIED)


class TaskGrade(LabelledEnum):
    """评价 of a unit's work on one task (tasks-extra turns it into assessment points)."""

    EXCELLENT = "excellent", "好"
    GOOD = "good", "较好"
    FAIR = "fair", "一般"
    POOR = "poor", "差"


class ClosureDecision(LabelledEnum):
    PENDING = "pending", "待复核"
    CLOSED = "closed", "销号"
    RETURNED = "returned", "退回"


class TaskItem(Base):
    __tablename__ = "task_item"
    __table_args__ = (
        UniqueConstraint("year", "seq"),
        Index("ix_task_item_status_watch", "status", "watch_on", "id"),
        Index("ix_task_item_leader_status", "leader_id", "status", "watch_on"),
        Index("ix_task_item_registered", "registered_at", "id"),
        CheckConstraint("report_weekday IS NULL OR (report_weekday >= 1 AND report_weekday <= 7)",
                        name="report_weekday_range"),
        CheckConstraint("report_day IS NULL OR (report_day >= 1 AND report_day <= 28)", name="report_day_range"),
        CheckConstraint("warning_workdays IS NULL OR (warning_workdays >= 0 AND warning_workdays <= 20)",
                        name="warning_workdays_range"),
        # The few items with a yellow light of their own: the lights read the column only if there are any.
        Index("ix_task_item_own_warning", "warning_workdays", sqlite_where=text("warning_workdays IS NOT NULL"),
              postgresql_where=text("warning_workdays IS NOT NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int]
    seq: Mapped[int]
    serial: Mapped[str] = mapped_column(String(20), unique=True)  # DC-2026-00003

    source_kind: Mapped[TaskSourceKind] = mapped_column(enum_column(TaskSourceKind, "task_source_kind"))
    source_number: Mapped[str] = mapped_column(String(60), default="")  # 批示件 / 会议纪要 文号
    source_date: Mapped[date | None]
    source_text: Mapped[str] = long_text(8000, default="")  # the instruction's text or the minutes' excerpt
    title: Mapped[str] = mapped_column(String(200))
    content: Mapped[str] = long_text(8000)
    importance: Mapped[Importance] = mapped_column(enum_column(Importance, "task_importance"),
                                                   default=Importance.NORMAL)
    leader_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))  # 分管领导
    expected_result: Mapped[str] = long_text(4000, default="")
    due_on: Mapped[date]  # 办结时限 of the whole item; tasks default to it
    due_provisional: Mapped[bool] = mapped_column(default=False)

    report_schedule: Mapped[ReportSchedule] = mapped_column(enum_column(ReportSchedule, "task_report_schedule"),
                                                            default=ReportSchedule.MONTHLY)
    report_weekday: Mapped[int | None]  # weekly: 1 = Monday … 7 = Sunday
    report_day: Mapped[int | None]  # monthly: day N of each month
    # Yellow light within this many working days of a deadline; None: the office's setting.
    warning_workdays: Mapped[int | None]

    status: Mapped[ItemStatus] = mapped_column(enum_column(ItemStatus, "task_item_status"), default=ItemStatus.DRAFT)
    registered_at: Mapped[datetime] = mapped_column(default=clock.now)
    registered_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    submitted_at: Mapped[datetime | None]
    reviewed_at: Mapped[datetime | None]
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    review_note: Mapped[str] = long_text(2000, default="")  # 审核意见 (also why it was sent back)
    notice_number: Mapped[str] = mapped_column(String(40), default="")  # 督查通知 文号
    issued_on: Mapped[date | None]
    issued_at: Mapped[datetime | None]
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    closed_at: Mapped[datetime | None]
    cancelled_reason: Mapped[str] = mapped_column(String(400), default="")

    # The earliest open deadline of its open tasks (light and board order); None when nothing is open.
    watch_on: Mapped[date | None]

    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    leader: Mapped[User | None] = relationship(foreign_keys=[leader_id])
    registered_by: Mapped[User] = relationship(foreign_keys=[registered_by_id])
    reviewed_by: Mapped[User | None] = relationship(foreign_keys=[reviewed_by_id])
    tasks: Mapped[list[Task]] = relationship(back_populates="item", order_by="Task.id")
    attachments: Mapped[list[TaskAttachment]] = relationship(
        primaryjoin="and_(TaskAttachment.item_id == TaskItem.id, "
                                           "TaskAttachment.task_id.is_(None))",
        order_by="TaskAttachment.id", viewonly=True)

    def __str__(self) -> str:
        return f"{self.serial} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status not in (ItemStatus.CLOSED, ItemStatus.CANCELLED)

    @property
    def is_issued(self) -> bool:
        return self.status in (ItemStatus.ISSUED, ItemStatus.CLOSED)

    @property
    def schedule_label(self) -> str:
        if self.report_schedule == ReportSchedule.WEEKLY:
            return f"每周{'一二三四五六日'[(self.report_weekday or 5) - 1]}报送"
        if self.report_schedule == ReportSchedule.MONTHLY:
            return f"每月{self.report_day or 25}日前报送"
        return "每个节点到期时报送"

    @property
    def top_tasks(self) -> list[Task]:
        return [t for t in self.tasks if t.parent_id is None]


class Task(Base):
    """One unit's part of an item (牵头 or 配合), or a sub-task the lead unit split off for a co-unit."""

    __tablename__ = "task"
    __table_args__ = (
        Index("ix_task_department_status_watch", "department_id", "status", "watch_on", "id"),
        # The board's count by unit reads an item's tasks from the index alone (no row look-ups).
        Index("ix_task_item_department_status", "item_id", "department_id", "status"),
        Index("ix_task_status_watch", "status", "watch_on", "id"),
        Index("ix_task_status_due", "status", "due_on", "id"),
        Index("ix_task_status_report", "status", "next_report_on"),
        Index("ix_task_status_milestone", "status", "next_milestone_on"),
        CheckConstraint("progress >= 0 AND progress <= 100", name="progress_range"),
        CheckConstraint("score IS NULL OR (score >= 0 AND score <= 100)", name="score_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("task_item.id"))  # ix_task_item_department_status
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("task.id"), index=True)  # split by the lead unit
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    role: Mapped[TaskRole] = mapped_column(enum_column(TaskRole, "task_role"))
    responsible_person: Mapped[str] = mapped_column(String(40), default="")  # 责任人
    responsible_phone: Mapped[str] = mapped_column(String(40), default="")
    requirements: Mapped[str] = long_text(4000, default="")  # what this unit must do
    due_on: Mapped[date]  # final deadline
    due_provisional: Mapped[bool] = mapped_column(default=False)

    status: Mapped[TaskStatus] = mapped_column(enum_column(TaskStatus, "task_status"), default=TaskStatus.PLANNED)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    assigned_at: Mapped[datetime | None]  # when it went out (the item's issue, or later)
    received_at: Mapped[datetime | None]  # 签收
    received_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    closed_at: Mapped[datetime | None]  # 销号
    closed_late: Mapped[bool] = mapped_column(default=False)  # closed (applied) after due_on

    progress: Mapped[int] = mapped_column(default=0)  # the last report's percentage
    last_report_at: Mapped[datetime | None]
    report_count: Mapped[int] = mapped_column(default=0)
    late_report_count: Mapped[int] = mapped_column(default=0)
    next_report_on: Mapped[date | None]  # the next progress report is due then (None: none expected)
    next_milestone_on: Mapped[date | None]  # the earliest open milestone
    watch_on: Mapped[date | None]  # min(next_report_on, next_milestone_on, due_on) while open

    grade: Mapped[TaskGrade | None] = mapped_column(enum_column(TaskGrade, "task_grade"))
    score: Mapped[int | None]
    grade_note: Mapped[str] = long_text(2000, default="")
    graded_at: Mapped[datetime | None]
    graded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}

    item: Mapped[TaskItem] = relationship(back_populates="tasks")
    parent: Mapped[Task | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Task]] = relationship(back_populates="parent", order_by="Task.id")
    department: Mapped[Department] = relationship()
    milestones: Mapped[list[TaskMilestone]] = relationship(back_populates="task",
                                                           order_by="(TaskMilestone.due_on, TaskMilestone.id)")
    reports: Mapped[list[TaskReport]] = relationship(back_populates="task", order_by="TaskReport.id")
    closures: Mapped[list[TaskClosure]] = relationship(back_populates="task", order_by="TaskClosure.id")

    def __str__(self) -> str:
        return f"{self.department.name}（{self.role.label}）"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_TASK_STATUSES

    @property
    def is_finished(self) -> bool:
        return self.status in (TaskStatus.CLOSED, TaskStatus.CANCELLED)

    @property
    def pending_closure(self) -> TaskClosure | None:
        return next((c for c in self.closures if c.decision == ClosureDecision.PENDING), None)

    @property
    def grade_label(self) -> str:
        parts = [self.grade.label if self.grade else "", f"{self.score} 分" if self.score is not None else ""]
        return "，".join(p for p in parts if p)


class TaskMilestone(Base):
    """节点: a date (N working days from the issue, or a calendar date) and the result expected by then."""

    __tablename__ = "task_milestone"
    __table_args__ = (Index("ix_task_milestone_open_due", "done_on", "due_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("task.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    expected_result: Mapped[str] = long_text(2000, default="")
    limit_workdays: Mapped[int | None]  # given in working days (counted from the task's issue), or None
    due_on: Mapped[date]
    due_provisional: Mapped[bool] = mapped_column(default=False)
    done_on: Mapped[date | None]  # reached: a report said so
    report_id: Mapped[int | None] = mapped_column(ForeignKey("task_report.id"))

    task: Mapped[Task] = relationship(back_populates="milestones")

    @property
    def is_open(self) -> bool:
        return self.done_on is None


class TaskReport(Base):
    """进度反馈: a percentage, what was done, and evidence files. ``due_on`` is the scheduled date it
    answers (None for an unscheduled report); ``workdays_late`` > 0 when it came after it."""

    __tablename__ = "task_report"
    __table_args__ = (
        Index("ix_task_report_task_submitted", "task_id", "submitted_at"),
        Index("ix_task_report_submitted", "submitted_at", "id"),
        CheckConstraint("percent >= 0 AND percent <= 100", name="percent_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("task.id"))
    percent: Mapped[int]
    content: Mapped[str] = long_text(8000)
    difficulties: Mapped[str] = long_text(4000, default="")  # 存在问题 / 需协调事项
    due_on: Mapped[date | None]
    workdays_late: Mapped[int] = mapped_column(default=0)
    submitted_at: Mapped[datetime] = mapped_column(default=clock.now)
    submitted_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))

    task: Mapped[Task] = relationship(back_populates="reports")
    submitted_by: Mapped[User] = relationship()
    attachments: Mapped[list[TaskAttachment]] = relationship(back_populates="report", order_by="TaskAttachment.id")
    instructions: Mapped[list[TaskInstruction]] = relationship(back_populates="report",
                                                               order_by="TaskInstruction.id")

    @property
    def late(self) -> bool:
        return self.workdays_late > 0


class TaskInstruction(Base):
    """领导批示 written on a progress report: recorded, audited, told to the unit."""

    __tablename__ = "task_instruction"
    __table_args__ = (Index("ix_task_instruction_written", "written_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("task_report.id"), index=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("task.id"), index=True)
    text: Mapped[str] = long_text(4000)
    written_at: Mapped[datetime] = mapped_column(default=clock.now)
    written_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))

    report: Mapped[TaskReport] = relationship(back_populates="instructions")
    written_by: Mapped[User] = relationship()


class TaskClosure(Base):
    """办结申请 by the unit and the office's 复核: 销号 or 退回 with the reason. Every round is kept."""

    __tablename__ = "task_closure"
    __table_args__ = (Index("ix_task_closure_decision", "decision", "applied_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("task.id"), index=True)
    summary: Mapped[str] = long_text(8000)  # 办结情况
    applied_at: Mapped[datetime] = mapped_column(default=clock.now)
    applied_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    decision: Mapped[ClosureDecision] = mapped_column(enum_column(ClosureDecision, "task_closure_decision"),
                                                      default=ClosureDecision.PENDING)
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    note: Mapped[str] = long_text(2000, default="")  # 复核意见 / 退回理由

    task: Mapped[Task] = relationship(back_populates="closures")
    applied_by: Mapped[User] = relationship(foreign_keys=[applied_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])


class TaskAttachment(Base):
    """A file of an item (its source document) or of a progress report (evidence)."""

    __tablename__ = "task_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("task_item.id"), index=True)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("task.id"), index=True)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("task_report.id"), index=True)
    original_name: Mapped[str] = mapped_column(String(200))
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(default=clock.now)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))

    item: Mapped[TaskItem] = relationship(foreign_keys=[item_id], viewonly=True)
    report: Mapped[TaskReport | None] = relationship(back_populates="attachments")
