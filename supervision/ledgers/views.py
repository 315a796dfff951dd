"""Ledger downloads (台账 .xlsx): each list page's query string gives the same rows as the page.

The workbook is built into a temporary file under the instance folder (memory stays flat), the export
is audited and committed, and only then is the file streamed — and removed once sent.
"""

from __future__ import annotations

import os
from flask import Blueprint, Response, current_app, flash, redirect, request, url_for
from flask_login import current_user
from wtforms import BooleanField, DateField, SelectField, StringField
from wtforms.validators import Length

from supervision import clock, permissions
from supervision.extensions import db
from supervision.forms import BaseForm, refuse_invalid_filters, required
from supervision.clues.forms import list_filters as clue_filters
from supervision.ledgers import export
from supervision.ledgers.xlsx import XLSX_MEDIA_TYPE, stream_file, temporary_path
from supervision.matters.forms import list_filters as _matter_filters
from supervision.pipeline import perform
from supervision.rectification.queries import list_filters as notice_filters
from supervision.talks.queries import list_filters as talk_filters
from supervision.tasks.office_forms import ledger_filters as task_filters
from supervision.web import client_ip, content_disposition, requires

bp = Blueprint("ledgers", __name__, url_prefix="/ledgers")


def matter_filters(args):
    return _matter_filters(args, current_user)

LIST_ONLY = frozenset({"page", "csrf_token"})  # query-string keys that are not filters


class IdentityExportForm(BaseForm):
    reason = StringField("导出事由", validators=[required(), Length(max=export.MAX_REASON,
                                                                  message=f"不能超过 {export.MAX_REASON} 个字符。")],
                         render_kw={"placeholder": "如：年度信访件核查、向上级机关报送", "maxlength": export.MAX_REASON})


@bp.app_template_global()
def ledger_url(endpoint: str) -> str:
    """The ledger's URL with the current list page's filters (not its page number)."""
    return url_for(endpoint, **{k: v for k, v in request.args.items() if k not in LIST_ONLY})


@bp.app_template_global()
def identity_export_form() -> IdentityExportForm | None:
    """The 含投诉人身份信息 form on the matter list, for those who may see identity."""
    return IdentityExportForm(formdata=None) if permissions.can_export_identity(current_user) else None


# --- routes ----------------------------------------------------------------------------------------
@bp.get("/matters.xlsx")
@requires(permissions.can_export_matter_ledger)
def matters():
    form, filters = matter_filters(request.args)
    return send_ledger("matters", filters, form)


@bp.post("/matters.xlsx")
@requires(permissions.can_export_identity)
def matters_with_identity():
    """The matters ledger with complainant identity: a reason, CSRF, and the audit of every matter."""
    identity_form = IdentityExportForm()
    if not identity_form.validate_on_submit():
        flash(f"请填写导出投诉人身份信息的事由（不超过 {export.MAX_REASON} 个字符）。", "error")
        return redirect(ledger_url("matters.index"))
    form, filters = matter_filters(request.args)
    return send_ledger("matters", filters, form, identity_reason=identity_form.reason.data or "")


@bp.get("/assignments.xlsx")
@requires(permissions.can_export_matter_ledger)
def assignments():
    form, filters = matter_filters(request.args)
    return send_ledger("assignments", filters, form)


@bp.get("/rectification.xlsx")
@requires(permissions.can_export_rectification_ledger)
def rectification():
    form, filters = notice_filters(request.args)
    return send_ledger("rectification", filters, form)


@bp.get("/talks.xlsx")
@requires(permissions.can_export_talk_ledger)
def talks():
    form, criteria = talk_filters(request.args)
    return send_ledger("talks", criteria, form)


@bp.get("/clues.xlsx")
@requires(permissions.can_view_clues)
def clues():
    form, criteria = clue_filters(request.args)
    return send_ledger("clues", criteria, form)


@bp.get("/tasks.xlsx")
@requires(permissions.can_list_tasks)
def tasks():
    """督查事项台账: the item list's rows (and their tasks); a unit's own tasks only."""
    form, filters = task_filters(request.args, current_user)
    return send_ledger("tasks", filters, form)


# --- building and sending --------------------------------------------------------------------------
BACK = {"matters": "matters.index", "assignments": "matters.index", "rectification": "rectification.index",
        "talks": "talks.index", "clues": "clues.index", "tasks": "tasks.index"}


def send_ledger(key: str, selection, form, identity_reason: str | None = None) -> Response:
    refused = refuse_invalid_filters(form)
    if refused is not None:
        return refused
    path = temporary_path(os.path.join(current_app.instance_path, "tmp", "ledgers"))
    try:
        # The user itself, not the proxy: an identity export reads it for each of thousands of audit rows.
        exported = perform(lambda: export.export_ledger(
            db.session, current_user._get_current_object(), key, selection, path, criteria=describe(form),
            query={k: v for k, v in request.args.items() if k not in LIST_ONLY},
            identity_reason=identity_reason, ip_address=client_ip()))
    except BaseException:
        db.session.rollback()
        os.unlink(path)
        raise
    if not exported.ok:  # refused: rolled back, the reason flashed
        os.unlink(path)
        return redirect(ledger_url(BACK[key]))
    name = f"{export.LEDGERS[key].title}_{clock.today().isoformat()}.xlsx"
    response = Response(stream_file(path), mimetype=XLSX_MEDIA_TYPE)
    response.headers["Content-Disposition"] = content_disposition(name, f"{key}_{clock.today().isoformat()}.xlsx")
    response.headers["Content-Length"] = str(os.path.getsize(path))
    response.headers["Cache-Control"] = "no-store"  # never left in a shared cache (department data, identity)
    return response


def describe(form) -> list[str]:
    """The filters in words, as the list page's form shows them: 状态：办理中."""
    words = []
    for field in form:
        if field.name in LIST_ONLY or field.name == "sort" or field.errors or field.data in (None, "", False):
            continue
        if isinstance(field, BooleanField):
            words.append(str(field.label.text))
            continue
        value = field.data
        if isinstance(field, SelectField):
            value = {str(choice[0]): choice[1] for choice in field.choices}.get(str(value), value)
        elif isinstance(field, DateField):
            value = value.isoformat()
        words.append(f"{field.label.text}：{value}")
    return words
