"""Issue 14, "Done when": in the demo office, a marker planted in every field a citizen wrote (title,
content, name, phone, file names, 被投诉单位 and 被投诉人员 typed on the portal, a ledger import's title,
被反映单位 and 被反映人) is never found by any department user —
not on a page reached from the home page and the menus, not in a download (.docx and .xlsx opened),
not in search results for the marker, not in the inbox nor in a recorded delivery."""

from __future__ import annotations

import io
import re
import zipfile
from collections import deque
from datetime import date
from html import unescape
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest
from openpyxl import Workbook
from sqlalchemy import select

from supervision import clock, demo
from supervision.demo import DEMO_PASSWORD
from supervision.escalation import services as escalation
from supervision.ledger_import import importing
from supervision.matters import services
from supervision.models.escalation import Delivery, Notification
from supervision.models.matters import Matter, MatterKind
from supervision.models.org import Department, Role, User
from supervision.models.talks import TalkKind
from supervision.paperwork.data import SupervisionLevel
from supervision.portal import services as portal
from supervision.search import service as search
from supervision.talks import services as talks
from supervision.uploads import Storage

TITLE = "标题暗记QXA窗口刁难"
CONTENT = "原文暗记QXB：窗口人员当面索要好处费"
NAME = "暗记人QXC"
PHONE = "13766661234"
FILE = "文件暗记QXD.pdf"
IMPORT_TITLE = "导入暗记QXE拖拉"
IMPORT_NAME = "导入人QXF"
IMPORT_PHONE = "13766665678"
# A citizen who types their own name and phone into the free-text 被投诉单位 / 被投诉人员 boxes.
UNIT = "单位暗记QXG"
UNIT_PHONE = "13766660001"
PERSON = "被投诉人暗记QXH"
IMPORT_UNIT = "导入单位暗记QXI"
IMPORT_PERSON = "导入人员暗记QXJ"
MARKERS = [TITLE, CONTENT, NAME, PHONE, FILE, IMPORT_TITLE, IMPORT_NAME, IMPORT_PHONE, UNIT, UNIT_PHONE, PERSON,
           IMPORT_UNIT, IMPORT_PERSON, "暗记"]
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
MAX_PAGES = 600


def plant(session, app) -> list[Matter]:
    """Demo-like matters carrying the markers, assigned to departments and worked on there."""
    storage = Storage(Path(app.instance_path) / "uploads", app.config["UPLOAD_MAX_BYTES"])
    users = {u.username: u for u in session.scalars(select(User))}
    intake, supervisor, leader = users["intake"], users["supervisor"], users["leader"]
    s01, s02 = (session.scalar(select(Department).where(Department.code == c)) for c in ("S01", "S02"))
    planted = []
    # Each department leads one and co-handles the other. The first is assigned as a service call without
    # the 被投诉单位/人员 confirmed (departments read 待确认); on the second intake rewrites them.
    confirmed = ({}, {"assigned_respondent_unit": "某窗口服务单位", "assigned_respondent_person": "窗口工作人员"})
    for (lead, co), respondent in zip(((s02, s01), (s01, s02)), confirmed):
        matter = portal.submit_matter(session, portal.Submission(
            kind=MatterKind.COMPLAINT, title=TITLE, content=CONTENT, anonymous=False, name=NAME, phone=PHONE,
            respondent_department=lead, respondent_unit=f"{UNIT}（投诉人{NAME}，电话{UNIT_PHONE}）",
            respondent_person=f"{PERSON}（我是{NAME} {UNIT_PHONE}）"), files=[(FILE, PDF)], storage=storage)
        services.accept_matter(session, intake, matter)
        services.update_summary(session, intake, matter, "群众反映窗口办事刁难，要求核实处理。", matter.version)
        services.assign_matter(session, intake, matter, lead=lead, co_handling=[co], requirements="请核实并答复。",
                               assigned_title="反映窗口办事刁难", avoidance_reason="仅作测试", **respondent)
        planted.append(matter)
    # One registered by intake from a phone call: the title is intake's, the rest the citizen's.
    by_phone = services.register_matter(session, intake, services.MatterInput(
        kind=MatterKind.COMPLAINT, channel=services.Channel.PHONE, title="来电反映窗口刁难", content=CONTENT,
        received_on=clock.today(), summary="来电反映窗口刁难。", respondent_department=s01,
        identity=services.IdentityInput(name=NAME, phone=PHONE, address=f"{NAME}家")),
        files=[(FILE, PDF)], storage=storage)
    services.accept_matter(session, intake, by_phone)
    services.assign_matter(session, intake, by_phone, lead=s02, co_handling=[s01], avoidance_reason="测试")
    planted.append(by_phone)
    session.commit()
    heads = {u.department_id: u for u in users.values() if u.role == Role.DEPT_HEAD}
    first = planted[0]
    lead = first.lead_assignment
    services.sign_assignment(session, heads[lead.department_id], lead)
    services.submit_reply(session, heads[lead.department_id], lead, "已核实。", "已处理，感谢监督。",
                          files=[("核查报告.pdf", PDF)], storage=storage)
    for assignment in planted[1].assignments:
        services.sign_assignment(session, heads[assignment.department_id], assignment)
    escalation.urge_by_hand(session, supervisor, planted[1].lead_assignment, SupervisionLevel.phone, "请抓紧办理。",
                            channels=("log", "email", "sms"))
    second = planted[1].lead_assignment
    services.submit_reply(session, heads[second.department_id], second, "已核实。", "已处理，感谢监督。",
                          files=[("核查报告.pdf", PDF)], storage=storage)
    inquiry = talks.propose_talk(session, supervisor, talks.TalkInput(
        kind=TalkKind.INQUIRY, subject_name="周建华", reason="对窗口工作人员教育管理不力", subject_department=s02,
        matters=[first]))
    talks.approve_talk(session, leader, inquiry, "同意。")
    session.commit()
    _import(session, intake, s02)
    return planted


def _import(session, intake, department) -> None:
    headers = [column.header for column in importing.COLUMNS]
    values = {"原编号": "2025-099", "类型": "效能投诉", "渠道": "来信", "受理日期": date(2025, 11, 5),
              "标题": IMPORT_TITLE, "内容": CONTENT, "摘要": "来信反映窗口办事拖拉。", "被反映单位": IMPORT_UNIT,
              "被反映人": f"{IMPORT_PERSON}{IMPORT_PHONE}",
              "反映人姓名": IMPORT_NAME, "联系电话": IMPORT_PHONE, "是否匿名": "否", "主办单位": department.name,
              "交办日期": date(2025, 11, 6), "状态": "办理中"}
    wb = Workbook()
    wb.active.append(headers)
    wb.active.append([values.get(h) for h in headers])
    buffer = io.BytesIO()
    wb.save(buffer)
    parsed = importing.read_ledger(session, buffer.getvalue())
    assert not parsed.errors and len(parsed.rows) == 1, parsed.errors
    importing.import_ledger(session, intake, parsed, file_name="旧台账.xlsx")
    session.commit()


# --- reading what a response shows --------------------------------------------------------------------
def shown_text(response) -> str:
    """Everything a response shows: an HTML page, the text of a .docx/.xlsx, a file's bytes, its headers."""
    data = response.get_data()
    if data[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            body = "".join(unescape(archive.read(n).decode("utf-8", "replace")) for n in archive.namelist()
                           if n.endswith(".xml"))
    else:
        body = data.decode("utf-8", "replace")
    return body + "\n" + unquote(str(response.headers))


def without_echo(text: str, query: str) -> str:
    """A search page repeats what was typed (the box, links keeping the filters, "没有找到与…"): that is
    the user's own input, not a leak. Only that is removed."""
    text = re.sub(r'<input[^>]*name="q"[^>]*>', "", text)
    text = re.sub(r'([?&](?:amp;)?)q=[^"&\s]*', r"\1", text)
    return text.replace(f"“{query}”", "“”")


def links_of(html: str, base: str) -> list[str]:
    found = []
    for href in re.findall(r'href="([^"#]+)', html):
        url = urljoin(base, unescape(href))
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost") or not parts.path.startswith("/"):
            continue
        if parts.path.startswith(("/static/", "/public/")) or "logout" in parts.path:
            continue
        found.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return found


def crawl(client) -> dict[str, str]:
    """Every same-site page a link leads to from the home page (GET only: nothing is changed)."""
    seen: dict[str, str] = {}
    queue = deque(["/"])
    while queue and len(seen) < MAX_PAGES:
        url = queue.popleft()
        if url in seen:
            continue
        response = client.get(url)
        seen[url] = shown_text(response)
        if response.status_code == 200 and response.mimetype == "text/html":
            queue.extend(link for link in links_of(response.get_data(as_text=True), url) if link not in seen)
    return seen


def markers_in(text: str) -> list[str]:
    return [marker for marker in MARKERS if marker in text]


@pytest.fixture
def demo_office(app, session):
    app.config["SEARCH_ENABLED"] = True
    app.config["PER_PAGE"] = 100  # fewer pages to walk; every row still shown
    demo.load(session, app.config)
    session.commit()
    planted = plant(session, app)
    search.rebuild()
    return planted


def test_no_department_user_ever_sees_a_citizen_marker(app, session, demo_office):
    heads = session.scalars(select(User).where(User.role == Role.DEPT_HEAD, User.active)).all()
    assert {h.username for h in heads} >= {"depthead", "depthead2"}
    for head in heads:
        client = app.test_client()
        assert client.post("/login", data={"username": head.username, "password": DEMO_PASSWORD}).status_code == 302
        pages = crawl(client)
        assert len(pages) < MAX_PAGES, "the crawl was cut short"
        mine = [m for m in demo_office if head.department_id in m.department_ids()]
        for matter in mine:  # the planted matters were reached, and files and documents downloaded
            assert f"/matters/{matter.id}" in pages, (head.username, matter.serial)
        if mine:
            reached = sorted({u.split("?")[0] for u in pages})
            assert any(re.match(r"/matters/\d+/files/\d+", url) for url in pages), (head.username, reached)
            assert any(url.startswith("/ledgers/") for url in pages), reached
            assert any(url.startswith("/documents/") for url in pages), reached
        leaks = {url: markers_in(text) for url, text in pages.items() if markers_in(text)}
        assert leaks == {}, (head.username, leaks)
        for marker in MARKERS[:-1]:
            for url in (f"/search/?q={marker}", f"/matters/?q={marker}"):
                response = client.get(url)
                assert response.status_code == 200
                assert markers_in(without_echo(shown_text(response), marker)) == [], (head.username, url)
                assert "search-results" not in response.text and "<tbody>\n    <tr" not in response.text, url
        notices = session.scalars(select(Notification).where(Notification.user_id == head.id)).all()
        assert notices or not mine, head.username
        deliveries = session.scalars(select(Delivery).where(Delivery.notification_id.in_([n.id for n in notices])))
        recorded = [f"{n.title}\n{n.body}" for n in notices] + [
            " ".join(str(v) for v in vars(d).values()) for d in deliveries]
        assert [text for text in recorded if markers_in(text)] == [], head.username
    # The office still reads what the citizen wrote, and finds it.
    office = app.test_client()
    assert office.post("/login", data={"username": "intake", "password": DEMO_PASSWORD}).status_code == 302
    first = office.get(f"/matters/{demo_office[0].id}").text
    assert UNIT in first and PERSON in first and UNIT_PHONE in first
    assert demo_office[0].serial in office.get(f"/search/?q={PERSON}").text
