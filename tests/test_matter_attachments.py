"""Files on a matter's page (issue 18, item 6): a department sees its own uploads by name, with a readable
size and the report they came with; the complainant's evidence never reaches it."""

from __future__ import annotations

from matters_factories import PDF_BYTES, matter_input, signed_in
from supervision.matters import services
from supervision.web import human_size

BIG = PDF_BYTES + b"%" * (12_600 - len(PDF_BYTES))


def test_human_size():
    assert human_size(0) == "0 B"
    assert human_size(58) == "58 B"
    assert human_size(12_600) == "12.3 KB"
    assert human_size(3 * 1024 * 1024 + 200_000) == "3.2 MB"


def test_a_department_sees_its_files_by_name_size_and_report(app, session, office, storage):
    matter = services.register_matter(session, office.intake, matter_input(), storage=storage,
                                      files=[("张某某身份证.pdf", PDF_BYTES)])
    services.accept_matter(session, office.intake, matter)
    services.assign_matter(session, office.intake, matter, lead=office.department)
    services.sign_assignment(session, office.head, matter.lead_assignment)
    services.submit_reply(session, office.head, matter.lead_assignment, "已整改。", "已整改，感谢监督。",
                          files=[("整改前后照片.pdf", BIG), ("处理决定.pdf", PDF_BYTES)], storage=storage)
    session.commit()
    page = signed_in(app, office.head).get(f"/matters/{matter.id}").text
    assert "整改前后照片.pdf" in page and "处理决定.pdf" in page
    assert "12.3 KB" in page and f"{len(PDF_BYTES)} B" in page
    assert "0.0 KB" not in page and "附件" + str(matter.id) not in page
    reply_part = page[page.index("办理结果"):]
    assert "整改前后照片.pdf" in reply_part  # listed with the report it came with
    assert "随办结报告" in page
    # The complainant's evidence: neither its name nor a trace of it.
    assert "张某某身份证" not in page and "证据材料" not in page
    office_page = signed_in(app, office.supervisor).get(f"/matters/{matter.id}").text
    assert "整改前后照片.pdf" in office_page and "证据材料" in office_page
    assert "张某某身份证" not in office_page  # behind the identity gate until a reason is given
