"""Optional PDF rendering through LibreOffice, when the machine has it.

LibreOffice does not honour the frame that puts the 版记 at the foot of the last page (Word and WPS do:
``layout.OfficialDocument.imprint``), and lays it out right after the signature. So the PDF copy is made in
two passes: the first shows where the 版记 ended up; the second puts a spacer of that height before it,
so that its last rule sits on the text block's bottom edge (GB/T 9704 §7.4) — kept only if it changes no
page count."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from io import BytesIO
from pathlib import Path

from docx import Document
from docx.oxml.ns import qn

from supervision.paperwork.layout import adapt_for_libreoffice
from supervision.paperwork.standard import LINE_PITCH_TWIPS, MARGIN_BOTTOM

CONVERT_TIMEOUT_SECONDS = 120
IMPRINT_END = "印发"
_EMU_PER_POINT = 12700
TEXT_BOTTOM_PT = MARGIN_BOTTOM / _EMU_PER_POINT  # the text block's bottom edge, from the page's foot
BASELINE_DROP_PT = 8  # from the 印发 line's baseline down to its rule (4号 text, rule under the line)
SAFETY_PT = 4  # the spacer is this much shorter: a rounding in LibreOffice must not push the 版记 over


def find_office() -> str | None:
    return shutil.which("libreoffice") or shutil.which("soffice")


def to_pdf(docx_bytes: bytes) -> bytes | None:
    """The document as PDF, or None if LibreOffice is not installed or the conversion fails."""
    adapted = adapt_for_libreoffice(docx_bytes)
    first = _convert(adapted)
    if first is None:
        return None
    gap = imprint_gap_pt(first)
    if gap is None or gap <= SAFETY_PT * 2:
        return first
    second = _convert(_with_spacer(adapted, gap - SAFETY_PT))
    if second is None or _page_count(second) != _page_count(first):
        return first
    return second


def imprint_gap_pt(pdf_bytes: bytes) -> float | None:
    """How far above the text block's bottom edge the 版记's last line sits on the last page that has one
    (points); None when there is none."""
    from pypdf import PdfReader

    for page in reversed(PdfReader(BytesIO(pdf_bytes)).pages):  # a 送达回执 may follow on its own page
        lines: dict[int, str] = {}  # baseline → the line's text (LibreOffice may write it a glyph a run)

        def visit(text, cm, tm, font, size):
            if text.strip():
                key = round(tm[5])
                lines[key] = lines.get(key, "") + text.strip()

        page.extract_text(visitor_text=visit)
        found = [y for y, text in lines.items() if IMPRINT_END in text]
        if found:
            return min(found) - BASELINE_DROP_PT - float(TEXT_BOTTOM_PT)
    return None


def _page_count(pdf_bytes: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(BytesIO(pdf_bytes)).pages)


def _with_spacer(docx_bytes: bytes, gap_pt: float) -> bytes:
    """The LibreOffice copy with an empty paragraph of ``gap_pt`` (a whole number of grid lines less, so
    that nothing is pushed onto a new page) before the framed 版记."""
    doc = Document(BytesIO(docx_bytes))
    body = doc.element.body
    framed = [p for p in body.iter(qn("w:p"))
              if p.find(qn("w:pPr")) is not None and p.find(qn("w:pPr")).find(qn("w:framePr")) is not None]
    if not framed:
        return docx_bytes
    twips = int(gap_pt * 20)
    twips -= twips % 20  # whole points
    if twips < LINE_PITCH_TWIPS // 4:
        return docx_bytes
    spacer = framed[0].makeelement(qn("w:p"), {})
    pPr = spacer.makeelement(qn("w:pPr"), {})
    spacing = pPr.makeelement(qn("w:spacing"), {qn("w:before"): "0", qn("w:after"): "0",
                                                 qn("w:line"): str(twips), qn("w:lineRule"): "exact"})
    snap = pPr.makeelement(qn("w:snapToGrid"), {qn("w:val"): "0"})
    keep = pPr.makeelement(qn("w:keepNext"), {})
    pPr.extend([keep, snap, spacing])
    spacer.append(pPr)
    framed[0].addprevious(spacer)
    buffer = BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def _convert(docx_bytes: bytes) -> bytes | None:
    office = find_office()
    if office is None:
        return None
    with tempfile.TemporaryDirectory(prefix="paperwork-") as tmp:
        work = Path(tmp)
        source = work / "document.docx"
        source.write_bytes(docx_bytes)
        # A private profile directory: a second LibreOffice (or a user's) must not block us.
        profile = (work / "profile").as_uri()
        try:
            subprocess.run(
                [
                    office,
                    f"-env:UserInstallation={profile}",
                    "--headless",
                    "--convert-to",
                    "pdf",
                    "--outdir",
                    str(work),
                    str(source),
                ],
                check=True,
                capture_output=True,
                timeout=CONVERT_TIMEOUT_SECONDS,
            )
        except (subprocess.SubprocessError, OSError):
            return None
        target = work / "document.pdf"
        return target.read_bytes() if target.exists() else None
