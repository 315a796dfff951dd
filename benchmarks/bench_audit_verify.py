"""`flask audit verify --rows` at scale: 100,000 matters with their assignments and complainants,
rectification notices, outcomes (replies, extensions, 催办/督办), a realistic audit chain (several entries per
matter) and a digest for every row; then the full check — the keyed chain, the anchor file, every audited
business row against its last digest — timed, and a planted change found.

    python benchmarks/bench_audit_verify.py [--matters 100000] [--entries-per-matter 4]
                                            [--database-url postgresql+psycopg://... | --reuse FILE]

With a database that already holds the data (--reuse FILE for SQLite, or the same --database-url again)
only the verification runs; the anchor file is written anew for it.

Target (issue 14): under 60 s on PostgreSQL.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select, text  # noqa: E402

from benchmarks.datagen import make_app, populate, populate_notices, populate_outcomes, reusable_sqlite  # noqa: E402,E501
from supervision import audit, audit_anchor, audit_rows  # noqa: E402
from supervision.audit_keys import keyring  # noqa: E402
from supervision.extensions import db  # noqa: E402
from supervision.models.audit import AuditEntry  # noqa: E402
from supervision.models.matters import Matter  # noqa: E402


def timed(label: str, function, *args, **kwargs):
    started, cpu = time.perf_counter(), time.process_time()
    result = function(*args, **kwargs)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    load = ", ".join(f"{n:.1f}" for n in os.getloadavg())
    print(f"{label}: {elapsed:.2f} s wall, {cpu:.2f} s CPU (load average {load})", flush=True)
    return result, elapsed


def write_history(matter_ids: list[int], per_matter: int) -> None:
    """What years of work leave in the log: ``per_matter`` entries a matter (status changes, views …),
    written as the sweep writes its entries (``record_many``)."""
    changes = {"status": ["in_progress", "replied"]}
    batch = []
    for round_ in range(per_matter):
        for matter_id in matter_ids:
            batch.append(("matter.history", ("matter", matter_id), f"第 {round_ + 1} 步办理记录", changes))
            if len(batch) == 50_000:
                audit.record_many(db.session, None, batch)
                db.session.commit()
                batch = []
    if batch:
        audit.record_many(db.session, None, batch)
        db.session.commit()


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--matters", type=int, default=100_000)
    parser.add_argument("--notices", type=int, default=10_000)
    parser.add_argument("--entries-per-matter", type=int, default=4)
    parser.add_argument("--database-url")
    parser.add_argument("--reuse", metavar="FILE")
    args = parser.parse_args()
    app = make_app(args.database_url or (reusable_sqlite(args.reuse) if args.reuse else None))
    with app.app_context():
        ring = keyring()
        path = audit_anchor.anchor_path(app.config, app.instance_path)
        counts: dict[str, int] = {}
        if not db.session.scalar(select(func.count()).select_from(Matter)):
            timed("generate matters, notices, outcomes", lambda: (
                populate(args.matters), populate_notices(args.notices), populate_outcomes()))
            ids = db.session.scalars(select(Matter.id).order_by(Matter.id)).all()
            timed(f"audit history ({args.entries_per_matter} entries a matter)", write_history, ids,
                  args.entries_per_matter)
            counts, _ = timed("flask audit baseline (a digest for every row)", audit_rows.record_baseline,
                              db.session, ring)
            db.session.commit()
        else:  # a reused database: the anchor file of this run is new, anchorings recorded before are not ours
            app.config["AUDIT_ANCHOR_FILE"] = str(Path(app.instance_path) / "bench_anchor.log")
            path = audit_anchor.anchor_path(app.config, app.instance_path)
        ids = db.session.scalars(select(Matter.id).order_by(Matter.id)).all()
        audit_anchor.write(db.session, ring, path)
        db.session.commit()
        if db.engine.dialect.name == "postgresql":  # as autovacuum leaves it
            with db.engine.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("VACUUM ANALYZE")
        entries = db.session.scalar(select(func.count()).select_from(AuditEntry))
        print(f"{db.engine.dialect.name}: {sum(counts.values()):,} rows digested now ("
              + ", ".join(f"{table} {n:,}" for table, n in counts.items() if n) + f"); {entries:,} audit entries")

        chain, chain_time = timed("verify (chain + anchor file)", audit_anchor.verify, db.session, ring, path)
        assert chain.ok, (chain.walk.breaks[:3], chain.anchor_problems)
        full, full_time = timed("verify --rows (chain + anchor file + every row)", audit_anchor.verify, db.session,
                                ring, path, rows=True)
        assert full.ok, (full.walk.breaks[:3], full.anchor_problems, full.rows.mismatches[:3])
        print(f"    rows checked: {full.rows.checked:,}")

        target = ids[len(ids) // 2]
        due_on = db.session.scalar(select(Matter.due_on).where(Matter.id == target))
        db.session.execute(text("UPDATE matter SET due_on = '2031-01-01' WHERE id = :id"), {"id": target})
        db.session.commit()
        tampered, _ = timed("verify --rows after one UPDATE behind the application's back", audit_anchor.verify,
                            db.session, ring, path, rows=True)
        found = [str(m) for m in tampered.rows.mismatches]
        print("    found: " + "; ".join(found))
        ok_found = len(found) == 1 and f"matter #{target}" in found[0] and "due_on" in found[0]
        db.session.execute(text("UPDATE matter SET due_on = :due WHERE id = :id"), {"due": due_on, "id": target})
        db.session.commit()  # as it was: a later --reuse run starts clean
    ok_time = full_time < 60
    print(f"verify --rows under 60 s: {'PASS' if ok_time else 'FAIL'} ({full_time:.1f} s); planted change found: "
          f"{'PASS' if ok_found else 'FAIL'}")
    return 0 if ok_time and ok_found else 1


if __name__ == "__main__":
    sys.exit(main())
