"""The citizen's progress page: the steps a citizen may see, each once, the rework between two reports
and a granted extension with its new date (issue 18 item 14)."""

from __future__ import annotations

from datetime import timedelta

from supervision.matters import services
from supervision.portal.queries import progress_of


def test_rework_and_extension_show_on_the_public_steps(session, office, make_matter):
    matter = make_matter("rework")
    assignment = matter.lead_assignment
    wanted = assignment.due_on + timedelta(days=14)
    extension = services.request_extension(session, office.head, assignment, wanted, "需现场调查")
    services.decide_extension(session, office.supervisor, extension, True)
    services.submit_reply(session, office.head, assignment, "补充调查完毕。", "已补充调查并整改。")
    session.commit()
    texts = [step.text for step in progress_of(session, matter).steps]
    reply = "承办单位报送办理结果，进入审核"
    assert texts.count(reply) == 2
    first, second = texts.index(reply), len(texts) - 1 - texts[::-1].index(reply)
    between = texts[first + 1:second]
    assert "办理结果审核未通过，退回承办单位重新办理" in between
    assert f"经批准延期，办理时限延至 {assignment.due_on:%Y-%m-%d}" in between
    assert all(a != b for a, b in zip(texts, texts[1:]))  # no step said twice in a row
    assert not any("核实不清" in t or "需现场调查" in t for t in texts)  # staff's own words stay inside
