"""A business row changed behind the application's back is found (docs/domain.md §14, issue 14 item 3): every
audited write records a keyed digest of the rows it wrote; `flask audit verify --rows` compares."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select, text, update

from supervision import audit, audit_rows
from supervision.audit_keys import keyring
from supervision.escalation.services import SweepPolicy, sweep
from supervision.models.audit import AuditEntry
from supervision.models.escalation import Escalation
from supervision.models.matters import Assignment, Complainant, Matter, Satisfaction
from supervision.models.org import User


def verify_rows(app):
    return app.test_cli_runner().invoke(args=["audit", "verify", "--rows"])


def assert_clean(app):
    result = verify_rows(app)
    assert result.exit_code == 0, result.output
    assert "业务记录与审计摘要一致" in result.output


def behind_the_back(session, statement: str, **params) -> None:
    session.execute(text(statement), params)
    session.commit()
    session.expire_all()


# --- what the application writes checks out ----------------------------------------------------------
def test_rows_written_by_the_services_match_their_digests(app, session, office, make_matter, make_notice, make_talk):
    make_matter("closed", co_handling=True, satisfaction=Satisfaction.SATISFIED)
    make_matter("rework")
    make_notice("sent_back")
    make_talk("closed")
    assert_clean(app)
    digested = {line.split(":")[0] for lines in session.scalars(select(AuditEntry.row_digests)) for line in
                lines.splitlines()}
    assert {"matter", "assignment", "complainant", "reply", "rectification_notice", "rectification_item",
            "rectification_report", "talk", "user_account", "department"} <= digested


def test_an_extension_decided_in_one_statement_keeps_its_digest(app, session, office, make_matter):
    """The decision is a conditional UPDATE (two decisions at once): its row is digested all the same."""
    from supervision.matters import services

    assignment = make_matter("in_progress").lead_assignment
    extension = services.request_extension(session, office.head, assignment, assignment.due_on + timedelta(days=10),
                                           "需现场调查")
    session.commit()
    services.decide_extension(session, office.supervisor, extension, True)
    session.commit()
    assert_clean(app)


def test_the_sweeps_bulk_rows_carry_their_digests(app, session, office, make_matter, today):
    matters = [make_matter("in_progress") for _ in range(3)]
    for matter in matters:
        matter.lead_assignment.due_on = today - timedelta(days=30)
    session.commit()
    report = sweep(session, SweepPolicy(), today)
    session.commit()
    assert report.recorded >= 3
    assert_clean(app)
    escalation = session.scalars(select(Escalation)).first()
    behind_the_back(session, "UPDATE escalation SET workdays_overdue = 0 WHERE id = :id", id=escalation.id)
    result = verify_rows(app)
    assert result.exit_code != 0 and f"escalation #{escalation.id}" in result.output
    assert "workdays_overdue" in result.output


def test_a_ledger_import_records_the_digests_of_its_rows(app, session, office):
    from test_ledgers_import import ledger, row

    from supervision.ledger_import import importing

    parsed = importing.read_ledger(session, ledger([row(), row(**{"原编号": "2025-002", "标题": "另一件"})]))
    importing.import_ledger(session, office.intake, parsed, file_name="f.xlsx")
    session.commit()
    assert_clean(app)


# --- one test per way of changing a row behind the application's back --------------------------------
def test_a_matters_deadline_changed_in_the_database_is_found(app, session, office, make_matter):
    matter = make_matter("in_progress")
    assert_clean(app)
    behind_the_back(session, "UPDATE matter SET due_on = :due WHERE id = :id", due=date(2030, 1, 1), id=matter.id)
    result = verify_rows(app)
    assert result.exit_code != 0
    assert f"matter #{matter.id}" in result.output and "due_on" in result.output
    assert "在应用之外被修改" in result.output


def test_a_field_added_later_is_covered_from_the_rows_next_audited_write(app, session, office, make_matter,
                                                                         monkeypatch):
    """A digest recorded before a field was appended to AUDITED_FIELDS covers the fields it had (one tag
    each): an upgrade that adds one does not turn every row into a mismatch, and the row's next audited
    write covers the new field too."""
    from supervision.matters import services

    fields = audit_rows.AUDITED_FIELDS["matter"]
    assert fields[-2:] == ("assigned_respondent_unit", "assigned_respondent_person")
    monkeypatch.setitem(audit_rows.AUDITED_FIELDS, "matter", fields[:-2])  # the release before 0032
    matter = make_matter("in_progress")
    monkeypatch.setitem(audit_rows.AUDITED_FIELDS, "matter", fields)
    behind_the_back(session, "UPDATE matter SET assigned_respondent_unit = 'x' WHERE id = :id", id=matter.id)
    assert_clean(app)  # the upgrade's own data step: not covered by the older digest
    services.update_summary(session, office.intake, matter, matter.summary, matter.version,
                            assigned_respondent_person="窗口工作人员")
    session.commit()
    assert_clean(app)
    behind_the_back(session, "UPDATE matter SET assigned_respondent_person = :p WHERE id = :id",
                    p="张三13912345678", id=matter.id)
    result = verify_rows(app)
    assert result.exit_code != 0
    assert f"matter #{matter.id}" in result.output and "assigned_respondent_person" in result.output
    behind_the_back(session, "UPDATE matter SET assigned_respondent_person = :p, due_on = :due WHERE id = :id",
                    p="窗口工作人员", due=date(2030, 1, 1), id=matter.id)
    assert "due_on" in verify_rows(app).output


def test_the_nightly_check_reports_a_changed_row(app, session, office, make_matter):
    matter = make_matter("in_progress")
    behind_the_back(session, "UPDATE matter SET status = 'closed' WHERE id = :id", id=matter.id)
    result = app.test_cli_runner().invoke(args=["audit", "nightly"])
    assert result.exit_code != 0 and "夜间核查发现 1 处问题" in result.output
    assert f"matter #{matter.id}" in result.output and "status" in result.output


def test_an_assignment_and_a_complainant_changed_in_the_database_are_found(app, session, office, make_matter):
    matter = make_matter("in_progress")
    assignment = matter.lead_assignment
    behind_the_back(session, "UPDATE assignment SET status = 'replied' WHERE id = :id", id=assignment.id)
    behind_the_back(session, "UPDATE complainant SET phone = '13900000000' WHERE matter_id = :id", id=matter.id)
    output = verify_rows(app).output
    assert f"assignment #{assignment.id}" in output and "status" in output
    complainant_id = session.scalar(select(Complainant.id).where(Complainant.matter_id == matter.id))
    assert f"complainant #{complainant_id}" in output and "phone" in output


def test_rectification_and_talk_rows_changed_in_the_database_are_found(app, session, office, make_notice, make_talk):
    notice = make_notice("reported")
    talk = make_talk("held")
    behind_the_back(session, "UPDATE rectification_notice SET due_on = :due WHERE id = :id", due=date(2031, 1, 1),
                    id=notice.id)
    behind_the_back(session, "UPDATE rectification_item SET status = 'closed' WHERE id = :id", id=notice.items[0].id)
    behind_the_back(session, "UPDATE talk SET statement = '从未谈过' WHERE id = :id", id=talk.id)
    output = verify_rows(app).output
    assert f"rectification_notice #{notice.id}" in output and f"rectification_item #{notice.items[0].id}" in output
    assert f"talk #{talk.id}" in output and "statement" in output


def test_a_user_made_admin_in_the_database_is_found(app, session, office):
    behind_the_back(session, "UPDATE user_account SET role = 'admin' WHERE id = :id", id=office.head.id)
    output = verify_rows(app).output
    assert f"user_account #{office.head.id}" in output and "role" in output


def test_a_row_inserted_in_the_database_is_found(app, session, office, make_matter):
    matter = make_matter("registered")
    behind_the_back(session, """INSERT INTO matter (kind, year, seq, serial, query_code, channel, title, content,
        summary, respondent_unit, respondent_person, received_on, anonymous, confidential, place, inspectors, problems,
        status, due_provisional, accept_due_provisional, decision_reason, rework_count, public_reply, followup_note,
        registered_at, updated_at, version)
        SELECT kind, year, seq + 1000, 'XT-FAKE', query_code, channel, title, content, summary, respondent_unit,
        respondent_person, received_on, anonymous, confidential, place, inspectors, problems, status, due_provisional,
        accept_due_provisional, decision_reason, rework_count, public_reply, followup_note, registered_at,
        updated_at, version FROM matter WHERE id = :id""", id=matter.id)
    fake = session.scalar(select(Matter.id).where(Matter.serial == "XT-FAKE"))
    output = verify_rows(app).output
    assert f"matter #{fake}" in output and "没有审计摘要" in output


def test_a_row_deleted_in_the_database_is_found(app, session, office, make_matter, today):
    matter = make_matter("in_progress")
    matter.lead_assignment.due_on = today - timedelta(days=30)
    session.commit()
    sweep(session, SweepPolicy(), today)
    session.commit()
    escalation_id = session.scalar(select(Escalation.id))
    behind_the_back(session, "DELETE FROM escalation WHERE id = :id", id=escalation_id)
    result = verify_rows(app)
    assert result.exit_code != 0
    assert f"escalation #{escalation_id}" in result.output and "被删除" in result.output


def test_a_row_changed_and_a_forged_digest_entry_appended_is_found(app, session, office, make_matter):
    """Changing the row and appending an entry with its new digest needs the key: a guessed one breaks
    the chain."""
    matter = make_matter("in_progress")
    behind_the_back(session, "UPDATE matter SET due_on = :due WHERE id = :id", due=date(2030, 1, 1), id=matter.id)
    app.config.update(AUDIT_KEY="a-guessed-key")
    audit.record(session, None, "matter.touched", matter, "伪造的摘要")  # digests the row with the wrong key
    session.commit()
    app.config.update(AUDIT_KEY="test-audit-key")
    result = verify_rows(app)
    assert result.exit_code != 0 and "本条记录内容与其哈希不符" in result.output


# --- rows from before the digests --------------------------------------------------------------------
def test_the_baseline_digests_rows_that_have_none_but_never_a_changed_one(app, session, office, make_matter):
    matter = make_matter("in_progress")
    other = make_matter("registered")
    # Rows from before row digests: written without any.
    behind_the_back(session, "UPDATE matter SET title = '升级前写入' WHERE id = :id", id=other.id)
    behind_the_back(session, "UPDATE assignment SET requirements = '改过' WHERE id = :id", id=matter.lead_assignment.id)
    assert verify_rows(app).exit_code != 0
    result = app.test_cli_runner().invoke(args=["audit", "baseline"])
    assert result.exit_code == 0 and "已为 0 行" in result.output  # every row here already had a digest
    behind_the_back(session, """INSERT INTO department (code, name, kind, contact_person, contact_phone, active,
        created_at) VALUES ('OLD', '升级前的单位', 'city', '', '', true, :at)""", at=audit.clock.now())
    result = app.test_cli_runner().invoke(args=["audit", "baseline"])
    assert "已为 1 行" in result.output and "department 1" in result.output
    output = verify_rows(app).output
    assert "升级前的单位" not in output and "department #" not in output
    assert f"matter #{other.id}" in output and f"assignment #{matter.lead_assignment.id}" in output


def test_the_digest_is_keyed_and_tells_which_fields_differ(app, session):
    ring = keyring()
    values = [f"v{n}" for n in range(len(audit_rows.AUDITED_FIELDS["department"]))]
    first = audit_rows.digest(ring.current, "department", 1, values)
    assert first != audit_rows.digest(b"another key", "department", 1, values)
    assert first != audit_rows.digest(ring.current, "department", 2, values)
    changed = list(values)
    changed[1] = "another name"
    assert audit_rows._differing_fields(ring.current, "department", 1, changed, first, {}) == ["name"]


@pytest.mark.parametrize("field_name", ["failed_logins", "last_login_at", "locked_until"])
def test_login_bookkeeping_is_not_a_digested_field(field_name):
    assert field_name not in audit_rows.AUDITED_FIELDS["user_account"]
    assert all(name in User.__table__.c for name in audit_rows.AUDITED_FIELDS["user_account"])


def test_every_digested_field_is_a_column():
    from supervision.models.base import Base

    for table, names in audit_rows.AUDITED_FIELDS.items():
        assert all(name in Base.metadata.tables[table].c for name in names), table


def test_an_unaudited_write_after_the_last_entry_gets_its_digest_at_commit(app, session, office, make_matter):
    matter = make_matter("registered")
    matter.respondent_unit = "改在审计之后"
    session.commit()
    assert session.scalars(select(AuditEntry.action).order_by(AuditEntry.seq.desc())).first() == "audit.rows"
    assert_clean(app)
    session.execute(update(Assignment).values(requirements="x"))  # nothing to digest: no assignment yet
    session.commit()
    assert_clean(app)
