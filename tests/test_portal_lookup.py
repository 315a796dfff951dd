"""Progress lookup (办理进度查询) and the citizen's rating.

The public page is fed only from an allow-list of a matter's fields. Unique markers are seeded into
everything that must never reach a citizen — internal notes, staff names, the summary, departments'
results and remarks, review notes, another matter — and the page is checked at every step.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from matters_factories import TODAY, signed_in
from supervision.errors import WorkflowError
from supervision.extensions import db
from supervision.matters import services as matters
from supervision.models.audit import AuditEntry
from supervision.models.matters import Matter, MatterStatus, Satisfaction
from supervision.models.portal import CitizenRating
from supervision.portal import services
from test_portal_submit import XSS, complaint_fields, submit

SECRETS = {
    "staff": ["受理员甲秘标", "督查员乙秘标", "部门长丙秘标", "协办长丁秘标", "领导戊秘标"],
    "notes": ["受理备注秘标", "交办要求秘标", "延期理由秘标", "办理结果秘标", "协办意见秘标", "审核意见秘标",
              "拟答复初稿秘标", "摘要秘标"],
    "identity": ["王某某", "13700001111"],
    "content": ["本人到窗口办理居住证"],
}
PUBLIC_REPLY = "答复正文公开标记：已责令窗口一次性告知。"


def never_shown(text: str, extra: list[str] = ()) -> None:
    for group, markers in SECRETS.items():
        for marker in [*markers]:
            assert marker not in text, f"{group} leaked: {marker!r}"
    for marker in extra:
        assert marker not in text, f"leaked: {marker!r}"


def look_up(client, serial: str, code: str):
    return client.post("/public/track", data={"serial": serial, "query_code": code})


@pytest.fixture
def citizen_matter(app, client, office):
    """A complaint submitted online, with marked staff names; the client holds its receipt."""
    for user, name in zip((office.intake, office.supervisor, office.head, office.co_head, office.leader),
                          SECRETS["staff"]):
        user.display_name = name
    db.session.commit()
    assert submit(client, complaint_fields(office.co_department)).status_code == 302
    return db.session.scalars(select(Matter)).one()


def drive_to_approved(session, office, matter: Matter, progress=None) -> None:
    """Every internal step, with a marked note at each; ``progress(status)`` looks at the page between."""
    progress = progress or (lambda status: None)
    matters.update_summary(session, office.intake, matter, "摘要秘标：窗口未一次性告知。", matter.version)
    matters.accept_matter(session, office.intake, matter, "受理备注秘标")
    session.commit()
    progress(MatterStatus.ACCEPTED)
    matters.assign_matter(session, office.intake, matter, lead=office.department, co_handling=[office.co_department],
                          assigned_title="反映窗口未一次性告知", requirements="交办要求秘标", avoidance_reason="协办单位即被投诉单位，仅配合提供材料")
    session.commit()
    progress(MatterStatus.ASSIGNED)
    matters.sign_assignment(session, office.head, matter.lead_assignment)
    co = next(a for a in matter.assignments if a.department_id == office.co_department.id)
    matters.sign_assignment(session, office.co_head, co)
    matters.submit_reply(session, office.co_head, co, "协办意见秘标")
    matters.request_extension(session, office.head, matter.lead_assignment, matter.due_on + timedelta(days=10),
                              "延期理由秘标")
    session.commit()
    progress(MatterStatus.IN_PROGRESS)
    matters.submit_reply(session, office.head, matter.lead_assignment, "办理结果秘标", "拟答复初稿秘标")
    session.commit()
    progress(MatterStatus.REPLIED)
    matters.review_reply(session, office.supervisor, matter, False, "审核意见秘标")
    matters.submit_reply(session, office.head, matter.lead_assignment, "办理结果秘标（补充）", PUBLIC_REPLY)
    matters.review_reply(session, office.supervisor, matter, True)
    session.commit()
    progress(MatterStatus.APPROVED)


# --- finding one's own matter ----------------------------------------------------------------------
def test_number_and_code_open_the_progress_page(app, client, citizen_matter):
    response = look_up(client, citizen_matter.serial, citizen_matter.query_code)

    assert response.status_code == 302 and response.location.endswith("/public/track/result")
    page = client.get(response.location)
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    assert citizen_matter.serial in page.text and "已收到，待受理" in page.text
    assert "受理时限" in page.text and f"{citizen_matter.accept_due_on.year}年" in page.text
    assert citizen_matter.query_code not in page.text  # the code is never written into a page


def test_the_code_is_read_forgivingly(app, client, citizen_matter):
    code = citizen_matter.query_code.lower()
    response = look_up(client, f" {citizen_matter.serial.lower()} ", f"{code[:4]} {code[4:]}")

    assert response.status_code == 302


def test_a_wrong_code_and_an_unknown_number_get_the_same_answer(app, client, citizen_matter):
    wrong_code = "".join("A" if c != "A" else "B" for c in citizen_matter.query_code)
    unknown = citizen_matter.serial[:-5] + "09999"

    wrong = look_up(client, citizen_matter.serial, wrong_code)
    missing = look_up(client, unknown, citizen_matter.query_code)

    assert wrong.status_code == missing.status_code == 404
    assert "没有找到与该编号和查询码相符的事项" in wrong.text
    assert wrong.text.replace(citizen_matter.serial, "N") == missing.text.replace(unknown, "N")
    assert client.get("/public/track/result").status_code == 302  # nothing was opened


def test_both_failures_compare_the_code_in_constant_time(app, citizen_matter, monkeypatch):
    compared = []
    real = services.hmac.compare_digest
    monkeypatch.setattr(services.hmac, "compare_digest", lambda a, b: compared.append((a, b)) or real(a, b))

    assert services.find_for_citizen(db.session, citizen_matter.serial, "AAAAAAAA") is None
    assert services.find_for_citizen(db.session, "XT-2026-09999", "AAAAAAAA") is None
    assert services.find_for_citizen(db.session, citizen_matter.serial, citizen_matter.query_code) is citizen_matter

    assert len(compared) == 3


def test_a_failed_lookup_closes_the_matter_opened_before(app, client, citizen_matter):
    look_up(client, citizen_matter.serial, citizen_matter.query_code)
    look_up(client, citizen_matter.serial, "AAAAAAAA")

    assert client.get("/public/track/result").status_code == 302


@pytest.mark.parametrize("serial, code, message", [
    ("XT2026-1", "ABCDEFGH", "事项编号的格式应如"),
    ("XT-2026-00001", "ABC", "查询码为 8 位字母和数字"),
    ("XT-2026-00001", "ABCDEFG0", "查询码为 8 位字母和数字"),  # 0 is not in the alphabet
    ("XT-2026-00001", "<script>", "请不要输入网页代码"),
])
def test_a_malformed_number_or_code_is_explained(app, client, serial, code, message):
    response = look_up(client, serial, code)

    assert response.status_code == 400 and message in response.text
    assert "<script>" not in response.text


def test_a_finding_cannot_be_looked_up(app, client, session, office, make_matter):
    from supervision.models.matters import Channel, MatterKind

    finding = make_matter(kind=MatterKind.FINDING, channel=Channel.UNDERCOVER, problems="窗口离岗")

    assert look_up(client, finding.serial, finding.query_code).status_code == 404


def test_the_lookup_is_a_post_the_code_never_in_a_url(app, client, citizen_matter):
    page = client.get("/public/track").text
    assert 'method="post"' in page
    assert client.get(f"/public/track?serial={citizen_matter.serial}&query_code={citizen_matter.query_code}"
                      ).status_code == 200
    assert client.get("/public/track/result").status_code == 302  # a GET with the code opens nothing


# --- what the page shows, step by step -------------------------------------------------------------
def test_the_page_shows_public_steps_and_finally_the_reply_and_nothing_internal(app, client, session, office,
                                                                                 citizen_matter, make_matter):
    other = make_matter("approved", title="他人事项标题秘标", content="他人内容秘标")
    other.public_reply = "他人答复秘标"
    session.commit()
    others = [other.serial, "他人事项标题秘标", "他人内容秘标", "他人答复秘标", office.co_department.name]
    assert look_up(client, citizen_matter.serial, citizen_matter.query_code).status_code == 302
    seen = {}

    def progress(status):
        page = client.get("/public/track/result").text
        never_shown(page, others + ([PUBLIC_REPLY] if status != MatterStatus.APPROVED else []))
        seen[status] = page

    drive_to_approved(session, office, citizen_matter, progress)

    assert "已受理" in seen[MatterStatus.ACCEPTED] and "予以受理" in seen[MatterStatus.ACCEPTED]
    assert "正在办理" in seen[MatterStatus.ASSIGNED] and "交承办单位办理" in seen[MatterStatus.ASSIGNED]
    assert "办理时限" in seen[MatterStatus.ASSIGNED]
    assert "承办单位签收，开始办理" in seen[MatterStatus.IN_PROGRESS]
    assert "承办单位报送办理结果，进入审核" in seen[MatterStatus.REPLIED]
    final = seen[MatterStatus.APPROVED]
    assert "已答复" in final and PUBLIC_REPLY in final and "评价办理结果" in final
    # registered, accepted, assigned, signed, replied, sent back (said in public words), replied, approved
    assert final.count("<li>") == 8 and "办理结果审核未通过，退回承办单位重新办理" in final
    never_shown(final, others)


def test_a_reason_for_not_accepting_is_told_but_a_duplicate_s_original_is_not(app, client, session, office,
                                                                            citizen_matter, make_matter):
    original = make_matter("accepted", title="原件标题秘标")
    matters.file_as_duplicate(session, office.intake, citizen_matter, original, "原件备注秘标")
    session.commit()
    look_up(client, citizen_matter.serial, citizen_matter.query_code)
    page = client.get("/public/track/result").text

    assert "已合并办理" in page
    for marker in (original.serial, "原件标题秘标", "原件备注秘标"):
        assert marker not in page

    rejected = make_matter()
    matters.reject_matter(session, office.intake, rejected, "属于诉讼途径，请向法院起诉。")
    session.commit()
    look_up(client, rejected.serial, rejected.query_code)
    page = client.get("/public/track/result").text
    assert "不予受理" in page and "属于诉讼途径，请向法院起诉。" in page


def test_text_from_staff_comes_back_escaped(app, client, session, office, make_matter):
    matter = make_matter("approved", title=XSS)
    matter.public_reply = XSS
    session.commit()
    look_up(client, matter.serial, matter.query_code)
    page = client.get("/public/track/result").text

    assert XSS not in page and "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page


# --- the rating ------------------------------------------------------------------------------------
def test_the_citizen_rates_the_reply_once_as_the_follow_up(app, client, session, office, citizen_matter):
    drive_to_approved(session, office, citizen_matter)
    look_up(client, citizen_matter.serial, citizen_matter.query_code)

    response = client.post("/public/track/rate", data={"satisfaction": "fairly_satisfied", "comment": "处理及时"})

    assert response.status_code == 302
    session.expire_all()
    matter = session.get(Matter, citizen_matter.id)
    assert matter.status == MatterStatus.FOLLOWED_UP and matter.satisfaction == Satisfaction.FAIRLY_SATISFIED
    assert matter.followed_up_at is not None and "处理及时" in matter.followup_note
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "matter.follow_up")).one()
    assert entry.actor_id is None and json.loads(entry.changes)["by_citizen"] is True
    assert json.loads(entry.changes)["status"] == ["approved", "followed_up"]
    page = client.get("/public/track/result").text
    assert "评价结果：<strong>基本满意</strong>" in page and "处理及时" in page and "提交评价" not in page

    again = client.post("/public/track/rate", data={"satisfaction": "dissatisfied"})
    assert again.status_code == 302
    assert "每件事项只能评价一次" in client.get("/public/track/result").text
    assert session.scalar(select(func.count()).select_from(CitizenRating)) == 1
    session.expire_all()
    assert session.get(Matter, citizen_matter.id).satisfaction == Satisfaction.FAIRLY_SATISFIED


def test_the_department_sees_the_rating_but_not_the_comment(app, client, session, office, citizen_matter):
    drive_to_approved(session, office, citizen_matter)
    look_up(client, citizen_matter.serial, citizen_matter.query_code)
    client.post("/public/track/rate", data={"satisfaction": "dissatisfied", "comment": "评价意见秘标"})

    head_page = signed_in(app, office.head).get(f"/matters/{citizen_matter.id}").text
    assert "群众网上评价：不满意" in head_page and "评价意见秘标" not in head_page
    intake_page = signed_in(app, office.intake).get(f"/matters/{citizen_matter.id}").text
    assert "评价意见秘标" in intake_page


def test_a_dissatisfied_citizen_can_be_sent_back_to_rework_by_intake(app, client, session, office,
                                                                    citizen_matter):
    drive_to_approved(session, office, citizen_matter)
    services.rate_matter(session, citizen_matter, Satisfaction.DISSATISFIED, "没有解决")
    session.commit()

    matters.reopen_for_rework(session, office.intake, citizen_matter, "群众不满意，请重新核查。")
    session.commit()

    assert citizen_matter.status == MatterStatus.REWORK
    look_up(client, citizen_matter.serial, citizen_matter.query_code)
    page = client.get("/public/track/result").text
    assert "正在办理" in page and PUBLIC_REPLY not in page  # the old answer is withdrawn while reworked
    assert "群众不满意，请重新核查" not in page and "提交评价" not in page


def test_no_rating_before_the_reply(app, client, session, office, citizen_matter):
    look_up(client, citizen_matter.serial, citizen_matter.query_code)
    assert "评价办理结果" not in client.get("/public/track/result").text

    client.post("/public/track/rate", data={"satisfaction": "satisfied"})

    assert "办理结果答复后才能评价" in client.get("/public/track/result").text
    with pytest.raises(WorkflowError):
        services.rate_matter(session, citizen_matter, Satisfaction.SATISFIED)
    assert session.scalar(select(func.count()).select_from(CitizenRating)) == 0


def test_a_rating_needs_a_looked_up_matter(app, client, citizen_matter):
    response = client.post("/public/track/rate", data={"satisfaction": "satisfied"})

    assert response.status_code == 302 and response.location.endswith("/public/track")


def test_leaving_the_lookup_forgets_the_matter(app, client, citizen_matter):
    look_up(client, citizen_matter.serial, citizen_matter.query_code)
    client.post("/public/track/exit")

    assert client.get("/public/track/result").status_code == 302


def test_an_intake_call_back_shows_as_the_rating(app, client, session, office, make_matter):
    matter = make_matter("followed_up", satisfaction=Satisfaction.SATISFIED)
    look_up(client, matter.serial, matter.query_code)
    page = client.get("/public/track/result").text

    assert "评价结果：<strong>满意</strong>" in page and "电话回访" not in page and "提交评价" not in page


def test_the_deadline_shown_is_the_extended_one(app, client, session, office, citizen_matter):
    matters.update_summary(session, office.intake, citizen_matter, "摘要", citizen_matter.version)
    matters.accept_matter(session, office.intake, citizen_matter)
    matters.assign_matter(session, office.intake, citizen_matter, lead=office.department, assigned_title="反映窗口")
    matters.sign_assignment(session, office.head, citizen_matter.lead_assignment)
    extension = matters.request_extension(session, office.head, citizen_matter.lead_assignment,
                                          TODAY + timedelta(days=35), "需要调查")
    matters.decide_extension(session, office.supervisor, extension, True)
    session.commit()
    look_up(client, citizen_matter.serial, citizen_matter.query_code)
    page = client.get("/public/track/result").text
    new_due = TODAY + timedelta(days=35)

    assert f"办理时限</dt><dd>{new_due.year}年{new_due.month}月{new_due.day}日" in page
    assert "需要调查" not in page
