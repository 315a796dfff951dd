"""GB/T 9704-2012 in numbers and words: the page and type (every layout number, defined once), the
office's fonts, names and document-number prefixes, and the text conventions (dates, numbers, heading
labels). No python-docx objects are built here; ``layout`` builds the page from these and re-exports
every name, so ``from supervision.paperwork.layout import …`` works for them as before."""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from types import MappingProxyType

from docx.shared import Emu, Mm, Pt

# --------------------------------------------------------------------------------------------
# Page and type (GB/T 9704-2012 §5, §7).  Each number lives here and nowhere else.
# --------------------------------------------------------------------------------------------

PAGE_WIDTH = Mm(210)  # A4
PAGE_HEIGHT = Mm(297)
MARGIN_TOP = Mm(37)  # 天头
MARGIN_LEFT = Mm(28)  # 订口
MARGIN_RIGHT = Mm(26)
MARGIN_BOTTOM = Mm(35)
TEXT_WIDTH = Emu(PAGE_WIDTH - MARGIN_LEFT - MARGIN_RIGHT)  # 156 mm
TEXT_HEIGHT = Emu(PAGE_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM)  # 225 mm
LINES_PER_PAGE = 22
CHARS_PER_LINE = 28

BODY_SIZE = Pt(16)  # 3号: body, headings, 文号, signature
TITLE_SIZE = Pt(22)  # 2号: organ name and document title
SMALL_SIZE = Pt(14)  # 4号: page numbers, 抄送/印发, form tables
REGISTER_SIZE = Pt(12)  # 小4号: the many-column 谈话登记表

PAGE_NUMBER_GAP = Mm(7)  # the page-number line sits 7 mm below the text block (§7.5)
FIRST_LINE_INDENT_CHARS = 2
SIGNATURE_RIGHT_CHARS = 4  # 成文日期右空四字 (§7.3.5.1)
SIGNATURE_MIN_RIGHT_CHARS = 2  # a long 署名 keeps two characters from the right edge
SEAL_SPACE_LINES = 2  # blank lines above the signature where the seal is pressed
IMPRINT_SIDE_CHARS = 1  # 抄送/印发 左右各空一字 (§7.4)
IMPRINT_THICK_RULE = 8  # 版记 first and last rules, eighths of a point (1 pt ≈ 0.35 mm)
IMPRINT_THIN_RULE = 6  # the rule between 抄送 and 印发 (0.75 pt ≈ 0.25 mm)
TABLE_CELL_MARGIN = Mm(1.5)

_TWIPS_PER_PT = 20
_EMU_PER_TWIP = 635

# The document grid.  Word/WPS lay a "linesAndChars" grid over the text block:
#   line pitch = 225 mm / 22 lines = 10.227 mm = 28.99 pt = 579.8 twips.  Rounding *down* to
#   579 twips (28.95 pt, the figure printed in every 公文 template) keeps 22 × 579 = 12738 twips
#   inside the 12756-twip block, so the 22nd line never spills onto the next page.
#   char pitch = 156 mm / 28 chars = 5.571 mm = 15.793 pt.  w:charSpace is the difference from
#   the 16 pt body font in 1/4096 pt: (15.793 − 16) × 4096 = −847.8, rounded down to −848 so
#   that 28 characters still fit on the line.
LINE_PITCH_TWIPS = math.floor(TEXT_HEIGHT / _EMU_PER_TWIP / LINES_PER_PAGE)
CHAR_SPACE = math.floor((TEXT_WIDTH / Pt(1) / CHARS_PER_LINE - BODY_SIZE / Pt(1)) * 4096)
LINE_SPACING = Emu(LINE_PITCH_TWIPS * _EMU_PER_TWIP)  # fixed line spacing = the grid pitch
# LibreOffice cannot squeeze a 16 pt character into a 15.79 pt grid cell (it takes two cells,
# halving the line), so for LibreOffice the char grid is dropped and the body font condensed by
# the same 0.207 pt, rounded down to the 1/20 pt Word stores: −5 (−0.25 pt), 28 × 15.75 ≤ 442.2.
LIBREOFFICE_CONDENSE = math.floor(CHAR_SPACE / 4096 * _TWIPS_PER_PT)
# Footer distance is measured from the paper edge to the bottom of the footer line.
FOOTER_DISTANCE = Emu(MARGIN_BOTTOM - PAGE_NUMBER_GAP - SMALL_SIZE)

PROVISIONAL_MARK = "（推定）"
# Lines that close a notice above its signature: never left alone with it on a page.
CLOSING_LINES = ("特此", "联系人", "联系电话", "附件", "\u3000\u3000\u3000")
SEAL_PLACEHOLDER = "（盖章）"
# Em dash U+2014 is the 一字线 of §7.5: "— 1 —".
PAGE_NUMBER_DASH = "\u2014"


# --------------------------------------------------------------------------------------------
# The office: fonts, names, document-number prefixes
# --------------------------------------------------------------------------------------------

DEFAULT_DOC_PREFIXES: Mapping[str, str] = MappingProxyType(
    {
        "assignment": "效交",
        "reminder": "效催",
        "escalation": "效督",
        "rectification": "效整",
        "inquiry": "函询",
        "admonition": "诫勉",
        "appeal_decision": "诫申",  # 申诉处理决定书 (诫勉的申诉, 问责条例 §21)
        "clearance": "澄清",  # 澄清正名通知书 (问题线索)
        "clue_acceptance_notice": "线受告",  # 受理告知书 to the reporter of a clue (问题线索)
        "clue_result_notice": "线结告",  # 处理结果告知书 to the reporter of a clue
        "work_report": "效报",
        "task_bulletin": "督通",  # 督查通报 (督查事项)
        "task_report": "督专",  # 督查专报 (督查事项)
        "task_notice": "督查",  # 督查通知 (督查事项)
        # notices to the complainant (SPEC §11), numbered per kind
        "acceptance_notice": "效受告",
        "refusal_notice": "效不受告",
        "transfer_notice": "效交告",
        "extension_notice": "效延告",
        "answer_notice": "效处",
        "review_notice": "效复查",
        "re_review_notice": "效复核",
    }
)


@dataclass(frozen=True)
class Fonts:
    """Font family names as installed on the office's machines (仿宋_GB2312 or 仿宋, …)."""

    body: str = "仿宋_GB2312"
    title: str = "方正小标宋简体"
    heading1: str = "黑体"
    heading2: str = "楷体_GB2312"
    page_number: str = "宋体"


@dataclass(frozen=True)
class OfficeProfile:
    office_name: str
    seal_text: str = ""  # the name the office signs with (as on its seal); "" → office_name
    doc_prefixes: Mapping[str, str] = field(
        default_factory=lambda: dict(DEFAULT_DOC_PREFIXES), hash=False
    )
    fonts: Fonts = Fonts()
    contact_person: str = ""
    contact_phone: str = ""
    copy_to: tuple[str, ...] = ()  # default 抄送 for notices
    printed_by: str = ""  # 印发机关; "" → office_name

    def __post_init__(self) -> None:
        # Frozen means frozen: the prefixes cannot be changed behind the profile's back.
        object.__setattr__(self, "doc_prefixes", MappingProxyType(dict(self.doc_prefixes)))

    @property
    def signature_name(self) -> str:
        return self.seal_text or self.office_name

    @property
    def printer_name(self) -> str:
        return self.printed_by or self.office_name

    def prefix(self, doc_type: str) -> str:
        try:
            return self.doc_prefixes[doc_type]
        except KeyError:
            raise KeyError(f"office profile has no document prefix for {doc_type!r}") from None


# --------------------------------------------------------------------------------------------
# Text conventions
# --------------------------------------------------------------------------------------------

_CN_DIGITS = "零一二三四五六七八九"


def format_doc_number(prefix: str, year: int, seq: int) -> str:
    """发文字号 per §7.2.4: ``效整〔2026〕7号`` — 〔〕 brackets, no leading zeros, no 第."""
    if not prefix:
        raise ValueError("a document number needs the office's 机关代字")
    if int(seq) < 1 or int(year) < 1000:
        raise ValueError(f"invalid document number {year}/{seq}")
    return f"{prefix}〔{int(year)}〕{int(seq)}号"


def format_cn_date(value: date) -> str:
    """成文日期 per §7.3.5: ``2026年7月1日`` — Arabic digits, no leading zeros."""
    return f"{value.year}年{value.month}月{value.day}日"


def format_cn_datetime(value: datetime) -> str:
    """``2026年7月1日9时30分`` (24-hour clock, no leading zeros; ``9时`` on the hour)."""
    minutes = f"{value.minute}分" if value.minute else ""
    return f"{format_cn_date(value)}{value.hour}时{minutes}"


def format_cn_time(value: datetime) -> str:
    return f"{value.hour}时{value.minute}分" if value.minute else f"{value.hour}时"


def carries_provisional(data) -> bool:
    """Whether a document's data prints a provisional (推定) date: a ``*provisional`` flag set anywhere in
    it, or a text already marked with the 推定 mark (a notice's paragraphs). The register of generated
    documents audits it (docs/domain.md §7)."""
    if isinstance(data, str):
        return PROVISIONAL_MARK in data
    if isinstance(data, (tuple, list)):
        return any(carries_provisional(item) for item in data)
    fields = getattr(data, "__dataclass_fields__", None)
    if not fields:
        return False
    for name in fields:
        value = getattr(data, name)
        if "provisional" in name and value is True:
            return True
        if isinstance(value, (str, tuple, list)) or hasattr(value, "__dataclass_fields__"):
            if carries_provisional(value):
                return True
    return False


def format_deadline(value: date, provisional: bool = False) -> str:
    """A deadline computed with the fallback calendar is shown as provisional (docs/domain.md §6)."""
    return format_cn_date(value) + (PROVISIONAL_MARK if provisional else "")


def cn_numeral(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 20 → 二十, 99 → 九十九 (for 一、 and （一） numbering)."""
    if not 1 <= n <= 99:
        raise ValueError(f"cannot number item {n} in Chinese")
    tens, units = divmod(n, 10)
    if tens == 0:
        return _CN_DIGITS[units]
    return ("" if tens == 1 else _CN_DIGITS[tens]) + "十" + (_CN_DIGITS[units] if units else "")


def heading_label(level: int, n: int) -> str:
    """The GB/T 9704 §7.3.3 sequence: 一、 / （一） / 1． / （1）."""
    if level == 1:
        return f"{cn_numeral(n)}、"
    if level == 2:
        return f"（{cn_numeral(n)}）"
    if level == 3:
        return f"{n}．"
    if level == 4:
        return f"（{n}）"
    raise ValueError(f"no heading level {level}")


def text_width_chars(text: str) -> float:
    """Width in 全角 characters: Arabic digits and Latin letters are half-width."""
    return sum(0.5 if unicodedata.east_asian_width(ch) in "NaH" else 1.0 for ch in text)


def join_cn(items: Sequence[str]) -> str:
    return "、".join(i for i in items if i)
