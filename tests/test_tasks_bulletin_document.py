"""督查通报 / 督查专报 (.docx): reopened with python-docx and read like the paper; one converted to PDF."""

from __future__ import annotations

from dataclasses import replace
from io import BytesIO

from docx import Document
from docx.oxml.ns import qn

from supervision.demo.paperwork import SAMPLE_PROFILE, SAMPLES
from supervision.paperwork import BUILDERS, pdf


def build(kind: str, data=None):
    data = SAMPLES[kind]() if data is None else data
    return Document(BytesIO(BUILDERS[kind](data, SAMPLE_PROFILE)))


def texts(doc) -> list[str]:
    return ["".join(t.text or "" for t in p.iter(qn("w:t"))) for p in doc.element.body.iter(qn("w:p"))]


def tables(doc) -> list[list[list[str]]]:
    return [[[c.text for c in row.cells] for row in t.rows] for t in doc.tables]


def test_bulletin_lists_items_by_light_late_units_progress_and_instructions():
    doc = build("task_bulletin")
    lines = texts(doc)
    text = "".join(lines)
    assert lines[:4] == ["示范市行政效能投诉中心", "督查通报", "督通〔2026〕11号", "关于2026年11月督查事项落实情况的通报"]
    assert "各有关单位：" in lines
    headings = [t for t in lines if t[:2] in ("一、", "二、", "三、", "四、", "五、")]
    assert headings == ["一、总体情况", "二、督查事项推进情况", "三、逾期单位", "四、领导批示", "五、工作要求"]
    assert "本期在办督查事项14项，其中新立项3项，办结销号2项；未办结事项中红灯2项，黄灯3项，绿灯7项。" in text
    assert "未完成任务平均进度64%" in text and "逾期未反馈3次" in text
    # red first, then yellow, green, and the items closed in the period
    groups = [t for t in lines if t.startswith("（")]
    # the headings count every item of the light; a list shorter than the count says where the rest are
    assert groups[:4] == ["（一）红灯事项（已逾期，2项）", "（二）黄灯事项（临近节点或完成时限，3项）",
                          "（三）绿灯事项（按计划推进，7项）", "（四）本期办结销号事项（2项）"]
    assert "以下列出时限最近的1项，其余2项见督查事项台账。" in lines
    red, yellow = tables(doc)[0], tables(doc)[1]
    assert red[0] == ["序号", "督查事项", "牵头单位", "完成时限", "进度", "最新进展"]
    assert red[1][1] == "老旧小区加装电梯三年行动年度任务\nDC-2026-00007" and red[1][4] == "60%"
    assert "分管：李副市长" in red[1][2] and red[1][3] == "2026年11月20日"
    assert yellow[1][1].startswith("第12次常务会议议定")
    units = tables(doc)[4]
    assert units[1] == ["1", "示范市住房和城乡建设局", "2", "1", "3", "8"]
    # a quotation inside the quoted 批示 takes single quotes
    assert ("王副市长在“市长批示：不动产登记‘一窗受理’压缩办理时限”的进度反馈上批示：“请规划局、审批局本月底前"
            "完成系统对接，督查室跟踪。”") in text
    assert "抄送：市政府办公室，市委督查室。" in text


def test_special_report_goes_to_the_leaders_with_the_next_steps():
    doc = build("task_report")
    lines = texts(doc)
    assert lines[1:4] == ["督查专报", "督专〔2026〕11号", "关于2026年11月督查事项落实情况的专报"]
    assert "各有关单位：" not in lines
    assert "现将有关情况报告如下。" in "".join(lines)
    assert "五、下一步工作" in lines and "五、工作要求" not in lines


def test_bulletin_without_items_late_units_or_instructions_says_so():
    data = replace(SAMPLES["task_bulletin"](), items=(), late_units=(), instructions=(), lights=(),
                   requirements="一是逐项对账。\n\n二是月底前全部反馈。")
    doc = build("task_bulletin", data)
    text = "".join(texts(doc))
    assert "本期无在办督查事项。" in text and "无逾期未完成督查任务的单位" in text and "本期无领导批示。" in text
    assert "1．一是逐项对账。" in text and "2．二是月底前全部反馈。" in text
    assert not doc.tables


def test_bulletin_converts_to_pdf(libreoffice):
    rendered = pdf.to_pdf(BUILDERS["task_bulletin"](SAMPLES["task_bulletin"](), SAMPLE_PROFILE))
    assert rendered is not None and rendered.startswith(b"%PDF")


def test_sample_items_carry_the_registers_serials_and_the_head_an_unpadded_number():
    """The sample's items are numbered as the register numbers them (``format_serial``: DC-2026-00007), and
    its 文号 follows GB/T 9704 §7.2.4 as every other document's: 〔2026〕11号, no leading zeros."""
    import re

    from supervision.tasks.services import format_serial

    for kind in ("task_bulletin", "task_report"):
        data = SAMPLES[kind]()
        for item in data.items:
            year, seq = re.fullmatch(r"DC-(\d{4})-(\d+)", item.serial).groups()
            assert item.serial == format_serial(int(year), int(seq)), item.serial
        head = texts(build(kind))[2]
        assert re.fullmatch(r"督[通专]〔2026〕[1-9]\d*号", head), head
