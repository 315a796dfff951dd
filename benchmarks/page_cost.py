"""Noise-robust cost of the load benchmark's pages: SQL statements sent and process CPU time of one request
through the test client (in-process), against a database ``bench_load.py`` generated.

    python benchmarks/page_cost.py --database-url sqlite:////tmp/supervision-bench-load-100000.sqlite3
    python benchmarks/page_cost.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_load --only 事项页

On a shared machine wall times and requests/s move with the load; the statement count does not, and the
CPU time of this process (on PostgreSQL without the server's work) moves much less. Each page: two
warm-up requests, then the median of ``--repeat`` requests, beside the floor ``/account/password``.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--only", help="a substring of the page's label or path")
    parser.add_argument("--skip", action="append", default=[], help="a substring of labels or paths to leave out")
    parser.add_argument("--sql", action="store_true", help="print the statements of the last request of each page")
    parser.add_argument("--cold", action="store_true",
                        help="forget what this process keeps before each request (the first view after a write: "
                             "pages kept until the next write, cached figures and ids, are computed again)")
    parser.add_argument("--profile", type=int, metavar="N", default=0,
                        help="print the N functions with the most own time over the repeated requests (cProfile)")
    args = parser.parse_args()

    from sqlalchemy import event

    from benchmarks.bench_load import FLOOR, PAGES, instance_folder, selected
    from benchmarks.datagen import BENCH_PASSWORD, make_app
    from supervision import readcache
    from supervision.extensions import db

    # No background work in this process (the search index's change log, a rebuild): its CPU would count.
    app = make_app(args.database_url, instance_folder(args.database_url), SEARCH_APPLY_INTERVAL=0,
                   SEARCH_AUTO_REBUILD=False)
    with app.app_context():
        count = db.session.execute(db.text("SELECT count(*) FROM matter")).scalar()
        matter = db.session.execute(db.text("SELECT id FROM matter ORDER BY id LIMIT 1 OFFSET :n"),
                                    {"n": count // 2}).scalar()
        dept_matter = db.session.execute(db.text(
            "SELECT a.matter_id FROM assignment a JOIN user_account u ON u.department_id = a.department_id "
            "WHERE u.username = 'bench_dept_head' ORDER BY a.matter_id DESC LIMIT 1")).scalar()
        engine = db.engine
    statements = [0]
    texts: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def count(_conn, _cursor, statement, *_args):
        statements[0] += 1
        texts.append(" ".join(statement.split())[:240])

    clients = {}
    print(f"{'page':24} {'statements':>10} {'CPU ms':>8} {'wall ms':>8}")
    for label, user, path in PAGES:
        if not user or not selected(args.only, label, path) or any(x in label or x in path for x in args.skip):
            continue
        client = clients.get(user)
        if client is None:
            client = clients[user] = app.test_client()
            response = client.post("/login", data={"username": user, "password": BENCH_PASSWORD})
            assert response.status_code == 302, response.text[:300]
        url = path.format(matter=matter, dept_matter=dept_matter)
        for _ in range(2):
            assert client.get(url).status_code == 200, url
        cpu, wall, sent = [], [], []
        profiler = cProfile.Profile() if args.profile else None
        for _ in range(args.repeat):
            statements[0] = 0
            texts.clear()
            if args.cold:
                readcache.forget_this_process()
            c0, w0 = time.process_time(), time.perf_counter()
            if profiler:
                profiler.enable()
            client.get(url)
            if profiler:
                profiler.disable()
            cpu.append((time.process_time() - c0) * 1000)
            wall.append((time.perf_counter() - w0) * 1000)
            sent.append(statements[0])
        print(f"{label:24} {statistics.median(sent):>10.0f} {statistics.median(cpu):>8.1f} "
              f"{statistics.median(wall):>8.1f}{'  (floor)' if path == FLOOR else ''}", flush=True)
        if profiler:
            pstats.Stats(profiler).sort_stats("tottime").print_stats(args.profile)
        if args.sql:
            print("\n".join(f"    {n}. {text}" for n, text in enumerate(texts, 1)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
