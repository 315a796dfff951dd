"""Irreversible steps ask once before they are taken (issue 18 item 4): the form carries the question
(``data-confirm``, asked by static/js/app.js), reversible ones do not."""

from __future__ import annotations

import re
from pathlib import Path

from matters_factories import signed_in
from supervision.models.matters import Channel, MatterKind
from supervision.matters.services import IdentityInput


def _form_of(page: str, action_end: str) -> str:
    """The opening <form …> tag whose action ends with ``action_end``."""
    found = re.search(r'<form method="post"[^>]*action="[^"]*' + re.escape(action_end) + r'"[^>]*>', page)
    assert found, action_end
    return found.group(0)


def test_refusing_and_filing_a_matter_ask_first_accepting_does_not(app, office, make_matter):
    matter = make_matter("registered")
    page = signed_in(app, office.intake).get(f"/matters/{matter.id}").text
    assert 'data-confirm="确定不予受理？' in _form_of(page, "/act/reject")
    assert 'data-confirm="确定作为重复件存查？' in _form_of(page, "/act/duplicate")
    assert "data-confirm" not in _form_of(page, "/act/accept")


def test_the_review_asks_only_when_sending_back(app, office, make_matter):
    matter = make_matter("replied")
    page = signed_in(app, office.supervisor).get(f"/matters/{matter.id}").text
    form = _form_of(page, "/act/review")
    assert 'data-confirm="确定退回重办？' in form and 'data-confirm-if="decision=rework"' in form


def test_closing_asks_first(app, office, make_matter):
    matter = make_matter("followed_up")
    page = signed_in(app, office.supervisor).get(f"/matters/{matter.id}").text
    assert 'data-confirm="确定办结？' in _form_of(page, "/act/close")


def test_issuing_and_closing_a_rectification_item_ask_first(app, office, make_matter, make_notice):
    finding = make_matter("registered", kind=MatterKind.FINDING, channel=Channel.DISCLOSURE_CHECK,
                          problems="办事指南未更新", respondent_department=office.department,
                          identity=IdentityInput())
    supervisor = signed_in(app, office.supervisor)
    new = supervisor.get(f"/rectification/new?matter={finding.id}").text
    assert 'data-confirm="确定下发整改通知书？' in _form_of(new, "/rectification/new")
    notice = make_notice("reported")
    page = supervisor.get(f"/rectification/{notice.id}").text
    item = notice.items[0]
    form = _form_of(page, f"/items/{item.id}/verify")
    name = re.search(r'name="([^"]*decision)" type="radio" value="accept"|type="radio" value="accept"[^>]*name="([^"]*decision)"|<input[^>]*name="([^"]*decision)"[^>]*value="accept"', page)
    assert name, "the 销号 choice"
    assert "验收通过并销号" in form and f'data-confirm-if="{next(filter(None, name.groups()))}=accept"' in form


def test_the_script_asks_only_for_the_named_choice():
    script = (Path(__file__).parents[1] / "static" / "js" / "app.js").read_text(encoding="utf-8")
    assert "dataset.confirmIf" in script and "window.confirm(form.dataset.confirm)" in script
