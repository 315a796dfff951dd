"""Pages kept as rendered until the next business write (web.once, issue 21): the home page's to-do lists,
a page of the ledger, a matter's page and a search's results. What a user must be able to count on: the
next view after any write (of any user, through the application) shows it; a form on a kept page still
posts (its CSRF token is this request's, not the one of the view that rendered it); each user sees only
their own page; and an identity look is audited on every view, kept or not."""

from __future__ import annotations

import re

from matters_factories import audit_entries, signed_in
from page_html import csrf_in
from supervision import readcache
from supervision.matters import services


IDENTITY = {"name": "举报人甲乙丙", "phone": "13912345678", "id_number": "11010119880101987X",
            "address": "幸福路甲乙丙号院", "work_unit": "甲乙丙科技有限公司"}


def form_data(html: str, action_end: str) -> dict[str, str]:
    """The hidden and text inputs of the form whose action ends with ``action_end``."""
    form = re.search(r'<form[^>]*action="[^"]*' + re.escape(action_end) + r'"[^>]*>(.*?)</form>', html, re.S).group(1)
    return {name: value for name, value in re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', form)}


def test_a_kept_matter_page_shows_the_next_write_and_its_forms_still_post(app, session, office, make_matter):
    matter = make_matter("accepted")
    supervisor = signed_in(app, office.supervisor)
    url = f"/matters/{matter.id}"
    first = supervisor.get(url).text
    kept = supervisor.get(url).text  # the same page, from what was kept
    assert csrf_in(kept) and "csrf-stand-in" not in kept
    assert kept == first.replace(csrf_in(first), csrf_in(kept))

    # The summary form of the kept page, with the token that page carried (not the test client's own)
    data = {**form_data(kept, "/summary"), "summary": "窗口人员推诿，群众往返三次未办成", "assigned_title": ""}
    assert data["csrf_token"] == csrf_in(kept)
    response = supervisor.post(f"{url}/act/summary", data=data, csrf=False)
    assert response.status_code == 302, response.text
    assert "窗口人员推诿，群众往返三次未办成" in supervisor.get(url).text  # the write shows at once

    # Another user's write, through the services (as another server would): the next view shows it
    intake = signed_in(app, office.intake)
    assert "窗口人员推诿" in intake.get(url).text
    services.update_summary(session, office.supervisor, session.merge(matter), "改为：办事指南未公示",
                            session.merge(matter).version)
    session.commit()
    assert "改为：办事指南未公示" in intake.get(url).text
    assert "改为：办事指南未公示" in supervisor.get(url).text


def test_the_home_page_shows_a_new_matter_at_once(app, session, office, make_matter):
    intake = signed_in(app, office.intake)
    assert "反映窗口服务问题一" not in intake.get("/").text
    intake.get("/")  # kept
    make_matter("registered", title="反映窗口服务问题一")
    page = intake.get("/").text
    assert "反映窗口服务问题一" in page and "csrf-stand-in" not in page


def test_kept_pages_are_each_users_own(app, session, office, make_matter):
    """A department's page is never another user's kept page: the same URL, each user their own."""
    matter = make_matter("assigned")
    supervisor, head = signed_in(app, office.supervisor), signed_in(app, office.head)
    url = f"/matters/{matter.id}"
    urge = f'action="/supervision/matters/{matter.id}/urge"'
    for _ in range(2):
        assert urge in supervisor.get(url).text  # the supervisor may urge the department
        own = head.get(url)
        assert own.status_code == 200 and urge not in own.text
    for _ in range(2):
        assert "批量催办" in supervisor.get("/matters/").text
        listed = head.get("/matters/").text
        assert "批量签收" in listed and "批量催办" not in listed
    other_head = signed_in(app, office.other_head)  # a department the matter is not assigned to
    for _ in range(2):
        assert other_head.get(url).status_code == 404
        assert matter.serial not in other_head.get("/matters/").text


def test_an_identity_look_is_audited_on_every_view_of_a_kept_list(app, session, office, make_matter):
    make_matter("registered", title="反映办证拖延", identity=services.IdentityInput(**IDENTITY))
    supervisor = signed_in(app, office.supervisor)
    name = IDENTITY["name"]
    for view in range(1, 4):
        page = supervisor.get("/matters/", query_string={"q": name})
        assert page.status_code == 200 and "反映办证拖延" in page.text
        assert len(audit_entries(session, "identity.searched")) == view
    readcache.forget_this_process()
    supervisor.get("/matters/", query_string={"q": name})
    assert len(audit_entries(session, "identity.searched")) == 4


def test_a_revealed_identity_is_never_kept_and_each_view_is_audited(app, session, office, make_matter):
    matter = make_matter("registered", identity=services.IdentityInput(**IDENTITY))
    intake = signed_in(app, office.intake)
    url = f"/matters/{matter.id}"
    intake.get(url)
    intake.get(url)  # kept, without the identity
    assert intake.post(f"{url}/identity", data={"reason": "回访核实办理结果"}).status_code == 302
    for view in range(1, 3):
        assert IDENTITY["phone"] in intake.get(url).text
        assert len(audit_entries(session, "identity.viewed")) == view
    supervisor = signed_in(app, office.supervisor)  # who has not opened it does not see it
    assert IDENTITY["phone"] not in supervisor.get(url).text
