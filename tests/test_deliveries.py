"""SMS and e-mail leave after the transaction that recorded them, one at a time, each marked before and
after sending: a sweep killed while delivering resends at most the one message in flight."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from sqlalchemy import func, select

from conftest import TEST_AUDIT_KEY
from matters_factories import make_matter, office, today  # noqa: F401  (fixtures)
from supervision import clock
from supervision.models.escalation import Delivery, DeliveryStatus
from supervision.notifications.channels import LogChannel
from supervision.notifications.services import deliver_pending, notify

ROOT = Path(__file__).resolve().parent.parent
MESSAGES = 100


class Gateway:
    """A real HTTP SMS gateway on localhost that records every request and takes 40 ms a message."""

    def __init__(self, delay: float = 0.04):
        self.received: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.received.append({"key": self.headers.get("Idempotency-Key"), "text": body["text"]})
                time.sleep(delay)
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/send"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()


def sweep_process(instance: Path, database_url: str, gateway: Gateway, lease_seconds: int) -> subprocess.Popen:
    (instance / "config.py").write_text(
        f"NOTIFY_CHANNELS = ['sms']\nSMS_GATEWAY_URL = {gateway.url!r}\nDELIVERY_LEASE_SECONDS = {lease_seconds}\n"
        f"AUDIT_KEY = {TEST_AUDIT_KEY!r}\nAUDIT_KEY_ID = 't1'\n", encoding="utf-8")
    env = {**os.environ, "SUPERVISION_INSTANCE_PATH": str(instance), "DATABASE_URL": database_url,
           "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "supervision", "sweep"], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_a_sweep_killed_while_delivering_resends_at_most_the_one_in_flight(app, session, office, database_url,
                                                                          tmp_path):
    office.head.phone = "13900000001"
    for n in range(MESSAGES):
        notify(session, [office.head], f"催办通知第{n:03d}号", "请按时办理。", channels=("sms",))
    session.commit()
    gateway = Gateway()
    instance = tmp_path / "sweep_instance"
    instance.mkdir()
    try:
        first = sweep_process(instance, database_url, gateway, lease_seconds=600)
        deadline = time.monotonic() + 120
        while len(gateway.received) < 30 and first.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        os.kill(first.pid, signal.SIGKILL)  # mid-delivery: no cleanup, no rollback handler
        first.wait()
        before_restart = len(gateway.received)
        assert 30 <= before_restart < MESSAGES, (before_restart, first.stderr.read())

        second = sweep_process(instance, database_url, gateway, lease_seconds=0)  # the lease of the dead one is over
        out, err = second.communicate(timeout=300)
        assert second.returncode == 0, err
    finally:
        gateway.close()

    texts = [r["text"] for r in gateway.received]
    assert len(set(texts)) == MESSAGES  # every message arrived …
    assert len(texts) - MESSAGES <= 1  # … and at most the one in flight twice
    resent = [r for r in gateway.received if texts.count(r["text"]) > 1]
    assert len({r["key"] for r in resent}) <= 1 and all(r["key"] for r in resent)  # a resend carries its key
    session.expire_all()
    statuses = session.execute(select(Delivery.status, func.count()).group_by(Delivery.status)).all()
    assert statuses == [(DeliveryStatus.SENT, MESSAGES)]


def test_each_delivery_is_committed_as_sending_before_the_channel_is_called(session, office, tmp_path):
    notify(session, [office.head, office.supervisor], "催办：测试", "请办理")
    session.commit()
    seen: list[tuple[str, str]] = []

    class Watching(LogChannel):
        def send(self, address, subject, body, *, idempotency_key=""):
            # Another connection sees the mark: it was committed before this call.
            with session.get_bind().connect() as other:
                status = other.execute(select(Delivery.status).where(
                    Delivery.idempotency_key == idempotency_key)).scalar_one()
            seen.append((address, status))
            super().send(address, subject, body, idempotency_key=idempotency_key)

    assert deliver_pending(session, [Watching(tmp_path / "n.log")]) == (2, 0)
    assert sorted(seen) == sorted([(office.head.username, "sending"), (office.supervisor.username, "sending")])
    lines = [json.loads(line) for line in (tmp_path / "n.log").read_text(encoding="utf-8").splitlines()]
    keys = set(session.scalars(select(Delivery.idempotency_key)))
    assert {line["key"] for line in lines} == keys and len(keys) == 2


def test_a_delivery_left_sending_is_retried_only_after_its_lease(session, office, tmp_path):
    notify(session, [office.head], "催办：测试", "请办理")
    session.commit()
    delivery = session.scalars(select(Delivery)).one()
    delivery.status, delivery.sending_since, delivery.attempts = DeliveryStatus.SENDING, clock.now(), 1
    session.commit()  # as a sweep killed during the send leaves it
    channel = LogChannel(tmp_path / "n.log")
    assert deliver_pending(session, [channel], lease_seconds=600) == (0, 0)  # maybe still in flight elsewhere
    assert deliver_pending(session, [channel], lease_seconds=0) == (1, 0)
    session.expire_all()
    assert delivery.status == DeliveryStatus.SENT and delivery.attempts == 2 and delivery.sending_since is None
