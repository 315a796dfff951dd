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

# Audit log (see README, "The audit log cannot be rewritten") ---------------------------------
# Entries and the anchor file are keyed (HMAC-SHA256) with a secret kept outside the database.
# AUDIT_KEY is the current key, AUDIT_KEY_ID its name (recorded in every entry); AUDIT_KEYS holds the
# older keys by name, kept after a rotation so that entries written with them still verify.
AUDIT_KEY: str | None = None
AUDIT_KEY_ID = "k1"
AUDIT_KEYS: dict[str, str] = {}
ISSUED_NUMBERS_FILE: str | None = None  # None: issued_numbers.log beside the anchor file (highwater.py)
AUDIT_ANCHOR_FILE: str | None = None  # None: <instance>/audit_anchor.log (append-only; back it up)

# Accounts -------------------------------------------------------------------------------------
# Password guessing is throttled, never by locking an account (see supervision.auth.services):
LOGIN_MAX_FAILURES = 5  # per typed name and address, within LOGIN_LOCK_MINUTES
LOGIN_LOCK_MINUTES = 15
LOGIN_MAX_FAILURES_PER_ADDRESS = 20  # one address, every name
LOGIN_MAX_FAILURES_PER_ACCOUNT = 20  # one name, from addresses it has not logged in from
LOGIN_KNOWN_ADDRESS_DAYS = 90
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
    if os.environ.get("AUDIT_KEY"):
        found["AUDIT_KEY"] = os.environ["AUDIT_KEY"]
    if os.environ.get("AUDIT_KEY_ID"):
        found["AUDIT_KEY_ID"] = os.environ["AUDIT_KEY_ID"]
    if os.environ.get("AUDIT_KEYS"):  # older keys: "k1=…,k0=…"
        found["AUDIT_KEYS"] = dict(item.split("=", 1) for item in os.environ["AUDIT_KEYS"].split(",") if "=" in item)
    if os.environ.get("DATABASE_URL"):
        found["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(os.environ["DATABASE_URL"])
    if os.environ.get("SUPERVISION_OFFICE_NAME"):
        found["OFFICE_NAME"] = os.environ["SUPERVISION_OFFICE_NAME"]
    if os.environ.get("SUPERVISION_SEARCH_INDEX_DIR"):
        found["SEARCH_INDEX_DIR"] = os.environ["SUPERVISION_SEARCH_INDEX_DIR"]
    if os.environ.get("RATELIMIT_STORAGE_URI"):
        found["RATELIMIT_STORAGE_URI"] = os.environ["RATELIMIT_STORAGE_URI"]
    return found


def normalise_database_url(url: str) -> str:
    """Accept the common ``postgres://`` / ``postgresql://`` spellings and use psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


# Public side (政务公开): the online box and progress lookup ------------------------------------
# Per client address; flask-limiter syntax. Behind a reverse proxy, let werkzeug's ProxyFix set the
# address, or every citizen shares the proxy's.
PORTAL_SUBMIT_RATE = "5 per hour"
PORTAL_LOOKUP_RATE = "20 per 10 minutes"
PORTAL_MAX_FILES = 5
PORTAL_UPLOAD_MAX_BYTES = 10 * 1024 * 1024  # a single file sent by a citizen
PORTAL_MAX_CONTENT_LENGTH = 55 * 1024 * 1024  # a whole public request (files + form)
PORTAL_RECEIPT_MINUTES = 15  # how long the receipt (number + query code) can be shown again after submitting
PORTAL_CAPTCHA_MINUTES = 30
PORTAL_LOOKUP_IDLE_MINUTES = 30  # a progress look-up not used for this long ends (the citizen enters the code again)

# Talks (谈话函询) ------------------------------------------------------------------------------
# 诫勉: no promotion for this many months after the measure (《问责条例》; some offices use 12).
ADMONITION_INFLUENCE_MONTHS = 6
# The office that approves a 诫勉, as the notice names it: 报【…】某某同志批准 (e.g. "中心分管领导"); "" names the person.
TALK_APPROVER_TITLE = ""

# Deadline sweep (`flask sweep`) and notifications ---------------------------------------------
SWEEP_REMIND_WORKDAYS = 2  # remind the department this many working days before a deadline
# (working days overdue, level): 催办 the first working day after expiry, then 督办 levels
SWEEP_STEPS = [(1, "phone"), (6, "written"), (16, "listed")]
REPORT_ADDRESSEE = "市人民政府"  # 主送 of the periodic 办理情况报告
REVIEW_BODY = ""  # who answers a 复查 (SPEC §11); "" → the office itself
RE_REVIEW_BODY = ""  # who answers a 复核; "" → 上一级行政机关
NOTIFY_CHANNELS = ["log"]  # add "email" (SMTP_HOST, SMTP_PORT, SMTP_SENDER, …) and/or "sms" (SMS_GATEWAY_URL)

# Full-text search (whoosh + jieba; `flask search reindex` / `flask search check`) --------------
# None: on, except under TESTING (tests that need the index set it True). False: the matter list's
# keyword filter uses LIKE and the search page says search is unavailable.
SEARCH_ENABLED: bool | None = None
SEARCH_INDEX_DIR: str | None = None  # None: <instance>/search_index — this server's own, never on shared storage
SEARCH_LOCK_TIMEOUT = 1.0  # seconds an index write waits for whoosh's lock (the change stays in the log until applied)
SEARCH_APPLY_INTERVAL = 2.0  # seconds between background applications of the change log (0: no thread)
SEARCH_APPLY_BATCH = 500  # change-log rows applied per index commit
SEARCH_CATCH_UP_SECONDS = 2.0  # a search first applies the pending log for at most this long …
SEARCH_CATCH_UP_MAX_ROWS = 1000  # … unless more rows wait (a large import): then it answers at once
SEARCH_LOG_GAP_SECONDS = 600  # an id skipped by the log is re-read this long (a transaction still running)
SEARCH_LOG_KEEP_DAYS = 30  # `flask search prune` deletes older change-log rows
SEARCH_AUTO_REBUILD = True  # the background applier rebuilds an index never built or behind the pruned log
SEARCH_TIME_BUDGET = 0.15  # seconds to rank one page of a very common word (then: best of those scanned)
SEARCH_LIST_CAP = 2000  # the matter list's keyword filter uses at most this many matching ids
