"""Files that survive faults: staged until the commit, removed on rollback, checked when served,
reported by `flask files check`; a full or read-only disk says so and keeps the form."""

from __future__ import annotations

import hashlib
import os
from io import BytesIO
from pathlib import Path

import pytest
from sqlalchemy import select

from faultlib import needs_namespaces, run_app
from matters_factories import PASSWORD, PDF_BYTES, signed_in
from supervision.matters import services
from supervision.models.documents import GeneratedDocument
from supervision.models.matters import Attachment, Matter

EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 56 + b"This program cannot be run in DOS mode."


def files_under(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def register(client, files, title="窗口办事拖拉"):
    return client.post("/matters/new/complaint", data={
        "channel": "phone", "received_on": "2026-06-01", "title": title, "content": "来电反映。",
        "name": "张某某", "files": [(BytesIO(content), name) for name, content in files]},
        content_type="multipart/form-data")


def test_a_refused_second_file_leaves_no_file_at_all(app, session, office):
    response = register(signed_in(app, office.intake), [("照片.pdf", PDF_BYTES), ("说明.jpg", EXE)])
    assert response.status_code == 200 and "“说明.jpg”的类型不允许上传" in response.text
    assert session.scalars(select(Matter)).all() == []
    assert files_under(Path(app.instance_path) / "uploads") == []


def test_a_file_appears_only_when_its_row_is_committed(app, session, office, make_matter, storage):
    matter = make_matter("registered")
    (attachment,) = services.attach_files(session, office.intake, matter, [("a.pdf", PDF_BYTES)], storage)
    assert not storage.path(attachment.stored_name).exists()  # staged, not yet in place
    session.rollback()
    assert files_under(storage.root) == []
    (attachment,) = services.attach_files(session, office.intake, matter, [("a.pdf", PDF_BYTES)], storage)
    session.commit()
    assert storage.path(attachment.stored_name).read_bytes() == PDF_BYTES
    assert files_under(storage.root) == [attachment.stored_name]


def with_reason(client, matter):
    """Office staff download a complaint's evidence only after giving the identity reason (docs/domain.md §14)."""
    client.post(f"/matters/{matter.id}/identity", data={"reason": "核对证据材料"})
    return client


def _attachment(session, office, matter, storage) -> Attachment:
    (attachment,) = services.attach_files(session, office.intake, matter, [("现场照片.pdf", PDF_BYTES)], storage)
    session.commit()
    return attachment


def test_a_corrupt_file_is_not_served_and_the_page_says_why(app, session, office, make_matter, storage):
    matter = make_matter("registered")
    attachment = _attachment(session, office, matter, storage)
    storage.path(attachment.stored_name).write_bytes(PDF_BYTES.replace(b"%", b"#", 1))
    response = with_reason(signed_in(app, office.intake), matter).get(f"/matters/{matter.id}/files/{attachment.id}")
    assert response.status_code == 422 and "已损坏" in response.text and "SHA-256" in response.text
    assert response.mimetype == "text/html"


def test_a_missing_file_gets_a_clear_page_not_an_error(app, session, office, make_matter, storage):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    matter = make_matter("registered")
    attachment = _attachment(session, office, matter, storage)
    storage.path(attachment.stored_name).unlink()
    response = with_reason(signed_in(app, office.intake), matter).get(f"/matters/{matter.id}/files/{attachment.id}")
    assert response.status_code == 404 and "找不到" in response.text and "系统错误" not in response.text


def test_a_missing_generated_document_gets_a_clear_page(app, session, office, make_matter):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    matter = make_matter("in_progress")
    client = signed_in(app, office.intake)
    response = client.post(f"/matters/{matter.id}/assignments/{matter.lead_assignment.id}/slip")
    document = session.scalars(select(GeneratedDocument)).one()
    (Path(app.instance_path) / "documents" / document.stored_name).unlink()
    response = client.get(response.location)
    assert response.status_code == 404 and "文书" in response.text and "找不到" in response.text


def test_a_file_left_in_staging_by_a_crash_after_the_commit_is_still_served(app, session, office, make_matter,
                                                                             storage):
    matter = make_matter("registered")
    attachment = _attachment(session, office, matter, storage)
    staged = storage.root / ".staging" / attachment.stored_name
    os.replace(storage.path(attachment.stored_name), staged)  # as if the process died before the move
    response = with_reason(signed_in(app, office.intake), matter).get(f"/matters/{matter.id}/files/{attachment.id}")
    assert response.status_code == 200 and response.data == PDF_BYTES and not staged.exists()


def test_files_check_reports_missing_corrupt_orphan_and_staged_files(app, session, office, make_matter, storage):
    matter = make_matter("registered")
    missing, corrupt, staged = (_attachment(session, office, matter, storage) for _ in range(3))
    storage.path(missing.stored_name).unlink()
    storage.path(corrupt.stored_name).write_bytes(b"%PDF-1.4 changed")
    os.replace(storage.path(staged.stored_name), storage.root / ".staging" / staged.stored_name)
    (storage.root / "0123456789abcdef0123456789abcdef").write_bytes(b"nobody's")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["files", "check"])
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert any(line.startswith("缺失") and missing.stored_name in line and f"attachment {missing.id}" in line
               for line in lines)
    assert any(line.startswith("损坏") and corrupt.stored_name in line for line in lines)
    assert any(line.startswith("无登记") and "0123456789abcdef" in line for line in lines)
    assert any(line.startswith("未移入") and staged.stored_name in line for line in lines)
    assert "缺失 1 个，损坏 1 个，孤立 1 个，暂存未移入 1 个" in result.output

    result = runner.invoke(args=["files", "check", "--fix"])
    assert storage.path(staged.stored_name).read_bytes() == PDF_BYTES  # moved into place
    assert (storage.root / "0123456789abcdef0123456789abcdef").exists()  # an orphan is never deleted
    storage.path(corrupt.stored_name).write_bytes(PDF_BYTES)
    storage.path(missing.stored_name).write_bytes(PDF_BYTES)
    (storage.root / "0123456789abcdef0123456789abcdef").unlink()
    result = runner.invoke(args=["files", "check"])
    assert result.exit_code == 0 and "文件检查通过" in result.output


def test_readiness_reports_the_database_and_the_file_areas(app, client):
    response = client.get("/readyz")
    assert response.status_code == 200, response.text
    assert response.json == {"status": "ready", "checks": {"database": "ok", "uploads": "ok", "documents": "ok"}}
    assert client.get("/healthz").json == {"status": "ok"}


def test_readiness_reports_this_servers_search_index(app, client, tmp_path):
    app.config.update(SEARCH_ENABLED=True, SEARCH_INDEX_DIR=str(tmp_path / "own_index"))
    response = client.get("/readyz")
    assert response.status_code == 503 and response.json["checks"]["search"] == "error: index not built"
    result = app.test_cli_runner().invoke(args=["search", "reindex"])
    assert result.exit_code == 0, result.output
    response = client.get("/readyz")
    assert response.status_code == 200 and response.json["checks"]["search"] == "ok", response.json
    assert isinstance(response.json["search_position"], int) and response.json["search_unapplied"] == 0


def test_readiness_fails_when_the_database_is_gone(app, client):
    from supervision.extensions import db

    db.engine.dispose()
    app.config["SQLALCHEMY_DATABASE_URI"]  # the engine is rebuilt below against a closed port
    import sqlalchemy as sa

    db.engines[None] = sa.create_engine("postgresql+psycopg://nobody@127.0.0.1:1/none",
                                        connect_args={"connect_timeout": 2})
    try:
        response = client.get("/readyz")
    finally:
        db.engines[None].dispose()
    assert response.status_code == 503 and response.json["checks"]["database"].startswith("error")
    assert client.get("/healthz").status_code == 200  # liveness stays: the process is alive


# --- a real full disk, a read-only folder, an empty instance folder (child processes) -----------------
@needs_namespaces
def test_a_full_disk_says_storage_is_full_keeps_the_form_and_leaves_no_partial_file(
        app, session, office, database_url):
    instance = Path(app.instance_path)
    result = run_app(database_url=database_url, instance=instance, username=office.intake.username,
                     password=PASSWORD, mounts={instance / "uploads": "size=48k"}, body=f"""
        from io import BytesIO
        from pathlib import Path
        big = {PDF_BYTES!r} + b"%" + b"x" * 100 * 1024  # 100 KB: more than the tiny disk holds
        response = client.post("/matters/new/complaint", data={{
            "channel": "phone", "received_on": "2026-06-01", "title": "磁盘满时提交的标题", "content": "来电反映。",
            "name": "张某某", "files": [(BytesIO(big), "录音.pdf")]}}, content_type="multipart/form-data")
        uploads = Path(app.instance_path) / "uploads"
        result.update(status=response.status_code, text=response.text,
                      left=[str(p) for p in uploads.rglob("*") if p.is_file()])
        try:  # now fill the disk to the last block
            with open(uploads / "filler", "wb") as f:
                while True:
                    f.write(b"x" * 4096)
                    f.flush()
        except OSError:
            pass
        result.update(ready=client.get("/readyz").json)
    """)
    assert result["status"] == 200 and "存储空间已满" in result["text"] and "系统错误" not in result["text"]
    assert "磁盘满时提交的标题" in result["text"] and "张某某" in result["text"]  # the typed form is kept
    assert result["left"] == []  # no partial file
    assert result["ready"]["checks"]["uploads"] == "error: storage full"
    assert session.scalars(select(Matter)).all() == []


@needs_namespaces
def test_a_read_only_or_empty_instance_folder_gives_clear_pages(app, session, office, make_matter, storage,
                                                                 database_url):
    matter = make_matter("registered")
    attachment = _attachment(session, office, matter, storage)
    instance = Path(app.instance_path)
    result = run_app(database_url=database_url, instance=instance, username=office.intake.username,
                     password=PASSWORD, mounts={instance / "uploads": "ro,size=64k"}, body=f"""
        from io import BytesIO
        response = client.post("/matters/new/complaint", data={{
            "channel": "phone", "received_on": "2026-06-01", "title": "只读时提交的标题", "content": "来电反映。",
            "name": "张某某", "files": [(BytesIO({PDF_BYTES!r}), "录音.pdf")]}}, content_type="multipart/form-data")
        client.post("/matters/{matter.id}/identity", data={{"reason": "核对证据材料"}})
        download = client.get("/matters/{matter.id}/files/{attachment.id}")
        ready = client.get("/readyz")
        result.update(status=response.status_code, text=response.text, download=download.status_code,
                      download_text=download.text, ready=ready.status_code, checks=ready.json["checks"])
    """)
    assert result["status"] == 200 and "不可写" in result["text"] and "只读时提交的标题" in result["text"]
    assert result["download"] == 404 and "找不到" in result["download_text"]  # the folder over it is empty
    assert result["ready"] == 503 and result["checks"]["uploads"] == "error: not writable"
    assert result["checks"]["documents"] == "ok"
    assert session.scalars(select(Matter)).all() == [matter]
    assert hashlib.sha256(storage.path(attachment.stored_name).read_bytes()).hexdigest() == attachment.sha256


@needs_namespaces
def test_a_ledger_upload_on_a_full_disk_says_so_and_leaves_nothing(app, session, office, database_url):
    from test_ledgers_import import ledger, row

    data = ledger([row(**{"原编号": f"2025-{n:03d}"}) for n in range(1, 40)])
    instance = Path(app.instance_path)
    result = run_app(database_url=database_url, instance=instance, username=office.intake.username,
                     password=PASSWORD, mounts={instance / "imports": "size=4k"}, body=f"""
        from io import BytesIO
        from pathlib import Path
        response = client.post("/ledgers/import", data={{"file": (BytesIO(bytes.fromhex({data.hex()!r})), "台账.xlsx")}},
                               content_type="multipart/form-data")
        imports = Path(app.instance_path) / "imports"
        result.update(status=response.status_code, text=response.text,
                      left=[str(p) for p in imports.rglob("*") if p.is_file()])
    """)
    assert result["status"] == 507 and "存储空间已满" in result["text"] and "系统错误" not in result["text"]
    assert result["left"] == []


def test_every_table_that_names_a_stored_file_is_checked(app):
    """A new area's file table must be in filecheck.FILE_TABLES, or `files check` calls its files orphans."""
    from supervision.extensions import db
    from supervision.filecheck import FILE_TABLES

    checked = {model.__tablename__ for _, models in FILE_TABLES for model in models}
    naming = {table.name for table in db.metadata.tables.values() if "stored_name" in table.columns}
    assert naming == checked
