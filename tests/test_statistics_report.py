"""The work report (办理情况报告, 《信访条例》§41 style) of a period: generated from the statistics page, its
figures are the page's — checked against the hand-counted May of ``test_statistics``."""

from __future__ import annotations

import io
from datetime import date

import pytest
from docx import Document
from sqlalchemy import select

from matters_factories import last_audit, matter_input, signed_in
from test_statistics import MAY_ARGS, STATS_DAY, WINDOW, may  # noqa: F401
from supervision import clock
from supervision.models.documents import GeneratedDocument

REPORT_FORM = {"period": "month", "year": "2026", "month": "5"}


def generate_report(client, **extra):
    with clock.frozen(STATS_DAY):
        return client.post("/statistics/report", data={**REPORT_FORM, **extra})


def download(client, response) -> Document:
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    document = client.get(response.headers["Location"])
    assert document.status_code == 200
    return Document(io.BytesIO(document.data))


def text_of(doc) -> str:
    return "".join(p.text for p in doc.paragraphs)


def test_report_states_the_hand_counted_figures_of_the_page(app, session, office, may):
    client = signed_in(app, office.supervisor)
    doc = download(client, generate_report(client, next_steps="对逾期事项逐件督办。"))
    text = text_of(doc)

    assert doc.paragraphs[0].text == "关于2026年5月效能投诉和意见建议办理情况的报告"
    assert "本期共登记各类事项11件，其中效能投诉10件，意见建议1件。" in text
    assert "从来源渠道看，来电10件，意见箱1件。" in text
    assert "经审查受理8件。重复投诉率9.1%。" in text
    assert ("本期交办8件，已办结5件，其中按期办结4件；逾期2件，经批准延期1件，退回重办1件，"
            "承办单位提出异议退回1件。") in text
    assert "对临期、逾期事项催办1次，书面督办1件。" in text
    assert "下发整改通知书2份，按期完成整改1份，逾期未完成1份。" in text
    assert "开展谈话函询：诫勉谈话1件，函询1件。" in text
    assert "回访群众评价：满意1件，基本满意1件，不满意1件。" in text
    assert "按时办结率66.7%（4/6）" in text and "满意率66.7%（2/3）" in text and "重办率12.5%（1/8）" in text
    assert "整改按期完成率50.0%（1/2）" in text
    assert "对逾期事项逐件督办。" in text

    units = [[c.text for c in row.cells] for row in doc.tables[1].rows]
    assert units[1] == ["1", WINDOW, "3", "27.3%"]
    departments = [[c.text for c in row.cells] for row in doc.tables[2].rows]
    lead = next(r for r in departments if r[1] == office.department.name)
    assert lead[2:] == ["6", "3", "2", "1"]  # 交办 / 按期办结 / 逾期 / 督办, as on the page


def test_report_is_registered_audited_and_regenerated_as_a_new_revision(app, session, office, may):
    client = signed_in(app, office.supervisor)
    download(client, generate_report(client))
    download(client, generate_report(client))
    documents = session.scalars(select(GeneratedDocument).where(GeneratedDocument.doc_type == "work_report")
                                .order_by(GeneratedDocument.revision)).all()
    assert [(d.title, d.revision, d.number) for d in documents] == [
        ("2026年5月办理情况报告", 1, "效报〔2026〕1号"), ("2026年5月办理情况报告", 2, "效报〔2026〕1号")]
    entry, _ = last_audit(session, "document.generated")
    assert entry.actor_id == office.supervisor.id and "办理情况报告" in entry.summary


def test_report_never_names_a_complainant(app, session, office, may):
    client = signed_in(app, office.supervisor)
    doc = download(client, generate_report(client))
    everything = text_of(doc) + "".join(c.text for t in doc.tables for row in t.rows for c in row.cells)
    name, phone = matter_input().identity.name, matter_input().identity.phone
    assert name not in everything and phone not in everything


@pytest.mark.parametrize("role", ["intake", "head", "admin"])
def test_only_supervisors_and_leaders_generate_or_open_the_report(app, session, office, may, role):
    supervisor = signed_in(app, office.supervisor)
    location = generate_report(supervisor).headers["Location"]
    other = signed_in(app, getattr(office, role))
    assert generate_report(other).status_code == 403
    assert other.get(location).status_code in (403, 404)


def test_too_long_next_steps_are_refused_and_kept_on_the_page(app, session, office, may):
    client = signed_in(app, office.supervisor)
    response = generate_report(client, next_steps="督" * 2001)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "不能超过 2000 个字" in page and "督" * 2001 in page
    assert session.scalar(select(GeneratedDocument).where(GeneratedDocument.doc_type == "work_report")) is None


def test_a_custom_period_or_a_future_one_gets_a_clear_refusal(app, session, office, today):
    client = signed_in(app, office.supervisor)
    with clock.frozen(date(2026, 6, 10)):
        custom = client.post("/statistics/report", data={"period": "custom", "start": "2026-05-03",
                                                         "end": "2026-05-20"}, follow_redirects=True)
        future = client.post("/statistics/report", data={"period": "month", "year": "2026", "month": "9"},
                             follow_redirects=True)
        page = client.get(f"/statistics/?{MAY_ARGS}").get_data(as_text=True)
    assert "按月度、季度或年度生成" in custom.get_data(as_text=True)
    assert "统计期间尚未开始" in future.get_data(as_text=True)
    assert "生成2026年5月办理情况报告" in page
