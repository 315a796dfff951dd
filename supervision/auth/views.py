from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from supervision.auth import services
from supervision.auth.forms import ChangePasswordForm, LoginForm
from supervision.extensions import db, limiter
from supervision.pipeline import submit

bp = Blueprint("auth", __name__)


def login_policy() -> services.LoginPolicy:
    return services.LoginPolicy.from_config(current_app.config)


def safe_next(target: str | None) -> str | None:
    """Only a local path: no scheme, no host, no protocol-relative '//' or backslash trick."""
    if not target:
        return None
    target = target.strip()
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    return target


# What a user who must replace an administrator-given password may still open.
OPEN_UNTIL_CHANGED = frozenset({"auth.change_password", "auth.logout", "auth.login", "static"})


@bp.before_app_request
def require_own_password():
    """A new account, or one whose password an administrator reset, sees only /account/password."""
    if (current_user.is_authenticated and current_user.must_change_password
            and request.endpoint not in OPEN_UNTIL_CHANGED and request.blueprint != "portal"):
        if request.method == "GET":
            flash("请先修改初始密码（管理员设置或重置的密码），然后才能使用系统。", "warning")
        return redirect(url_for("auth.change_password"))
    return None


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("30 per minute", methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm(next=request.args.get("next", ""))

    def enter(user) -> str:
        session.clear()  # nothing of an earlier user (revealed identities …) carries over
        login_user(user, remember=form.remember.data)  # after the commit: no session for an unrecorded login
        return safe_next(form.next.data) or url_for("home.index")

    return submit(form, lambda: services.authenticate(db.session, form.username.data, form.password.data,
                                                      login_policy(), request.remote_addr or ""),
                  success=None, then=enter, invalid=None, commit_refusal=True,  # the failed attempt is recorded
                  otherwise=lambda: render_template("auth/login.html", form=form), status=200)


@bp.post("/logout")
@login_required
def logout():
    def leave(_) -> str:
        logout_user()
        session.clear()
        flash("您已安全退出。", "info")
        return url_for("auth.login")

    return submit(None, lambda: services.log_out(db.session, current_user, request.remote_addr or ""),
                  success=None, then=leave, otherwise=url_for("home.index"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()

    def go_on(_) -> str:
        # Every other session ended with the old password; this one goes on with the new generation.
        remembered = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies
        login_user(current_user._get_current_object(), remember=remembered)
        return url_for("home.index")

    return submit(form, lambda: services.change_own_password(db.session, current_user, form.current.data,
                                                             form.new.data, login_policy()),
                  success="密码已修改。", then=go_on, invalid=None,
                  otherwise=lambda: render_template("auth/change_password.html", form=form,
                                                    forced=current_user.must_change_password), status=200)
