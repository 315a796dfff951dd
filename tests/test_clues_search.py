"""全文检索 of the clue register (issue 16): office staff find clues by the person, unit or problem; a
department never does — not in results, not in the kind or status filters, not by the person's name — and
the reporter's identity is found only by those who may see identity, never shown."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from clues_factories import make_clue  # noqa: F401  (fixture)
from matters_factories import office, signed_in, today  # noqa: F401  (fixtures)
from supervision.clues import services
from supervision.models.search import SearchChange
from supervision.search import service
from test_search_app import find, page_text, results


@pytest.fixture(autouse=True)
def search_index(app):
    app.config["SEARCH_ENABLED"] = True
    service.rebuild()
    return service.get_index()


def test_office_staff_find_a_clue_by_person_unit_and_problem(app, session, office, make_clue):
    clue = make_clue()
    link = f'href="/clues/{clue.id}"'
    for user in (office.intake, office.supervisor, office.leader):
        for typed in ("李建国", "住房和城乡建设局", "购物卡", clue.serial):
            page = find(app, user, typed).get_data(as_text=True)
            assert link in page, (user.username, typed)
    assert "问题线索" in results(find(app, office.supervisor, "李建国"))


def test_a_department_never_finds_a_clue(app, session, office, make_clue):
    clue = make_clue(people=[services.PersonInput("李建国", office.department.name, "科长")])
    for user in (office.head, office.other_head, office.co_head):
        for typed in ("李建国", "购物卡", clue.serial, office.department.name):
            found = results(find(app, user, typed))
            assert "/clues/" not in found and "问题线索" not in found and "没有找到" in found
        form = find(app, user, "李建国").get_data(as_text=True)
        assert 'value="clue"' not in form and 'value="clue:' not in form  # not even as a filter
        assert "/clues/" not in results(find(app, user, "李建国", kind="clue"))
    scope = service.scope_for(office.head)
    assert "clue" not in scope.kinds
    index = service.get_index()
    service.catch_up(index)
    assert index.search_ids("李建国", departments={office.department.id}, include_identity=False,
                            kinds=["clue", "matter", "notice", "talk"]) == []


def test_the_reporter_is_found_only_by_who_may_see_identity_and_never_shown(app, session, office, make_clue):
    clue = make_clue()
    for user in (office.intake, office.supervisor):
        page = find(app, user, "王举报")
        assert f'href="/clues/{clue.id}"' in page.get_data(as_text=True)
        assert "13911112222" not in page_text(page) and "王举报" not in results(page).split("</mark>")[-1]
    assert f'href="/clues/{clue.id}"' in find(app, office.intake, "13911112222").get_data(as_text=True)


def test_a_clue_is_indexed_through_the_change_log_and_follows_its_changes(app, session, office, make_clue):
    clue = make_clue()
    logged = session.scalars(select(SearchChange.document)).all()
    assert f"clue:{clue.id}" in logged  # written in the registering transaction
    services.propose_disposal(session, office.supervisor, clue, services.DisposalWay.CLOSE, "反映问题笼统，无可查性。")
    services.approve_disposal(session, office.leader, clue, "同意了结。")
    session.commit()
    page = find(app, office.supervisor, "李建国", status="clue:concluded").get_data(as_text=True)
    assert f'href="/clues/{clue.id}"' in page and "已了结" in page
