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


# --- figures shared by every worker and server (readcache.shared, the shared_figure table) ---------------
def _counter():
    calls: list[int] = []

    def compute() -> dict:
        calls.append(1)
        return {"figure": len(calls)}

    return calls, compute


def _row_key(name: str, params) -> str:
    import hashlib

    return hashlib.sha256(f"{name}\0{params!r}".encode()).hexdigest()


def test_a_shared_figure_is_computed_once_for_every_process_until_the_next_business_write(app, session, office):
    calls, compute = _counter()
    session.commit()
    first = readcache.shared(session, "year", (2026,), compute)
    assert first.value == {"figure": 1} and first.current
    session.commit()
    readcache.forget_this_process()  # another worker: nothing in its memory
    again = readcache.shared(session, "year", (2026,), compute)
    assert again.value == {"figure": 1} and len(calls) == 1  # read from the table, not computed
    assert readcache.shared(session, "year", (2027,), compute).value == {"figure": 2}  # other parameters
    session.commit()

    audit.record(session, office.supervisor, "test.write", ("audit", None), "一次写入")
    session.commit()
    readcache.forget_this_process()
    assert readcache.shared(session, "year", (2026,), compute).value == {"figure": 3}
    session.commit()
    readcache.forget_this_process()
    assert readcache.shared(session, "year", (2026,), compute).value == {"figure": 3}
    assert len(calls) == 3


def test_while_another_process_computes_the_page_gets_the_last_figures_marked_or_waits(app, session, office):
    from datetime import datetime, timedelta

    from supervision.models.cache import SharedFigure

    calls, compute = _counter()
    session.commit()
    readcache.shared(session, "year", (2026,), compute)
    session.commit()
    audit.record(session, office.supervisor, "test.write", ("audit", None), "一次写入")
    session.commit()
    readcache.forget_this_process()
    table = SharedFigure.__table__
    engine = session.get_bind()
    with engine.begin() as conn:  # another worker took the lease and is computing
        conn.execute(table.update().where(table.c.key == _row_key("year", (2026,)))
                     .values(lease_until=datetime.utcnow() + timedelta(seconds=60)))
    stale = readcache.shared(session, "year", (2026,), compute, stale_ok=True)
    assert stale.value == {"figure": 1} and not stale.current and len(calls) == 1
    session.commit()

    with engine.begin() as conn:  # that worker died: its lease ran out
        conn.execute(table.update().where(table.c.key == _row_key("year", (2026,)))
                     .values(lease_until=datetime.utcnow() - timedelta(seconds=1)))
    taken = readcache.shared(session, "year", (2026,), compute)
    assert taken.value == {"figure": 2} and taken.current


def test_a_waiting_process_takes_the_figures_the_computing_one_stores(app, session, office):
    import threading
    from datetime import datetime, timedelta

    from supervision.models.cache import SharedFigure

    calls, compute = _counter()
    session.commit()
    mark = readcache.write_mark(session)
    session.commit()
    key = _row_key("year", (2026,))
    engine = session.get_bind()
    assert readcache._claim(engine, key, "year")  # another worker computes

    def theirs() -> None:
        with app.app_context():
            readcache._store(engine, key, mark, {"figure": "theirs"})

    stored = threading.Timer(0.5, theirs)
    stored.start()
    try:
        figure = readcache.shared(session, "year", (2026,), compute)
    finally:
        stored.join()
    assert figure.value == {"figure": "theirs"} and figure.current and calls == []


def test_a_shared_row_changed_in_the_database_is_never_unpickled(app, session, office):
    import pickle

    from supervision.models.cache import SharedFigure

    calls, compute = _counter()
    session.commit()
    readcache.shared(session, "year", (2026,), compute)
    session.commit()
    table = SharedFigure.__table__
    with session.get_bind().begin() as conn:
        conn.execute(table.update().values(value=pickle.dumps({"figure": "forged"})))
    readcache.forget_this_process()
    assert readcache.shared(session, "year", (2026,), compute).value == {"figure": 2}


def test_the_statistics_page_says_when_its_figures_predate_the_latest_write(app, session, office):
    from datetime import datetime, timedelta

    from matters_factories import signed_in
    from supervision.models.cache import SharedFigure

    client = signed_in(app, office.supervisor)
    assert "正在重新统计" not in client.get("/statistics/").text
    audit.record(session, office.supervisor, "test.write", ("audit", None), "一次写入")
    session.commit()
    readcache.forget_this_process()
    table = SharedFigure.__table__
    with session.get_bind().begin() as conn:  # another worker is computing the figures after that write
        conn.execute(table.update().values(lease_until=datetime.utcnow() + timedelta(seconds=60)))
    page = client.get("/statistics/")
    assert page.status_code == 200 and "此后又有新的办理记录，正在重新统计" in page.text


def test_the_statistics_figures_are_rendered_once_for_every_viewer_and_follow_the_next_write(
        app, session, office, make_matter):
    import re

    from matters_factories import signed_in

    def received(page) -> int:
        assert page.status_code == 200
        card = re.search(r'<span class="stat">(?:<a href="[^"]*">)?(\d+)', page.text)
        return int(card.group(1))

    supervisor, leader = signed_in(app, office.supervisor), signed_in(app, office.leader)
    before = received(supervisor.get("/statistics/"))
    assert received(leader.get("/statistics/")) == before  # the same figures, another user and session
    make_matter("registered")  # received today: in this year's figures
    assert received(leader.get("/statistics/")) == before + 1
    assert received(supervisor.get("/statistics/")) == before + 1
