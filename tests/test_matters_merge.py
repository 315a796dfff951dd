"""并入此件 (issue 18 item 8): the possible duplicate listed on a matter's page is merged in one click —
the duplicate ends as 存查 (not deleted), both are linked, its evidence is carried over to the original
naming the same stored file (no second copy), audited, and the citizen's page of the duplicate says
where it went without naming another citizen's matter."""

from __future__ import annotations

import json
import re
from html import unescape

import pytest
from sqlalchemy import select

from matters_factories import PDF_BYTES, audit_entries, matter_input, signed_in
from supervision.errors import ValidationError
from supervision.matters import services
from supervision.models.files import FileContent
from supervision.models.matters import Attachment, MatterStatus


@pytest.fixture
def pair(session, office, storage):
    """An original and a later duplicate of it (same phone), the duplicate with an evidence file."""
    original = services.register_matter(session, office.intake, matter_input(title="窗口办事拖拉"))
    services.accept_matter(session, office.intake, original)
    duplicate = services.register_matter(session, office.intake, matter_input(title="再次来电反映补材料"),
                                         files=[("现场照片.pdf", PDF_BYTES)], storage=storage)
    session.commit()
    return original, duplicate


def test_intake_merges_the_listed_duplicate_and_its_evidence_follows(app, session, office, storage, pair):
    original, duplicate = pair
    intake = signed_in(app, office.intake)
    page = intake.get(f"/matters/{duplicate.id}").text
    form = re.search(r'<form[^>]*act/merge"[^>]*>.*?</form>', page, re.S).group(0)
    assert f'name="original_id" value="{original.id}"' in form and "并入此件" in form
    assert "data-confirm=" in form and "不能撤回" in unescape(form)
    files_before = session.scalars(select(FileContent.sha256).order_by(FileContent.sha256)).all()

    response = intake.post(f"/matters/{duplicate.id}/act/merge",
                           data={"version": duplicate.version, "original_id": original.id})
    assert response.status_code == 302
    assert "已并入原件" in intake.get(response.location).text

    session.expire_all()
    assert duplicate.status == MatterStatus.FILED and duplicate.duplicate_of_id == original.id
    [mine] = session.scalars(select(Attachment).where(Attachment.matter_id == duplicate.id)).all()
    [carried] = session.scalars(select(Attachment).where(Attachment.matter_id == original.id)).all()
    assert carried.stored_name == mine.stored_name and carried.carried_from_id == mine.id and carried.is_evidence
    assert session.scalars(select(FileContent.sha256).order_by(FileContent.sha256)).all() == files_before  # no copy
    [entry] = audit_entries(session, "matter.evidence_carried", original)
    assert json.loads(entry.changes)["from"] == duplicate.serial
    assert audit_entries(session, "matter.file_duplicate", duplicate)

    original_page = intake.get(f"/matters/{original.id}").text
    assert "并入本件的重复件" in original_page and duplicate.serial in original_page
    assert f"来自重复件 {duplicate.serial}" in original_page
    assert f"收到重复件 {duplicate.serial}，并入本件办理，转入证据材料 1 份" in original_page


def test_the_carried_evidence_is_behind_the_original_s_identity_gate(app, session, office, pair):
    original, duplicate = pair
    services.file_as_duplicate(session, office.intake, duplicate, original)
    session.commit()
    [carried] = session.scalars(select(Attachment).where(Attachment.matter_id == original.id)).all()
    intake = signed_in(app, office.intake)
    assert intake.get(f"/matters/{original.id}/files/{carried.id}").status_code == 302  # a reason first
    intake.post(f"/matters/{original.id}/identity", data={"reason": "核实重复件"})
    response = intake.get(f"/matters/{original.id}/files/{carried.id}")
    assert response.status_code == 200 and response.data == PDF_BYTES


def test_merging_into_a_duplicate_points_at_its_original(session, office, pair, make_matter):
    original, duplicate = pair
    services.file_as_duplicate(session, office.intake, duplicate, original)
    third = make_matter("registered")
    with pytest.raises(ValidationError, match=f"请并入 {original.serial}"):
        services.file_as_duplicate(session, office.intake, third, duplicate)


def test_the_citizen_of_the_duplicate_is_told_where_it_went(app, client, session, office, pair):
    original, duplicate = pair
    services.file_as_duplicate(session, office.intake, duplicate, original)
    session.commit()
    client.post("/public/track", data={"serial": duplicate.serial, "query_code": duplicate.query_code})
    page = client.get("/public/track/result").text
    assert "已合并办理" in page and "已并入本中心受理的同一问题的另一件事项合并办理，该事项目前：<strong>已受理</strong>" in page
    assert original.serial not in page and original.title not in page
