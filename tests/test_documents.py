"""The register of generated documents and the assignment slip (交办单) of a matter."""

from __future__ import annotations

import io
import re

import docx
from sqlalchemy import select

from matters_factories import signed_in
from supervision.models.audit import AuditEntry
from supervision.models.documents import GeneratedDocument

NAME, PHONE, CONTENT = "举报人甲乙丙", "13912345678", "原始反映内容标记XYZ"


def _text_of(data: bytes) -> str:
    document = docx.Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts += [cell.text for row in table.rows for cell in row.cells]
    return "\n".join(parts)


def _slip(client, matter):
    assignment = matter.lead_assignment
    response = client.post(f"/matters/{matter.id}/assignments/{assignment.id}/slip")
    assert response.status_code == 302, response.text
    return client.get(response.location)


def test_assignment_slip_carries_the_summary_and_never_the_complainant(app, make_matter, office):
    from supervision.matters.services import IdentityInput

    matter = make_matter("in_progress", content=CONTENT, summary="群众反映窗口办事拖拉。",
                         identity=IdentityInput(name=NAME, phone=PHONE, id_number="110101199001011234",
                                                address="幸福路1号", work_unit="某某公司"))
    download = _slip(signed_in(app, office.intake), matter)
    assert download.status_code == 200
    assert "attachment" in download.headers["Content-Disposition"]
    text = _text_of(download.data)
    assert matter.serial in text and "群众反映窗口办事拖拉" in text and office.department.name in text
    for marker in (NAME, PHONE, "110101199001011234", "幸福路1号", "某某公司", CONTENT):
        assert marker not in text
    assert re.search(r"效交〔\d{4}〕[1-9]\d*号", text)


def test_regenerating_keeps_the_number_and_adds_a_revision(app, session, make_matter, office):
    matter = make_matter("assigned")
    client = signed_in(app, office.intake)
    _slip(client, matter)
    _slip(client, matter)
    rows = session.scalars(select(GeneratedDocument).order_by(GeneratedDocument.id)).all()
    assert [r.revision for r in rows] == [1, 2]
    assert rows[0].number == rows[1].number != ""
    assert session.scalar(select(AuditEntry).where(AuditEntry.action == "document.generated")) is not None


def test_each_slip_gets_the_next_number(app, session, make_matter, office):
    client = signed_in(app, office.intake)
    first, second = make_matter("assigned"), make_matter("assigned")
    _slip(client, first)
    _slip(client, second)
    numbers = session.scalars(select(GeneratedDocument.number).order_by(GeneratedDocument.id)).all()
    seqs = [int(n.split("〕")[1].rstrip("号")) for n in numbers]
    assert seqs[1] == seqs[0] + 1


def test_department_head_downloads_only_their_own_departments_slip(app, session, make_matter, office):
    matter = make_matter("assigned")
    _slip(signed_in(app, office.intake), matter)
    document = session.scalar(select(GeneratedDocument))
    assert signed_in(app, office.head).get(f"/documents/{document.id}").status_code == 200
    assert signed_in(app, office.other_head).get(f"/documents/{document.id}").status_code == 404
    assert signed_in(app, office.admin).get(f"/documents/{document.id}").status_code == 403


def test_department_head_cannot_generate_documents(app, make_matter, office):
    matter = make_matter("in_progress")
    client = signed_in(app, office.head)
    response = client.post(f"/matters/{matter.id}/assignments/{matter.lead_assignment.id}/slip")
    assert response.status_code == 403


def test_document_register_lists_generated_documents_for_office_staff(app, make_matter, office):
    matter = make_matter("assigned")
    _slip(signed_in(app, office.intake), matter)
    page = signed_in(app, office.supervisor).get("/documents/?type=assignment_slip")
    assert page.status_code == 200 and "交办单" in page.text and "效交〔" in page.text
    assert signed_in(app, office.head).get("/documents/").status_code == 403


def test_talk_records_in_the_register_are_for_supervisors_and_leaders_only(app, session, office):
    from pathlib import Path

    from supervision.documents import services as documents
    from supervision.demo.paperwork import sample_talk_record

    record = documents.generate(session, office.supervisor, doc_type="talk_record", subject=("talk", 1),
                                build_data=lambda number: sample_talk_record(),
                                profile=documents.office_profile(app.config),
                                folder=Path(app.instance_path) / "documents")
    session.commit()
    for user, expected in ((office.supervisor, 200), (office.leader, 200), (office.intake, 404),
                           (office.head, 404)):
        assert signed_in(app, user).get(f"/documents/{record.id}").status_code == expected, user.role
    assert ">诫勉谈话记录</td>" not in signed_in(app, office.intake).get("/documents/").text
    assert ">诫勉谈话记录</td>" in signed_in(app, office.supervisor).get("/documents/").text
