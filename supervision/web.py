"""Wiring of the web layer: blueprints, error pages, the login manager, template helpers."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Hashable
from datetime import date, datetime
from functools import wraps
from io import BytesIO
from pathlib import Path
from typing import TypeVar
from urllib.parse import quote

from flask import Flask, abort, current_app, g, redirect, render_template, request, send_file, url_for
from flask_login import current_user, login_required
from flask_wtf.csrf import CSRFError, generate_csrf
from markupsafe import Markup
from sqlalchemy import text
from werkzeug.routing import IntegerConverter

from supervision.ids import MAX_ID

from supervision import clock, filestore, readcache
from supervision.deadlines import LIGHT_LABELS, light_for, light_words, office_calendar
from supervision.extensions import db, login_manager
from supervision.models.documents import GeneratedDocument
from supervision.models.org import Role, User
from supervision.permissions import visible_respondent, visible_title
from supervision.pipeline import committed, perform, submit
from supervision.uploads import Storage

T = TypeVar("T")


def viewer():
    """The logged-in user (or the anonymous user) of this request: the object behind ``current_user``."""
    return current_user._get_current_object()


def requires(predicate: Callable[[User], bool]):
    """Log in first, then 403 unless ``predicate(current_user)``. The predicate stays on the view
    (``view.permission``): the menu offers a page to exactly those its view lets in."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not predicate(viewer()):
                abort(403)
            return view(*args, **kwargs)

        wrapped.permission = predicate
        return wrapped

    return decorator


def send_stored(sha256: str, *, mimetype: str, download_name: str, label: str = "文件"):
    """Send a registered file (its content, from the database) after checking it against its recorded
    sha256; a missing or damaged one raises filestore.FileMissing / FileCorrupt, which the error handler
    turns into a clear page."""
    data = filestore.read_checked(db.session, sha256, label)
    return send_file(BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=download_name, max_age=0)


# A part of a page kept for many requests must not keep this request's CSRF token (it expires, and belongs
# to one session): while such a part is rendered, forms get this stand-in, and ``with_csrf`` puts the
# token of the request that shows it in its place. Random per process, as are the parts kept.
CSRF_STAND_IN = f"csrf-stand-in-{secrets.token_hex(16)}"


def once(name: str, *key: Hashable, compute: Callable[[], T], keep: Callable[[T], bool] | None = None) -> T:
    """What ``compute()`` gives — a part of a page as rendered, with what the page needs to know of it —
    kept once per business write for this viewer and day (``readcache``) and served as it was: the to-do
    lists of the home page, a page of the ledger, a matter's page. ``key`` names everything it depends on
    besides the viewer, the day and the data (the query string, the matter). Nothing that belongs to one
    request may be in it — no flashed message, no ORM object, nothing read from the session; CSRF tokens
    are rendered as ``CSRF_STAND_IN`` (pass the HTML through ``with_csrf``). ``keep(value)`` false: used
    this once, not kept (a search index still behind the database)."""
    user = viewer()
    full = ("once", name, request.script_root, getattr(user, "id", None), clock.today(), *key)

    def rendered() -> T:
        own = g.pop("csrf_token", None)
        g.csrf_token = CSRF_STAND_IN
        try:
            return compute()
        finally:
            g.pop("csrf_token", None)
            if own is not None:
                g.csrf_token = own

    return readcache.until_next_write(db.session, full, rendered, keep=keep)


def with_csrf(html: str) -> Markup:
    """A kept part of a page with this request's CSRF token in place of the stand-in."""
    return Markup(html.replace(CSRF_STAND_IN, generate_csrf())) if CSRF_STAND_IN in html else Markup(html)


def render_once(name: str, *key: Hashable, render: Callable[[], str]) -> Markup:
    """``once`` for a part of a page that is only its HTML."""
    return with_csrf(once(name, *key, compute=lambda: Markup(render())))


def client_ip() -> str:
    return request.remote_addr or ""


# --- helpers the views of several areas share (views never import other views) ----------------------
def storage(max_bytes: int | None = None) -> Storage:
    """The uploaded files (the limit of staff uploads unless another is given); kept in the database."""
    return Storage(Path(current_app.instance_path) / "uploads", max_bytes or current_app.config["UPLOAD_MAX_BYTES"])


def uploaded(field) -> list[tuple[str, bytes]]:
    """(file name, bytes) of each file sent in a multiple-file field."""
    return [(f.filename, f.read()) for f in (field.data or []) if getattr(f, "filename", "")]


def documents_folder() -> Path:
    return Path(current_app.instance_path) / "documents"


def paperwork():
    """The office profile (from configuration) and the documents folder, for services that generate."""
    from supervision.documents.services import Paperwork, office_profile

    return Paperwork(office_profile(current_app.config), documents_folder())


def retry_import(kind: str, token: str, then: str):
    """重新导入 (the 历史台账's and the 督查任务清单's result pages): the clerk's own failed job of ``kind`` is
    queued again (``jobs.retry``: the rule and the audit row), then back to its page ``then``; 404 for
    anyone else's job, another kind's or a malformed token."""
    from supervision.ledger_import import jobs

    job = jobs.own_job(db.session, current_user, token, kind)
    if job is None:
        abort(404)
    perform(lambda: jobs.retry(db.session, current_user, job))
    return redirect(then)


def letters():
    """How notices to the complainant are generated and sent (office profile, channels, review bodies)."""
    from supervision.complainants.services import LetterPolicy

    return LetterPolicy.from_config(current_app.config, current_app.instance_path)


def generate_and_send(make: Callable[[], GeneratedDocument], back: str):
    """The pipeline for a document: run one document service, commit, and send the new file — or roll
    back and go back to ``back`` with the refusal (a document for a state that has none …)."""
    return submit(None, make, success=None, otherwise=back,
                  then=lambda document: redirect(url_for("documents.download", document_id=document.id)),
                  # The same revision was registered a moment ago (a double click, a second tab): one
                  # document, its number kept; this request's stored content goes with the rollback.
                  conflict="该文书刚刚已生成（可能是重复点击），未重复生成、未占用新文号。请在本页的文书列表中下载。")


def light_helpers() -> dict:
    """``light(due)`` and its labels for pages that show deadlines as traffic lights."""
    calendar, today = office_calendar(db.session), clock.today()
    return {"light": lambda due: light_for(calendar, due, today), "light_labels": LIGHT_LABELS,
            "light_words": lambda due: light_words(calendar, due, today)}


def content_disposition(name: str, ascii_name: str) -> str:
    """RFC 6266 / 5987: a plain ASCII name for old clients, the Chinese one for every current browser."""
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name, safe='')}"


def url_by_id(endpoint: str, argument: str):
    """``url_for(endpoint, argument=id)`` for the many rows of a page: the rule is built once (a
    url_for costs about as much as a row's share of the page)."""
    head, _, tail = url_for(endpoint, **{argument: 987654321}).partition("987654321")
    return lambda id_: f"{head}{id_}{tail}"


# The menu: (endpoint, label), in order. Who sees an entry is not written here: it is the permission
# predicate of the entry's view (``requires``), so the menu cannot drift from what the pages allow.
NAVIGATION: list[tuple[str, str]] = [
    ("home.index", "工作台"),
    ("escalation.dashboard", "督查督办"),
    ("tasks.index", "督查事项"),
    ("task_office.board", "督查驾驶舱"),
    ("matters.index", "事项台账"),
    ("ledger_import.index", "台账导入"),
    ("rectification.index", "整改通知"),
    ("talks.index", "谈话函询"),
    ("clues.index", "问题线索"),
    ("search.index", "全文检索"),
    ("admin.users", "用户管理"),
    ("admin.departments", "单位管理"),
    ("settings.calendar", "节假日安排"),
    ("settings.time_limits", "办理时限"),
    ("settings.categories", "问题类别"),
    ("documents.index", "文书登记"),
    ("auditlog.index", "审计日志"),
    ("publication.index", "公开数据发布"),
    ("statistics.index", "统计分析"),
    ("statistics.assessment_page", "单位考核"),
    ("settings.office", "督查设置"),
]
_menu: list[tuple[str, str, Callable[[User], bool]]] = []  # the entries whose page exists, with its predicate


def _everyone(user: User) -> bool:
    return True


def navigation_for(user: User) -> list[tuple[str, str]]:
    if not getattr(user, "is_authenticated", False):
        return []
    return [(endpoint, label) for endpoint, label, allowed in _menu if allowed(user)]


_endpoints: set[str] = set()


def endpoint_exists(endpoint: str) -> bool:
    return endpoint in _endpoints


def format_date(value: date | datetime | None) -> str:
    """2026年7月1日 — Arabic digits, no leading zeros (as on official paper)."""
    if value is None:
        return ""
    return f"{value.year}年{value.month}月{value.day}日"


def format_datetime(value: datetime | None) -> str:
    if value is None:
        return ""
    return f"{value:%Y-%m-%d %H:%M}"


def human_size(size: int | None) -> str:
    """A file's size as people read it: 58 B, 12.3 KB, 3.2 MB."""
    size = size or 0
    if size < 1024:
        return f"{size} B"
    for unit in ("KB", "MB", "GB"):
        size /= 1024
        if size < 1024 or unit == "GB":
            return f"{size:.1f} {unit}"
    return f"{size:.1f} GB"  # pragma: no cover


def nl2br(text: str | None) -> Markup:
    from markupsafe import escape

    return Markup("<br>").join(escape(line) for line in (text or "").splitlines())


def page_url(number: int) -> str:
    """The current page's URL with every filter kept and another page number."""
    args = {**request.view_args, **request.args.to_dict(), "page": number}
    return url_for(request.endpoint, **args)


class DatabaseIdConverter(IntegerConverter):
    """``<int:…>`` in every route: at most the database's INTEGER, so /matters/99999999999999999999 is a
    plain 404 instead of an overflow in the database driver."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)


# C0 control characters other than tab, newline and carriage return (and DEL): never typed, and PostgreSQL
# refuses a NUL in text. A request carrying one changes nothing and is told why.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
CONTROL_MESSAGE = "提交的内容中含有不可见的控制字符（如 NUL），本次操作未执行。请删除这些字符（可重新输入或从纯文本粘贴）后再试。"


def has_control_characters(values) -> bool:
    return any(CONTROL_CHARACTERS.search(key) or CONTROL_CHARACTERS.search(value)
               for key, value in values.items(multi=True))


# A request that committed and then failed (reading the result, rendering, redirecting) says its write
# was saved (pipeline.committed()).
SAVED_BUT_FAILED = ("您的操作已经保存，但随后显示页面时出错。请不要重复提交：返回上一页并刷新，即可看到保存的结果；"
                    "如反复出现，请联系系统管理员。")


def readiness(app: Flask) -> tuple[dict, dict, bool]:
    """What a load balancer asks before sending requests here: the database answers (it holds the files
    too, so the instance folder's writability no longer matters to them), the search index has applied
    the change log (when it has one)."""
    checks: dict[str, str] = {}
    details: dict[str, int | None] = {}
    try:
        db.session.execute(text("SELECT 1"))
        db.session.rollback()
        checks["database"] = "ok"
    except Exception as error:  # noqa: BLE001 — any failure means "not ready", said in the answer
        db.session.rollback()
        checks["database"] = f"error: {type(error).__name__}"
    from supervision.search import service as search

    if search.enabled(app):  # this server's own index: built, and how far it has applied the change log
        try:
            state = search.status()
        except Exception as error:  # noqa: BLE001
            checks["search"] = f"error: {type(error).__name__}"
        else:
            checks["search"] = "ok" if state.ready else "error: index not built"
            details["search_position"], details["search_unapplied"] = state.position, state.unapplied
    return checks, details, all(value == "ok" for value in checks.values())


def init_app(app: Flask) -> None:
    """Login manager, template helpers, error pages. Call after the blueprints are registered (the menu
    lists only endpoints that exist)."""
    _endpoints.update(rule.endpoint for rule in app.url_map.iter_rules())
    _menu[:] = [(endpoint, label, getattr(app.view_functions[endpoint], "permission", _everyone))
                for endpoint, label in NAVIGATION if endpoint in app.view_functions]

    login_manager.login_view = "auth.login"
    login_manager.login_message = "请先登录。"
    login_manager.login_message_category = "info"

    @login_manager.user_loader
    def load_user(session_id: str) -> User | None:
        """The session's user if the cookie names the user's current session generation."""
        parsed = User.parse_session_id(session_id)
        if parsed is None:
            return None
        user = db.session.get(User, parsed[0])
        if user is None or not user.active or user.session_generation != parsed[1]:
            return None
        return user

    app.jinja_env.filters["cndate"] = format_date
    app.jinja_env.filters["dt"] = format_datetime
    app.jinja_env.filters["nl2br"] = nl2br
    app.jinja_env.filters["filesize"] = human_size
    # {{ matter|shown_title }}: a matter's title as the viewer may see it (permissions.visible_title).
    # The user object itself, not flask-login's proxy: a page lists dozens of matters, and each look-up
    # through the proxy costs a context look-up and a method call.
    app.jinja_env.filters["shown_title"] = lambda matter: visible_title(viewer(), matter)
    # {{ (matter|shown_respondent).unit }} / .person: 被反映单位/人员 as the viewer may see them
    # (permissions.visible_respondent).
    app.jinja_env.filters["shown_respondent"] = lambda matter: visible_respondent(viewer(), matter)
    app.jinja_env.globals["page_url"] = page_url

    @app.context_processor
    def inject_layout():
        from supervision.notifications.services import pending_count

        # Once per request, however many templates it renders (a page and the parts it keeps, web.once).
        user = viewer()
        kept = g.get("layout_context")
        if kept is None or kept[0] is not user:
            # The badge counts what still needs the user: unread notices, and tasks asked for and not yet done.
            unread = pending_count(db.session, user) if user.is_authenticated else 0
            kept = g.layout_context = (user, {"navigation": navigation_for(user), "office_name": app.config["OFFICE_NAME"],
                                              "Role": Role, "unread_notifications": unread})
        return kept[1]

    @app.get("/healthz")
    def healthz():
        """Liveness: the process answers (no database, no login). Readiness is /readyz."""
        return {"status": "ok"}

    @app.get("/readyz")
    def readyz():
        """Readiness for load balancers: 200 when this server can serve, 503 with what is wrong."""
        checks, details, ready = readiness(app)
        return {"status": "ready" if ready else "not ready", "checks": checks, **details}, 200 if ready else 503

    @app.before_request
    def refuse_control_characters():
        if has_control_characters(request.args) or (request.method == "POST" and has_control_characters(request.form)):
            db.session.rollback()
            template = "portal/error.html" if request.blueprint == "portal" else "errors/error.html"
            return render_template(template, code=400, title="输入含有无效字符", message=CONTROL_MESSAGE), 400
        return None

    @app.after_request
    def security_headers(response):
        # Whatever a logged-in user sees may be identity or case content (pages, exports, downloads), and
        # the portal shows a citizen's own matter: no browser or proxy may keep a copy (issue 14 item 9).
        if request.endpoint != "static" and (request.blueprint == "portal" or current_user.is_authenticated):
            response.headers["Cache-Control"] = "no-store"
            response.headers.pop("Expires", None)
        if app.testing and not response.direct_passthrough and response.mimetype == "text/html" \
                and CSRF_STAND_IN.encode() in response.get_data():  # a kept part not passed through with_csrf
            raise AssertionError(f"{request.path}: a CSRF stand-in reached the page (web.once without with_csrf)")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "SAMEORIGIN")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'self'",
        )
        return response

    def error_page(code: int, title: str, message: str):
        def handler(error):
            if code == 500:
                db.session.rollback()
                if request.method != "GET" and committed():  # never tell a user a saved write failed
                    return render_template("errors/error.html", code=code, title="已保存，页面显示出错",
                                           message=SAVED_BUT_FAILED), code
            return render_template("errors/error.html", code=code, title=title, message=message), code
        return handler

    app.register_error_handler(403, error_page(403, "无权访问", "您的账户没有访问此页面的权限。如需开通，请联系系统管理员。"))
    app.register_error_handler(404, error_page(404, "页面不存在", "您要找的页面不存在，或您无权查看。"))
    app.register_error_handler(405, error_page(405, "请求方式不正确", "请通过页面上的按钮操作。"))
    app.register_error_handler(413, error_page(413, "文件过大", "上传的内容超过了大小限制，请压缩或分批上传。"))
    app.register_error_handler(429, error_page(429, "操作过于频繁", "您的操作过于频繁，请稍后再试。"))
    app.register_error_handler(500, error_page(500, "系统错误", "系统出现错误，您的操作未完成。请稍后重试；如反复出现，请联系系统管理员。"))

    @app.errorhandler(filestore.StoredFileProblem)
    def stored_file_problem(error):
        current_app.logger.error("stored file problem on %s: %s", request.path, error)
        missing = isinstance(error, filestore.FileMissing)
        code = 404 if missing else 422
        return render_template("errors/error.html", code=code, title="文件缺失" if missing else "文件已损坏",
                               message=str(error)), code

    @app.errorhandler(filestore.StorageError)
    def storage_error(error):
        """A write a view did not expect to fail on storage (the views with forms catch it and keep the form)."""
        db.session.rollback()
        return render_template("errors/error.html", code=507, title="存储不可用", message=str(error)), 507

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_template(
            "errors/error.html", code=400, title="表单已过期",
            message="页面停留时间过长或表单校验失败，本次提交未保存。请返回上一页，刷新后重新提交（已填写的内容可在返回后复制保存）。",
        ), 400
