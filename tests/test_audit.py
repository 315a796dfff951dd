from __future__ import annotations

import hashlib
import threading
from datetime import date, datetime

import pytest
from sqlalchemy import select, text, update

from supervision import audit
from supervision.extensions import db
from supervision.models.audit import AuditChainHead, AuditEntry
from supervision.models.org import Role
from supervision.models.escalation import SupervisionLevel


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


def test_the_hash_format_is_unchanged():
    """Pinned: chains written by earlier versions must still verify."""
    values = {"seq": 7, "prev_hash": "ab" * 32, "created_at": datetime(2026, 3, 2, 9, 30, 0, 125), "actor_id": None,
              "actor_name": "系统", "action": "escalation.escalation", "target_type": "escalation", "target_id": 42,
              "summary": '挂牌督办：XT-2026-00017 "窗口"推诿\\（自动）', "ip_address": "",
              "changes": audit.canonical_json({"due_on": date(2026, 2, 1), "level": SupervisionLevel.listed,
                                               "workdays_overdue": 16})}
    assert values["changes"] == '{"due_on":"2026-02-01","level":"listed","workdays_overdue":16}'
    assert audit.hash_of(values) == "6f6e8593745d500e727f92d2b361d14bd8ff81af10f60e3b343ee1965a259b33"


def test_the_hash_is_of_the_canonical_json_of_the_entry():
    """hash_of writes the canonical JSON key by key: the same text as the encoder, for any content."""
    for summary, target_id, actor_id, ip in [('引号 " 反斜杠 \\ 换行\n 制表\t \x00 \u2028 😀', None, None, ""),
                                              ("plain", 2**40, 3, "2001:db8::1"), ("", 0, 0, "10.0.0.1")]:
        values = {"seq": 12, "prev_hash": "cd" * 32, "created_at": datetime(2026, 3, 2, 9, 30), "actor_id": actor_id,
                  "actor_name": "王 \"芳\"", "action": "matter.register", "target_type": "matter",
                  "target_id": target_id, "summary": summary, "ip_address": ip,
                  "changes": audit.canonical_json({"title": [summary, "新"], "n": target_id})}
        reference = audit.canonical_json({
            "seq": values["seq"], "prev": values["prev_hash"], "at": values["created_at"].isoformat(),
            "actor_id": actor_id, "actor": values["actor_name"], "action": values["action"],
            "target_type": values["target_type"], "target_id": target_id, "summary": summary,
            "changes": values["changes"], "ip": ip})
        assert audit.hash_of(values) == hashlib.sha256(reference.encode("utf-8")).hexdigest()


def test_many_entries_at_once_continue_the_chain_and_verify(session, make_user):
    actor = make_user(Role.SUPERVISOR)
    _write_entries(session, actor, count=2)
    before = session.scalar(select(AuditChainHead.seq)) - 2  # the new user's row digest has an entry too
    shared = {"due_on": date(2026, 2, 1), "level": SupervisionLevel.written}
    entries = [("test.bulk", ("thing", n), f'第 {n} 条 "批量" 写入\\', shared if n % 2 else {"n": n})
               for n in range(25)] + [("test.bulk", ("thing", None), "无变更", None)]
    assert audit.record_many(session, None, entries) == 26
    audit.record(session, actor, "test.write", ("thing", 99), "之后的单条写入", {"n": 99})
    session.commit()
    rows = session.scalars(select(AuditEntry).where(AuditEntry.seq > before).order_by(AuditEntry.seq)).all()
    assert [e.seq for e in rows] == list(range(before + 1, before + 30))
    assert [e.actor_name for e in rows[2:4]] == ["系统", "系统"]
    assert rows[3].changes == '{"due_on":"2026-02-01","level":"written"}' and rows[27].changes == "{}"
    assert rows[3].summary == '第 1 条 "批量" 写入\\' and rows[27].target_id is None
    assert list(audit.verify_chain(session)) == []


def as_database_owner(session, *statements) -> None:
    """What someone with the database owner's rights can do: on PostgreSQL the append-only triggers
    must be switched off first (the application's role cannot)."""
    postgres = session.get_bind().dialect.name == "postgresql"
    if postgres:
        session.execute(text("ALTER TABLE audit_entry DISABLE TRIGGER USER"))
    for statement in statements:
        session.execute(text(statement) if isinstance(statement, str) else statement)
    if postgres:
        session.execute(text("ALTER TABLE audit_entry ENABLE TRIGGER USER"))
    session.commit()


def test_audit_verify_catches_an_edited_row(app, session, make_user):
    _write_entries(session, make_user(Role.INTAKE))
    as_database_owner(session, update(AuditEntry).where(AuditEntry.seq == 2).values(summary="篡改后的摘要"))
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code != 0
    assert "第 2 条" in result.output and "被修改" in result.output


def test_audit_verify_catches_a_deleted_row(app, session, make_user):
    _write_entries(session, make_user(Role.INTAKE), count=4)
    as_database_owner(session, "DELETE FROM audit_entry WHERE seq = 2")
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code != 0 and "缺少" in result.output


def test_audit_verify_catches_a_deleted_last_row(app, session, make_user):
    _write_entries(session, make_user(Role.INTAKE), count=3)
    last = session.scalar(select(AuditEntry.seq).order_by(AuditEntry.seq.desc()).limit(1))
    as_database_owner(session, f"DELETE FROM audit_entry WHERE seq = {last}")
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


@pytest.mark.postgres_only  # true concurrency is a PostgreSQL property; SQLite serialises writers itself
def test_concurrent_writers_keep_one_unbroken_chain(app, database_url, make_user):
    """Two requests writing at once: the chain head lock makes them append one after the other."""
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


CASE_EVENTS = {"matter.assign": "交办事项七号", "talk.propose": "谈话事由：收受礼金",
               "rectification.issued": "整改通知八号", "identity.viewed": "查看反映人张三",
               "escalation.escalation": "挂牌督办九号", "deadline.recomputed": "事项十号时限重算"}
SYSTEM_EVENTS = {"user.created": "创建用户九", "department.updated": "修改单位", "auth.login": "登录成功",
                 "calendar.override_saved": "调休安排", "audit.anchored": "审计日志锚定"}


def _log_every_kind(session, actor):
    for action, summary in {**CASE_EVENTS, **SYSTEM_EVENTS}.items():
        audit.record(session, actor, action, ("thing", 1), summary)
    session.commit()


def test_the_admin_sees_account_and_system_events_but_no_case_event(client, make_user, login, session):
    admin = make_user(Role.ADMIN)
    _log_every_kind(session, make_user(Role.SUPERVISOR))
    login(admin)
    page = client.get("/audit/").text
    assert all(summary in page for summary in SYSTEM_EVENTS.values())
    assert not any(summary in page for summary in CASE_EVENTS.values())
    for action in ("talk.", "matter.", "rectification.", "identity.", "escalation."):  # not even by asking
        asked = client.get(f"/audit/?action={action}").text
        assert not any(summary in asked for summary in CASE_EVENTS.values()), action
    assert "谈话事由" not in client.get("/audit/?target_type=thing&target_id=1").text


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.LEADER])
def test_supervisors_and_leaders_see_case_events(client, make_user, login, session, role):
    _log_every_kind(session, make_user(Role.INTAKE))
    login(make_user(role))
    page = client.get("/audit/").text
    assert all(summary in page for summary in {**CASE_EVENTS, **SYSTEM_EVENTS}.values())
    assert "谈话事由：收受礼金" in client.get("/audit/?action=talk.").text
