"""One way to write an .xlsx for the whole product: Chinese headers, dates as dates, streamed.

Each sheet's rows go straight into its entry of the zip file as they come, a few hundred at a time, so
a ledger of 100,000 rows costs the same memory as one of 100. Strings are written inline (no shared-
string table growing with the file). Every cell written from user text is a string cell: a complaint
that starts with "=" never becomes a formula in the clerk's Excel (formula injection).

Why not openpyxl's write-only mode (which still reads the files back in the tests and the legacy
import): it builds a cell object per value, twenty times the cost of writing the cell, which alone
exceeds the export's time target (docs/benchmarks.md, "Measurements behind the code"). The
SpreadsheetML needed here (inline strings, numbers, dates with a format, one header style, column
widths, frozen header) is small and fixed.
"""

from __future__ import annotations

import math
import os
import re
import tempfile
import time
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from xml.sax.saxutils import escape

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


# Characters XML 1.0 cannot carry (Excel refuses the file): C0 controls but tab, LF, CR; lone surrogates;
# U+FFFE and U+FFFF.
ILLEGAL_CHARACTERS_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def clean_text(value: str) -> str:
    """Remove the control characters Excel cannot store (it would refuse the whole file)."""
    return ILLEGAL_CHARACTERS_RE.sub("", value)


# --- the styles: cellXfs indexes ------------------------------------------------------------------
STYLE_DATE, STYLE_DATETIME, STYLE_PERCENT, STYLE_HEADER = 1, 2, 3, 4
_STYLES = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">\
<numFmts count="3"><numFmt numFmtId="164" formatCode="{DATE_FORMAT}"/>\
<numFmt numFmtId="165" formatCode="{DATETIME_FORMAT}"/><numFmt numFmtId="166" formatCode="{PERCENT_FORMAT}"/></numFmts>\
<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>\
<font><b val="1"/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>\
<fills count="3"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>\
<fill><patternFill patternType="solid"><fgColor rgb="00DDE6F0"/><bgColor indexed="64"/></patternFill></fill></fills>\
<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>\
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>\
<cellXfs count="5"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>\
<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>\
<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>\
<xf numFmtId="166" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>\
<xf numFmtId="0" fontId="1" fillId="2" borderId="0" xfId="0" applyFont="1" applyFill="1" applyAlignment="1">\
<alignment vertical="top"/></xf></cellXfs>\
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>"""

_EPOCH = date(1899, 12, 30)  # Excel's day 0 (1900 date system, as Excel and WPS write it)
_EPOCH_ORDINAL = _EPOCH.toordinal()


def column_letter(index: int) -> str:
    """1 → A, 27 → AA."""
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _text(ref: str, value: str, style: int = 0) -> str:
    value = clean_text(value)
    space = ' xml:space="preserve"' if value[:1].isspace() or value[-1:].isspace() else ""
    styled = f' s="{style}"' if style else ""
    return f'<c r="{ref}" t="inlineStr"{styled}><is><t{space}>{escape(value)}</t></is></c>'


def _cell(ref: str, value: Any, kind: str) -> str:
    """One cell's XML: a number, a date serial with its format, or (anything else) inline text."""
    if value is None or value == "":
        return ""
    if kind == "date" and isinstance(value, date):
        if isinstance(value, datetime):
            value = value.date()
        return f'<c r="{ref}" s="{STYLE_DATE}"><v>{value.toordinal() - _EPOCH_ORDINAL}</v></c>'
    if kind == "datetime" and isinstance(value, datetime):
        serial = value.toordinal() - _EPOCH_ORDINAL + (
            value.hour * 3600 + value.minute * 60 + value.second) / 86400
        return f'<c r="{ref}" s="{STYLE_DATETIME}"><v>{serial!r}</v></c>'
    if kind in ("int", "number", "percent") and isinstance(value, int | float) and not isinstance(value, bool):
        if not math.isfinite(value):  # NaN, ∞: Excel has no such number
            return _text(ref, str(value))
        style = f' s="{STYLE_PERCENT}"' if kind == "percent" else ""
        return f'<c r="{ref}"{style}><v>{value!r}</v></c>'
    return _text(ref, str(value))


_SHEET_HEAD = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
               '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
               'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">')
_ROWS_PER_WRITE = 500


def _write_sheet(out, sheet: Sheet) -> int:
    """Write one worksheet's XML to ``out`` (a binary stream); return the number of data rows."""
    columns = list(sheet.columns)
    letters = [column_letter(i) for i in range(1, len(columns) + 1)]
    kinds = [column.kind for column in columns]
    header_row = len(sheet.preamble) + 1
    frozen = ('<sheetViews><sheetView workbookViewId="0">'
              f'<pane ySplit="{header_row}" topLeftCell="A{header_row + 1}" activePane="bottomLeft" state="frozen"/>'
              f'<selection pane="bottomLeft" activeCell="A{header_row + 1}" sqref="A{header_row + 1}"/>'
              '</sheetView></sheetViews><sheetFormatPr defaultRowHeight="15"/>')
    parts = [_SHEET_HEAD, frozen]
    if columns:
        parts.append("<cols>" + "".join(f'<col min="{i}" max="{i}" width="{column.width}" customWidth="1"/>'
                                        for i, column in enumerate(columns, start=1)) + "</cols>")
    parts.append("<sheetData>")
    for r, line in enumerate(sheet.preamble, start=1):
        parts.append(f'<row r="{r}">{_text(f"A{r}", line)}</row>')
    parts.append(f'<row r="{header_row}">' + "".join(
        _text(f"{letter}{header_row}", column.header, STYLE_HEADER) for letter, column in zip(letters, columns))
                 + "</row>")
    out.write("".join(parts).encode("utf-8"))

    count, r, buffer = 0, header_row, []
    width = len(columns)
    for row in sheet.rows:
        r += 1
        if len(row) != width:
            raise ValueError(f"row {r} of sheet {sheet.title!r} has {len(row)} values for {width} columns")
        buffer.append(f'<row r="{r}">' + "".join(
            [_cell(f"{letter}{r}", value, kind) for letter, value, kind in zip(letters, row, kinds)]) + "</row>")
        count += 1
        if len(buffer) >= _ROWS_PER_WRITE:
            out.write("".join(buffer).encode("utf-8", "replace"))
            buffer.clear()
    buffer.append("</sheetData></worksheet>")
    out.write("".join(buffer).encode("utf-8", "replace"))
    return count


_UNSAFE_TITLE = re.compile(r"[\[\]:*?/\\]")


def _titles(sheets: list[Sheet]) -> list[str]:
    """Excel's rules for sheet names: at most 31 characters, none of []:*?/\\, unique."""
    seen: set[str] = set()
    titles = []
    for n, sheet in enumerate(sheets, start=1):
        title = _UNSAFE_TITLE.sub("", sheet.title)[:31] or f"Sheet{n}"
        base, k = title, 1
        while title.casefold() in seen:
            k += 1
            title = f"{base[:28]}({k})"
        seen.add(title.casefold())
        titles.append(title)
    return titles


def write_workbook(target, sheets: Iterable[Sheet]) -> int:
    """Write ``sheets`` to ``target`` (a path or a binary file); return the number of data rows."""
    sheets = list(sheets)  # the Sheet objects; their rows are still lazy
    titles = _titles(sheets)
    count = 0
    # Deflate level 1: 1–2 s less CPU than level 6 on 100,000 rows, for a file about half again as large.
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as xlsx:
        for n, sheet in enumerate(sheets, start=1):
            with xlsx.open(f"xl/worksheets/sheet{n}.xml", "w", force_zip64=True) as out:
                count += _write_sheet(out, sheet)
        numbers = range(1, len(sheets) + 1)
        xlsx.writestr("[Content_Types].xml", (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/styles.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            + "".join(f'<Override PartName="/xl/worksheets/sheet{n}.xml" '
                      'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                      for n in numbers)
            + "</Types>"))
        xlsx.writestr("_rels/.rels", (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" '
            'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
            'Target="xl/workbook.xml"/></Relationships>'))
        xlsx.writestr("xl/workbook.xml", (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            '<bookViews><workbookView/></bookViews><sheets>'
            + "".join(f'<sheet name="{escape(title, {chr(34): "&quot;"})}" sheetId="{n}" r:id="rId{n}"/>'
                      for n, title in zip(numbers, titles))
            + "</sheets></workbook>"))
        xlsx.writestr("xl/_rels/workbook.xml.rels", (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            + "".join(f'<Relationship Id="rId{n}" '
                      'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
                      f'Target="worksheets/sheet{n}.xml"/>' for n in numbers)
            + f'<Relationship Id="rId{len(sheets) + 1}" '
            'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" '
            'Target="styles.xml"/></Relationships>'))
        xlsx.writestr("xl/styles.xml", _STYLES)
    return count


class stream_file:  # a class named like the generator function it replaced: callers are unchanged
    """A finished file as a response body, in chunks; the file is removed when the body is closed.

    A WSGI server calls ``close()`` also when the client goes away before the first chunk, which a
    generator's ``finally`` would not see (it never started): so this is an iterable with ``close``.
    """

    def __init__(self, path: str, chunk_size: int = 64 * 1024):
        self.path = path
        self.chunk_size = chunk_size
        self._file = None

    def __iter__(self) -> Iterator[bytes]:
        self._file = open(self.path, "rb")  # noqa: SIM115  (closed by close(), also from outside)
        try:
            while chunk := self._file.read(self.chunk_size):
                yield chunk
        finally:
            self.close()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass


STALE_SECONDS = 3600


def temporary_path(directory: str | None = None) -> str:
    """A fresh path for a workbook being built (under the instance folder's tmp when given).

    Files left behind by a process that died mid-export are removed here, an hour later."""
    if directory:
        os.makedirs(directory, exist_ok=True)
        _remove_stale(directory)
    fd, path = tempfile.mkstemp(suffix=".xlsx", dir=directory)
    os.close(fd)
    return path


def _remove_stale(directory: str) -> None:
    cutoff = time.time() - STALE_SECONDS
    with os.scandir(directory) as entries:
        for entry in entries:
            try:
                if entry.name.endswith(".xlsx") and entry.stat().st_mtime < cutoff:
                    os.unlink(entry.path)
            except FileNotFoundError:  # another process removed it first
                pass
