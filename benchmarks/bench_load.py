"""Pages under load: gunicorn as the README deploys it, driven by wrk, against 100,000 generated matters.

    python benchmarks/bench_load.py                                   # SQLite, kept in /tmp between runs
    python benchmarks/bench_load.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/bench_load
    python benchmarks/bench_load.py --matters 1000000 --database-url ...   # a prefecture city's year

Needs wrk (Debian: ``apt-get install wrk``). The database is generated once (``benchmarks/datagen.py``) and
reused by later runs against the same URL or file; so is the search index of its instance folder (built with
``flask search reindex`` before the first run, whatever pages are chosen, and its rate printed). Each page is
loaded with
``wrk -t2 -c8 -d<duration>s`` against ``gunicorn --preload -w <workers>`` on this machine, logged in as the
role whose page it is, after a short warm-up run.

Target (issue 21): every staff page reaches at least one third of the requests/s of the logged-in floor
``/account/password`` (one statement), measured in the same run. Exit status 1 when a page misses it.
"""

from __future__ import annotations

import argparse
import hashlib
import http.cookiejar
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET_SHARE = 1 / 3
FLOOR = "/account/password"

# (label, user, path); "{matter}" is a matter in the middle of the table, "{dept_matter}" one of the
# department head's. Every staff page that a user opens many times a day.
PAGES: list[tuple[str, str, str]] = [
    ("healthz (no session)", "", "/healthz"),
    ("floor: 修改密码", "bench_supervisor", FLOOR),
    ("工作台 (督查)", "bench_supervisor", "/"),
    ("工作台 (受理)", "bench_intake", "/"),
    ("工作台 (领导)", "bench_leader", "/"),
    ("工作台 (部门)", "bench_dept_head", "/"),
    ("事项台账", "bench_supervisor", "/matters/"),
    ("事项台账 办理中 按时限", "bench_supervisor", "/matters/?status=in_progress&sort=due"),
    ("事项台账 超期", "bench_supervisor", "/matters/?overdue=y"),
    ("事项台账 关键词", "bench_supervisor", "/matters/?q=%E7%AA%97%E5%8F%A3"),
    ("事项台账 (部门)", "bench_dept_head", "/matters/"),
    ("事项页", "bench_supervisor", "/matters/{matter}"),
    ("事项页 (部门)", "bench_dept_head", "/matters/{dept_matter}"),
    ("督查督办", "bench_supervisor", "/supervision/"),
    ("统计分析", "bench_supervisor", "/statistics/"),
    ("全文检索", "bench_supervisor", "/search/?q=%E7%AA%97%E5%8F%A3+%E6%8E%A8%E8%AF%BF"),
    ("消息", "bench_supervisor", "/inbox/"),
    ("整改通知", "bench_supervisor", "/rectification/"),
    ("谈话函询", "bench_supervisor", "/talks/"),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ensure_postgres_database(url: str) -> None:
    import sqlalchemy as sa

    target = sa.make_url(url)
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": target.database}).scalar():
            conn.execute(sa.text(f'CREATE DATABASE "{target.database}"'))
    admin.dispose()


def instance_folder(url: str) -> str:
    """One instance folder per database, kept between runs: its search index is built once."""
    digest = hashlib.sha256(url.encode()).hexdigest()[:12]
    return str(Path(tempfile.gettempdir()) / f"supervision-bench-load-instance-{digest}")


def vacuum(url: str) -> None:
    """What autovacuum does after a bulk load, done now: the visibility map that lets PostgreSQL answer
    counts and id lists from indexes alone, and fresh statistics."""
    import sqlalchemy as sa

    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql("VACUUM ANALYZE" if url.startswith("postgresql") else "ANALYZE")
    engine.dispose()


def prepare(url: str, n_matters: int) -> tuple[str, int, int]:
    """Migrate and generate (once); return the instance folder, a matter id and a department head's matter id."""
    from benchmarks.datagen import make_app, populate, populate_notices, populate_outcomes
    from supervision.extensions import db

    instance = instance_folder(url)
    app = make_app(url, instance)
    with app.app_context():
        count = db.session.execute(db.text("SELECT count(*) FROM matter")).scalar()
        if not count:
            started = time.perf_counter()
            populate(n_matters)
            populate_notices(max(1_000, n_matters // 10))
            populate_outcomes()
            db.session.commit()
            db.engine.dispose()
            vacuum(url)
            print(f"generated {n_matters:,} matters in {time.perf_counter() - started:.0f} s", flush=True)
        elif count < n_matters:
            raise SystemExit(f"the database holds {count:,} matters, fewer than --matters {n_matters:,}: "
                             "use another database or drop this one")
        matter = db.session.execute(db.text("SELECT id FROM matter ORDER BY id LIMIT 1 OFFSET :n"),
                                    {"n": count // 2 if count else n_matters // 2}).scalar()
        dept_matter = db.session.execute(db.text(
            "SELECT a.matter_id FROM assignment a JOIN user_account u ON u.department_id = a.department_id "
            "WHERE u.username = 'bench_dept_head' ORDER BY a.matter_id DESC LIMIT 1")).scalar()
        db.engine.dispose()
    return instance, matter, dept_matter


def build_search_index(env: dict) -> str:
    """``flask search reindex`` into the instance folder; its last line (documents and seconds)."""
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "supervision", "search", "reindex"], cwd=ROOT,
                          env=env, check=True, capture_output=True, text=True)
    return (done.stdout.strip().splitlines() or [""])[-1]


class Server:
    """gunicorn as deployed: ``gunicorn --preload -w N -b 127.0.0.1:PORT wsgi:app``."""

    def __init__(self, env: dict, workers: int):
        self.port = free_port()
        gunicorn = Path(sys.executable).with_name("gunicorn")
        self.process = subprocess.Popen(
            [str(gunicorn), "--preload", "-w", str(workers), "-b", f"127.0.0.1:{self.port}", "--log-level",
             "warning", "wsgi:app"], cwd=ROOT, env=env, start_new_session=True)
        self.base = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.base + "/healthz", timeout=2).read()
                return
            except OSError:
                if self.process.poll() is not None:
                    raise SystemExit("gunicorn did not start")
                time.sleep(0.3)
        raise SystemExit("gunicorn did not answer /healthz within 120 s")

    def stop(self) -> None:
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


class Writer(threading.Thread):
    """A business write every ``interval`` seconds while the pages are loaded (``--write-every``): the
    summary of one matter changed through the service, audited, as a clerk at work would. Each write ends
    what every worker keeps until the next write (``web.once``, cached figures): the pages are then
    measured as an office that is working sees them, not only between writes."""

    def __init__(self, url: str, instance: str, matter_id: int, interval: float):
        super().__init__(daemon=True)
        self.url, self.instance, self.matter_id, self.interval = url, instance, matter_id, interval
        self.stopping = threading.Event()
        self.writes = 0

    def run(self) -> None:
        from sqlalchemy import select

        from benchmarks.datagen import make_app
        from supervision.extensions import db
        from supervision.matters import services
        from supervision.models.matters import Matter
        from supervision.models.org import User

        app = make_app(self.url, self.instance, SEARCH_APPLY_INTERVAL=0, SEARCH_AUTO_REBUILD=False)
        with app.app_context():
            clerk = db.session.scalar(select(User).where(User.username == "bench_supervisor"))
            while not self.stopping.wait(self.interval):
                matter = db.session.get(Matter, self.matter_id)
                services.update_summary(db.session, clerk, matter, f"基准测试写入第 {self.writes + 1} 次：内容摘要更新。",
                                        matter.version)
                db.session.commit()
                self.writes += 1
            db.session.remove()
            db.engine.dispose()

    def stop(self) -> None:
        self.stopping.set()
        self.join(30)


def session_cookie(base: str, username: str) -> str:
    """Log in through the real form (CSRF token included) and return the Cookie header value."""
    from benchmarks.datagen import BENCH_PASSWORD

    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(base + "/login", timeout=30).read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    form = {"username": username, "password": BENCH_PASSWORD}
    if token:
        form["csrf_token"] = token.group(1)
    opener.open(base + "/login", data=urllib.parse.urlencode(form).encode(), timeout=30).read()
    cookies = "; ".join(f"{c.name}={c.value}" for c in jar)
    check = urllib.request.Request(base + FLOOR, headers={"Cookie": cookies})
    body = urllib.request.urlopen(check, timeout=30).read().decode()
    if "修改密码" not in body and "密码" not in body:
        raise SystemExit(f"login as {username} failed")
    return cookies


def check_page(url: str, cookie: str) -> None:
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    with urllib.request.urlopen(request, timeout=120) as response:
        if response.status != 200 or response.geturl().split("?")[0].endswith("/login"):
            raise SystemExit(f"{url}: status {response.status} at {response.geturl()}")
        response.read()


def selected(only: str | None, label: str, path: str) -> bool:
    return not only or only in label or only in path or path == FLOOR


LATENCY = re.compile(r"^\s+(50|75|90|99)%\s+([\d.]+)(us|ms|s)\s*$", re.M)


def run_wrk(url: str, cookie: str, duration: int, threads: int, connections: int) -> dict:
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "10s"]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    output = subprocess.run(command + [url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    unit = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    latency = {p: float(v) * unit[u] for p, v, u in LATENCY.findall(output)}
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    errors = re.search(r"Socket errors: .*timeout (\d+)", output)
    return {"rps": rps, "p50_ms": latency.get("50"), "p99_ms": latency.get("99"),
            "non_2xx": int(bad.group(1)) if bad else 0, "timeouts": int(errors.group(1)) if errors else 0}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", help="default: a SQLite file kept at /tmp/supervision-bench-load-N.sqlite3")
    parser.add_argument("--matters", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--duration", type=int, default=10, help="seconds of wrk per page (after a 2 s warm-up)")
    parser.add_argument("--warm-up", type=int, default=2, help="seconds of wrk per page before the measured run "
                        "(every worker renders a kept page once: at 1,000,000 matters the keyword list's first view "
                        "takes ~2.3 s, four workers need ~10 s)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--only", help="a substring: load only the pages whose label or path contains it")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--write-every", type=float, metavar="SECONDS",
                        help="a business write (a matter's summary, audited) every SECONDS during the run: what is "
                             "kept until the next write is then computed again in every worker")
    parser.add_argument("--vacuum", action="store_true", help="VACUUM ANALYZE the database before the run "
                        "(as autovacuum would after a bulk load; done anyway right after generating)")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed: apt-get install wrk")

    url = args.database_url or f"sqlite:///{tempfile.gettempdir()}/supervision-bench-load-{args.matters}.sqlite3"
    if url.startswith("postgresql"):
        ensure_postgres_database(url)
    instance, matter, dept_matter = prepare(url, args.matters)
    if args.vacuum:
        vacuum(url)
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench-load", "AUDIT_KEY": "bench-audit-key",
           "SUPERVISION_INSTANCE_PATH": instance,
           "PYTHONPATH": str(ROOT)}
    # Built before the server starts whatever pages are loaded: without it every worker would start
    # rebuilding it in the background and take the CPU the pages are measured with.
    if not (Path(instance) / "search_index").exists():
        started = time.perf_counter()
        said = build_search_index(env)
        print(f"search index built in {time.perf_counter() - started:.0f} s: {said}", flush=True)

    server = Server(env, args.workers)
    load_before = os.getloadavg()[0]
    results = []
    writer = None
    if args.write_every:
        writer = Writer(url, instance, matter + 1, args.write_every)
        writer.start()
    try:
        cookies = {user: session_cookie(server.base, user) for user in {u for _, u, _ in PAGES if u}}
        for label, user, path in PAGES:
            if not selected(args.only, label, path):
                continue
            target = server.base + path.format(matter=matter, dept_matter=dept_matter)
            cookie = cookies.get(user, "")
            check_page(target, cookie)
            run_wrk(target, cookie, args.warm_up, args.threads, args.connections)  # warm-up: caches, connections
            figures = run_wrk(target, cookie, args.duration, args.threads, args.connections)
            results.append({"page": label, "user": user, "path": path, **figures})
            print(f"{label:24} {figures['rps']:9.1f} req/s  p50 {figures['p50_ms'] or 0:7.1f} ms  "
                  f"p99 {figures['p99_ms'] or 0:7.1f} ms", flush=True)
    finally:
        if writer is not None:
            writer.stop()
        server.stop()

    floor = next(r["rps"] for r in results if r["path"] == FLOOR)
    engine = url.split(":", 1)[0].split("+")[0]
    print(f"\n{engine}, {args.matters:,} matters, gunicorn --preload -w {args.workers}, "
          f"wrk -t{args.threads} -c{args.connections} -d{args.duration}s; floor {FLOOR} = {floor:.0f} req/s, "
          f"target >= {floor * TARGET_SHARE:.0f} req/s; load average {load_before:.1f} before, "
          f"{os.getloadavg()[0]:.1f} after (1 min)"
          + (f"; a business write every {args.write_every:g} s ({writer.writes} in all)" if writer else "") + "\n")
    print(f"| page | user | requests/s | share of floor | p50 ms | p99 ms | |\n|---|---|---|---|---|---|---|")
    failed = False
    for r in results:
        share = r["rps"] / floor
        staff = r["user"] and r["path"] != FLOOR
        ok = not staff or share >= TARGET_SHARE
        failed |= not ok or bool(r["non_2xx"])
        mark = ("met" if ok else "MISSED") if staff else ""
        if r["non_2xx"]:
            mark += f" ({r['non_2xx']} non-2xx)"
        print(f"| {r['page']} | {r['user'] or '—'} | {r['rps']:,.0f} | {share:.2f} | {r['p50_ms'] or 0:.1f} | "
              f"{r['p99_ms'] or 0:.1f} | {mark} |")
    if args.json:
        Path(args.json).write_text(json.dumps({"engine": engine, "matters": args.matters, "floor": floor,
                                               "write_every": args.write_every,
                                               "writes": writer.writes if writer else 0,
                                               "load_average": [load_before, os.getloadavg()[0]],
                                               "pages": results}, ensure_ascii=False, indent=1))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
