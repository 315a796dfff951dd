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
from supervision.ledger_import import importing
from supervision.filestore import StorageError
from supervision.ledger_import.files import PendingImports
from supervision.ledgers.xlsx import XLSX_MEDIA_TYPE
from supervision.pipeline import perform
from supervision.models.matters import Matter, MatterKind
from supervision.search import applier as search_log
from supervision.search import service as search_service
from supervision.web import requires

bp = Blueprint("ledger_import", __name__, url_prefix="/ledgers/import")
PREVIEW_ROWS = 20
RESULT_LINKS = 500


class UploadForm(BaseForm):
    file = FileField("台账文件（.xlsx）", render_kw={"accept": ".xlsx"})


class ConfirmForm(BaseForm):
    token = HiddenField()


def pending_imports() -> PendingImports:
    return PendingImports(Path(current_app.instance_path) / "imports")


def max_bytes() -> int:
    return current_app.config.get("LEDGER_IMPORT_MAX_BYTES", importing.MAX_FILE_BYTES)


def size_label(size: int) -> str:
    return f"{size // (1024 * 1024)} MB" if size >= 1024 * 1024 else f"{size // 1024} KB"


def _index_page(form: UploadForm, status: int = 200):
    reference = importing.Reference.load(db.session)
    return render_template("ledgers/import_index.html", form=form, columns=importing.COLUMNS,
                           column_rule=importing.column_rule, reference=reference, kinds=MatterKind,
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
        parsed = importing.read_ledger(db.session, data, cache=pending_imports().folder)
    if not parsed.ok:
        return _errors_page(parsed, upload.filename)
    try:
        token = pending_imports().save(current_user.id, upload.filename, data)
    except StorageError as error:
        flash(str(error), "error")
        return _index_page(form, 507)
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
    form = ConfirmForm()
    store = pending_imports()
    claimed = store.claim(form.token.data or "", current_user.id) if form.validate_on_submit() else None
    if claimed is None:
        flash("该导入文件不存在、已过期或已导入。请重新上传。", "error")
        return redirect(url_for("ledger_import.index"))
    file_name = claimed.meta["file_name"]
    # checked again (the office moved on meanwhile), from the cells the upload read: no second parse
    parsed = importing.read_ledger(db.session, claimed.data, cache=store.folder)
    if not parsed.ok:
        store.release(claimed.token)
        return _errors_page(parsed, file_name)
    try:
        imported = perform(lambda: importing.import_ledger(db.session, current_user, parsed, file_name=file_name,
                                                           file_sha256=claimed.meta["sha256"]),
                           conflict="导入时数据库拒绝了其中一条记录（可能有人同时在登记事项），未导入任何事项。请稍后重新确认导入。")
    except Exception:
        db.session.rollback()
        store.release(claimed.token)
        raise
    if not imported.ok:
        store.release(claimed.token)
        return redirect(url_for("ledger_import.index"))
    result = imported.result
    days = sorted(row.received_on for row in parsed.rows)
    store.finish(claimed.token, claimed.meta, {
        "matter_ids": result.matter_ids, "skipped": result.skipped, "counts": _count_table(parsed),
        "change_ranges": search_log.as_ranges(result.change_ids),  # indexed after the commit: progress
        "first_day": days[0].isoformat(), "last_day": days[-1].isoformat()})
    flash(f"已导入 {len(result.matter_ids)} 件事项" + (f"，跳过重复 {result.skipped} 件" if result.skipped else "") + "。",
          "success")
    return redirect(url_for("ledger_import.result", token=claimed.token))


@bp.get("/<token>")
@requires(permissions.can_import_ledger)
def result(token: str):
    meta = pending_imports().meta(token, current_user.id)
    if meta is None or "result" not in meta:
        flash("找不到该导入记录（只保留一天）。导入的事项可在事项台账中查看。", "info")
        return redirect(url_for("ledger_import.index"))
    outcome = meta["result"]
    ids = outcome["matter_ids"][:RESULT_LINKS]
    matters = db.session.execute(select(Matter.id, Matter.serial, Matter.title, Matter.kind, Matter.status)
                                 .where(Matter.id.in_(ids)).order_by(Matter.id)).all()
    return render_template("ledgers/import_result.html", meta=meta, outcome=outcome, matters=matters,
                           total=len(outcome["matter_ids"]),
                           indexing=search_service.indexing_progress(outcome.get("change_ranges")))
