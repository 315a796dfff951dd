"""拟办意见 and 领导批示 before 交办 (SPEC §11): recorded, audited and printed on the 交办单 (whose two boxes
were always blank)."""

from __future__ import annotations

import io

import docx
import pytest

from matters_factories import last_audit, signed_in
from supervision import clock
from supervision.errors import PermissionDenied, ValidationError, WorkflowError
from supervision.matters import services


def slip_text(client, matter) -> str:
    assignment = matter.lead_assignment
    response = client.post(f"/matters/{matter.id}/assignments/{assignment.id}/slip")
    assert response.status_code == 302, response.text
    document = docx.Document(io.BytesIO(client.get(response.location).data))
    return "\n".join(cell.text for table in document.tables for row in table.rows for cell in row.cells)


def test_proposal_and_instruction_are_audited_and_printed_on_the_slip(app, session, office, make_matter):
    matter = make_matter("accepted")
    services.propose_handling(session, office.intake, matter, "建议交市市场监督管理局调查处理，限期答复。")
    services.instruct(session, office.leader, matter, "请认真核查，举一反三。")
    session.commit()
    _, changes = last_audit(session, "matter.proposed", matter)
    assert changes["proposed_handling"][1] == "建议交市市场监督管理局调查处理，限期答复。"
    _, changes = last_audit(session, "matter.instructed", matter)
    assert changes["leader_instruction"][1] == "请认真核查，举一反三。"
    services.assign_matter(session, office.intake, matter, lead=office.department, assigned_title="窗口办事拖拉")
    session.commit()
    text = slip_text(signed_in(app, office.intake), matter)
    assert "建议交市市场监督管理局调查处理，限期答复。" in text
    assert f"请认真核查，举一反三。（{office.leader.display_name} {clock.today().month}月{clock.today().day}日）" in text


def test_only_intake_proposes_only_a_leader_instructs_and_both_before_assignment(session, office, make_matter):
    matter = make_matter("accepted")
    with pytest.raises(PermissionDenied):
        services.propose_handling(session, office.leader, matter, "拟办")
    with pytest.raises(PermissionDenied):
        services.instruct(session, office.supervisor, matter, "批示")
    with pytest.raises(ValidationError):
        services.instruct(session, office.leader, matter, "  ")
    assigned = make_matter("assigned")
    with pytest.raises(WorkflowError, match="交办前"):
        services.instruct(session, office.leader, assigned, "批示")


def test_the_leader_writes_the_instruction_on_the_matter_page(app, session, office, make_matter):
    matter = make_matter("accepted")
    leader = signed_in(app, office.leader)
    assert "领导批示" in leader.get(f"/matters/{matter.id}").text
    response = leader.post(f"/matters/{matter.id}/act/instruct", data={"version": matter.version,
                                                                        "note": "同意拟办意见。"})
    assert response.status_code == 302
    session.expire_all()
    assert matter.leader_instruction == "同意拟办意见。" and matter.instructed_by_id == office.leader.id
    assert signed_in(app, office.head).post(f"/matters/{matter.id}/act/instruct", data={
        "version": matter.version, "note": "x"}).status_code in (403, 404)
