"""The 督查通知 (GB/T 9704): `flask paperwork samples` writes it, and the issued one carries the item, its
source, every unit's task with milestones and deadlines, and the number."""

from __future__ import annotations

from docx import Document



def test_paperwork_samples_writes_the_task_notice(app, tmp_path):
    result = app.test_cli_runner().invoke(args=["paperwork", "samples", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    doc = Document(tmp_path / "out" / "task_notice.docx")
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "督查通知" in text and "督查〔2026〕12号" in text and "老旧小区加装电梯审批提速" in text
    assert "一、督查内容" in text and "二、任务分工" in text and "三、工作要求" in text
    assert "示范市住房和城乡建设局（牵头）" in text and "2026年4月15日前：提速方案报市政府" in text
    section = doc.sections[0]
    assert (round(section.page_width.mm), round(section.left_margin.mm), round(section.top_margin.mm)) == (210, 28, 37)


def test_a_provisional_deadline_is_marked_on_the_notice(app):
    from dataclasses import replace

    from supervision.demo.paperwork import SAMPLES
    from supervision.paperwork.builders import BUILDERS
    from supervision.documents.services import office_profile
    from io import BytesIO

    data = replace(SAMPLES["task_notice"](), deadline_provisional=True)
    text = "\n".join(p.text for p in Document(BytesIO(BUILDERS["task_notice"](data, office_profile(app.config)))).paragraphs)
    assert "2026年6月30日（推定）前完成" in text
