"""Optional PDF rendering through LibreOffice, when the machine has it."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from supervision.paperwork.layout import adapt_for_libreoffice

CONVERT_TIMEOUT_SECONDS = 120


def find_office() -> str | None:
    return shutil.which("libreoffice") or shutil.which("soffice")


def to_pdf(docx_bytes: bytes) -> bytes | None:
    """The document as PDF, or None if LibreOffice is not installed or the conversion fails."""
    office = find_office()
    if office is None:
        return None
    with tempfile.TemporaryDirectory(prefix="paperwork-") as tmp:
        work = Path(tmp)
        source = work / "document.docx"
        source.write_bytes(adapt_for_libreoffice(docx_bytes))
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
