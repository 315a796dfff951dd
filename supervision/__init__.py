"""督查督办 — case management for discipline-inspection and government-supervision offices."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = Flask(
        __name__,
        instance_path=os.environ.get("SUPERVISION_INSTANCE_PATH") or str(ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    _configure(app, config or {})

    import supervision.models  # noqa: F401  (every table registered before migrations look)
    from supervision.extensions import csrf, db, limiter, login_manager, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"))
    login_manager.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)

    from supervision import pipeline, web
    from supervision.search import service as search_service

    pipeline.init_app(app)  # first: it notes the commit before any other after-commit work runs
    search_service.init_app(app)  # the change log in every writing transaction; this server applies it
    from supervision import highwater

    highwater.install(_issued_numbers_file)  # numbers given out, recorded outside the database too
    app.url_map.converters["int"] = web.DatabaseIdConverter  # before any route is added
    _register_blueprints(app)
    web.init_app(app)

    from supervision import audit_keys

    audit_keys.use(_keyring_of_current_app)

    from supervision.cli import register_commands

    register_commands(app)
    return app


def _register_blueprints(app: Flask) -> None:
    from supervision.admin.views import bp as admin_bp
    from supervision.auditlog.views import bp as auditlog_bp
    from supervision.auth.views import bp as auth_bp
    from supervision.complainants.views import bp as complainants_bp
    from supervision.documents.views import bp as documents_bp
    from supervision.escalation.views import bp as escalation_bp
    from supervision.home.views import bp as home_bp
    from supervision.ledger_import.views import bp as ledger_import_bp
    from supervision.ledgers.views import bp as ledgers_bp
    from supervision.matters.views import bp as matters_bp
    from supervision.notifications.views import bp as notifications_bp
    from supervision.portal.views import bp as portal_bp
    from supervision.portal.views import staff_bp as publication_bp
    from supervision.rectification.views import bp as rectification_bp
    from supervision.search.views import bp as search_bp
    from supervision.settings.views import bp as settings_bp
    from supervision.statistics.views import bp as statistics_bp
    from supervision.talks.views import bp as talks_bp

    for blueprint in (auth_bp, home_bp, admin_bp, auditlog_bp, matters_bp, settings_bp, documents_bp,
                      escalation_bp, notifications_bp, rectification_bp, portal_bp, publication_bp, talks_bp,
                      search_bp, ledgers_bp, ledger_import_bp, statistics_bp, complainants_bp):
        app.register_blueprint(blueprint)
    from supervision.clues.views import bp as clues_bp

    app.register_blueprint(clues_bp)
    from supervision.tasks.views import bp as tasks_bp

    app.register_blueprint(tasks_bp)
    # 督查事项's office pages (驾驶舱, 督查通报, the import of last year's list) beside the area's own.
    from supervision.tasks.office_views import bp as task_office_bp

    app.register_blueprint(task_office_bp)


def _configure(app: Flask, overrides: dict[str, Any]) -> None:
    from supervision import config as defaults

    app.config.from_object(defaults)
    app.config.from_pyfile("config.py", silent=True)
    app.config.update(defaults.from_environment())
    app.config.update(overrides)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + str(
            Path(app.instance_path) / "supervision.sqlite3"
        )
    if not app.config.get("SECRET_KEY"):
        if app.debug or app.testing:
            app.config["SECRET_KEY"] = "development-only-key"
        elif _maintenance_command():
            # `flask db upgrade`, `flask sweep` …: no sessions are signed, so a throwaway key is safe.
            app.config["SECRET_KEY"] = os.urandom(32).hex()
        else:
            raise RuntimeError(
                "SECRET_KEY 未设置：请在环境变量 SECRET_KEY 或 instance/config.py 中设置随机密钥 "
                "(SECRET_KEY is not set: set it in the environment, or run "
                "`python -m supervision.setup_instance` to write one to instance/config.py)."
            )
    _configure_audit_key(app)


def _configure_audit_key(app: Flask) -> None:
    """The audit log's HMAC key: never a default in production, where entries written with a throwaway
    key could not be verified later. Maintenance commands that write no entry (`flask db upgrade`)
    run without it; the first entry they would write raises the same message."""
    config = app.config
    if config.get("AUDIT_KEY") or config.get("AUDIT_KEY_ID") in (config.get("AUDIT_KEYS") or {}):
        return
    if app.debug or app.testing:
        config["AUDIT_KEY"], config["AUDIT_KEY_ID"] = "development-only-audit-key", "dev"
    elif not _maintenance_command():
        from supervision.audit_keys import MISSING_KEY

        raise RuntimeError(MISSING_KEY)


def _keyring_of_current_app():
    from flask import current_app

    from supervision.audit_keys import Keyring

    return Keyring.from_config(current_app.config)


def _maintenance_command() -> bool:
    """A `flask …` command other than `flask run` (the server itself needs the real key)."""
    import sys

    return bool(os.environ.get("FLASK_RUN_FROM_CLI")) and "run" not in sys.argv[1:] and "shell" not in sys.argv[1:]


def issued_numbers_file(config, instance_path: str) -> Path:
    """ISSUED_NUMBERS_FILE, or issued_numbers.log beside the audit anchor file."""
    if config.get("ISSUED_NUMBERS_FILE"):
        return Path(config["ISSUED_NUMBERS_FILE"])
    from supervision.audit_anchor import anchor_path
    from supervision.highwater import FILE_NAME

    return anchor_path(config, instance_path).parent / FILE_NAME


def _issued_numbers_file() -> Path | None:
    from flask import current_app, has_app_context

    return issued_numbers_file(current_app.config, current_app.instance_path) if has_app_context() else None
