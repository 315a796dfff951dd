"""Time the working-day calendar's hot path: `python benchmarks/bench_calendar.py` from the repo root.

Target: 100,000 add_workdays calls (random starts over 2025–2027, n in 1..60) well under 1 second.
"""

import random
import statistics
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from supervision.calendar import LimitUnit, WorkCalendar  # noqa: E402

CALLS = 100_000
RUNS = 5
TARGET_SECONDS = 1.0


def random_cases(seed: int = 201) -> list[tuple[date, int]]:
    rng = random.Random(seed)
    first, last = date(2025, 1, 1).toordinal(), date(2027, 12, 31).toordinal()
    return [(date.fromordinal(rng.randint(first, last)), rng.randint(1, 60)) for _ in range(CALLS)]


def time_once(call, cases) -> float:
    started = time.perf_counter()
    for case in cases:
        call(*case)
    return time.perf_counter() - started


def main() -> int:
    cases = random_cases()

    started = time.perf_counter()
    calendar = WorkCalendar()
    for year in range(2025, 2029):  # the span of the cases; 60 working days may reach into 2028
        calendar.is_workday(date(year, 1, 1))
    warm_up = time.perf_counter() - started

    add = statistics.median(time_once(calendar.add_workdays, cases) for _ in range(RUNS))
    units = [LimitUnit.WORKDAY, LimitUnit.CALENDAR]
    mixed = [(start, n, units[i % 2]) for i, (start, n) in enumerate(cases)]
    deadline = statistics.median(time_once(calendar.deadline, mixed) for _ in range(RUNS))

    print(f"building 2025–2028 year tables (once): {warm_up * 1000:.1f} ms")
    print(f"{CALLS:,} add_workdays, median of {RUNS}: {add:.3f} s")
    print(f"{CALLS:,} deadline (half workday, half calendar), median of {RUNS}: {deadline:.3f} s")
    ok = add < TARGET_SECONDS and deadline < TARGET_SECONDS
    print(f"{'PASS' if ok else 'FAIL'}: target {TARGET_SECONDS:.0f} s per {CALLS:,} calls")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
