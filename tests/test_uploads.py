"""Evidence files: the type is read from the bytes, not the name; files are stored with random names,
their content in the database; downloads are always attachments the browser may not sniff."""

from __future__ import annotations

import hashlib
import zipfile
from io import BytesIO
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from matters_factories import PDF_BYTES, signed_in
from supervision.errors import ValidationError
from supervision.matters import services
from supervision.models.files import FileContent
from supervision.models.matters import Attachment, Matter
from supervision.uploads import Storage

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + b"\x00" * 32
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 56 + b"This program cannot be run in DOS mode."
HTML = b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>"


def docx_bytes() -> bytes:
    buffer = BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


@pytest.fixture
def files(tmp_path) -> Storage:
    return Storage(tmp_path / "uploads", max_bytes=1024)


# --- the storage itself (no database) -----------------------------------------------------------------
@pytest.fixture
def tx() -> Session:
    """A session on an in-memory SQLite database holding only the files' content table."""
    from sqlalchemy import create_engine

    from supervision.models.files import FileContent

    engine = create_engine("sqlite://")
    FileContent.__table__.create(engine)
    return Session(engine)


def test_pdf_named_jpg_is_stored_as_pdf(files, tx):
    stored = files.save(tx, "现场照片.jpg", PDF_BYTES)
    assert stored.media_type == "application/pdf" and stored.original_name == "现场照片.jpg"


def test_office_document_is_recognised_inside_its_zip(files, tx):
    assert files.save(tx, "情况说明.docx", docx_bytes()).media_type.endswith("wordprocessingml.document")
    plain_zip = BytesIO()
    with zipfile.ZipFile(plain_zip, "w") as archive:
        archive.writestr("payload.exe", EXE)
    with pytest.raises(ValidationError, match="类型不允许上传"):
        files.save(tx, "情况说明.docx", plain_zip.getvalue())


@pytest.mark.parametrize("content", [EXE, HTML], ids=["exe", "html"])
def test_program_or_page_renamed_jpg_is_refused(files, tx, content):
    with pytest.raises(ValidationError, match="“照片.jpg”的类型不允许上传"):
        files.save(tx, "照片.jpg", content)
    assert tx.scalars(select(FileContent)).all() == []


def test_empty_file_is_refused(files, tx):
    with pytest.raises(ValidationError, match="是空的"):
        files.save(tx, "空白.pdf", b"")


def test_file_over_the_limit_is_refused_with_the_limit_readable(files, tx):
    with pytest.raises(ValidationError, match="过大") as refused:
        files.save(tx, "扫描件.pdf", PDF_BYTES + b"0" * 1024)
    assert "1 KB" in str(refused.value)  # the configured limit, not "0 MB"


def test_files_are_stored_under_random_names_without_extension(files, tx):
    first, second = files.save(tx, "a.pdf", PDF_BYTES), files.save(tx, "a.pdf", PDF_BYTES)
    tx.commit()
    assert first.stored_name != second.stored_name
    for stored in (first, second):
        assert len(stored.stored_name) == 32 and stored.stored_name.isalnum()
        assert files.read(tx, stored.sha256) == PDF_BYTES
    assert first.sha256 == hashlib.sha256(PDF_BYTES).hexdigest() and first.size == len(PDF_BYTES)


def test_uploaded_name_cannot_climb_out_of_the_folder(files, tx):
    stored = files.save(tx, "../../instance/config.py.pdf", PDF_BYTES)
    assert stored.original_name == "config.py.pdf" and stored.stored_name.isalnum()


# --- through the application ---------------------------------------------------------------------------
def register_with(client, name: str, content: bytes):
    return client.post("/matters/new/complaint", data={
        "channel": "phone", "received_on": "2026-06-01", "title": "窗口办事拖拉", "content": "来电反映。",
        "name": "张某某", "files": [(BytesIO(content), name)]}, content_type="multipart/form-data")


def test_evidence_is_kept_in_the_database(app, session, office):
    response = register_with(signed_in(app, office.intake), "现场照片.jpg", PDF_BYTES)
    assert response.status_code == 302
    attachment = session.scalars(select(Attachment)).one()
    assert attachment.media_type == "application/pdf" and attachment.shared_with_department is False
    assert session.get(FileContent, attachment.sha256).content == PDF_BYTES and "." not in attachment.stored_name
    assert not (Path(app.instance_path) / "uploads").exists()


def test_disguised_page_is_refused_and_nothing_is_registered(app, session, office):
    response = register_with(signed_in(app, office.intake), "照片.jpg", HTML)
    assert response.status_code == 200 and "“照片.jpg”的类型不允许上传" in response.text
    assert session.scalars(select(Matter)).all() == [] and session.scalars(select(Attachment)).all() == []


def test_upload_over_the_configured_limit_is_refused(app, session, office):
    app.config["UPLOAD_MAX_BYTES"] = 64
    response = register_with(signed_in(app, office.intake), "扫描件.pdf", PDF_BYTES + b"0" * 64)
    assert response.status_code == 200 and "过大" in response.text and "张某某" in response.text
    assert session.scalars(select(Matter)).all() == []


def test_download_is_an_attachment_the_browser_may_not_sniff(app, session, office, make_matter, storage):
    matter = make_matter("registered")
    (attachment,) = services.attach_files(session, office.intake, matter, [("现场照片.jpg", PDF_BYTES)], storage)
    session.commit()
    intake = signed_in(app, office.intake)
    intake.post(f"/matters/{matter.id}/identity", data={"reason": "核对现场照片"})  # evidence is identity
    response = intake.get(f"/matters/{matter.id}/files/{attachment.id}")
    assert response.status_code == 200 and response.data == PDF_BYTES
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.mimetype == "application/pdf"
