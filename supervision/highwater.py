"""Issued numbers, high-water marks kept outside the database.

A matter's serial (with its query code) and a document's number are given to citizens and departments
the moment they are committed. A database restored from last night's backup has counters from last
night: without more, it would give this morning's numbers a second time to other matters. So every
commit that took numbers from ``sequences`` also appends one line per counter it moved to a small
append-only file beside the audit anchor (``ISSUED_NUMBERS_FILE``; by default ``issued_numbers.log``
in the anchor file's folder — keep both off the database's disk): ``scope, year, highest value``.
``flask backup restore`` raises every counter to the highest mark found in that file and in the
backup, so the next number given out is above every number ever given out.

A mark is written after the commit: a process killed in between loses the mark of that one commit,
whose number the database itself still holds unless the database is lost in the same moment.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.orm import Session

FILE_NAME = "issued_numbers.log"
_TAKEN = "supervision_issued_numbers"
log = logging.getLogger(__name__)

Marks = dict[tuple[str, int], int]


def taken(session: Session, scope: str, year: int, last: int) -> None:
    """Remember on the session that the transaction took numbers up to ``last`` (sequences calls this)."""
    marks: Marks = session.info.setdefault(_TAKEN, {})
    marks[(scope, year)] = max(last, marks.get((scope, year), 0))


def append(path: Path, marks: Marks) -> None:
    """One line per mark, appended in one write (O_APPEND: several processes may append at once)."""
    if not marks:
        return
    text = "".join(f"{scope}\t{year}\t{value}\n" for (scope, year), value in sorted(marks.items()))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(fd, text.encode())
        os.fsync(fd)
    finally:
        os.close(fd)


def read(path: Path) -> Marks:
    """The highest mark per (scope, year); a damaged line is skipped."""
    marks: Marks = {}
    if not path.is_file():
        return marks
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        parts = line.split("\t")
        if len(parts) != 3 or not parts[1].isdigit() or not parts[2].isdigit():
            continue
        key = (parts[0], int(parts[1]))
        marks[key] = max(int(parts[2]), marks.get(key, 0))
    return marks


def merge(*sources: Marks) -> Marks:
    merged: Marks = {}
    for marks in sources:
        for key, value in marks.items():
            merged[key] = max(value, merged.get(key, 0))
    return merged


def lines(marks: Marks) -> Iterable[str]:
    return (f"{scope} {year}: {value}" for (scope, year), value in sorted(marks.items()))


_registered = False


def install(path_now: Callable[[], Path | None]) -> None:
    """Append the marks of every committed transaction to the file ``path_now()`` names (None: none)."""
    global _registered
    if _registered:
        return
    _registered = True

    @event.listens_for(Session, "after_commit")
    def _write_marks(session: Session) -> None:
        marks = session.info.pop(_TAKEN, None)
        if not marks:
            return
        path = path_now()
        if path is None:
            return
        try:
            append(path, marks)
        except OSError:  # the numbers are committed; a lost mark matters only if the database is lost too
            log.exception("could not record issued numbers %s", marks)

    @event.listens_for(Session, "after_transaction_end")
    def _forget(session: Session, transaction) -> None:
        if transaction.parent is None:
            session.info.pop(_TAKEN, None)  # rolled back: those numbers were given back
