"""A citizen's own 被投诉单位 / 被投诉人员 never reach a department: departments read the text office staff
wrote or confirmed (docs/domain.md §14, issue 14 item 1, as for the title). Every place goes through
``permissions.visible_respondent`` (the template filter ``|shown_respondent``)."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date

from sqlalchemy import select, update

from matters_factories import last_audit, signed_in
from supervision import clock, permissions
from supervision.matters import services
from supervision.models.matters import Channel, Matter, MatterKind
from supervision.portal import services as portal

PHONE = "13912340000"
CITIZEN_UNIT = f"张三（{PHONE}）投诉的窗口单位"
CITIZEN_PERSON = f"我是张三{PHONE}，投诉窗口李某"
OFFICE_UNIT = "市市场监管局政务服务窗口"
OFFICE_PERSON = "窗口工作人员李某"
OFFICE_TITLE = "反映市场监管窗口办事刁难"


def submit_online(session, unit: str = CITIZEN_UNIT, person: str = CITIZEN_PERSON, department=None):
    return portal.submit_matter(session, portal.Submission(
        kind=MatterKind.COMPLAINT, title="窗口刁难", content="在窗口被刁难。", anonymous=False, name="张三",
        phone=PHONE, respondent_department=department, respondent_unit=unit, respondent_person=person))


def accepted_online(session, office, **kwargs):
    matter = submit_online(session, **kwargs)
    services.accept_matter(session, office.intake, matter)
    services.update_summary(session, office.intake, matter, "群众反映窗口办事刁难。", matter.version)
    session.commit()
    return matter


def assigned_online(session, office, **respondent):
    matter = accepted_online(session, office)
    services.assign_matter(session, office.intake, matter, lead=office.department, co_handling=[office.co_department],
                           assigned_title=OFFICE_TITLE, **respondent)
    session.commit()
    return matter


def xlsx_text(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return "".join(archive.read(name).decode("utf-8") for name in archive.namelist() if name.endswith(".xml"))


def test_a_citizens_text_is_not_approved_a_listed_name_and_office_text_are(session, office):
    typed = submit_online(session)
    listed = submit_online(session, unit="", person="", department=office.department)
    registered = services.register_matter(session, office.intake, services.MatterInput(
        kind=MatterKind.COMPLAINT, channel=Channel.PHONE, title="来电", content="来电反映。",
        received_on=clock.today(), respondent_unit=OFFICE_UNIT, respondent_person=OFFICE_PERSON))
    assert (typed.assigned_respondent_unit, typed.assigned_respondent_person) == (None, None)
    assert (listed.assigned_respondent_unit, listed.assigned_respondent_person) == (office.department.name, "")
    assert (registered.assigned_respondent_unit, registered.assigned_respondent_person) == (OFFICE_UNIT, OFFICE_PERSON)
    pending = permissions.PENDING_RESPONDENT
    assert permissions.visible_respondent(office.head, typed) == (pending, pending)
    assert permissions.visible_respondent(office.intake, typed) == (CITIZEN_UNIT, CITIZEN_PERSON)
    assert permissions.visible_respondent(office.head, listed) == (office.department.name, "")
    assert permissions.visible_respondent(office.head, registered) == (OFFICE_UNIT, OFFICE_PERSON)


def test_department_heads_read_the_confirmed_text_everywhere_and_the_office_the_citizens(app, session, office):
    matter = assigned_online(session, office, assigned_respondent_unit=OFFICE_UNIT,
                             assigned_respondent_person=OFFICE_PERSON)
    _, changes = last_audit(session, "matter.assign", matter)
    assert changes["assigned_respondent_unit"] == [None, OFFICE_UNIT]
    assert changes["assigned_respondent_person"] == [None, OFFICE_PERSON]
    for head in (office.head, office.co_head):
        client = signed_in(app, head)
        pages = {url: client.get(url) for url in ("/", "/matters/", f"/matters/{matter.id}", "/inbox/",
                                                    f"/matters/?q={matter.serial}")}
        assert all(p.status_code == 200 for p in pages.values())
        assert [url for url, p in pages.items() if PHONE in p.text or "张三" in p.text] == []
        assert OFFICE_UNIT in pages[f"/matters/{matter.id}"].text and OFFICE_PERSON in pages[f"/matters/{matter.id}"].text
        assert OFFICE_UNIT in pages["/matters/"].text
        for ledger in ("/ledgers/matters.xlsx", "/ledgers/assignments.xlsx"):
            text = xlsx_text(client.get(ledger).data)
            assert PHONE not in text and "张三" not in text
        assert OFFICE_PERSON in xlsx_text(client.get("/ledgers/matters.xlsx").data)
        # The LIKE keyword filter does not answer from the citizen's text either (no oracle).
        assert matter.serial not in client.get("/matters/?q=" + PHONE).text
        assert matter.serial not in client.get("/matters/?q=投诉窗口李某").text
        assert matter.serial in client.get("/matters/?q=窗口工作人员李某").text
    # The office keeps what the citizen wrote, and sees what the departments were given.
    intake = signed_in(app, office.intake)
    page = intake.get(f"/matters/{matter.id}").text
    assert CITIZEN_UNIT in page and CITIZEN_PERSON in page and OFFICE_UNIT in page and OFFICE_PERSON in page
    assert matter.serial in intake.get("/matters/?q=" + PHONE).text
    office_ledger = xlsx_text(intake.get("/ledgers/matters.xlsx").data)
    assert CITIZEN_PERSON in office_ledger and OFFICE_PERSON in office_ledger


def test_unconfirmed_text_reads_pending_and_intake_is_told(app, session, office):
    matter = assigned_online(session, office)  # a service call that did not confirm them
    head = signed_in(app, office.head)
    page = head.get(f"/matters/{matter.id}").text
    assert PHONE not in page and permissions.PENDING_RESPONDENT in page
    intake = signed_in(app, office.intake)
    assert matter.serial in intake.get("/").text.split('id="todo-confirm_title"')[1]
    services.update_summary(session, office.intake, matter, matter.summary, matter.version,
                            assigned_respondent_unit=OFFICE_UNIT, assigned_respondent_person="")
    session.commit()
    _, changes = last_audit(session, "matter.summary_edited", matter)
    assert changes == {"assigned_respondent_unit": [None, OFFICE_UNIT], "assigned_respondent_person": [None, ""]}
    assert 'id="todo-confirm_title"' not in intake.get("/").text
    page = head.get(f"/matters/{matter.id}").text
    assert OFFICE_UNIT in page and permissions.PENDING_RESPONDENT not in page


def test_the_assign_form_offers_the_citizens_text_for_intake_to_rewrite(app, session, office):
    matter = accepted_online(session, office)
    intake = signed_in(app, office.intake)
    page = intake.get(f"/matters/{matter.id}").text
    assign_form = page[page.index(f'/matters/{matter.id}/act/assign'):]
    assert re.search(r'name="assigned_respondent_person"[^>]*value="' + re.escape(CITIZEN_PERSON), assign_form)
    done = intake.post(f"/matters/{matter.id}/act/assign", data={
        "version": matter.version, "lead_id": office.department.id, "assigned_title": OFFICE_TITLE,
        "assigned_respondent_unit": OFFICE_UNIT, "assigned_respondent_person": ""})
    assert done.status_code == 302, done.text
    session.expire_all()
    assert (matter.assigned_respondent_unit, matter.assigned_respondent_person) == (OFFICE_UNIT, "")
    too_long = intake.post(f"/matters/{matter.id}/act/summary", data={
        "version": matter.version, "summary": matter.summary, "assigned_title": OFFICE_TITLE,
        "assigned_respondent_unit": OFFICE_UNIT, "assigned_respondent_person": "李" * 61})
    assert too_long.status_code == 400 and "60" in too_long.text


def test_the_assignment_slip_carries_the_confirmed_text(app, session, office):
    from docx import Document

    matter = assigned_online(session, office, assigned_respondent_unit=OFFICE_UNIT,
                             assigned_respondent_person=OFFICE_PERSON)
    signed_in(app, office.supervisor).post(f"/matters/{matter.id}/assignments/{matter.assignments[0].id}/slip")
    head = signed_in(app, office.head)
    link = re.search(r'href="(/documents/\d+[^"]*)"', head.get(f"/matters/{matter.id}").text).group(1)
    document = Document(io.BytesIO(head.get(link).data))
    text = "\n".join(c.text for t in document.tables for r in t.rows for c in r.cells)
    assert f"{OFFICE_UNIT}／{OFFICE_PERSON}" in text and PHONE not in text and "张三" not in text


def test_a_ledger_imports_free_text_waits_for_intake_a_listed_unit_does_not(app, session, office):
    from openpyxl import Workbook

    from supervision.ledger_import import importing

    headers = [column.header for column in importing.COLUMNS]
    rows = []
    for number, unit, person in (("2025-1", f"王某{PHONE}反映的单位", "王某说的李四"), ("2025-2", office.department.name, "")):
        values = {"原编号": number, "类型": "效能投诉", "渠道": "来信", "受理日期": date(2025, 11, 5), "标题": f"来信{number}",
                  "内容": "来信。", "摘要": "来信反映窗口办事拖拉。", "被反映单位": unit, "被反映人": person,
                  "是否匿名": "是", "主办单位": office.department.name, "交办日期": date(2025, 11, 6), "状态": "办理中"}
        rows.append([values.get(h) for h in headers])
    workbook = Workbook()
    workbook.active.append(headers)
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    parsed = importing.read_ledger(session, buffer.getvalue())
    assert not parsed.errors, parsed.errors
    importing.import_ledger(session, office.intake, parsed, file_name="旧台账.xlsx")
    session.commit()
    typed, listed = session.scalars(select(Matter).where(Matter.original_number.in_(["2025-1", "2025-2"]))
                                    .order_by(Matter.original_number)).all()
    assert (typed.assigned_respondent_unit, typed.assigned_respondent_person) == (None, None)
    assert (listed.assigned_respondent_unit, listed.assigned_respondent_person) == (office.department.name, "")
    page = signed_in(app, office.head).get(f"/matters/{typed.id}").text
    assert PHONE not in page and "李四" not in page and permissions.PENDING_RESPONDENT in page


def test_migration_approves_office_text_and_listed_names_only(app, session, office):
    """0032 on existing data: nobody confirmed a citizen's text, even on a matter already assigned."""
    from supervision.models.matters import MatterEvent
    from test_trust_titles import migration

    assigned = assigned_online(session, office, assigned_respondent_unit=OFFICE_UNIT)
    listed = submit_online(session, unit="", person="", department=office.department)
    registered = services.register_matter(session, office.intake, services.MatterInput(
        kind=MatterKind.COMPLAINT, channel=Channel.PHONE, title="来电", content="来电反映。",
        received_on=clock.today(), respondent_unit=OFFICE_UNIT, respondent_person=OFFICE_PERSON))
    imported = services.register_matter(session, office.intake, services.MatterInput(
        kind=MatterKind.COMPLAINT, channel=Channel.LETTER, title="来信", content="来信。", received_on=clock.today(),
        respondent_unit=CITIZEN_UNIT, respondent_department=office.department))
    session.add(MatterEvent(matter=imported, action="imported", text="自台账导入"))
    session.commit()
    ids = assigned.id, listed.id, registered.id, imported.id
    session.execute(update(Matter).values(assigned_respondent_unit=None, assigned_respondent_person=None))
    migration("0032").approve(session.connection())
    session.commit()
    approved = {i: (u, p) for i, u, p in session.execute(
        select(Matter.id, Matter.assigned_respondent_unit, Matter.assigned_respondent_person).where(Matter.id.in_(ids)))}
    assert approved == {ids[0]: (None, None), ids[1]: (office.department.name, ""),
                        ids[2]: (OFFICE_UNIT, OFFICE_PERSON), ids[3]: (None, "")}
    # A department reads the respondent department's name where it has one, never the typed text.
    imported = session.get(Matter, ids[3])
    assert permissions.visible_respondent(office.head, imported) == (office.department.name, "")


def test_a_correction_intake_types_is_the_offices_own_text(session, office):
    """更正登记信息 before 交办: what intake types into 被反映单位/人员 there is approved as written."""
    matter = accepted_online(session, office)
    services.correct_registration(session, office.intake, matter, services.RegistrationInput(
        title=matter.title, channel=matter.channel, received_on=matter.received_on, respondent_unit=OFFICE_UNIT,
        respondent_person=CITIZEN_PERSON), "被投诉单位名称写错")
    session.commit()
    assert (matter.assigned_respondent_unit, matter.assigned_respondent_person) == (OFFICE_UNIT, None)
    _, changes = last_audit(session, "matter.registration_corrected", matter)
    assert changes["assigned_respondent_unit"] == [None, OFFICE_UNIT]
