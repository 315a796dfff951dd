"""How fast the paperwork builders are, and that a long batch does not leak.

    python benchmarks/bench_paperwork.py [--batch 1000] [--repeat 25]

1. Median build time per document type for a document of about two pages (target < 50 ms).
2. A batch of documents (all types in turn) with traced Python memory and the process RSS taken
   after 100 and after the whole batch: neither may grow (the base template is cached once per
   font set, nothing else should stay behind).
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import time
import tracemalloc
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from supervision.paperwork import BUILDERS  # noqa: E402
from supervision.demo.paperwork import SAMPLE_PROFILE, SAMPLES  # noqa: E402

TARGET_MS = 50.0
TRACED_GROWTH_LIMIT = 512 * 1024  # bytes of Python objects between document 100 and the last
RSS_GROWTH_LIMIT = 16 * 1024 * 1024  # bytes; allocator noise stays well below this


def two_page_data() -> dict[str, object]:
    """The samples, lengthened where one is shorter than two pages (checked in LibreOffice)."""
    data = {kind: make() for kind, make in SAMPLES.items()}
    slip = data["assignment_slip"]
    data["assignment_slip"] = replace(
        slip,
        summary=slip.summary * 3,
        result=slip.result * 3,
        leader_instruction=slip.leader_instruction * 2,
    )
    register = data["talk_register"]
    data["talk_register"] = replace(register, rows=register.rows * 3)
    notice = data["rectification_notice"]  # two pages of notice, then the receipt page
    data["rectification_notice"] = replace(notice, problems=notice.problems[:3], attachments=())
    return data


def rss_bytes() -> int:
    """Resident set size now (not the peak), from /proc; 0 where there is no /proc."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def time_builds(data: dict[str, object], repeat: int) -> dict[str, float]:
    medians = {}
    for kind, build in BUILDERS.items():
        build(data[kind], SAMPLE_PROFILE)  # warm the template cache
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            build(data[kind], SAMPLE_PROFILE)
            times.append(time.perf_counter() - start)
        medians[kind] = statistics.median(times) * 1000
    return medians


def batch(data: dict[str, object], total: int) -> list[tuple[int, int, int]]:
    """Build ``total`` documents; (count, traced bytes, RSS bytes) after 100 and at the end."""
    kinds = list(BUILDERS)
    checkpoints = {min(100, total), total}
    readings = []
    tracemalloc.start()
    for n in range(1, total + 1):
        kind = kinds[n % len(kinds)]
        document = BUILDERS[kind](data[kind], SAMPLE_PROFILE)
        assert document[:2] == b"PK"
        if n in checkpoints:
            gc.collect()
            readings.append((n, tracemalloc.get_traced_memory()[0], rss_bytes()))
    tracemalloc.stop()
    return readings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=25)
    args = parser.parse_args()
    data = two_page_data()
    ok = True

    print(f"Median build time per document, {args.repeat} runs each (target < {TARGET_MS:.0f} ms)")
    for kind, ms in time_builds(data, args.repeat).items():
        verdict = "PASS" if ms < TARGET_MS else "FAIL"
        ok &= ms < TARGET_MS
        print(f"  {kind:<22} {ms:7.1f} ms  {verdict}")

    print(f"\nBatch of {args.batch} documents, memory after a gc.collect()")
    started = time.perf_counter()
    readings = batch(data, args.batch)
    elapsed = time.perf_counter() - started
    for n, traced, rss in readings:
        print(f"  after {n:>5}: traced {traced / 1024:9.1f} KiB   RSS {rss / 2**20:7.1f} MiB")
    (_, traced_first, rss_first), (_, traced_last, rss_last) = readings[0], readings[-1]
    traced_growth, rss_growth = traced_last - traced_first, rss_last - rss_first
    traced_ok = traced_growth < TRACED_GROWTH_LIMIT
    rss_ok = rss_growth < RSS_GROWTH_LIMIT
    ok &= traced_ok and rss_ok
    print(
        f"  traced growth {traced_growth / 1024:+.1f} KiB "
        f"(limit {TRACED_GROWTH_LIMIT // 1024} KiB)  {'PASS' if traced_ok else 'FAIL'}"
    )
    print(
        f"  RSS growth    {rss_growth / 2**20:+.1f} MiB "
        f"(limit {RSS_GROWTH_LIMIT // 2**20} MiB)  {'PASS' if rss_ok else 'FAIL'}"
    )
    print(f"  {args.batch / elapsed:.0f} documents/s with tracemalloc on")
    print(f"\n{'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
