"""Import of last year's 督查任务清单 from Excel (.xlsx): download the template, upload (checked whole,
nothing written), preview, confirm.

Offices keep the year's key tasks, leaders' instructions and meeting decisions in a sheet; this brings
them in as 督查事项 with one task per lead (牵头) and co-unit (配合): those 已办结 closed (销号) with their
date and 评价, those 办理中 running and watched from today. Reading collects *every* problem as (row as
Excel shows it, column, Chinese message) and never raises for a bad file; writing happens only for a
file without errors, in the caller's one transaction.

A task list is hundreds of rows, not the tens of thousands of a complaints ledger: it is written inside
the confirming request (at most ``MAX_ROWS`` rows), through the ORM, so row digests and the search change
log follow by themselves.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from supervision import audit, clock, permissions, sequences
from supervision.deadlines import office_calendar
from supervision.errors import PermissionDenied, ValidationError
from supervision.ledger_import.importing import (EXCEL_ERRORS, RowError, _sheet_rows, as_text, normalise_header,
                                                 parse_date, read_header)
from supervision.ledgers.xlsx import Column, Sheet, write_workbook
from supervision.models.org import Department, Role, User
from supervision.models.tasks import (Importance, ItemStatus, Task, TaskGrade, TaskItem, TaskRole, TaskSourceKind,
                                      TaskStatus)
from supervision.tasks import services as task_services

MAX_ROWS = 2000
MAX_FILE_BYTES = 5 * 1024 * 1024
ERRORS_SHOWN = 500
EARLIEST = date(2000, 1, 1)
IMPORTED_NOTE = "（自任务清单导入）"
STATUSES = {"办理中": ItemStatus.ISSUED, "已办结": ItemStatus.CLOSED}
UNIT_SEPARATORS = re.compile(r"[、，,；;\s/]+")


@dataclass(frozen=True)
class ImportColumn:
    key: str
    header: str
    required: bool
    rule: str  # 填写说明
    max_length: int | None = None
    example: Any = ""


def _length(model, name: str) -> int:
    column = model.__table__.c[name]
    return column.info.get("max_length") or column.type.length


COLUMNS: tuple[ImportColumn, ...] = (
    ImportColumn("title", "事项名称", True, "督查事项的名称。", _length(TaskItem, "title"),
                 "优化营商环境“一件事”集成改革"),
    ImportColumn("source_kind", "来源类型", True, "可选：" + "、".join(k.label for k in TaskSourceKind) + "。",
                 example="年度重点工作"),
    ImportColumn("source_number", "来源文号", False, "批示件或会议纪要的文号。", _length(TaskItem, "source_number"),
                 "示政办〔2025〕12号"),
    ImportColumn("source_date", "来源日期", False, "批示或会议的日期，如 2025-03-05。", example=date(2025, 3, 5)),
    ImportColumn("content", "事项内容", True, "督办的具体内容和要求。", _length(TaskItem, "content"),
                 "年内上线第二批12个“一件事”。"),
    ImportColumn("importance", "重要程度", False, "可选：" + "、".join(k.label for k in Importance) + "；不填为“一般”。",
                 example="重要"),
    ImportColumn("leader", "分管领导", False, "系统中领导账号的姓名（须与“用户管理”中的一致）。", example=""),
    ImportColumn("due_on", "办结时限", True, "整个事项的完成时限，如 2025-12-31。", example=date(2025, 12, 31)),
    ImportColumn("lead", "牵头单位", True, "单位名称须与“单位管理”中的一致；几个单位用顿号“、”分隔。",
                 example="市行政审批局"),
    ImportColumn("co", "配合单位", False, "同上，可不填。", example="市市场监督管理局、市税务局"),
    ImportColumn("responsible_person", "责任人", False, "牵头单位的责任人。", _length(Task, "responsible_person"),
                 example="张明"),
    ImportColumn("status", "状态", True, "可选：办理中、已办结。", example="已办结"),
    ImportColumn("closed_on", "办结日期", False, "状态为“已办结”时必填。", example=date(2025, 12, 20)),
    ImportColumn("grade", "评价", False, "已办结的可填：" + "、".join(g.label for g in TaskGrade) + "；记入牵头单位的任务。",
                 example="好"),
    ImportColumn("score", "得分", False, "已办结的可填 0–100 的整数；记入牵头单位的任务。", example=95),
    ImportColumn("note", "备注", False, "附在事项内容之后。", 500, ""),
)
COLUMN_BY_KEY = {c.key: c for c in COLUMNS}
HEADERS = {normalise_header(c.header): c for c in COLUMNS}


@dataclass
class ImportRow:
    row: int
    title: str
    source_kind: TaskSourceKind
    content: str
    due_on: date
    leads: list[Department]
    cos: list[Department]
    status: ItemStatus
    source_number: str = ""
    source_date: date | None = None
    importance: Importance = Importance.NORMAL
    leader: User | None = None
    responsible_person: str = ""
    closed_on: date | None = None
    grade: TaskGrade | None = None
    score: int | None = None
    note: str = ""


@dataclass
class ParsedList:
    rows: list[ImportRow] = field(default_factory=list)
    duplicates: list[tuple[int, str, str]] = field(default_factory=list)  # (row, title, why skipped)
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def counts(self) -> dict[str, int]:
        return dict(Counter(row.status.label for row in self.rows))


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


class _Reference:
    """What rows are checked against, read once: units by name, leaders by name."""

    def __init__(self, session: Session):
        self.departments = {d.name: d for d in session.scalars(select(Department))}
        leaders: dict[str, list[User]] = {}
        for user in session.scalars(select(User).where(User.role == Role.LEADER, User.active.is_(True))):
            leaders.setdefault(user.display_name, []).append(user)
        self.leaders = leaders
        self.today = clock.today()


class _Row:
    def __init__(self, number: int, cells: dict[str, Any], reference: _Reference, errors: list[RowError]):
        self.number, self.cells, self.reference, self.errors = number, cells, reference, errors
        self.failed = False

    def error(self, key: str, message: str):
        self.errors.append(RowError(self.number, COLUMN_BY_KEY[key].header, message))
        self.failed = True
        return None

    def text(self, key: str) -> str | None:
        column = COLUMN_BY_KEY[key]
        text = as_text(self.cells.get(key))
        if text in EXCEL_ERRORS:
            return self.error(key, f"单元格是公式错误值 {text}。")
        if not text:
            return self.error(key, "此项为必填项。") if column.required else ""
        if column.max_length and len(text) > column.max_length:
            return self.error(key, f"不能超过 {column.max_length} 个字（现有 {len(text)} 个）。")
        return text

    def day(self, key: str) -> date | None:
        value = self.cells.get(key)
        if value is None or as_text(value) == "":
            return self.error(key, "此项为必填项。") if COLUMN_BY_KEY[key].required else None
        try:
            day = parse_date(value)
        except ValueError as error:
            return self.error(key, str(error))
        if not EARLIEST <= day <= date(2100, 12, 31):
            return self.error(key, f"日期 {day:%Y-%m-%d} 不在 {EARLIEST.year}–2100 年之间，请检查年份。")
        return day

    def choice(self, key: str, members) -> Any:
        text = self.text(key)
        if not text:
            return None
        by_label = {member.label: member for member in members}
        if _squash(text) not in by_label:
            return self.error(key, f"“{text[:40]}”不是可选的值（可选：{'、'.join(by_label)}）。")
        return by_label[_squash(text)]

    def units(self, key: str) -> list[Department]:
        text = self.text(key)
        if not text:
            return []
        found = []
        for name in (n for n in UNIT_SEPARATORS.split(text) if n):
            department = self.reference.departments.get(name)
            if department is None:
                self.error(key, f"系统中没有名为“{name[:40]}”的单位（单位名称须与“单位管理”中的一致）。")
            elif not department.active:
                self.error(key, f"单位“{name}”已停用。")
            elif department in found:
                self.error(key, f"单位“{name}”填了两次。")
            else:
                found.append(department)
        return found

    def score(self) -> int | None:
        value = self.cells.get("score")
        text = as_text(value)
        if not text:
            return None
        if not re.fullmatch(r"\d{1,3}", text) or not 0 <= int(text) <= 100:
            return self.error("score", f"“{text[:20]}”应为 0–100 的整数。")
        return int(text)


def _check_row(row: _Row) -> ImportRow | None:
    title, content = row.text("title"), row.text("content")
    source_kind = row.choice("source_kind", TaskSourceKind)
    source_number, source_date = row.text("source_number"), row.day("source_date")
    importance = row.choice("importance", Importance) or Importance.NORMAL
    leader_name = row.text("leader")
    due_on = row.day("due_on")
    leads, cos = row.units("lead"), row.units("co")
    person, note = row.text("responsible_person"), row.text("note")
    status_text = row.text("status")
    closed_on, grade, score = row.day("closed_on"), row.choice("grade", TaskGrade), row.score()
    status = None
    if status_text:
        status = STATUSES.get(_squash(status_text))
        if status is None:
            row.error("status", f"“{status_text[:20]}”不是可选的值（可选：{'、'.join(STATUSES)}）。")
    leader = None
    if leader_name:
        matches = row.reference.leaders.get(leader_name, [])
        if not matches:
            row.error("leader", f"系统中没有名为“{leader_name[:20]}”的在岗领导账号。")
        elif len(matches) > 1:
            row.error("leader", f"有 {len(matches)} 个名为“{leader_name}”的领导账号，请在系统中区分后再导入。")
        else:
            leader = matches[0]
    if set(leads) & set(cos):
        row.error("co", "同一单位不能既是牵头单位又是配合单位。")
    today = row.reference.today
    if source_date and source_date > today:
        row.error("source_date", "来源日期不能晚于今天。")
    if source_date and due_on and due_on < source_date:
        row.error("due_on", "办结时限不能早于来源日期。")
    if status == ItemStatus.CLOSED:
        if closed_on is None and not as_text(row.cells.get("closed_on")):  # blank (a bad date is reported)
            row.error("closed_on", "状态为“已办结”时必填。")
        elif closed_on and closed_on > today:
            row.error("closed_on", "办结日期不能晚于今天。")
        elif closed_on and source_date and closed_on < source_date:
            row.error("closed_on", "办结日期不能早于来源日期。")
    elif status == ItemStatus.ISSUED:
        if closed_on:
            row.error("closed_on", "状态为“办理中”时不填办结日期；已办结的请把状态填为“已办结”。")
        if grade or score is not None:
            row.error("grade" if grade else "score", "只有“已办结”的事项填写评价和得分。")
    if row.failed:
        return None
    return ImportRow(row=row.number, title=title, source_kind=source_kind, content=content, due_on=due_on,
                     leads=leads, cos=cos, status=status, source_number=source_number, source_date=source_date,
                     importance=importance, leader=leader, responsible_person=person, closed_on=closed_on,
                     grade=grade, score=score, note=note)


def _header(cells) -> tuple[dict[str, int], list[RowError]]:
    return read_header(cells, HEADERS, COLUMNS)


def read_list(session: Session, data: bytes, *, max_rows: int = MAX_ROWS) -> ParsedList:
    """Check a whole task list. Never raises for a bad file: every problem is a RowError."""
    if len(data) > MAX_FILE_BYTES:
        return ParsedList(errors=[RowError(None, "", f"文件超过 {MAX_FILE_BYTES // (1024 * 1024)} MB。")])
    rows, problem = _sheet_rows(data, max_rows)
    if problem:
        return ParsedList(errors=[RowError(None, "", problem)])
    if not rows:
        return ParsedList(errors=[RowError(None, "", "文件中没有内容。请使用下载的导入模板，第 1 行为列名。")])
    positions, header_errors = _header(rows[0][1])
    if header_errors:
        return ParsedList(errors=header_errors)
    reference = _Reference(session)
    parsed, valid, data_rows = ParsedList(), [], 0
    for number, cells in rows[1:]:
        if not any(as_text(value) for value in cells):
            continue
        data_rows += 1
        if data_rows > max_rows:
            return ParsedList(errors=[RowError(None, "", f"文件超过 {max_rows} 行，请分成几个文件导入。")])
        values = {key: cells[index] if index < len(cells) else None for key, index in positions.items()}
        checked = _check_row(_Row(number, values, reference, parsed.errors))
        if checked is not None:
            valid.append(checked)
    if data_rows == 0 and not parsed.errors:
        return ParsedList(errors=[RowError(None, "", "文件中只有列名，没有数据行。请从第 2 行起每行填写一个督查事项。")])
    if parsed.errors:
        order = {c.header: n for n, c in enumerate(COLUMNS)}
        parsed.errors.sort(key=lambda e: (e.row or 0, order.get(e.column, -1)))  # as the clerk reads the sheet
        return parsed
    parsed.rows, parsed.duplicates = _without_duplicates(session, valid)
    return parsed


def _key(title: str, due_on: date) -> tuple[str, date]:
    return _squash(title), due_on


def _without_duplicates(session: Session, rows: list[ImportRow]) -> tuple[list[ImportRow], list]:
    """Skip rows already in the system (same name and deadline) or entered twice in the file."""
    existing: dict[tuple[str, date], str] = {}
    days = sorted({row.due_on for row in rows})
    for start in range(0, len(days), 500):
        for title, due_on, serial in session.execute(
                select(TaskItem.title, TaskItem.due_on, TaskItem.serial)
                .where(TaskItem.due_on.in_(days[start:start + 500]), TaskItem.status != ItemStatus.CANCELLED)):
            existing.setdefault(_key(title, due_on), serial)
    keep, skipped, first = [], [], {}
    for row in rows:
        key = _key(row.title, row.due_on)
        if key in existing:
            skipped.append((row.row, row.title, f"与已有督查事项 {existing[key]} 的名称、办结时限相同。"))
        elif key in first:
            skipped.append((row.row, row.title, f"与第 {first[key]} 行的名称、办结时限相同。"))
        else:
            first[key] = row.row
            keep.append(row)
    return keep, skipped


# --- writing ------------------------------------------------------------------------------------
LOCK = "lock:task_import"


@dataclass
class ImportResult:
    item_ids: list[int]
    serials: list[str]
    skipped: int


def import_list(session: Session, actor: User, parsed: ParsedList, *, file_name: str = "",
                file_sha256: str = "") -> ImportResult:
    """Create the items and tasks of a checked list. Never commits: nothing is written unless all is."""
    if not permissions.can_manage_task_items(actor):
        raise PermissionDenied("只有督查人员可以导入督查任务清单。")
    if not parsed.ok:
        raise ValidationError("导入文件有错误，未导入任何事项。请改正后重新上传。")
    sequences.hold(session, LOCK)  # one confirmation at a time: a second one finds the rows imported
    rows, taken = _without_duplicates(session, parsed.rows)
    if not rows:
        raise ValidationError("没有可导入的督查事项：文件中的事项都已在系统中。")
    now, today = clock.now(), clock.today()
    items: list[tuple[TaskItem, ImportRow]] = []
    rows = sorted(rows, key=lambda r: (r.due_on.year, r.row))
    # The numbers of each year in one statement, and the calendar read once: a list of 2,000 rows took a
    # statement per number and per task and flushed each item on its own (44 s in the confirming request).
    per_year = Counter(row.due_on.year for row in rows)
    numbers = {year: iter(sequences.next_values(session, "task_item", year, n)) for year, n in sorted(per_year.items())}
    calendar = office_calendar(session)
    for row in rows:
        year = row.due_on.year
        seq = next(numbers[year])
        closed = row.status == ItemStatus.CLOSED
        issued_on = row.source_date or min(today, row.due_on)
        content = row.content + (f"\n备注：{row.note}" if row.note else "") + "\n" + IMPORTED_NOTE
        item = TaskItem(year=year, seq=seq, serial=task_services.format_serial(year, seq),
                        source_kind=row.source_kind, source_number=row.source_number, source_date=row.source_date,
                        title=row.title, content=content[:_length(TaskItem, "content")], importance=row.importance,
                        leader_id=row.leader.id if row.leader else None, due_on=row.due_on,
                        status=row.status, registered_at=now, registered_by_id=actor.id, issued_on=issued_on,
                        issued_at=datetime.combine(issued_on, time(9)), issued_by_id=actor.id,
                        closed_at=datetime.combine(row.closed_on, time(17)) if closed else None)
        session.add(item)
        units = [(d, TaskRole.LEAD) for d in row.leads] + [(d, TaskRole.CO) for d in row.cos]
        for department, role in units:
            task = Task(item=item, department_id=department.id, role=role, due_on=row.due_on, created_by_id=actor.id,
                        responsible_person=row.responsible_person if role == TaskRole.LEAD else "",
                        status=TaskStatus.CLOSED if closed else TaskStatus.RECEIVED,
                        assigned_at=item.issued_at, received_at=item.issued_at,
                        progress=100 if closed else 0, milestones=[])
            if closed:
                task.closed_at = item.closed_at
                task.closed_late = row.closed_on > row.due_on
                if role == TaskRole.LEAD and (row.grade or row.score is not None):
                    task.grade, task.score = row.grade, row.score
                    task.graded_at, task.graded_by_id = now, actor.id
            session.add(task)
        items.append((item, row))
    with session.no_autoflush:
        for item, _ in items:
            for task in item.tasks:  # a running task is watched from today: its next report, its deadline
                task_services.refresh_task(session, task, calendar=calendar)
            task_services.refresh_item(item)
    session.flush()
    audit.record_many(session, actor, [
        ("task_item.imported", item, f"自任务清单导入督查事项 {item.serial}",
         {"row": row.row, "status": row.status.value, "tasks": len(item.tasks)}) for item, row in items])
    serials = [item.serial for item, _ in items]
    audit.record(session, actor, "task_list.imported", ("task_import", None),
                 f"导入督查任务清单 {file_name}：{len(items)} 项，跳过重复 {len(parsed.duplicates) + len(taken)} 项",
                 {"file": file_name, "sha256": file_sha256, "imported": len(items),
                  "skipped": len(parsed.duplicates) + len(taken), "serials": serials[:1] + serials[-1:]})
    return ImportResult([item.id for item, _ in items], serials, len(parsed.duplicates) + len(taken))


# --- the template -------------------------------------------------------------------------------------
_KINDS = {"source_date": "date", "due_on": "date", "closed_on": "date", "score": "int"}


def build_template(path: str) -> None:
    example = [c.example for c in COLUMNS]
    rules = [[c.header, "必填" if c.required else "", c.rule + (f"不超过 {c.max_length} 个字。" if c.max_length else "")]
             for c in COLUMNS]
    write_workbook(path, [
        Sheet("督查任务清单", [Column(c.header, 14 if c.max_length is None else 24, _KINDS.get(c.key, "text"))
                            for c in COLUMNS], [example]),
        Sheet("填写说明", [Column("列名", 12), Column("是否必填", 9), Column("填写要求", 80)], rules,
              ("第 1 行为列名，请勿修改；从第 2 行起每行一个督查事项（示例行请删除或改写）。"
               f"一次最多 {MAX_ROWS} 行。名称和办结时限与系统中已有事项相同的，视为重复，不再导入。",)),
    ])
