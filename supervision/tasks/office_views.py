"""The office's pages of 督查事项 beside the area's own (``views``): the leaders' board (驾驶舱), the period
document (督查通报 / 督查专报) and the import of last year's task list. One blueprint, under /tasks/."""

from __future__ import annotations

from urllib.parse import urlencode

import os

from flask import Blueprint, Response, current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from supervision import clock, permissions
from supervision.errors import ValidationError
from supervision.extensions import db
from supervision.forms import BaseForm
from supervision.ledger_import import jobs
from supervision.ledger_import.files import TOKEN, PendingImports
from supervision.models.jobs import JobState
from supervision.models.tasks import TaskItem
from supervision.ledgers.xlsx import XLSX_MEDIA_TYPE, stream_file, temporary_path
from supervision.models.documents import GeneratedDocument
from supervision.statistics import periods
from supervision.tasks import board as task_board
from supervision.pipeline import perform
from supervision.tasks import bulletin as task_bulletin
from supervision.tasks import importing
from supervision.tasks.office_forms import BulletinForm, ImportConfirmForm, ImportUploadForm
from supervision.web import content_disposition, documents_folder, generate_and_send, requires, retry_import

bp = Blueprint("task_office", __name__, url_prefix="/tasks")


def _list_link(**filters) -> str:
    """The item list behind a count: the area's list with exactly the board's conditions."""
    base = url_for("tasks.index")
    return base + "?" + urlencode({k: v for k, v in filters.items() if v not in (None, "")})


@bp.get("/board")
@requires(permissions.can_view_task_board)
def board():
    data = task_board.compute_board(db.session, clock.today())
    return render_template("tasks/board.html", board=data, lights=task_board.LIGHTS,
                           light_keys=task_board.LIGHT_KEYS, link=_list_link)


# --- 督查通报 / 督查专报 ----------------------------------------------------------------------------------
RECENT_DOCUMENTS = 20


def render_bulletin(form: BulletinForm, status: int = 200):
    recent = db.session.scalars(
        select(GeneratedDocument).where(GeneratedDocument.doc_type.in_(tuple(task_bulletin.KINDS)))
        .order_by(GeneratedDocument.generated_at.desc(), GeneratedDocument.id.desc()).limit(RECENT_DOCUMENTS)).all()
    return render_template("tasks/bulletin.html", form=form, recent=recent), status


@bp.get("/bulletin")
@requires(permissions.can_manage_task_items)
def bulletin():
    return render_bulletin(BulletinForm(clock.today(), formdata=None))


@bp.post("/bulletin")
@requires(permissions.can_manage_task_items)
def bulletin_generate():
    today = clock.today()
    form = BulletinForm(today)
    if not form.validate_on_submit():
        return render_bulletin(form, 400)
    try:
        period = periods.from_args(form.period_args(), today)
    except ValidationError as error:
        flash(str(error), "error")
        return render_bulletin(form, 400)
    return generate_and_send(
        lambda: task_bulletin.generate_bulletin(
            db.session, current_user, form.kind.data, period, addressee=form.addressee.data or "",
            requirements=form.requirements.data or "", config=current_app.config, folder=documents_folder(),
            today=today),
        url_for("task_office.bulletin"))


# --- 导入任务清单 (last year's list, from Excel) -----------------------------------------------------------
PREVIEW_ROWS = 20
RESULT_LINKS = 500  # imported items linked on the result page


def pending_lists() -> PendingImports:
    return PendingImports(db.session, "task_list")


def render_import(form: ImportUploadForm, status: int = 200, **context):
    return render_template("tasks/import.html", form=form, columns=importing.COLUMNS, max_rows=importing.MAX_ROWS,
                           max_size=f"{importing.MAX_FILE_BYTES // (1024 * 1024)} MB", **context), status


@bp.get("/import")
@requires(permissions.can_manage_task_items)
def import_index():
    return render_import(ImportUploadForm())


@bp.get("/import/template.xlsx")
@requires(permissions.can_manage_task_items)
def import_template():
    path = temporary_path(os.path.join(current_app.instance_path, "tmp"))
    importing.build_template(path)
    response = Response(stream_file(path), mimetype=XLSX_MEDIA_TYPE)
    response.headers["Content-Disposition"] = content_disposition(
        f"督查任务清单导入模板-{clock.today():%Y%m%d}.xlsx", "task_list_template.xlsx")
    return response


@bp.post("/import")
@requires(permissions.can_manage_task_items)
def import_upload():
    form = ImportUploadForm()
    if not form.validate_on_submit():
        return render_import(form, 400)
    upload = form.file.data
    if upload is None or not getattr(upload, "filename", ""):
        flash("请选择要上传的任务清单（.xlsx）。", "error")
        return render_import(form, 400)
    data = upload.stream.read(importing.MAX_FILE_BYTES + 1)
    parsed = importing.read_list(db.session, data)
    if not parsed.ok:
        return render_import(ImportUploadForm(), 422, parsed=parsed, file_name=upload.filename,
                             errors=parsed.errors[:importing.ERRORS_SHOWN])
    kept = perform(lambda: pending_lists().save(current_user.id, upload.filename, data), bookkeeping=True)
    if not kept.ok:
        return render_import(form, 507)
    token = kept.result
    return render_import(form, parsed=parsed, file_name=upload.filename, preview=parsed.rows[:PREVIEW_ROWS],
                         confirm=ImportConfirmForm(token=token))


@bp.post("/import/confirm")
@requires(permissions.can_manage_task_items)
def import_confirm():
    """Record the import as a job and commit — nothing more: a worker (``flask jobs run``, or the sweep)
    writes the items (2,000 rows took 20–45 s inside this request), and the result page follows it. A
    second confirmation of the same upload (a double click, another tab) finds the same job."""
    form = ImportConfirmForm()
    token = (form.token.data or "") if form.validate_on_submit() else ""
    token = token if TOKEN.match(token) else ""
    job = jobs.job_for_token(db.session, token) if token else None
    if job is not None and job.user_id == current_user.id:
        return redirect(url_for("task_office.import_result", token=token))
    store = pending_lists()
    claimed = store.read(token, current_user.id) if token else None
    if claimed is None:
        flash("该导入文件不存在、已过期或已导入。请重新上传。", "error")
        return redirect(url_for("task_office.import_index"))
    def queue():  # the job and the upload's "confirmed" in one transaction
        job = jobs.queue_import(db.session, current_user, token=token, kind=jobs.TASK_LIST,
                                file_name=claimed.meta["file_name"], data=claimed.data, sha256=claimed.meta["sha256"])
        store.finish(token, {"job_id": job.id})
        return job

    queued = perform(queue, conflict="该清单已确认导入（可能是重复点击），正在后台导入。")
    if not queued.ok:
        if jobs.job_for_token(db.session, token) is not None:
            return redirect(url_for("task_office.import_result", token=token))
        return redirect(url_for("task_office.import_index"))
    return redirect(url_for("task_office.import_result", token=token))


@bp.get("/import/<token>")
@requires(permissions.can_manage_task_items)
def import_result(token: str):
    job = jobs.own_job(db.session, current_user, token, jobs.TASK_LIST)
    if job is None:
        flash("找不到该导入记录。导入的督查事项可在督查事项列表中查看。", "info")
        return redirect(url_for("task_office.import_index"))
    ids = [i for lo, hi in job.progress.get("items", []) for i in range(lo, hi + 1)][:RESULT_LINKS]
    items = db.session.execute(select(TaskItem.id, TaskItem.serial, TaskItem.title, TaskItem.status)
                               .where(TaskItem.id.in_(ids)).order_by(TaskItem.id)).all() if ids else []
    return render_template("tasks/import_result.html", job=job, items=items, states=JobState,
                           ahead=jobs.ahead_of(db.session, job) if not job.finished else 0, retry_form=BaseForm())


@bp.post("/import/<token>/retry")
@requires(permissions.can_manage_task_items)
def import_retry(token: str):
    return retry_import(jobs.TASK_LIST, token, url_for("task_office.import_result", token=token))
