"""Several application servers with no shared disk (SPEC §15, issue 17): two instances of the application,
each with its own instance folder, against one PostgreSQL database. A file uploaded through one is
downloaded through the other, a document generated on one is served by the other, and a ledger import
previewed on one is confirmed on the other."""

from __future__ import annotations

import os
from io import BytesIO
from pathlib import Path

import pytest
from sqlalchemy import func, select

from conftest import FormClient, _base_config
from matters_factories import PASSWORD, PDF_BYTES, make_matter, office, today  # noqa: F401
from supervision import create_app
from supervision.extensions import db
from supervision.models.documents import GeneratedDocument
from supervision.models.matters import Attachment, Matter
from test_ledgers_import import URL, ledger, row, run_jobs, token_of

pytestmark = pytest.mark.postgres_only


@pytest.fixture
def server_b(app, database_url, tmp_path):
    """A second server: the same database, an instance folder of its own (nothing shared on disk)."""
    instance = tmp_path / "server_b"
    instance.mkdir()
    os.environ["SUPERVISION_INSTANCE_PATH"] = str(instance)
    try:
        application = create_app(_base_config(database_url, instance))
    finally:
        os.environ.pop("SUPERVISION_INSTANCE_PATH", None)
    application.test_client_class = FormClient
    assert Path(application.instance_path) != Path(app.instance_path)
    yield application
    with application.app_context():
        db.engine.dispose()


def login(application, user):
    client = application.test_client()
    response = client.post("/login", data={"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, response.text
    return client


def files_on_disk(application) -> list[str]:
    root = Path(application.instance_path)
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()
                  and p.parts[len(root.parts)] in ("uploads", "documents", "imports", "task_imports"))


def test_a_file_uploaded_on_one_server_is_downloaded_on_the_other(app, server_b, session, office, make_matter, today):
    evidence = PDF_BYTES + b"%" + os.urandom(64 * 1024)
    on_a = login(app, office.intake)
    response = on_a.post("/matters/new/complaint", data={
        "channel": "phone", "received_on": today.isoformat(), "title": "窗口办事拖拉", "content": "来电反映。",
        "name": "张某某", "files": [(BytesIO(evidence), "现场照片.pdf")]}, content_type="multipart/form-data")
    assert response.status_code == 302, response.text
    attachment = session.scalars(select(Attachment)).one()
    matter_id, attachment_id = attachment.matter_id, attachment.id
    in_progress = make_matter("in_progress")
    slip = on_a.post(f"/matters/{in_progress.id}/assignments/{in_progress.lead_assignment.id}/slip")
    assert slip.status_code == 302 and "/documents/" in slip.location
    document = session.scalars(select(GeneratedDocument)).one()
    document_on_a = on_a.get(slip.location)
    assert document_on_a.status_code == 200

    with server_b.app_context():
        on_b = login(server_b, office.intake)
        on_b.post(f"/matters/{matter_id}/identity", data={"reason": "核对证据材料"})
        download = on_b.get(f"/matters/{matter_id}/files/{attachment_id}")
        assert download.status_code == 200 and download.data == evidence
        served = on_b.get(f"/documents/{document.id}")
        assert served.status_code == 200 and served.data == document_on_a.data
    assert files_on_disk(app) == [] and files_on_disk(server_b) == []  # neither server keeps them on its disk


def test_a_ledger_import_previewed_on_one_server_is_confirmed_on_the_other(app, server_b, session, office):
    rows = [row(**{"原编号": f"2025-{n:03d}", "标题": f"燃气开户窗口乱收费{n}"}) for n in range(1, 4)]
    preview = login(app, office.intake).post(URL, data={"file": (BytesIO(ledger(rows)), "2025年台账.xlsx")},
                                             content_type="multipart/form-data")
    assert preview.status_code == 200 and "确认导入" in preview.text
    token = token_of(preview)

    with server_b.app_context():
        on_b = login(server_b, office.intake)
        confirmed = on_b.post(f"{URL}/confirm", data={"token": token})
        assert confirmed.status_code == 302 and confirmed.location.endswith(f"{URL}/{token}"), confirmed.location
        run_jobs(server_b)  # server B's worker
        result = on_b.get(confirmed.location)
        assert result.status_code == 200 and "导入完成" in result.text and "已导入 <strong>3</strong> 件" in result.text
        again = on_b.post(f"{URL}/confirm", data={"token": token})  # a second click, on B: the same job
        assert again.location == confirmed.location
    session.expire_all()
    assert session.scalar(select(func.count(Matter.id))) == 3
    assert sorted(session.scalars(select(Matter.title))) == [f"燃气开户窗口乱收费{n}" for n in (1, 2, 3)]
