"""Who may reach which page of the matters area (docs/domain.md §1): 403 for a role without the right, 404 for a
department head asking about a matter that is not addressed to their department (not even its
existence is told), and the page itself (200, or 302 after a successful action) for everyone else.

Each matter is brought to the state in which the action is legal, so that a refusal can only come
from the permission check, never from the workflow.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from io import BytesIO
from urllib.parse import unquote

import pytest

from matters_factories import PDF_BYTES, audit_entries, last_audit, signed_in
from supervision.matters import services
from supervision.matters.views import ACTIONS, ASSIGNMENT_ACTIONS
from supervision.models.matters import Matter, Satisfaction

ROLES = ["admin", "intake", "supervisor", "leader", "head", "other_head"]

# "head" is the head of the department the matter is assigned to; "other_head" heads another one.
# A matter not yet assigned belongs to the office alone, so even "head" gets 404 for it.
EXPECTED = {
    # page                              admin intake super leader head other_head
    "GET  /matters/":                   (403, 200, 200, 200, 200, 200),
    "GET  /matters/new/complaint":      (403, 200, 200, 403, 403, 403),
    "GET  /matters/<id>":               (403, 200, 200, 200, 200, 404),
    "POST act/accept":                  (403, 302, 302, 403, 404, 404),
    "POST act/reject":                  (403, 302, 302, 403, 404, 404),
    "POST act/duplicate":               (403, 302, 302, 403, 404, 404),
    "POST act/merge":                   (403, 302, 302, 403, 404, 404),
    "POST act/summary":                 (403, 302, 302, 403, 404, 404),
    "POST act/classify":                (403, 302, 302, 403, 404, 404),
    "POST act/correct":                 (403, 302, 302, 403, 404, 404),
    "POST act/propose":                 (403, 302, 302, 403, 404, 404),
    "POST act/instruct":                (403, 403, 403, 302, 404, 404),
    "POST act/assign":                  (403, 302, 302, 403, 404, 404),
    "POST act/decide_extension":        (403, 403, 302, 302, 403, 404),
    "POST act/review":                  (403, 403, 302, 403, 403, 404),
    "POST act/follow_up":               (403, 302, 302, 403, 403, 404),
    "POST act/reopen":                  (403, 302, 302, 403, 403, 404),
    "POST act/close":                   (403, 302, 302, 403, 403, 404),
    "POST act/archive":                 (403, 302, 302, 403, 403, 404),
    "POST assignment/sign":             (403, 403, 403, 403, 302, 404),
    "POST assignment/return":           (403, 403, 403, 403, 302, 404),
    "POST assignment/extension":        (403, 403, 403, 403, 302, 404),
    "POST assignment/reply":            (403, 403, 403, 403, 302, 404),
    "POST /matters/<id>/identity":      (403, 302, 302, 302, 403, 403),
    # Evidence is identity (docs/domain.md §14): office staff are sent to give a reason first (302 to the form).
    "GET  file shared with the unit":   (403, 302, 302, 302, 200, 404),
    "GET  evidence not shared":         (403, 302, 302, 302, 404, 404),
}


@dataclass(frozen=True)
class Page:
    """How to reach one page: the matter's state, the request, and any further setup it needs."""

    state: str | None  # None: a page without a matter
    path: str  # formatted with the matter ``m`` and the setup's values ``x``
    data: Callable[..., dict] | None = None  # (matter, extras) -> form data; None means GET
    setup: Callable[..., dict] = field(default=lambda ctx, m: {})
    state_options: dict = field(default_factory=dict)


def _act(**fields):
    return lambda m, x: {"version": m.version, **{k: (v(m, x) if callable(v) else v) for k, v in fields.items()}}


def _on_assignment(**fields):
    return _act(assignment_id=lambda m, x: m.lead_assignment.id, **fields)


def _original(ctx, m):
    return {"original": ctx.make_matter("registered").serial}


def _pending_extension(ctx, m):
    a = m.lead_assignment
    extension = services.request_extension(ctx.session, ctx.office.head, a, a.due_on + timedelta(days=7), "需调查")
    ctx.session.commit()
    return {"extension_id": extension.id}


def _attachment(shared: bool):
    def setup(ctx, m):
        (attachment,) = services.attach_files(ctx.session, ctx.office.intake, m, [("材料.pdf", PDF_BYTES)],
                                              ctx.storage, shared=shared)
        ctx.session.commit()
        return {"attachment": attachment.id}
    return setup


PAGES = {
    "GET  /matters/": Page(None, "/matters/"),
    "GET  /matters/new/complaint": Page(None, "/matters/new/complaint"),
    "GET  /matters/<id>": Page("assigned", "/matters/{m.id}"),
    "POST act/accept": Page("registered", "/matters/{m.id}/act/accept", _act(complaint_class="claim")),
    "POST act/reject": Page("registered", "/matters/{m.id}/act/reject", _act(note="不属于受理范围")),
    "POST act/duplicate": Page("registered", "/matters/{m.id}/act/duplicate",
                               _act(original=lambda m, x: x["original"]), _original),
    "POST act/merge": Page("registered", "/matters/{m.id}/act/merge",
                           _act(original_id=lambda m, x: x["original_id"]),
                           lambda ctx, m: {"original_id": ctx.make_matter("registered").id}),
    "POST act/summary": Page("accepted", "/matters/{m.id}/act/summary", _act(summary="修改后的摘要")),
    "POST act/classify": Page("accepted", "/matters/{m.id}/act/classify",
                              _act(complaint_class="proposal", note="实为建议")),
    "POST act/correct": Page("accepted", "/matters/{m.id}/act/correct", _act(
        title=lambda m, x: m.title, channel="letter", received_on=lambda m, x: m.received_on.isoformat(),
        note="来源渠道登记错误")),
    "POST act/propose": Page("accepted", "/matters/{m.id}/act/propose", _act(note="建议交市场监管局办理")),
    "POST act/instruct": Page("accepted", "/matters/{m.id}/act/instruct", _act(note="同意")),
    "POST act/assign": Page("accepted", "/matters/{m.id}/act/assign", _act(lead_id=lambda m, x: x["lead_id"]),
                            lambda ctx, m: {"lead_id": ctx.office.department.id}),
    "POST act/decide_extension": Page("in_progress", "/matters/{m.id}/act/decide_extension",
                                      _act(extension_id=lambda m, x: x["extension_id"], decision="approve"),
                                      _pending_extension),
    "POST act/review": Page("replied", "/matters/{m.id}/act/review", _act(decision="approve", public_reply="已整改")),
    "POST act/follow_up": Page("approved", "/matters/{m.id}/act/follow_up", _act(satisfaction="satisfied")),
    "POST act/reopen": Page("followed_up", "/matters/{m.id}/act/reopen", _act(note="请重新核实"),
                            state_options={"satisfaction": Satisfaction.DISSATISFIED}),
    "POST act/close": Page("followed_up", "/matters/{m.id}/act/close", _act()),
    "POST act/archive": Page("closed", "/matters/{m.id}/act/archive", _act()),
    "POST assignment/sign": Page("assigned", "/matters/{m.id}/assignment/sign", _on_assignment()),
    "POST assignment/return": Page("assigned", "/matters/{m.id}/assignment/return",
                                   _on_assignment(note="不属于本单位职责")),
    "POST assignment/extension": Page("in_progress", "/matters/{m.id}/assignment/extension", _on_assignment(
        requested_due_on=lambda m, x: (m.lead_assignment.due_on + timedelta(days=7)).isoformat(), note="需调查")),
    "POST assignment/reply": Page("in_progress", "/matters/{m.id}/assignment/reply",
                                  _on_assignment(result="已核实整改", public_reply="已整改，感谢监督")),
    "POST /matters/<id>/identity": Page("registered", "/matters/{m.id}/identity", lambda m, x: {"reason": "回访核实"}),
    "GET  file shared with the unit": Page("replied", "/matters/{m.id}/files/{x[attachment]}",
                                           setup=_attachment(shared=True)),
    "GET  evidence not shared": Page("assigned", "/matters/{m.id}/files/{x[attachment]}",
                                     setup=_attachment(shared=False)),
}


def test_the_table_covers_every_action_of_the_matter_page():
    assert set(PAGES) == set(EXPECTED)
    assert {f"POST act/{name}" for name in ACTIONS} <= set(PAGES)
    assert {f"POST assignment/{name}" for name in ASSIGNMENT_ACTIONS} <= set(PAGES)


@dataclass
class Context:
    session: object
    office: object
    make_matter: Callable
    storage: object


@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix(app, session, office, make_matter, storage, role):
    ctx = Context(session, office, make_matter, storage)
    client = signed_in(app, getattr(office, role))
    column = ROLES.index(role)
    answers, unchanged = {}, {}  # matters a refused request left as they were, reused to save time
    for name, page in PAGES.items():
        matter = None
        if page.state:
            key = (page.state, tuple(page.state_options.items()), page.setup is _pending_extension)
            matter = unchanged.pop(key, None) or make_matter(page.state, **page.state_options)
        extras = page.setup(ctx, matter) if matter is not None else {}
        url = page.path.format(m=matter, x=extras)
        if page.data is None:
            response = client.get(url)
        else:
            response = client.post(url, data=page.data(matter, extras))
        answers[name] = response.status_code
        session.expire_all()
        if matter is not None and (page.data is None or response.status_code in (403, 404)):
            unchanged[key] = matter
    expected = {name: row[column] for name, row in EXPECTED.items()}
    assert answers == expected


# --- whistleblower protection (《信访工作条例》§30) -------------------------------------------------------
IDENTITY = {"name": "举报人甲乙丙", "phone": "13912345678", "id_number": "11010119880101987X",
            "address": "幸福路甲乙丙号院", "work_unit": "甲乙丙科技有限公司"}
CONTENT = "原文标记丁戊己：窗口人员当面索要好处费"
MARKERS = [*IDENTITY.values(), CONTENT.split("：")[0]]
JPEG_BYTES = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64


def register_through_the_form(client) -> int:
    """Intake registers a real-name complaint with every identity field filled in; returns its id."""
    response = client.post("/matters/new/complaint", data={
        "channel": "phone", "received_on": "2026-06-01", "title": "窗口人员索要好处费",
        "content": CONTENT, "summary": "群众反映某窗口工作人员办事时有索要好处的情况。",
        "respondent_unit": "某窗口", **IDENTITY,
        "files": [(BytesIO(PDF_BYTES), f"{IDENTITY['name']}的身份证复印件.pdf")],
    }, content_type="multipart/form-data")
    assert response.status_code == 302, response.text
    return int(response.location.rstrip("/").rsplit("/", 1)[-1])


def leaks(response) -> list[str]:
    """The markers found anywhere in a response: its body or any header (a download's file name)."""
    body = response.get_data().decode("utf-8", errors="replace")
    body = re.sub(r'<input[^>]*name="q"[^>]*>', "", body)  # the search box echoes what the head typed,
    body = re.sub(r'([?&](?:amp;)?)q=[^"&]*', r"\1", body)  # and so do links keeping the filters (导出台账)
    seen = body + "\n" + unquote(str(response.headers))
    return [marker for marker in MARKERS if marker in seen]


def unquote_header(response) -> str:
    return unquote(response.headers["Content-Disposition"])


def test_department_head_never_sees_the_complainant_nor_the_complaint_itself(app, session, office, storage):
    intake = signed_in(app, office.intake)
    matter_id = register_through_the_form(intake)
    matter = session.get(Matter, matter_id)
    # Evidence that names the complainant, forwarded to the department (e.g. a photo they sent).
    services.attach_files(session, office.intake, matter, [(f"{IDENTITY['name']}拍摄.jpg", JPEG_BYTES)],
                          storage, shared=True)
    session.commit()
    assert intake.post(f"/matters/{matter_id}/act/accept", data={
        "version": matter.version, "complaint_class": "claim"}).status_code == 302
    session.expire_all()
    assert intake.post(f"/matters/{matter_id}/act/assign", data={
        "version": matter.version, "lead_id": office.department.id, "co_ids": [office.co_department.id]},
    ).status_code == 302
    session.expire_all()
    # The office itself does see the content (after giving a reason), and finds the matter by the
    # complainant's name:
    assert CONTENT not in intake.get(f"/matters/{matter_id}").text
    intake.post(f"/matters/{matter_id}/identity", data={"reason": "核实反映内容"})
    assert CONTENT in intake.get(f"/matters/{matter_id}").text
    assert matter.serial in intake.get("/matters/", query_string={"q": IDENTITY["name"]}).text

    head, co_head = signed_in(app, office.head), signed_in(app, office.co_head)
    lead_id = matter.lead_assignment.id
    assert head.post(f"/matters/{matter_id}/assignment/sign",
                     data={"version": matter.version, "assignment_id": lead_id}).status_code == 302
    session.expire_all()
    assert head.post(f"/matters/{matter_id}/assignment/reply", data={
        "version": matter.version, "assignment_id": lead_id, "result": "已核实，责令整改。",
        "public_reply": "已责令整改，感谢监督。"}).status_code == 302

    for client in (head, co_head):
        pages = [client.get("/"), client.get("/matters/"), client.get(f"/matters/{matter_id}")]
        pages += [client.get("/matters/", query_string={"q": marker}) for marker in MARKERS]
        detail = pages[2].text
        assert matter.serial in detail and "群众反映某窗口工作人员" in detail  # the summary is what they get
        links = sorted(set(re.findall(rf"/matters/{matter_id}/files/\d+", detail)))
        assert len(links) == 1  # the forwarded photo only; the ID-card copy stays with the office
        pages += [client.get(link) for link in links]
        assert pages[-1].status_code == 200
        for response in pages:
            assert leaks(response) == [], response.request.url
    assert "没有符合条件的事项" in head.get("/matters/", query_string={"q": IDENTITY["name"]}).text


def test_department_head_searching_for_the_complainant_finds_nothing(app, session, office, make_matter):
    make_matter("assigned", content=CONTENT, identity=services.IdentityInput(**IDENTITY))
    head = signed_in(app, office.head)
    for marker in MARKERS:
        page = head.get("/matters/", query_string={"q": marker}).text
        assert "没有符合条件的事项" in page, marker
    assert "没有符合条件的事项" not in head.get("/matters/", query_string={"q": "窗口"}).text


def test_attachment_named_after_the_complainant_reaches_the_department_under_a_neutral_name(
        app, session, office, make_matter, storage):
    matter = make_matter("assigned")
    (attachment,) = services.attach_files(session, office.intake, matter,
                                          [(f"{IDENTITY['name']}的录音.pdf", PDF_BYTES)], storage, shared=True)
    session.commit()
    head = signed_in(app, office.head)
    page = head.get(f"/matters/{matter.id}").text
    assert "证据材料1" in page and IDENTITY["name"] not in page  # numbered within the matter, never its name
    download = head.get(f"/matters/{matter.id}/files/{attachment.id}")
    assert download.status_code == 200 and download.data == PDF_BYTES
    assert f"附件{attachment.id}.pdf" in unquote_header(download) and leaks(download) == []
    # The office keeps the original name (once it has given a reason: evidence is identity).
    intake = signed_in(app, office.intake)
    intake.post(f"/matters/{matter.id}/identity", data={"reason": "核对证据材料"})
    assert IDENTITY["name"] in unquote_header(intake.get(f"/matters/{matter.id}/files/{attachment.id}"))


def test_intake_sees_the_identity_only_after_giving_a_reason_and_the_look_is_audited(
        app, session, office, make_matter):
    matter = make_matter("registered", identity=services.IdentityInput(**IDENTITY))
    intake = signed_in(app, office.intake)
    url = f"/matters/{matter.id}"
    assert IDENTITY["name"] not in intake.get(url).text
    assert intake.post(f"{url}/identity", data={"reason": ""}).status_code == 302
    assert IDENTITY["name"] not in intake.get(url).text and audit_entries(session, "identity.viewed") == []

    assert intake.post(f"{url}/identity", data={"reason": "回访核实办理结果"}).status_code == 302
    page = intake.get(url).text
    assert all(value in page for value in IDENTITY.values()) and "回访核实办理结果" in page
    entry, changes = last_audit(session, "identity.viewed", matter)
    assert entry.actor_id == office.intake.id and changes == {"reason": "回访核实办理结果"}
    assert IDENTITY["name"] not in entry.summary + entry.changes


def test_administrator_sees_no_case_content(app, session, office, make_matter, storage):
    matter = make_matter("assigned", content=CONTENT, identity=services.IdentityInput(**IDENTITY))
    services.view_identity(session, office.supervisor, matter, "核实身份")
    (attachment,) = services.attach_files(session, office.intake, matter, [("材料.pdf", PDF_BYTES)], storage)
    session.commit()
    admin = signed_in(app, office.admin)
    for url in ("/matters/", f"/matters/{matter.id}", f"/matters/{matter.id}/files/{attachment.id}",
                "/matters/?q=" + IDENTITY["name"]):
        assert admin.get(url).status_code == 403, url
    assert admin.post(f"/matters/{matter.id}/identity", data={"reason": "好奇"}).status_code == 403
    # The administrator reads the audit log's account and system events only: no case event, so no
    # matter, complainant or content (docs/domain.md §1).
    audit_page = admin.get("/audit/")
    assert audit_page.status_code == 200 and matter.serial not in audit_page.text
    assert leaks(audit_page) == []
    assert matter.serial not in admin.get(f"/audit/?action=matter.&target_type=matter&target_id={matter.id}").text


def test_department_that_returned_a_matter_does_not_read_the_next_departments_report(
        app, session, office, make_matter):
    matter = make_matter("returned")
    services.assign_matter(session, office.intake, matter, lead=office.other_department)
    services.sign_assignment(session, office.other_head, matter.lead_assignment)
    services.submit_reply(session, office.other_head, matter.lead_assignment, "卫健委内部核查报告：某科长已停职",
                          "已处理")
    session.commit()
    page = signed_in(app, office.head).get(f"/matters/{matter.id}")
    assert "卫健委内部核查报告" not in page.text
