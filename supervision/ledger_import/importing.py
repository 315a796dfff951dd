"""Import of a legacy ledger (历史台账导入) from .xlsx.

Offices move from Excel ledgers to this system; the import brings the paper-era matters in (mostly
closed, some still open) so that the ledger and the statistics are complete.

Three parts; the first in ``template`` (its names re-exported here):

- the **template**: ``COLUMNS`` is the one definition of what a ledger row holds (Chinese header,
  required or not, type, allowed values, length limits read from the model columns); the download,
  the 填写说明 sheet, the upload page and the validator are all built from it;
- **reading**: ``read_ledger`` checks the file as a whole (is it an .xlsx, the header row, the row
  limit) and then every row, collecting *every* error as (row as Excel shows it, column, message),
  and finds duplicates against existing matters and within the file;
- **writing**: ``import_rows`` creates the matters of checked rows in the caller's transaction. The
  pages import through a job (``jobs``): the confirmation only records it; a worker checks the file
  again and imports it a batch per transaction. ``import_ledger`` imports a whole file in one
  transaction (commands and tests).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from io import BytesIO
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils.datetime import from_excel
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from supervision import audit, audit_rows, clock, permissions, sequences
from supervision.audit_keys import keyring
from supervision.calendar import Deadline
from supervision.deadlines import limit_for, office_calendar
from supervision.errors import PermissionDenied, ValidationError
from supervision.ledger_import.template import (  # noqa: F401  (moved out of this module; importable here as before)
    C,
    COLUMNS,
    COLUMN_BY_KEY,
    EARLIEST_DATE,
    ERRORS_SHOWN,
    IMPORTED_EVENT,
    IMPORTED_PREFIX,
    IMPORT_STATUSES,
    LEDGER_SOURCE,
    M,
    MAX_COLUMNS,
    MAX_FILE_BYTES,
    MAX_ROWS,
    NO,
    NOTE_PREFIX,
    ORIGINAL_NUMBER_MAX,
    RESULT_PREFIX,
    RULES_SHEET,
    TEMPLATE_ROWS,
    TEMPLATE_SHEET,
    VALUES_SHEET,
    YES,
    Reference,
    TemplateColumn,
    _labels,
    build_template,
    column_rule,
)
from supervision.matters.services import approved_respondent, format_serial, new_query_code
from supervision.models.calendar import LimitStep
from supervision.models.matters import (
    CHANNELS_BY_KIND,
    Assignment,
    AssignmentRole,
    AssignmentStatus,
    Category,
    Channel,
    Complainant,
    ComplaintClass,
    Matter,
    MatterEvent,
    MatterKind,
    MatterStatus,
    Satisfaction,
)
from supervision.models.org import Department, User
from supervision.search.changes import record_change

# --- reading -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class RowError:
    row: int | None  # as Excel shows it (the header is row 1); None: the file as a whole
    column: str
    message: str


@dataclass(frozen=True)
class Duplicate:
    row: int
    title: str
    reason: str


@dataclass
class LedgerRow:
    """One valid row, typed: what ``import_ledger`` writes."""

    row: int
    kind: MatterKind
    channel: Channel
    received_on: date
    title: str
    content: str
    status: MatterStatus
    original_number: str = ""
    summary: str = ""
    category: Category | None = None
    respondent_unit: str = ""
    respondent_department: Department | None = None
    respondent_person: str = ""
    complainant_name: str = ""
    phone: str = ""
    anonymous: bool = False
    confidential: bool = False
    lead: Department | None = None
    assigned_on: date | None = None
    due_on: date | None = None
    closed_on: date | None = None
    result: str = ""
    satisfaction: Satisfaction | None = None
    note: str = ""

    def key(self) -> tuple[date, str, str]:
        """Same day, same title, same unit: the same matter entered twice."""
        return self.received_on, _squash(self.title), _squash(self.respondent_unit)


@dataclass
class ParsedLedger:
    rows: list[LedgerRow] = field(default_factory=list)  # to import: valid and not duplicates
    duplicates: list[Duplicate] = field(default_factory=list)  # valid, skipped
    errors: list[RowError] = field(default_factory=list)
    data_rows: int = 0  # non-blank rows in the file

    @property
    def ok(self) -> bool:
        return not self.errors

    def counts(self) -> dict[tuple[MatterKind, MatterStatus], int]:
        return Counter((row.kind, row.status) for row in self.rows)

    def errors_by_column(self) -> list[tuple[str, int]]:
        return Counter(error.column or "（文件）" for error in self.errors).most_common()


class _Invalid:
    """A cell that had an error (already recorded): cross-column rules skip it."""

    def __bool__(self) -> bool:
        return False


INVALID: Any = _Invalid()
EXCEL_ERRORS = frozenset({"#N/A", "#VALUE!", "#REF!", "#DIV/0!", "#NUM!", "#NAME?", "#NULL!"})
_DATE_TEXT = re.compile(r"^(\d{4})\s*(?:[-/.]|年)\s*(\d{1,2})\s*(?:[-/.]|月)\s*(\d{1,2})\s*日?"
                        r"(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?$")
_DATE_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_HEADER_NOISE = re.compile(r"[\s*＊]|（必填）|\(必填\)")


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def normalise_header(value: Any) -> str:
    return _HEADER_NOISE.sub("", str(value)) if value is not None else ""


HEADER_LOOKUP: dict[str, TemplateColumn] = {
    normalise_header(name): column for column in COLUMNS for name in (column.header, *column.aliases)}


def as_text(value: Any) -> str:
    """A cell as text: numbers typed into text columns (a phone number, 原编号 17) read as typed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return YES if value else NO
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M") if value.time() != time() else value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).replace("\r\n", "\n").replace("\r", "\n").strip()


def parse_date(value: Any) -> date:
    """An Excel date, or text written the ways clerks write dates; ValueError with the message."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        # A date whose cell lost its date format shows as its serial number (45717 = 2025-03-01).
        if 32874 <= value <= 73051:  # 1990-01-01 … 2100-01-01
            return from_excel(value).date()
        raise ValueError("应为日期，如 2026-03-05。")
    text = as_text(value)
    match = _DATE_TEXT.match(text) or _DATE_COMPACT.match(text)
    if not match:
        raise ValueError(f"“{text[:20]}”不是日期，请写成 2026-03-05、2026/3/5 或 2026年3月5日。")
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError:
        raise ValueError(f"日期“{text[:20]}”不存在。") from None


class _RowReader:
    """Reads one row's cells by column key, recording each problem once."""

    def __init__(self, number: int, cells: dict[str, Any], reference: Reference, errors: list[RowError]):
        self.number, self.cells, self.reference, self.errors = number, cells, reference, errors

    def error(self, key: str, message: str) -> Any:
        self.errors.append(RowError(self.number, COLUMN_BY_KEY[key].header, message))
        return INVALID

    def text(self, key: str) -> Any:
        column = COLUMN_BY_KEY[key]
        text = as_text(self.cells.get(key))
        if text in EXCEL_ERRORS:
            return self.error(key, f"单元格是公式错误值 {text}。")
        if not text:
            return self.error(key, "此项为必填项。") if column.required else ""
        if column.max_length and len(text) > column.max_length:
            return self.error(key, f"不能超过 {column.max_length} 个字（现有 {len(text)} 个）。")
        return text

    def date(self, key: str) -> Any:
        value = self.cells.get(key)
        if value is None or as_text(value) == "":
            return self.error(key, "此项为必填项。") if COLUMN_BY_KEY[key].required else None
        try:
            day = parse_date(value)
        except ValueError as error:
            return self.error(key, str(error))
        if day < EARLIEST_DATE:
            return self.error(key, f"日期 {day:%Y-%m-%d} 早于 {EARLIEST_DATE.year} 年，请检查年份。")
        return day

    def choice(self, key: str, members: Iterable) -> Any:
        text = self.text(key)
        if not text:
            return text if text is INVALID else None
        by_label = {member.label: member for member in members}
        if _squash(text) not in by_label:
            return self.error(key, f"“{text[:40]}”不是可选的值（可选：{'、'.join(by_label)}）。")
        return by_label[_squash(text)]

    def yes_no(self, key: str) -> Any:
        text = self.text(key)
        if text is INVALID:
            return INVALID
        if text in ("", NO):
            return False
        if text == YES:
            return True
        return self.error(key, f"“{text[:20]}”应填“是”或“否”。")

    def department(self, key: str) -> Any:
        name = self.text(key)
        if not name:
            return name if name is INVALID else None
        department = self.reference.departments.get(name)
        if department is None:
            return self.error(key, f"系统中没有名为“{name[:40]}”的单位（单位名称须与“单位管理”中的一致）。")
        if not department.active:
            return self.error(key, f"单位“{name}”已停用。")
        return department


def _check_row(reader: _RowReader) -> LedgerRow | None:
    """Every rule of one row; None when any failed (each failure is in ``reader.errors``)."""
    before = len(reader.errors)
    kind = reader.choice("kind", MatterKind)
    channel = reader.choice("channel", Channel)
    received_on = reader.date("received_on")
    title, content, summary = reader.text("title"), reader.text("content"), reader.text("summary")
    category_name = reader.text("category")
    respondent_unit, respondent_person = reader.text("respondent_unit"), reader.text("respondent_person")
    name, phone = reader.text("complainant_name"), reader.text("phone")
    anonymous, confidential = reader.yes_no("anonymous"), reader.yes_no("confidential")
    lead = reader.department("lead")
    assigned_on, due_on, closed_on = reader.date("assigned_on"), reader.date("due_on"), reader.date("closed_on")
    status = reader.choice("status", IMPORT_STATUSES)
    result, satisfaction = reader.text("result"), reader.choice("satisfaction", Satisfaction)
    original_number, note = reader.text("original_number"), reader.text("note")
    today = reader.reference.today

    # Rules across columns, each checked only when the cells it reads are valid.
    if kind and channel and channel not in CHANNELS_BY_KIND[kind]:
        reader.error("channel", f"“{channel.label}”不是{kind.label}的渠道（可选：{'、'.join(_labels(CHANNELS_BY_KIND[kind]))}）。")
    category = None
    if kind and category_name:
        category = reader.reference.categories.get((kind, category_name))
        if category is None:
            reader.error("category", f"“{category_name[:40]}”不是{kind.label}的问题类别"
                                     f"（可选：{'、'.join(reader.reference.category_names(kind))}）。")
    if received_on and received_on > today:
        reader.error("received_on", "受理日期不能晚于今天。")
    if anonymous and (name or phone):
        reader.error("anonymous", "匿名事项不应填写反映人姓名和联系电话；如需登记身份，请填“否”。")
    if lead and not summary and summary is not INVALID:
        reader.error("summary", "填写了主办单位时必填：交办单位只能看到摘要，看不到原始内容。")
    if lead and assigned_on is None:
        reader.error("assigned_on", "填写了主办单位时必填。")
    if lead is None and (assigned_on or due_on):
        reader.error("lead", "填写了交办日期或办理期限时，须填写主办单位。")
    if assigned_on and received_on and assigned_on < received_on:
        reader.error("assigned_on", "交办日期不能早于受理日期。")
    if assigned_on and assigned_on > today:
        reader.error("assigned_on", "交办日期不能晚于今天。")
    if due_on and assigned_on and due_on < assigned_on:
        reader.error("due_on", "办理期限不能早于交办日期。")
    if closed_on:
        if closed_on > today:
            reader.error("closed_on", "办结日期不能晚于今天。")
        if received_on and closed_on < received_on:
            reader.error("closed_on", "办结日期不能早于受理日期。")
        elif assigned_on and closed_on < assigned_on:
            reader.error("closed_on", "办结日期不能早于交办日期。")
    if status == MatterStatus.CLOSED and closed_on is None:
        reader.error("closed_on", "状态为“已办结”时必填。")
    if status and status != MatterStatus.CLOSED:
        if closed_on:
            reader.error("closed_on", f"状态为“{status.label}”时不填办结日期；已办结的请把状态填为“已办结”。")
        if satisfaction:
            reader.error("satisfaction", "只有“已办结”的事项填写满意度。")
    if status == MatterStatus.IN_PROGRESS and lead is None:
        reader.error("lead", "状态为“办理中”时必填（正在办理该事项的单位）。")
    if status in (MatterStatus.ACCEPTED, MatterStatus.NOT_ACCEPTED) and lead:
        reader.error("lead", f"状态为“{status.label}”时不填主办单位"
                             + ("；已交办的请把状态填为“办理中”或“已办结”。" if status == MatterStatus.ACCEPTED else "。"))
    if status == MatterStatus.NOT_ACCEPTED and not result and result is not INVALID:
        reader.error("result", "状态为“不予受理”时必填：不予受理的理由。")

    if len(reader.errors) > before:
        return None
    return LedgerRow(
        row=reader.number, kind=kind, channel=channel, received_on=received_on, title=title, content=content,
        status=status, original_number=original_number, summary=summary, category=category,
        respondent_unit=respondent_unit, respondent_person=respondent_person,
        respondent_department=_linked_department(reader.reference, respondent_unit),
        complainant_name=name, phone=phone, anonymous=anonymous, confidential=confidential, lead=lead,
        assigned_on=assigned_on, due_on=due_on, closed_on=closed_on, result=result, satisfaction=satisfaction,
        note=note)


def _linked_department(reference: Reference, unit: str) -> Department | None:
    department = reference.departments.get(unit) if unit else None
    return department if department is not None and department.active else None


def _file_error(message: str) -> ParsedLedger:
    return ParsedLedger(errors=[RowError(None, "", message)])


def _open_sheet(data: bytes):
    """The first worksheet, or a RowError message saying why the file is not a ledger."""
    if not data:
        return None, "上传的文件是空的。"
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return None, "这是旧版 Excel（.xls）文件，请在 Excel 或 WPS 中“另存为” .xlsx 格式后再上传。"
    if not data.startswith(b"PK\x03\x04"):
        return None, "上传的文件不是 Excel（.xlsx）文件。请使用下载的导入模板填写后上传。"
    try:
        workbook = load_workbook(BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 — a malformed zip or workbook raises many kinds; all mean the same here
        return None, "无法读取该文件：它不是有效的 .xlsx 文件或已损坏。请在 Excel 或 WPS 中打开后重新保存为 .xlsx 再上传。"
    if not workbook.worksheets:
        workbook.close()
        return None, "该文件中没有工作表。"
    return workbook, None


def _sheet_rows(data: bytes, max_rows: int) -> tuple[list[tuple[int, tuple]], str | None]:
    """(row number, cells) of rows 1 and 2 and of every other row with a value, up to one data row past
    ``max_rows`` (enough to tell the file is too long); or a message saying why the file is no ledger."""
    workbook, problem = _open_sheet(data)
    if problem:
        return [], problem
    try:
        sheet = workbook.worksheets[0]
        sheet.reset_dimensions()  # some programs write a wrong <dimension>; read what is there
        rows: list[tuple[int, tuple]] = []
        data_rows = 0
        for number, cells in enumerate(sheet.iter_rows(values_only=True, max_col=MAX_COLUMNS), start=1):
            filled = any(as_text(value) for value in cells)
            if number > 1 and filled:
                data_rows += 1
            if number <= 2 or filled:
                rows.append((number, tuple(cells)))
            if data_rows > max_rows:
                break
    finally:
        workbook.close()
    return rows, None


def _cache_path(folder: Path, data: bytes, max_rows: int) -> Path:
    return folder / f"{hashlib.sha256(data).hexdigest()}-{max_rows}.cells.json"


def _cached_rows(folder: Path, data: bytes, max_rows: int) -> list[tuple[int, tuple]] | None:
    try:
        stored = json.loads(_cache_path(folder, data, max_rows).read_text(encoding="utf-8"))
        return [(number, tuple(_decode_cell(v) for v in cells)) for number, cells in stored]
    except (OSError, ValueError, TypeError, KeyError):
        return None


def _save_rows(folder: Path, data: bytes, max_rows: int, rows: list[tuple[int, tuple]]) -> None:
    """Best effort: a cache that cannot be written (a full disk) only costs the confirmation a re-read."""
    tmp = None
    try:
        encoded = [[number, [_encode_cell(v) for v in cells]] for number, cells in rows]
        folder.mkdir(parents=True, exist_ok=True)
        path = _cache_path(folder, data, max_rows)
        tmp = path.with_name(f".{path.name}.{os.getpid()}")
        tmp.write_text(json.dumps(encoded, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, path)
    except (OSError, TypeError, ValueError):
        if tmp is not None:
            tmp.unlink(missing_ok=True)  # a partial cache from a full disk must not keep the disk full


def _encode_cell(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float)):
        return value
    for tag, kind in (("dt", datetime), ("d", date), ("t", time)):  # datetime before date: a subclass
        if isinstance(value, kind):
            return {tag: value.isoformat()}
    raise TypeError(f"cell of type {type(value).__name__}")  # not cached: read from the workbook again


def _decode_cell(value: Any) -> Any:
    if isinstance(value, dict):
        (tag, text), = value.items()
        return {"dt": datetime.fromisoformat, "d": date.fromisoformat, "t": time.fromisoformat}[tag](text)
    return value


def read_header(cells: Sequence[Any], lookup: Mapping[str, Any], columns: Sequence[Any]
                ) -> tuple[dict[str, int], list[RowError]]:
    """Column key -> index from a template's header row; every missing, unknown or repeated column.
    ``lookup``: normalised header -> column (with ``key`` and ``header``); ``columns``: all of them. Shared by
    every import from Excel (the matter ledger here, last year's task list in ``supervision.tasks``)."""
    found: dict[str, int] = {}
    errors: list[RowError] = []
    for index, value in enumerate(cells):
        name = normalise_header(value)
        if not name:
            continue
        column = lookup.get(name)
        if column is None:
            errors.append(RowError(1, str(value).strip()[:40], "模板中没有此列：请改回模板中的列名，或删除此列。"))
        elif column.key in found:
            errors.append(RowError(1, column.header, "此列出现了两次。"))
        else:
            found[column.key] = index
    if not found:
        return found, [RowError(1, "", "第 1 行应为列名，但没有找到模板中的任何列名。请使用下载的导入模板，列名放在第 1 行。")]
    errors += [RowError(1, column.header, "缺少此列（列名被修改或删除）。") for column in columns if column.key not in found]
    return found, errors


def _header(cells: Sequence[Any]) -> tuple[dict[str, int], list[RowError]]:
    return read_header(cells, HEADER_LOOKUP, COLUMNS)


def read_ledger(session: Session, data: bytes, *, max_rows: int = MAX_ROWS, cache: Path | None = None,
                dedupe: bool = True) -> ParsedLedger:
    """Check a whole ledger file. Never raises for a bad file: every problem is a RowError.

    With ``cache`` (a folder), the sheet's cells are kept there under the file's digest: the upload reads
    the .xlsx, the confirmation checks the same cells again against the database without parsing the
    workbook a second time (three quarters of a 20,000-row confirmation's time).

    ``dedupe=False``: every valid row is in ``rows`` (an import job finds duplicates batch by batch, as it
    writes, so that a job taken over after a crash counts the rows it had imported as imported)."""
    rows = _cached_rows(cache, data, max_rows) if cache is not None else None
    if rows is None:
        rows, problem = _sheet_rows(data, max_rows)
        if problem:
            return _file_error(problem)
        if cache is not None:
            _save_rows(cache, data, max_rows, rows)
    header_cells = rows[0][1] if rows else None
    if header_cells is None:
        return _file_error("文件中没有内容。请使用下载的导入模板，第 1 行为列名，从第 2 行起每行一件事项。")
    positions, header_errors = _header(header_cells)
    if not positions:
        below, _ = _header(rows[1][1] if len(rows) > 1 and rows[1][0] == 2 else ())
        if len(below) >= 3:  # a title line above the header, as paper-era ledgers have
            return _file_error("列名应在第 1 行：请删除列名上方的标题行（如“××年效能投诉台账”）后重新上传。")
    if header_errors:
        return ParsedLedger(errors=header_errors)
    reference = Reference.load(session)
    parsed = ParsedLedger()
    valid: list[LedgerRow] = []
    seen_numbers: dict[str, int] = {}
    for number, cells in rows[1:]:
        if not any(as_text(value) for value in cells):
            continue  # blank rows between and after the data
        parsed.data_rows += 1
        if parsed.data_rows > max_rows:
            return _file_error(f"文件超过 {max_rows} 行，请按年度等分成几个文件分别导入。")
        values = {key: cells[index] if index < len(cells) else None for key, index in positions.items()}
        row = _check_row(_RowReader(number, values, reference, parsed.errors))
        code = as_text(values.get("original_number"))
        if code and len(code) <= ORIGINAL_NUMBER_MAX:
            if code in seen_numbers:
                parsed.errors.append(RowError(number, COLUMN_BY_KEY["original_number"].header,
                                              f"原编号“{code}”与第 {seen_numbers[code]} 行相同。"))
                row = None
            else:
                seen_numbers[code] = number
        if row is not None:
            valid.append(row)
    if parsed.data_rows == 0 and not parsed.errors:
        return _file_error("文件中只有列名，没有数据行。请从第 2 行起每行填写一件事项。")
    if parsed.errors:
        order = {column.header: index for index, column in enumerate(COLUMNS)}
        parsed.errors.sort(key=lambda e: (e.row or 0, order.get(e.column, -1)))  # as the clerk reads the sheet
        return parsed
    if dedupe:
        parsed.rows, parsed.duplicates = _without_duplicates(session, valid)
    else:
        parsed.rows = valid
    return parsed


def _without_duplicates(session: Session, rows: list[LedgerRow]) -> tuple[list[LedgerRow], list[Duplicate]]:
    """Rows to import and rows to skip: already imported (原编号), already in the system (same day,
    title and unit), or entered twice in the file."""
    codes = {row.original_number for row in rows if row.original_number}
    serials: set[str] = set()
    code_list = sorted(codes)
    imported: dict[str, str] = {}  # 原编号 -> serial
    for start in range(0, len(code_list), 500):
        imported.update(session.execute(select(Matter.original_number, Matter.serial).where(
            Matter.original_source == LEDGER_SOURCE, Matter.original_number.in_(code_list[start:start + 500]))).all())
    for start in range(0, len(code_list), 500):  # a 原编号 that is one of our serials: an export re-imported
        serials.update(session.scalars(select(Matter.serial).where(Matter.serial.in_(code_list[start:start + 500]))))
    existing: dict[tuple[date, str, str], str] = {}
    days = sorted({row.received_on for row in rows})
    for start in range(0, len(days), 500):
        for received_on, title, unit, serial in session.execute(
                select(Matter.received_on, Matter.title, Matter.respondent_unit, Matter.serial)
                .where(Matter.received_on.in_(days[start:start + 500]))):
            existing.setdefault((received_on, _squash(title), _squash(unit)), serial)

    keep: list[LedgerRow] = []
    skipped: list[Duplicate] = []
    first_row: dict[tuple[date, str, str], int] = {}
    for row in rows:
        code = row.original_number
        if code and code in imported:
            reason = f"原编号“{code}”已导入过，为 {imported[code]}。"
        elif code and code in serials:
            reason = f"原编号“{code}”就是系统中已有事项的编号。"
        elif row.key() in existing:
            reason = f"与已有事项 {existing[row.key()]} 的受理日期、标题、被反映单位相同。"
        elif row.key() in first_row:
            reason = f"与第 {first_row[row.key()]} 行的受理日期、标题、被反映单位相同。"
        else:
            first_row[row.key()] = row.row
            keep.append(row)
            continue
        skipped.append(Duplicate(row.row, row.title, reason))
    return keep, skipped


# --- writing -----------------------------------------------------------------------------------
@dataclass
class ImportResult:
    matter_ids: list[int]
    serials: list[str]
    skipped: int
    counts: dict[tuple[MatterKind, MatterStatus], int]
    change_ids: list[int] = field(default_factory=list)  # the search change-log rows of the new matters
    duplicates: list[Duplicate] = field(default_factory=list)  # skipped by this call (found in the system)
    received: list[date] = field(default_factory=list)  # the imported matters' dates of receipt


def _at(day: date) -> datetime:
    return datetime.combine(day, time())


CONFIRMATION_LOCK = "lock:ledger_import"  # a counter row used as the office-wide confirmation lock


def import_ledger(session: Session, actor: User, parsed: ParsedLedger, *, file_name: str = "",
                  file_sha256: str = "") -> ImportResult:
    """Create the matters of a checked ledger in one go. Never commits: the caller commits once, so a
    failure anywhere (a serial taken meanwhile, a constraint) leaves nothing written. (The pages import
    through a job, a batch per transaction: ``ledger_import.jobs``.)"""
    if not parsed.ok:
        raise ValidationError("导入文件有错误，未导入任何事项。请改正后重新上传。")
    if not parsed.rows:
        raise ValidationError("没有可导入的事项：文件中的事项都已在系统中。")
    result = import_rows(session, actor, parsed.rows)
    if not result.matter_ids:
        raise ValidationError("没有可导入的事项：这些事项刚刚已由他人（或您在另一窗口）导入，未重复导入。"
                              "请在事项台账中查看。")
    skipped = len(parsed.duplicates) + result.skipped
    record_finished(session, actor, file_name=file_name, file_sha256=file_sha256, imported=len(result.matter_ids),
                    skipped=skipped, serials=result.serials[:1] + result.serials[-1:])
    result.skipped = skipped
    return result


def record_finished(session: Session, actor: User, *, file_name: str, file_sha256: str, imported: int,
                    skipped: int, serials: list[str]) -> None:
    """The import's own audit entry (each matter has its own, written with it)."""
    audit.record(session, actor, "ledger.imported", ("ledger_import", None),
                 f"导入历史台账 {file_name}：{imported} 件，跳过重复 {skipped} 件",
                 {"file": file_name, "sha256": file_sha256, "imported": imported, "skipped": skipped,
                  "serials": serials})


def import_rows(session: Session, actor: User, rows: list[LedgerRow]) -> ImportResult:
    """Create the matters of these checked rows — the whole file, or one batch of a job — skipping those
    already in the system (imported meanwhile by someone else, or by an earlier run of the same job).
    Never commits. ``skipped`` and ``duplicates`` count and name the rows skipped here.

    Rows go in as batched INSERTs of the models' tables (20,000 matters would spend minutes in the unit
    of work otherwise); the columns' defaults and the database's constraints hold as for any other write.
    """
    if not permissions.can_import_ledger(actor):
        raise PermissionDenied("您无权导入台账。")
    # One confirmation (one batch) at a time, office-wide: the row lock of a counter is held to the end of
    # this transaction. A second clerk confirming the same ledger waits here, then finds its rows imported.
    sequences.hold(session, CONFIRMATION_LOCK)
    rows, taken = _without_duplicates(session, rows)
    if not rows:
        return ImportResult(matter_ids=[], serials=[], skipped=len(taken), counts={}, duplicates=taken)

    # Serials per kind and year, in order of receipt; counters are taken in a fixed order so two
    # imports at once cannot deadlock on them.
    ordered = sorted(rows, key=lambda r: (r.received_on, r.row))
    wanted = Counter((row.kind, row.received_on.year) for row in ordered)
    numbers = {key: iter(sequences.next_values(session, f"matter:{key[0].value}", key[1], count))
               for key, count in sorted(wanted.items())}
    plan = _Plan(session, actor)
    matter_rows = [plan.matter(row, next(numbers[(row.kind, row.received_on.year)])) for row in ordered]
    table = Matter.__table__
    ids = list(session.scalars(insert(table).returning(table.c.id, sort_by_parameter_order=True), matter_rows))
    children: dict[type, list[dict[str, Any]]] = {Complainant: [], Assignment: [], MatterEvent: []}
    for matter_id, row in zip(ids, ordered, strict=True):
        for model, values in plan.children(matter_id, row):
            children[model].append(values)
    for model, values in children.items():
        for start in range(0, len(values), 5000):
            session.execute(insert(model.__table__), values[start:start + 5000])
    # The new matters go into the search change log in this transaction; each server's index applies
    # it after the commit (in the background), so the import only writes rows (docs/domain.md §15).
    change_ids = record_change(session, "matter", ids)

    serials = [values["serial"] for values in matter_rows]
    # Each matter's entry carries the digests of the rows written for it (read back: defaults included).
    ring = keyring()
    written = [audit_rows.digests_from_database(session, ring, table, ids, by)
               for table, by in (("matter", "id"), ("complainant", "matter_id"), ("assignment", "matter_id"))]
    audit.record_many(session, actor, [
        ("matter.imported", ("matter", matter_id), f"自台账导入{row.kind.label} {serial}",
         {"row": row.row, "original_number": row.original_number or None, "status": row.status,
          "lead": row.lead.name if row.lead else None,
          "identity": not row.anonymous and bool(row.complainant_name or row.phone)})  # whether, never whose
        for matter_id, serial, row in zip(ids, serials, ordered, strict=True)],
        rows=["\n".join(line for lines in written for line in lines.get(matter_id, ())) for matter_id in ids])
    return ImportResult(matter_ids=ids, serials=serials, skipped=len(taken),
                        counts=dict(Counter((row.kind, row.status) for row in ordered)), change_ids=change_ids,
                        duplicates=taken, received=[row.received_on for row in ordered])


class _Plan:
    """The column values of one imported matter and of what belongs to it."""

    def __init__(self, session: Session, actor: User):
        self.session, self.actor, self.now = session, actor, clock.now()
        self.calendar = office_calendar(session)
        self.limits: dict[tuple, Any] = {}

    def due(self, step: LimitStep, row: LedgerRow, start: date):
        """(deadline, limit) of ``step`` counted from ``start`` by the office's rule for the row."""
        key = (step, row.kind, row.category.id if row.category else None)
        if key not in self.limits:
            self.limits[key] = limit_for(self.session, step, row.kind.value, key[2])
        limit = self.limits[key]
        return self.calendar.deadline(start, limit.amount, limit.unit), limit

    def matter(self, row: LedgerRow, seq: int) -> dict[str, Any]:
        year = row.received_on.year
        accept_due, _ = self.due(LimitStep.ACCEPT, row, row.received_on)
        closed = row.status == MatterStatus.CLOSED
        values = dict(
            kind=row.kind, year=year, seq=seq, serial=format_serial(row.kind, year, seq),
            query_code=new_query_code(), channel=row.channel, category_id=row.category.id if row.category else None,
            # A ledger's 标题 may be a citizen's words: not approved for departments until intake confirms it.
            title=row.title, assigned_title="", content=row.content, summary=row.summary,
            respondent_department_id=row.respondent_department.id if row.respondent_department else None,
            respondent_unit=row.respondent_unit, respondent_person=row.respondent_person,
            # Its 被反映单位/人员 too: approved only where they carry no one's own words (a listed name, empty).
            **approved_respondent(row.respondent_unit, row.respondent_person, row.respondent_department,
                                  office_wrote=False),
            received_on=row.received_on, anonymous=row.anonymous, confidential=row.confidential,
            inspected_on=row.received_on if row.kind == MatterKind.FINDING else None, place="", inspectors="",
            problems=row.content if row.kind == MatterKind.FINDING else "", status=row.status,
            # An old ledger has no 信访类别: a suggestion is a proposal, a complaint stays 未分类 until set.
            complaint_class=ComplaintClass.PROPOSAL if row.kind == MatterKind.SUGGESTION
            and row.status != MatterStatus.NOT_ACCEPTED else None,
            due_on=None, due_provisional=False, lead_department_id=row.lead.id if row.lead else None,
            accept_due_on=accept_due.due, accept_due_provisional=accept_due.provisional,
            decision_reason=row.result if row.status == MatterStatus.NOT_ACCEPTED else "",
            duplicate_of_id=None, rework_count=0, public_reply="",
            satisfaction=row.satisfaction if closed else None, followup_note="",
            followed_up_at=_at(row.closed_on) if closed and row.satisfaction else None,
            registered_at=self.now, registered_by_id=self.actor.id, closed_at=_at(row.closed_on) if closed else None,
            updated_at=self.now, version=1,
            original_source=LEDGER_SOURCE if row.original_number else None,
            original_number=row.original_number or None,
        )
        if row.lead is not None and not closed:  # 办理中: the lead department's deadline is the matter's
            deadline = self._lead_due(row)
            values["due_on"], values["due_provisional"] = deadline.due, deadline.provisional
        return values

    def _lead_due(self, row: LedgerRow):
        if row.due_on is not None:
            return Deadline(due=row.due_on, provisional=False)
        return self.due(LimitStep.HANDLE, row, row.assigned_on)[0]

    def children(self, matter_id: int, row: LedgerRow) -> Iterator[tuple[type, dict[str, Any]]]:
        if not row.anonymous and (row.complainant_name or row.phone):
            yield Complainant, dict(matter_id=matter_id, name=row.complainant_name, phone=row.phone,
                                    id_number="", address="", work_unit="")
        if row.lead is not None:
            yield Assignment, self._lead_assignment(matter_id, row)
        department_id = row.lead.id if row.lead else None
        code = f"{IMPORTED_PREFIX}，原编号 {row.original_number}" if row.original_number else IMPORTED_PREFIX
        yield MatterEvent, self._event(matter_id, IMPORTED_EVENT, code, "department", department_id)
        if row.result and row.status != MatterStatus.NOT_ACCEPTED:
            yield MatterEvent, self._event(matter_id, "imported_result", RESULT_PREFIX + row.result, "department",
                                           department_id)
        if row.note:
            yield MatterEvent, self._event(matter_id, "imported_note", NOTE_PREFIX + row.note, "office", None)

    def _event(self, matter_id: int, action: str, text: str, audience: str, department_id: int | None) -> dict:
        return dict(matter_id=matter_id, at=self.now, actor_id=self.actor.id, action=action, text=text,
                    department_id=department_id, audience=audience, old_due_on=None, new_due_on=None)

    def _lead_assignment(self, matter_id: int, row: LedgerRow) -> dict[str, Any]:
        """The lead department's part: received on the day it was assigned; done when the matter is closed."""
        _, handle = self.due(LimitStep.HANDLE, row, row.assigned_on)
        deadline = self._lead_due(row)
        closed = row.status == MatterStatus.CLOSED
        explicit = row.due_on is not None
        return dict(
            matter_id=matter_id, department_id=row.lead.id, role=AssignmentRole.LEAD,
            status=AssignmentStatus.DONE if closed else AssignmentStatus.RECEIVED, requirements="",
            assigned_on=row.assigned_on, assigned_at=_at(row.assigned_on), assigned_by_id=self.actor.id,
            limit_amount=None if explicit else handle.amount, limit_unit=None if explicit else handle.unit.value,
            due_on=deadline.due, due_provisional=deadline.provisional,
            object_due_on=self.due(LimitStep.OBJECT, row, row.assigned_on)[0].due, avoidance_override="",
            received_at=_at(row.assigned_on), received_by_id=None, returned_at=None, return_reason="",
            replied_at=_at(row.closed_on) if closed else None,
        )
