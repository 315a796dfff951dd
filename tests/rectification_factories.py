"""Fixtures for the rectification tests. Every notice is driven to its state through the real services —
issue → sign → report → verify — so it has its number, document, timeline and audit rows. Loaded as a
pytest plugin (``pytest_plugins`` in conftest.py): tests ask for ``make_notice`` and ``paperwork`` by name.
"""

from __future__ import annotations

import io
from pathlib import Path

import docx
import pytest

from matters_factories import PDF_BYTES
from supervision.documents.services import office_profile
from supervision.models.rectification import RectificationNotice, RectificationSource
from supervision.rectification import services

PROBLEMS = ["窗口工作人员工作时间离岗，未放置暂停服务提示牌。", "办事指南未及时更新，群众需多次补交材料。",
            "意见簿长期无人回复。"]


@pytest.fixture
def paperwork(app) -> services.Paperwork:
    """Where the views put documents: instance/documents, with the app's office profile."""
    return services.Paperwork(office_profile(app.config), Path(app.instance_path) / "documents")


def notice_input(office, **fields) -> services.NoticeInput:
    values = dict(department=office.department, source=RectificationSource.UNDERCOVER, problems=list(PROBLEMS),
                  workdays=20, basis="《示范市机关效能建设监督检查办法》", requirements=["逐条制定整改措施。"],
                  consequence="逾期未整改的，予以全市通报批评。", contact_person="陈静", contact_phone="0571-87654322")
    values.update(fields)
    return services.NoticeInput(**values)


# The services' steps, in the order the procedure takes them.
def _sign(s, o, n, storage):
    services.sign_notice(s, o.head, n)


def _report_all(s, o, n, storage):
    for item in n.items:
        services.report_item(s, o.head, item, f"第 {item.position} 项已整改。", files=[("照片.pdf", PDF_BYTES)],
                             storage=storage)


def _close_first(s, o, n, storage):
    services.verify_item(s, o.supervisor, n.items[0], True)


def _send_back_second(s, o, n, storage):
    services.verify_item(s, o.supervisor, n.items[1], False, "未附整改照片，请补充。")


def _close_all(s, o, n, storage):
    for item in n.items:
        if item.status.value == "reported":
            services.verify_item(s, o.supervisor, item, True)


ROUTES = {
    "issued": [],
    "received": [_sign],
    "reported": [_sign, _report_all],
    "partly_closed": [_sign, _report_all, _close_first],
    "sent_back": [_sign, _report_all, _close_first, _send_back_second],
    "closed": [_sign, _report_all, _close_all],
}


@pytest.fixture
def make_notice(session, office, paperwork, storage):
    """``make_notice("reported", problems=[...])``: a notice to ``office.department`` driven there by the
    services. Keyword arguments go to NoticeInput."""

    def make(state: str = "issued", **fields) -> RectificationNotice:
        notice = services.issue_rectification_notice(session, office.supervisor, notice_input(office, **fields),
                                                     paperwork=paperwork)
        for step in ROUTES[state]:
            step(session, office, notice, storage)
        session.commit()
        return notice

    return make


def docx_text(data: bytes) -> str:
    document = docx.Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts += [cell.text for row in table.rows for cell in row.cells]
    return "\n".join(parts)
