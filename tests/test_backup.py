"""`flask backup create` / `restore`, end to end: a new instance from a backup serves the same matters
and documents, verifies its audit chain, rebuilds its search index, and gives out no number twice."""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from conftest import FormClient, _admin_engine, _base_config, _with_database
from matters_factories import PASSWORD, PDF_BYTES, make_matter, matter_input, office, storage, today  # noqa: F401
from supervision import create_app, filestore, highwater
from supervision.extensions import db
from supervision.matters import services
from supervision.models.documents import GeneratedDocument
from supervision.models.matters import Matter, MatterKind
from supervision.models.org import User
from supervision.models.counters import SerialCounter


@pytest.fixture
def empty_database(database_url, tmp_path):
    """A new, empty database of the same engine (nothing migrated: the restore brings the schema)."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    name = f"supervision_r_{uuid.uuid4().hex[:10]}"
    engine = _admin_engine()
    with engine.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield _with_database(database_url, name)
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def second_instance(url: str, instance: Path, **config):
    instance.mkdir(exist_ok=True)
    os.environ["SUPERVISION_INSTANCE_PATH"] = str(instance)
    try:
        application = create_app({**_base_config(url, instance), **config})
    finally:
        os.environ.pop("SUPERVISION_INSTANCE_PATH", None)
    application.test_client_class = FormClient
    return application


def login(application, user):
    client = application.test_client()
    response = client.post("/login", data={"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, response.text
    return client


def slip(client, matter_id: int, assignment_id: int) -> GeneratedDocument:
    response = client.post(f"/matters/{matter_id}/assignments/{assignment_id}/slip")
    assert response.status_code == 302 and "/documents/" in response.location, response.text
    return db.session.get(GeneratedDocument, int(response.location.rsplit("/", 1)[1]))


def cli(application, *args):
    with application.app_context():
        result = application.test_cli_runner().invoke(args=list(args))
    return result


def test_a_new_instance_from_a_backup_serves_the_same_and_reissues_no_number(
        app, session, office, make_matter, storage, empty_database, tmp_path):
    # The office at work: a matter with evidence, a 交办单 with its number, an anchored audit chain.
    first = make_matter("in_progress")
    (attachment,) = services.attach_files(session, office.intake, first, [("现场照片.pdf", PDF_BYTES)], storage)
    session.commit()
    office_client = login(app, office.intake)
    document = slip(office_client, first.id, first.lead_assignment.id)
    document_bytes = filestore.read_checked(session, document.sha256)
    assert cli(app, "audit", "anchor").exit_code == 0
    issued_file = Path(app.instance_path) / "issued_numbers.log"

    backup = tmp_path / "backup-20261207"
    result = cli(app, "backup", "create", str(backup))
    assert result.exit_code == 0, result.output
    manifest = json.loads((backup / "manifest.json").read_text(encoding="utf-8"))
    assert not any(name.startswith("files/") for name in manifest["files"])  # the files are in the database
    assert manifest["format"] == 2 and manifest["stored_files"]["count"] == 2
    assert "audit_anchor.log" in manifest["files"] and "issued_numbers.log" in manifest["files"]

    # After the backup, numbers are given out (to citizens, with their query codes) …
    later = [services.register_matter(session, office.intake, matter_input(title=f"备份后登记{n}"))
             for n in range(3)]
    second = make_matter("in_progress")
    session.commit()
    later_document = slip(office_client, second.id, second.lead_assignment.id)
    given_out = max(m.seq for m in [*later, second])  # all complaints of this year
    assert later_document.number and issued_file.is_file()

    # Plain values from here on: an expired row of this session must not reload through the other app.
    intake = type("Intake", (), {"username": office.intake.username, "id": office.intake.id})
    first_id, first_serial, second_id, attachment_id = first.id, first.serial, second.id, attachment.id
    document_id, document_number = document.id, document.number
    later_document_seq = int(later_document.number.split("〕")[1].rstrip("号"))
    assert later_document_seq == 2
    session.close()

    # … then the database and the instance folder are lost. The issued-numbers file, kept beside the
    # anchor on other storage, survives; a new instance is restored from last night's backup.
    restored = second_instance(empty_database, tmp_path / "instance_b", ISSUED_NUMBERS_FILE=str(issued_file))
    result = cli(restored, "backup", "restore", str(backup))
    assert result.exit_code == 0, result.output
    assert "flask search check --fix" in result.output

    assert cli(restored, "audit", "verify").exit_code == 0
    restored.config.update(SEARCH_ENABLED=True)
    result = cli(restored, "search", "check", "--fix")
    assert result.exit_code == 0, result.output
    result = cli(restored, "files", "check")
    assert result.exit_code == 0, result.output

    with restored.app_context():
        client = login(restored, intake)
        page = client.get(f"/matters/{first_id}")
        assert page.status_code == 200 and first_serial in page.text
        client.post(f"/matters/{first_id}/identity", data={"reason": "恢复演练核对"})
        download = client.get(f"/matters/{first_id}/files/{attachment_id}")
        assert download.status_code == 200 and download.data == PDF_BYTES
        download = client.get(f"/documents/{document_id}")
        assert download.status_code == 200 and download.data == document_bytes
        assert not (tmp_path / "instance_b" / "uploads").exists()  # served from the restored database
        assert db.session.scalar(select(Matter.id).where(Matter.title == "备份后登记0")) is None  # lost with the disk
        assert db.session.get(Matter, second_id) is None

        user = db.session.get(User, intake.id)
        fresh = services.register_matter(db.session, user, matter_input(title="恢复后登记"))
        db.session.commit()
        assert fresh.kind == MatterKind.COMPLAINT and fresh.seq == given_out + 1  # not a number given out
        regenerated = slip(client, first_id, db.session.get(Matter, first_id).lead_assignment.id)
        assert regenerated.number == document_number  # regenerated: the same number
        # The document number given out after the backup is not given again: the next one is above it.
        counter = db.session.scalar(select(SerialCounter.value).where(SerialCounter.scope.like("doc:%")))
        assert counter == later_document_seq
        db.engine.dispose()


def test_restore_refuses_a_database_or_instance_folder_that_is_not_empty(app, session, office, tmp_path,
                                                                           database_url):
    backup = tmp_path / "backup"
    assert cli(app, "backup", "create", str(backup)).exit_code == 0
    result = cli(app, "backup", "restore", str(backup))  # into the very database it came from
    assert result.exit_code == 1 and "目标数据库不是空的" in result.output
    assert cli(app, "backup", "create", str(backup)).exit_code == 1  # never over an existing backup


def test_restore_checks_every_checksum_before_writing_anything(app, session, office, make_matter, storage,
                                                               empty_database, tmp_path):
    matter = make_matter("registered")
    (attachment,) = services.attach_files(session, office.intake, matter, [("a.pdf", PDF_BYTES)], storage)
    session.commit()
    backup = tmp_path / "backup"
    assert cli(app, "backup", "create", str(backup)).exit_code == 0
    manifest = json.loads((backup / "manifest.json").read_text(encoding="utf-8"))
    with (backup / manifest["database"]).open("r+b") as dump:  # one byte of the copy (and its files) altered
        dump.seek(dump.seek(0, os.SEEK_END) // 2)
        byte = dump.read(1)
        dump.seek(-1, os.SEEK_CUR)
        dump.write(bytes([byte[0] ^ 0xFF]))
    restored = second_instance(empty_database, tmp_path / "instance_b")
    result = cli(restored, "backup", "restore", str(backup))
    assert result.exit_code == 1 and "备份校验失败" in result.output and manifest["database"] in result.output
    with restored.app_context():
        assert sa.inspect(db.engine).get_table_names() == []  # nothing was restored
        db.engine.dispose()
    assert not (tmp_path / "instance_b" / "uploads").exists()



def test_a_restore_takes_the_numbers_every_server_gave_out(app, session, office, empty_database, tmp_path):
    """Several servers, no shared disk: each appends the numbers it gives out to its own issued_numbers.log.
    The operator passes every server's file to the restore; the highest mark of each counter wins."""
    first = services.register_matter(session, office.intake, matter_input(title="备份前登记"))
    session.commit()
    backup = tmp_path / "backup"
    assert cli(app, "backup", "create", str(backup)).exit_code == 0
    scope = "matter:complaint"
    server_a, server_b = tmp_path / "a" / "issued_numbers.log", tmp_path / "b" / "issued_numbers.log"
    year, seq, intake_id = first.year, first.seq, office.intake.id  # plain values: see the test above
    session.close()
    highwater.append(server_a, {(scope, year): seq + 4})  # given out by server A after the backup
    highwater.append(server_b, {(scope, year): seq + 9})  # … and by server B
    restored = second_instance(empty_database, tmp_path / "instance_b")
    result = cli(restored, "backup", "restore", str(backup), "--issued-numbers", str(tmp_path / "missing.log"))
    assert result.exit_code != 0 and "missing.log" in result.output  # a mistyped path stops before anything
    result = cli(restored, "backup", "restore", str(backup), "--issued-numbers", str(server_a),
                 "--issued-numbers", str(server_b))
    assert result.exit_code == 0, result.output
    assert f"{seq + 9}" in result.output
    with restored.app_context():
        user = db.session.get(User, intake_id)
        fresh = services.register_matter(db.session, user, matter_input(title="恢复后登记"))
        db.session.commit()
        assert fresh.seq == seq + 10
        db.engine.dispose()

def test_restore_refuses_an_instance_folder_with_files(app, session, office, empty_database, tmp_path):
    backup = tmp_path / "backup"
    assert cli(app, "backup", "create", str(backup)).exit_code == 0
    occupied = tmp_path / "instance_b"
    (occupied / "uploads").mkdir(parents=True)
    (occupied / "uploads" / "0123456789abcdef0123456789abcdef").write_bytes(b"someone's file")
    restored = second_instance(empty_database, occupied)
    result = cli(restored, "backup", "restore", str(backup))
    assert result.exit_code == 1 and "目标实例目录不是空的" in result.output
    with restored.app_context():
        assert sa.inspect(db.engine).get_table_names() == []
        db.engine.dispose()


def test_a_backup_made_before_0038_restores_and_the_upgrade_loads_its_files(app, session, office, make_matter,
                                                                            storage, empty_database, tmp_path):
    """Format 1 (the files beside the database copy, under files/): the restore copies them into the
    instance folder and says to upgrade; migration 0038 then loads them into the database."""
    from flask_migrate import downgrade, upgrade

    from supervision.backup import _dump_database, _sha256
    from test_files_migration import before_0038

    matter = make_matter("registered")
    (attachment,) = services.attach_files(session, office.intake, matter, [("现场照片.pdf", PDF_BYTES)], storage)
    session.commit()
    matter_id, attachment_id, stored_name = matter.id, attachment.id, attachment.stored_name
    intake = type("Intake", (), {"username": office.intake.username})
    session.close()
    downgrade(revision=before_0038())  # the installation as it was, its files in the instance folder
    backup = tmp_path / "backup-old"
    (backup / "files" / "uploads").mkdir(parents=True)
    database = _dump_database(db.engine, backup)
    (backup / "files" / "uploads" / stored_name).write_bytes(PDF_BYTES)
    files = {str(p.relative_to(backup)): {"size": p.stat().st_size, "sha256": _sha256(p)}
             for p in sorted(backup.rglob("*")) if p.is_file()}
    (backup / "manifest.json").write_text(json.dumps({
        "format": 1, "engine": db.engine.dialect.name, "database": database, "alembic_revision": before_0038(),
        "counters": [], "files": files}), encoding="utf-8")

    restored = second_instance(empty_database, tmp_path / "instance_b")
    result = cli(restored, "backup", "restore", str(backup))
    assert result.exit_code == 0 and "flask db upgrade" in result.output, result.output
    with restored.app_context():
        upgrade()
        client = login(restored, intake)
        client.post(f"/matters/{matter_id}/identity", data={"reason": "恢复演练核对"})
        download = client.get(f"/matters/{matter_id}/files/{attachment_id}")
        assert download.status_code == 200 and download.data == PDF_BYTES
        db.engine.dispose()
    result = cli(restored, "files", "check")
    assert result.exit_code == 0, result.output
