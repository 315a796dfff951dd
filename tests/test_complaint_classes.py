"""信访类别 (docs/domain.md §11): 建议意见 / 检举控告 / 申诉求决, set on acceptance, corrected with a reason (audited),
counted in the statistics and the ledger; a 检举控告 is never handed to the accused's own department."""

from __future__ import annotations

import io
from datetime import date

import openpyxl
import pytest
from docx import Document

from matters_factories import last_audit, matter_input, signed_in
from supervision.errors import PermissionDenied, ValidationError, WorkflowError
from supervision.matters import services
from supervision.models.matters import Channel, ComplaintClass, Matter, MatterKind, MatterStatus
from supervision.paperwork.builders import BUILDERS
from supervision.statistics import periods
from supervision.statistics.figures import Slice, StatisticsFilters, clear_cache, compute_statistics, drilldown_select


def register(session, office, **fields) -> Matter:
    matter = services.register_matter(session, office.intake, matter_input(**fields))
    session.flush()
    return matter


def test_intake_sets_the_class_on_acceptance_and_the_audit_row_says_which(session, office):
    matter = register(session, office)
    services.accept_matter(session, office.intake, matter, complaint_class=ComplaintClass.ACCUSATION)
    session.commit()
    assert matter.complaint_class == ComplaintClass.ACCUSATION
    entry, changes = last_audit(session, "matter.accept", matter)
    assert changes["complaint_class"] == "accusation" and "检举控告" in entry.summary


def test_without_a_choice_a_suggestion_is_a_proposal_a_complaint_a_claim_and_a_finding_has_none(session, office):
    suggestion = register(session, office, kind=MatterKind.SUGGESTION, channel=Channel.MAILBOX)
    complaint = register(session, office)
    finding = register(session, office, kind=MatterKind.FINDING, channel=Channel.UNDERCOVER, problems="窗口无人",
                       identity=services.IdentityInput())
    for matter in (suggestion, complaint, finding):
        services.accept_matter(session, office.intake, matter)
    assert suggestion.complaint_class == ComplaintClass.PROPOSAL
    assert complaint.complaint_class == ComplaintClass.CLAIM
    assert finding.complaint_class is None


def test_a_finding_never_takes_a_class_even_when_one_is_passed(session, office):
    finding = register(session, office, kind=MatterKind.FINDING, channel=Channel.UNDERCOVER, problems="窗口无人",
                       identity=services.IdentityInput())
    services.accept_matter(session, office.intake, finding, complaint_class=ComplaintClass.CLAIM)
    assert finding.complaint_class is None


def test_correcting_the_class_needs_a_reason_and_is_audited_with_old_and_new(session, office, make_matter):
    matter = make_matter("in_progress")
    assert matter.complaint_class == ComplaintClass.CLAIM
    with pytest.raises(ValidationError, match="理由"):
        services.correct_complaint_class(session, office.intake, matter, ComplaintClass.PROPOSAL, " ")
    with pytest.raises(ValidationError, match="已是"):
        services.correct_complaint_class(session, office.intake, matter, ComplaintClass.CLAIM, "核对")
    services.correct_complaint_class(session, office.supervisor, matter, ComplaintClass.PROPOSAL,
                                     "实为对办事流程的建议")
    session.commit()
    assert matter.complaint_class == ComplaintClass.PROPOSAL
    entry, changes = last_audit(session, "matter.class_corrected", matter)
    assert changes == {"complaint_class": ["claim", "proposal"], "reason": "实为对办事流程的建议"}
    assert entry.actor_id == office.supervisor.id
    assert "更正为“建议意见”" in matter.events[-1].text and matter.events[-1].audience == "office"


def test_only_intake_and_supervisors_correct_a_class_and_only_after_acceptance(session, office, make_matter):
    accepted, registered = make_matter("accepted"), make_matter("registered")
    for user in (office.head, office.leader, office.admin):
        with pytest.raises(PermissionDenied):
            services.correct_complaint_class(session, user, accepted, ComplaintClass.PROPOSAL, "理由")
    with pytest.raises(WorkflowError):
        services.correct_complaint_class(session, office.intake, registered, ComplaintClass.PROPOSAL, "理由")


def test_an_accusation_is_never_assigned_to_the_accused_department_not_even_with_a_reason(session, office):
    matter = register(session, office, respondent_department=office.department, respondent_person="某科长")
    services.accept_matter(session, office.intake, matter, complaint_class=ComplaintClass.ACCUSATION)
    for lead, co in ((office.department, []), (office.other_department, [office.department])):
        with pytest.raises(ValidationError, match="不得交由被检举单位办理"):
            services.assign_matter(session, office.intake, matter, lead=lead, co_handling=co,
                                   avoidance_reason="确需本单位核查")
    assert matter.status == MatterStatus.ACCEPTED and not matter.assignments


def test_a_claim_about_a_department_may_still_go_to_it_with_the_avoidance_reason(session, office):
    matter = register(session, office, respondent_department=office.department)
    services.accept_matter(session, office.intake, matter, complaint_class=ComplaintClass.CLAIM)
    with pytest.raises(services.AvoidanceRequired):
        services.assign_matter(session, office.intake, matter, lead=office.department)
    services.assign_matter(session, office.intake, matter, lead=office.department, avoidance_reason="职责所在")
    assert matter.status == MatterStatus.ASSIGNED


def test_statistics_count_by_class_and_each_number_lists_its_matters(session, office, make_matter):
    accusation = register(session, office, received_on=date(2026, 5, 20))
    services.accept_matter(session, office.intake, accusation, complaint_class=ComplaintClass.ACCUSATION)
    claim = make_matter("accepted")  # received today, 2026-06-01
    unaccepted = make_matter("registered")
    session.commit()
    clear_cache()
    period = periods.year(2026)
    stats = compute_statistics(session, period, StatisticsFilters(), date(2026, 6, 1))
    by_class = {row.key: row.matters.received for row in stats.by_class}
    assert by_class == {"accusation": 1, "claim": 1, "none": 1}
    assert [row.label for row in stats.by_class] == ["检举控告", "申诉求决", "未分类"]
    for key, expected in (("accusation", accusation), ("claim", claim), ("none", unaccepted)):
        ids = session.scalars(drilldown_select(session, "received", period, StatisticsFilters(), date(2026, 6, 1),
                                               Slice(complaint_class=key))).all()
        assert ids == [expected.id]


def test_intake_must_choose_a_class_for_a_complaint_on_the_page(app, session, office, make_matter):
    matter = make_matter("registered")
    intake = signed_in(app, office.intake)
    page = intake.get(f"/matters/{matter.id}").text
    assert "信访类别" in page and "检举控告" in page
    response = intake.post(f"/matters/{matter.id}/act/accept", data={"version": matter.version})
    assert response.status_code == 400 and "请选择信访类别" in response.text
    response = intake.post(f"/matters/{matter.id}/act/accept", data={"version": matter.version,
                                                                      "complaint_class": "accusation"})
    assert response.status_code == 302
    session.expire_all()
    assert matter.complaint_class == ComplaintClass.ACCUSATION
    response = intake.post(f"/matters/{matter.id}/act/classify", data={
        "version": matter.version, "complaint_class": "claim", "note": "核实后为求决类"})
    assert response.status_code == 302
    session.expire_all()
    assert matter.complaint_class == ComplaintClass.CLAIM
    head = signed_in(app, office.head)
    assert head.post(f"/matters/{matter.id}/act/classify", data={
        "version": matter.version, "complaint_class": "proposal", "note": "x"}).status_code in (403, 404)


def test_the_office_ledger_has_the_class_column(app, session, office, make_matter):
    make_matter("accepted")
    response = signed_in(app, office.intake).get("/ledgers/matters.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    header = next(r for r in rows if r and "编号" in r)
    column = header.index("信访类别")
    assert any(r[column] == "申诉求决" for r in rows[rows.index(header) + 1:])


def test_paperwork_samples_writes_one_docx_per_kind_named_by_kind(app, tmp_path):
    result = app.test_cli_runner().invoke(args=["paperwork", "samples", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    written = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert written == sorted(f"{kind}.docx" for kind in BUILDERS)
    for name in written:
        doc = Document(tmp_path / "out" / name)  # opens: a real .docx
        assert doc.paragraphs or doc.tables
