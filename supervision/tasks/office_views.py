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
from supervision.ledger_import.files import PendingImports
from supervision.ledgers.xlsx import XLSX_MEDIA_TYPE, stream_file, temporary_path
from supervision.models.documents import GeneratedDocument
from supervision.statistics import periods
from supervision.tasks import board as task_board
from supervision.pipeline import perform
from supervision.tasks import bulletin as task_bulletin
from supervision.tasks import importing
from supervision.tasks.office_forms import BulletinForm, ImportConfirmForm, ImportUploadForm
from supervision.web import content_disposition, documents_folder, generate_and_send, requires

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
    form = ImportConfirmForm()
    store = pending_lists()
    # A second confirmation of the same file (a double click, another tab) waits on the import's lock and then
    # finds every row imported: refused, nothing written twice (importing.import_list).
    claimed = store.read(form.token.data or "", current_user.id) if form.validate_on_submit() else None
    if claimed is None:
        flash("该导入文件不存在、已过期或已导入。请重新上传。", "error")
        return redirect(url_for("task_office.import_index"))
    file_name = claimed.meta["file_name"]
    parsed = importing.read_list(db.session, claimed.data)  # checked again: the office moved on meanwhile
    if not parsed.ok:
        return render_import(ImportUploadForm(), 422, parsed=parsed, file_name=file_name,
                             errors=parsed.errors[:importing.ERRORS_SHOWN])
    def import_list():  # the items and the upload's "confirmed" in one transaction
        result = importing.import_list(db.session, current_user, parsed, file_name=file_name,
                                       file_sha256=claimed.meta["sha256"])
        if not store.finish(claimed.token, {"item_ids": result.item_ids, "skipped": result.skipped}):
            raise ValidationError("该文件已确认导入（可能是重复点击），未重复导入。")
        return result

    imported = perform(import_list,
                       conflict="导入时数据库拒绝了其中一条记录（可能有人同时在登记督查事项），未导入任何事项。请稍后重新确认导入。")
    if not imported.ok:
        return redirect(url_for("task_office.import_index"))
    result = imported.result
    flash(f"已导入 {len(result.item_ids)} 项督查事项" + (f"，跳过重复 {result.skipped} 项" if result.skipped else "")
          + f"（{result.serials[0]} 至 {result.serials[-1]}）。", "success")
    return redirect(url_for("tasks.index"))
