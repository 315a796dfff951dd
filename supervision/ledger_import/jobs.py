"""A confirmed ledger import runs as a job, outside the request (SPEC §15, issue 17 item 3).

- ``queue_import``: the confirming request records the job — who, which upload (its token, unique: a
  double click or a second tab finds the same job), the file itself — and commits. Nothing else.
- ``run_queued`` / ``run_job``: a worker (``flask jobs run``, or each ``flask sweep``) claims a job,
  checks the file again against the database (the office moved on meanwhile), then imports its rows in
  order of receipt, a batch per transaction. Each batch holds the office-wide confirmation lock (as the
  one-transaction import did), skips rows already in the system, and advances the job's progress **in
  the same transaction**: a worker killed mid-way leaves exactly the committed batches counted; after
  the lease the next worker continues from there, and no row is imported twice.
- Each batch's matters go into the search change log with them; every server's index catches up from it.

Nothing here reads the request; the functions commit (they are the worker), so they take a session of
their own making or the worker's.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from supervision import audit, clock, permissions
from supervision.errors import DomainError, PermissionDenied
from supervision.ledger_import import importing
from supervision.ledger_import.files import TOKEN
from supervision.models.jobs import JobState, LedgerImportJob
from supervision.models.org import User
from supervision.search.applier import as_ranges

log = logging.getLogger(__name__)

BATCH_ROWS = 1000  # rows per transaction: ~1 s of work at most, so a lease of minutes is ample
LEASE_SECONDS = 120  # a running job whose heartbeat is older was abandoned (its process died)
MAX_ATTEMPTS = 5  # claims of one job: a file that kills its worker every time stops being retried
DUPLICATES_KEPT = 200  # skipped rows listed on the result page
J = LedgerImportJob.__table__.c


@dataclass(frozen=True)
class JobPolicy:
    batch_rows: int = BATCH_ROWS
    lease_seconds: float = LEASE_SECONDS
    cache: Path | None = None  # the upload's cells, read at preview (instance/imports): no second parse

    @classmethod
    def from_config(cls, config, instance_path: str) -> JobPolicy:
        return cls(int(config.get("LEDGER_IMPORT_BATCH_ROWS", BATCH_ROWS)),
                   float(config.get("LEDGER_IMPORT_LEASE_SECONDS", LEASE_SECONDS)),
                   Path(instance_path) / "imports")


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:80]


# --- the request ----------------------------------------------------------------------------------
def job_for_token(session: Session, token: str) -> LedgerImportJob | None:
    return session.scalar(select(LedgerImportJob).where(LedgerImportJob.token == token))


LEDGER, TASK_LIST = "ledger", "task_list"
KIND_LABELS = {LEDGER: "历史台账", TASK_LIST: "督查任务清单"}


def job_of_kind(session: Session, token: str, kind: str) -> LedgerImportJob | None:
    """The job a result page's token names, if the token is well formed and the job is of ``kind`` (a 历史台账
    and a 督查任务清单 each have their own pages)."""
    job = job_for_token(session, token) if TOKEN.match(token) else None
    return job if job is not None and job.kind == kind else None


def own_job(session: Session, actor: User, token: str, kind: str) -> LedgerImportJob | None:
    """The same, only for the clerk who confirmed it: the one who may retry it."""
    job = job_of_kind(session, token, kind)
    return job if job is not None and job.user_id == actor.id else None


def recent_jobs(session: Session, limit: int = 20, kind: str = LEDGER) -> list[LedgerImportJob]:
    """The office's latest imports of ``kind``, newest first (the import page lists them for every clerk)."""
    from sqlalchemy.orm import joinedload

    return list(session.scalars(select(LedgerImportJob).options(joinedload(LedgerImportJob.user))
                                .where(LedgerImportJob.kind == kind)
                                .order_by(LedgerImportJob.created_at.desc(), LedgerImportJob.id.desc()).limit(limit)))


def may_import(actor: User, kind: str) -> bool:
    return permissions.can_manage_task_items(actor) if kind == TASK_LIST else permissions.can_import_ledger(actor)


def queue_import(session: Session, actor: User, *, token: str, file_name: str, data: bytes,
                 sha256: str, kind: str = LEDGER) -> LedgerImportJob:
    """确认导入: record the job (once per upload) and its audit entry. Never commits. ``kind``: a ledger
    (历史台账) or a task list (督查任务清单, ``tasks.importing``)."""
    if kind not in KIND_LABELS:
        raise DomainError("未知的导入类型。")
    if not may_import(actor, kind):
        raise PermissionDenied("您无权导入台账。" if kind == LEDGER else "只有督查人员可以导入督查任务清单。")
    existing = job_for_token(session, token)
    if existing is not None:
        return existing
    job = LedgerImportJob(token=token, kind=kind, user_id=actor.id, file_name=file_name[:200], file_sha256=sha256,
                          file_size=len(data), data=data, state=JobState.QUEUED, created_at=clock.now())
    session.add(job)
    session.flush()  # the token's unique index refuses a twin confirmed at the same moment, here
    action = "ledger.import_queued" if kind == LEDGER else "task_list.import_queued"
    audit.record(session, actor, action, ("ledger_import_job", job.id),
                 f"确认导入{KIND_LABELS[kind]} {job.file_name}（后台导入）", {"file": job.file_name, "sha256": sha256,
                                                                      "size": len(data)})
    return job


def retry(session: Session, actor: User, job: LedgerImportJob) -> None:
    """重新导入 a failed job (not one that failed on the file's own errors: that file needs correcting).
    The rows it imported before failing are found in the system and skipped."""
    if actor.id != job.user_id or not may_import(actor, job.kind):
        raise PermissionDenied("只有确认导入的人可以重新导入。")
    if job.state != JobState.FAILED or job.errors or job.data is None:
        raise DomainError("该导入不能重新开始。如文件有错误，请改正后重新上传。")
    job.state, job.failure, job.attempts, job.finished_at = JobState.QUEUED, "", 0, None
    audit.record(session, actor, "ledger.import_retried", ("ledger_import_job", job.id),
                 f"重新导入{KIND_LABELS.get(job.kind, '历史台账')} {job.file_name}", {"imported_before": job.imported})


# --- the worker -----------------------------------------------------------------------------------
def claim_next(session: Session, policy: JobPolicy, worker: str) -> int | None:
    """Take the oldest queued job, or a running one whose worker stopped renewing its lease; mark it
    running for ``worker`` and commit. On PostgreSQL, workers claiming at once skip each other's rows;
    the conditional UPDATE makes a second claim of the same row change nothing (SQLite too)."""
    abandoned = clock.now() - timedelta(seconds=policy.lease_seconds)
    while True:
        row = session.execute(
            select(J.id, J.state, J.attempts).where(or_(
                J.state == JobState.QUEUED,
                and_(J.state == JobState.RUNNING, or_(J.heartbeat_at.is_(None), J.heartbeat_at <= abandoned))))
            .order_by(J.id).limit(1).with_for_update(skip_locked=True)).first()
        if row is None:
            session.commit()
            return None
        now = clock.now()
        if row.attempts >= MAX_ATTEMPTS:  # it killed its worker that many times: stop, say so
            stopped = session.execute(update(LedgerImportJob.__table__).where(
                J.id == row.id, J.state == row.state, J.attempts == row.attempts).values(
                state=JobState.FAILED, finished_at=now, data=None,
                failure=f"导入进程 {row.attempts} 次中断，已停止重试。已导入的事项保留；请联系系统管理员。")).rowcount
            session.commit()
            if stopped:
                log.error("ledger import job %s stopped after %s attempts", row.id, row.attempts)
            continue
        taken = session.execute(update(LedgerImportJob.__table__).where(
            J.id == row.id, J.state == row.state, J.attempts == row.attempts).values(
            state=JobState.RUNNING, attempts=J.attempts + 1, worker=worker, heartbeat_at=now,
            started_at=now)).rowcount
        session.commit()
        if taken == 1:
            return row.id


def _still_mine(session: Session, job_id: int, worker: str, rows_done: int) -> bool:
    """Renew the lease, in the batch's transaction: False if another worker took the job over meanwhile
    (this one was too slow and counted as dead). On PostgreSQL the row stays locked to the commit."""
    return session.execute(update(LedgerImportJob.__table__).where(
        J.id == job_id, J.state == JobState.RUNNING, J.worker == worker, J.rows_done == rows_done)
        .values(heartbeat_at=clock.now())).rowcount == 1


def run_job(session: Session, job_id: int, policy: JobPolicy, worker: str,
            after_batch: Callable[[int], None] | None = None) -> JobState:
    """Import a claimed job to its end (or to the point where another worker took it over)."""
    job = session.get(LedgerImportJob, job_id)
    actor = job.user
    if job.kind == TASK_LIST:
        return _run_task_list(session, job, worker)
    parsed = importing.read_ledger(session, job.data or b"", cache=policy.cache, dedupe=False)
    if not parsed.ok:  # the office moved on since the preview (a department closed …): nothing written
        _fail(session, job_id, worker, "导入文件有错误，未导入任何事项。请改正后重新上传。",
              errors=[[e.row, e.column, e.message] for e in parsed.errors[:importing.ERRORS_SHOWN]])
        return JobState.FAILED
    ordered = sorted(parsed.rows, key=lambda r: (r.received_on, r.row))
    progress, rows_done = job.progress, job.rows_done
    imported, skipped = job.imported, job.skipped
    session.execute(update(LedgerImportJob.__table__).where(J.id == job_id, J.worker == worker)
                    .values(total_rows=len(ordered), heartbeat_at=clock.now()))
    session.commit()
    while rows_done < len(ordered):
        batch = ordered[rows_done:rows_done + policy.batch_rows]
        try:
            if not _still_mine(session, job_id, worker, rows_done):
                session.rollback()
                log.warning("ledger import job %s was taken over by another worker", job_id)
                return JobState.RUNNING
            result = importing.import_rows(session, actor, batch)
            imported, skipped, rows_done = imported + len(result.matter_ids), skipped + result.skipped, rows_done + len(batch)
            progress = _merged(progress, result)
            session.execute(update(LedgerImportJob.__table__).where(J.id == job_id).values(
                rows_done=rows_done, imported=imported, skipped=skipped, progress_json=_dumps(progress),
                heartbeat_at=clock.now()))
            session.commit()
        except DomainError as error:  # the clerk lost the right to import, say
            session.rollback()
            _fail(session, job_id, worker, str(error))
            return JobState.FAILED
        except Exception as error:  # noqa: BLE001 — a refused row (a serial taken by hand …): stop, say so
            session.rollback()
            log.exception("ledger import job %s failed", job_id)
            kept = f"此前已导入的 {imported} 件保留" if imported else "未导入任何事项"
            _fail(session, job_id, worker, f"导入时数据库拒绝了其中一条记录（可能有人同时在登记事项），{kept}。"
                                           "请稍后重新导入（已导入的不会重复导入）。")
            return JobState.FAILED
        if after_batch is not None:
            after_batch(rows_done)
    return _finish(session, job_id, worker, actor, imported, skipped, progress)


def _run_task_list(session: Session, job: LedgerImportJob, worker: str) -> JobState:
    """A 督查任务清单 (at most 2,000 rows, ``tasks.importing.MAX_ROWS``): checked again, then written in one
    transaction with the job's end — all of it or nothing, as the confirming request once did (20–45 s of
    a request for 2,000 rows: too close to the server's timeout)."""
    from supervision.notifications.services import notify
    from supervision.tasks import importing as task_importing

    job_id, actor = job.id, job.user
    parsed = task_importing.read_list(session, job.data or b"")
    if not parsed.ok:
        _fail(session, job_id, worker, "导入文件有错误，未导入任何事项。请改正后重新上传。",
              errors=[[e.row, e.column, e.message] for e in parsed.errors[:task_importing.ERRORS_SHOWN]])
        return JobState.FAILED
    session.execute(update(LedgerImportJob.__table__).where(J.id == job_id, J.worker == worker)
                    .values(total_rows=len(parsed.rows), heartbeat_at=clock.now()))
    session.commit()
    try:
        if not _still_mine(session, job_id, worker, 0):
            session.rollback()
            log.warning("task list import job %s was taken over by another worker", job_id)
            return JobState.RUNNING
        try:
            result = task_importing.import_list(session, actor, parsed, file_name=job.file_name,
                                                file_sha256=job.file_sha256)
            imported, skipped, serials, item_ids = len(result.item_ids), result.skipped, result.serials, result.item_ids
        except DomainError as error:
            if "已在系统中" not in str(error):
                raise
            imported, skipped, serials, item_ids = 0, len(parsed.rows) + len(parsed.duplicates), [], []
        job = session.get(LedgerImportJob, job_id)
        job.rows_done, job.imported, job.skipped = len(parsed.rows), imported, skipped
        job.progress = {"serials": serials[:1] + serials[-1:], "items": as_ranges(item_ids)}
        job.state, job.finished_at, job.data, job.heartbeat_at = JobState.DONE, clock.now(), None, clock.now()
        notify(session, [actor], f"督查任务清单导入完成：{job.file_name}",
               f"导入 {imported} 项督查事项" + (f"，跳过重复 {skipped} 项" if skipped else "") + "。",
               f"/tasks/import/{job.token}")
        session.commit()
        return JobState.DONE
    except DomainError as error:  # the clerk lost the right to import, say
        session.rollback()
        _fail(session, job_id, worker, str(error))
        return JobState.FAILED
    except Exception:  # noqa: BLE001 — a refused row (a serial taken by hand …): nothing written, say so
        session.rollback()
        log.exception("task list import job %s failed", job_id)
        _fail(session, job_id, worker, "导入时数据库拒绝了其中一条记录（可能有人同时在登记督查事项），未导入任何事项。"
                                       "请稍后重新导入。")
        return JobState.FAILED


def _merged(progress: dict, result: importing.ImportResult) -> dict:
    progress = dict(progress)
    counts = dict(progress.get("counts", {}))
    for (kind, status), n in result.counts.items():
        key = f"{kind.value}|{status.value}"
        counts[key] = counts.get(key, 0) + n
    progress["counts"] = counts
    progress["matters"] = _joined(progress.get("matters", []), result.matter_ids)
    progress["changes"] = _joined(progress.get("changes", []), result.change_ids)
    progress["serials"] = (progress.get("serials") or result.serials[:1])[:1] + result.serials[-1:] \
        if result.serials else progress.get("serials", [])
    if result.received:
        first, last = min(result.received).isoformat(), max(result.received).isoformat()
        progress["first_day"] = min(progress.get("first_day", first), first)
        progress["last_day"] = max(progress.get("last_day", last), last)
    duplicates = list(progress.get("duplicates", []))
    room = DUPLICATES_KEPT - len(duplicates)
    duplicates += [[d.row, d.title[:60], d.reason] for d in result.duplicates[:max(room, 0)]]
    progress["duplicates"] = duplicates
    return progress


def _joined(ranges: list[list[int]], ids: list[int]) -> list[list[int]]:
    return as_ranges([i for lo, hi in ranges for i in range(lo, hi + 1)] + list(ids)) if ids else ranges


def _dumps(progress: dict) -> str:
    import json

    return json.dumps(progress, ensure_ascii=False, separators=(",", ":"))


def _finish(session: Session, job_id: int, worker: str, actor: User, imported: int, skipped: int,
            progress: dict) -> JobState:
    from supervision.notifications.services import notify

    job = session.get(LedgerImportJob, job_id)
    session.refresh(job)
    if job.worker != worker or job.state != JobState.RUNNING:
        return job.state
    job.state, job.finished_at, job.data = JobState.DONE, clock.now(), None
    importing.record_finished(session, actor, file_name=job.file_name, file_sha256=job.file_sha256,
                              imported=imported, skipped=skipped, serials=progress.get("serials", []))
    notify(session, [actor], f"历史台账导入完成：{job.file_name}",
           f"导入 {imported} 件" + (f"，跳过重复 {skipped} 件" if skipped else "") + "。",
           f"/ledgers/import/{job.token}")
    session.commit()
    return JobState.DONE


def _fail(session: Session, job_id: int, worker: str, failure: str, errors: list | None = None) -> None:
    import json

    job = session.get(LedgerImportJob, job_id)
    session.refresh(job)
    if job.worker != worker:
        return
    job.state, job.finished_at, job.failure = JobState.FAILED, clock.now(), failure[:2000]
    if errors:
        job.errors_json, job.data = json.dumps(errors, ensure_ascii=False), None
    audit.record(session, job.user, "ledger.import_failed", ("ledger_import_job", job.id),
                 f"{KIND_LABELS.get(job.kind, '历史台账')} {job.file_name} 未能导入完",
                 {"failure": failure[:500], "imported": job.imported})
    session.commit()


def run_queued(session: Session, policy: JobPolicy, *, budget_seconds: float | None = None,
               worker: str | None = None) -> int:
    """Run queued (and abandoned) jobs one after another until none is left or ``budget_seconds`` have
    passed (a job started is finished). The number of jobs run."""
    worker = worker or worker_name()
    session.commit()  # nothing of the caller's may ride on the commits below
    started, done = time.monotonic(), 0
    while budget_seconds is None or time.monotonic() - started < budget_seconds:
        job_id = claim_next(session, policy, worker)
        if job_id is None:
            break
        run_job(session, job_id, policy, worker)
        session.expunge_all()
        done += 1
    return done


def queued_count(session: Session) -> int:
    from sqlalchemy import func

    return session.scalar(select(func.count()).select_from(LedgerImportJob).where(
        J.state.in_([JobState.QUEUED, JobState.RUNNING]))) or 0


def ahead_of(session: Session, job: LedgerImportJob) -> int:
    """Jobs queued before this one (what the clerk waits for)."""
    from sqlalchemy import func

    return session.scalar(select(func.count()).select_from(LedgerImportJob).where(
        J.state.in_([JobState.QUEUED, JobState.RUNNING]), J.id < job.id)) or 0
