"""Gap-free numbering per scope and year, safe under concurrent transactions.

The counter row is incremented with a single UPDATE … RETURNING, which takes the row lock
(PostgreSQL) or the write lock (SQLite) until the caller's transaction ends; a rolled-back
transaction gives its number back, so numbers have no gaps.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from supervision import highwater
from supervision.models.counters import SerialCounter


def next_value(session: Session, scope: str, year: int) -> int:
    return next_values(session, scope, year, 1)[0]


def next_values(session: Session, scope: str, year: int, count: int) -> range:
    """Take ``count`` consecutive numbers at once (a ledger import): one statement, no gaps."""
    if count < 1:
        raise ValueError("count must be at least 1")
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    session.execute(
        insert(SerialCounter)
        .values(scope=scope, year=year, value=0)
        .on_conflict_do_nothing(index_elements=["scope", "year"])
    )
    last = session.execute(
        update(SerialCounter)
        .where(SerialCounter.scope == scope, SerialCounter.year == year)
        .values(value=SerialCounter.value + count)
        .returning(SerialCounter.value)
    ).scalar_one()
    highwater.taken(session, scope, year, last)  # written outside the database once committed
    return range(last - count + 1, last + 1)


def hold(session: Session, name: str) -> None:
    """Serialise a kind of work across servers: the row lock of the counter ``name`` (year 0) is held
    until the caller's transaction ends (a ledger confirmation). Counts the holds; gives out no number."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    session.execute(insert(SerialCounter).values(scope=name, year=0, value=0)
                    .on_conflict_do_nothing(index_elements=["scope", "year"]))
    session.execute(update(SerialCounter).where(SerialCounter.scope == name, SerialCounter.year == 0)
                    .values(value=SerialCounter.value + 1))
