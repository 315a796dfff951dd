"""The rectification pages: who reaches what (docs/domain.md §1), the list with its progress and filters, the issue
form (pre-filled from a finding, refusing bad input with nothing saved), and the wiring of each action."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
from sqlalchemy import func, select

from matters_factories import PDF_BYTES, signed_in
from supervision import clock
from supervision.extensions import db
from supervision.matters.services import IdentityInput
from supervision.models.documents import GeneratedDocument
from supervision.models.matters import Channel, MatterKind
from supervision.models.rectification import ItemStatus, RectificationEvidence, RectificationNotice
from supervision.rectification import services
from supervision.rectification.services import latest_document
from rectification_factories import PROBLEMS, docx_text, notice_input

ROLES = ["admin", "intake", "supervisor", "leader", "head", "other_head"]


def csrf(client, prefix: str = "") -> dict:
    return {f"{prefix}csrf_token": client.csrf_token()}


def item_form(client, item, **fields) -> dict:
    """An item's form: its fields (and CSRF token) carry the item's prefix."""
    prefix = f"item{item.id}-"
    return {**csrf(client, prefix), **{prefix + k: v for k, v in fields.items()}}


# --- the permission matrix -------------------------------------------------------------------------
# "head" heads the addressed department; "other_head" another one. 403: the role may not; 404: not theirs.
EXPECTED = {
    # page                          admin intake super leader head other_head
    "GET  list":                    (403, 200, 200, 200, 200, 200),
    "GET  new":                     (403, 403, 200, 403, 403, 403),
    "GET  detail":                  (403, 200, 200, 200, 200, 404),
    "POST sign":                    (403, 403, 403, 403, 302, 404),
    "POST report":                  (403, 403, 403, 403, 302, 404),
    "POST verify":                  (403, 403, 302, 403, 403, 404),
    "POST regenerate document":     (403, 403, 302, 403, 403, 404),
    "GET  document":                (403, 200, 200, 200, 200, 404),
    "GET  evidence":                (403, 200, 200, 200, 200, 404),
}


def _request(page: str, client, notice):
    item = notice.items[0]
    if page == "GET  list":
        return client.get("/rectification/")
    if page == "GET  new":
        return client.get("/rectification/new")
    if page == "GET  detail":
        return client.get(f"/rectification/{notice.id}")
    if page == "POST sign":
        return client.post(f"/rectification/{notice.id}/act/sign")
    if page == "POST report":
        return client.post(f"/rectification/{notice.id}/items/{item.id}/report",
                           data=item_form(client, item, content="已整改。"), csrf=False)
    if page == "POST verify":
        return client.post(f"/rectification/{notice.id}/items/{item.id}/verify",
                           data=item_form(client, item, decision="accept"), csrf=False)
    if page == "POST regenerate document":
        return client.post(f"/rectification/{notice.id}/document")
    if page == "GET  document":
        return client.get(f"/documents/{latest_document(db.session, notice).id}")
    if page == "GET  evidence":
        evidence = item.reports[0].evidence[0]
        return client.get(f"/rectification/{notice.id}/evidence/{evidence.id}")
    raise AssertionError(page)


STATE_FOR = {"POST sign": "issued", "POST report": "received", "POST verify": "reported",
             "GET  evidence": "reported"}


@pytest.mark.parametrize("page", list(EXPECTED))
@pytest.mark.parametrize("role", ROLES)
def test_who_reaches_which_page(app, office, make_notice, page, role):
    notice = make_notice(STATE_FOR.get(page, "issued"))
    response = _request(page, signed_in(app, getattr(office, role)), notice)
    assert response.status_code == EXPECTED[page][ROLES.index(role)], response.text[:500]


def test_navigation_offers_the_list_to_supervisor_leader_and_department_head(app, office):
    for role, shown in (("supervisor", True), ("leader", True), ("head", True), ("admin", False)):
        assert ("整改通知" in signed_in(app, getattr(office, role)).get("/").text) is shown, role


# --- the list --------------------------------------------------------------------------------------
def test_the_list_shows_progress_and_the_department_head_only_their_own(app, office, make_notice, make_department,
                                                                        paperwork, session):
    mine = make_notice("partly_closed")
    theirs = services.issue_rectification_notice(session, office.supervisor,
                                                 notice_input(office, department=office.other_department),
                                                 paperwork=paperwork)
    session.commit()
    page = signed_in(app, office.supervisor).get("/rectification/").text
    assert mine.number in page and theirs.number in page
    assert re.search(r'class="rect-count">1/3<', page)
    head_page = signed_in(app, office.head).get("/rectification/").text
    assert mine.number in head_page and theirs.number not in head_page


def test_the_list_filters_by_status_department_and_overdue(app, office, make_notice, session):
    issued, closed = make_notice(), make_notice("closed")
    late = make_notice("received", workdays=None, due_on=date(2026, 6, 3))
    client = signed_in(app, office.supervisor)
    with clock.frozen(date(2026, 6, 10)):
        overdue = client.get("/rectification/?overdue=y").text
        by_status = client.get("/rectification/?status=closed").text
        by_department = client.get(f"/rectification/?department={office.other_department.id}").text
    assert late.number in overdue and issued.number not in overdue and closed.number not in overdue
    assert closed.number in by_status and issued.number not in by_status
    assert "没有符合条件的整改通知书" in by_department
    assert late.number in overdue and 'class="light light-red"' in overdue


# --- issuing through the form ----------------------------------------------------------------------
def _issue_form(office, **fields) -> dict:
    values = {"department_id": office.department.id, "source": "undercover", "inspected_on": "2026-05-28",
              "problems": "\n".join(PROBLEMS), "deadline_mode": "workdays", "workdays": "20",
              "contact_person": "陈静", "contact_phone": "0571-87654322"}
    values.update(fields)
    return values


def test_the_form_is_prefilled_from_a_finding(app, office, make_matter):
    finding = make_matter("registered", kind=MatterKind.FINDING, channel=Channel.DISCLOSURE_CHECK,
                          problems="办事指南未更新\n政策解读缺失", respondent_department=office.department,
                          inspected_on=date(2026, 5, 27), identity=IdentityInput())
    page = signed_in(app, office.supervisor).get(f"/rectification/new?matter={finding.id}").text
    assert "办事指南未更新\n政策解读缺失" in page
    assert f'<option selected value="{office.department.id}">' in page or \
        re.search(rf'<option[^>]*value="{office.department.id}"[^>]*selected', page)
    assert re.search(r'<option[^>]*selected[^>]*value="disclosure_check"|value="disclosure_check" selected', page)
    assert 'value="2026-05-27"' in page and f'value="{finding.id}"' in page


def test_a_supervisor_issues_from_a_finding_through_the_form(app, office, make_matter, session):
    finding = make_matter("registered", kind=MatterKind.FINDING, channel=Channel.UNDERCOVER,
                          problems="\n".join(PROBLEMS), identity=IdentityInput())
    client = signed_in(app, office.supervisor)
    response = client.post("/rectification/new", data=_issue_form(office, matter_ids=str(finding.id)))
    assert response.status_code == 302, response.text
    notice = session.scalar(select(RectificationNotice))
    assert response.location.endswith(f"/rectification/{notice.id}")
    assert notice.matters == [finding] and len(notice.items) == 3
    page = client.get(response.location).text
    assert "已下发整改通知书 效整〔2026〕1号。" in page and "0/3" in page


def test_the_matter_page_offers_a_notice_only_to_supervisors_and_only_for_findings_or_substantiated(
        app, office, make_matter):
    finding = make_matter("registered", kind=MatterKind.FINDING, channel=Channel.UNDERCOVER,
                          problems="离岗", identity=IdentityInput())
    pending = make_matter("in_progress")
    link = f"/rectification/new?matter={finding.id}"
    assert link in signed_in(app, office.supervisor).get(f"/matters/{finding.id}").text
    assert "/rectification/new" not in signed_in(app, office.intake).get(f"/matters/{finding.id}").text
    assert "/rectification/new" not in signed_in(app, office.supervisor).get(f"/matters/{pending.id}").text


BAD_FORMS = {
    "no items": (dict(problems=" \n "), "请至少列出一项需要整改的问题"),
    "deadline before the issue date": (dict(deadline_mode="date", due_on="2026-05-20"), "整改期限必须晚于下发日期"),
    "date chosen but empty": (dict(deadline_mode="date", due_on=""), "请填写截止日期"),
    "working days empty": (dict(workdays=""), "请填写工作日天数"),
}


@pytest.mark.parametrize("case", list(BAD_FORMS))
def test_bad_issue_forms_keep_the_input_and_save_nothing(app, office, session, case):
    fields, message = BAD_FORMS[case]
    response = signed_in(app, office.supervisor).post("/rectification/new", data=_issue_form(office, **fields))
    assert response.status_code == 400 and message in response.text
    assert "0571-87654322" in response.text  # what was typed is still there
    assert session.scalar(select(func.count()).select_from(RectificationNotice)) == 0
    assert session.scalar(select(func.count()).select_from(GeneratedDocument)) == 0


def test_a_notice_to_an_inactive_department_is_refused_on_the_page(app, office, make_department, session):
    closed = make_department(name="已撤销单位", active=False)
    response = signed_in(app, office.supervisor).post("/rectification/new",
                                                      data=_issue_form(office, department_id=closed.id))
    assert response.status_code == 400 and "单位“已撤销单位”已停用，不能向其下发整改通知书。" in response.text
    assert f'value="{closed.id}"' not in response.text  # not even offered
    assert session.scalar(select(func.count()).select_from(RectificationNotice)) == 0


# --- actions on the notice page --------------------------------------------------------------------
def test_the_department_signs_reports_and_the_supervisor_verifies_on_the_page(app, office, make_notice, session):
    notice = make_notice()
    head, supervisor = signed_in(app, office.head), signed_in(app, office.supervisor)
    assert "签收整改通知书" in head.get(f"/rectification/{notice.id}").text
    assert head.post(f"/rectification/{notice.id}/act/sign").status_code == 302
    first, second = notice.items[0], notice.items[1]
    response = head.post(f"/rectification/{notice.id}/items/{first.id}/report",
                         data={**item_form(head, first, content="已整改并建立巡查制度。"),
                               f"item{first.id}-files": [(io.BytesIO(PDF_BYTES), "巡查记录.pdf")]},
                         csrf=False, content_type="multipart/form-data")
    assert response.status_code == 302, response.text
    head.post(f"/rectification/{notice.id}/items/{second.id}/report",
              data=item_form(head, second, content="已更新指南。"), csrf=False)
    supervisor.post(f"/rectification/{notice.id}/items/{first.id}/verify",
                    data=item_form(supervisor, first, decision="accept"), csrf=False)
    supervisor.post(f"/rectification/{notice.id}/items/{second.id}/verify",
                    data=item_form(supervisor, second, decision="send_back", note="未附照片。"), csrf=False)
    session.expire_all()
    assert [i.status for i in notice.items] == [ItemStatus.CLOSED, ItemStatus.RETURNED, ItemStatus.OPEN]
    page = head.get(f"/rectification/{notice.id}").text
    assert "1/3" in page and "未附照片。" in page and "重新报送整改情况（第 2 项）" in page
    evidence = session.scalar(select(RectificationEvidence))
    assert head.get(f"/rectification/{notice.id}/evidence/{evidence.id}").data == PDF_BYTES


def test_a_report_without_content_shows_the_form_again(app, office, make_notice, session):
    notice = make_notice("received")
    item = notice.items[0]
    head = signed_in(app, office.head)
    response = head.post(f"/rectification/{notice.id}/items/{item.id}/report", data=item_form(head, item, content=""),
                         csrf=False)
    assert response.status_code == 400 and "此项为必填项" in response.text
    session.expire_all()
    assert notice.items[0].status == ItemStatus.OPEN


def test_verifying_an_item_not_reported_is_refused_on_the_page(app, office, make_notice, session):
    notice = make_notice("received")
    item = notice.items[0]
    supervisor = signed_in(app, office.supervisor)
    response = supervisor.post(f"/rectification/{notice.id}/items/{item.id}/verify",
                               data=item_form(supervisor, item, decision="accept"), csrf=False)
    assert response.status_code == 400 and "第 1 项尚未报送整改情况，不能验收。" in response.text
    session.expire_all()
    assert notice.items[0].status == ItemStatus.OPEN


def test_the_addressees_head_downloads_the_notice_docx(app, office, make_notice):
    notice = make_notice()
    page = signed_in(app, office.head).get(f"/rectification/{notice.id}").text
    link = re.search(r'href="(/documents/\d+)"', page).group(1)
    download = signed_in(app, office.head).get(link)
    assert download.status_code == 200 and "attachment" in download.headers["Content-Disposition"]
    text = docx_text(download.data)
    assert notice.number in text and "送达回执" in text and office.department.name in text
    assert signed_in(app, office.other_head).get(link).status_code == 404


def test_regenerating_on_the_page_keeps_the_number(app, office, make_notice, session):
    notice = make_notice()
    response = signed_in(app, office.supervisor).post(f"/rectification/{notice.id}/document")
    assert response.status_code == 302 and "/documents/" in response.location
    numbers = session.scalars(select(GeneratedDocument.number).order_by(GeneratedDocument.id)).all()
    assert numbers == [notice.number, notice.number]
