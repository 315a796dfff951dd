"""The one GB/T 9704-2012 page setup every generated document shares.

Every layout number (paper, margins, grid, font sizes, spacing) is defined once, in ``standard``
(re-exported here); this module builds the page from them. The builders only say *what* goes on the
page.  Fonts and names come from an :class:`OfficeProfile`.
Nothing here knows about Flask or the database.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from io import BytesIO
from xml.sax.saxutils import escape as xml_escape

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Emu, Length, Mm, Pt
from docx.table import Table
from docx.text.paragraph import Paragraph

from supervision.paperwork.standard import (  # noqa: F401  (moved out of this module; importable here as before)
    BODY_SIZE,
    CHARS_PER_LINE,
    CHAR_SPACE,
    CLOSING_LINES,
    DEFAULT_DOC_PREFIXES,
    FIRST_LINE_INDENT_CHARS,
    FOOTER_DISTANCE,
    IMPRINT_SIDE_CHARS,
    IMPRINT_THICK_RULE,
    IMPRINT_THIN_RULE,
    LIBREOFFICE_CONDENSE,
    LINES_PER_PAGE,
    LINE_PITCH_TWIPS,
    LINE_SPACING,
    MARGIN_BOTTOM,
    MARGIN_LEFT,
    MARGIN_RIGHT,
    MARGIN_TOP,
    PAGE_HEIGHT,
    PAGE_NUMBER_DASH,
    PAGE_NUMBER_GAP,
    PAGE_WIDTH,
    PROVISIONAL_MARK,
    REGISTER_SIZE,
    SEAL_PLACEHOLDER,
    SEAL_SPACE_LINES,
    SIGNATURE_MIN_RIGHT_CHARS,
    SIGNATURE_RIGHT_CHARS,
    SMALL_SIZE,
    TABLE_CELL_MARGIN,
    TEXT_HEIGHT,
    TEXT_WIDTH,
    TITLE_SIZE,
    _EMU_PER_TWIP,
    _TWIPS_PER_PT,
    Fonts,
    OfficeProfile,
    cn_numeral,
    format_cn_date,
    format_cn_datetime,
    format_cn_time,
    format_deadline,
    format_doc_number,
    heading_label,
    join_cn,
    text_width_chars,
)

# --------------------------------------------------------------------------------------------
# Low-level XML
# --------------------------------------------------------------------------------------------

# Child order of w:pPr (ECMA-376 §17.3.1.26); elements python-docx does not model are inserted
# at their place in this sequence.
_PPR_ORDER = (
    "pStyle keepNext keepLines pageBreakBefore framePr widowControl numPr suppressLineNumbers "
    "pBdr shd tabs suppressAutoHyphens kinsoku wordWrap overflowPunct topLinePunct autoSpaceDE "
    "autoSpaceDN bidi adjustRightInd snapToGrid spacing ind contextualSpacing mirrorIndents "
    "suppressOverlap jc textDirection textAlignment textboxTightWrap outlineLvl divId cnfStyle "
    "rPr sectPr pPrChange"
).split()


def _element(tag: str, **attrs: str | int) -> OxmlElement:
    el = OxmlElement(f"w:{tag}")
    for key, value in attrs.items():
        el.set(qn(f"w:{key}"), str(value))
    return el


def _replace_ppr_child(pPr, el) -> None:
    tag = el.tag.rsplit("}", 1)[1]
    for old in pPr.findall(qn(f"w:{tag}")):
        pPr.remove(old)
    successors = _PPR_ORDER[_PPR_ORDER.index(tag) + 1 :]
    pPr.insert_element_before(el, *(f"w:{t}" for t in successors))


def set_fonts(rPr, family: str) -> None:
    """Write one family for Latin, East Asian and complex script text.

    python-docx ``font.name`` sets only w:ascii/w:hAnsi; Chinese text is drawn with w:eastAsia.
    Theme attributes would override the explicit names, so they are removed.
    """
    rFonts = rPr.get_or_add_rFonts()
    for attr in ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme"):
        rFonts.attrib.pop(qn(f"w:{attr}"), None)
    for attr in ("ascii", "hAnsi", "eastAsia", "cs"):
        rFonts.set(qn(f"w:{attr}"), family)


def _set_size(rPr, size: Length) -> None:
    half_points = str(round(size / Pt(1) * 2))
    rPr.get_or_add_sz().set(qn("w:val"), half_points)
    for old in rPr.findall(qn("w:szCs")):
        rPr.remove(old)
    rPr.get_or_add_sz().addnext(_element("szCs", val=half_points))


def _set_spacing(pPr, exact: Length | None) -> None:
    spacing = pPr.get_or_add_spacing()
    spacing.set(qn("w:before"), "0")
    spacing.set(qn("w:after"), "0")
    if exact is None:  # single spacing, used inside tables
        spacing.set(qn("w:line"), "240")
        spacing.set(qn("w:lineRule"), "auto")
    else:
        spacing.set(qn("w:line"), str(round(exact / _EMU_PER_TWIP)))
        spacing.set(qn("w:lineRule"), "exact")


def _set_indent(
    pPr,
    *,
    first_chars: float = 0,
    left_chars: float = 0,
    right_chars: float = 0,
    char: Length = BODY_SIZE,
) -> None:
    """Indent in characters, written both as *Chars (Word, WPS) and as twips (other readers)."""
    ind = pPr.get_or_add_ind()
    ind.attrib.clear()
    twips_per_char = char / Pt(1) * _TWIPS_PER_PT
    for side, chars in (("left", left_chars), ("right", right_chars)):
        ind.set(qn(f"w:{side}"), str(round(chars * twips_per_char)))
        ind.set(qn(f"w:{side}Chars"), str(round(chars * 100)))
    if first_chars >= 0:
        ind.set(qn("w:firstLine"), str(round(first_chars * twips_per_char)))
        ind.set(qn("w:firstLineChars"), str(round(first_chars * 100)))
    else:
        ind.set(qn("w:hanging"), str(round(-first_chars * twips_per_char)))
        ind.set(qn("w:hangingChars"), str(round(-first_chars * 100)))


def _set_jc(pPr, value: str) -> None:
    pPr.get_or_add_jc().set(qn("w:val"), value)


def _imprint_frame():
    """The frame of the 版记: the text block's width, at the bottom of the margin box."""
    width = round(TEXT_WIDTH / _EMU_PER_TWIP)
    return _element("framePr", w=width, wrap="notBeside", vAnchor="margin", hAnchor="margin", xAlign="center",
                    yAlign="bottom")


def _set_border(pPr, **sides: tuple[int, str]) -> None:
    """sides: name → (size in eighths of a point, colour)."""
    pBdr = _element("pBdr")
    for side in ("top", "left", "bottom", "right"):
        if side in sides:
            size, colour = sides[side]
            pBdr.append(_element(side, val="single", sz=size, space=1, color=colour))
    _replace_ppr_child(pPr, pBdr)


# --------------------------------------------------------------------------------------------
# The base document: styles, section and footer, built once per font set and cached
# --------------------------------------------------------------------------------------------

STYLE_TITLE = "GW Title"
STYLE_HEADING1 = "GW Heading 1"
STYLE_HEADING2 = "GW Heading 2"
STYLE_PLAIN = "GW Plain"  # body text without first-line indent: 主送机关, 附件, 签名行
STYLE_SIGNATURE = "GW Signature"
STYLE_NUMBER = "GW Doc Number"
STYLE_IMPRINT = "GW Imprint"
STYLE_TABLE = "GW Table"
STYLE_REGISTER = "GW Register"
STYLE_NOTE = "GW Note"  # 注： lines under a form, 4号
STYLE_PAGE_NUMBER = "GW Page Number"


def _paragraph_style(doc: DocxDocument, name: str, font: str, size: Length):
    from docx.enum.style import WD_STYLE_TYPE

    style = doc.styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    style.base_style = doc.styles["Normal"]
    style.quick_style = True
    rPr = style.element.get_or_add_rPr()
    set_fonts(rPr, font)
    _set_size(rPr, size)
    return style.element.get_or_add_pPr()


def _setup_styles(doc: DocxDocument, fonts: Fonts) -> None:
    styles = doc.styles.element
    # Document defaults: Chinese language and the body font, so nothing falls back to Calibri.
    rpr_default = styles.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    set_fonts(rpr_default, fonts.body)
    _set_size(rpr_default, BODY_SIZE)
    lang = rpr_default.find(qn("w:lang"))
    lang.set(qn("w:val"), "en-US")
    lang.set(qn("w:eastAsia"), "zh-CN")
    ppr_default = styles.find(qn("w:docDefaults")).find(qn("w:pPrDefault")).find(qn("w:pPr"))
    _set_spacing(ppr_default, LINE_SPACING)

    normal = doc.styles["Normal"]
    rPr = normal.element.get_or_add_rPr()
    set_fonts(rPr, fonts.body)
    _set_size(rPr, BODY_SIZE)
    pPr = normal.element.get_or_add_pPr()
    _set_spacing(pPr, LINE_SPACING)
    _set_indent(pPr, first_chars=FIRST_LINE_INDENT_CHARS)
    _set_jc(pPr, "both")

    pPr = _paragraph_style(doc, STYLE_TITLE, fonts.title, TITLE_SIZE)
    _set_indent(pPr)
    _set_jc(pPr, "center")
    pPr.get_or_add_keepNext()

    # Headings keep with the paragraph they head: never the last line of a page.
    for name, font in ((STYLE_HEADING1, fonts.heading1), (STYLE_HEADING2, fonts.heading2)):
        pPr = _paragraph_style(doc, name, font, BODY_SIZE)
        pPr.get_or_add_keepNext()
        pPr.get_or_add_keepLines()

    pPr = _paragraph_style(doc, STYLE_PLAIN, fonts.body, BODY_SIZE)
    _set_indent(pPr)

    pPr = _paragraph_style(doc, STYLE_SIGNATURE, fonts.body, BODY_SIZE)
    _set_indent(pPr)
    _set_jc(pPr, "right")
    pPr.get_or_add_keepNext()

    pPr = _paragraph_style(doc, STYLE_NUMBER, fonts.body, BODY_SIZE)
    _set_indent(pPr)
    _set_jc(pPr, "right")

    pPr = _paragraph_style(doc, STYLE_IMPRINT, fonts.body, SMALL_SIZE)
    _set_indent(
        pPr,
        left_chars=IMPRINT_SIDE_CHARS,
        right_chars=IMPRINT_SIDE_CHARS,
        char=SMALL_SIZE,
    )
    _set_jc(pPr, "left")
    pPr.get_or_add_keepNext()
    pPr.get_or_add_keepLines()

    for name, size in ((STYLE_TABLE, SMALL_SIZE), (STYLE_REGISTER, REGISTER_SIZE)):
        pPr = _paragraph_style(doc, name, fonts.body, size)
        _set_indent(pPr)
        _set_spacing(pPr, None)
        _set_jc(pPr, "left")
        # Off the grid, or every table line would be a full 28.95 pt body line.
        _replace_ppr_child(pPr, _element("snapToGrid", val=0))

    pPr = _paragraph_style(doc, STYLE_NOTE, fonts.body, SMALL_SIZE)
    _set_indent(pPr, char=SMALL_SIZE)
    _set_spacing(pPr, None)
    _replace_ppr_child(pPr, _element("snapToGrid", val=0))

    pPr = _paragraph_style(doc, STYLE_PAGE_NUMBER, fonts.page_number, SMALL_SIZE)
    _set_indent(pPr)
    _set_spacing(pPr, None)
    _replace_ppr_child(pPr, _element("snapToGrid", val=0))


def _page_number_field(paragraph: Paragraph) -> None:
    """``— {PAGE} —`` as a real field, so Word/WPS number every page themselves."""
    paragraph.add_run(f"{PAGE_NUMBER_DASH} ")
    for kind in ("begin", None, "separate", "1", "end"):
        r = paragraph.add_run()._r
        if kind is None:
            instr = _element("instrText")
            instr.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
            instr.text = " PAGE "
            r.append(instr)
        elif kind == "1":
            t = _element("t")
            t.text = "1"
            r.append(t)
        else:
            r.append(_element("fldChar", fldCharType=kind))
    paragraph.add_run(f" {PAGE_NUMBER_DASH}")


def _setup_footer(doc: DocxDocument, section) -> None:
    # §7.5: odd pages right-aligned, even pages left-aligned, one character in from the edge.
    doc.settings.odd_and_even_pages_header_footer = True
    section.footer_distance = FOOTER_DISTANCE
    for footer, side in ((section.footer, "right"), (section.even_page_footer, "left")):
        footer.is_linked_to_previous = False
        paragraph = footer.paragraphs[0]
        paragraph.style = doc.styles[STYLE_PAGE_NUMBER]
        pPr = paragraph._p.get_or_add_pPr()
        _set_jc(pPr, side)
        _set_indent(pPr, **{f"{side}_chars": 1}, char=SMALL_SIZE)
        _page_number_field(paragraph)


def _setup_section(section) -> None:
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width = PAGE_WIDTH
    section.page_height = PAGE_HEIGHT
    section.top_margin = MARGIN_TOP
    section.bottom_margin = MARGIN_BOTTOM
    section.left_margin = MARGIN_LEFT
    section.right_margin = MARGIN_RIGHT
    section.gutter = Emu(0)
    sectPr = section._sectPr
    for old in sectPr.findall(qn("w:docGrid")):
        sectPr.remove(old)
    sectPr.append(
        _element("docGrid", type="linesAndChars", linePitch=LINE_PITCH_TWIPS, charSpace=CHAR_SPACE)
    )


# Styles the base document keeps; the rest of python-docx's template (list, heading and 90-odd
# table styles) would only be parsed and re-zipped with every document.
_KEPT_STYLES = {"Normal", "Default Paragraph Font", "Normal Table", "No List", "Table Grid"}


def _prune_styles(doc: DocxDocument) -> None:
    styles = doc.styles.element
    for style in styles.findall(qn("w:style")):
        name = style.find(qn("w:name"))
        if name is None or name.get(qn("w:val")) not in _KEPT_STYLES:
            styles.remove(style)
    latent = styles.find(qn("w:latentStyles"))
    if latent is not None:
        styles.remove(latent)


def _style_id(name: str) -> str:
    return name.replace(" ", "")  # python-docx's rule for the ids of styles it adds


@lru_cache(maxsize=8)
def _base_docx(fonts: Fonts) -> bytes:
    """An empty document with styles, section and footers set up; parsed afresh per build."""
    doc = Document()
    _prune_styles(doc)
    _setup_styles(doc, fonts)
    section = doc.sections[0]
    _setup_section(section)
    _setup_footer(doc, section)
    buffer = BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def adapt_for_libreoffice(docx_bytes: bytes) -> bytes:
    """A copy LibreOffice lays out with 28 characters a line (for PDF rendering only).

    Word and WPS honour the linesAndChars grid; LibreOffice gets a lines-only grid and a body
    font condensed to the grid's character pitch instead.
    """
    doc = Document(BytesIO(docx_bytes))
    for section in doc.sections:
        grid = section._sectPr.find(qn("w:docGrid"))
        if grid is not None:
            grid.set(qn("w:type"), "lines")
            grid.attrib.pop(qn("w:charSpace"), None)
    rPr = doc.styles["Normal"].element.get_or_add_rPr()
    for old in rPr.findall(qn("w:spacing")):
        rPr.remove(old)
    rPr.get_or_add_sz().addprevious(_element("spacing", val=LIBREOFFICE_CONDENSE))
    buffer = BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


# --------------------------------------------------------------------------------------------
# Building blocks
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """One cell of a form table; ``span`` merges it across grid columns."""

    text: str = ""
    span: int = 1
    label: bool = False  # a field label: centred
    align: str = ""  # "left" | "center" | "right"; "" → label centred, value left
    sign_off: str = ""  # right-aligned lines under the text: 负责人（签字）, 年　月　日


def label(text: str, span: int = 1) -> Cell:
    return Cell(text, span, label=True)


def value(text: str, span: int = 1, align: str = "", sign_off: str = "") -> Cell:
    return Cell(text, span, align=align, sign_off=sign_off)


_ALIGN = {
    "left": WD_ALIGN_PARAGRAPH.LEFT,
    "center": WD_ALIGN_PARAGRAPH.CENTER,
    "right": WD_ALIGN_PARAGRAPH.RIGHT,
}


class OfficialDocument:
    """A GB/T 9704 page being filled in, top to bottom.

    >>> paper = OfficialDocument(profile, title="整改通知书")
    >>> paper.document_head("整改通知书", "效整〔2026〕7号")
    >>> paper.body("……")
    >>> data = paper.to_bytes()
    """

    def __init__(self, profile: OfficeProfile, title: str = "") -> None:
        self.profile = profile
        self.doc = Document(BytesIO(_base_docx(profile.fonts)))
        self._body = self.doc.element.body
        props = self.doc.core_properties
        props.title = title
        props.author = profile.office_name
        props.last_modified_by = profile.office_name
        props.comments = ""
        props.revision = 1

    # ---- paragraphs --------------------------------------------------------------------

    def paragraph(
        self, text: str = "", style: str | None = None, align: str | None = None
    ) -> Paragraph:
        paragraph = self.doc.add_paragraph()
        if style:
            # pStyle written directly: python-docx's style setter scans every style each time.
            paragraph._p.get_or_add_pPr().style = _style_id(style)
        if text:
            paragraph.add_run(text)
        if align:
            paragraph.alignment = _ALIGN[align]
        return paragraph

    def blank(self, lines: int = 1) -> None:
        for _ in range(lines):
            self.doc.add_paragraph()

    def title(self, text: str, *, new_page: bool = False) -> Paragraph:
        paragraph = self.paragraph(text, STYLE_TITLE)
        if new_page:
            paragraph.paragraph_format.page_break_before = True
        return paragraph

    def document_head(
        self, title: str, doc_number: str = "", *, new_page: bool = False, organ: bool = True
    ) -> None:
        """Organ name and document name in 2号 小标宋, 文号 under them on the right.

        This is the head of the 执纪/效能 文书 offices print (a notice, not a red-headed 文件).
        """
        if organ:
            self.title(self.profile.office_name, new_page=new_page)
            self.title(title)
        else:
            self.title(title, new_page=new_page)
        if doc_number:
            self.paragraph(doc_number, STYLE_NUMBER)
        else:
            self.blank()

    def salutation(self, addressee: str) -> Paragraph:
        """主送机关: flush left, full-width colon."""
        return self.paragraph(f"{addressee}：", STYLE_PLAIN)

    def body(self, text: str) -> Paragraph:
        return self.paragraph(text)

    def plain(self, text: str) -> Paragraph:
        return self.paragraph(text, STYLE_PLAIN)

    def heading(self, level: int, text: str, run_on: str = "") -> Paragraph:
        """一、 in 黑体, （一） in 楷体, 1．/（1） in 仿宋; ``run_on`` continues in the body font."""
        style = {1: STYLE_HEADING1, 2: STYLE_HEADING2}.get(level)
        paragraph = self.paragraph(text, style)
        if run_on:
            run = paragraph.add_run(run_on)
            if style:
                set_fonts(run._r.get_or_add_rPr(), self.profile.fonts.body)
        return paragraph

    def numbered(self, items: Sequence[str], level: int = 3) -> None:
        for n, item in enumerate(items, start=1):
            self.heading(level, heading_label(level, n), item)

    def attachments(self, names: Sequence[str]) -> None:
        """附件说明 §7.3.4: a blank line, then 附件： indented 2 chars, numbered 1．2．

        A wrapped name lines up with the first character of the name above it.
        """
        if not names:
            return
        self.blank()
        for n, name in enumerate(names, start=1):
            lead = "附件：" if n == 1 else "\u3000" * 3
            number = f"{n}．" if len(names) > 1 else ""
            hang = text_width_chars(lead + number)
            paragraph = self.paragraph(f"{lead}{number}{name}", STYLE_PLAIN)
            _set_indent(
                paragraph._p.get_or_add_pPr(),
                left_chars=FIRST_LINE_INDENT_CHARS + hang,
                first_chars=-hang,
            )

    def contact(self, person: str = "", phone: str = "") -> None:
        person = person or self.profile.contact_person
        phone = phone or self.profile.contact_phone
        if person or phone:
            parts = [f"联系人：{person}" if person else "", f"联系电话：{phone}" if phone else ""]
            self.body("　　".join(p for p in parts if p))

    def signature(self, on: date, name: str | None = None, *, seal: bool = True) -> None:
        """发文机关署名 centred over the 成文日期, the date four characters from the right.

        §7.3.5.1: with a seal the signature and date sit under the seal; when the name is longer
        than the date it keeps two characters from the edge and the date centres under it.
        """
        name = name if name is not None else self.profile.signature_name
        when = format_cn_date(on)
        name_w, date_w = text_width_chars(name), text_width_chars(when)
        date_right = SIGNATURE_RIGHT_CHARS
        name_right = date_right + (date_w - name_w) / 2
        if name_right < SIGNATURE_MIN_RIGHT_CHARS:
            name_right = SIGNATURE_MIN_RIGHT_CHARS
            date_right = name_right + (name_w - date_w) / 2
        # §7.3.5.4: the signature never stands alone on a page — nor with only 特此通知, 联系人 and 附件:
        # those closing lines and the last paragraph of real text before them go with it.
        self._keep_closing_with_signature()
        if seal:
            for _ in range(SEAL_SPACE_LINES):
                self.doc.add_paragraph().paragraph_format.keep_with_next = True
        for text, right in ((name, name_right), (when, date_right)):
            paragraph = self.paragraph(text, STYLE_SIGNATURE)
            _set_indent(paragraph._p.get_or_add_pPr(), right_chars=right)

    def _keep_closing_with_signature(self) -> None:
        """keep-with-next on the closing lines before the signature and on the last body paragraph above
        them, so a page break falls inside the text, never between the text and its 落款."""
        for element in reversed(self._body[:-1]):  # the last child is the section properties
            if element.tag != qn("w:p"):
                break  # a table ends the text: the signature follows it directly
            element.get_or_add_pPr().get_or_add_keepNext()
            text = "".join(t.text or "" for t in element.iter(qn("w:t"))).strip()
            if text and not text.startswith(CLOSING_LINES) and not text[:1].isdigit():
                break

    def signature_line(self, role: str, *, statement: str = "", role_width: int = 4) -> Paragraph:
        """``谈话对象（签字）：________　　年　月　日`` for a record's signatures.

        Roles shorter than ``role_width`` characters are padded so the lines stay aligned.
        """
        if statement:
            self.body(statement)
        pad = "\u3000" * max(0, role_width - round(text_width_chars(role)))
        paragraph = self.paragraph(f"{role}（签字）：{pad}", STYLE_PLAIN)
        paragraph.paragraph_format.keep_with_next = True
        paragraph.add_run("\u3000" * 8).font.underline = True
        paragraph.add_run("\u3000\u3000\u3000\u3000年\u3000\u3000月\u3000\u3000日")
        return paragraph

    def imprint(self, copy_to: Sequence[str], printed_on: date) -> None:
        """版记 §7.4: 抄送 and 印发 in 4号 仿宋 between a thick rule, a thin one, a thick one."""
        copy_to = [c for c in copy_to if c]
        self.blank()
        if copy_to:
            head = "抄送："
            paragraph = self.paragraph(f"{head}{'，'.join(copy_to)}。", STYLE_IMPRINT)
            pPr = paragraph._p.get_or_add_pPr()
            side = IMPRINT_SIDE_CHARS
            # 回行时与冒号后的首字对齐: a hanging indent as wide as "抄送：".
            _set_indent(
                pPr,
                left_chars=side + len(head),
                right_chars=side,
                first_chars=-len(head),
                char=SMALL_SIZE,
            )
            _set_border(
                pPr, top=(IMPRINT_THICK_RULE, "000000"), bottom=(IMPRINT_THIN_RULE, "000000")
            )
        printed = self.paragraph(self.profile.printer_name, STYLE_IMPRINT)
        # 印发日期 右空一字: a right tab stop (measured from the margin) at the right indent.
        printed.paragraph_format.tab_stops.add_tab_stop(
            Emu(TEXT_WIDTH - IMPRINT_SIDE_CHARS * SMALL_SIZE), WD_TAB_ALIGNMENT.RIGHT
        )
        pPr = printed._p.get_or_add_pPr()
        printed.add_run(f"\t{format_cn_date(printed_on)}印发")
        sides = {"bottom": (IMPRINT_THICK_RULE, "000000")}
        if not copy_to:
            sides["top"] = (IMPRINT_THICK_RULE, "000000")
        _set_border(pPr, **sides)
        # §7.4: the 版记 sits at the foot of the last page, its last rule on the text block's bottom edge.
        # Its paragraphs share one frame anchored to the bottom of the margin box; the body text flows
        # around it (and onto a new page only when the page has no room for both).
        for paragraph in ([paragraph] if copy_to else []) + [printed]:
            _replace_ppr_child(paragraph._p.get_or_add_pPr(), _imprint_frame())

    def note(self, lines: Sequence[str], lead: str = "注：") -> None:
        """Notes under a form in 4号: ``注：1．…`` with later lines aligned after the lead."""
        width = text_width_chars(lead)
        for i, line in enumerate(lines):
            paragraph = self.paragraph(f"{lead if i == 0 else ''}{line}", STYLE_NOTE)
            _set_indent(
                paragraph._p.get_or_add_pPr(),
                left_chars=width,
                first_chars=-width if i == 0 else 0,
                char=SMALL_SIZE,
            )

    def page_break(self) -> None:
        self.doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)

    # ---- tables ------------------------------------------------------------------------

    def table(
        self,
        columns_mm: Sequence[float],
        rows: Sequence[Sequence[Cell]],
        *,
        min_heights_mm: Mapping[int, float] | None = None,
        header_rows: int = 0,
        style: str = STYLE_TABLE,
    ) -> Table:
        """A bordered form table in 仿宋; each row's spans must add up to the column count."""
        cols = len(columns_mm)
        widths = [round(Mm(w) / _EMU_PER_TWIP) for w in columns_mm]
        heights = min_heights_mm or {}
        paragraph_style = _style_id(style)
        margin = round(TABLE_CELL_MARGIN / _EMU_PER_TWIP)
        # The table is written as one XML string and parsed once: cell-by-cell python-docx calls
        # cost ~1 ms a row.  Element order follows the schema (tblPr, trPr, tcPr sequences).
        xml = [
            f"<w:tbl {nsdecls('w')}><w:tblPr>"
            '<w:tblStyle w:val="TableGrid"/><w:tblW w:w="0" w:type="auto"/><w:jc w:val="center"/>'
            '<w:tblLayout w:type="fixed"/>'
            f'<w:tblCellMar><w:left w:w="{margin}" w:type="dxa"/>'
            f'<w:right w:w="{margin}" w:type="dxa"/></w:tblCellMar>'
            '<w:tblLook w:val="04A0" w:firstRow="1" w:lastRow="0" w:firstColumn="1" '
            'w:lastColumn="0" w:noHBand="0" w:noVBand="1"/></w:tblPr><w:tblGrid>',
            *(f'<w:gridCol w:w="{w}"/>' for w in widths),
            "</w:tblGrid>",
        ]
        for r, spec in enumerate(rows):
            if sum(c.span for c in spec) != cols:
                raise ValueError(f"table row {r} spans {sum(c.span for c in spec)} of {cols}")
            # cantSplit: a row is never torn across two pages; tblHeader repeats on each page.
            xml.append("<w:tr><w:trPr><w:cantSplit/>")
            if r in heights:
                height = round(Mm(heights[r]) / _EMU_PER_TWIP)
                xml.append(f'<w:trHeight w:val="{height}" w:hRule="atLeast"/>')
            if r < header_rows:
                xml.append("<w:tblHeader/>")
            xml.append("</w:trPr>")
            start = 0
            for c in spec:
                width = sum(widths[start : start + c.span])
                span = f'<w:gridSpan w:val="{c.span}"/>' if c.span > 1 else ""
                xml.append(
                    f'<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/>{span}'
                    '<w:vAlign w:val="center"/></w:tcPr>'
                )
                align = c.align or ("center" if c.label else "left")
                lines = [(line, align) for line in c.text.split("\n")]
                if c.sign_off:
                    lines += [(line, "right") for line in c.sign_off.split("\n")]
                for line, line_align in lines:
                    text = f'<w:t xml:space="preserve">{xml_escape(line)}</w:t>'
                    run = f"<w:r>{text}</w:r>" if line else ""
                    xml.append(
                        f'<w:p><w:pPr><w:pStyle w:val="{paragraph_style}"/>'
                        f'<w:jc w:val="{line_align}"/></w:pPr>{run}</w:p>'
                    )
                xml.append("</w:tc>")
                start += c.span
            xml.append("</w:tr>")
        xml.append("</w:tbl>")
        tbl = parse_xml("".join(xml))
        self.doc.element.body._insert_tbl(tbl)
        table = Table(tbl, self.doc._body)
        return table

    def landscape(self) -> None:
        """Turn the page for a wide ledger: the same 225 × 156 mm text block, rotated."""
        section = self.doc.sections[0]
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = PAGE_HEIGHT, PAGE_WIDTH
        section.left_margin, section.right_margin = MARGIN_TOP, MARGIN_BOTTOM
        section.top_margin, section.bottom_margin = MARGIN_RIGHT, MARGIN_LEFT
        # The 28 mm bottom leaves less room under the text: keep the page number 7 mm below it.
        section.footer_distance = Emu(MARGIN_LEFT - PAGE_NUMBER_GAP - SMALL_SIZE)

    # ---- output ------------------------------------------------------------------------

    def save(self, stream: BytesIO) -> None:
        self.doc.save(stream)

    def to_bytes(self) -> bytes:
        buffer = BytesIO()
        self.doc.save(buffer)
        return buffer.getvalue()
