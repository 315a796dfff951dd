"""Migration 0038 moves the files of the instance folders into the database, on both engines: a missing
or damaged file does not stop the upgrade (a warning; `flask files check` reports it), and the files on
disk are left where they were."""

from __future__ import annotations

from pathlib import Path

from flask_migrate import downgrade, upgrade
from sqlalchemy import select

from matters_factories import PDF_BYTES, make_matter, office, signed_in, storage, today  # noqa: F401
from supervision.extensions import db
from supervision.matters import services
from supervision.models.documents import GeneratedDocument
from supervision.models.files import FileContent


def before_0038() -> str:
    from test_trust_titles import migration

    return migration("0038").down_revision


def test_the_upgrade_copies_every_registered_file_and_skips_a_missing_or_damaged_one(
        app, session, office, make_matter, storage, capfd):
    matter = make_matter("in_progress")
    good, staged, missing, damaged = (
        services.attach_files(session, office.intake, matter, [(f"{n}.pdf", PDF_BYTES + f"%{n}".encode())],
                              storage)[0] for n in ("good", "staged", "missing", "damaged"))
    session.commit()
    signed_in(app, office.intake).post(f"/matters/{matter.id}/assignments/{matter.lead_assignment.id}/slip")
    document = session.scalars(select(GeneratedDocument)).one()
    contents = dict(session.execute(select(FileContent.sha256, FileContent.content)).all())
    rows = {name: (row.stored_name, row.sha256) for name, row in
            (("good", good), ("staged", staged), ("missing", missing), ("damaged", damaged), ("document", document))}
    ids = {"missing": missing.id, "damaged": damaged.id}
    session.close()

    # The installation as it was before 0038: the files in the instance folder, none in the database.
    downgrade(revision=before_0038())
    instance = Path(app.instance_path)
    on_disk = {"good": instance / "uploads" / rows["good"][0],
               "staged": instance / "uploads" / ".staging" / rows["staged"][0],  # a crash after its commit
               "damaged": instance / "uploads" / rows["damaged"][0],
               "document": instance / "documents" / rows["document"][0]}
    for name, path in on_disk.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(contents[rows[name][1]] if name != "damaged" else b"%PDF-1.4 half a file")

    capfd.readouterr()
    upgrade()  # (alembic's logging configuration writes its warnings to stderr)
    stored = dict(db.session.execute(select(FileContent.sha256, FileContent.content)).all())
    assert set(stored) == {rows[name][1] for name in ("good", "staged", "document")}
    assert all(stored[sha] == contents[sha] for sha in stored)
    assert all(path.is_file() for path in on_disk.values())  # left in place, not deleted
    warned = capfd.readouterr().err
    assert f"attachment {ids['missing']}" in warned and f"attachment {ids['damaged']}" in warned
    assert "SHA-256 不符" in warned

    result = app.test_cli_runner().invoke(args=["files", "check"])
    assert result.exit_code == 1 and "缺失 2 个，损坏 0 个" in result.output, result.output
    assert rows["missing"][1] in result.output and rows["damaged"][1] in result.output
