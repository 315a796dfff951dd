"""Work that takes longer than a request (SPEC §15): a confirmed ledger import is a job.

A ``ledger_import_job`` row is written by the confirming request, in its one short transaction, with the
uploaded file itself (servers share the database and nothing else, so any server's worker can run it).
A worker (``flask jobs run``, or the sweep) claims it, imports its rows a batch per transaction and
records its progress in the same transaction as each batch: a worker killed mid-way leaves the job
"running" with a stale heartbeat, the next worker takes it over and continues after the last committed
batch — no row is imported twice (and 原编号 is unique anyway).

A work row like a delivery: what it did is in the audit log (queued, each imported matter, finished or
failed), so the table itself is not in ``audit_rows.AUDITED_FIELDS``.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from supervision import clock
from supervision.models.base import Base, LabelledEnum, enum_column, long_text
from supervision.models.org import User


class JobState(LabelledEnum):
    QUEUED = "queued", "排队等待"
    RUNNING = "running", "正在导入"
    DONE = "done", "已完成"
    FAILED = "failed", "未能导入"


class LedgerImportJob(Base):
    __tablename__ = "ledger_import_job"
    __table_args__ = (Index("ix_ledger_import_job_state", "state", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The upload's token: a second confirmation (a double click, two tabs) finds this job, never a second one.
    token: Mapped[str] = mapped_column(String(32), unique=True)
    # What the file is: "ledger" (历史台账, ledger_import.jobs) or "task_list" (督查任务清单, tasks.importing).
    kind: Mapped[str] = mapped_column(String(20), default="ledger", server_default="ledger")
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    file_name: Mapped[str] = mapped_column(String(200))
    file_sha256: Mapped[str] = mapped_column(String(64))
    file_size: Mapped[int]
    data: Mapped[bytes | None] = mapped_column(LargeBinary)  # the .xlsx; dropped when the job ends

    state: Mapped[JobState] = mapped_column(enum_column(JobState, "job_state"), default=JobState.QUEUED)
    total_rows: Mapped[int] = mapped_column(default=0)  # valid rows of the file (known once it is read)
    rows_done: Mapped[int] = mapped_column(default=0)  # of those, taken in committed batches: where to go on
    imported: Mapped[int] = mapped_column(default=0)
    skipped: Mapped[int] = mapped_column(default=0)  # duplicates (of the system or of the file)
    progress_json: Mapped[str] = long_text(2_000_000, default="{}")  # see ``progress``
    failure: Mapped[str] = long_text(2000, default="")  # why it failed, in Chinese, for the clerk
    errors_json: Mapped[str] = long_text(2_000_000, default="[]")  # the file's errors, when it failed on them

    attempts: Mapped[int] = mapped_column(default=0)  # claims so far: a job that keeps dying stops
    worker: Mapped[str] = mapped_column(String(80), default="")  # host:pid of the last claim
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    started_at: Mapped[datetime | None]
    heartbeat_at: Mapped[datetime | None]  # renewed at every batch: older than the lease = abandoned
    finished_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()

    @property
    def progress(self) -> dict[str, Any]:
        """``counts`` {"kind|status": n}, ``matters`` and ``changes`` (id ranges of the imported matters
        and of their search change-log rows), ``first_day`` / ``last_day``, ``duplicates`` (the first
        skipped rows: [row, title, reason])."""
        try:
            return json.loads(self.progress_json or "{}")
        except ValueError:
            return {}

    @progress.setter
    def progress(self, value: dict[str, Any]) -> None:
        self.progress_json = json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    @property
    def errors(self) -> list[list]:
        try:
            return json.loads(self.errors_json or "[]")
        except ValueError:
            return []

    @property
    def finished(self) -> bool:
        return self.state in (JobState.DONE, JobState.FAILED)

    def percent(self) -> int:
        if self.state == JobState.DONE:
            return 100
        return int(100 * self.rows_done / self.total_rows) if self.total_rows else 0
