"""The read cache (supervision/readcache.py) serves a figure only while nothing has been written: the next
audited write — in this process or another server's — makes the next read compute it again."""

from __future__ import annotations

from sqlalchemy import func, select

from supervision import audit, readcache
from supervision.models.audit import AuditChainHead, AuditEntry


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
                     .values(seq=seq + 1, business_seq=AuditChainHead.__table__.c.business_seq + 1))
    session.commit()
    assert readcache.until_next_write(session, ("other",), lambda: "after") == "after"


# --- bookkeeping entries (docs/domain.md §14: identity looks, exports) keep the figures -------------------
def test_an_identity_look_keeps_the_cached_figures_and_a_business_write_still_empties_them(
        app, session, office, make_matter):
    from supervision.matters import services

    matter = make_matter("registered", identity=services.IdentityInput(name="钱多多", phone="13955556666"))
    calls: list[int] = []

    def compute() -> int:
        calls.append(1)
        return len(calls)

    session.commit()
    assert readcache.until_next_write(session, ("kept",), compute) == 1
    session.commit()

    services.view_identity(session, office.supervisor, matter, "核对来电")  # audited, a bookkeeping entry
    assert readcache.until_next_write(session, ("kept",), compute) == 1  # the look's own request reads it too
    session.commit()
    services.record_identity_search(session, office.supervisor, [(matter.id, matter.serial)], "事项台账关键词")
    session.commit()
    assert readcache.until_next_write(session, ("kept",), compute) == 1  # still kept after both looks

    services.update_summary(session, office.intake, matter, "新的摘要", matter.version)
    session.commit()
    assert readcache.until_next_write(session, ("kept",), compute) == 2  # a business write: computed again


def test_a_keyword_list_that_records_an_identity_look_leaves_other_pages_cached(app, session, office, make_matter):
    from matters_factories import signed_in
    from supervision.matters import services

    make_matter("registered", identity=services.IdentityInput(name="钱多多", phone="13955556666"))
    supervisor = signed_in(app, office.supervisor)  # logging in is a write
    session.commit()
    mark = readcache.write_mark(session)
    session.commit()
    page = supervisor.get("/matters/", query_string={"q": "13955556666"})
    assert page.status_code == 200
    assert session.scalar(select(func.count()).select_from(AuditEntry)
                          .where(AuditEntry.action == "identity.searched")) == 1
    session.commit()
    assert readcache.write_mark(session) == mark  # the figures of every page stay valid
