"""The template of a legacy ledger (历史台账导入): ``COLUMNS`` is the one definition of what a ledger row
holds (Chinese header, required or not, type, allowed values, length limits read from the model
columns); the download, the 填写说明 sheet, the upload page and the validator (``importing``) are all
built from it. ``importing`` re-exports these names."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from io import BytesIO

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy import select
from sqlalchemy.orm import Session

from supervision import clock
from supervision.ledgers.xlsx import clean_text
from supervision.models.base import text_length
from supervision.models.matters import (
    CHANNELS_BY_KIND,
    Category,
    Channel,
    Complainant,
    Matter,
    MatterEvent,
    MatterKind,
    MatterStatus,
    Satisfaction,
)
from supervision.models.org import Department

M = Matter.__table__.c
C = Complainant.__table__.c

MAX_ROWS = 20_000  # data rows in one file; a bigger ledger is split by year
MAX_FILE_BYTES = 10 * 1024 * 1024  # a 20,000-row ledger is about 3 MB
MAX_COLUMNS = 60  # cells read per row: a sheet formatted to column XFD costs nothing
ERRORS_SHOWN = 2000  # on the page; the count of all is always shown
EARLIEST_DATE = date(2000, 1, 1)  # an older date is a typo (1926 for 2026), not a legacy matter
ORIGINAL_NUMBER_MAX = 40  # 原编号: Matter.original_number (and the "imported" event's text)
LEDGER_SOURCE = "ledger"  # Matter.original_source of the office's legacy ledgers: one numbering
IMPORTED_EVENT = "imported"
IMPORTED_PREFIX = "自台账导入"
NOTE_PREFIX = "台账备注："
RESULT_PREFIX = "台账记载的办理结果："

# The states a legacy row may be in, by the label a clerk writes (MatterStatus labels: one place).
IMPORT_STATUSES = (MatterStatus.CLOSED, MatterStatus.IN_PROGRESS, MatterStatus.ACCEPTED, MatterStatus.NOT_ACCEPTED)
YES, NO = "是", "否"


# --- the template ------------------------------------------------------------------------------
@dataclass(frozen=True)
class TemplateColumn:
    key: str
    header: str
    kind: str  # text | date | choice | yesno | department | category
    required: bool = False
    max_length: int | None = None
    choices: tuple[str, ...] = ()  # fixed allowed values (labels); departments/categories come from the db
    rule: str = ""  # the sentence in 填写说明 and on the upload page
    aliases: tuple[str, ...] = ()  # other headers clerks' own ledgers use for the same column
    width: int = 14

    @property
    def requirement(self) -> str:
        return "必填" if self.required else ("条件必填" if "必填" in self.rule else "选填")


def _labels(members: Iterable) -> tuple[str, ...]:
    return tuple(member.label for member in members)


COLUMNS: tuple[TemplateColumn, ...] = (
    TemplateColumn("original_number", "原编号", "text", max_length=ORIGINAL_NUMBER_MAX, width=14,
                   rule="原台账中的编号。用于识别重复导入：同一原编号已导入过的行将被跳过。",
                   aliases=("编号", "原台账编号")),
    TemplateColumn("kind", "类型", "choice", required=True, choices=_labels(MatterKind), width=10,
                   aliases=("事项类型",)),
    TemplateColumn("channel", "渠道", "choice", required=True, choices=_labels(Channel), width=12,
                   rule="须与类型相符：" + "；".join(f"{kind.label}：{'、'.join(_labels(channels))}"
                                                    for kind, channels in CHANNELS_BY_KIND.items()) + "。",
                   aliases=("来源渠道", "来源")),
    TemplateColumn("received_on", "受理日期", "date", required=True, width=12,
                   rule="收到（登记）该事项的日期，不晚于今天。检查发现填检查日期。",
                   aliases=("收件日期", "登记日期")),
    TemplateColumn("title", "标题", "text", required=True, max_length=text_length(M.title), width=30,
                   aliases=("事由",)),
    TemplateColumn("content", "内容", "text", required=True, max_length=text_length(M.content), width=40,
                   rule="反映的原始内容（仅办公室人员可见）。检查发现：每行一条发现的问题。",
                   aliases=("反映内容",)),
    TemplateColumn("summary", "摘要", "text", max_length=text_length(M.summary), width=30,
                   rule="交办单位能看到的内容摘要，不得含反映人信息。填写了主办单位时必填。",
                   aliases=("内容摘要",)),
    TemplateColumn("category", "问题类别", "category", width=12,
                   rule="须为该类型在系统中启用的问题类别（见“可选值”表）。", aliases=("类别",)),
    TemplateColumn("respondent_unit", "被反映单位", "text", max_length=text_length(M.respondent_unit), width=22,
                   rule="被投诉或被检查的单位；与系统中单位名称一致时自动关联该单位。",
                   aliases=("被投诉单位", "被检查单位")),
    TemplateColumn("respondent_person", "被反映人", "text", max_length=text_length(M.respondent_person),
                   width=12, aliases=("被投诉人",)),
    TemplateColumn("complainant_name", "反映人姓名", "text", max_length=text_length(C.name), width=12,
                   rule="单独保存，仅受理、督查人员和领导可见；匿名事项不填。", aliases=("投诉人姓名", "反映人", "投诉人")),
    TemplateColumn("phone", "联系电话", "text", max_length=text_length(C.phone), width=14,
                   rule="单独保存，仅受理、督查人员和领导可见；匿名事项不填。", aliases=("电话",)),
    TemplateColumn("anonymous", "是否匿名", "yesno", choices=(YES, NO), width=10, rule="空白视为“否”。",
                   aliases=("匿名",)),
    TemplateColumn("confidential", "要求保密", "yesno", choices=(YES, NO), width=10, rule="空白视为“否”。",
                   aliases=("是否保密",)),
    TemplateColumn("lead", "主办单位", "department", width=22,
                   rule="系统中的单位名称（见“可选值”表）。状态为“办理中”时必填；“已受理”“不予受理”时不填。",
                   aliases=("承办单位",)),
    TemplateColumn("assigned_on", "交办日期", "date", width=12,
                   rule="填写了主办单位时必填；不早于受理日期。"),
    TemplateColumn("due_on", "办理期限", "date", width=12,
                   rule="不早于交办日期；不填则按系统的办理时限从交办日期起算。", aliases=("办理时限",)),
    TemplateColumn("status", "状态", "choice", required=True, choices=_labels(IMPORT_STATUSES), width=10,
                   rule="已办结；办理中（已交办单位，正在办理）；已受理（尚未交办，导入后在系统中交办）；不予受理。",
                   aliases=("办理状态",)),
    TemplateColumn("closed_on", "办结日期", "date", width=12,
                   rule="状态为“已办结”时必填，其他状态不填；不早于受理日期和交办日期，不晚于今天。"),
    TemplateColumn("result", "办理结果", "text", max_length=text_length(M.decision_reason), width=30,
                   rule="单位的办理结果；状态为“不予受理”时必填，填写不予受理的理由。"),
    TemplateColumn("satisfaction", "满意度", "choice", choices=_labels(Satisfaction), width=10,
                   rule="回访结果，仅“已办结”的事项填写。", aliases=("回访结果",)),
    TemplateColumn("note", "备注", "text", max_length=text_length(MatterEvent.__table__.c.text) - len(NOTE_PREFIX),
                   width=20, rule="记入事项的办理过程，仅办公室人员可见。"),
)
COLUMN_BY_KEY = {column.key: column for column in COLUMNS}
TEMPLATE_SHEET, RULES_SHEET, VALUES_SHEET = "台账", "填写说明", "可选值"
TEMPLATE_ROWS = 2000  # rows prepared with drop-down lists in the template (more rows may be added)


def column_rule(column: TemplateColumn) -> str:
    """The format part of a column's rule: its type and length limit."""
    parts = {"date": ["日期，如 2026-03-05、2026/3/5 或 2026年3月5日"],
             "yesno": ["填“是”或“否”"],
             "choice": ["从下拉列表选择"], "department": [], "category": []}.get(column.kind, [])
    if column.max_length:
        parts.append(f"不超过 {column.max_length} 个字")
    if column.rule:
        parts.append(column.rule)
    return "；".join(part.rstrip("。") for part in parts) + "。"


@dataclass(frozen=True)
class Reference:
    """What a ledger row is checked against: the office's departments and categories, and today."""

    departments: dict[str, Department]
    categories: dict[tuple[MatterKind, str], Category]
    today: date

    @classmethod
    def load(cls, session: Session) -> Reference:
        return cls(
            departments={d.name: d for d in session.scalars(select(Department).order_by(Department.code))},
            categories={(c.matter_kind, c.name): c for c in session.scalars(
                select(Category).where(Category.active).order_by(Category.matter_kind, Category.sort_order))},
            today=clock.today())

    def active_department_names(self) -> list[str]:
        return [name for name, d in self.departments.items() if d.active]

    def category_names(self, kind: MatterKind) -> list[str]:
        return [name for (k, name) in self.categories if k == kind]


def build_template(session: Session) -> bytes:
    """The template .xlsx: the header row with drop-down lists, the rules, and the allowed values.

    Built in ordinary (not write-only) mode: data validation lists need it, and the file is small.
    """
    reference = Reference.load(session)
    wb = Workbook()
    ws = wb.active
    ws.title = TEMPLATE_SHEET
    header_fill = PatternFill("solid", fgColor="DDE6F0")
    for index, column in enumerate(COLUMNS, start=1):
        cell = ws.cell(row=1, column=index, value=column.header)
        cell.font = Font(bold=True, color="C00000" if column.required else "000000")
        cell.fill = header_fill
        cell.alignment = Alignment(vertical="center")
        comment = Comment(f"{column.requirement}。{column_rule(column)}", "督查督办")
        comment.width, comment.height = 300, 120
        cell.comment = comment
        ws.column_dimensions[get_column_letter(index)].width = column.width
        if column.kind == "date":  # typed dates show as dates; text dates are accepted too
            ws.column_dimensions[get_column_letter(index)].number_format = "yyyy-mm-dd"
    ws.freeze_panes = "A2"

    # 可选值: one column per list; the drop-downs of the first sheet point here.
    values = wb.create_sheet(VALUES_SHEET)
    lists: list[tuple[str, list[str]]] = [
        ("类型", list(COLUMN_BY_KEY["kind"].choices)),
        ("渠道", list(COLUMN_BY_KEY["channel"].choices)),
        ("状态", list(COLUMN_BY_KEY["status"].choices)),
        ("满意度", list(COLUMN_BY_KEY["satisfaction"].choices)),
        ("是/否", [YES, NO]),
        ("单位", reference.active_department_names()),
        ("问题类别（全部）", list(dict.fromkeys(name for (_, name) in reference.categories))),
        *[(f"问题类别（{kind.label}）", reference.category_names(kind)) for kind in MatterKind],
        *[(f"渠道（{kind.label}）", list(_labels(channels))) for kind, channels in CHANNELS_BY_KIND.items()],
    ]
    ranges: dict[str, str] = {}
    for index, (title, items) in enumerate(lists, start=1):
        letter = get_column_letter(index)
        values.column_dimensions[letter].width = 22
        values.cell(row=1, column=index, value=title).font = Font(bold=True)
        for row, item in enumerate(items, start=2):
            cell = values.cell(row=row, column=index, value=clean_text(item))
            cell.data_type = "s"  # a department name is never a formula
        ranges[title] = f"'{VALUES_SHEET}'!${letter}$2:${letter}${max(len(items) + 1, 2)}"
    list_for = {"kind": "类型", "channel": "渠道", "status": "状态", "satisfaction": "满意度",
                "anonymous": "是/否", "confidential": "是/否", "lead": "单位", "category": "问题类别（全部）"}
    for index, column in enumerate(COLUMNS, start=1):
        if column.key not in list_for:
            continue
        validation = DataValidation(type="list", formula1=f"={ranges[list_for[column.key]]}", allow_blank=True,
                                    showErrorMessage=True, errorTitle="不在可选范围内",
                                    error=f"请从下拉列表中选择{column.header}。")
        ws.add_data_validation(validation)
        letter = get_column_letter(index)
        validation.add(f"{letter}2:{letter}{TEMPLATE_ROWS + 1}")

    rules = wb.create_sheet(RULES_SHEET, index=1)
    notes = [
        "填写说明",
        f"1. 在“{TEMPLATE_SHEET}”表中每行填写一件事项，第 1 行为列名，请勿修改、删除列名（列的顺序可以调整）。红色列名为必填列。",
        f"2. 一个文件最多 {MAX_ROWS} 行、{MAX_FILE_BYTES // (1024 * 1024)} MB；台账较大时请按年度分成几个文件。",
        "3. 日期可以是 Excel 日期，也可以写成 2026-03-05、2026/3/5 或 2026年3月5日。",
        "4. 上传后系统逐行检查：只要有一处错误，整个文件都不导入，并列出每处错误所在的行和列；改正后重新上传。",
        "5. 重复事项（原编号已导入过，或受理日期、标题、被反映单位与已有事项或文件中前面的行相同）在预览中列出，确认导入时跳过。",
        "6. 导入的事项按受理日期的年份编号（如 XT-2025-00017），不发通知，也不生成交办单。",
        "",
    ]
    for line in notes:
        rules.append([line])
    rules["A1"].font = Font(bold=True, size=14)
    header_row = len(notes) + 1
    rules.append(["列名", "是否必填", "格式与规则", "可填的值"])
    for cell in rules[header_row]:
        cell.font, cell.fill = Font(bold=True), header_fill
    dynamic = {"lead": f"见“{VALUES_SHEET}”表的“单位”列",
               "category": "；".join(f"{kind.label}：{'、'.join(reference.category_names(kind))}"
                                     for kind in MatterKind)}
    for column in COLUMNS:
        allowed = dynamic.get(column.key) or "、".join(column.choices)
        rules.append([column.header, column.requirement, column_rule(column), allowed])
    for letter, width in zip("ABCD", (14, 10, 70, 50), strict=True):
        rules.column_dimensions[letter].width = width
    for row in rules.iter_rows(min_row=header_row + 1):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            cell.data_type = "s"

    buffer = BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
