"""Ledgers (台账) to .xlsx at 100,000 matters: time and peak memory of a full export.

    python benchmarks/bench_ledgers.py [--matters 100000] [--reuse FILE | --database-url URL] [--profile] [--identity]

Target (issue 8): an .xlsx export of 100,000 rows in under 30 seconds with peak memory under 300 MB.

Each export runs in a fresh child process (so the data generation does not inflate its peak RSS), through
the same route a user calls (test client, logged in, the streamed body read to the end). The child
reports wall time, CPU time (user + system: the machine may be shared), its peak RSS during the export
(VmHWM reset just before it), and its RSS before the export (the app and its libraries loaded), so the
export's own cost is the difference.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.datagen import login, make_app, populate, reusable_sqlite  # noqa: E402
from supervision.extensions import db  # noqa: E402

TARGET_SECONDS, TARGET_MB = 30, 300
EXPORTS = [  # (label, user, path)
    ("matters ledger, everything (supervisor)", "bench_supervisor", "/ledgers/matters.xlsx"),
    ("assignments ledger, everything (supervisor)", "bench_supervisor", "/ledgers/assignments.xlsx"),
    ("matters ledger, one department (dept head)", "bench_dept_head", "/ledgers/matters.xlsx"),
]
# Writes audit rows (one per matter with identity) into the database: only when asked for.
IDENTITY_EXPORT = ("matters ledger with identity (supervisor)", "bench_supervisor", "POST /ledgers/matters.xlsx")


def rss_mb() -> float:
    """Current resident set size (Linux)."""
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def reset_peak() -> bool:
    """Start the peak (VmHWM) afresh, so it measures the export and not the start-up (Linux ≥ 4.0)."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def peak_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(url: str, user: str, path: str, profile: bool) -> None:
    app = make_app(url)

    client = app.test_client()
    login(client, user)
    client.get("/matters/")  # warm: templates, the first query
    baseline = rss_mb()
    startup_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    exact = reset_peak()
    profiler = cProfile.Profile() if profile else None
    cpu0, wall0 = time.process_time(), time.perf_counter()
    if profiler:
        profiler.enable()
    if path.startswith("POST "):  # the identity export: a reason (CSRF is off in the benchmark app)
        response = client.post(path[5:], data={"reason": "性能测试"}, buffered=False)
    else:
        response = client.get(path, buffered=False)
    assert response.status_code == 200, response.status_code
    size = 0
    with tempfile.TemporaryFile() as body:  # what the browser receives, kept out of this process's memory
        for chunk in response.response:
            body.write(chunk)
            size += len(chunk)
        response.close()
        if profiler:
            profiler.disable()
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        peak = peak_mb() if exact else max(startup_peak, peak_mb())
        rows = -4 if path.startswith("POST ") else -3  # the preamble lines (one more with identity), the header
        with zipfile.ZipFile(body) as xlsx, xlsx.open("xl/worksheets/sheet1.xml") as sheet:  # a valid workbook
            while chunk := sheet.read(1 << 20):  # count its rows without loading it
                rows += chunk.count(b"<row ")
    print(json.dumps({"wall": wall, "cpu": cpu, "peak_mb": peak, "baseline_mb": baseline, "rows": rows,
                      "bytes": size, "startup_peak_mb": startup_peak, "exact_peak": exact}))
    if profiler:
        stats = pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime")
        stats.print_stats(18)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--matters", type=int, default=100_000)
    parser.add_argument("--database-url", help="default: a fresh temporary SQLite file")
    parser.add_argument("--reuse", metavar="FILE", help="a SQLite file to keep between runs (generated once)")
    parser.add_argument("--profile", action="store_true", help="print the top functions of each export")
    parser.add_argument("--identity", action="store_true",
                        help="also the export with identity (adds ~80,000 audit rows to the database)")
    parser.add_argument("--child", nargs=3, metavar=("URL", "USER", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child, profile=args.profile)
        return 0

    app = make_app(args.database_url or (reusable_sqlite(args.reuse) if args.reuse else None))
    started = time.perf_counter()
    with app.app_context():
        if not db.session.execute(db.text("SELECT count(*) FROM matter")).scalar():
            populate(args.matters)
        engine = db.engine.dialect.name
        count = db.session.execute(db.text("SELECT count(*) FROM matter")).scalar()
        url = db.engine.url.render_as_string(hide_password=False)
    print(f"{engine}: {count:,} matters ready in {time.perf_counter() - started:.1f} s")

    failed = False
    for label, user, path in EXPORTS + ([IDENTITY_EXPORT] if args.identity else []):
        command = [sys.executable, __file__, "--child", url, user, path] + (["--profile"] if args.profile else [])
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode:
            print(done.stderr[-3000:])
            return 1
        figures = json.loads(done.stdout.strip().splitlines()[-1])
        ok = figures["wall"] < TARGET_SECONDS and figures["peak_mb"] < TARGET_MB
        failed |= not ok
        print(f"{label:46s} {figures['rows']:>7,} rows  {figures['bytes'] / 2**20:5.1f} MB file  "
              f"wall {figures['wall']:5.1f} s  CPU {figures['cpu']:5.1f} s  "
              f"peak RSS {figures['peak_mb']:5.0f} MB{'' if figures['exact_peak'] else ' (incl. start-up)'} "
              f"(app before export {figures['baseline_mb']:.0f} MB)  {'ok' if ok else 'NOT MET'}")
        if args.profile:
            print(done.stderr)
    print(f"targets: < {TARGET_SECONDS} s, < {TARGET_MB} MB peak")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
