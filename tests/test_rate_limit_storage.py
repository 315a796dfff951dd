"""Rate limits hold per server, not per process (issue 14 item 10): real gunicorn processes sharing Redis
count together; with the per-process ``memory://`` store they do not, and the app says so at start.

Needs the local Redis (``.ci/run`` starts it; ``TEST_REDIS_URL``, default redis://127.0.0.1:6379/0).
"""

from __future__ import annotations

import http.cookiejar
import logging
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest

from page_html import csrf_in
from supervision import create_app
from supervision.serving import check_rate_limit_storage, gunicorn_workers

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
LIMIT = 6  # progress look-ups per address, for these servers


@pytest.fixture(scope="module")
def redis_url() -> str:
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("CI"):
            pytest.fail(f"Redis is not answering at {REDIS_URL} (.ci/run starts it)")
        pytest.skip(f"Redis is not answering at {REDIS_URL}")
    finally:
        client.close()
    return REDIS_URL


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``gunicorn … wsgi:app`` as deployed, on a free port, against a copy of the migrated database."""

    def __init__(self, instance: Path, database: str, storage: str, workers: int = 1):
        self.port = _free_port()
        self.log = instance / f"gunicorn-{self.port}.log"
        env = {**os.environ, "SECRET_KEY": "rate-limit-test-key", "AUDIT_KEY": "rate-limit-test-audit-key",
               "DATABASE_URL": database, "SUPERVISION_INSTANCE_PATH": str(instance), "RATELIMIT_STORAGE_URI": storage}
        env.pop("WEB_CONCURRENCY", None)
        env.pop("GUNICORN_CMD_ARGS", None)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--preload", "-w", str(workers), "-b", f"127.0.0.1:{self.port}",
             "--timeout", "60", "wsgi:app"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=self.log.open("w"))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.url("/healthz"), timeout=2).read()
                return
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError(self.log.read_text()) from None
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("gunicorn did not start:\n" + self.log.read_text())

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self) -> str:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        return self.log.read_text()


@pytest.fixture
def instance(tmp_path, sqlite_template):
    """An instance folder with its own copy of the migrated database and a key prefix of its own in Redis."""
    folder = tmp_path / "instance"
    folder.mkdir()
    shutil.copyfile(sqlite_template, folder / "supervision.sqlite3")
    prefix = f"test-{uuid.uuid4().hex[:12]}"
    (folder / "config.py").write_text(f'RATELIMIT_KEY_PREFIX = "{prefix}"\nPORTAL_LOOKUP_RATE = "{LIMIT} per 10 minutes"\n'
                                      'SEARCH_ENABLED = False\n')
    yield folder
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        keys = list(client.scan_iter(f"*{prefix}*"))
        if keys:
            client.delete(*keys)
    except redis.exceptions.ConnectionError:
        pass
    finally:
        client.close()


def _lookups(servers: list[Server], count: int) -> list[int]:
    """``count`` progress look-ups from one browser (one address), sent to the servers in turn."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    form = opener.open(servers[0].url("/public/track")).read().decode()
    token = csrf_in(form)
    statuses = []
    for n in range(count):
        server = servers[n % len(servers)]
        data = urllib.parse.urlencode({"csrf_token": token, "serial": "XT-2026-99999",
                                       "query_code": "ABCDEFGH"}).encode()
        request = urllib.request.Request(server.url("/public/track"), data=data,
                                         headers={"Referer": server.url("/public/track")})
        try:
            statuses.append(opener.open(request).status)
        except urllib.error.HTTPError as error:
            statuses.append(error.code)
    return statuses


def test_two_servers_sharing_redis_count_one_limit(redis_url, instance):
    database = f"sqlite:///{instance / 'supervision.sqlite3'}"
    servers = [Server(instance, database, redis_url), Server(instance, database, redis_url)]
    try:
        statuses = _lookups(servers, LIMIT + 2)
    finally:
        logs = [server.stop() for server in servers]
    assert 429 not in statuses[:LIMIT], statuses
    assert statuses[LIMIT:] == [429, 429], statuses  # the limit holds across both processes
    assert not any("限流计数按进程分别保存" in log for log in logs)


def test_per_process_memory_stores_let_twice_the_limit_through(instance):
    """What the shared store is for (and the reason for the warning): each process counts alone."""
    database = f"sqlite:///{instance / 'supervision.sqlite3'}"
    servers = [Server(instance, database, "memory://"), Server(instance, database, "memory://")]
    try:
        statuses = _lookups(servers, LIMIT + 2)
    finally:
        for server in servers:
            server.stop()
    assert 429 not in statuses, statuses


def test_gunicorn_with_several_workers_and_a_memory_store_warns_at_start(redis_url, instance):
    database = f"sqlite:///{instance / 'supervision.sqlite3'}"
    log = Server(instance, database, "memory://", workers=2).stop()
    assert "限流计数按进程分别保存" in log and "2 个工作进程" in log
    log = Server(instance, database, redis_url, workers=2).stop()
    assert "限流计数按进程分别保存" not in log


def test_the_number_of_workers_is_read_as_gunicorn_reads_it():
    under_gunicorn = {"SERVER_SOFTWARE": "gunicorn/23.0.0"}
    assert gunicorn_workers(["--preload", "-w", "4", "wsgi:app"], under_gunicorn) == 4
    assert gunicorn_workers(["--workers=3", "wsgi:app"], under_gunicorn) == 3
    assert gunicorn_workers(["wsgi:app"], {**under_gunicorn, "WEB_CONCURRENCY": "5"}) == 5
    assert gunicorn_workers(["wsgi:app"], {**under_gunicorn, "GUNICORN_CMD_ARGS": "-w 6"}) == 6
    assert gunicorn_workers(["-w", "4", "wsgi:app"], {}) == 1  # not under gunicorn: one process


def test_the_warning_names_the_store_only_when_it_is_per_process(tmp_path, caplog):
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.db"})
    with caplog.at_level(logging.WARNING):
        assert check_rate_limit_storage(app, processes=4)
        assert not check_rate_limit_storage(app, processes=1)
        app.config["RATELIMIT_STORAGE_URI"] = "redis://127.0.0.1:6379/0"
        assert not check_rate_limit_storage(app, processes=4)
    assert [r.levelname for r in caplog.records if "RATELIMIT_STORAGE_URI" in r.getMessage()] == ["WARNING"]
