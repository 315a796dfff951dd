"""A citizen's own 标题 never reaches a department: departments read the office's 交办标题 (docs/domain.md §14,
issue 14 item 1). Every place goes through ``permissions.visible_title``."""

from __future__ import annotations

import io
import zipfile

import pytest
from sqlalchemy import select

from matters_factories import last_audit, signed_in
from supervision import permissions
from supervision.errors import ValidationError
from supervision.matters import services
from supervision.models.escalation import Delivery, Notification
from supervision.models.matters import Channel, MatterKind
from supervision.portal import services as portal

CITIZEN_TITLE = "张三13912345678举报窗口刁难"
OFFICE_TITLE = "反映市场监管窗口办事刁难"


def submit_online(session, office, title: str = CITIZEN_TITLE):
    return portal.submit_matter(session, portal.Submission(
        kind=MatterKind.COMPLAINT, title=title, content="本人张三，电话13912345678，在窗口被刁难。",
        anonymous=False, name="张三", phone="13912345678", respondent_unit="某窗口单位"))


def accepted_online(session, office):
    matter = submit_online(session, office)
    services.accept_matter(session, office.intake, matter)
    services.update_summary(session, office.intake, matter, "群众反映窗口办事刁难。", matter.version)
    session.commit()
    return matter


def xlsx_text(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return "".join(archive.read(name).decode("utf-8") for name in archive.namelist()
                       if name.endswith(".xml"))


def test_portal_title_is_not_approved_and_office_title_is(session, office):
    online = submit_online(session, office)
    registered = services.register_matter(session, office.intake, services.MatterInput(
        kind=MatterKind.COMPLAINT, channel=Channel.PHONE, title=OFFICE_TITLE, content="来电反映。",
        received_on=today_date(), summary="摘要"))
    assert online.assigned_title == "" and registered.assigned_title == OFFICE_TITLE
    assert permissions.visible_title(office.head, online) == permissions.PENDING_TITLE
    assert permissions.visible_title(office.intake, online) == CITIZEN_TITLE
    assert permissions.visible_title(office.head, registered) == OFFICE_TITLE


def today_date():
    from supervision import clock

    return clock.today()


def test_assigning_a_portal_matter_needs_a_title_written_by_intake(session, office):
    matter = accepted_online(session, office)
    with pytest.raises(ValidationError, match="交办标题"):
        services.assign_matter(session, office.intake, matter, lead=office.department)
    session.rollback()
    services.assign_matter(session, office.intake, matter, lead=office.department, assigned_title=OFFICE_TITLE)
    session.commit()
    assert matter.assigned_title == OFFICE_TITLE
    _, changes = last_audit(session, "matter.assign", matter)
    assert changes["assigned_title"] == ["", OFFICE_TITLE]


def test_the_assign_form_refuses_without_a_title_in_chinese(app, session, office):
    matter = accepted_online(session, office)
    intake = signed_in(app, office.intake)
    refused = intake.post(f"/matters/{matter.id}/act/assign", data={
        "version": matter.version, "lead_id": office.department.id})
    assert refused.status_code == 400 and "交办标题" in refused.text
    done = intake.post(f"/matters/{matter.id}/act/assign", data={
        "version": matter.version, "lead_id": office.department.id, "assigned_title": OFFICE_TITLE})
    assert done.status_code == 302


def test_department_head_reads_the_assigned_title_everywhere(app, session, office):
    matter = accepted_online(session, office)
    services.assign_matter(session, office.intake, matter, lead=office.department, co_handling=[office.co_department],
                           assigned_title=OFFICE_TITLE)
    session.commit()
    for head in (office.head, office.co_head):
        client = signed_in(app, head)
        pages = [client.get(url) for url in ("/", "/matters/", f"/matters/{matter.id}", "/inbox/",
                                               "/matters/?q=" + matter.serial)]
        assert all(p.status_code == 200 for p in pages)
        assert all(CITIZEN_TITLE not in p.text and "13912345678" not in p.text for p in pages)
        assert OFFICE_TITLE in pages[2].text and OFFICE_TITLE in pages[1].text
        for ledger in ("/ledgers/matters.xlsx", "/ledgers/assignments.xlsx"):
            text = xlsx_text(client.get(ledger).data)
            assert "13912345678" not in text and OFFICE_TITLE in text
    # The LIKE keyword filter does not answer from the citizen's title either (no oracle).
    found = signed_in(app, office.head).get("/matters/?q=举报窗口刁难")
    assert matter.serial not in found.text
    notices = session.scalars(select(Notification).where(Notification.user_id.in_(
        [office.head.id, office.co_head.id]))).all()
    assert notices and all("13912345678" not in n.title + n.body for n in notices)
    assert all(OFFICE_TITLE in n.title for n in notices)
    assert session.scalar(select(Delivery.id).limit(1)) is None or all(
        "13912345678" not in d.notification.title for d in session.scalars(select(Delivery)))
    # The office keeps the title as received.
    office_page = signed_in(app, office.intake).get(f"/matters/{matter.id}")
    assert CITIZEN_TITLE in office_page.text and OFFICE_TITLE in office_page.text


def test_intake_confirms_a_title_on_the_summary_form(app, session, office):
    matter = accepted_online(session, office)
    intake = signed_in(app, office.intake)
    saved = intake.post(f"/matters/{matter.id}/act/summary", data={
        "version": matter.version, "summary": "群众反映窗口办事刁难。", "assigned_title": OFFICE_TITLE})
    assert saved.status_code == 302
    session.expire_all()
    assert matter.assigned_title == OFFICE_TITLE
    _, changes = last_audit(session, "matter.summary_edited", matter)
    assert changes["assigned_title"] == ["", OFFICE_TITLE]


def test_assignment_slip_carries_the_assigned_title(app, session, office):
    from docx import Document

    matter = accepted_online(session, office)
    services.assign_matter(session, office.intake, matter, lead=office.department, assigned_title=OFFICE_TITLE)
    session.commit()
    supervisor = signed_in(app, office.supervisor)
    assignment = matter.assignments[0]
    supervisor.post(f"/matters/{matter.id}/assignments/{assignment.id}/slip")
    head = signed_in(app, office.head)
    page = head.get(f"/matters/{matter.id}")
    import re

    link = re.search(r'href="(/documents/\d+[^"]*)"', page.text).group(1)
    data = head.get(link).data
    text = "\n".join(c.text for t in Document(io.BytesIO(data)).tables for r in t.rows for c in r.cells)
    assert OFFICE_TITLE in text and CITIZEN_TITLE not in text and "13912345678" not in text


def test_migration_approves_office_titles_only_and_scrubs_sent_notices(app, session, office):
    """0013 on existing data: an office-registered title is approved; a portal or imported one is not,
    and the notices already sent to department heads lose it."""
    from sqlalchemy import update

    from supervision.models.matters import Matter, MatterEvent

    online = submit_online(session, office)
    registered = services.register_matter(session, office.intake, services.MatterInput(
        kind=MatterKind.COMPLAINT, channel=Channel.PHONE, title=OFFICE_TITLE, content="来电反映。",
        received_on=today_date()))
    imported = services.register_matter(session, office.intake, services.MatterInput(
        kind=MatterKind.COMPLAINT, channel=Channel.LETTER, title="李四来信13800001111", content="来信。",
        received_on=today_date()))
    session.add(MatterEvent(matter=imported, action="imported", text="自台账导入"))
    session.add_all([Notification(user_id=office.head.id, title=f"新交办：{online.serial} {CITIZEN_TITLE}",
                                  body=f"摘要：{CITIZEN_TITLE}", link=f"/matters/{online.id}"),
                     Notification(user_id=office.intake.id, title=f"待受理：{online.serial} {CITIZEN_TITLE}",
                                  link=f"/matters/{online.id}")])
    session.commit()
    ids = online.id, registered.id, imported.id
    # The state just after the column was added (every title unapproved), then the migration's data step.
    session.execute(update(Matter).values(assigned_title=""))
    migration("0013").approve_and_scrub(session.connection())
    session.commit()
    titles = dict(session.execute(select(Matter.id, Matter.assigned_title).where(Matter.id.in_(ids))).all())
    assert titles == {ids[0]: "", ids[1]: OFFICE_TITLE, ids[2]: ""}
    head_notice, intake_notice = session.scalars(select(Notification).order_by(Notification.id)).all()[-2:]
    assert CITIZEN_TITLE not in head_notice.title + head_notice.body
    assert permissions.PENDING_TITLE in head_notice.title
    assert CITIZEN_TITLE in intake_notice.title  # the office's own inbox keeps it



def migration(revision: str):
    """The module of one Alembic revision (its functions can be run on a test database)."""
    import importlib.util
    from pathlib import Path

    (script,) = (Path(__file__).parent.parent / "migrations" / "versions").glob(f"{revision}_*.py")
    spec = importlib.util.spec_from_file_location(f"migration_{revision}", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def import_in_progress(session, office, title: str):
    """A legacy ledger row handled by the test's lead department, still 办理中."""
    from datetime import date
    from openpyxl import Workbook

    from supervision.ledger_import import importing

    headers = [column.header for column in importing.COLUMNS]
    values = {"原编号": "2025-007", "类型": "效能投诉", "渠道": "来信", "受理日期": date(2025, 11, 5), "标题": title,
              "内容": "来信。", "摘要": "来信反映窗口办事拖拉。", "被反映单位": office.department.name,
              "反映人姓名": "王某", "联系电话": "13800002222", "是否匿名": "否", "主办单位": office.department.name,
              "交办日期": date(2025, 11, 6), "状态": "办理中"}
    workbook = Workbook()
    workbook.active.append(headers)
    workbook.active.append([values.get(h) for h in headers])
    buffer = io.BytesIO()
    workbook.save(buffer)
    parsed = importing.read_ledger(session, buffer.getvalue())
    assert not parsed.errors, parsed.errors
    importing.import_ledger(session, office.intake, parsed, file_name="旧台账.xlsx")
    session.commit()
    from supervision.models.matters import Matter

    return session.scalars(select(Matter).where(Matter.title == title)).one()


def test_an_imported_title_waits_for_intake_and_intake_is_told(app, session, office):
    matter = import_in_progress(session, office, "王某13800002222来信反映拖拉")
    head = signed_in(app, office.head)
    page = head.get(f"/matters/{matter.id}").text
    assert "13800002222" not in page and permissions.PENDING_TITLE in page
    intake = signed_in(app, office.intake)
    assert matter.serial in intake.get("/").text.split('id="todo-confirm_title"')[1]
    services.update_summary(session, office.intake, matter, matter.summary, matter.version, assigned_title=OFFICE_TITLE)
    session.commit()
    assert 'id="todo-confirm_title"' not in intake.get("/").text
    assert OFFICE_TITLE in head.get(f"/matters/{matter.id}").text
