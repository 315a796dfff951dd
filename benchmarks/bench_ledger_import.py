"""历史台账导入 of 20,000 rows: the upload (checked whole), the confirm request, the job, then indexing.

    python benchmarks/bench_ledger_import.py [--rows 20000] [--database-url URL] [--no-index]

Targets (issue 17): the confirm request only records the job and commits — well under 1 s at 20,000
rows; the job (what `flask jobs run` or the sweep does: check the file again, import a batch of
LEDGER_IMPORT_BATCH_ROWS per transaction) has no request timeout over it, measured here for the record;
the index catches up afterwards (as the server's background applier does it: batches of
SEARCH_APPLY_BATCH rows). The database must be empty (a fresh SQLite file unless a URL is given).

Through the same routes a clerk uses (test client, logged in). Reports wall and CPU seconds per step.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from datetime import date, timedelta
from io import BytesIO
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from openpyxl import Workbook  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from benchmarks.datagen import login, make_app, populate  # noqa: E402
from supervision.extensions import db  # noqa: E402
from supervision.ledger_import import importing  # noqa: E402
from supervision.models.matters import Category, Matter  # noqa: E402
from supervision.models.org import Department  # noqa: E402

TARGET_CONFIRM_SECONDS = 1  # the request only records the job (issue 17: well under 1 s at 20,000 rows)


def build_ledger(rows: int, departments: list[str], categories: list[str], seed: int = 17) -> bytes:
    rng = random.Random(seed)
    headers = [column.header for column in importing.COLUMNS]
    wb = Workbook()  # as Excel and WPS write it (with the sheet's dimension)
    ws = wb.active
    ws.title = "台账"
    ws.append(headers)
    start = date(2024, 1, 2)
    for n in range(rows):
        received = start + timedelta(days=n % 600)
        unit = rng.choice(departments)
        closed = n % 5 != 0
        values = {
            "原编号": f"2024-{n:06d}", "类型": "效能投诉", "渠道": "来电", "受理日期": received,
            "标题": f"{unit}窗口办事拖拉{n}", "内容": f"来电反映{unit}窗口办理业务时被要求反复补交材料，多次往返未办结（{n}）。",
            "摘要": f"反映{unit}窗口未一次性告知所需材料。", "问题类别": rng.choice(categories), "被反映单位": unit,
            "被反映人": "", "反映人姓名": f"王{n % 97}", "联系电话": 13800000000 + n, "是否匿名": "否", "要求保密": "",
            "主办单位": unit, "交办日期": received + timedelta(days=1),
            "办理期限": received + timedelta(days=22), "状态": "已办结" if closed else "办理中",
            "办结日期": received + timedelta(days=15) if closed else None,
            "办理结果": "经核实，已对窗口人员批评教育。" if closed else "", "满意度": "满意" if closed else "", "备注": "",
        }
        ws.append([values.get(header) for header in headers])
    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def timed(label: str, fn):
    cpu0, wall0 = time.process_time(), time.perf_counter()
    result = fn()
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    print(json.dumps({"step": label, "seconds": round(wall, 2), "cpu_seconds": round(cpu, 2)}, ensure_ascii=False),
          flush=True)
    return result, wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--database-url")
    parser.add_argument("--no-index", action="store_true", help="skip indexing afterwards (saves minutes of CPU)")
    args = parser.parse_args()

    app = make_app(args.database_url)
    app.config.update(SEARCH_ENABLED=True, SEARCH_APPLY_INTERVAL=0)
    with app.app_context():
        populate(0)
        from supervision.search import service

        service.rebuild()
        departments = [d for d in db.session.scalars(select(Department.name).order_by(Department.id))][:20]
        categories = list(db.session.scalars(select(Category.name).where(Category.matter_kind == "complaint")))
    data, _ = timed(f"build a {args.rows:,}-row ledger (.xlsx, not part of the import)",
                    lambda: build_ledger(args.rows, departments, categories))
    print(json.dumps({"ledger_bytes": len(data)}), flush=True)

    client = app.test_client()
    login(client, "bench_intake")
    upload, _ = timed("upload: read and check every row, preview",
                      lambda: client.post("/ledgers/import", data={"file": (BytesIO(data), "台账.xlsx")},
                                          content_type="multipart/form-data"))
    assert upload.status_code == 200, upload.get_data(as_text=True)[:2000]
    token = re.search(r'name="token"[^>]*value="([0-9a-f]{32})"', upload.get_data(as_text=True)).group(1)
    confirm, confirm_seconds = timed("confirm request: record the job, commit",
                                     lambda: client.post("/ledgers/import/confirm", data={"token": token}))
    assert confirm.status_code == 302, confirm.get_data(as_text=True)[:2000]
    _, page_seconds = timed("result page while queued (正在导入 …)", lambda: client.get(confirm.headers["Location"]))

    from supervision.ledger_import.jobs import JobPolicy, run_queued

    with app.app_context():
        policy = JobPolicy.from_config(app.config, app.instance_path)
        done, job_seconds = timed(f"the job: check again, import in batches of {policy.batch_rows} (worker)",
                                  lambda: run_queued(db.session, policy))
        assert done == 1
    result_page, _ = timed("result page when done (索引中 N/M)", lambda: client.get(confirm.headers["Location"]))
    text = result_page.get_data(as_text=True)
    progress = re.search(r"全文检索索引中 (\d+)/(\d+)", text)
    print(json.dumps({"result_page_progress": progress.group(0) if progress else None,
                      "done": "导入完成" in text}, ensure_ascii=False))

    with app.app_context():
        imported = db.session.scalar(select(func.count(Matter.id)))
        index_seconds, applied, sample = None, None, None
        if not args.no_index:
            applied, index_seconds = timed("indexing afterwards: the change log applied in batches",
                                           lambda: service.apply_pending())
            assert service.status().unapplied == 0
            sample = service.matter_ids(_user("bench_intake"), f"窗口办事拖拉{args.rows - 1}")
    print(json.dumps({
        "rows": args.rows, "imported": imported, "engine": _engine(app),
        "confirm_seconds": round(confirm_seconds, 3), "confirm_target_seconds": TARGET_CONFIRM_SECONDS,
        "met": confirm_seconds < TARGET_CONFIRM_SECONDS, "result_page_seconds": round(page_seconds, 3),
        "job_seconds": round(job_seconds, 1),
        "indexed_documents": applied.documents if applied else None,
        "index_seconds": round(index_seconds, 1) if index_seconds else None,
        "found_after_indexing": bool(sample) if applied else None,
    }, ensure_ascii=False), flush=True)


def _engine(app) -> str:
    with app.app_context():
        return db.engine.dialect.name


def _user(username: str):
    from supervision.models.org import User

    return db.session.scalar(select(User).where(User.username == username))


if __name__ == "__main__":
    main()
