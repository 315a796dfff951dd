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


# --- 批量审核 of 办结报告 (issue 18 item 10) ------------------------------------------------------------
def _versions(*matters) -> list[str]:
    return [f"{m.id}:{m.version}" for m in matters]


def test_supervisor_approves_several_reports_at_once_each_through_the_single_review(
        app, session, office, make_matter):
    from supervision.matters import services
    from supervision.models.complainants import ComplainantNotice, NoticeKind
    from supervision.models.escalation import Notification
    from supervision.models.matters import MatterStatus

    ready = [make_matter("replied"), make_matter("replied")]
    waiting = make_matter("replied", co_handling=True)  # the co-handler's opinion is still awaited
    changed = make_matter("replied")
    supervisor = signed_in(app, office.supervisor)
    ledger = unescape(supervisor.get("/matters/?status=replied").text)
    assert "批量审核通过" in ledger and "批量催办" not in ledger
    assert 'action="/matters/batch/review"' in ledger and "data-confirm=" in ledger and "处理意见书" in ledger
    assert f'value="{changed.id}:{changed.version}"' in ledger  # each row's version goes with the tick
    assert "经核实，已责令窗口一次性告知。" in ledger  # the reports are read on the list before ticking
    seen = _versions(*ready, waiting, changed)
    services.update_summary(session, office.intake, changed, "受理人员刚改过的摘要", changed.version)
    session.commit()  # changed underneath, after the list was read
    response = supervisor.post("/matters/batch/review", data={
        "ids": [str(m.id) for m in [*ready, waiting, changed]], "versions": seen,
        "note": "办理结果属实，同意办结。", "back": "?status=replied"})
    assert response.status_code == 302 and response.location.endswith("/matters/?status=replied")
    page = unescape(supervisor.get(response.location).text)
    assert f"已审核通过 2 件：{ready[0].serial}、{ready[1].serial}。" in page
    assert f"2 件未能审核通过：{waiting.serial}：协办单位" in page
    assert f"{changed.serial}：该事项已被他人修改" in page
    session.expire_all()
    for matter in ready:  # exactly what the single review does: state, audit row, reply, 处理意见书, notices
        assert matter.status == MatterStatus.APPROVED
        entries = audit_entries(session, "matter.approve", matter)
        assert len(entries) == 1 and entries[0].actor_id == office.supervisor.id
        reply = matter.lead_assignment.replies[-1]
        assert reply.review_note == "办理结果属实，同意办结。" and reply.reviewed_by_id == office.supervisor.id
        assert matter.public_reply == "已责成整改，感谢监督。"
        assert session.scalars(select(ComplainantNotice).where(
            ComplainantNotice.matter_id == matter.id, ComplainantNotice.kind == NoticeKind.ANSWER)).one()
    for matter in (waiting, changed):
        assert matter.status == MatterStatus.REPLIED and audit_entries(session, "matter.approve", matter) == []
    review_notices = session.scalars(select(Notification).where(
        Notification.user_id == office.supervisor.id, Notification.kind == "review")).all()
    settled = {n.title.split("：")[1].split(" ")[0]: n.settled_at is not None for n in review_notices}
    assert settled == {ready[0].serial: True, ready[1].serial: True, waiting.serial: False, changed.serial: False}


def test_batch_review_refuses_without_a_version_or_a_tick_and_is_for_supervisors_only(
        app, session, office, make_matter):
    from supervision.models.matters import MatterStatus

    matter = make_matter("replied")
    supervisor = signed_in(app, office.supervisor)
    page = unescape(supervisor.get(supervisor.post("/matters/batch/review", data={
        "ids": [str(matter.id)], "back": "?status=replied"}).location).text)
    assert f"1 件未能审核通过：{matter.serial}：该事项已被他人修改" in page  # no version: never unchecked
    page = unescape(supervisor.get(supervisor.post("/matters/batch/review", data={"note": "同意"}).location).text)
    assert "请先勾选要审核通过的办结报告" in page
    for user in (office.intake, office.leader, office.head):
        assert signed_in(app, user).post("/matters/batch/review", data={
            "ids": [str(matter.id)], "versions": _versions(matter)}).status_code == 403
    assert "批量审核通过" not in signed_in(app, office.intake).get("/matters/?status=replied").text
    session.expire_all()
    assert matter.status == MatterStatus.REPLIED


def test_the_ledger_offers_batch_urge_unless_it_lists_reports_awaiting_review(app, office, make_matter):
    make_matter("replied")
    supervisor = signed_in(app, office.supervisor)
    assert "批量催办" in supervisor.get("/matters/").text
    assert "批量审核通过" not in supervisor.get("/matters/").text
