"""One way to write an .xlsx for the whole product: Chinese headers, dates as dates, streamed.

openpyxl's write-only mode keeps one row in memory at a time (rows go to a temporary file per sheet),
so a ledger of 100,000 rows costs the same memory as one of 100. Every cell written from user text is
forced to a string cell: a complaint that starts with "=" must never become a formula in the
clerk's Excel (formula injection).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
PERCENT_FORMAT = "0.0%"


@dataclass(frozen=True)
class Column:
    """One column: its Chinese header, width in characters and the kind of value it holds."""

    header: str
    width: int = 14
    kind: str = "text"  # text | int | number | percent | date | datetime


@dataclass
class Sheet:
    title: str
    columns: Sequence[Column]
    rows: Iterable[Sequence[Any]]
    # Lines above the header (e.g. "统计期间：2026年1月1日至2026年12月31日").
    preamble: Sequence[str] = field(default_factory=tuple)


_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDE6F0")
_WRAP = Alignment(wrap_text=False, vertical="top")


def clean_text(value: str) -> str:
    """Remove the control characters Excel cannot store (openpyxl would refuse the whole file)."""
    return ILLEGAL_CHARACTERS_RE.sub("", value)


def _cell(ws, value: Any, column: Column) -> WriteOnlyCell:
    if value is None or value == "":
        return WriteOnlyCell(ws, value=None)
    if column.kind == "date" and isinstance(value, date):
        cell = WriteOnlyCell(ws, value=value)
        cell.number_format = DATE_FORMAT
        return cell
    if column.kind == "datetime" and isinstance(value, datetime):
        cell = WriteOnlyCell(ws, value=value.replace(tzinfo=None))
        cell.number_format = DATETIME_FORMAT
        return cell
    if column.kind in ("int", "number", "percent") and isinstance(value, int | float) \
            and not isinstance(value, bool):
        cell = WriteOnlyCell(ws, value=value)
        if column.kind == "percent":
            cell.number_format = PERCENT_FORMAT
        return cell
    cell = WriteOnlyCell(ws, value=clean_text(str(value)))
    cell.data_type = "s"  # never a formula, whatever the text starts with
    return cell


def write_workbook(target, sheets: Iterable[Sheet]) -> int:
    """Write ``sheets`` to ``target`` (a path or a binary file); return the number of data rows."""
    wb = Workbook(write_only=True)
    count = 0
    for sheet in sheets:
        ws = wb.create_sheet(title=sheet.title[:31])
        for i, column in enumerate(sheet.columns, start=1):
            ws.column_dimensions[get_column_letter(i)].width = column.width
        header_row = len(sheet.preamble) + 1
        ws.freeze_panes = f"A{header_row + 1}"
        for line in sheet.preamble:
            cell = WriteOnlyCell(ws, value=clean_text(line))
            cell.data_type = "s"
            ws.append([cell])
        header = []
        for column in sheet.columns:
            cell = WriteOnlyCell(ws, value=column.header)
            cell.font = _HEADER_FONT
            cell.fill = _HEADER_FILL
            cell.alignment = _WRAP
            header.append(cell)
        ws.append(header)
        for row in sheet.rows:
            ws.append([_cell(ws, value, column) for value, column in zip(row, sheet.columns, strict=True)])
            count += 1
    wb.save(target)
    return count


def stream_file(path: str, chunk_size: int = 64 * 1024) -> Iterator[bytes]:
    """Yield a finished file in chunks and remove it afterwards (a response body)."""
    try:
        with open(path, "rb") as f:
            while chunk := f.read(chunk_size):
                yield chunk
    finally:
        os.unlink(path)


def temporary_path(directory: str | None = None) -> str:
    """A fresh path for a workbook being built (under the instance folder's tmp when given)."""
    if directory:
        os.makedirs(directory, exist_ok=True)
    fd, path = tempfile.mkstemp(suffix=".xlsx", dir=directory)
    os.close(fd)
    return path
