"""The complainant's own words and files are identity too (docs/domain.md §14, issue 14 item 6), and the smaller
leaks of item 9: no-store on what can show identity, reply files follow the reply's visibility, a talk's
事由 never names a linked matter's complainant."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from matters_factories import PDF_BYTES, audit_entries, last_audit, signed_in
from supervision.errors import ValidationError
from supervision.matters import services
from supervision.models.audit import AuditEntry
from supervision.models.matters import Attachment
from talks_factories import talk_input
from supervision.talks import services as talks

NAME, PHONE = "钱多多", "13955556666"
CONTENT = "原话标记：我是钱多多，窗口的人当面要好处费。"
OFFICE_ROLES = ("intake", "supervisor", "leader")


def complaint(make_matter, status="assigned", **fields):
    return make_matter(status, content=CONTENT, identity=services.IdentityInput(name=NAME, phone=PHONE), **fields)


@pytest.mark.parametrize("role", OFFICE_ROLES)
def test_original_words_need_a_reason_for_every_office_role(app, session, office, make_matter, role):
    matter = complaint(make_matter)
    client = signed_in(app, getattr(office, role))
    page = client.get(f"/matters/{matter.id}").text
    assert CONTENT not in page and NAME not in page and "查看反映人信息及原文" in page
    assert audit_entries(session, "identity.viewed") == []
    client.post(f"/matters/{matter.id}/identity", data={"reason": "核实反映内容"})
    page = client.get(f"/matters/{matter.id}").text
    assert CONTENT in page and NAME in page
    entry, changes = last_audit(session, "identity.viewed", matter)
    assert entry.actor_id == getattr(office, role).id and changes == {"reason": "核实反映内容"}


def test_anonymous_complaint_words_are_gated_too(app, session, office, make_matter):
    matter = make_matter("registered", content=CONTENT, anonymous=True)
    leader = signed_in(app, office.leader)
    assert CONTENT not in leader.get(f"/matters/{matter.id}").text
    leader.post(f"/matters/{matter.id}/identity", data={"reason": "阅处"})
    assert CONTENT in leader.get(f"/matters/{matter.id}").text


@pytest.mark.parametrize("role", OFFICE_ROLES)
def test_evidence_download_needs_the_reason_and_is_audited(app, session, office, make_matter, storage, role):
    matter = complaint(make_matter, "registered")
    (evidence,) = services.attach_files(session, office.intake, matter, [(f"{NAME}的录音.pdf", PDF_BYTES)], storage)
    session.commit()
    client = signed_in(app, getattr(office, role))
    assert f"{NAME}的录音" not in client.get(f"/matters/{matter.id}").text
    refused = client.get(f"/matters/{matter.id}/files/{evidence.id}")
    assert refused.status_code == 302 and refused.headers["Location"].endswith("#identity")
    assert audit_entries(session, "evidence.downloaded") == []
    client.post(f"/matters/{matter.id}/identity", data={"reason": "核对录音"})
    download = client.get(f"/matters/{matter.id}/files/{evidence.id}")
    assert download.status_code == 200 and download.data == PDF_BYTES
    entry, changes = last_audit(session, "evidence.downloaded", matter)
    assert entry.actor_id == getattr(office, role).id and changes == {"reason": "核对录音", "attachment": evidence.id}
    assert NAME not in entry.summary


def test_a_keyword_search_matching_identity_is_audited(app, session, office, make_matter):
    matter = complaint(make_matter, "registered")
    other = make_matter("registered", title="别的事项")
    intake = signed_in(app, office.intake)
    assert matter.serial in intake.get("/matters/", query_string={"q": PHONE}).text
    entry, changes = last_audit(session, "identity.searched")
    assert entry.actor_id == office.intake.id and changes == {"matters": [matter.serial]}
    assert PHONE not in entry.summary + entry.changes  # the words searched are identity themselves
    before = len(audit_entries(session, "identity.searched"))
    assert other.serial in intake.get("/matters/", query_string={"q": "别的事项"}).text
    assert len(audit_entries(session, "identity.searched")) == before  # nothing identity matched


def test_a_full_text_search_matching_identity_is_audited(app, session, office, make_matter):
    from supervision.search import service

    app.config["SEARCH_ENABLED"] = True
    matter = complaint(make_matter, "registered")
    service.rebuild()
    page = signed_in(app, office.supervisor).get("/search/", query_string={"q": NAME})
    assert matter.serial in page.text
    entry, changes = last_audit(session, "identity.searched")
    assert entry.actor_id == office.supervisor.id and changes == {"matters": [matter.serial]}
    assert "全文检索" in entry.summary


def test_pages_and_downloads_that_can_show_identity_are_not_stored(app, session, office, make_matter, storage):
    matter = complaint(make_matter, "registered")
    (evidence,) = services.attach_files(session, office.intake, matter, [("材料.pdf", PDF_BYTES)], storage)
    session.commit()
    intake = signed_in(app, office.intake)
    intake.post(f"/matters/{matter.id}/identity", data={"reason": "核对"})
    for url in ("/", "/matters/", f"/matters/{matter.id}", f"/matters/{matter.id}/files/{evidence.id}",
                "/ledgers/matters.xlsx", "/inbox/"):
        response = intake.get(url)
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == "no-store", url
    assert "no-store" not in app.test_client().get("/static/css/app.css").headers.get("Cache-Control", "")


def test_co_handling_department_cannot_download_the_lead_reply_file(app, session, office, make_matter, storage):
    matter = make_matter("in_progress", co_handling=True)
    reply = services.submit_reply(session, office.head, matter.lead_assignment, "主办单位内部核查报告", "已整改",
                                  files=[("主办核查报告.pdf", PDF_BYTES)], storage=storage)
    session.commit()
    (attachment,) = [a for a in session.scalars(select(Attachment)) if a.reply_id == reply.id]
    url = f"/matters/{matter.id}/files/{attachment.id}"
    co_head = signed_in(app, office.co_head)
    assert url not in co_head.get(f"/matters/{matter.id}").text
    assert co_head.get(url).status_code == 404
    head = signed_in(app, office.head)
    assert url in head.get(f"/matters/{matter.id}").text and head.get(url).status_code == 200
    assert signed_in(app, office.supervisor).get(url).status_code == 200  # a reply's file is not evidence


@pytest.mark.parametrize("text", [f"{NAME}反映周建华索要好处费", "来电人（139-5555-6666）反映周建华索要好处费"])
def test_an_admonition_reason_naming_the_complainant_is_refused(session, office, make_matter, text):
    matter = complaint(make_matter)
    with pytest.raises(ValidationError, match="反映人"):
        talks.propose_talk(session, office.supervisor, talk_input(office, reason=text, matters=[matter]))
    session.rollback()
    talk = talks.propose_talk(session, office.supervisor, talk_input(office, reason="对窗口工作人员教育管理不力",
                                                                    matters=[matter]))
    assert talk.id is not None
    assert session.scalar(select(AuditEntry.id).where(AuditEntry.action == "talk.proposed")) is not None
