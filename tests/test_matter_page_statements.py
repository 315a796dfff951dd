"""The matter page's statements are pinned (issue 21): its panels load with the matter (assignments with
their replies and extensions, events) or are skipped after one probe when empty, so the count does not
grow with the number of assignments, and a new panel that adds a statement shows up here. That is the
first view after a write; until the next one the page is kept as rendered (web.once): three statements."""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event

from matters_factories import signed_in
from page_html import csrf_in
from supervision import readcache
from supervision.extensions import db

# Layout (user, unread count), the matter with its category, lead department and complainant, assignments,
# replies, extensions, events with their actors, the panel probe, the audit head (the cached office
# calendar), and the one panel these matters have: the acceptance notice to the complainant.
SUPERVISOR_STATEMENTS = 10


@contextmanager
def counted():
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def test_the_matter_page_sends_a_fixed_number_of_statements(app, session, office, make_matter):
    single = make_matter("in_progress")
    shared = make_matter("in_progress", co_handling=True)
    assert len(shared.assignments) == 2
    client = signed_in(app, office.supervisor)
    single_id, single_serial, shared_id = single.id, single.serial, shared.id
    for matter_id in (single_id, shared_id):
        client.get(f"/matters/{matter_id}")  # warm: the office calendar, cached figures
    session.close()  # each request starts, as in a server, with nothing loaded
    readcache.forget_this_process()  # as after a write: the page is rendered again
    with counted() as one:
        page = client.get(f"/matters/{single_id}")
    assert page.status_code == 200 and single_serial in page.text
    session.close()
    with counted() as two:
        assert client.get(f"/matters/{shared_id}").status_code == 200
    assert len(one) == SUPERVISOR_STATEMENTS, "\n".join(one)
    assert len(two) == len(one), "\n".join(two)  # a second assignment adds no statement
    session.close()
    with counted() as kept:
        again = client.get(f"/matters/{single_id}")
    assert again.text == page.text.replace(csrf_in(page.text), csrf_in(again.text))
    assert len(kept) == 3, "\n".join(kept)  # the user, the audit head (nothing written since), the unread count


def test_the_panels_skipped_when_empty_still_show_what_a_matter_has(app, session, office, make_matter):
    from supervision.matters import queries

    matter = make_matter("in_progress")
    before = queries.panels_present(session, matter.id)
    assert "duplicate" not in before and "escalation" not in before
    other = make_matter("registered")
    other.duplicate_of_id = matter.id
    session.commit()
    assert queries.panels_present(session, matter.id) == before | {"duplicate"}
    page = signed_in(app, office.supervisor).get(f"/matters/{matter.id}")
    assert page.status_code == 200 and other.serial in page.text  # the 存查 duplicate is listed


def test_a_keyword_list_that_matches_no_identity_does_not_reload_its_rows(app, session, office, make_matter):
    """The office's keyword list checks the page's matters against complainants' identity (an audited look
    when one matches); when none does, nothing is committed, so the rows are not read again one by one."""
    for n in range(3):
        make_matter("registered", title=f"窗口态度问题{n}")
    client = signed_in(app, office.supervisor)
    client.get("/matters/", query_string={"q": "窗口"})  # warm
    session.close()
    with counted() as statements:
        page = client.get("/matters/", query_string={"q": "窗口"})
    assert page.status_code == 200 and "窗口态度问题2" in page.text
    per_row = [s for s in statements if s.lstrip().startswith("SELECT matter.id, matter.kind")
               and "WHERE matter.id = " in s]
    assert per_row == [], "\n".join(statements)
