"""Two requests at once, as double clicks and two tabs make them: real threads, each with its own
database connection, on SQLite and PostgreSQL. A short pause in a step that does not touch the
database (building the .docx, notifying) makes the two overlap every time."""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from matters_factories import signed_in
from supervision.matters import services
from supervision.models.counters import SerialCounter
from supervision.models.documents import GeneratedDocument
from supervision.models.files import FileContent
from supervision.models.matters import Extension, ExtensionStatus, Matter
from supervision.paperwork.builders import BUILDERS


def at_once(*calls):
    """Run the calls in threads started together; their results (or exceptions) in order."""
    results: list = [None] * len(calls)
    start = threading.Barrier(len(calls))

    def run(index, call):
        start.wait()
        try:
            results[index] = call()
        except Exception as error:  # noqa: BLE001 — reported to the test
            results[index] = error

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def slowed(monkeypatch, owner, name: str, seconds: float = 0.6) -> None:
    original = owner[name] if isinstance(owner, dict) else getattr(owner, name)

    def slow(*args, **kwargs):
        result = original(*args, **kwargs)
        time.sleep(seconds)
        return result

    if isinstance(owner, dict):
        monkeypatch.setitem(owner, name, slow)
    else:
        monkeypatch.setattr(owner, name, slow)


def flashes(client) -> list[str]:
    with client.session_transaction() as state:
        return [message for _, message in state.get("_flashes", [])]


def test_the_same_assignment_slip_generated_twice_at_once_is_one_document(app, session, office, make_matter,
                                                                           monkeypatch):
    matter = make_matter("in_progress")
    assignment = matter.lead_assignment
    slowed(monkeypatch, BUILDERS, "assignment_slip")
    first, second = signed_in(app, office.intake), signed_in(app, office.intake)
    url = f"/matters/{matter.id}/assignments/{assignment.id}/slip"
    responses = at_once(lambda: first.post(url), lambda: second.post(url))
    assert all(not isinstance(r, Exception) and r.status_code == 302 for r in responses), responses
    session.expire_all()
    document = session.scalars(select(GeneratedDocument)).one()
    downloads = [r for r in responses if r.location.endswith(f"/documents/{document.id}")]
    refused = [r for r in responses if r.location.endswith(f"/matters/{matter.id}")]
    assert len(downloads) == 1 and len(refused) == 1
    assert any("已生成" in m and "重复" in m for m in flashes(first) + flashes(second))
    assert session.scalars(select(FileContent.sha256)).all() == [document.sha256]  # no orphan content
    numbers = session.scalars(select(SerialCounter.value).where(SerialCounter.scope.like("doc:%"))).all()
    assert numbers == [1]  # the refused request gave its number back


def test_two_extension_clicks_make_one_pending_request(app, session, office, make_matter, monkeypatch):
    matter = make_matter("in_progress")
    assignment = matter.lead_assignment
    slowed(monkeypatch, services, "_tell_office")
    first, second = signed_in(app, office.head), signed_in(app, office.head)
    data = {"version": matter.version, "assignment_id": assignment.id,
            "requested_due_on": (assignment.due_on + timedelta(days=14)).isoformat(), "note": "材料较多，需延期。"}
    url = f"/matters/{matter.id}/assignment/extension"
    responses = at_once(lambda: first.post(url, data=dict(data)), lambda: second.post(url, data=dict(data)))
    assert all(not isinstance(r, Exception) for r in responses), responses
    session.expire_all()
    requests = session.scalars(select(Extension).where(Extension.assignment_id == assignment.id)).all()
    assert [e.status for e in requests] == [ExtensionStatus.PENDING]
    assert sorted(r.status_code for r in responses) == [302, 400]
    refused = next(r for r in responses if r.status_code == 400)
    assert "已有一份延期申请待审批" in refused.text


@pytest.mark.parametrize("winner_first", [True, False], ids=["approve-vs-refuse", "refuse-vs-approve"])
def test_approving_and_refusing_one_request_at_once_lets_exactly_one_decide(app, session, office, make_matter,
                                                                            monkeypatch, winner_first):
    matter = make_matter("in_progress")
    assignment = matter.lead_assignment
    old_due = assignment.due_on
    extension = services.request_extension(session, office.head, assignment, old_due + timedelta(days=14), "需延期。")
    session.commit()
    slowed(monkeypatch, services, "_tell_department")
    supervisor, leader = signed_in(app, office.supervisor), signed_in(app, office.leader)
    url, common = f"/matters/{matter.id}/act/decide_extension", {"version": matter.version,
                                                                  "extension_id": extension.id}
    approve = lambda: supervisor.post(url, data={**common, "decision": "approve"})  # noqa: E731
    refuse = lambda: leader.post(url, data={**common, "decision": "refuse", "note": "理由不充分。"})  # noqa: E731
    responses = at_once(*((approve, refuse) if winner_first else (refuse, approve)))
    assert all(not isinstance(r, Exception) for r in responses), responses
    assert sorted(r.status_code for r in responses) == [302, 400]
    session.expire_all()
    extension = session.get(Extension, extension.id)
    assignment = extension.assignment
    if extension.status == ExtensionStatus.APPROVED:
        assert assignment.due_on == old_due + timedelta(days=14)
    else:
        assert extension.status == ExtensionStatus.REFUSED and assignment.due_on == old_due
    loser = next(r for r in responses if r.status_code == 400)
    assert "已由他人审批" in loser.text or "已批准" in loser.text or "不予批准" in loser.text
    decided = session.scalar(select(func.count()).select_from(Extension).where(Extension.decided_at.is_not(None)))
    assert decided == 1


def test_a_saved_write_that_fails_afterwards_never_says_it_was_not_done(app, session, office, monkeypatch):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    import supervision.matters.views as views

    def broken_url_for(*args, **kwargs):
        raise RuntimeError("reading after the commit failed")

    monkeypatch.setattr(views, "url_for", broken_url_for)
    response = signed_in(app, office.intake).post("/matters/new/complaint", data={
        "channel": "phone", "received_on": "2026-06-01", "title": "提交后读取失败", "content": "来电反映。"})
    assert response.status_code == 500
    assert "已经保存" in response.text and "未完成" not in response.text
    assert session.scalars(select(Matter.title)).all() == ["提交后读取失败"]


def test_a_write_that_failed_still_says_it_was_not_done(app, session, office, monkeypatch):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    import supervision.matters.services as matter_services

    def broken(*args, **kwargs):
        raise RuntimeError("before the commit")

    monkeypatch.setattr(matter_services, "add_event", broken)
    response = signed_in(app, office.intake).post("/matters/new/complaint", data={
        "channel": "phone", "received_on": "2026-06-01", "title": "提交前失败", "content": "来电反映。"})
    assert response.status_code == 500 and "未完成" in response.text and "已经保存" not in response.text
    assert session.scalars(select(Matter)).all() == []
