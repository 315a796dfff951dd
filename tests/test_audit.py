from __future__ import annotations

import threading

import pytest
from sqlalchemy import select, text, update

from supervision import audit
from supervision.extensions import db
from supervision.models.audit import AuditChainHead, AuditEntry
from supervision.models.org import Role


def _write_entries(session, actor, count=3):
    for n in range(count):
        audit.record(session, actor, "test.write", ("thing", n), f"第 {n} 次写入", {"n": n})
    session.commit()


def test_every_entry_chains_onto_the_previous_one(session, make_user):
    actor = make_user(Role.INTAKE)
    _write_entries(session, actor)
    entries = session.scalars(select(AuditEntry).order_by(AuditEntry.seq)).all()
    assert [e.seq for e in entries] == list(range(1, len(entries) + 1))
    for previous, current in zip(entries, entries[1:]):
        assert current.prev_hash == previous.hash
    assert list(audit.verify_chain(session)) == []


def test_audit_verify_catches_an_edited_row(app, session, make_user):
    _write_entries(session, make_user(Role.INTAKE))
    session.execute(update(AuditEntry).where(AuditEntry.seq == 2).values(summary="篡改后的摘要"))
    session.commit()
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code != 0
    assert "第 2 条" in result.output and "被修改" in result.output


def test_audit_verify_catches_a_deleted_row(app, session, make_user):
    _write_entries(session, make_user(Role.INTAKE), count=4)
    session.execute(text("DELETE FROM audit_entry WHERE seq = 2"))
    session.commit()
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code != 0 and "缺少" in result.output


def test_audit_verify_catches_a_deleted_last_row(app, session, make_user):
    _write_entries(session, make_user(Role.INTAKE), count=3)
    last = session.scalar(select(AuditEntry.seq).order_by(AuditEntry.seq.desc()).limit(1))
    session.execute(text(f"DELETE FROM audit_entry WHERE seq = {last}"))
    session.commit()
    assert app.test_cli_runner().invoke(args=["audit", "verify"]).exit_code != 0


def test_audit_verify_passes_on_an_intact_log(app, session, make_user):
    _write_entries(session, make_user(Role.INTAKE))
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0 and "校验通过" in result.output


def test_a_rolled_back_write_leaves_no_audit_row(session, make_user):
    actor = make_user(Role.INTAKE)
    before = session.scalar(select(AuditChainHead.seq))
    audit.record(session, actor, "test.write", ("thing", 1), "将被回滚")
    session.rollback()
    assert session.scalar(select(AuditChainHead.seq)) == before
    assert list(audit.verify_chain(session)) == []


def test_concurrent_writers_keep_one_unbroken_chain(app, database_url, make_user):
    """Two requests writing at once: the chain head lock makes them append one after the other."""
    if not database_url.startswith("postgresql"):
        pytest.skip("true concurrency is a PostgreSQL property; SQLite serialises writers itself")
    actor_id = make_user(Role.INTAKE).id
    db.session.remove()
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            with app.app_context():
                session = db.session
                actor = None  # the system writes, as the deadline sweep does
                barrier.wait(timeout=10)
                for k in range(5):
                    audit.record(session, actor, "test.concurrent", ("thing", n), f"线程 {n} 第 {k} 条")
                    session.commit()
                db.session.remove()
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    with app.app_context():
        seqs = db.session.scalars(select(AuditEntry.seq).where(AuditEntry.action == "test.concurrent")).all()
        assert len(seqs) == 20
        assert list(audit.verify_chain(db.session)) == []
        assert actor_id  # the user row was committed before the threads started


def test_audit_page_is_for_supervisors_leaders_and_admins(client, make_user, login):
    for role, expected in ((Role.SUPERVISOR, 200), (Role.LEADER, 200), (Role.ADMIN, 200),
                           (Role.INTAKE, 403), (Role.DEPT_HEAD, 403)):
        login(make_user(role))
        assert client.get("/audit/").status_code == expected, role
        client.post("/logout")


def test_audit_page_filters_by_action(client, make_user, login, session):
    supervisor = make_user(Role.SUPERVISOR)
    audit.record(session, supervisor, "matter.assigned", ("matter", 7), "交办事项七")
    audit.record(session, supervisor, "user.created", ("user_account", 9), "创建用户九")
    session.commit()
    login(supervisor)
    page = client.get("/audit/?action=matter.").text
    assert "交办事项七" in page and "创建用户九" not in page
