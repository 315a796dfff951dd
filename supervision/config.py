"""Default configuration.

Order of precedence (last wins): these defaults, ``instance/config.py``, environment variables
(``SECRET_KEY``, ``DATABASE_URL``, ``SUPERVISION_*``), and the mapping passed to ``create_app``.
Every writable path derives from ``app.instance_path``.
"""

from __future__ import annotations

import os
from datetime import timedelta

# Flask & session ------------------------------------------------------------------------------
SECRET_KEY: str | None = None
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = False  # set True behind HTTPS (see README, deployment)
REMEMBER_COOKIE_HTTPONLY = True
REMEMBER_COOKIE_SAMESITE = "Lax"
PERMANENT_SESSION_LIFETIME = timedelta(hours=8)
WTF_CSRF_TIME_LIMIT = 8 * 3600
MAX_CONTENT_LENGTH = 60 * 1024 * 1024  # whole request; a single upload is limited below

# Database -------------------------------------------------------------------------------------
SQLALCHEMY_DATABASE_URI: str | None = None  # None: sqlite file in the instance folder
SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}

# Accounts -------------------------------------------------------------------------------------
LOGIN_MAX_FAILURES = 5
LOGIN_LOCK_MINUTES = 15
PASSWORD_MIN_LENGTH = 8

# Uploads --------------------------------------------------------------------------------------
UPLOAD_MAX_BYTES = 20 * 1024 * 1024

# Office identity (appears on pages and in documents) ----------------------------------------
OFFICE_NAME = "示范市行政效能投诉中心"
OFFICE_SHORT_NAME = "效能办"

# Pagination -----------------------------------------------------------------------------------
PER_PAGE = 20

# Rate limits (flask-limiter); storage "memory://" is per process, use redis:// for several servers
RATELIMIT_STORAGE_URI = "memory://"
RATELIMIT_HEADERS_ENABLED = True


def from_environment() -> dict:
    """The settings that the environment provides (12-factor style)."""
    found: dict = {}
    if os.environ.get("SECRET_KEY"):
        found["SECRET_KEY"] = os.environ["SECRET_KEY"]
    if os.environ.get("DATABASE_URL"):
        found["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(os.environ["DATABASE_URL"])
    if os.environ.get("SUPERVISION_OFFICE_NAME"):
        found["OFFICE_NAME"] = os.environ["SUPERVISION_OFFICE_NAME"]
    if os.environ.get("RATELIMIT_STORAGE_URI"):
        found["RATELIMIT_STORAGE_URI"] = os.environ["RATELIMIT_STORAGE_URI"]
    return found


def normalise_database_url(url: str) -> str:
    """Accept the common ``postgres://`` / ``postgresql://`` spellings and use psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url
