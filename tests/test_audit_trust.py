"""The audit log cannot be rewritten unnoticed (docs/domain.md §14, issue 14 item 2): keyed hashes, the anchor file
outside the database, key rotation, the entries written before keys existed, and on PostgreSQL the
triggers that make the entries append-only.

Each tampering test does what someone with the database owner's rights could do, with the code's own
functions, and expects `flask audit verify` to say where the chain first goes wrong."""

from __future__ import annotations

import re
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import delete, select, text, update

from supervision import audit
from supervision.models.audit import AuditChainHead, AuditEntry
from supervision.models.org import Role
from tests.conftest import TEST_AUDIT_KEY


def write(session, count: int, actor=None, action: str = "test.write") -> None:
    for n in range(count):
        audit.record(session, actor, action, ("thing", n), f"第 {n} 次写入", {"n": n})
    session.commit()


def cli(app, *args: str):
    return app.test_cli_runner().invoke(args=list(args))


def verify(app, *options: str):
    return cli(app, "audit", "verify", *options)


def head(session) -> tuple[int, str]:
    session.expire_all()
    return session.execute(select(AuditChainHead.seq, AuditChainHead.last_hash)).one()


def anchor_file(app) -> Path:
    return Path(app.instance_path) / "audit_anchor.log"


@contextmanager
def owner_rights(session):
    """Someone with the database owner's rights: on PostgreSQL the append-only triggers go off first
    (only the owner can do that; the application's role cannot)."""
    postgres = session.get_bind().dialect.name == "postgresql"
    if postgres:
        session.execute(text("ALTER TABLE audit_entry DISABLE TRIGGER USER"))
    yield session
    session.flush()
    if postgres:
        session.execute(text("ALTER TABLE audit_entry ENABLE TRIGGER USER"))
    session.commit()


def recompute_from(session, seq: int, hash_function) -> None:
    """Rewrite the chain from ``seq`` on with ``hash_function`` and point the head at its new end."""
    entries = session.scalars(select(AuditEntry).where(AuditEntry.seq >= seq).order_by(AuditEntry.seq)).all()
    prev = session.scalar(select(AuditEntry.hash).where(AuditEntry.seq == seq - 1)) or audit.GENESIS_HASH
    for entry in entries:
        entry.prev_hash = prev
        entry.hash = hash_function(entry)
        prev = entry.hash
    session.flush()
    session.execute(update(AuditChainHead).values(last_hash=prev))


def first_bad_seq(output: str) -> int:
    found = re.search(r"最早的问题位于第 (\d+) 条", output)
    assert found, output
    return int(found.group(1))


# --- keyed entries -----------------------------------------------------------------------------------
def test_entries_are_keyed_with_the_audit_key_and_name_it(app, session):
    write(session, 2)
    entry = session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
    values = {column: getattr(entry, column) for column in audit.HASHED_COLUMNS}
    assert entry.key_id == "t1"
    assert entry.hash == audit.hash_of(values, TEST_AUDIT_KEY.encode())
    assert entry.hash != audit.hash_of(values)  # the unkeyed SHA-256 anyone could recompute
    assert verify(app).exit_code == 0


# --- one test per way of rewriting the log ------------------------------------------------------------
def test_a_row_edited_and_the_rest_of_the_chain_recomputed_with_the_codes_own_hash_is_found(app, session):
    write(session, 6)
    assert cli(app, "audit", "anchor").exit_code == 0
    write(session, 3)
    with owner_rights(session):
        session.execute(update(AuditEntry).where(AuditEntry.seq == 4).values(summary="改过的摘要"))
        recompute_from(session, 4, lambda entry: audit.hash_of(
            {column: getattr(entry, column) for column in audit.HASHED_COLUMNS}))
    result = verify(app)
    assert result.exit_code != 0 and "完整" not in result.output
    assert "第 4 条" in result.output and first_bad_seq(result.output) == 4


def test_a_chain_recomputed_as_unkeyed_entries_is_found(app, session):
    """The same, claiming every entry predates the keys: the anchored hash no longer matches."""
    write(session, 5)
    assert cli(app, "audit", "anchor").exit_code == 0
    with owner_rights(session):
        session.execute(update(AuditEntry).where(AuditEntry.seq == 2).values(summary="改过的摘要", key_id=""))
        session.execute(update(AuditEntry).values(key_id=""))
        recompute_from(session, 1, lambda entry: audit.hash_of(
            {column: getattr(entry, column) for column in audit.HASHED_COLUMNS}))
        session.execute(update(AuditChainHead).values(legacy_seq=AuditChainHead.seq))
    result = verify(app)
    assert result.exit_code != 0 and "锚点" in result.output
    assert first_bad_seq(result.output) <= 2


def test_a_chain_recomputed_with_a_guessed_key_is_found(app, session):
    write(session, 5)
    with owner_rights(session):
        session.execute(update(AuditEntry).where(AuditEntry.seq == 3).values(summary="改过的摘要"))
        recompute_from(session, 3, lambda entry: audit.hash_of(
            {column: getattr(entry, column) for column in audit.HASHED_COLUMNS}, b"development-only-audit-key"))
    result = verify(app)
    assert result.exit_code != 0 and first_bad_seq(result.output) == 3


def test_the_last_rows_deleted_and_the_head_rewound_are_found(app, session):
    write(session, 5)
    assert cli(app, "audit", "anchor").exit_code == 0
    kept_seq, kept_hash = head(session)  # the anchoring's own entry
    write(session, 3)
    assert cli(app, "audit", "anchor").exit_code == 0
    with owner_rights(session):
        session.execute(delete(AuditEntry).where(AuditEntry.seq > kept_seq))
        session.execute(update(AuditChainHead).values(seq=kept_seq, last_hash=kept_hash))
    result = verify(app)
    assert result.exit_code != 0 and "完整" not in result.output
    assert "末尾记录被删除" in result.output and first_bad_seq(result.output) == kept_seq + 1


def test_every_row_deleted_and_the_head_reset_is_found(app, session):
    write(session, 4)
    assert cli(app, "audit", "anchor").exit_code == 0
    with owner_rights(session):
        session.execute(delete(AuditEntry))
        session.execute(update(AuditChainHead).values(seq=0, last_hash=audit.GENESIS_HASH))
    result = verify(app)
    assert result.exit_code != 0 and "完整" not in result.output
    assert "清空" in result.output and first_bad_seq(result.output) == 1


def test_a_verify_of_an_intact_log_with_anchors_passes(app, session):
    write(session, 3)
    assert cli(app, "audit", "anchor").exit_code == 0
    write(session, 2)
    assert cli(app, "audit", "anchor").exit_code == 0
    result = verify(app)
    assert result.exit_code == 0, result.output
    assert "校验通过" in result.output and "锚点文件 2 行" in result.output


# --- the anchor file ----------------------------------------------------------------------------------
def test_anchoring_twice_without_new_entries_writes_one_line(app, session):
    write(session, 2)
    first = cli(app, "audit", "anchor")
    second = cli(app, "audit", "anchor")
    assert "已锚定" in first.output and "未写入新的锚点" in second.output
    lines = anchor_file(app).read_text().splitlines()
    assert len(lines) == 1
    number, at, seq, hash_, legacy_seq, key_id, mac = lines[0].split("\t")
    assert (number, int(seq), legacy_seq, key_id) == ("1", 2, "0", "t1") and len(mac) == 64
    assert session.scalar(select(AuditEntry.hash).where(AuditEntry.seq == 2)) == hash_


def _three_anchors(app, session) -> list[str]:
    for _ in range(3):
        write(session, 2)
        assert cli(app, "audit", "anchor").exit_code == 0
    lines = anchor_file(app).read_text().splitlines(keepends=True)
    assert len(lines) == 3
    return lines


def test_an_edited_anchor_line_is_found(app, session):
    lines = _three_anchors(app, session)
    parts = lines[1].rstrip("\n").split("\t")
    parts[2] = str(int(parts[2]) - 1)
    lines[1] = "\t".join(parts) + "\n"
    anchor_file(app).write_text("".join(lines))
    result = verify(app)
    assert result.exit_code != 0 and "锚点文件第 2 行被修改" in result.output


def test_a_missing_anchor_line_in_the_middle_is_found(app, session):
    lines = _three_anchors(app, session)
    anchor_file(app).write_text(lines[0] + lines[2])
    result = verify(app)
    assert result.exit_code != 0 and "锚点文件缺少第 2 行" in result.output


def test_a_missing_last_anchor_line_is_found(app, session):
    lines = _three_anchors(app, session)
    anchor_file(app).write_text("".join(lines[:2]))
    result = verify(app)
    assert result.exit_code != 0 and "锚点文件缺少第 3 行" in result.output


def test_a_deleted_anchor_file_is_found(app, session):
    _three_anchors(app, session)
    anchor_file(app).unlink()
    result = verify(app)
    assert result.exit_code != 0 and "不存在" in result.output


def test_each_server_checks_its_own_anchor_file(app, session, tmp_path):
    """Several servers run the sweep, each with its own file: another's lines are not missing from this one."""
    write(session, 2)
    app.config["AUDIT_ANCHOR_FILE"] = str(tmp_path / "other-server.log")
    assert cli(app, "audit", "anchor").exit_code == 0
    write(session, 1)
    assert cli(app, "audit", "anchor").exit_code == 0
    app.config["AUDIT_ANCHOR_FILE"] = None
    assert cli(app, "audit", "anchor").exit_code == 0
    result = verify(app)
    assert result.exit_code == 0, result.output
    # Nothing but anchorings since: neither server anchors the other's anchoring.
    for name in (str(tmp_path / "other-server.log"), None):
        app.config["AUDIT_ANCHOR_FILE"] = name
        assert "未写入新的锚点" in cli(app, "audit", "anchor").output


def test_the_sweep_anchors_the_head(app, session):
    write(session, 2)
    assert cli(app, "sweep").exit_code == 0
    lines = anchor_file(app).read_text().splitlines()
    assert len(lines) == 1 and lines[0].split("\t")[2] == "2"
    assert cli(app, "sweep").exit_code == 0  # nothing new but its own anchoring: no second line
    assert len(anchor_file(app).read_text().splitlines()) == 1
    assert verify(app).exit_code == 0


def test_the_nightly_check_anchors_and_verifies(app, session):
    write(session, 2)
    result = cli(app, "audit", "nightly")
    assert result.exit_code == 0, result.output
    assert "锚点：1\t" in result.output and "业务记录与审计摘要一致" in result.output


# --- keys ---------------------------------------------------------------------------------------------
def test_entries_written_before_a_key_rotation_still_verify_with_the_old_key_kept(app, session):
    write(session, 3)
    assert cli(app, "audit", "anchor").exit_code == 0
    app.config.update(AUDIT_KEYS={"t1": TEST_AUDIT_KEY}, AUDIT_KEY="the-new-key", AUDIT_KEY_ID="t2")
    write(session, 2)
    assert cli(app, "audit", "anchor").exit_code == 0
    assert set(session.scalars(select(AuditEntry.key_id))) == {"t1", "t2"}
    assert anchor_file(app).read_text().splitlines()[-1].split("\t")[5] == "t2"
    result = verify(app)
    assert result.exit_code == 0, result.output
    app.config.update(AUDIT_KEYS={})  # the old key thrown away: its entries can no longer be checked
    result = verify(app)
    assert result.exit_code != 0 and "密钥 t1 未配置" in result.output


def test_entries_from_before_the_keys_verify_and_cannot_be_recomputed(app, session):
    """An installation upgraded from unkeyed SHA-256: its old entries stay as they are, the first keyed
    entry chains onto them, so recomputing them breaks the link to it."""
    prev = audit.GENESIS_HASH
    for seq in (1, 2, 3):
        entry = AuditEntry(seq=seq, created_at=audit.clock.now(), actor_id=None, actor_name="系统", action="old.write",
                           target_type="thing", target_id=seq, summary=f"升级前的第 {seq} 条", changes="{}",
                           ip_address="", prev_hash=prev, key_id="", row_digests="")
        entry.hash = audit.entry_hash(entry)
        prev = entry.hash
        session.add(entry)
    session.execute(update(AuditChainHead).values(seq=3, last_hash=prev, legacy_seq=3))
    session.commit()
    write(session, 2)
    assert verify(app).exit_code == 0
    with owner_rights(session):
        session.execute(update(AuditEntry).where(AuditEntry.seq == 2).values(summary="改过的摘要"))
        session.flush()
        entries = session.scalars(select(AuditEntry).where(AuditEntry.seq.in_([2, 3])).order_by(AuditEntry.seq)).all()
        previous = session.scalar(select(AuditEntry.hash).where(AuditEntry.seq == 1))
        for entry in entries:
            entry.prev_hash = previous
            entry.hash = previous = audit.entry_hash(entry)
    result = verify(app)
    assert result.exit_code != 0 and "第 4 条：前一条记录的哈希不符" in result.output


def test_a_server_without_an_audit_key_does_not_start(tmp_path, monkeypatch):
    from supervision import create_app

    monkeypatch.setenv("SUPERVISION_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("SECRET_KEY", "k")
    monkeypatch.delenv("AUDIT_KEY", raising=False)
    with pytest.raises(RuntimeError, match="AUDIT_KEY"):
        create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/x.sqlite3"})


def test_setup_instance_writes_an_audit_key_and_adds_one_to_an_older_config(tmp_path, monkeypatch):
    from supervision import setup_instance

    monkeypatch.setenv("SUPERVISION_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("AUDIT_KEY", raising=False)
    setup_instance.main()
    written = (tmp_path / "config.py").read_text()
    assert re.search(r'^AUDIT_KEY = "[0-9a-f]{64}"$', written, re.MULTILINE) and 'AUDIT_KEY_ID = "k1"' in written
    (tmp_path / "config.py").write_text('SECRET_KEY = "old"\n')
    setup_instance.main()
    upgraded = (tmp_path / "config.py").read_text()
    assert upgraded.startswith('SECRET_KEY = "old"\n') and re.search(r'^AUDIT_KEY = "[0-9a-f]{64}"$', upgraded, re.MULTILINE)
    setup_instance.main()  # once only
    assert (tmp_path / "config.py").read_text() == upgraded


# --- PostgreSQL: append-only for whoever is not the owner -----------------------------------------------
@pytest.mark.postgres_only
def test_postgresql_refuses_to_update_delete_or_truncate_audit_entries(app, session, database_url):
    write(session, 3)
    for statement in ("UPDATE audit_entry SET summary = 'x' WHERE seq = 2", "DELETE FROM audit_entry WHERE seq = 3",
                      "TRUNCATE audit_entry"):
        with pytest.raises(sa.exc.DBAPIError, match="审计日志只能追加"):
            session.execute(text(statement))
        session.rollback()
    write(session, 1)  # the head row stays writable for the application
    assert head(session)[0] == 4 and verify(app).exit_code == 0


@pytest.mark.postgres_only
def test_the_application_role_cannot_switch_the_triggers_off(app, session, database_url):
    """README's application role: DML on the tables, owner of nothing."""
    role = f"supervision_app_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(database_url, poolclass=sa.pool.NullPool)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE ROLE "{role}" NOLOGIN'))
            conn.execute(text(f'GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "{role}"'))
            conn.execute(text(f'GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO "{role}"'))
        write(session, 2)
        with admin.connect() as conn:
            conn.execute(text(f'SET ROLE "{role}"'))
            for statement, message in (("ALTER TABLE audit_entry DISABLE TRIGGER USER", "must be owner"),
                                       ("UPDATE audit_entry SET summary = 'x'", "审计日志只能追加"),
                                       ("DELETE FROM audit_entry", "审计日志只能追加")):
                with pytest.raises(sa.exc.DBAPIError, match=message):
                    conn.execute(text(statement))
                conn.rollback()
                conn.execute(text(f'SET ROLE "{role}"'))
            conn.execute(text("UPDATE audit_chain_head SET seq = seq"))  # the head: the application's to move
            conn.rollback()
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP OWNED BY "{role}"'))
            conn.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
        admin.dispose()


def test_an_installation_upgraded_from_unkeyed_entries_verifies(database_url, tmp_path, monkeypatch):
    """The real upgrade: entries written by the version before the keys (SHA-256, no key id) stay valid
    through migration 0012, which records where they end; the keyed entries chain onto them."""
    from flask_migrate import downgrade, upgrade

    from supervision import create_app
    from supervision.extensions import db
    from tests.conftest import _base_config

    monkeypatch.setenv("SUPERVISION_INSTANCE_PATH", str(tmp_path))
    app = create_app(_base_config(database_url, tmp_path))
    with app.app_context():
        upgrade()
        from alembic.script import ScriptDirectory

        before_keys = ScriptDirectory(str(Path(__file__).resolve().parent.parent / "migrations")) \
            .get_revision("0012").down_revision
        downgrade(revision=before_keys)  # the schema before the keys
        prev = audit.GENESIS_HASH
        for seq in (1, 2, 3):
            values = {"seq": seq, "prev_hash": prev, "created_at": audit.clock.now(), "actor_id": None,
                      "actor_name": "系统", "action": "old.write", "target_type": "thing", "target_id": seq,
                      "summary": f"升级前的第 {seq} 条", "changes": "{}", "ip_address": ""}
            values["hash"] = audit.hash_of(values)
            db.session.execute(text("INSERT INTO audit_entry (seq, prev_hash, created_at, actor_id, actor_name, "
                                    "action, target_type, target_id, summary, changes, ip_address, hash) VALUES "
                                    "(:seq, :prev_hash, :created_at, :actor_id, :actor_name, :action, :target_type, "
                                    ":target_id, :summary, :changes, :ip_address, :hash)"), values)
            prev = values["hash"]
        db.session.execute(text("UPDATE audit_chain_head SET seq = 3, last_hash = :h"), {"h": prev})
        db.session.commit()
        upgrade()
        assert db.session.scalar(select(AuditChainHead.legacy_seq)) == 3
        write(db.session, 2)
        assert [entry.key_id for entry in db.session.scalars(select(AuditEntry).order_by(AuditEntry.seq))] == \
            ["", "", "", "t1", "t1"]
        result = app.test_cli_runner().invoke(args=["audit", "verify"])
        assert result.exit_code == 0, result.output
        db.session.remove()
        db.engine.dispose()
