"""Files that survive faults, kept in the database with the row that names them (migration 0038): gone
with a rollback, checked when served, reported by `flask files check`; neither a full nor a read-only
instance folder matters to them, and a full database disk says so and keeps the form."""

from __future__ import annotations

import hashlib
from io import BytesIO
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select, update

from faultlib import needs_namespaces, run_app
from matters_factories import PASSWORD, PDF_BYTES, signed_in
from supervision import filestore
from supervision.matters import services
from supervision.models.documents import GeneratedDocument
from supervision.models.files import FileContent
from supervision.models.matters import Attachment, Matter

EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 56 + b"This program cannot be run in DOS mode."


def stored(session) -> list[str]:
    return list(session.scalars(select(FileContent.sha256).order_by(FileContent.sha256)))


def register(client, files, title="窗口办事拖拉"):
    return client.post("/matters/new/complaint", data={
        "channel": "phone", "received_on": "2026-06-01", "title": title, "content": "来电反映。",
        "name": "张某某", "files": [(BytesIO(content), name) for name, content in files]},
        content_type="multipart/form-data")


def test_a_refused_second_file_leaves_no_file_at_all(app, session, office):
    response = register(signed_in(app, office.intake), [("照片.pdf", PDF_BYTES), ("说明.jpg", EXE)])
    assert response.status_code == 200 and "“说明.jpg”的类型不允许上传" in response.text
    assert session.scalars(select(Matter)).all() == []
    assert stored(session) == []


def test_a_file_is_kept_only_when_its_row_is_committed(app, session, office, make_matter, storage):
    matter = make_matter("registered")
    services.attach_files(session, office.intake, matter, [("a.pdf", PDF_BYTES)], storage)
    session.rollback()
    assert stored(session) == []
    (attachment,) = services.attach_files(session, office.intake, matter, [("a.pdf", PDF_BYTES)], storage)
    session.commit()
    assert storage.read(session, attachment.sha256) == PDF_BYTES
    assert stored(session) == [hashlib.sha256(PDF_BYTES).hexdigest()]
    assert not (Path(app.instance_path) / "uploads").exists()  # nothing on this server's disk


def test_the_same_bytes_twice_are_stored_once(app, session, office, make_matter, storage):
    first, second = make_matter("registered"), make_matter("registered")
    (a,) = services.attach_files(session, office.intake, first, [("a.pdf", PDF_BYTES)], storage)
    (b,) = services.attach_files(session, office.intake, second, [("b.pdf", PDF_BYTES)], storage)
    session.commit()
    assert a.stored_name != b.stored_name and a.sha256 == b.sha256
    assert stored(session) == [a.sha256]


def with_reason(client, matter):
    """Office staff download a complaint's evidence only after giving the identity reason (docs/domain.md §14)."""
    client.post(f"/matters/{matter.id}/identity", data={"reason": "核对证据材料"})
    return client


def _attachment(session, office, matter, storage, data: bytes = PDF_BYTES) -> Attachment:
    (attachment,) = services.attach_files(session, office.intake, matter, [("现场照片.pdf", data)], storage)
    session.commit()
    return attachment


def _damage(session, sha256: str, data: bytes) -> None:
    session.execute(update(FileContent).where(FileContent.sha256 == sha256).values(content=data))
    session.commit()


def _lose(session, sha256: str) -> None:
    session.execute(delete(FileContent).where(FileContent.sha256 == sha256))
    session.commit()


def test_a_corrupt_file_is_not_served_and_the_page_says_why(app, session, office, make_matter, storage):
    matter = make_matter("registered")
    attachment = _attachment(session, office, matter, storage)
    _damage(session, attachment.sha256, PDF_BYTES.replace(b"%", b"#", 1))
    response = with_reason(signed_in(app, office.intake), matter).get(f"/matters/{matter.id}/files/{attachment.id}")
    assert response.status_code == 422 and "已损坏" in response.text and "SHA-256" in response.text
    assert response.mimetype == "text/html"


def test_a_missing_file_gets_a_clear_page_not_an_error(app, session, office, make_matter, storage):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    matter = make_matter("registered")
    attachment = _attachment(session, office, matter, storage)
    _lose(session, attachment.sha256)
    response = with_reason(signed_in(app, office.intake), matter).get(f"/matters/{matter.id}/files/{attachment.id}")
    assert response.status_code == 404 and "找不到" in response.text and "系统错误" not in response.text


def test_a_missing_generated_document_gets_a_clear_page(app, session, office, make_matter):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    matter = make_matter("in_progress")
    client = signed_in(app, office.intake)
    response = client.post(f"/matters/{matter.id}/assignments/{matter.lead_assignment.id}/slip")
    document = session.scalars(select(GeneratedDocument)).one()
    _lose(session, document.sha256)
    response = client.get(response.location)
    assert response.status_code == 404 and "文书" in response.text and "找不到" in response.text


def test_files_check_reports_missing_corrupt_and_unreferenced_content(app, session, office, make_matter, storage):
    matter = make_matter("registered")
    good = _attachment(session, office, matter, storage)
    missing = _attachment(session, office, matter, storage, PDF_BYTES + b"%missing")
    corrupt = _attachment(session, office, matter, storage, PDF_BYTES + b"%corrupt")
    _lose(session, missing.sha256)
    _damage(session, corrupt.sha256, b"%PDF-1.4 changed")
    nobody = filestore.put(session, b"nobody's")
    session.commit()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["files", "check"])
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert any(line.startswith("缺失") and missing.sha256 in line and f"attachment {missing.id}" in line
               and f"uploads/{missing.stored_name}" in line for line in lines)
    assert any(line.startswith("损坏") and corrupt.sha256 in line for line in lines)
    assert any(line.startswith("无登记") and nobody in line for line in lines)
    assert not any(good.sha256 in line for line in lines)
    assert "缺失 1 个，损坏 1 个，无登记 1 个，已补回 0 个" in result.output

    # --fix loads what an instance folder still has from before migration 0038 (and only if it matches)
    uploads = Path(app.instance_path) / "uploads"
    uploads.mkdir()
    (uploads / missing.stored_name).write_bytes(PDF_BYTES + b"%missing")
    (uploads / corrupt.stored_name).write_bytes(b"not it either")
    result = runner.invoke(args=["files", "check", "--fix"])
    assert result.exit_code == 1 and "缺失 0 个，损坏 1 个，无登记 1 个，已补回 1 个" in result.output, result.output
    assert storage.read(session, missing.sha256) == PDF_BYTES + b"%missing"
    assert nobody in stored(session)  # unreferenced content is reported, never deleted
    (uploads / corrupt.stored_name).write_bytes(PDF_BYTES + b"%corrupt")
    result = runner.invoke(args=["files", "check", "--fix"])
    assert "损坏 0 个" in result.output and storage.read(session, corrupt.sha256) == PDF_BYTES + b"%corrupt"
    _lose(session, nobody)
    result = runner.invoke(args=["files", "check"])
    assert result.exit_code == 0 and "文件检查通过" in result.output, result.output


def test_readiness_reports_the_database(app, client):
    response = client.get("/readyz")
    assert response.status_code == 200, response.text
    assert response.json == {"status": "ready", "checks": {"database": "ok"}}  # no file areas: they are in it
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


# --- a read-only or full instance folder, a full database disk (child processes) ----------------------
@needs_namespaces
def test_a_read_only_empty_instance_folder_no_longer_matters_to_files(app, session, office, make_matter, storage,
                                                                       database_url):
    from test_ledgers_import import ledger, row

    matter = make_matter("registered")
    attachment = _attachment(session, office, matter, storage)
    data = ledger([row(**{"原编号": f"2025-{n:03d}"}) for n in range(1, 40)])
    instance = Path(app.instance_path)
    result = run_app(database_url=database_url, instance=instance, username=office.intake.username,
                     password=PASSWORD, mounts={instance: "ro,size=64k"}, body=f"""
        from io import BytesIO
        response = client.post("/matters/new/complaint", data={{
            "channel": "phone", "received_on": "2026-06-01", "title": "只读时提交的标题", "content": "来电反映。",
            "name": "张某某", "files": [(BytesIO({PDF_BYTES!r} + b"%new"), "录音.pdf")]}}, content_type="multipart/form-data")
        client.post("/matters/{matter.id}/identity", data={{"reason": "核对证据材料"}})
        download = client.get("/matters/{matter.id}/files/{attachment.id}")
        ledger = client.post("/ledgers/import", data={{"file": (BytesIO(bytes.fromhex({data.hex()!r})), "台账.xlsx")}},
                             content_type="multipart/form-data")
        ready = client.get("/readyz")
        result.update(status=response.status_code, download=download.status_code, same=download.data == {PDF_BYTES!r},
                      ledger=ledger.status_code, ledger_text=ledger.text, ready=ready.status_code)
    """)
    assert result["status"] == 302 and result["download"] == 200 and result["same"]
    assert result["ledger"] == 200 and "确认导入" in result["ledger_text"]
    assert result["ready"] == 200
    assert session.scalar(select(func.count(Matter.id))) == 2


@needs_namespaces
def test_a_full_database_disk_says_storage_is_full_and_keeps_the_form(app, session, office, database_url, tmp_path):
    """SQLite: the database file on a tiny disk; the upload does not fit (SQLITE_FULL)."""
    from supervision.extensions import db

    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite only: the database file on a tiny tmpfs")
    db.engine.dispose()
    source = Path(database_url.removeprefix("sqlite:///"))
    disk = tmp_path / "tiny"
    size = source.stat().st_size + 96 * 1024
    result = run_app(database_url=f"sqlite:///{disk / source.name}", instance=Path(app.instance_path),
                     mounts={disk: f"size={size}"}, body=f"""
        import shutil
        from io import BytesIO
        shutil.copyfile({str(source)!r}, {str(disk / source.name)!r})
        response = client.post("/login", data={{"username": {office.intake.username!r}, "password": {PASSWORD!r}}})
        big = {PDF_BYTES!r} + b"%" + b"x" * 400 * 1024  # more than the tiny disk holds
        response = client.post("/matters/new/complaint", data={{
            "channel": "phone", "received_on": "2026-06-01", "title": "磁盘满时提交的标题", "content": "来电反映。",
            "name": "张某某", "files": [(BytesIO(big), "录音.pdf")]}}, content_type="multipart/form-data")
        result.update(status=response.status_code, text=response.text)
    """)
    assert result["status"] == 200 and "存储空间已满" in result["text"] and "系统错误" not in result["text"]
    assert "磁盘满时提交的标题" in result["text"] and "张某某" in result["text"]  # the typed form is kept
    assert session.scalars(select(Matter)).all() == []


def test_every_table_that_names_a_stored_file_is_checked(app):
    """A new area's file table must be in filecheck.FILE_TABLES, or `files check` calls its files orphans."""
    from supervision.extensions import db
    from supervision.filecheck import FILE_TABLES

    checked = {model.__tablename__ for _, models in FILE_TABLES for model in models}
    naming = {table.name for table in db.metadata.tables.values() if "stored_name" in table.columns}
    assert naming == checked
