"""督查任务清单导入 of ``MAX_ROWS`` (2,000) rows: how long the upload (read and check the whole file, preview,
in the request), the confirmation (records the job, in the request) and the job (read again, write every
item, its tasks, audit rows and search changes: ``flask jobs run``) take, against gunicorn's 30 s timeout
(docs/benchmarks.md, issue 20).

    python benchmarks/bench_task_import.py [--rows 2000] [--database-url postgresql+psycopg://...]

Wall and CPU of this process are printed with the load average: on a shared machine compare CPU.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import re
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import openpyxl  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from benchmarks.datagen import TASK_TITLES, login, make_app, populate  # noqa: E402
from supervision.extensions import db  # noqa: E402
from supervision.models.org import Department  # noqa: E402
from supervision.models.tasks import Task, TaskItem  # noqa: E402
from supervision.tasks import importing  # noqa: E402


def workbook(rows: int, units: list[str], seed: int = 3) -> bytes:
    """A year's task list: half closed and graded, half running; a lead and one or two co-units each."""
    rng = random.Random(seed)
    book = openpyxl.Workbook()
    sheet = book.active
    headers = [c.header for c in importing.COLUMNS]
    sheet.append(headers)
    year = date.today().year - 1
    for n in range(rows):
        closed = n % 2 == 0
        due = date(year, 1, 1) + timedelta(days=rng.randrange(30, 360))
        lead, *co = rng.sample(units, 3)
        values = {"事项名称": f"{rng.choice(TASK_TITLES)}（第{n + 1}项）", "来源类型": "年度重点工作",
                  "来源文号": f"示政办〔{year}〕{n + 1}号", "事项内容": "按年度工作要点推进，按月报送进展。" * 3,
                  "办结时限": due, "牵头单位": lead, "配合单位": "、".join(co[:rng.randrange(1, 3)]),
                  "责任人": "张明", "状态": "已办结" if closed else "办理中",
                  "办结日期": due - timedelta(days=rng.randrange(0, 20)) if closed else None,
                  "评价": rng.choice(["好", "较好", "一般"]) if closed else None}
        sheet.append([values.get(h) for h in headers])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def timed(action):
    started, cpu = time.perf_counter(), time.process_time()
    result = action()
    return result, time.perf_counter() - started, time.process_time() - cpu


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=importing.MAX_ROWS)
    parser.add_argument("--database-url")
    args = parser.parse_args()
    app = make_app(args.database_url)
    with app.app_context():
        if not db.session.scalar(select(func.count()).select_from(Department)):
            populate(0)
        units = db.session.scalars(select(Department.name).where(Department.active)).all()
        data = workbook(args.rows, units)
        dialect = db.engine.dialect.name
    client = app.test_client()
    login(client)
    print(f"{dialect}: {args.rows:,} rows, {len(data) / 1024:.0f} KB (load average "
          f"{', '.join(f'{n:.1f}' for n in os.getloadavg())})")
    response, wall, cpu = timed(lambda: client.post("/tasks/import", data={"file": (io.BytesIO(data), "清单.xlsx")},
                                                   content_type="multipart/form-data"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200, page[:2000]
    token = re.search(r'name="token"[^>]*value="([^"]+)"', page) or re.search(r'value="([^"]+)"[^>]*name="token"', page)
    print(f"upload (read, check, preview): {wall:.2f} s wall, {cpu:.2f} s CPU")
    response, wall, cpu = timed(lambda: client.post("/tasks/import/confirm", data={"token": token.group(1)}))
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    print(f"confirm (records the job): {wall:.2f} s wall, {cpu:.2f} s CPU")
    from supervision.ledger_import.jobs import JobPolicy, run_queued

    with app.app_context():
        done, wall, cpu = timed(lambda: run_queued(db.session, JobPolicy()))
    print(f"job (read again, write; outside any request): {wall:.2f} s wall, {cpu:.2f} s CPU, {done} job")
    with app.app_context():
        print(f"written: {db.session.scalar(select(func.count()).select_from(TaskItem)):,} items, "
              f"{db.session.scalar(select(func.count()).select_from(Task)):,} tasks")
    return 0


if __name__ == "__main__":
    sys.exit(main())
