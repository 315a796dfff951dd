"""Matters at scale: list and detail pages against a trivial route, and add_workdays throughput.

    python benchmarks/bench_matters.py [--matters 100000] [--database-url postgresql+psycopg://...]

Targets (issue 3): the filtered, sorted matter list (20 rows) and a matter's page each cost at most 8× the
trivial route (median, in one run, same app, in-process WSGI); 100,000 add_workdays under 1 second.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.datagen import add_trivial_route, login, make_app, populate, reusable_sqlite  # noqa: E402
from supervision.calendar import WorkCalendar  # noqa: E402
from supervision.extensions import db  # noqa: E402


def timed(client, path: str, n: int) -> tuple[float, float]:
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        response = client.get(path)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--matters", type=int, default=100_000)
    parser.add_argument("--database-url", help="default: a fresh temporary SQLite file")
    parser.add_argument("--reuse", metavar="FILE", help="a SQLite file to keep between runs (generated once)")
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()

    app = make_app(args.database_url or (reusable_sqlite(args.reuse) if args.reuse else None))
    started = time.perf_counter()
    with app.app_context():
        if not db.session.execute(db.text("SELECT count(*) FROM matter")).scalar():
            populate(args.matters)
        engine = db.engine.dialect.name
        sample_id = db.session.execute(db.text("SELECT id FROM matter WHERE status = 'in_progress' LIMIT 1")).scalar()
        department = db.session.execute(db.text("SELECT lead_department_id FROM matter WHERE id = :i"),
                                        {"i": sample_id}).scalar()
    print(f"{engine}: {args.matters:,} matters generated in {time.perf_counter() - started:.1f} s")

    add_trivial_route(app)  # what every logged-in page pays; this measures what a page adds to it


    client = app.test_client()
    login(client, "bench_supervisor")
    pages = {
        "bare /healthz (no login)": "/healthz",
        "trivial route (logged in)": "/bench/trivial",
        "list, default sort": "/matters/",
        "list, filtered + sorted": f"/matters/?status=in_progress&department={department}&sort=due",
        "list, overdue, page 3": "/matters/?overdue=y&sort=due&page=3",
        "matter page": f"/matters/{sample_id}",
    }
    for path in pages.values():  # warm up caches, templates, the calendar
        for _ in range(20):
            client.get(path)
    results = {name: timed(client, path, args.requests) for name, path in pages.items()}
    # a department head's lists: only the matters addressed to the department (reported, not held)
    head = app.test_client()
    login(head, "bench_dept_head")
    for name, path in {"department head's list": "/matters/",
                       "department head's, overdue": "/matters/?overdue=y&sort=due"}.items():
        for _ in range(20):
            head.get(path)
        results[name] = timed(head, path, args.requests)
    trivial = results["trivial route (logged in)"][0]
    verdict = True
    print(f"{'page':28} {'median ms':>10} {'p95 ms':>8} {'× trivial':>10}")
    for name, (median, p95) in results.items():
        ratio = median / trivial
        limited = name.startswith(("list, filtered", "matter page"))
        ok = ratio <= 8 or not limited
        verdict &= ok
        print(f"{name:28} {median:10.2f} {p95:8.2f} {ratio:10.1f}{'' if not limited else ('  PASS' if ok else '  FAIL')}")

    calendar = WorkCalendar()
    rng = random.Random(1)
    starts = [date(2025, 1, 1) + timedelta(days=rng.randint(0, 1000)) for _ in range(100_000)]
    amounts = [rng.randint(1, 60) for _ in range(100_000)]
    calendar.add_workdays(date(2025, 1, 1), 700)  # build the years once
    runs = []
    for _ in range(5):
        started = time.perf_counter()
        for start, n in zip(starts, amounts):
            calendar.add_workdays(start, n)
        runs.append(time.perf_counter() - started)
    seconds = statistics.median(runs)
    verdict &= seconds < 1
    print(f"100,000 add_workdays: {seconds * 1000:.0f} ms (median of 5) {'PASS' if seconds < 1 else 'FAIL'}")
    print("RESULT", "PASS" if verdict else "FAIL")
    return 0 if verdict else 1


if __name__ == "__main__":
    sys.exit(main())
