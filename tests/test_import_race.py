"""Two clerks confirming the same legacy ledger at the same moment import it once (issue 17 item 2):
confirmations are serialised by a lock in the database, and 原编号 is unique per source."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from matters_factories import office, signed_in, today  # noqa: F401  (fixtures)
from supervision.ledger_import import importing
from supervision.models.matters import Matter, MatterEvent
from test_ledgers_import import confirm, ledger, row, run_jobs, token_of, upload
from test_races import at_once, slowed

ROWS = 30


def the_ledger() -> bytes:
    return ledger([row(**{"原编号": f"2025-{n:03d}", "标题": f"窗口办事拖拉第{n}件"}) for n in range(1, ROWS + 1)])


def test_two_clerks_confirming_the_same_ledger_at_once_import_it_once(app, session, office, monkeypatch):
    intake, supervisor = signed_in(app, office.intake), signed_in(app, office.supervisor)
    data = the_ledger()
    first, second = token_of(upload(intake, data)), token_of(upload(supervisor, data))
    # The writing of the first confirmation takes a moment (as 20,000 rows do): the second arrives meanwhile.
    slowed(monkeypatch, importing, "record_change", 1.0)
    responses = at_once(lambda: confirm(intake, first), lambda: confirm(supervisor, second))
    assert all(not isinstance(r, Exception) for r in responses), responses
    session.expire_all()
    assert session.scalar(select(func.count(Matter.id))) == ROWS
    codes = session.scalars(select(Matter.original_number).order_by(Matter.original_number)).all()
    assert codes == [f"2025-{n:03d}" for n in range(1, ROWS + 1)]
    pages = [client.get(r.location) for client, r in zip((intake, supervisor), responses)]
    said = " ".join(page.text for page in pages)
    assert "已导入 <strong>30</strong> 件事项" in said
    assert "刚刚已由他人" in said  # the second clerk is told why nothing was imported


def test_a_double_click_on_confirm_records_one_job_and_imports_once(app, session, office, monkeypatch):
    """Two confirmations of the same upload at the same moment (a double click, two tabs): one job, both
    requests land on its page, the rows are imported once."""
    from supervision.ledger_import import jobs
    from supervision.models.jobs import LedgerImportJob

    intake = signed_in(app, office.intake)
    token = token_of(upload(intake, the_ledger()))
    slowed(monkeypatch, jobs, "queue_import", 0.5)  # the first is still committing when the second arrives
    responses = at_once(lambda: confirm(intake, token, run=False), lambda: confirm(intake, token, run=False))
    assert all(not isinstance(r, Exception) for r in responses), responses
    assert [r.status_code for r in responses] == [302, 302]
    assert {r.location for r in responses} == {f"/ledgers/import/{token}"}
    session.expire_all()
    assert session.scalar(select(func.count(LedgerImportJob.id))) == 1
    assert session.scalar(select(func.count(Matter.id))) == 0  # the requests only recorded the job
    run_jobs(app)
    session.expire_all()
    assert session.scalar(select(func.count(Matter.id))) == ROWS
    assert "已导入 <strong>30</strong> 件事项" in intake.get(f"/ledgers/import/{token}").text


def test_the_database_refuses_a_second_matter_with_the_same_original_number(app, session, office):
    intake = signed_in(app, office.intake)
    assert confirm(intake, token_of(upload(intake, ledger([row()])))).status_code == 302
    matter = session.scalars(select(Matter)).one()
    assert (matter.original_source, matter.original_number) == ("ledger", "2025-001")
    twin = Matter(**{column.key: getattr(matter, column.key) for column in Matter.__table__.columns
                     if column.key not in ("id", "seq", "serial", "query_code", "year")},
                  year=2024, seq=999, serial="XT-2024-00999", query_code="ZZZZZZZZ")
    session.add(twin)
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()


def test_the_migration_keeps_the_first_of_duplicated_imports_and_marks_the_others(app, session, office):
    """Ledgers imported twice before the constraint: the earliest matter keeps 原编号, later copies are marked."""
    import importlib.util
    from pathlib import Path

    from alembic.migration import MigrationContext
    from alembic.operations import Operations

    from supervision.extensions import db

    intake = signed_in(app, office.intake)
    assert confirm(intake, token_of(upload(intake, ledger([row()])))).status_code == 302
    original = session.scalars(select(Matter)).one()
    # The state the bug left: a copy with the same 原编号 in its "imported" event, no column yet.
    copy = Matter(**{column.key: getattr(original, column.key) for column in Matter.__table__.columns
                     if column.key not in ("id", "seq", "serial", "query_code", "original_source",
                                           "original_number")},
                  seq=original.seq + 1, serial=original.serial[:-5] + f"{original.seq + 1:05d}", query_code="QQQQQQQQ")
    session.add(copy)
    session.flush()
    session.add(MatterEvent(matter_id=copy.id, action="imported", text="自台账导入，原编号 2025-001",
                            audience="department"))
    session.commit()

    path = next(Path(__file__).parent.parent.glob("migrations/versions/0016c_*.py"))
    spec = importlib.util.spec_from_file_location("m0016c", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    with db.engine.begin() as connection:  # back to the state before 0016c, then its data step and index
        operations = Operations(MigrationContext.configure(connection))
        operations.drop_index("ux_matter_original_number", table_name="matter")
        connection.execute(Matter.__table__.update().values(original_source=None, original_number=None))
        migration.fill(connection)
        operations.create_index("ux_matter_original_number", "matter", ["original_source", "original_number"],
                                unique=True)
    session.expire_all()
    assert session.get(Matter, original.id).original_number == "2025-001"
    assert session.get(Matter, copy.id).original_number is None
    note = session.scalars(select(MatterEvent.text).where(MatterEvent.matter_id == copy.id,
                                                          MatterEvent.action == "import_duplicate")).one()
    assert original.serial in note and "重复导入" in note
