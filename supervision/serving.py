"""How the app is served, and what must hold for that: rate limits kept per process (``memory://``) are
multiplied by the number of processes, so a server with several gunicorn workers needs a shared store
(``RATELIMIT_STORAGE_URI=redis://…``). ``wsgi.py`` calls :func:`check_rate_limit_storage` at start."""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Mapping, Sequence

from flask import Flask

PER_PROCESS_STORES = ("memory://",)


def gunicorn_workers(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    """The number of worker processes of the gunicorn server this process belongs to, read as gunicorn
    reads it — ``WEB_CONCURRENCY``, then ``GUNICORN_CMD_ARGS``, then the command line (a ``-w`` in a
    gunicorn config file is not seen) — or 1 outside gunicorn."""
    environ = os.environ if environ is None else environ
    argv = sys.argv[1:] if argv is None else argv
    if not environ.get("SERVER_SOFTWARE", "").startswith("gunicorn"):
        return 1
    from gunicorn.config import Config

    parser = Config().parser()
    workers = 1
    if environ.get("WEB_CONCURRENCY", "").isdigit():
        workers = int(environ["WEB_CONCURRENCY"])
    for args in (shlex.split(environ.get("GUNICORN_CMD_ARGS", "")), list(argv)):
        parsed, _unknown = parser.parse_known_args(args)
        if getattr(parsed, "workers", None):
            workers = int(parsed.workers)
    return workers


def check_rate_limit_storage(app: Flask, processes: int | None = None) -> bool:
    """Log a warning when several processes serve the app with a per-process rate-limit store; True if so."""
    processes = gunicorn_workers() if processes is None else processes
    storage = str(app.config.get("RATELIMIT_STORAGE_URI") or "memory://")
    if processes > 1 and storage.startswith(PER_PROCESS_STORES):
        app.logger.warning(
            "限流计数按进程分别保存（RATELIMIT_STORAGE_URI=%s），%d 个工作进程各自计数，公众提交、查询和登录的"
            "频率限制实际放宽 %d 倍。请设置 RATELIMIT_STORAGE_URI=redis://…（见 README 部署一节）。"
            " (Rate limits are per process with %s and %d workers: use a shared store such as Redis.)",
            storage, processes, processes, storage, processes)
        return True
    return False
