"""Paperwork: every generated .docx is reopened with python-docx and checked against GB/T 9704."""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import replace
from datetime import date, datetime
from io import BytesIO

import pytest
from docx import Document
from docx.oxml.ns import qn
from docx.shared import Emu, Pt

from supervision.paperwork import (
    BUILDERS,
    DOCUMENT_TITLES,
    AdmonitionMethod,
    AssignmentSlip,
    DocNumber,
    Fonts,
    InquiryNotice,
    OfficeProfile,
    RectificationNotice,
    ReminderNotice,
    SupervisionLevel,
    TalkRegister,
    format_cn_date,
    format_doc_number,
)
from supervision.paperwork import layout, pdf
from supervision.demo.paperwork import SAMPLE_PROFILE, SAMPLES

PORTRAIT_DOCUMENTS = [k for k in BUILDERS if k != "talk_register"]
DEPARTMENT_DOCUMENTS = {
    "assignment_slip": AssignmentSlip,
    "reminder_notice": ReminderNotice,
    "rectification_notice": RectificationNotice,
    "inquiry_notice": InquiryNotice,
}
# What identifies a complainant (《信访工作条例》§30): none of it may be a field of a document
# that goes to a department.
FORBIDDEN_FIELD_PARTS = (
    "complainant", "informant", "reporter", "whistleblower", "petitioner", "accuser",
    "submitter", "identity", "idcard", "id_card", "id_number", "work_unit", "employer",
)  # fmt: skip
FORBIDDEN_FIELD_WORDS = {"name", "phone", "mobile", "tel", "address", "email", "id"}
ALLOWED_FIELDS = {"contact_phone"}  # the office's own contact line


def is_identity_field(name: str) -> bool:
    """``complainant_*`` anywhere, or a word like ``name``/``phone`` (but not ``addressee``)."""
    if name in ALLOWED_FIELDS:
        return False
    return any(p in name for p in FORBIDDEN_FIELD_PARTS) or bool(
        FORBIDDEN_FIELD_WORDS & set(name.split("_"))
    )


# ---- helpers ---------------------------------------------------------------------------------


def build(kind: str, data=None, profile: OfficeProfile = SAMPLE_PROFILE):
    data = SAMPLES[kind]() if data is None else data
    return Document(BytesIO(BUILDERS[kind](data, profile)))


def paragraph_texts(doc) -> list[str]:
    """Every paragraph of the body, tables included, in document order."""
    return [
        "".join(t.text or "" for t in p.iter(qn("w:t")))
        for p in doc.element.body.iter(qn("w:p"))
    ]


def full_text(doc) -> str:
    return "\n".join(paragraph_texts(doc))


def style_rpr(doc, name: str):
    return doc.styles[name].element.rPr


def east_asia(rPr) -> str | None:
    return rPr.find(qn("w:rFonts")).get(qn("w:eastAsia"))


def half_points(rPr) -> int:
    return int(rPr.find(qn("w:sz")).get(qn("w:val")))


def shown_values(data) -> list[str]:
    """The strings a filled-in dataclass must put on paper (dates in Chinese form)."""
    found: list[str] = []

    def walk(value):
        if isinstance(value, str):
            if value:
                found.append(value)
        elif isinstance(value, datetime):
            found.append(format_cn_date(value))
        elif isinstance(value, date):
            found.append(format_cn_date(value))
        elif isinstance(value, tuple):
            for item in value:
                walk(item)
        elif dataclasses.is_dataclass(value) and not isinstance(value, DocNumber):
            for f in dataclasses.fields(value):
                walk(getattr(value, f.name))

    for f in dataclasses.fields(data):
        if f.name != "level":  # an enum: its Chinese label is checked separately
            walk(getattr(data, f.name))
    return found


def field_names(cls, seen=None) -> set[str]:
    """All field names of a dataclass, nested dataclasses included."""
    seen = set() if seen is None else seen
    names: set[str] = set()
    for name, hint in typing.get_type_hints(cls).items():
        names.add(name)
        for arg in (hint, *typing.get_args(hint), *(
            a for h in typing.get_args(hint) for a in typing.get_args(h)
        )):
            if dataclasses.is_dataclass(arg) and arg not in seen:
                seen.add(arg)
                names |= field_names(arg, seen)
    return names


# ---- text conventions ------------------------------------------------------------------------


def test_document_number_has_hexagonal_brackets_and_no_leading_zeros():
    assert format_doc_number("效整", 2026, 7) == "效整〔2026〕7号"
    assert format_doc_number("效整", 2026, 12) == "效整〔2026〕12号"
    assert "第" not in format_doc_number("诫勉", 2026, 1)


def test_document_number_rejects_sequence_zero():
    with pytest.raises(ValueError):
        format_doc_number("效整", 2026, 0)


def test_chinese_date_has_no_leading_zeros():
    assert format_cn_date(date(2026, 7, 1)) == "2026年7月1日"
    assert layout.format_cn_datetime(datetime(2026, 8, 10, 9, 30)) == "2026年8月10日9时30分"
    assert layout.format_cn_datetime(datetime(2026, 8, 10, 15, 0)) == "2026年8月10日15时"


def test_chinese_numerals_for_headings():
    assert [layout.heading_label(1, n) for n in (1, 10, 11, 20)] == ["一、", "十、", "十一、", "二十、"]
    assert layout.heading_label(2, 3) == "（三）"
    assert layout.heading_label(3, 2) == "2．"


def test_office_profile_prefixes_cannot_be_changed_after_creation():
    with pytest.raises(TypeError):
        SAMPLE_PROFILE.doc_prefixes["rectification"] = "X"  # type: ignore[index]


# ---- the page: GB/T 9704 ---------------------------------------------------------------------


@pytest.mark.parametrize("kind", PORTRAIT_DOCUMENTS)
def test_page_is_a4_with_gb9704_margins(kind):
    section = build(kind).sections[0]
    assert section.page_width.mm == pytest.approx(210, abs=0.1)
    assert section.page_height.mm == pytest.approx(297, abs=0.1)
    assert section.top_margin.mm == pytest.approx(37, abs=0.1)
    assert section.left_margin.mm == pytest.approx(28, abs=0.1)
    assert section.right_margin.mm == pytest.approx(26, abs=0.1)
    assert section.bottom_margin.mm == pytest.approx(35, abs=0.1)


def test_register_is_a4_landscape_with_the_same_text_block():
    section = build("talk_register").sections[0]
    assert section.page_width.mm == pytest.approx(297, abs=0.1)
    assert section.page_height.mm == pytest.approx(210, abs=0.1)
    text_width = Emu(section.page_width - section.left_margin - section.right_margin)
    text_height = Emu(section.page_height - section.top_margin - section.bottom_margin)
    assert text_width.mm == pytest.approx(225, abs=0.1)
    assert text_height.mm == pytest.approx(156, abs=0.1)


@pytest.mark.parametrize("kind", list(BUILDERS))
def test_document_grid_is_22_lines_of_28_characters(kind):
    grid = build(kind).sections[0]._sectPr.find(qn("w:docGrid"))
    assert grid.get(qn("w:type")) == "linesAndChars"
    assert int(grid.get(qn("w:linePitch"))) == 579  # 225 mm / 22, rounded down to twips
    assert int(grid.get(qn("w:charSpace"))) == -848  # (156 mm / 28 − 16 pt) × 4096
    assert 22 * 579 <= 225 / 25.4 * 1440 < 23 * 579


@pytest.mark.parametrize("kind", list(BUILDERS))
def test_body_is_16pt_fangsong_with_fixed_grid_spacing_and_2_char_indent(kind):
    doc = build(kind)
    normal = doc.styles["Normal"].element
    assert east_asia(normal.rPr) == "仿宋_GB2312"
    rfonts = normal.rPr.find(qn("w:rFonts"))
    assert rfonts.get(qn("w:ascii")) == rfonts.get(qn("w:hAnsi")) == "仿宋_GB2312"
    assert half_points(normal.rPr) == 32
    spacing = normal.pPr.find(qn("w:spacing"))
    assert (spacing.get(qn("w:line")), spacing.get(qn("w:lineRule"))) == ("579", "exact")
    assert normal.pPr.find(qn("w:ind")).get(qn("w:firstLineChars")) == "200"
    # no theme font may override the explicit names
    defaults = doc.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault"))
    assert defaults.find(qn("w:rPr")).find(qn("w:rFonts")).get(qn("w:eastAsiaTheme")) is None


@pytest.mark.parametrize("kind", list(BUILDERS))
def test_title_is_22pt_xiaobiaosong_centred(kind):
    doc = build(kind)
    title = next(p for p in doc.paragraphs if p.text)
    assert title.style.name == layout.STYLE_TITLE
    rPr = style_rpr(doc, layout.STYLE_TITLE)
    assert east_asia(rPr) == "方正小标宋简体"
    assert half_points(rPr) == 44
    assert doc.styles[layout.STYLE_TITLE].paragraph_format.alignment == 1  # centre
    assert DOCUMENT_TITLES[kind][-3:] in full_text(doc) or kind == "reminder_notice"


@pytest.mark.parametrize("kind", list(BUILDERS))
def test_footer_has_a_page_field_between_em_dashes_in_14pt_songti(kind):
    doc = build(kind)
    section = doc.sections[0]
    assert doc.settings.odd_and_even_pages_header_footer
    for footer, side in ((section.footer, "right"), (section.even_page_footer, "left")):
        p = footer.paragraphs[0]
        xml = p._p.xml
        kinds = [el.get(qn("w:fldCharType")) for el in p._p.iter(qn("w:fldChar"))]
        assert kinds == ["begin", "separate", "end"]
        assert [t.text.strip() for t in p._p.iter(qn("w:instrText"))] == ["PAGE"]
        assert p.text.startswith("— ") and p.text.endswith(" —")
        assert f'w:val="{side}"' in xml
        rPr = style_rpr(doc, p.style.name)
        assert east_asia(rPr) == "宋体"
        assert half_points(rPr) == 28


def test_headings_use_heiti_and_kaiti_and_run_on_text_returns_to_fangsong():
    doc = build("rectification_notice")
    assert east_asia(style_rpr(doc, layout.STYLE_HEADING1)) == "黑体"
    assert east_asia(style_rpr(doc, layout.STYLE_HEADING2)) == "楷体_GB2312"
    heading = next(p for p in doc.paragraphs if p.text == "一、存在的问题")
    assert heading.style.name == layout.STYLE_HEADING1
    paper = layout.OfficialDocument(SAMPLE_PROFILE)
    mixed = paper.heading(1, "三、", "整改时限为……")
    assert east_asia(mixed.runs[1]._r.rPr) == "仿宋_GB2312"


def _signature(doc, when: str):
    paragraphs = doc.paragraphs
    i = max(i for i, p in enumerate(paragraphs) if p.text == when)
    name, date_line = paragraphs[i - 1], paragraphs[i]
    assert name.style.name == date_line.style.name == layout.STYLE_SIGNATURE
    right = lambda p: int(p._p.pPr.find(qn("w:ind")).get(qn("w:rightChars")))  # noqa: E731
    return name.text, right(name), right(date_line)


def test_signature_date_is_four_characters_in_with_the_name_centred_over_it():
    profile = replace(SAMPLE_PROFILE, seal_text="某县效能办")
    # "2026年5月21日" is 6.5 characters wide, the name 5: centred, the name sits 0.75 further in
    assert _signature(build("inquiry_notice", profile=profile), "2026年5月21日") == (
        "某县效能办", 475, 400
    )


def test_long_signature_keeps_two_characters_and_centres_the_date_under_it():
    # an 11-character name over a 6.5-character date
    assert _signature(build("inquiry_notice"), "2026年5月21日") == (
        SAMPLE_PROFILE.signature_name, 200, 425
    )


def test_copy_to_block_is_14pt_fangsong_between_rules():
    doc = build("rectification_notice")
    copy = next(p for p in doc.paragraphs if p.text.startswith("抄送："))
    printed = next(p for p in doc.paragraphs if p.text.endswith("印发"))
    assert copy.text == "抄送：示范市人民政府办公室，示范市纪委监委第三监督检查室。"
    assert printed.text == "示范市行政效能投诉中心办公室\t2026年7月1日印发"
    rPr = style_rpr(doc, layout.STYLE_IMPRINT)
    assert east_asia(rPr) == "仿宋_GB2312" and half_points(rPr) == 28
    assert copy._p.pPr.find(qn("w:pBdr")).find(qn("w:top")) is not None
    assert printed._p.pPr.find(qn("w:pBdr")).find(qn("w:bottom")) is not None


# ---- what each document says -----------------------------------------------------------------


def test_rectification_notice_reads_like_the_paper():
    text = full_text(build("rectification_notice"))
    for expected in (
        "效整〔2026〕12号",
        "示范市市场监督管理局：",
        "2026年6月12日，示范市行政效能投诉中心对你单位开展了机关效能明察暗访",
        "一、存在的问题",
        "1．政务服务中心市场监管窗口",
        "5．局机关门户网站",
        "二、整改要求",
        "请于2026年7月31日（推定）前完成整改。",
        "经单位主要负责人签字并加盖单位公章",
        "联系人：陈静　　联系电话：0571-87654322",
        "特此通知。",
        "附件：1．明察暗访发现问题照片",
        "2026年7月1日",
    ):
        assert expected in text, expected


def test_rectification_deadline_is_marked_provisional_only_when_it_is():
    data = replace(SAMPLES["rectification_notice"](), deadline_provisional=False)
    text = full_text(build("rectification_notice", data))
    assert "请于2026年7月31日前完成整改。" in text
    assert "推定" not in text


def test_rectification_notice_ends_with_a_delivery_receipt_on_a_new_page():
    doc = build("rectification_notice")
    receipt_title = next(p for p in doc.paragraphs if p.text == "送达回执")
    organ_line = receipt_title._p.getprevious()
    assert organ_line.pPr.find(qn("w:pageBreakBefore")) is not None
    receipt = doc.tables[-1]
    labels = [row.cells[0].text for row in receipt.rows]
    for label in ("文书名称", "文\u3000\u3000号", "受送达单位", "签收人", "备\u3000\u3000注"):
        assert label in labels
    cells = {c.text for row in receipt.rows for c in row.cells}
    assert {"整改通知书", "效整〔2026〕12号", "示范市市场监督管理局", "签收日期"} <= cells


def test_assignment_slip_is_a_bordered_table_with_every_block():
    doc = build("assignment_slip")
    assert "编号：效交〔2026〕17号" in full_text(doc)
    table = doc.tables[0]
    assert table.style.name == "Table Grid"
    cells = [c.text for row in table.rows for c in row.cells]
    for label in (
        "事项编号", "来源渠道", "受理日期", "问题类别", "被投诉单位\n（人员）", "内容摘要",
        "拟办意见", "领导批示", "主办单位", "协办单位", "交办日期", "办理时限", "办理要求",
        "办理结果", "审核意见", "回访情况",
    ):  # fmt: skip
        assert label in cells, label
    assert "2026年3月24日（推定）" in cells
    result = next(c for row in table.rows for c in row.cells if "负责人（签字）" in c.text)
    assert "（盖章）" in result.text
    table_rPr = style_rpr(doc, layout.STYLE_TABLE)
    assert east_asia(table_rPr) == "仿宋_GB2312"


@pytest.mark.parametrize(
    ("level", "title", "prefix", "decision"),
    [
        (SupervisionLevel.phone, "催办单", "效催", "现予催办"),
        (SupervisionLevel.written, "督办通知书", "效督", "书面督办"),
        (SupervisionLevel.listed, "挂牌督办通知书", "效督", "挂牌督办"),
        (SupervisionLevel.elevated, "提级督办通知书", "效督", "提级督办"),
    ],
)
def test_reminder_title_number_and_wording_follow_the_level(level, title, prefix, decision):
    doc = build("reminder_notice", replace(SAMPLES["reminder_notice"](), level=level))
    texts = paragraph_texts(doc)
    assert title in texts
    assert f"{prefix}〔2026〕3号" in texts
    text = full_text(doc)
    assert decision in text
    assert "交办单（效交〔2026〕9号）" in text
    assert "已超过办理时限6个工作日" in text
    assert "办理时限为2026年4月10日" in text
    assert "请于2026年4月24日（推定）前" in text
    assert "这是对该事项的第二次催办" in text
    assert "示范市人民政府分管副市长" in text


def test_inquiry_notice_asks_for_a_signed_reply_within_15_working_days():
    text = full_text(build("inquiry_notice"))
    assert "函询〔2026〕5号" in text
    assert "现将有关情况函询你单位，请于2026年6月12日（推定）前" in text
    assert "15个工作日内" in text
    assert "经单位主要负责人签字" in text
    assert "抄送：中共示范市交通运输局党组，" in text


def test_admonition_notice_states_basis_decision_time_place_and_talkers():
    text = full_text(build("admonition_notice"))
    assert "诫勉〔2026〕2号" in text
    assert "张伟同志：" in text
    assert "据反映，你（示范市市场监督管理局登记注册科科长）存在履行窗口管理职责不力" in text
    assert "经中心主任办公会议研究，报示范市纪委监委分管领导批准，决定对你进行诫勉。" in text
    assert "请你于2026年8月10日9时30分到示范市行政效能投诉中心三楼谈话室接受诫勉谈话" in text
    assert "谈话人：刘强（示范市行政效能投诉中心副主任）" in text
    assert "六个月内不得提拔或者重用" in text
    assert "抄送：中共示范市市场监督管理局党组书记。" in text


def test_written_admonition_has_no_talk_appointment():
    data = replace(SAMPLES["admonition_notice"](), method=AdmonitionMethod.written)
    text = full_text(build("admonition_notice", data))
    assert "书面诫勉通知书" in text
    assert "现以书面方式对你进行诫勉" in text
    assert "接受诫勉谈话" not in text


def test_talk_record_has_people_times_conversation_and_three_signature_lines():
    doc = build("talk_record")
    text = full_text(doc)
    assert "2026年8月10日9时30分至10时45分" in text
    assert "问：下一步你打算怎样整改？" in text
    assert "答：我将逐条对照问题清单" in text
    assert "8月20日前完成窗口一次性告知单" in text
    people = {row.cells[0].text: [c.text for c in row.cells[1:]] for row in doc.tables[0].rows}
    assert people["谈话对象"] == ["张伟", "示范市市场监督管理局", "登记注册科科长"]
    assert people["记录人"] == ["周洋", "示范市行政效能投诉中心", "督查科科员"]
    signatures = [t for t in paragraph_texts(doc) if "（签字）：" in t]
    assert [s.split("（")[0] for s in signatures] == ["谈话对象", "谈话人", "记录人"]
    assert all(s.endswith("日") and "年" in s and "月" in s for s in signatures)


def test_talk_register_is_a_table_with_a_repeating_header_row():
    doc = build("talk_register")
    assert "2026年度谈话登记表" in paragraph_texts(doc)
    table = doc.tables[0]
    header = [c.text for c in table.rows[0].cells]
    assert header == [
        "序号", "谈话类型", "谈话时间", "谈话人\n姓名", "谈话人\n单位", "谈话人\n职务",
        "谈话对象", "谈话事由", "备注",
    ]  # fmt: skip
    assert table.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None
    first = [c.text for c in table.rows[1].cells]
    assert first[:4] == ["1", "提醒谈话", "2026年5月12日15时", "刘强"]
    assert east_asia(style_rpr(doc, layout.STYLE_REGISTER)) == "仿宋_GB2312"


def test_long_register_is_not_padded_and_keeps_every_row():
    rows = SAMPLES["talk_register"]().rows * 10
    doc = build("talk_register", TalkRegister(rows=rows, period="2026年度"))
    assert len(doc.tables[0].rows) == 1 + 30


# ---- whistleblower protection ----------------------------------------------------------------


@pytest.mark.parametrize("kind", list(DEPARTMENT_DOCUMENTS))
def test_department_documents_have_no_field_for_complainant_identity(kind):
    names = field_names(DEPARTMENT_DOCUMENTS[kind])
    leaking = {n for n in names if is_identity_field(n)}
    assert not leaking, f"{kind} could carry complainant identity in {leaking}"


@pytest.mark.parametrize("kind", list(DEPARTMENT_DOCUMENTS))
def test_department_documents_print_every_field_they_hold(kind):
    data = SAMPLES[kind]()
    assert isinstance(data, DEPARTMENT_DOCUMENTS[kind])
    # the sample fills every field, so nothing is hidden in a default
    for f in dataclasses.fields(data):
        assert getattr(data, f.name) not in (None, "", ()), f"sample leaves {f.name} empty"
    text = full_text(build(kind, data)).replace("\n", "")
    missing = [v for v in shown_values(data) if v not in text]
    assert not missing


@dataclasses.dataclass(frozen=True)
class _Caller:
    phone: str


@dataclasses.dataclass(frozen=True)
class _Leaky:
    summary: str
    caller: _Caller | None = None


def test_field_introspection_would_catch_an_identity_field():
    assert is_identity_field("complainant_name") and is_identity_field("home_address")
    assert not is_identity_field("addressee") and not is_identity_field("contact_phone")
    assert {n for n in field_names(_Leaky) if is_identity_field(n)} == {"phone"}


# ---- configuration ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(BUILDERS))
def test_configured_font_names_reach_the_xml(kind):
    profile = replace(
        SAMPLE_PROFILE, fonts=Fonts(body="仿宋", title="小标宋", heading1="方正黑体_GBK")
    )
    doc = build(kind, profile=profile)
    assert east_asia(doc.styles["Normal"].element.rPr) == "仿宋"
    assert east_asia(style_rpr(doc, layout.STYLE_TITLE)) == "小标宋"
    assert east_asia(style_rpr(doc, layout.STYLE_HEADING1)) == "方正黑体_GBK"
    assert "仿宋_GB2312" not in doc.styles.element.xml
    assert "仿宋_GB2312" not in doc.element.xml


def test_office_name_and_prefixes_come_from_the_profile():
    profile = OfficeProfile(
        office_name="某县纪委监委党风政风监督室",
        doc_prefixes={**SAMPLE_PROFILE.doc_prefixes, "rectification": "县纪整"},
        contact_person="吴一",
        contact_phone="0000-1234567",
    )
    data = replace(SAMPLES["rectification_notice"](), contact_person="", contact_phone="")
    text = full_text(build("rectification_notice", data, profile))
    assert "县纪整〔2026〕12号" in text
    assert "某县纪委监委党风政风监督室" in text
    assert "联系人：吴一　　联系电话：0000-1234567" in text
    assert SAMPLE_PROFILE.office_name not in text


def test_missing_prefix_is_reported_by_name():
    profile = OfficeProfile(office_name="某中心", doc_prefixes={"assignment": "交"})
    with pytest.raises(KeyError, match="rectification"):
        BUILDERS["rectification_notice"](SAMPLES["rectification_notice"](), profile)


# ---- PDF -------------------------------------------------------------------------------------


def test_pdf_is_none_without_libreoffice(monkeypatch):
    monkeypatch.setattr(pdf.shutil, "which", lambda name: None)
    data = BUILDERS["inquiry_notice"](SAMPLES["inquiry_notice"](), SAMPLE_PROFILE)
    assert pdf.to_pdf(data) is None


def test_libreoffice_copy_drops_the_char_grid_and_condenses_the_body():
    original = BUILDERS["inquiry_notice"](SAMPLES["inquiry_notice"](), SAMPLE_PROFILE)
    doc = Document(BytesIO(layout.adapt_for_libreoffice(original)))
    grid = doc.sections[0]._sectPr.find(qn("w:docGrid"))
    assert grid.get(qn("w:type")) == "lines" and grid.get(qn("w:charSpace")) is None
    condense = doc.styles["Normal"].element.rPr.find(qn("w:spacing")).get(qn("w:val"))
    assert int(condense) == -5
    assert 28 * (16 + int(condense) / 20) <= Pt(156 / 25.4 * 72).pt


def test_pdf_conversion_produces_a_pdf(libreoffice):
    data = BUILDERS["admonition_notice"](SAMPLES["admonition_notice"](), SAMPLE_PROFILE)
    rendered = pdf.to_pdf(data)
    assert rendered is not None and rendered.startswith(b"%PDF")


# ---- 办理情况报告 ------------------------------------------------------------------------------


def test_work_report_states_counts_problem_areas_units_and_supervision_figures():
    data = SAMPLES["work_report"]()
    doc = build("work_report", data)
    texts = paragraph_texts(doc)
    text = "".join(texts)
    assert texts[0] == "关于2026年10月效能投诉和意见建议办理情况的报告"
    headings = [t for t in texts if t[:2] in ("一、", "二、", "三、", "四、", "五、", "六、")]
    assert headings == ["一、受理情况", "二、反映的主要问题", "三、被投诉较多的单位", "四、转送、交办和督办情况",
                        "五、办理质效", "六、下一步工作"]
    assert "本期共登记各类事项48件，其中效能投诉31件，意见建议12件，检查发现5件。" in text
    assert "经审查受理41件。" in text
    assert "本期交办39件，已办结30件，其中按期办结27件；逾期5件" in text
    assert "催办9次，书面督办3件，挂牌督办1件。" in text
    assert "按时办结率90.0%（27/30）" in text and "整改按期完成率66.7%（2/3）" in text
    assert "重复投诉率6.2%" in text
    # the two breakdowns and the department table are real tables with the counts in cells
    tables = [[[c.text for c in row.cells] for row in t.rows] for t in doc.tables]
    assert ["1", "办事拖拉", "12", "25.0%"] in tables[0]
    assert ["1", "示范市不动产登记中心", "7", "14.6%"] in tables[1]
    assert ["2", "示范市市场监督管理局", "7", "7", "0", "0"] in tables[2]
    assert "二是对被投诉较多的单位开展专项检查。" in texts


def test_work_report_without_next_steps_or_matters_says_so_instead_of_empty_tables():
    data = replace(SAMPLES["work_report"](), categories=(), top_units=(), departments=(), next_steps="",
                   satisfaction=())
    doc = build("work_report", data)
    text = full_text(doc)
    assert "本期未登记分类事项。" in text and "本期无被投诉单位。" in text and "本期无回访评价。" in text
    assert "六、下一步工作" not in text
    assert not doc.tables


def test_work_report_has_no_field_that_could_name_a_person():
    from supervision.paperwork import WorkReport

    leaking = {n for n in field_names(WorkReport) if is_identity_field(n)}
    assert not leaking
