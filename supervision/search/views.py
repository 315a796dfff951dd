"""全文检索: one box, filters, highlighted results — scoped to what the viewer may open."""

from __future__ import annotations

import logging

from flask import Blueprint, abort, current_app, render_template, request
from flask_login import current_user

from supervision.extensions import db
from supervision.pagination import page_number
from supervision.pipeline import perform
from supervision.search import queries, service
from supervision.search.engine import MAX_QUERY_CHARS
from supervision.search.forms import SearchForm
from supervision.web import requires

bp = Blueprint("search", __name__, url_prefix="/search")
log = logging.getLogger(__name__)


@bp.get("/")
@requires(service.can_search)
def index():
    user = current_user._get_current_object()  # checked per hit: not through the proxy each time
    scope = service.scope_for(user) or abort(403)
    form = SearchForm(request.args, user=user, scope=scope)
    form.validate()
    search_index = service.get_index()
    results, unavailable = None, not service.is_ready(search_index)
    if form.text and not unavailable:
        service.catch_up(search_index)  # this server's index applies the change log first (bounded)
        try:
            results = queries.search(db.session, search_index, user, scope, form.text, form.criteria(),
                                     page_number(request.args.get("page")), current_app.config["PER_PAGE"])
        except Exception:  # noqa: BLE001 — an index problem is a message on the page, not an error page
            log.exception("search failed for %r", form.text[:200])
            unavailable = True
        else:
            audit_identity_hits(user, form.text, results)
    return render_template("search/index.html", form=form, results=results, unavailable=unavailable,
                           searched="q" in request.args, has_words=any(ch.isalnum() for ch in form.text),
                           max_chars=MAX_QUERY_CHARS)


def audit_identity_hits(user, text: str, results) -> None:
    """Office staff search identity too: the matters of this page found by a complainant's name or phone
    are an identity look, audited (docs/domain.md §14)."""
    from supervision import permissions
    from supervision.matters import queries as matter_queries, services as matter_services

    if not permissions.can_view_identity(user):
        return
    ids = [r.url_args["matter_id"] for r in results.page.items if "matter_id" in r.url_args]
    matched = matter_queries.identity_matches(db.session, text, ids)
    if matched:
        perform(lambda: matter_services.record_identity_search(db.session, user, matched, "全文检索"), bookkeeping=True)
