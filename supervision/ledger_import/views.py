"""历史台账导入: download the template, upload (checked whole, nothing written), preview, confirm."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    send_file,
    url_for,
)
from flask_login import current_user
from flask_wtf.file import FileField
from sqlalchemy import select
from wtforms import HiddenField

from supervision import clock, permissions
from supervision.extensions import db
from supervision.forms import BaseForm
from supervision.ledger_import import importing, jobs
from supervision.ledger_import.files import TOKEN, PendingImports
from supervision.ledgers.xlsx import XLSX_MEDIA_TYPE
from supervision.pipeline import perform
from supervision.models.jobs import JobState
from supervision.models.matters import Matter, MatterKind, MatterStatus
from supervision.search import service as search_service
from supervision.web import requires, retry_import

bp = Blueprint("ledger_import", __name__, url_prefix="/ledgers/import")
PREVIEW_ROWS = 20
RESULT_LINKS = 500
RECENT_JOBS = 20


class UploadForm(BaseForm):
    file = FileField("台账文件（.xlsx）", render_kw={"accept": ".xlsx"})


class ConfirmForm(BaseForm):
    token = HiddenField()


def pending_imports() -> PendingImports:
    return PendingImports(db.session, "ledger")


def cell_cache() -> Path:
    """This server's cache of the cells read at preview (a confirmation on another server reads again)."""
    return Path(current_app.instance_path) / "imports"


def max_bytes() -> int:
    return current_app.config.get("LEDGER_IMPORT_MAX_BYTES", importing.MAX_FILE_BYTES)


def size_label(size: int) -> str:
    return f"{size // (1024 * 1024)} MB" if size >= 1024 * 1024 else f"{size // 1024} KB"


def _index_page(form: UploadForm, status: int = 200):
    reference = importing.Reference.load(db.session)
    return render_template("ledgers/import_index.html", form=form, columns=importing.COLUMNS,
                           column_rule=importing.column_rule, reference=reference, kinds=MatterKind,
                           recent_jobs=jobs.recent_jobs(db.session, RECENT_JOBS), states=JobState,
                           max_rows=importing.MAX_ROWS, max_size=size_label(max_bytes())), status


@bp.get("")
@requires(permissions.can_import_ledger)
def index():
    return _index_page(UploadForm())


@bp.get("/template.xlsx")
@requires(permissions.can_import_ledger)
def template():
    data = importing.build_template(db.session)
    return send_file(BytesIO(data), mimetype=XLSX_MEDIA_TYPE, as_attachment=True,
                     download_name=f"历史台账导入模板-{clock.today():%Y%m%d}.xlsx")


@bp.post("")
@requires(permissions.can_import_ledger)
def upload():
    form = UploadForm()
    if not form.validate_on_submit():
        return _index_page(form, 400)
    upload = form.file.data
    if upload is None or not getattr(upload, "filename", ""):
        flash("请选择要上传的台账文件（.xlsx）。", "error")
        return _index_page(form, 400)
    data = upload.stream.read(max_bytes() + 1)
    if len(data) > max_bytes():
        parsed = importing.ParsedLedger(errors=[importing.RowError(
            None, "", f"文件超过 {size_label(max_bytes())}。请删除无关的工作表和图片，或按年度分成几个文件导入。")])
    else:
        parsed = importing.read_ledger(db.session, data, cache=cell_cache())
    if not parsed.ok:
        return _errors_page(parsed, upload.filename)
    kept = perform(lambda: pending_imports().save(current_user.id, upload.filename, data), bookkeeping=True)
    if not kept.ok:
        return _index_page(form, 507)
    token = kept.result
    return render_template("ledgers/import_preview.html", parsed=parsed, file_name=upload.filename,
                           form=ConfirmForm(token=token), preview_rows=parsed.rows[:PREVIEW_ROWS],
                           counts=_count_table(parsed), kinds=MatterKind)


def _errors_page(parsed: importing.ParsedLedger, file_name: str):
    return render_template("ledgers/import_errors.html", parsed=parsed, file_name=file_name, form=UploadForm(),
                           errors=parsed.errors[:importing.ERRORS_SHOWN], max_rows=importing.MAX_ROWS,
                           max_size=size_label(max_bytes())), 422


def _count_table(parsed: importing.ParsedLedger) -> list[tuple[str, list[tuple[str, int]], int]]:
    """(kind, [(status, n)], total) for the preview and the result."""
    by_kind: dict[MatterKind, list[tuple[str, int]]] = {}
    for (kind, status), n in sorted(parsed.counts().items(), key=lambda item: (list(MatterKind).index(item[0][0]),
                                                                               importing.IMPORT_STATUSES.index(item[0][1]))):
        by_kind.setdefault(kind, []).append((status.label, n))
    return [(kind.label, items, sum(n for _, n in items)) for kind, items in by_kind.items()]


@bp.post("/confirm")
@requires(permissions.can_import_ledger)
def confirm():
    """Record the import as a job and commit — nothing more (SPEC §15): the rows are written by a worker,
    and the result page follows it. A second confirmation of the same upload finds the same job."""
    form = ConfirmForm()
    token = (form.token.data or "") if form.validate_on_submit() else ""
    token = token if TOKEN.match(token) else ""
    job = jobs.job_for_token(db.session, token) if token else None
    if job is not None and job.user_id == current_user.id:
        return redirect(url_for("ledger_import.result", token=token))
    store = pending_imports()
    pending = store.read(token, current_user.id) if token else None
    if pending is None:
        flash("该导入文件不存在、已过期或已导入。请重新上传。", "error")
        return redirect(url_for("ledger_import.index"))
    def queue():  # the job and the upload's "confirmed" in one transaction
        job = jobs.queue_import(db.session, current_user, token=token, file_name=pending.meta["file_name"],
                                data=pending.data, sha256=pending.meta["sha256"])
        store.finish(token, {"job_id": job.id})
        return job

    queued = perform(queue, conflict="该文件已确认导入（可能是重复点击），正在后台导入。")
    if not queued.ok:
        if jobs.job_for_token(db.session, token) is not None:  # the twin of a double click got there first
            return redirect(url_for("ledger_import.result", token=token))
        return redirect(url_for("ledger_import.index"))
    return redirect(url_for("ledger_import.result", token=token))


@bp.get("/<token>")
@requires(permissions.can_import_ledger)
def result(token: str):
    # Any clerk who may import reads every import's result (the import page lists them); only the one who
    # confirmed it may retry it.
    job = jobs.job_of_kind(db.session, token, jobs.LEDGER)
    if job is None:
        flash("找不到该导入记录。导入的事项可在事项台账中查看。", "info")
        return redirect(url_for("ledger_import.index"))
    progress = job.progress
    ids = [i for lo, hi in progress.get("matters", []) for i in range(lo, hi + 1)][:RESULT_LINKS]
    matters = db.session.execute(select(Matter.id, Matter.serial, Matter.title, Matter.kind, Matter.status)
                                 .where(Matter.id.in_(ids)).order_by(Matter.id)).all() if ids else []
    indexing = search_service.indexing_progress(progress.get("changes")) if job.imported else None
    return render_template("ledgers/import_result.html", job=job, progress=progress, matters=matters,
                           counts=_job_counts(progress.get("counts", {})), indexing=indexing,
                           ahead=jobs.ahead_of(db.session, job) if not job.finished else 0,
                           retry_form=BaseForm(), states=JobState, own=job.user_id == current_user.id)


def _job_counts(counts: dict[str, int]) -> list[tuple[str, list[tuple[str, int]], int]]:
    """(kind, [(status, n)], total) of what the job imported, in the preview's order."""
    by_kind: dict[MatterKind, list[tuple[str, int]]] = {}
    parsed = [(MatterKind(k), MatterStatus(s), n) for key, n in counts.items() for k, s in [key.split("|", 1)]]
    for kind, status, n in sorted(parsed, key=lambda item: (list(MatterKind).index(item[0]),
                                                            importing.IMPORT_STATUSES.index(item[1]))):
        by_kind.setdefault(kind, []).append((status.label, n))
    return [(kind.label, items, sum(n for _, n in items)) for kind, items in by_kind.items()]


@bp.post("/<token>/retry")
@requires(permissions.can_import_ledger)
def retry(token: str):
    return retry_import(jobs.LEDGER, token, url_for("ledger_import.result", token=token))
