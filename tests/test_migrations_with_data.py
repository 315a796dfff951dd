"""An installation holding data upgrades: SQLite rebuilds a table to change its constraints (batch mode), and
with foreign keys enforced the DROP of a table other rows point at stopped the upgrade half-way."""

from __future__ import annotations

import logging
import re
import sqlite3

from flask_migrate import upgrade

from supervision import create_app
from supervision.extensions import db

# The head of the previous release (session 5): every later migration runs over the rows below.
PREVIOUS_RELEASE = "0021"

DUMMY = {"INTEGER": 1, "BIGINT": 1, "SMALLINT": 1, "BOOLEAN": 0, "DATE": "2026-01-05",
         "DATETIME": "2026-01-05 09:00:00", "FLOAT": 1.0, "NUMERIC": 1}


def _one_row_in_every_table(path) -> None:
    """Row id 1 in every table; every foreign key points at row 1 of its table (foreign keys are off on a
    plain connection, so the order does not matter, and the result is consistent)."""
    conn = sqlite3.connect(path)
    tables = [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' "
        "AND name NOT IN ('alembic_version', 'audit_chain_head')")]
    skipped: list[str] = []
    for table in tables:
        sql = conn.execute("SELECT sql FROM sqlite_master WHERE name=?", (table,)).fetchone()[0]
        choices = {m.group(1): m.group(2).split("'")[1]
                   for m in re.finditer(r"CHECK \((\w+) IN \(([^)]*)\)\)", sql)}
        full, required = {}, {}
        for _, name, kind, notnull, default, _pk in conn.execute(f'PRAGMA table_info("{table}")'):
            value = 1 if name == "id" else choices.get(name, DUMMY.get(kind.split("(")[0].upper(), "x"))
            full[name] = value
            if name == "id" or name in choices or (notnull and default is None):
                required[name] = value
        if conn.execute(f'SELECT 1 FROM "{table}" LIMIT 1').fetchone():
            continue  # seeded by a migration
        # Every column filled first (a CHECK such as "source != 'matter' OR matter_id IS NOT NULL" holds), the
        # required ones only where a CHECK wants some of them empty ("one recipient").
        for values in (full, required):
            columns = ", ".join(f'"{c}"' for c in values)
            try:
                conn.execute(f'INSERT INTO "{table}" ({columns}) VALUES ({", ".join("?" * len(values))})',
                             list(values.values()))
                break
            except sqlite3.IntegrityError:
                if values is required:
                    skipped.append(table)  # e.g. delivery: a CHECK wants exactly one of its recipients
    conn.commit()
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    conn.close()
    assert len(skipped) <= 3, skipped


def test_a_database_with_rows_in_every_table_upgrades_to_the_head(tmp_path):
    path = tmp_path / "office.sqlite3"
    app = create_app({"TESTING": True, "SECRET_KEY": "test-secret", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
                      "AUDIT_KEY": "test-audit-key", "AUDIT_KEY_ID": "t1", "RATELIMIT_ENABLED": False,
                      "SERVER_NAME": None})
    assert not app.logger.disabled
    with app.app_context():
        upgrade(revision=PREVIOUS_RELEASE)
        db.engine.dispose()
        _one_row_in_every_table(path)

        upgrade()

        with db.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("SELECT count(*) FROM assignment").scalar() == 1
            assert conn.exec_driver_sql("SELECT count(*) FROM matter").scalar() == 1
            assert not conn.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE name LIKE '_alembic_tmp%'").fetchall()
        db.engine.dispose()
    # alembic's logging set-up must not silence the application's own logger (its warnings vanished after
    # any in-process migration, e.g. the per-process rate-limit warning in the same test session)
    assert not logging.getLogger(app.name).disabled
