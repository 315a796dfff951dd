"""Two blueprints: ``portal`` — the public pages under /public/ (no account, their own plain layout) —
and ``publication`` — the staff page that computes and publishes the figures the public sees.

They are apart on purpose: an office may expose only /public/ and /static/ through its reverse proxy.
"""

from __future__ import annotations

import time
from datetime import timedelta

from flask import (Blueprint, current_app, flash, make_response, redirect, render_template, request, session,
                   url_for)
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from supervision import clock, permissions
from supervision.errors import DomainError, WorkflowError
from supervision.extensions import db, limiter
from supervision.models.matters import Matter, MatterKind, Satisfaction
from supervision import pipeline
from supervision.portal import captcha, queries, services
from supervision.portal.forms import LookupForm, PeriodForm, RatingForm, ReviewRequestForm, SubmitForm
from supervision.web import letters, requires, storage

bp = Blueprint("portal", __name__, url_prefix="/public")
staff_bp = Blueprint("publication", __name__, url_prefix="/publication")

RECEIPT_KEY = "portal_receipt"
CAPTCHA_KEY = "portal_captcha"  # the token of the question asked; the answer is on the server
LOOKUP_KEY = "portal_lookup"  # the token of an open progress look-up (services.open_lookup)

# Per client address; only POSTs count (reading the form is free).
submit_limit = limiter.shared_limit(lambda: current_app.config["PORTAL_SUBMIT_RATE"], scope="portal-submit",
                                    methods=["POST"])
lookup_limit = limiter.shared_limit(lambda: current_app.config["PORTAL_LOOKUP_RATE"], scope="portal-lookup",
                                    methods=["POST"])


def private(response):
    """Pages with a query code or a citizen's matter: never kept by a browser or a proxy."""
    response = make_response(response)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.url_value_preprocessor
def limit_request_size(_endpoint, _values):
    """A smaller request limit for the public. Set here, not in before_request: URL preprocessors run
    before every before_request hook, and CSRF protection reads (parses) the form in one of those."""
    request.max_content_length = current_app.config["PORTAL_MAX_CONTENT_LENGTH"]


@bp.get("/")
def index():
    return render_template("portal/index.html")


# --- the online box --------------------------------------------------------------------------------
@bp.route("/<any(complaint, suggestion):kind>", methods=["GET", "POST"])
@submit_limit
def submit(kind: str):
    kind = MatterKind(kind)
    config = current_app.config
    form = SubmitForm(kind, config["PORTAL_MAX_FILES"], config["PORTAL_UPLOAD_MAX_BYTES"])
    if request.method == "POST":
        token = session.pop(CAPTCHA_KEY, None)
        if form.website.data:  # the honeypot: a bot. Store nothing, tell nothing.
            pipeline.perform(lambda: captcha.check(db.session, token, "", 0), bookkeeping=True)
            return render_template("portal/received.html")
        # The question is used up, whatever happens next.
        answered = pipeline.perform(lambda: captcha.check(
            db.session, token, form.captcha.data, config["PORTAL_CAPTCHA_MINUTES"] * 60), bookkeeping=True).result
        valid = form.validate_on_submit()
        if not answered:
            form.captcha.errors = ["验证问题回答不正确或已过期，请回答下面的新问题。"]
        elif valid:
            submitted = pipeline.perform(lambda: services.submit_matter(
                db.session, form.submission(), files=form.uploads, storage=storage(config["PORTAL_UPLOAD_MAX_BYTES"])))
            if submitted.ok:
                session[RECEIPT_KEY] = {"id": submitted.result.id, "t": int(time.time())}
                return redirect(url_for("portal.receipt"))
        form.captcha.data = ""
    session[CAPTCHA_KEY], question = pipeline.perform(lambda: captcha.issue(db.session), bookkeeping=True).result
    form.captcha.label.text = f"验证问题：{question}"
    status = 400 if request.method == "POST" else 200
    return render_template("portal/submit.html", form=form, kind=kind), status


@bp.get("/receipt")
def receipt():
    """Number and query code, shown right after submitting (for a few minutes), never later."""
    entry = session.get(RECEIPT_KEY)
    max_age = current_app.config["PORTAL_RECEIPT_MINUTES"] * 60
    matter = db.session.get(Matter, entry["id"]) if entry else None
    if matter is None or int(time.time()) - int(entry.get("t", 0)) > max_age:
        session.pop(RECEIPT_KEY, None)
        return render_template("portal/receipt_gone.html"), 404
    return private(render_template("portal/receipt.html", matter=matter, minutes=max_age // 60))


@bp.post("/receipt/done")
def receipt_done():
    session.pop(RECEIPT_KEY, None)
    return redirect(url_for("portal.index"))


# --- progress lookup -------------------------------------------------------------------------------
@bp.route("/track", methods=["GET", "POST"])
@lookup_limit
def track():
    form = LookupForm()
    if form.validate_on_submit():
        previous = session.pop(LOOKUP_KEY, None)

        def look_up():
            matter = services.find_for_citizen(db.session, form.serial.data, form.query_code.data)
            services.end_lookup(db.session, previous)
            return services.open_lookup(db.session, matter) if matter is not None else None

        token = pipeline.perform(look_up, bookkeeping=True).result
        if token is not None:
            session[LOOKUP_KEY] = token
            return redirect(url_for("portal.progress"))
        form.query_code.data = ""
        return private(render_template("portal/track.html", form=form, not_found=True)), 404
    form.query_code.data = ""  # the code is never written back into a page
    return private(render_template("portal/track.html", form=form, not_found=False)), (
        400 if request.method == "POST" else 200)


def looked_up() -> Matter | None:
    """The matter of this browser's open look-up; None (and a message) when it has ended or timed out."""
    token = session.get(LOOKUP_KEY)
    idle = timedelta(minutes=current_app.config["PORTAL_LOOKUP_IDLE_MINUTES"])
    # the look-up's last use, or its end
    matter = pipeline.perform(lambda: services.looked_up_matter(db.session, token, idle), bookkeeping=True).result
    if matter is None and token is not None:
        session.pop(LOOKUP_KEY, None)
        flash("查询已结束或超时，请重新输入事项编号和查询码。", "info")
    return matter


def render_progress(matter: Matter, form: RatingForm | None = None, status: int = 200,
                    review_form: ReviewRequestForm | None = None):
    progress = queries.progress_of(db.session, matter)
    return private(render_template("portal/progress.html", progress=progress, form=form or RatingForm(),
                                   review_form=review_form or ReviewRequestForm(),
                                   satisfaction_choices=Satisfaction.choices())), status


@bp.get("/track/result")
def progress():
    matter = looked_up()
    if matter is None:
        return redirect(url_for("portal.track"))
    return render_progress(matter)


@bp.post("/track/rate")
def rate():
    matter = looked_up()
    if matter is None:
        return redirect(url_for("portal.track"))
    form = RatingForm()
    if not form.validate_on_submit():
        return render_progress(matter, form, 400)
    once = "您已对该事项作出评价，每件事项只能评价一次。"  # two submissions at once: the first one counts
    back = url_for("portal.progress")
    return pipeline.submit(None, lambda: services.rate_matter(db.session, matter, Satisfaction(form.satisfaction.data),
                                                              form.comment.data),
                           success="感谢您的评价！", then=back, otherwise=back, conflict=once, stale=once)


@bp.post("/track/review")
def request_review():
    """复查 / 复核 asked by the citizen whose number and query code were checked (SPEC §11)."""
    matter = looked_up()
    if matter is None:
        return redirect(url_for("portal.track"))
    form = ReviewRequestForm()
    from supervision.complainants import services as complainants

    def ask():
        stage = complainants.open_stage(db.session, matter)
        if stage is None:
            raise WorkflowError("该事项目前不能请求复查或复核。")
        return complainants.request_review(db.session, None, matter, stage, form.reason.data, letters=letters())

    back = url_for("portal.progress")
    return pipeline.submit(form, ask, success=lambda asked: f"已收到您的{asked.stage.label}请求，我们将在30日内答复。",
                           then=back, otherwise=back, conflict="已收到您的请求，请勿重复提交。")


@bp.post("/track/exit")
def exit_lookup():
    token = session.pop(LOOKUP_KEY, None)
    pipeline.perform(lambda: services.end_lookup(db.session, token), bookkeeping=True)
    return redirect(url_for("portal.index"))


# --- published figures -----------------------------------------------------------------------------
@bp.get("/figures")
def figures():
    snapshots = services.published_snapshots(db.session)
    chosen = request.args.get("period", "")
    shown = next((s for s in snapshots if str(s.id) == chosen), snapshots[0] if snapshots else None)
    return render_template("portal/figures.html", snapshots=snapshots, shown=shown,
                           total=services.totals(shown.rows) if shown else None)


# --- error pages in the public layout ---------------------------------------------------------------
def _public_error(code: int, title: str, message: str):
    def handler(error):
        shown = message
        if code == 500:
            db.session.rollback()
            if pipeline.committed():  # never tell a citizen that a saved submission failed
                shown = "您的提交已保存，但显示结果时出现错误。请勿重复提交；可稍后凭查询码查询办理进度。"
        return render_template("portal/error.html", code=code, title=title, message=shown), code
    return handler


bp.register_error_handler(404, _public_error(404, "页面不存在", "您要找的页面不存在。"))
bp.register_error_handler(413, _public_error(
    413, "提交的内容过大", "附件总大小超过了限制，请压缩或减少附件后重新提交。"))
bp.register_error_handler(429, _public_error(
    429, "操作过于频繁", "您在短时间内提交或查询的次数过多。为防止滥用，请稍后（约一小时内）再试；如有急事，请拨打本中心投诉电话。"))
bp.register_error_handler(500, _public_error(500, "系统繁忙", "系统出现错误，您的提交未完成，请稍后重试。"))
bp.register_error_handler(CSRFError, _public_error(
    400, "页面已过期", "页面停留时间过长，本次提交未保存。请返回上一页，刷新后重新填写提交。"))


# --- staff: publish the figures --------------------------------------------------------------------
@staff_bp.get("/", endpoint="index")
@requires(permissions.can_publish_figures)
def publication_index():
    today = clock.today()
    form = PeriodForm(today.year, request.args, meta={"csrf": False})
    period, preview = None, None
    if "year" in request.args and form.validate():
        try:
            period = form.period()
        except DomainError as error:
            flash(str(error), "error")
        else:
            preview = services.compute_figures(db.session, period)
    return render_template(
        "portal/publication.html", form=form, period=period, preview=preview,
        publishable=period is not None and period.end < today,
        total=services.totals(preview) if preview is not None else None,
        current=services.current_snapshot(db.session, period) if period else None,
        history=services.snapshot_history(db.session))


@staff_bp.post("/publish")
@requires(permissions.can_publish_figures)
def publish():
    form = PeriodForm(clock.today().year)
    if not form.validate_on_submit():
        flash("请选择要发布的统计周期。", "error")
        return redirect(url_for("publication.index"))
    args = {"period_kind": form.period_kind.data, "year": form.year.data, "month": form.month.data,
            "quarter": form.quarter.data}
    back = url_for("publication.index", **args)
    return pipeline.submit(None, lambda: services.publish_figures(db.session, current_user, form.period()),
                  success=lambda snapshot: f"已发布{snapshot.label}公开数据，公众页面即时可见。", then=back, otherwise=back,
                  # another supervisor published the same period at the same moment
                  conflict="同一期间的数据刚刚由他人发布，请刷新后查看，如需替换请重新发布。")
