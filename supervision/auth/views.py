from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, login_user, logout_user

from supervision.auth import services
from supervision.auth.forms import ChangePasswordForm, LoginForm
from supervision.errors import DomainError
from supervision.extensions import db, limiter

bp = Blueprint("auth", __name__)


def login_policy() -> services.LoginPolicy:
    config = current_app.config
    return services.LoginPolicy(config["LOGIN_MAX_FAILURES"], config["LOGIN_LOCK_MINUTES"],
                                config["PASSWORD_MIN_LENGTH"], config["LOGIN_MAX_FAILURES_PER_ADDRESS"],
                                config["LOGIN_MAX_FAILURES_PER_ACCOUNT"], config["LOGIN_KNOWN_ADDRESS_DAYS"])


def safe_next(target: str | None) -> str | None:
    """Only a local path: no scheme, no host, no protocol-relative '//' or backslash trick."""
    if not target:
        return None
    target = target.strip()
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith(("//", "/\\")):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("30 per minute", methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        try:
            user = services.authenticate(db.session, form.username.data, form.password.data,
                                         login_policy(), request.remote_addr or "")
        except DomainError as refused:
            db.session.commit()  # the failed attempt and any lock are recorded
            flash(str(refused), "error")
        else:
            db.session.commit()
            session.clear()  # nothing of an earlier user (revealed identities …) carries over
            login_user(user, remember=form.remember.data)
            return redirect(safe_next(form.next.data) or url_for("home.index"))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    services.log_out(db.session, current_user, request.remote_addr or "")
    db.session.commit()
    logout_user()
    session.clear()
    flash("您已安全退出。", "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_own_password(db.session, current_user, form.current.data, form.new.data,
                                         login_policy())
        except DomainError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            # Every other session ended with the old password; this one goes on with the new generation.
            remembered = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies
            login_user(current_user._get_current_object(), remember=remembered)
            flash("密码已修改。", "success")
            return redirect(url_for("home.index"))
    return render_template("auth/change_password.html", form=form)
