"""Issue 15: a co-handling (协办) department signs and gives its 协办意见 before the lead's reply can be
approved — or a supervisor waives it with a reason, audited; co-handlers then see the lead's final reply
(docs/domain.md §3)."""

from __future__ import annotations

import pytest

from matters_factories import last_audit, signed_in
from supervision.errors import PermissionDenied, ValidationError, WorkflowError
from supervision.matters import services
from supervision.models.matters import AssignmentRole, MatterStatus


def _replied_with_co(session, office):
    """Assigned with a co-handler; the lead has signed and replied, the co-handler has done nothing."""
    matter = services.register_matter(session, office.intake, _input())
    services.accept_matter(session, office.intake, matter)
    services.assign_matter(session, office.intake, matter, lead=office.department, co_handling=[office.co_department])
    services.sign_assignment(session, office.head, matter.lead_assignment)
    services.submit_reply(session, office.head, matter.lead_assignment, "主办单位核实结果：已整改到位。", "已整改。")
    session.commit()
    co = next(a for a in matter.assignments if a.role == AssignmentRole.CO)
    return matter, co


def _input():
    from matters_factories import matter_input

    return matter_input()


def test_the_lead_reply_cannot_be_approved_before_the_co_handler_gives_its_opinion(session, office):
    matter, co = _replied_with_co(session, office)
    with pytest.raises(WorkflowError, match="协办单位“市人力资源和社会保障局”尚未签收"):
        services.review_reply(session, office.supervisor, matter, True)
    services.sign_assignment(session, office.co_head, co)
    with pytest.raises(WorkflowError, match="尚未报送协办意见"):
        services.review_reply(session, office.supervisor, matter, True)
    services.submit_reply(session, office.co_head, co, "协办意见：配合核实，情况属实。")
    services.review_reply(session, office.supervisor, matter, True)
    assert matter.status == MatterStatus.APPROVED


def test_a_supervisor_may_waive_the_co_opinion_with_a_reason_audited(session, office):
    matter, co = _replied_with_co(session, office)
    with pytest.raises(PermissionDenied):
        services.waive_co_opinion(session, office.intake, co, "协办单位无需出具意见")
    with pytest.raises(ValidationError, match="理由"):
        services.waive_co_opinion(session, office.supervisor, co, " ")
    services.waive_co_opinion(session, office.supervisor, co, "协办单位已电话说明无补充意见")
    entry, changes = last_audit(session, "assignment.waived", co)
    assert changes["reason"] == "协办单位已电话说明无补充意见" and "免于等待协办意见" in entry.summary
    assert co.waived_by_id == office.supervisor.id and co.waived_at is not None
    services.review_reply(session, office.supervisor, matter, True)
    assert matter.status == MatterStatus.APPROVED
    with pytest.raises(WorkflowError):
        services.waive_co_opinion(session, office.supervisor, matter.lead_assignment, "主办不能免")


def test_co_handlers_see_the_lead_final_reply_once_approved(app, session, office):
    matter, co = _replied_with_co(session, office)
    co_head = signed_in(app, office.co_head)
    assert "主办单位核实结果" not in co_head.get(f"/matters/{matter.id}").text  # not while under review
    services.sign_assignment(session, office.co_head, co)
    services.submit_reply(session, office.co_head, co, "协办意见：无异议。")
    services.review_reply(session, office.supervisor, matter, True)
    session.commit()
    page = co_head.get(f"/matters/{matter.id}").text
    assert "主办单位办理结果" in page and "主办单位核实结果：已整改到位。" in page
    assert "主办单位办理结果" not in signed_in(app, office.other_head).get(f"/matters/{matter.id}").text


def test_the_waiver_form_is_on_the_supervisor_page_and_works(app, session, office):
    matter, co = _replied_with_co(session, office)
    supervisor = signed_in(app, office.supervisor)
    page = supervisor.get(f"/matters/{matter.id}").text
    assert "免于等待协办意见" in page and "尚未签收" in page
    response = supervisor.post(f"/matters/{matter.id}/waive/{co.id}", data={"reason": ""})
    assert response.status_code == 400 and "请写明" in response.text
    response = supervisor.post(f"/matters/{matter.id}/waive/{co.id}", data={"reason": "协办单位无补充意见"})
    assert response.status_code == 302
    session.expire_all()
    assert co.waiver_reason == "协办单位无补充意见"
