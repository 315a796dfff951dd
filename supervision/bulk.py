"""Many rows in one short statement: the deadline sweep writes tens of thousands of rows at once.

SQLAlchemy's executemany renders a 1,000-row ``VALUES`` list (12,000 parameters) per batch; psycopg
spends more time splitting such a statement than PostgreSQL spends running it, and SQLAlchemy's own
per-row parameter processing costs as much again. Here the rows travel as one JSON document per
statement, unpacked by the database (``jsonb_array_elements`` / ``json_each``). Not one array per
column with ``unnest``: psycopg dumps lists of strings slowly, so the audit rows' six text columns
would cost more than the whole JSON document.

On PostgreSQL the document is ``jsonb``, not ``json``: ``r ->> i`` on a ``json`` value parses the row's
text again for every column; ``jsonb`` is parsed once. (The figures: docs/benchmarks.md, "Measurements
behind the code".)
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Sequence
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


def _driver_connection(session: Session) -> Any:
    """The session's own psycopg (3) connection, in its transaction: the configuration always uses that
    driver. Used directly where SQLAlchemy cannot reach: pipeline mode, statements never to prepare.
    Pending ORM changes are flushed first, as ``session.execute`` would."""
    session.flush()
    return session.connection().connection.driver_connection


def existing(session: Session, column: Column, values: Sequence[Any]) -> set[Any]:
    """Which of ``values`` the (indexed) ``column`` already holds."""
    found: set[Any] = set()
    chunks = (_to_json(_database_values(session, column, values[start:start + CHUNK]))
              for start in range(0, len(values), CHUNK))
    query = f'SELECT "{column.name}" FROM "{column.table.name}" WHERE "{column.name}" IN '
    if _postgresql(session):
        # Never prepared (psycopg prepares a statement run five times): PostgreSQL would keep the plan
        # made for the table as it was then. A first sweep finds the table empty; the sequential scan
        # planned for that made the next sweep in the same process take 225 s instead of 1 s, the table
        # then holding 61,000 rows (with 5,000-row chunks: 13 runs of the statement in the first sweep).
        cursor = _driver_connection(session).cursor()
        statement = query + "(SELECT value FROM json_array_elements_text(CAST(%(values)s AS json)))"
        for chunk in chunks:
            found.update(row[0] for row in cursor.execute(statement, {"values": chunk}, prepare=False))
    else:
        statement = text(query + "(SELECT value FROM json_each(:values))")
        for chunk in chunks:
            found.update(session.execute(statement, {"values": chunk}).scalars())
    return found


def insert_chunks(session: Session, table: Table, chunks: Iterable[dict[str, Sequence[Any]]],
                  constants: dict[str, Any], skip_conflicts_on: str | None = None,
                  returning: tuple[str, ...] = ()) -> list[tuple]:
    """INSERT rows given a chunk at a time, each chunk column by column (equal-length sequences, at most
    ``CHUNK`` rows, the same columns in every chunk), with ``constants`` the same in every row.
    ``skip_conflicts_on``: ON CONFLICT (that column) DO NOTHING. Returns the ``returning`` columns of
    the rows really inserted.

    One statement per chunk, and the chunks may be worked out as they are asked for: on PostgreSQL the
    statements go in pipeline mode, each as soon as its chunk is ready, so the database inserts one
    chunk while the caller prepares the next; the results are read at the end."""
    chunks = iter(chunks)
    first = next(chunks, None)
    if first is None:
        return []
    statement = _insert_statement(session, table, list(first), list(constants), skip_conflicts_on, returning)
    params = {f"k_{name}": _database_values(session, table.c[name], [value])[0]
              for name, value in constants.items()}

    def rows_of(chunk: dict[str, Sequence[Any]]) -> str:
        values = [_database_values(session, table.c[name], column) for name, column in chunk.items()]
        return _to_json(list(zip(*values)))

    if not _postgresql(session):
        inserted: list[tuple] = []
        for chunk in itertools.chain([first], chunks):
            result = session.execute(text(statement), params | {"rows": rows_of(chunk)})
            if returning:
                inserted += result.all()
        return inserted
    # Nothing else uses the connection until the last result is in. Not prepared: see ``existing``.
    connection = _driver_connection(session)
    cursors = []
    with connection.pipeline():
        for chunk in itertools.chain([first], chunks):
            cursor = connection.cursor()
            cursor.execute(statement, params | {"rows": rows_of(chunk)}, prepare=False)
            cursors.append(cursor)
    return [row for cursor in cursors for row in cursor.fetchall()] if returning else []


def _insert_statement(session: Session, table: Table, names: list[str], fixed: list[str],
                      skip_conflicts_on: str | None, returning: tuple[str, ...]) -> str:
    """INSERT … SELECT from the JSON rows: psycopg's placeholders on PostgreSQL (the statement goes to
    psycopg itself), SQLAlchemy's on SQLite."""
    if _postgresql(session):
        dialect = session.get_bind().dialect
        # Typed: in INSERT … SELECT an untyped NULL parameter would be text, not the column's type.
        sql_type = {name: table.c[name].type.compile(dialect) for name in names + fixed}
        fields = ([f"CAST(r ->> {i} AS {sql_type[name]})" for i, name in enumerate(names)]
                  + [f"CAST(%(k_{name})s AS {sql_type[name]})" for name in fixed])
        source = f"SELECT {', '.join(fields)} FROM jsonb_array_elements(CAST(%(rows)s AS jsonb)) AS r"
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
    return statement
