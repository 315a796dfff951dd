"""Processes the search tests start and kill: ``python tests/search_processes.py COMMAND CONFIG_JSON``.

CONFIG_JSON holds the application's settings (the test's database URL, the instance folder …).

- ``save-and-die MATTER_ID TEXT``: change a matter's summary through its service and commit; the process
  kills itself (SIGKILL) the moment the commit has reached the database, before anything else can run.
- ``import-and-die USERNAME FILE``: sign in, upload a ledger and confirm it through the pages; the process
  kills itself the moment the import's transaction has committed.
- ``import-worker-dies BATCH_ROWS KILL_AT_BATCH``: run the queued ledger import jobs, BATCH_ROWS rows a
  transaction; in batch KILL_AT_BATCH the process kills itself after writing the batch's rows, before
  its commit (the batches before it are committed).
- ``slow-reindex``: rebuild the index with two indexing processes from 3,000 documents that arrive
  slowly after the first 1,200; prints ``CHILDREN pid pid`` once the indexing processes run, then waits
  to be killed.
- ``serve``: serve the application over HTTP on a free port (prints ``PORT n``), as one server of a
  deployment would: its background applier thread starts with the first request and, finding no index
  in its instance folder, builds one, then applies the change log.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from supervision import create_app  # noqa: E402


def make_app(config: dict):
    os.environ["SUPERVISION_INSTANCE_PATH"] = config.pop("INSTANCE_PATH")
    return create_app(config)


def save_and_die(app, matter_id: int, text: str) -> None:
    from sqlalchemy import event

    from supervision.extensions import db
    from supervision.matters import services
    from supervision.models.matters import Matter
    from supervision.models.org import Role, User
    from sqlalchemy import select

    with app.app_context():
        actor = db.session.scalar(select(User).where(User.role == Role.INTAKE, User.active.is_(True)))
        matter = db.session.get(Matter, matter_id)
        services.update_summary(db.session, actor, matter, text, matter.version)

        @event.listens_for(db.session, "after_commit")
        def die(session) -> None:  # the database has the commit; the process has done nothing else yet
            os.kill(os.getpid(), signal.SIGKILL)

        db.session.commit()
    raise SystemExit("not killed")


def import_and_die(app, username: str, path: str) -> None:
    import re
    from io import BytesIO

    from sqlalchemy import event

    from supervision.extensions import db

    client = app.test_client()
    assert client.post("/login", data={"username": username, "password": "pass1234"}).status_code == 302
    page = client.post("/ledgers/import", data={"file": (BytesIO(Path(path).read_bytes()), "台账.xlsx")},
                       content_type="multipart/form-data").get_data(as_text=True)
    token = re.search(r'name="token"[^>]*value="([0-9a-f]{32})"', page).group(1)

    with app.app_context():
        @event.listens_for(db.session, "after_commit")
        def die(session) -> None:
            os.kill(os.getpid(), signal.SIGKILL)

        client.post("/ledgers/import/confirm", data={"token": token})
    raise SystemExit("not killed")


def import_worker_dies(app, batch_rows: int, kill_at: int) -> None:
    from supervision.extensions import db
    from supervision.ledger_import import importing, jobs

    original, calls = importing.import_rows, []

    def import_rows(*args, **kwargs):
        result = original(*args, **kwargs)
        calls.append(1)
        if len(calls) == kill_at:
            db.session.flush()
            print("KILLED", len(calls), flush=True)
            os.kill(os.getpid(), signal.SIGKILL)  # the batch's rows are written, not committed
        return result

    importing.import_rows = import_rows
    with app.app_context():
        policy = jobs.JobPolicy.from_config(app.config, app.instance_path)
        jobs.run_queued(db.session, jobs.JobPolicy(batch_rows, policy.lease_seconds, policy.cache))
    raise SystemExit("not killed")


def slow_reindex(app) -> None:
    import multiprocessing

    from supervision.search import documents, service

    def slowly(session):
        template = {"kind": "matter", "title": "窗口投诉", "body": "窗口工作人员推诿扯皮，群众多次往返。",
                    "department_ids": [1], "status": "matter:assigned", "version": "v"}
        for n in range(1, 3001):
            yield {**template, "id": f"matter:{100000 + n}", "number": f"XT-2026-{n:05d}"}
            if n == 1200:
                pids = [p.pid for p in multiprocessing.active_children()]
                print("CHILDREN", *pids, flush=True)
            if n > 1200:
                time.sleep(0.05)

    documents.all_documents = slowly
    documents.count_documents = lambda session: 3000
    with app.app_context():
        service.rebuild(procs=2)
    raise SystemExit("the reindex finished: it should have been killed")


def serve(app) -> None:
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    print("PORT", server.server_port, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    command, config = sys.argv[1], json.loads(sys.argv[2])
    application = make_app(config)
    if command == "save-and-die":
        save_and_die(application, int(sys.argv[3]), sys.argv[4])
    elif command == "import-and-die":
        import_and_die(application, sys.argv[3], sys.argv[4])
    elif command == "import-worker-dies":
        import_worker_dies(application, int(sys.argv[3]), int(sys.argv[4]))
    elif command == "slow-reindex":
        slow_reindex(application)
    elif command == "serve":
        serve(application)
    else:
        raise SystemExit(f"unknown command {command}")
