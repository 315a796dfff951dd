"""全文检索: one box, filters, highlighted results — scoped to what the viewer may open."""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from flask import Blueprint, abort, current_app, g, render_template, request
from flask_login import current_user
from markupsafe import Markup

from supervision.extensions import db
from supervision.pagination import page_number
from supervision.pipeline import perform
from supervision.search import queries, service
from supervision.search.engine import MAX_QUERY_CHARS
from supervision.search.forms import SearchForm
from supervision.web import once, requires, with_csrf

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
    unavailable = not service.is_ready(search_index)
    has_words = any(ch.isalnum() for ch in form.text)
    found = None
    if form.text and has_words and not unavailable:
        found = once("search.index", request.query_string, service.index_state(search_index),
                     compute=lambda: search(user, scope, form, search_index),
                     keep=lambda f: not (f.behind or f.failed))
        unavailable = found.failed
        if found.identity_matched:  # each view of them is an identity look, audited (docs/domain.md §14)
            from supervision.matters import services as matter_services

            perform(lambda: matter_services.record_identity_search(db.session, user, list(found.identity_matched),
                                                                   "全文检索"), bookkeeping=True)
    return render_template("search/index.html", form=form, found=found and replace(found, html=with_csrf(found.html)),
                           unavailable=unavailable, searched="q" in request.args, has_words=has_words,
                           max_chars=MAX_QUERY_CHARS)


@dataclass(frozen=True)
class Found:
    """A search's results as rendered (kept until the next business write when the index was at the end of
    its change log), with the matters on the page found by the complainant's identity."""

    html: Markup
    identity_matched: tuple[tuple[int, str], ...] = ()
    behind: bool = False
    failed: bool = False


def search(user, scope, form: SearchForm, search_index) -> Found:
    """Run the search on this server's index, after it applies the change log (bounded), and render it."""
    service.catch_up(search_index)
    try:
        results = queries.search(db.session, search_index, user, scope, form.text, form.criteria(),
                                 page_number(request.args.get("page")), current_app.config["PER_PAGE"])
    except Exception:  # noqa: BLE001 — an index problem is a message on the page, not an error page
        log.exception("search failed for %r", form.text[:200])
        return Found(Markup(""), failed=True)
    html = render_template("search/_results.html", form=form, results=results, max_chars=MAX_QUERY_CHARS)
    return Found(Markup(html), identity_hits(user, form.text, results), bool(g.get("search_behind")))


def identity_hits(user, text: str, results) -> tuple[tuple[int, str], ...]:
    """Office staff search identity too: the matters of this page found by a complainant's name or phone
    (each view of them is an identity look, audited: docs/domain.md §14)."""
    from supervision import permissions
    from supervision.matters import queries as matter_queries

    if not permissions.can_view_identity(user):
        return ()
    ids = [r.url_args["matter_id"] for r in results.page.items if "matter_id" in r.url_args]
    return tuple(matter_queries.identity_matches(db.session, text, ids))
