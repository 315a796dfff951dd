"""Many rows in one short statement: the deadline sweep writes tens of thousands of rows at once.

SQLAlchemy's executemany renders a 1,000-row ``VALUES`` list (12,000 parameters) per batch; psycopg
spends more time splitting such a statement than PostgreSQL spends running it, and SQLAlchemy's own
per-row parameter processing costs as much again. Here the rows travel as one JSON document per
statement, unpacked by the database (``json_array_elements`` / ``json_each``). Not one array per
column with ``unnest``: psycopg dumps a list of strings at ~4 µs an element, so the audit rows' six
text columns would cost more than the whole JSON document.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Column, Table, text
from sqlalchemy.orm import Session

CHUNK = 10_000  # rows per statement: bounds the size of one parameter, not the number of round trips


def _json_default(value: Any) -> str:
    if isinstance(value, date):  # PostgreSQL casts ISO dates and timestamps back
        return value.isoformat()
    raise TypeError(f"cannot send {type(value).__name__} in bulk")


def _to_json(values: Any) -> str:
    return json.dumps(values, ensure_ascii=False, separators=(",", ":"), default=_json_default)


def _database_values(session: Session, column: Column, values: Sequence[Any]) -> list[Any]:
    """What the column's type would send: enum values, SQLite's date and time strings …"""
    dialect = session.get_bind().dialect
    process = column.type.dialect_impl(dialect).bind_processor(dialect)
    return [process(value) for value in values] if process else list(values)


def _postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def existing(session: Session, column: Column, values: Sequence[Any]) -> set[Any]:
    """Which of ``values`` the (indexed) ``column`` already holds."""
    if _postgresql(session):
        values_of = "SELECT value FROM json_array_elements_text(CAST(:values AS json))"
    else:
        values_of = "SELECT value FROM json_each(:values)"
    statement = text(f'SELECT "{column.name}" FROM "{column.table.name}" WHERE "{column.name}" IN ({values_of})')
    found: set[Any] = set()
    for start in range(0, len(values), CHUNK):
        chunk = _to_json(_database_values(session, column, values[start:start + CHUNK]))
        found.update(session.execute(statement, {"values": chunk}).scalars())
    return found


def insert_rows(session: Session, table: Table, columns: dict[str, Sequence[Any]], constants: dict[str, Any],
                skip_conflicts_on: str | None = None, returning: tuple[str, ...] = ()) -> list[tuple]:
    """INSERT the rows given column by column (equal-length sequences), with ``constants`` the same in
    every row. ``skip_conflicts_on``: ON CONFLICT (that column) DO NOTHING. Returns the ``returning``
    columns of the rows really inserted."""
    dialect = session.get_bind().dialect
    names, fixed = list(columns), list(constants)
    if _postgresql(session):
        # Typed: in INSERT … SELECT an untyped NULL parameter would be text, not the column's type.
        sql_type = {name: table.c[name].type.compile(dialect) for name in names + fixed}
        fields = ([f"CAST(r ->> {i} AS {sql_type[name]})" for i, name in enumerate(names)]
                  + [f"CAST(:k_{name} AS {sql_type[name]})" for name in fixed])
        source = f"SELECT {', '.join(fields)} FROM json_array_elements(CAST(:rows AS json)) AS r"
    else:
        fields = [f"json_extract(value, '$[{i}]')" for i in range(len(names))] + [f":k_{name}" for name in fixed]
        # WHERE true: SQLite's parser needs it between INSERT … SELECT and ON CONFLICT.
        source = f"SELECT {', '.join(fields)} FROM json_each(:rows) WHERE true"
    target = ", ".join(f'"{name}"' for name in names + fixed)
    statement = f'INSERT INTO "{table.name}" ({target}) {source}'
    if skip_conflicts_on:
        statement += f' ON CONFLICT ("{skip_conflicts_on}") DO NOTHING'
    if returning:
        statement += " RETURNING " + ", ".join(f'"{name}"' for name in returning)
    params = {f"k_{name}": _database_values(session, table.c[name], [value])[0] for name, value in constants.items()}
    count = len(columns[names[0]])
    inserted: list[tuple] = []
    for start in range(0, count, CHUNK):
        values = [_database_values(session, table.c[name], columns[name][start:start + CHUNK]) for name in names]
        result = session.execute(text(statement), params | {"rows": _to_json(list(zip(*values)))})
        if returning:
            inserted += result.all()
    return inserted
