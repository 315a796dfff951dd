"""Real faults for tests: the application in a child process whose instance folders sit on a tiny
or read-only tmpfs (a private mount namespace: `unshare -rm`, no root needed where user namespaces
are allowed), so a full disk is the kernel's ENOSPC and a read-only folder its EROFS."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

CHILD = """
import json, sys
from supervision import create_app
from supervision.extensions import db

spec = json.loads(open(sys.argv[1], encoding="utf-8").read())
app = create_app({"TESTING": True, "PROPAGATE_EXCEPTIONS": False, "WTF_CSRF_ENABLED": False,
                  "SECRET_KEY": "test-secret", "SQLALCHEMY_DATABASE_URI": spec["database_url"],
                  "RATELIMIT_ENABLED": False, "SERVER_NAME": None, "AUDIT_KEY": "test-audit-key",
                  "AUDIT_KEY_ID": "t1"})
result = {}
with app.app_context():
    client = app.test_client()
    if spec.get("username"):
        response = client.post("/login", data={"username": spec["username"], "password": spec["password"]})
        assert response.status_code == 302, response.text
    exec(spec["body"])
print("RESULT" + json.dumps(result, ensure_ascii=False))
"""


def namespaces_work() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "-rm", "sh", "-c", "mount -t tmpfs -o size=16k tmpfs /mnt"],
                           capture_output=True)
    return probe.returncode == 0


needs_namespaces = pytest.mark.skipif(not namespaces_work(), reason="no private mount namespaces here (unshare -rm)")


def run_app(*, database_url: str, instance: Path, body: str, mounts: dict[Path, str], username: str = "",
            password: str = "") -> dict:
    """Run ``body`` (Python; ``client`` is a logged-in test client, fill ``result``) in a child process
    with ``instance`` as its instance folder and each of ``mounts`` ({folder: tmpfs options}) mounted."""
    steps = [f"mkdir -p {_q(folder)} && mount -t tmpfs -o {options} tmpfs {_q(folder)}"
             for folder, options in mounts.items()]
    spec = instance.parent / f"child-{os.getpid()}-{id(body)}.json"
    spec.write_text(json.dumps({"database_url": database_url, "username": username, "password": password,
                                "body": textwrap.dedent(body)}), encoding="utf-8")
    command = " && ".join(steps + [f"exec {_q(sys.executable)} -c {_q(CHILD)} {_q(spec)}"])
    env = {**os.environ, "SUPERVISION_INSTANCE_PATH": str(instance), "PYTHONPATH": str(ROOT)}
    done = subprocess.run(["unshare", "-rm", "sh", "-c", command], capture_output=True, text=True, env=env,
                          timeout=300)
    marker = [line for line in done.stdout.splitlines() if line.startswith("RESULT")]
    assert done.returncode == 0 and marker, done.stdout[-3000:] + done.stderr[-3000:]
    return json.loads(marker[-1][len("RESULT"):])


def _q(text: str | Path) -> str:
    return "'" + str(text).replace("'", "'\"'\"'") + "'"
