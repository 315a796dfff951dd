"""Evidence files: checked by content (not by name), stored in the database (``filestore``) under a
random name and their sha256, never as a file with an extension, so nothing uploaded can ever be
served as a page or executed."""

from __future__ import annotations

import hashlib
import zipfile
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from sqlalchemy.orm import Session

from supervision import filestore
from supervision.errors import ValidationError

# (media type, Chinese description): what the office accepts.
ALLOWED = {
    "image/jpeg": "JPEG 图片", "image/png": "PNG 图片", "image/gif": "GIF 图片",
    "application/pdf": "PDF 文档",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word 文档",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "Excel 表格",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": "PPT 演示文稿",
    "application/msword": "Word/Excel 97-2003 文档",
    "audio/mpeg": "MP3 录音", "audio/wav": "WAV 录音", "audio/mp4": "M4A 录音", "audio/amr": "AMR 录音",
}
ACCEPT_ATTRIBUTE = ".jpg,.jpeg,.png,.gif,.pdf,.doc,.docx,.xls,.xlsx,.ppt,.pptx,.mp3,.wav,.m4a,.amr"


def sniff(head: bytes, data: bytes) -> str | None:
    """The media type that the bytes themselves show, or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "application/msword"
    if head.startswith(b"PK\x03\x04"):
        return _office_zip(data)
    if head.startswith(b"ID3") or head[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"):
        return "audio/mpeg"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "audio/wav"
    if head[4:8] == b"ftyp" and head[8:11] in (b"M4A", b"mp4", b"iso", b"MSN"):
        return "audio/mp4"
    if head.startswith(b"#!AMR"):
        return "audio/amr"
    return None


def _office_zip(data: bytes) -> str | None:
    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            names = set(archive.namelist())
    except zipfile.BadZipFile:
        return None
    if "[Content_Types].xml" not in names:
        return None
    for prefix, media in (("word/", "wordprocessingml.document"), ("xl/", "spreadsheetml.sheet"),
                          ("ppt/", "presentationml.presentation")):
        if any(name.startswith(prefix) for name in names):
            return f"application/vnd.openxmlformats-officedocument.{media}"
    return None


def _size_label(size: int) -> str:
    """20 MB, 512 KB: a limit below one megabyte must not read "0 MB"."""
    if size >= 1048576:
        return f"{size / 1048576:.1f}".removesuffix(".0") + " MB"
    return f"{max(1, round(size / 1024))} KB"


@dataclass(frozen=True)
class StoredFile:
    original_name: str
    stored_name: str
    media_type: str
    size: int
    sha256: str


@dataclass(frozen=True)
class Storage:
    root: Path
    max_bytes: int

    def check(self, filename: str, data: bytes) -> tuple[str, str]:
        """(name, media type) of an acceptable file; ValidationError otherwise."""
        name = Path(filename or "").name.strip() or "附件"
        if not data:
            raise ValidationError(f"文件“{name}”是空的。")
        if len(data) > self.max_bytes:
            raise ValidationError(
                f"文件“{name}”过大（{_size_label(len(data))}），单个文件不能超过 {_size_label(self.max_bytes)}。")
        media_type = sniff(data[:16], data)
        if media_type is None:
            raise ValidationError(
                f"文件“{name}”的类型不允许上传。可上传：图片（JPG/PNG/GIF）、PDF、Word/Excel/PPT 文档、录音（MP3/WAV/M4A/AMR）。")
        return name, media_type

    def save(self, session: Session, filename: str, data: bytes) -> StoredFile:
        """Check and store one file, in the session's transaction: it is kept if the session commits and
        gone if it rolls back (``filestore``)."""
        name, media_type = self.check(filename, data)
        stored_name = filestore.stage(session, self.root, data)
        return StoredFile(name[:200], stored_name, media_type, len(data), hashlib.sha256(data).hexdigest())

    def save_all(self, session: Session, files: list[tuple[str, bytes]]) -> list[StoredFile]:
        """Every file checked before any is written: one refused file refuses the upload whole."""
        files = [(name, data) for name, data in files if data]
        for name, data in files:
            self.check(name, data)
        return [self.save(session, name, data) for name, data in files]

    def read(self, session: Session, sha256: str, label: str = "附件") -> bytes:
        """The stored bytes, checked against the recorded sha256 (filestore.FileMissing / FileCorrupt)."""
        return filestore.read_checked(session, sha256, label)
