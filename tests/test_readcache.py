"""The read cache (supervision/readcache.py) serves a figure only while nothing has been written: the next
audited write — in this process or another server's — makes the next read compute it again."""

from __future__ import annotations

from supervision import audit, readcache
from supervision.models.audit import AuditChainHead


def test_a_cached_figure_is_computed_again_after_the_next_audited_write(app, session, office):
    calls: list[int] = []

    def compute() -> int:
        calls.append(1)
        return len(calls)

    session.commit()
    assert readcache.until_next_write(session, ("figure",), compute) == 1
    session.commit()
    assert readcache.until_next_write(session, ("figure",), compute) == 1  # a new transaction, no write: kept

    audit.record(session, office.supervisor, "test.write", ("audit", None), "一次写入")
    assert readcache.until_next_write(session, ("figure",), compute) == 2  # this transaction wrote: never cached
    session.commit()
    assert readcache.until_next_write(session, ("figure",), compute) == 3  # after the write: computed again
    session.commit()
    assert readcache.until_next_write(session, ("figure",), compute) == 3


def test_a_write_by_another_server_is_seen_through_the_audit_head(app, session, office):
    """Another server's write moves the audit head in the database; this process's cache follows it."""
    session.commit()
    assert readcache.until_next_write(session, ("other",), lambda: "before") == "before"
    session.commit()
    with app.app_context():
        from supervision.extensions import db

        head = db.session.get(AuditChainHead, 1)
        seq = head.seq
    # a second connection, as another server would write
    engine = session.get_bind()
    with engine.begin() as conn:
        conn.execute(AuditChainHead.__table__.update().where(AuditChainHead.__table__.c.id == 1)
                     .values(seq=seq + 1))
    session.commit()
    assert readcache.until_next_write(session, ("other",), lambda: "after") == "after"
