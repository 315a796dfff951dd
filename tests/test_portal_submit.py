"""The online box (网上投诉 / 网上意见箱): a citizen without an account submits, gets a receipt once, and
bad input — empty or over-long text, a unit that does not exist, forbidden files, markup, a wrong
CAPTCHA, a filled honeypot, too many requests — is refused with a Chinese message and stores nothing.

The helpers here (form data, CAPTCHA answer, row counts) are imported by the other portal tests.
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest
from sqlalchemy import func, select

from matters_factories import PDF_BYTES, TODAY
from supervision import create_app
from supervision.extensions import db, limiter
from supervision.models.audit import AuditEntry
from supervision.models.matters import (Attachment, Category, Channel, Complainant, Matter, MatterEvent,
                                        MatterKind, MatterStatus)
from supervision.models.org import Department
from supervision.models.portal import PortalCaptcha

XSS = "<script>alert('x')</script>"
PNG_BYTES = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
EXE_BYTES = b"MZ\x90\x00" + b"\x00" * 64


# --- helpers shared by the portal tests ------------------------------------------------------------
def category(kind: MatterKind = MatterKind.COMPLAINT, name: str = "办事拖拉") -> Category:
    return db.session.scalar(select(Category).where(Category.matter_kind == kind, Category.name == name))


def captcha_answer(client) -> str:
    """The answer to the question this browser was asked, read where it lives: on the server."""
    from supervision.models.portal import PortalCaptcha
    from supervision.portal import captcha

    with client.session_transaction() as stored:
        token = stored["portal_captcha"]
    return db.session.scalar(select(PortalCaptcha.answer).where(PortalCaptcha.token_digest == captcha.digest(token)))


def complaint_fields(department: Department | None, **overrides) -> dict:
    fields = {"mode": "named", "name": "王某某", "phone": "13700001111",
              "category_id": str(category().id), "respondent_department_id": str(department.id) if department else "",
              "respondent_unit": "", "respondent_person": "", "title": "办理居住证被要求反复跑",
              "content": "本人到窗口办理居住证，前后跑了三趟，每次都说缺一样材料。", "website": ""}
    fields.update(overrides)
    return fields


def submit(client, fields: dict, kind: str = "complaint", captcha: str | None = None):
    """Open the form (which asks a new question), then post it with the right answer unless told."""
    client.get(f"/public/{kind}")
    answer = captcha_answer(client) if captcha is None else captcha
    return client.post(f"/public/{kind}", data={**fields, "captcha": answer}, content_type="multipart/form-data")


def stored_rows() -> dict[str, int]:
    """What a submission would write."""
    return {model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
            for model in (Matter, Complainant, Attachment, MatterEvent, AuditEntry)}


def uploaded_files(app) -> list[str]:
    """The sha256 of every stored file's content (in the database since migration 0038)."""
    from supervision.models.files import FileContent

    return list(db.session.scalars(select(FileContent.sha256).order_by(FileContent.sha256)))


# --- a good submission -----------------------------------------------------------------------------
def test_a_named_complaint_enters_the_intake_queue_with_channel_online(app, client, office):
    response = submit(client, complaint_fields(office.department, respondent_person="3号窗口"))

    assert response.status_code == 302 and response.location.endswith("/public/receipt")
    matter = db.session.scalars(select(Matter)).one()
    assert (matter.kind, matter.channel, matter.status) == (MatterKind.COMPLAINT, Channel.ONLINE,
                                                           MatterStatus.REGISTERED)
    assert matter.serial == "XT-2026-00001" and matter.received_on == TODAY
    assert matter.registered_by_id is None and not matter.anonymous
    assert matter.respondent_department_id == office.department.id and matter.respondent_person == "3号窗口"
    complainant = db.session.scalars(select(Complainant)).one()
    assert (complainant.name, complainant.phone) == ("王某某", "13700001111")
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "matter.registered")).one()
    assert entry.actor_id is None and entry.actor_name == "系统"
    assert json.loads(entry.changes)["public"] is True and "王某某" not in entry.summary


def test_an_anonymous_suggestion_goes_to_the_online_mailbox_and_keeps_no_identity(app, client, office):
    fields = complaint_fields(None, mode="anonymous", name="不该保存", phone="13700002222",
                              category_id=str(category(MatterKind.SUGGESTION, "政务服务").id),
                              title="建议午间不休息", content="建议政务中心午间保留一个窗口。")
    response = submit(client, fields, kind="suggestion")

    assert response.status_code == 302
    matter = db.session.scalars(select(Matter)).one()
    assert (matter.kind, matter.channel, matter.anonymous) == (MatterKind.SUGGESTION, Channel.ONLINE_MAILBOX, True)
    assert matter.serial.startswith("YJ-2026-")
    assert db.session.scalar(select(func.count()).select_from(Complainant)) == 0


def test_a_unit_not_in_the_list_can_be_typed(app, client, office):
    response = submit(client, complaint_fields(None, respondent_unit="某某物业服务有限公司"))

    assert response.status_code == 302
    matter = db.session.scalars(select(Matter)).one()
    assert matter.respondent_department_id is None and matter.respondent_unit == "某某物业服务有限公司"


def test_an_attachment_is_stored_under_a_random_name(app, client, office):
    fields = complaint_fields(office.department, files=[(io.BytesIO(PNG_BYTES), "现场照片.png")])
    response = submit(client, fields)

    assert response.status_code == 302
    attachment = db.session.scalars(select(Attachment)).one()
    assert (attachment.original_name, attachment.media_type, attachment.uploaded_by_id) == (
        "现场照片.png", "image/png", None)
    assert uploaded_files(app) == [attachment.sha256]


def test_the_form_offers_only_active_departments_and_categories_of_its_kind(app, client, office):
    office.other_department.active = False
    db.session.commit()
    page = client.get("/public/complaint").text

    assert office.department.name in page and office.other_department.name not in page
    assert "办事拖拉" in page and "营商环境" not in page  # 营商环境 is a suggestion category
    assert 'lang="zh-CN"' in page and "登录" not in page and "事项台账" not in page  # no staff menu


# --- the receipt -----------------------------------------------------------------------------------
def test_the_receipt_shows_number_and_code_once_and_then_never_again(app, client, office):
    response = submit(client, complaint_fields(office.department))
    matter = db.session.scalars(select(Matter)).one()

    receipt = client.get(response.location)
    assert receipt.status_code == 200
    assert matter.serial in receipt.text and matter.query_code in receipt.text
    assert receipt.headers["Cache-Control"] == "no-store"

    assert client.post("/public/receipt/done").status_code == 302
    gone = client.get("/public/receipt")
    assert gone.status_code == 404 and matter.query_code not in gone.text
    assert "回执已不再显示" in gone.text


def test_the_receipt_expires_after_a_few_minutes(app, client, office):
    submit(client, complaint_fields(office.department))
    matter = db.session.scalars(select(Matter)).one()
    with client.session_transaction() as stored:
        receipt = stored["portal_receipt"]
        stored["portal_receipt"] = {**receipt, "t": receipt["t"] - app.config["PORTAL_RECEIPT_MINUTES"] * 60 - 1}

    gone = client.get("/public/receipt")
    assert gone.status_code == 404 and matter.query_code not in gone.text


def test_another_browser_never_sees_a_receipt(app, client, office):
    submit(client, complaint_fields(office.department))
    matter = db.session.scalars(select(Matter)).one()

    stranger = app.test_client()
    page = stranger.get("/public/receipt")
    assert page.status_code == 404 and matter.query_code not in page.text


# --- bad input: a message next to the field, nothing stored ------------------------------------------
BAD_INPUT = {
    "empty content": ({"content": ""}, "此项为必填项。"),
    "over-long content": ({"content": "长" * 20001}, "不能超过 20000 个字符。"),
    "over-long title": ({"title": "长" * 121}, "不能超过 120 个字符。"),
    "no respondent unit": ({"respondent_department_id": ""}, "请选择被投诉单位，或在此填写单位名称。"),
    "unknown department": ({"respondent_department_id": "99999"}, "所选单位不存在或已停用"),
    "named without phone": ({"phone": ""}, "实名反映请填写联系电话。"),
    "bad phone": ({"phone": "call me"}, "请填写正确的电话号码"),
    "no category": ({"category_id": ""}, "此项为必填项。"),
    "a category of another kind": ({"category_id": "__suggestion__"}, "请从列表中选择问题类别。"),
    "script in the title": ({"title": XSS}, "请不要输入网页代码"),
    "markup in the name": ({"name": "<b>王</b>"}, "请不要输入网页代码"),
    "markup in the content": ({"content": "见 <img src=x onerror=alert(1)>"}, "请不要输入网页代码"),
    # Files as callables: each run (each engine) needs its own open streams.
    "forbidden file type": ({"files": lambda: [(io.BytesIO(EXE_BYTES), "照片.jpg")]}, "的类型不允许上传"),
    "too many files": ({"files": lambda: [(io.BytesIO(PNG_BYTES), f"{n}.png") for n in range(6)]},
                       "最多上传 5 个附件。"),
}


@pytest.mark.parametrize("overrides, message", BAD_INPUT.values(), ids=BAD_INPUT.keys())
def test_bad_input_is_refused_in_chinese_and_stores_nothing(app, client, office, overrides, message):
    before = stored_rows()
    # A good file beside the bad input: it must not be written either.
    overrides = {name: value() if callable(value) else value for name, value in overrides.items()}
    if overrides.get("category_id") == "__suggestion__":
        overrides = {"category_id": str(category(MatterKind.SUGGESTION, "政务服务").id)}
    fields = complaint_fields(office.department, **{"files": [(io.BytesIO(PDF_BYTES), "材料.pdf")], **overrides})

    response = submit(client, fields)

    assert response.status_code == 400
    assert message in response.text
    assert 'class="error-text"' in response.text  # beside its field, not only at the top
    assert stored_rows() == before
    assert uploaded_files(app) == []


def test_an_inactive_department_is_refused(app, client, office):
    office.other_department.active = False
    db.session.commit()
    before = stored_rows()

    response = submit(client, complaint_fields(office.other_department))

    assert response.status_code == 400 and "所选单位不存在或已停用" in response.text
    assert stored_rows() == before


def test_a_file_over_the_size_limit_is_refused(app, client, office):
    app.config["PORTAL_UPLOAD_MAX_BYTES"] = 1024
    response = submit(client, complaint_fields(office.department,
                                               files=[(io.BytesIO(PDF_BYTES + b"0" * 2048), "大文件.pdf")]))

    assert response.status_code == 400 and "单个文件不能超过" in response.text
    assert db.session.scalar(select(func.count()).select_from(Matter)) == 0 and uploaded_files(app) == []


def test_a_request_over_the_public_size_limit_gets_a_chinese_page(app, client, office):
    app.config["PORTAL_MAX_CONTENT_LENGTH"] = 4096
    response = submit(client, complaint_fields(office.department,
                                               files=[(io.BytesIO(PDF_BYTES + b"0" * 8192), "大文件.pdf")]))

    assert response.status_code == 413 and "提交的内容过大" in response.text
    assert db.session.scalar(select(func.count()).select_from(Matter)) == 0


def test_markup_comes_back_escaped_never_executed(app, client, office):
    response = submit(client, complaint_fields(office.department, title=XSS, content=XSS, respondent_unit=XSS))

    assert response.status_code == 400
    assert XSS not in response.text
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in response.text  # what was typed, kept and escaped


def test_the_public_pages_allow_no_inline_script_or_style(app, client, office):
    response = client.get("/public/complaint")
    policy = response.headers["Content-Security-Policy"]

    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "<script>" not in response.text and " style=" not in response.text and " onclick=" not in response.text


# --- honeypot and CAPTCHA --------------------------------------------------------------------------
def test_a_filled_honeypot_is_silently_dropped(app, client, office):
    before = stored_rows()

    response = submit(client, complaint_fields(office.department, website="http://spam.example"))

    assert response.status_code == 200
    assert "提交已处理" in response.text and "XT-" not in response.text  # no number, no hint why
    assert stored_rows() == before


def test_a_wrong_captcha_answer_is_refused_and_a_new_question_asked(app, client, office):
    client.get("/public/complaint")
    right = captcha_answer(client)
    wrong = str(int(right) + 1)
    before = stored_rows()

    response = client.post("/public/complaint", data={**complaint_fields(office.department), "captcha": wrong})

    assert response.status_code == 400 and "验证问题回答不正确" in response.text
    assert stored_rows() == before
    assert "验证问题：" in response.text and captcha_answer(client)  # a fresh question


def test_a_captcha_answer_is_good_for_one_attempt_only(app, client, office):
    client.get("/public/complaint")
    answer = captcha_answer(client)
    fields = {**complaint_fields(office.department), "captcha": answer}
    assert client.post("/public/complaint", data=fields).status_code == 302

    replay = client.post("/public/complaint", data=fields)

    assert replay.status_code == 400 and "验证问题回答不正确" in replay.text
    assert db.session.scalar(select(func.count()).select_from(Matter)) == 1


def test_a_form_posted_without_ever_asking_for_a_question_is_refused(app, client, office):
    response = client.post("/public/complaint", data={**complaint_fields(office.department), "captcha": "7"})

    assert response.status_code == 400 and db.session.scalar(select(func.count()).select_from(Matter)) == 0


def test_the_captcha_question_reads_in_words_and_its_answer_is_a_small_number(app, client):
    from supervision.portal import captcha

    for _ in range(50):
        question, answer = captcha.new_question()
        assert question.endswith("等于几？") and not any(ch.isdigit() for ch in question)
        assert 0 < answer <= 18
    token, question = captcha.issue(db.session)
    answer = db.session.scalar(select(PortalCaptcha.answer).where(PortalCaptcha.question == question))
    assert captcha.check(db.session, token, answer, 60)
    assert not captcha.check(db.session, token, answer, 60)  # used up


# --- rate limits -----------------------------------------------------------------------------------
@pytest.fixture
def limited_app(database_url, tmp_path):
    """An app of its own with the limiter on (every other test runs with RATELIMIT_ENABLED=False)."""
    instance = tmp_path / "limited"
    instance.mkdir()
    os.environ["SUPERVISION_INSTANCE_PATH"] = str(instance)
    was_enabled = limiter.enabled
    try:
        application = create_app({"TESTING": True, "SECRET_KEY": "limit-test", "SQLALCHEMY_DATABASE_URI": database_url,
                                  "RATELIMIT_ENABLED": True, "RATELIMIT_STORAGE_URI": "memory://",
                                  "PORTAL_SUBMIT_RATE": "2 per hour", "PORTAL_LOOKUP_RATE": "3 per 10 minutes",
                                  "WTF_CSRF_ENABLED": False})
    finally:
        os.environ.pop("SUPERVISION_INSTANCE_PATH", None)
    with application.app_context():
        yield application
        db.session.remove()
        db.engine.dispose()
    limiter.enabled = was_enabled  # the limiter is one object: leave it as the other apps expect


def test_rate_limits_bite_per_address_with_a_chinese_page(limited_app):
    client = limited_app.test_client()
    lookup = {"serial": "XT-2026-00001", "query_code": "ABCDEFGH"}
    for _ in range(3):
        assert client.post("/public/track", data=lookup).status_code == 404
    refused = client.post("/public/track", data=lookup)
    assert refused.status_code == 429
    assert "操作过于频繁" in refused.text and 'lang="zh-CN"' in refused.text

    for _ in range(2):  # failed submissions count too: a bot's attempts are what the limit is for
        assert client.post("/public/complaint", data={"title": ""}).status_code == 400
    assert client.post("/public/complaint", data={"title": ""}).status_code == 429
    assert client.get("/public/complaint").status_code == 200  # reading the form is never limited

    other_address = limited_app.test_client()
    assert other_address.post("/public/track", data=lookup,
                              environ_base={"REMOTE_ADDR": "10.0.0.9"}).status_code == 404
