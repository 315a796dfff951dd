"""The talk papers: each generated .docx reopened and read — numbers, wording, signature lines — and
no department-bound document carrying a complainant's identity or the complaint itself."""

from __future__ import annotations

import io
import re
from datetime import date

import docx
import pytest
from sqlalchemy import select

from matters_factories import last_audit, signed_in
from supervision.errors import ValidationError
from supervision.matters.services import IdentityInput
from supervision.models.documents import GeneratedDocument
from supervision.models.talks import TalkKind

MARKERS = {"name": "举报人标记甲乙丙", "phone": "13900001111", "id_number": "110101199001017777",
           "address": "标记路八十八号", "work_unit": "标记科技有限公司"}
CONTENT_MARKER = "原始反映内容标记XYZ"
NUMBER = re.compile(r"〔(\d{4})〕([1-9]\d*)号")


def text_of(data: bytes) -> str:
    """Every paragraph and every table cell (nested too), headers and footers included."""
    document = docx.Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]

    def cells(tables):
        for table in tables:
            for row in table.rows:
                for cell in row.cells:
                    parts.append(cell.text)
                    cells(cell.tables)

    cells(document.tables)
    for section in document.sections:
        parts += [p.text for p in section.header.paragraphs] + [p.text for p in section.footer.paragraphs]
    return "\n".join(parts)


def generate(client, talk, doc_type):
    response = client.post(f"/talks/{talk.id}/documents/{doc_type}")
    assert response.status_code == 302, response.text
    assert "/documents/" in response.location, response.location
    download = client.get(response.location)
    assert download.status_code == 200 and "attachment" in download.headers["Content-Disposition"]
    return download.data


def test_admonition_notice_reads_like_the_official_notice(app, office, make_talk):
    talk = make_talk("notified")
    text = text_of(generate(signed_in(app, office.supervisor), talk, "admonition_notice"))
    assert "诫勉谈话通知书" in text and "诫勉〔2026〕1号" in text
    assert "周建华同志：" in text and "市市场监督管理局行政审批科科长" in text
    assert "据反映，你（市市场监督管理局行政审批科科长）存在对窗口工作人员教育管理不力" in text
    assert "经中心主任办公会研究" in text and f"报{office.leader.display_name}同志批准" in text
    assert "2026年5月29日14时30分到中心三楼谈话室接受诫勉谈话" in text and "张卫东" in text
    assert "六个月内不得提拔或者重用" in text and "行政审批科党支部" in text
    assert "抄送：市市场监督管理局党组（党委）主要负责同志" in text and "2026年6月1日" in text
    assert not re.search(r"〔\d{4}〕0", text) and not re.search(r"年0\d月|月0\d日", text)


def test_talk_record_has_the_conversation_and_signature_lines(app, office, make_talk):
    talk = make_talk("held")
    text = text_of(generate(signed_in(app, office.supervisor), talk, "talk_record"))
    assert "诫勉谈话记录" in text and "2026年5月29日14时30分至15时20分" in text and "中心三楼谈话室" in text
    assert "周建华" in text and "行政审批科科长" in text and "张卫东" in text and "孙明" in text
    assert "问：群众反映的问题你是否清楚？" in text and "答：清楚，我负有管理责任。" in text
    assert "接受组织诫勉，立即整改。" in text and "建立材料清单" in text
    for role in ("谈话对象（签字）", "谈话人（签字）", "记录人（签字）"):
        assert role in text
    assert not NUMBER.search(text)  # a record is not a numbered document


def test_a_reminder_talk_record_is_titled_by_its_kind(app, session, office, make_talk):
    talk = make_talk("held", kind=TalkKind.REMINDER)
    text = text_of(generate(signed_in(app, office.supervisor), talk, "talk_record"))
    assert "提醒谈话记录" in text and "诫勉谈话记录" not in text
    assert session.scalar(select(GeneratedDocument.title)) == f"〔{talk.serial}〕周建华提醒谈话记录"


def test_inquiry_notice_lists_the_summaries_and_the_working_day_deadline(app, office, make_talk, make_matter):
    matter = make_matter("in_progress", summary="群众反映窗口未一次性告知补正材料。")
    talk = make_talk("notified", kind=TalkKind.INQUIRY, matters=[matter])
    text = text_of(generate(signed_in(app, office.supervisor), talk, "inquiry_notice"))
    assert "函询通知书" in text and "函询〔2026〕1号" in text and "市市场监督管理局：" in text
    assert "1．群众反映窗口未一次性告知补正材料。" in text
    assert "请于2026年6月23日前（自收到本通知之日起15个工作日内）书面说明" in text and "（推定）" not in text
    assert "经单位主要负责人签字" in text and "抄送：市市场监督管理局党组（党委）" in text


def test_a_provisional_inquiry_deadline_is_printed_as_such(app, session, office, make_talk):
    from supervision import clock
    from supervision.talks import services

    talk = make_talk("approved", kind=TalkKind.INQUIRY)
    with clock.frozen(date(2026, 12, 15)):
        services.notify_talk(session, office.supervisor, talk)
        session.commit()
        text = text_of(generate(signed_in(app, office.supervisor), talk, "inquiry_notice"))
    assert "2027年1月6日（推定）前" in text


def test_regenerating_keeps_the_number_and_the_next_notice_takes_the_next(app, session, office, make_talk):
    client = signed_in(app, office.supervisor)
    first, second = make_talk("approved"), make_talk("approved")
    generate(client, first, "admonition_notice")
    generate(client, first, "admonition_notice")
    generate(client, second, "admonition_notice")
    rows = session.scalars(select(GeneratedDocument).order_by(GeneratedDocument.id)).all()
    assert [(r.number, r.revision) for r in rows] == [("诫勉〔2026〕1号", 1), ("诫勉〔2026〕1号", 2),
                                                      ("诫勉〔2026〕2号", 1)]
    entry, changes = last_audit(session, "document.generated")
    assert changes["subject"] == f"talk:{second.id}" and "诫勉〔2026〕2号" in entry.summary


@pytest.mark.parametrize(("status", "kind", "doc_type", "message"), [
    ("notified", TalkKind.ADMONITION, "talk_record", "谈话尚未进行"),
    ("proposed", TalkKind.ADMONITION, "admonition_notice", "须在领导批准后生成"),
    ("held", TalkKind.REMINDER, "admonition_notice", "提醒谈话没有诫勉谈话通知书"),
    ("approved", TalkKind.INQUIRY, "inquiry_notice", "请先发出函询"),
    ("held", TalkKind.ADMONITION, "inquiry_notice", "诫勉谈话没有函询通知书"),
    ("replied", TalkKind.INQUIRY, "talk_record", "函询没有诫勉谈话记录"),
])
def test_a_document_the_state_does_not_have_is_refused_with_a_message(app, session, office, make_talk,
                                                                       status, kind, doc_type, message):
    talk = make_talk(status, kind=kind)
    client = signed_in(app, office.supervisor)
    response = client.post(f"/talks/{talk.id}/documents/{doc_type}")
    assert response.status_code == 302 and response.location.endswith(f"/talks/{talk.id}")
    assert message in client.get(response.location).text
    assert session.scalar(select(GeneratedDocument)) is None


def test_missing_office_configuration_is_a_clear_message(session, office, make_talk, tmp_path):
    from supervision.talks import services

    talk = make_talk("approved")
    with pytest.raises(ValidationError, match="未配置单位名称（OFFICE_NAME）"):
        services.generate_talk_document(session, office.supervisor, talk, "admonition_notice",
                                        config={"ADMONITION_INFLUENCE_MONTHS": 6}, folder=tmp_path)
    with pytest.raises(ValidationError, match="机关代字"):
        services.generate_talk_document(session, office.supervisor, talk, "admonition_notice", folder=tmp_path,
                                        config={"OFFICE_NAME": "某中心", "DOC_PREFIXES": {"admonition": ""},
                                                "ADMONITION_INFLUENCE_MONTHS": 6})
    assert session.scalar(select(GeneratedDocument)) is None


def test_register_of_talks_in_a_period(app, session, office, make_talk):
    make_talk("held", kind=TalkKind.REMINDER, subject_name="孙丽")
    make_talk("held", subject_name="周建华")
    make_talk("notified", kind=TalkKind.CRITICISM, subject_name="未谈者")  # not held: not in the register
    client = signed_in(app, office.supervisor)
    page = client.get("/talks/register?date_from=2026-05-01&date_to=2026-05-31")
    assert page.status_code == 200 and "孙丽" in page.text and "未谈者" not in page.text
    response = client.post("/talks/register", data={"date_from": "2026-05-01", "date_to": "2026-05-31"})
    assert response.status_code == 302
    text = text_of(client.get(response.location).data)
    assert "2026年5月谈话登记表" in text and "填报单位：" in text
    assert "提醒谈话" in text and "诫勉谈话" in text and "孙丽" in text and "周建华" in text
    assert "影响期至2026年11月29日" in text and "未谈者" not in text
    assert session.scalar(select(GeneratedDocument.number).where(GeneratedDocument.doc_type == "talk_register")) == ""


@pytest.mark.parametrize(("date_from", "date_to", "message"), [
    ("2026-05-31", "2026-05-01", "起始日期不能晚于截止日期"),
    ("2026-01-01", "2026-01-31", "期间没有已进行的谈话"),
])
def test_register_refuses_a_bad_period(app, office, make_talk, date_from, date_to, message):
    make_talk("held")
    response = signed_in(app, office.supervisor).post("/talks/register",
                                                      data={"date_from": date_from, "date_to": date_to})
    assert response.status_code == 400 and message in response.text


def test_department_head_downloads_the_inquiry_notice_but_never_a_talk_record(app, session, office, make_talk):
    client = signed_in(app, office.supervisor)
    inquiry, talk = make_talk("notified", kind=TalkKind.INQUIRY), make_talk("held")
    generate(client, inquiry, "inquiry_notice")
    generate(client, talk, "admonition_notice")
    generate(client, talk, "talk_record")
    docs = {d.doc_type: d for d in session.scalars(select(GeneratedDocument))}
    assert docs["talk_record"].department_id is None
    head, other = signed_in(app, office.head), signed_in(app, office.other_head)
    assert head.get(f"/documents/{docs['inquiry_notice'].id}").status_code == 200
    assert head.get(f"/documents/{docs['admonition_notice'].id}").status_code == 200
    assert head.get(f"/documents/{docs['talk_record'].id}").status_code == 404
    for doc in docs.values():
        assert other.get(f"/documents/{doc.id}").status_code == 404
    register = signed_in(app, office.leader).get("/documents/?type=inquiry_notice")
    assert "函询〔2026〕1号" in register.text


def test_no_document_of_the_area_carries_complainant_identity_or_content(app, session, office, make_talk,
                                                                          make_matter):
    matter = make_matter("in_progress", content=CONTENT_MARKER, summary="群众反映窗口办事拖拉。",
                         respondent_person="周建华", identity=IdentityInput(**MARKERS))
    client = signed_in(app, office.supervisor)
    inquiry = make_talk("notified", kind=TalkKind.INQUIRY, matters=[matter])
    admonition = make_talk("held", matters=[matter])
    reminder = make_talk("held", kind=TalkKind.REMINDER, matters=[matter])
    texts = [text_of(generate(client, inquiry, "inquiry_notice")),
             text_of(generate(client, admonition, "admonition_notice")),
             text_of(generate(client, admonition, "talk_record")),
             text_of(generate(client, reminder, "talk_record"))]
    response = client.post("/talks/register", data={"date_from": "2026-05-01", "date_to": "2026-06-01"})
    texts.append(text_of(client.get(response.location).data))
    assert "群众反映窗口办事拖拉。" in texts[0]  # the summary is what the department gets
    for text in texts:
        for marker in [*MARKERS.values(), CONTENT_MARKER]:
            assert marker not in text
    assert len(texts) == 5


def test_a_pdf_copy_when_libreoffice_is_installed(app, session, office, make_talk, libreoffice):
    talk = make_talk("approved")
    client = signed_in(app, office.supervisor)
    generate(client, talk, "admonition_notice")
    document = session.scalar(select(GeneratedDocument))
    response = client.get(f"/talks/documents/{document.id}.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")
    assert signed_in(app, office.head).get(f"/talks/documents/{document.id}.pdf").status_code == 403
