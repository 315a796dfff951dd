"""Layout of every document kind (issue 15, item 7's last defect): each .docx is reopened and checked —
A4 with the GB/T 9704 margins, Chinese fonts in w:eastAsia, headings kept with the next paragraph, the
版记 framed at the foot of the last page — and, where LibreOffice is installed, converted to PDF to check
that no page holds only the signature block (特此通知, 联系人, 附件, 落款, 版记) and that the 谈话登记表 has no
page of empty rows."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from io import BytesIO

import pytest
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Mm

from supervision.paperwork import layout, pdf
from supervision.paperwork.builders import BUILDERS, DOCUMENT_TITLES
from supervision.paperwork.data import TalkRegister
from supervision.demo.paperwork import SAMPLE_PROFILE, SAMPLES

KINDS = list(BUILDERS)
WITH_IMPRINT = ["reminder_notice", "rectification_notice", "inquiry_notice", "admonition_notice", "appeal_decision"]
SIGNED = [k for k in KINDS if k not in ("talk_record", "talk_register", "assignment_slip")]


def build(kind: str, data=None) -> bytes:
    return BUILDERS[kind](SAMPLES[kind]() if data is None else data, SAMPLE_PROFILE)


def paragraphs(doc):
    return list(doc.element.body.iter(qn("w:p")))


def text_of(p) -> str:
    return "".join(t.text or "" for t in p.iter(qn("w:t")))


def ppr_flag(p, tag: str) -> bool:
    ppr = p.find(qn("w:pPr"))
    return ppr is not None and ppr.find(qn(f"w:{tag}")) is not None


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_has_a_sample_a_title_and_the_gb9704_page(kind):
    assert kind in SAMPLES and kind in DOCUMENT_TITLES
    doc = Document(BytesIO(build(kind)))
    section = doc.sections[0]
    margins = sorted(round(m / Mm(1)) for m in (section.top_margin, section.bottom_margin, section.left_margin,
                                                 section.right_margin))
    assert margins == [26, 28, 35, 37]  # portrait, or the same text block turned for the register
    rpr = doc.styles["Normal"].element.rPr
    assert rpr.find(qn("w:rFonts")).get(qn("w:eastAsia")) == "仿宋_GB2312"
    for style in (layout.STYLE_TITLE, layout.STYLE_HEADING1, layout.STYLE_HEADING2):
        fonts = doc.styles[style].element.rPr.find(qn("w:rFonts"))
        assert fonts.get(qn("w:eastAsia")) and fonts.get(qn("w:eastAsia")) == fonts.get(qn("w:ascii"))


@pytest.mark.parametrize("kind", KINDS)
def test_headings_keep_with_the_next_paragraph(kind):
    doc = Document(BytesIO(build(kind)))
    for style in (layout.STYLE_HEADING1, layout.STYLE_HEADING2, layout.STYLE_TITLE):
        assert doc.styles[style].element.pPr.find(qn("w:keepNext")) is not None, style


@pytest.mark.parametrize("kind", WITH_IMPRINT)
def test_the_imprint_is_framed_at_the_foot_of_the_last_page(kind):
    doc = Document(BytesIO(build(kind)))
    framed = [p for p in paragraphs(doc) if ppr_flag(p, "framePr")]
    assert framed and "印发" in text_of(framed[-1])
    for p in framed:
        frame = p.find(qn("w:pPr")).find(qn("w:framePr"))
        assert (frame.get(qn("w:vAnchor")), frame.get(qn("w:yAlign"))) == ("margin", "bottom")
        assert int(frame.get(qn("w:w"))) == round(layout.TEXT_WIDTH / 635)
    # …after the signature: nothing but the 版记 (and the receipt on its own page) follows the date.
    ps = paragraphs(doc)
    signed = [i for i, p in enumerate(ps) if ppr_flag(p, "pStyle")
              and p.find(qn("w:pPr")).find(qn("w:pStyle")).get(qn("w:val")) == "GWSignature"]
    assert ps.index(framed[0]) > max(signed)


@pytest.mark.parametrize("kind", [k for k in SIGNED if k not in ("work_report",)])
def test_the_closing_lines_and_the_last_paragraph_go_with_the_signature(kind):
    doc = Document(BytesIO(build(kind)))
    ps = paragraphs(doc)
    signature = next(i for i, p in enumerate(ps) if text_of(p) == SAMPLE_PROFILE.signature_name
                     and p.find(qn("w:pPr")).find(qn("w:pStyle")).get(qn("w:val")) == "GWSignature")
    kept, i = [], signature - 1
    while i >= 0 and ppr_flag(ps[i], "keepNext"):
        kept.append(text_of(ps[i]))
        i -= 1
    body = [t for t in kept if t.strip() and not t.startswith(layout.CLOSING_LINES)]
    assert body, f"{kind}: only closing lines are kept with the signature: {kept}"


def test_a_short_register_is_padded_only_with_rows_that_fit_its_page():
    short = Document(BytesIO(build("talk_register")))
    assert 1 + 3 < len(short.tables[0].rows) <= 1 + 6  # three entries and blank lines to fill in by hand
    long_text = "因履行窗口管理职责不力导致群众多次往返，经研究决定进行提醒谈话并责令限期整改到位" * 2
    rows = tuple(replace(row, reason=long_text, remarks=long_text) for row in SAMPLES["talk_register"]().rows)
    full = Document(BytesIO(build("talk_register", TalkRegister(rows=rows[:1], period="2026年度"))))
    blank = sum(1 for row in full.tables[0].rows if not "".join(c.text for c in row.cells).strip())
    assert blank < 5  # one tall entry fills most of the page: fewer blank lines (none on a page of their own,
    # which the PDF test below checks)


def test_the_work_report_has_its_number_addressee_and_says_when_the_period_has_not_ended():
    data = replace(SAMPLES["work_report"](), as_of=date(2026, 10, 20))
    doc = Document(BytesIO(build("work_report", data)))
    texts = [text_of(p) for p in paragraphs(doc)]
    assert "效报〔2026〕11号" in texts and "示范市人民政府：" in texts
    assert any("以上数据统计截至2026年10月20日" in t and "2026年10月1日至2026年10月20日" in t for t in texts)
    ended = [text_of(p) for p in paragraphs(Document(BytesIO(build("work_report"))))]
    assert not any("统计截至" in t for t in ended)


# --- the PDF copy (LibreOffice) ------------------------------------------------------------------------------
SIGNATURE_BLOCK = ("特此", "联系人", "附件", "　　　", SAMPLE_PROFILE.signature_name, "抄送", "—",
                   SAMPLE_PROFILE.printer_name)


def page_lines(data: bytes) -> list[list[str]]:
    pypdf = pytest.importorskip("pypdf")
    converted = pdf.to_pdf(data)
    assert converted is not None and converted.startswith(b"%PDF")
    reader = pypdf.PdfReader(BytesIO(converted))
    return [[line.strip() for line in page.extract_text().splitlines() if line.strip()] for page in reader.pages]


def only_signature(lines: list[str]) -> bool:
    """A page whose every line belongs to the signature block, the 版记 or the page number."""
    def closing(line: str) -> bool:
        compact = line.replace(" ", "")
        return compact.startswith(SIGNATURE_BLOCK) or (compact.endswith("日") and "年" in compact
                                                       and len(compact) <= 14) or compact.endswith("印发")
    return bool(lines) and all(closing(line) for line in lines)


@pytest.mark.parametrize("kind", SIGNED)
def test_no_pdf_page_holds_only_the_signature_block(kind, libreoffice):
    pages = page_lines(build(kind))
    for number, lines in enumerate(pages, start=1):
        if lines and lines[0].replace(" ", "") in (SAMPLE_PROFILE.office_name,) and "送达回执" in "".join(lines):
            continue  # the 送达回执 has its own page
        assert not only_signature(lines), f"{kind}: page {number} holds only {lines}"


def test_no_pdf_page_of_the_register_holds_only_empty_rows(libreoffice):
    long_text = "因履行窗口管理职责不力导致群众多次往返，经研究决定进行提醒谈话并责令限期整改到位" * 2
    rows = tuple(replace(row, reason=long_text) for row in SAMPLES["talk_register"]().rows)
    for count in (1, 3, 4, 5):
        pages = page_lines(build("talk_register", TalkRegister(rows=(rows * 2)[:count], period="2026年度")))
        for lines in pages[1:]:
            assert any(line[:1].isdigit() and "谈话" in line for line in lines) or any(
                "提醒谈话" in line or "诫勉" in line or "函询" in line for line in lines), (count, lines)


@pytest.mark.parametrize("kind", WITH_IMPRINT)
def test_the_imprint_lands_at_the_foot_of_the_last_pdf_page(kind, libreoffice):
    """LibreOffice ignores the 版记's frame; the PDF copy puts it at the foot of the last page all the same:
    its last line just above the text block's bottom edge (35 mm from the foot), not after the signature."""
    rendered = pdf.to_pdf(build(kind))
    gap = pdf.imprint_gap_pt(rendered)
    assert gap is not None and gap < 12, f"{kind}: the 版记 ends {gap} pt above the text block's bottom edge"
