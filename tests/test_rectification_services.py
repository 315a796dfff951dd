"""Rectification notices (docs/domain.md §4) through their services: issue with a 文号 from the shared registry,
签收, reports per item, 验收 (销号 or 退回), closing; the refusals; the .docx; numbering under concurrency."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from matters_factories import audit_entries, last_audit
from supervision import filestore
from supervision import clock
from supervision.errors import PermissionDenied, ValidationError, WorkflowError
from supervision.extensions import db
from supervision.matters.services import IdentityInput
from supervision.models.counters import SerialCounter
from supervision.models.documents import GeneratedDocument
from supervision.models.matters import MatterKind, Channel
from supervision.models.rectification import (
    ItemStatus,
    NoticeStatus,
    RectificationEvidence,
    RectificationItem,
    RectificationNotice,
)
from supervision.rectification import services
from rectification_factories import PROBLEMS, docx_text, notice_input

FINDING_PROBLEMS = "窗口工作时间离岗\n办事指南未更新\n意见簿无人回复"


def _document_of(session, notice) -> GeneratedDocument:
    return session.scalar(select(GeneratedDocument).where(GeneratedDocument.subject_id == notice.id,
                                                          GeneratedDocument.doc_type == "rectification_notice")
                          .order_by(GeneratedDocument.revision.desc()))


# --- issue ---------------------------------------------------------------------------------------
def test_issuing_gives_the_notice_and_its_document_one_number(session, office, make_notice, today):
    notice = make_notice()
    assert notice.number == "效整〔2026〕1号" and (notice.year, notice.seq) == (2026, 1)
    document = _document_of(session, notice)
    assert document.number == notice.number and document.department_id == office.department.id
    assert notice.status == NoticeStatus.ISSUED
    assert [(i.position, i.problem, i.status) for i in notice.items] == [
        (n, p, ItemStatus.OPEN) for n, p in enumerate(PROBLEMS, start=1)]
    assert notice.progress == "0/3"
    # 20 working days from Monday 2026-06-01, the start day not counted; 端午 (6/19) is a holiday.
    assert notice.due_on == date(2026, 6, 30) and notice.due_provisional is False
    assert notice.limit_amount == 20
    entry, changes = last_audit(session, "rectification.issued", notice)
    assert entry.actor_id == office.supervisor.id and notice.number in entry.summary
    assert changes["status"] == [None, "issued"] and changes["items"] == 3 and changes["due_on"] == "2026-06-30"
    assert [e.action for e in notice.events] == ["issued"]


def test_each_notice_takes_the_next_number_shared_with_generated_documents(session, make_notice, today):
    first, second = make_notice(), make_notice()
    assert (first.seq, second.seq) == (1, 2)
    assert second.number == "效整〔2026〕2号"


def test_issuing_from_a_finding_links_the_matter_and_its_problem_lines(session, office, make_matter, make_notice):
    finding = make_matter("registered", kind=MatterKind.FINDING, channel=Channel.UNDERCOVER,
                          problems=FINDING_PROBLEMS, identity=IdentityInput())
    notice = make_notice(problems=services.problems_of(finding) + ["另行发现的问题"], matters=[finding])
    assert notice.matters == [finding]
    assert [i.matter_id for i in notice.items] == [finding.id, finding.id, finding.id, None]
    assert finding.events[-1].action == "rectification_issued" and notice.number in finding.events[-1].text
    assert _document_of(session, notice).matter_id == finding.id


def test_a_complaint_lends_its_summary_never_the_complainants_words(make_matter):
    complaint = make_matter("approved", content="原话标记ABC", summary="窗口办事拖拉。")
    assert services.can_be_rectified(complaint)
    assert services.problems_of(complaint) == ["窗口办事拖拉。"]


def test_deadline_reaching_into_an_unpublished_year_is_provisional(session, office, make_notice):
    with clock.frozen(date(2026, 12, 15)):
        notice = make_notice(workdays=15)
    assert notice.due_on.year == 2027 and notice.due_provisional is True
    assert "（推定）" in notice.events[0].text


def test_an_explicit_deadline_is_kept_as_given(office, make_notice, today):
    notice = make_notice(workdays=None, due_on=date(2026, 7, 15))
    assert (notice.due_on, notice.due_provisional, notice.limit_amount) == (date(2026, 7, 15), False, None)


# --- bad input: a clear message, nothing saved -----------------------------------------------------
BAD_ISSUES = {
    "no items": (dict(problems=["", "  "]), "请至少列出一项需要整改的问题"),
    "deadline before the issue date": (dict(workdays=None, due_on=date(2026, 5, 29)), "整改期限必须晚于下发日期"),
    "deadline on the issue date": (dict(workdays=None, due_on=date(2026, 6, 1)), "整改期限必须晚于下发日期"),
    "no deadline": (dict(workdays=None), "请填写整改时限"),
    "two deadlines": (dict(workdays=10, due_on=date(2026, 7, 1)), "二选一"),
    "zero working days": (dict(workdays=0), "整改时限应为"),
    "inspection in the future": (dict(inspected_on=date(2026, 6, 2)), "检查日期不能晚于今天"),
    "no department": (dict(department=None), "请选择被通知单位"),
}


@pytest.mark.parametrize("case", list(BAD_ISSUES))
def test_bad_issue_input_is_refused_and_nothing_is_saved(session, office, paperwork, today, case):
    fields, message = BAD_ISSUES[case]
    with pytest.raises(ValidationError, match=message):
        services.issue_rectification_notice(session, office.supervisor, notice_input(office, **fields),
                                            paperwork=paperwork)
    session.rollback()
    assert session.scalar(select(func.count()).select_from(RectificationNotice)) == 0
    assert session.scalar(select(func.count()).select_from(GeneratedDocument)) == 0
    assert audit_entries(session, "rectification.issued") == []


def test_a_notice_to_an_inactive_department_is_refused(session, office, make_department, paperwork, today):
    closed = make_department(name="已撤销单位", active=False)
    with pytest.raises(ValidationError, match="单位“已撤销单位”已停用"):
        services.issue_rectification_notice(session, office.supervisor, notice_input(office, department=closed),
                                            paperwork=paperwork)
    session.rollback()
    assert session.scalar(select(func.count()).select_from(RectificationNotice)) == 0


def test_a_matter_not_found_or_substantiated_cannot_be_the_source(session, office, make_matter, paperwork):
    pending = make_matter("in_progress")
    with pytest.raises(ValidationError, match=f"{pending.serial} 不是检查发现或经核实的事项"):
        services.issue_rectification_notice(session, office.supervisor, notice_input(office, matters=[pending]),
                                            paperwork=paperwork)


def test_a_refused_issue_gives_its_number_back(session, office, make_notice, paperwork, today):
    """The number is allocated inside the issue's transaction: a rollback after it leaves no gap."""
    services.issue_rectification_notice(session, office.supervisor, notice_input(office), paperwork=paperwork)
    session.rollback()
    assert make_notice().number == "效整〔2026〕1号"


@pytest.mark.parametrize("role", ["intake", "leader", "head", "admin"])
def test_only_a_supervisor_issues(session, office, paperwork, today, role):
    with pytest.raises(PermissionDenied):
        services.issue_rectification_notice(session, getattr(office, role), notice_input(office),
                                            paperwork=paperwork)


# --- the life of a notice --------------------------------------------------------------------------
def test_the_department_head_signs_for_the_notice(session, office, make_notice):
    notice = make_notice()
    with clock.frozen(date(2026, 6, 2)):
        services.sign_notice(session, office.head, notice)
    assert notice.status == NoticeStatus.RECEIVED and notice.received_by_id == office.head.id
    assert notice.received_at.date() == date(2026, 6, 2)
    entry, changes = last_audit(session, "rectification.signed", notice)
    assert entry.actor_id == office.head.id and changes == {"status": ["issued", "received"]}
    assert notice.events[-1].text == f"{office.department.name}签收"


def test_reporting_an_item_with_evidence(session, office, make_notice, storage):
    notice = make_notice("received")
    item = notice.items[1]
    report = services.report_item(session, office.head, item, "已更新办事指南并在窗口公示。",
                                  files=[("新版指南.pdf", b"%PDF-1.4\n%%EOF\n")], storage=storage)
    session.commit()
    assert item.status == ItemStatus.REPORTED and report.content == "已更新办事指南并在窗口公示。"
    evidence = session.scalar(select(RectificationEvidence))
    assert evidence.original_name == "新版指南.pdf" and storage.read(session, evidence.sha256)
    entry, changes = last_audit(session, "rectification.item_reported", item)
    assert changes == {"status": ["open", "reported"], "evidence": 1} and "第 2 项" in entry.summary
    assert notice.status == NoticeStatus.RECEIVED and notice.progress == "0/3"


def test_closing_an_item_is_销号_and_progress_shows(session, office, make_notice):
    notice = make_notice("reported")
    services.verify_item(session, office.supervisor, notice.items[0], True, "整改到位。")
    assert notice.items[0].status == ItemStatus.CLOSED and notice.items[0].closed_at is not None
    assert notice.items[0].latest_report.verdict.value == "accepted"
    assert notice.progress == "1/3" and notice.status == NoticeStatus.RECEIVED
    entry, changes = last_audit(session, "rectification.item_closed", notice.items[0])
    assert changes == {"status": ["reported", "closed"], "note": "整改到位。"}
    assert audit_entries(session, "rectification.closed") == []


def test_sending_an_item_back_needs_a_reason_and_the_department_reports_again(session, office, make_notice):
    notice = make_notice("reported")
    item = notice.items[1]
    with pytest.raises(ValidationError, match="退回第 2 项时请写明理由"):
        services.verify_item(session, office.supervisor, item, False, "  ")
    assert item.status == ItemStatus.REPORTED
    services.verify_item(session, office.supervisor, item, False, "未附整改照片。")
    assert item.status == ItemStatus.RETURNED
    entry, changes = last_audit(session, "rectification.item_sent_back", item)
    assert changes == {"status": ["reported", "returned"], "note": "未附整改照片。"}
    services.report_item(session, office.head, item, "补充整改照片。")
    assert item.status == ItemStatus.REPORTED and len(item.reports) == 2


def test_the_notice_closes_when_its_last_item_is_closed(session, office, make_notice):
    notice = make_notice("sent_back")
    services.report_item(session, office.head, notice.items[1], "已补充照片。")
    services.verify_item(session, office.supervisor, notice.items[1], True)
    assert notice.status == NoticeStatus.RECEIVED  # item 3 is still waiting
    services.verify_item(session, office.supervisor, notice.items[2], True)
    assert notice.status == NoticeStatus.CLOSED and notice.closed_at is not None and notice.progress == "3/3"
    entry, changes = last_audit(session, "rectification.closed", notice)
    assert changes == {"status": ["received", "closed"], "on_time": True}
    assert notice.events[-1].action == "closed"


def test_a_notice_closed_late_says_so(session, office, make_notice):
    notice = make_notice("reported")
    with clock.frozen(notice.due_on + timedelta(days=3)):
        assert notice.is_overdue(clock.today())
        for item in notice.items:
            services.verify_item(session, office.supervisor, item, True)
    _, changes = last_audit(session, "rectification.closed", notice)
    assert changes["on_time"] is False and "逾期完成" in notice.events[-1].text


# --- forbidden moves: refused, state unchanged, no audit row ---------------------------------------
def _report(o, n):
    services.report_item(db.session, o.head, n.items[0], "已整改。")


def _accept(o, n):
    services.verify_item(db.session, o.supervisor, n.items[0], True)


def _send_back(o, n):
    services.verify_item(db.session, o.supervisor, n.items[0], False, "不到位。")


def _sign(o, n):
    services.sign_notice(db.session, o.head, n)


FORBIDDEN = [
    # (state, move, message, audit action that must not appear for it)
    ("issued", _report, "尚未签收", "rectification.item_reported"),
    ("issued", _accept, "尚未签收", "rectification.item_closed"),
    ("received", _sign, "不能进行“签收”", "rectification.signed"),
    ("received", _accept, "第 1 项尚未报送整改情况，不能验收", "rectification.item_closed"),
    ("received", _send_back, "第 1 项尚未报送整改情况，不能验收", "rectification.item_sent_back"),
    ("reported", _report, "第 1 项当前为“待验收”", "rectification.item_reported"),
    ("partly_closed", _report, "第 1 项当前为“已销号”", "rectification.item_reported"),
    ("partly_closed", _accept, "第 1 项当前为“已销号”", "rectification.item_closed"),
    ("closed", _report, "整改通知书当前为“已销号”", "rectification.item_reported"),
    ("closed", _sign, "不能进行“签收”", "rectification.signed"),
]


@pytest.mark.parametrize("state, move, message, action", FORBIDDEN,
                         ids=[f"{s}-{m.__name__}" for s, m, _, _ in FORBIDDEN])
def test_forbidden_moves_are_refused_without_a_trace(session, office, make_notice, state, move, message, action):
    notice = make_notice(state)
    before = (notice.status, [i.status for i in notice.items], len(audit_entries(session, action)))
    with pytest.raises(WorkflowError, match=message):
        move(office, notice)
    session.rollback()
    session.refresh(notice)
    assert (notice.status, [i.status for i in notice.items], len(audit_entries(session, action))) == before


RIGHTS = [
    ("issued", lambda o, n: services.sign_notice(db.session, o.other_head, n), "只有被通知单位的负责人才能签收"),
    ("issued", lambda o, n: services.sign_notice(db.session, o.supervisor, n), "只有被通知单位的负责人才能签收"),
    ("received", lambda o, n: services.report_item(db.session, o.other_head, n.items[0], "x"), "只有被通知单位"),
    ("received", lambda o, n: services.report_item(db.session, o.supervisor, n.items[0], "x"), "只有被通知单位"),
    ("reported", lambda o, n: services.verify_item(db.session, o.head, n.items[0], True), "只有督查人员可以验收"),
    ("reported", lambda o, n: services.verify_item(db.session, o.leader, n.items[0], True), "只有督查人员可以验收"),
    ("reported", lambda o, n: services.verify_item(db.session, o.intake, n.items[0], False, "x"), "只有督查人员"),
]


@pytest.mark.parametrize("state, move, message", RIGHTS)
def test_only_the_right_people_act(session, office, make_notice, state, move, message):
    notice = make_notice(state)
    with pytest.raises(PermissionDenied, match=message):
        move(office, notice)


def test_a_report_without_content_is_refused(session, office, make_notice):
    notice = make_notice("received")
    with pytest.raises(ValidationError, match="请填写第 1 项的整改情况"):
        services.report_item(session, office.head, notice.items[0], " \n ")
    assert notice.items[0].status == ItemStatus.OPEN and notice.items[0].reports == []


def test_a_report_with_a_forbidden_file_saves_nothing(session, office, make_notice, storage):
    notice = make_notice("received")
    with pytest.raises(ValidationError, match="类型不允许上传"):
        services.report_item(session, office.head, notice.items[0], "已整改。", files=[("a.exe", b"MZ\x90\x00")],
                             storage=storage)
    session.rollback()
    assert session.scalar(select(func.count()).select_from(RectificationEvidence)) == 0
    session.refresh(notice.items[0])
    assert notice.items[0].status == ItemStatus.OPEN


# --- the .docx -------------------------------------------------------------------------------------
def test_the_notice_document_reopens_with_number_items_deadline_and_receipt(session, office, make_notice, app):
    notice = make_notice()
    document = _document_of(session, notice)
    text = docx_text(filestore.read_checked(db.session, document.sha256))
    assert notice.number in text and "整改通知书" in text
    assert f"{office.department.name}：" in text  # the addressee's salutation
    for problem in PROBLEMS:
        assert problem in text
    assert "2026年6月30日" in text  # the deadline, as written on official paper
    assert "送达回执" in text and "签收人" in text
    assert "陈静" in text and "0571-87654322" in text and "予以全市通报批评" in text
    assert "明察暗访" in text


def test_a_document_from_a_complaint_carries_no_identity(session, office, make_matter, make_notice, app):
    complaint = make_matter("approved", content="原话标记ABC", summary="窗口办事拖拉、未一次性告知。",
                            identity=IdentityInput(name="举报人甲乙丙", phone="13912345678"))
    notice = make_notice(problems=services.problems_of(complaint), matters=[complaint],
                         source=services.RectificationSource.COMPLAINT_CHECK)
    text = docx_text(filestore.read_checked(db.session, _document_of(session, notice).sha256))
    assert "窗口办事拖拉、未一次性告知。" in text
    for secret in ("举报人甲乙丙", "13912345678", "原话标记ABC"):
        assert secret not in text


def test_regenerating_keeps_the_number(session, office, make_notice, paperwork):
    notice = make_notice()
    document = services.regenerate_document(session, office.supervisor, notice, paperwork=paperwork)
    session.commit()
    assert (document.number, document.revision) == (notice.number, 2)
    assert session.scalar(select(SerialCounter.value).where(SerialCounter.scope == "doc:效整")) == 1
    with pytest.raises(PermissionDenied):
        services.regenerate_document(session, office.head, notice, paperwork=paperwork)


def paperwork_folder(app):
    from pathlib import Path

    return Path(app.instance_path) / "documents"


# --- numbering under concurrency -------------------------------------------------------------------
@pytest.mark.postgres_only  # concurrent transactions are exercised on PostgreSQL; SQLite has one writer
def test_supervisors_issuing_at_the_same_moment_get_distinct_gapless_numbers(app, database_url, office,
                                                                             paperwork):
    supervisor_id, department_id = office.supervisor.id, office.department.id
    db.session.remove()
    workers, per_worker = 6, 3
    barrier = threading.Barrier(workers)
    errors: list[BaseException] = []

    def supervisor_desk(n: int) -> None:
        try:
            with app.app_context(), clock.frozen(date(2026, 6, 1)):
                from supervision.models.org import Department, User

                actor = db.session.get(User, supervisor_id)
                department = db.session.get(Department, department_id)
                barrier.wait(timeout=10)
                for k in range(per_worker):
                    services.issue_rectification_notice(
                        db.session, actor, services.NoticeInput(
                            department=department, source=services.RectificationSource.SPECIAL_CHECK,
                            problems=[f"问题 {n}-{k}"], workdays=10), paperwork=paperwork)
                    if n == 0 and k == 1:
                        db.session.rollback()  # this one was abandoned: its number goes back
                        continue
                    db.session.commit()
                db.session.remove()
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=supervisor_desk, args=(n,)) for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    notices = db.session.scalars(select(RectificationNotice)).all()
    assert len(notices) == workers * per_worker - 1
    assert sorted(n.seq for n in notices) == list(range(1, len(notices) + 1))  # no duplicates, no gaps
    documents = {d.subject_id: d.number for d in db.session.scalars(select(GeneratedDocument))}
    assert all(documents[n.id] == n.number == f"效整〔2026〕{n.seq}号" for n in notices)
    assert db.session.scalar(select(func.count()).select_from(RectificationItem)) == len(notices)
