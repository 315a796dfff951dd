"""Batch work from the ledger (issue 18 item 10): 批量催办 by a supervisor, 批量签收 by a department head.
Each ticked matter is its own service call — checked, audited and committed on its own — and the flash
says what was done and what was not, and why."""

from __future__ import annotations

from datetime import timedelta
from html import unescape

from sqlalchemy import select

from matters_factories import audit_entries, signed_in
from supervision import clock
from supervision.models.escalation import Escalation
from supervision.models.matters import AssignmentStatus


def test_supervisor_urges_several_overdue_matters_at_once_and_is_told_which_could_not_be(
        app, session, office, make_matter):
    late = [make_matter("in_progress"), make_matter("assigned")]
    done = make_matter("approved")  # nothing left to urge
    supervisor = signed_in(app, office.supervisor)
    with clock.frozen(late[0].lead_assignment.due_on + timedelta(days=3)):
        ledger = supervisor.get("/matters/?overdue=y").text
        assert 'id="batch"' in ledger and "批量催办" in ledger and f'value="{late[0].id}"' in ledger
        response = supervisor.post("/supervision/batch/urge", data={
            "ids": [str(m.id) for m in [*late, done]] + ["junk", "999999"], "level": "phone",
            "note": "请抓紧办理，按时报送。", "back": "?overdue=y"})
        assert response.status_code == 302 and response.location.endswith("/matters/?overdue=y")
        page = unescape(supervisor.get(response.location).text)
    assert f"已电话催办 2 件：{late[0].serial}、{late[1].serial}。" in page
    assert f"2 件未能电话催办：{done.serial}：该事项没有正在办理的主办单位，无需催办" in page
    assert "未找到的事项（999999）" in page
    urged = session.scalars(select(Escalation).order_by(Escalation.id)).all()
    assert [e.matter_id for e in urged] == [late[0].id, late[1].id]
    for matter in late:  # each audited on its own
        assert len(audit_entries(session, "escalation.urge", urged[late.index(matter)])) == 1


def test_batch_urge_needs_a_note_and_a_tick_and_a_supervisor(app, session, office, make_matter):
    matter = make_matter("in_progress")
    supervisor = signed_in(app, office.supervisor)
    page = unescape(supervisor.get(supervisor.post("/supervision/batch/urge", data={
        "ids": [str(matter.id)], "level": "phone", "note": ""}).location).text)
    assert "请填写催办意见。" in page
    page = unescape(supervisor.get(supervisor.post("/supervision/batch/urge", data={
        "level": "phone", "note": "请办理"}).location).text)
    assert "请先勾选要催办的事项" in page
    assert signed_in(app, office.intake).post("/supervision/batch/urge", data={
        "ids": [str(matter.id)], "level": "phone", "note": "请办理"}).status_code == 403
    assert session.scalars(select(Escalation)).all() == []


def test_department_head_signs_for_several_assignments_at_once(app, session, office, make_matter):
    mine = [make_matter("assigned"), make_matter("assigned", co_handling=True)]
    signed = make_matter("in_progress")
    elsewhere = make_matter("accepted")  # not addressed to the department: not even its serial is told
    head = signed_in(app, office.head)
    ledger = head.get("/matters/").text
    assert "批量签收" in ledger and "批量催办" not in ledger
    response = head.post("/matters/batch/sign", data={
        "ids": [str(m.id) for m in [*mine, signed, elsewhere]], "back": "?status=assigned"})
    assert response.location.endswith("/matters/?status=assigned")
    page = unescape(head.get(response.location).text)
    assert f"已签收 2 件：{mine[0].serial}、{mine[1].serial}。" in page
    assert f"{signed.serial}：本单位没有待签收的交办" in page
    assert elsewhere.serial not in page and f"未找到的事项（{elsewhere.id}）" in page
    session.expire_all()
    assert all(m.lead_assignment.status == AssignmentStatus.RECEIVED for m in mine)
    assert [a.status for a in mine[1].assignments if a.department_id == office.co_department.id] == [
        AssignmentStatus.ASSIGNED]  # the co-handling department signs for its own part itself
    for matter in mine:
        assert len(audit_entries(session, "matter.sign", matter)) == 1


def test_only_a_department_head_signs_in_batch(app, session, office, make_matter):
    matter = make_matter("assigned")
    assert signed_in(app, office.supervisor).post("/matters/batch/sign", data={
        "ids": [str(matter.id)]}).status_code == 403
    assert "批量签收" not in signed_in(app, office.intake).get("/matters/").text
