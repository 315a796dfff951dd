from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request
from flask_login import current_user
from sqlalchemy import select

from supervision import permissions
from supervision.extensions import db
from supervision.models.documents import GeneratedDocument
from supervision.pagination import Page, page_number
from supervision.paperwork.builders import DOCUMENT_TITLES
from supervision.web import requires, send_stored

bp = Blueprint("documents", __name__, url_prefix="/documents")
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


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
    return send_stored(document.sha256, mimetype=DOCX,
                       download_name=document.filename, label=f"文书“{document.filename}”")
