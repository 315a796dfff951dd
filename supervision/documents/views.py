from __future__ import annotations

from pathlib import Path

from collections.abc import Callable

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from supervision import permissions
from supervision.errors import DomainError
from supervision.extensions import db
from supervision.models.documents import GeneratedDocument
from supervision.pagination import Page, page_number
from supervision.paperwork.builders import DOCUMENT_TITLES
from supervision.web import requires, send_stored

bp = Blueprint("documents", __name__, url_prefix="/documents")
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def documents_folder() -> Path:
    return Path(current_app.instance_path) / "documents"


def generate_and_send(make: Callable[[], GeneratedDocument], back: str):
    """Run one document service; commit and send the new file — or roll back and go back to ``back``
    with the refusal (a document for a state that has none, a missing setting …)."""
    try:
        document = make()
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        flash(str(error), "error")
        return redirect(back)
    except IntegrityError:
        # The same revision was registered a moment ago (a double click, a second tab): one document,
        # its number kept; this request's staged file goes with the rollback.
        db.session.rollback()
        flash("该文书刚刚已生成（可能是重复点击），未重复生成、未占用新文号。请在本页的文书列表中下载。", "info")
        return redirect(back)
    return redirect(url_for("documents.download", document_id=document.id))


@bp.get("/")
@requires(permissions.can_list_documents)
def index():
    doc_type = request.args.get("type", "")
    number = request.args.get("number", "").strip()[:40]
    query = select(GeneratedDocument).order_by(GeneratedDocument.generated_at.desc(), GeneratedDocument.id.desc())
    if doc_type in DOCUMENT_TITLES:
        query = query.where(GeneratedDocument.doc_type == doc_type)
    if not permissions.is_role(current_user, permissions.Role.SUPERVISOR, permissions.Role.LEADER):
        query = query.where(GeneratedDocument.doc_type.not_in(permissions.SUPERVISORS_ONLY_DOCUMENTS))
    if number:
        query = query.where(GeneratedDocument.number.contains(number, autoescape=True))
    per_page, page = current_app.config["PER_PAGE"], page_number(request.args.get("page"))
    total = db.session.scalar(select(db.func.count()).select_from(query.order_by(None).subquery()))
    items = db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)).all()
    return render_template("documents/index.html", page=Page(list(items), page, per_page, total),
                           titles=DOCUMENT_TITLES, doc_type=doc_type, number=number)


@bp.get("/<int:document_id>")
@requires(lambda user: permissions.can_list_documents(user) or permissions.is_role(user, permissions.Role.DEPT_HEAD))
def download(document_id: int):
    document = db.get_or_404(GeneratedDocument, document_id)
    if not permissions.can_download_document(current_user, document.department_id, document.doc_type):
        abort(404)
    return send_stored(documents_folder(), document.stored_name, document.sha256, mimetype=DOCX,
                       download_name=document.filename, label=f"文书“{document.filename}”")
