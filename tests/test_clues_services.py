"""The clue register: registration, a matter turned into a clue, the reporter kept apart, the four-way
disposal proposed and approved (each step audited), 暂存待查 coming back on its review date."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from clues_factories import SUMMARY, clue_input, make_clue, person  # noqa: F401
from matters_factories import audit_entries, last_audit, make_matter, office, today  # noqa: F401
from supervision import clock
from supervision.clues import services
from supervision.errors import PermissionDenied, ValidationError, WorkflowError
from supervision.matters import services as matter_services
from supervision.models.clues import (Clue, ClueReporter, ClueSource, ClueStatus, DecisionStatus, DisposalWay)
from supervision.models.matters import ComplaintClass, MatterEvent


# --- registration --------------------------------------------------------------------------------
def test_intake_registers_a_clue_with_its_people_and_a_reporter_kept_apart(session, office):
    clue = services.register_clue(session, office.intake, clue_input())
    session.commit()
    assert clue.serial == "XS-2026-00001" and clue.status == ClueStatus.REGISTERED
    assert [(p.name, p.cadre_level.label) for p in clue.people] == [("李建国", "乡科级")]
    reporter = session.scalar(select(ClueReporter).where(ClueReporter.clue_id == clue.id))
    assert reporter.name == "王举报" and clue.real_name
    entry, changes = last_audit(session, "clue.registered", clue)
    assert entry.actor_id == office.intake.id and "王举报" not in entry.summary + entry.changes
    assert changes["source"] == "higher"


def test_a_clue_needs_a_person_with_a_unit_and_a_summary(session, office):
    with pytest.raises(ValidationError, match="请填写至少一名被反映人"):
        services.register_clue(session, office.intake, clue_input(people=[]))
    with pytest.raises(ValidationError, match="工作单位"):
        services.register_clue(session, office.intake, clue_input(people=[person(unit="")]))
    with pytest.raises(ValidationError, match="问题摘要"):
        services.register_clue(session, office.intake, clue_input(summary=" "))
    with pytest.raises(ValidationError, match="实名举报请填写举报人"):
        services.register_clue(session, office.intake, clue_input(reporter=services.ReporterInput()))
    assert session.scalar(select(Clue)) is None


@pytest.mark.parametrize("who", ["leader", "head", "admin"])
def test_only_intake_and_supervisors_register(session, office, who):
    with pytest.raises(PermissionDenied):
        services.register_clue(session, getattr(office, who), clue_input())


# --- from a matter -------------------------------------------------------------------------------
def test_an_accepted_accusation_becomes_a_clue_and_can_no_longer_be_assigned(session, office, make_matter):
    matter = make_matter("accepted")
    clue = services.clue_from_matter(session, office.intake, matter, [person()])
    session.commit()
    assert clue.source == ClueSource.MATTER and clue.matter_id == matter.id and clue.real_name
    assert clue.summary == matter.summary and clue.source_note == matter.serial
    # The matter's complainant stays the one place for the reporter: no copy on the clue.
    assert session.scalar(select(ClueReporter)) is None
    public = [e.action for e in session.scalars(select(MatterEvent).where(
        MatterEvent.matter_id == matter.id, MatterEvent.audience == "public"))]
    assert public[-1] == "clue"
    with pytest.raises(WorkflowError, match="已转为问题线索"):
        matter_services.assign_matter(session, office.intake, matter, lead=office.department)
    with pytest.raises(WorkflowError, match="已转为问题线索"):
        services.clue_from_matter(session, office.intake, matter, [person()])
    entry, changes = last_audit(session, "clue.from_matter", clue)
    assert changes["matter"] == matter.serial
    # A clue is a 检举控告: a matter accepted as a 申诉求决 has its class corrected, audited.
    assert matter.complaint_class == ComplaintClass.ACCUSATION
    assert last_audit(session, "matter.class_corrected", matter)[1]["complaint_class"] == ["claim", "accusation"]


def test_an_accepted_accusation_keeps_its_class_when_it_becomes_a_clue(session, office, make_matter):
    matter = make_matter("registered")
    matter_services.accept_matter(session, office.intake, matter, complaint_class=ComplaintClass.ACCUSATION)
    services.clue_from_matter(session, office.intake, matter, [person()])
    assert audit_entries(session, "matter.class_corrected") == []


def test_an_anonymous_matter_gives_an_anonymous_clue(session, office, make_matter):
    clue = services.clue_from_matter(session, office.supervisor, make_matter("accepted", anonymous=True), [person()])
    assert not clue.real_name


@pytest.mark.parametrize("status", ["registered", "assigned"])
def test_only_an_accepted_unassigned_matter_becomes_a_clue(session, office, make_matter, status):
    with pytest.raises(WorkflowError, match="只有已受理、尚未交办"):
        services.clue_from_matter(session, office.intake, make_matter(status), [person()])


# --- the reporter ----------------------------------------------------------------------------------
def test_the_reporter_of_a_matter_clue_is_the_matters_complainant_shown_with_a_reason(session, office, make_matter):
    clue = services.clue_from_matter(session, office.intake, make_matter("accepted"), [person()])
    with pytest.raises(ValidationError, match="事由"):
        services.view_reporter(session, office.supervisor, clue, "")
    reporter = services.view_reporter(session, office.supervisor, clue, "核实举报内容")
    assert reporter.name == "张某某"
    entry, changes = last_audit(session, "clue.reporter_viewed", clue)
    assert entry.actor_id == office.supervisor.id and changes["reason"] == "核实举报内容"


@pytest.mark.parametrize("who", ["head", "admin"])
def test_a_department_head_or_the_admin_never_sees_the_reporter(session, office, make_clue, who):
    with pytest.raises(PermissionDenied):
        services.view_reporter(session, getattr(office, who), make_clue(), "好奇")
    assert audit_entries(session, "clue.reporter_viewed") == []


# --- disposal --------------------------------------------------------------------------------------
@pytest.mark.parametrize("way, status", [("inquiry", "inquiry"), ("verify", "verifying"), ("shelve", "shelved"),
                                         ("close", "concluded")])
def test_each_of_the_four_ways_is_proposed_approved_and_recorded(session, office, make_clue, way, status):
    clue = make_clue(way)
    assert clue.status.value == status and clue.disposal == DisposalWay(way)
    disposal = clue.disposals[0]
    assert disposal.proposed_by_id == office.supervisor.id and disposal.decided_by_id == office.leader.id
    assert disposal.status == DecisionStatus.APPROVED and disposal.studied_by == "室务会"
    assert disposal.reason and disposal.decided_at is not None
    entry, changes = last_audit(session, "clue.approve", clue)
    assert changes["status"] == ["proposed", status] and changes["way"] == way
    assert last_audit(session, "clue.propose", clue)[0].actor_id == office.supervisor.id
    if way == "close":
        assert clue.concluded_at is not None and clue.conclusion == "予以了结"


def test_the_case_officer_proposes_and_the_leader_decides(session, office, make_clue):
    clue = make_clue()
    with pytest.raises(PermissionDenied):
        services.propose_disposal(session, office.intake, clue, DisposalWay.CLOSE, "理由")
    services.propose_disposal(session, office.supervisor, clue, DisposalWay.CLOSE, "反映笼统，无可查性。")
    with pytest.raises(PermissionDenied):
        services.approve_disposal(session, office.supervisor, clue)
    with pytest.raises(ValidationError, match="理由"):
        services.decline_disposal(session, office.leader, clue, "")
    services.decline_disposal(session, office.leader, clue, "线索具体，应初步核实。")
    assert clue.status == ClueStatus.REGISTERED and clue.disposals[0].status == DecisionStatus.DECLINED
    services.propose_disposal(session, office.supervisor, clue, DisposalWay.VERIFY, "线索具体，可查性强。")
    services.approve_disposal(session, office.leader, clue)
    assert clue.status == ClueStatus.VERIFYING and [d.status.value for d in clue.disposals] == ["declined", "approved"]
    with pytest.raises(WorkflowError):
        services.approve_disposal(session, office.leader, clue)


def test_a_proposal_needs_a_reason_and_shelving_a_future_review_date(session, office, make_clue):
    clue = make_clue()
    with pytest.raises(ValidationError, match="理由"):
        services.propose_disposal(session, office.supervisor, clue, DisposalWay.CLOSE, " ")
    with pytest.raises(ValidationError, match="重新研判的日期"):
        services.propose_disposal(session, office.supervisor, clue, DisposalWay.SHELVE, "暂不具备核查条件。")
    with pytest.raises(ValidationError, match="晚于今天"):
        services.propose_disposal(session, office.supervisor, clue, DisposalWay.SHELVE, "暂不具备核查条件。",
                                  review_on=clock.today())
    assert clue.status == ClueStatus.REGISTERED


def test_a_shelved_clue_comes_back_on_its_review_date(session, office, make_clue):
    clue = make_clue("shelve")
    review_on = clue.review_on
    assert services.sweep_shelved(session, review_on - timedelta(days=1)) == 0
    assert services.sweep_shelved(session, review_on) == 1
    session.commit()
    assert clue.status == ClueStatus.REGISTERED and clue.review_on is None
    entry, changes = last_audit(session, "clue.review", clue)
    assert entry.actor_id is None and changes["review_on"] == review_on.isoformat()
    assert services.sweep_shelved(session, review_on) == 0


def test_the_sweep_command_brings_shelved_clues_back(app, session, office, make_clue):
    clue = make_clue("shelve")
    result = app.test_cli_runner().invoke(args=["sweep", "--today", clue.review_on.isoformat()])
    assert result.exit_code == 0, result.output
    assert "暂存待查线索到期重新研判 1 件" in result.output
    session.expire_all()
    assert session.get(Clue, clue.id).status == ClueStatus.REGISTERED
