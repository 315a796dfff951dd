"""Issue 15, talks: a talk is not recorded as held before its notified time; a talk time on a rest day is
asked about; 书面诫勉 is a form of 诫勉; the 申诉 right (one month, 问责条例) is on the notice and tracked;
the notice names the approver by office; the talk record downloads as 〔number〕+ name (docs/domain.md §5)."""

from __future__ import annotations

from datetime import date, datetime

import re

import pytest

from matters_factories import last_audit, signed_in
from supervision import clock
from supervision.errors import PermissionDenied, ValidationError, WorkflowError
from supervision.models.talks import AdmonitionForm, AppealOutcome, TalkKind, TalkStatus
from supervision.talks import services
from talks_factories import INFLUENCE_MONTHS, held_input, talk_input
from test_talks_documents import generate, text_of

SCHEDULED = datetime(2026, 6, 3, 14, 30)  # a Wednesday


def _notified(session, office, **fields):
    talk = services.propose_talk(session, office.supervisor, talk_input(office, scheduled_at=SCHEDULED, **fields))
    services.approve_talk(session, office.leader, talk, "同意。")
    services.notify_talk(session, office.supervisor, talk)
    session.commit()
    return talk


def test_a_talk_cannot_be_recorded_as_held_before_its_notified_time(session, office):
    talk = _notified(session, office)
    with clock.frozen(date(2026, 6, 4)):
        with pytest.raises(ValidationError, match="不能早于通知的谈话时间（2026-06-03 14:30）"):
            services.record_talk(session, office.supervisor, talk, held_input(
                started_at=datetime(2026, 6, 3, 9), ended_at=datetime(2026, 6, 3, 10)), influence_months=6)
        services.record_talk(session, office.supervisor, talk, held_input(
            started_at=datetime(2026, 6, 3, 14, 35), ended_at=datetime(2026, 6, 3, 15, 20)), influence_months=6)
    assert talk.status == TalkStatus.HELD


def test_a_talk_time_on_a_rest_day_is_asked_about_once(session, office):
    talk = services.propose_talk(session, office.supervisor, talk_input(
        office, scheduled_at=datetime(2026, 6, 6, 9, 30)))
    services.approve_talk(session, office.leader, talk, "同意。")
    with pytest.raises(ValidationError, match="谈话时间 2026-06-06（星期六）不是工作日.*2026-06-08"):
        services.notify_talk(session, office.supervisor, talk)
    services.notify_talk(session, office.supervisor, talk, rest_day_confirmed=True)
    assert last_audit(session, "talk.notify", talk)[1]["rest_day"] is True


def test_the_notify_form_offers_the_rest_day_confirmation(app, session, office):
    talk = services.propose_talk(session, office.supervisor, talk_input(
        office, scheduled_at=datetime(2026, 6, 6, 9, 30)))
    services.approve_talk(session, office.leader, talk, "同意。")
    session.commit()
    supervisor = signed_in(app, office.supervisor)
    response = supervisor.post(f"/talks/{talk.id}/act/notify", data={
        "version": talk.version, "scheduled_at": "2026-06-06T09:30", "place": "谈话室"})
    assert response.status_code == 400 and "不是工作日" in response.text and "确认在非工作日谈话" in response.text
    response = supervisor.post(f"/talks/{talk.id}/act/notify", data={
        "version": talk.version, "scheduled_at": "2026-06-06T09:30", "place": "谈话室", "rest_day_confirmed": "y"})
    assert response.status_code == 302, re.findall(r'class="flash[^>]*>([^<]*)', response.text)


def test_a_written_admonition_is_served_not_held_and_starts_the_measure(app, session, office):
    talk = services.propose_talk(session, office.supervisor, talk_input(
        office, admonition_form=AdmonitionForm.WRITTEN, scheduled_at=None, place="", talkers=[], recorder=None))
    services.approve_talk(session, office.leader, talk, "同意书面诫勉。")
    services.notify_talk(session, office.supervisor, talk)
    session.commit()
    text = text_of(generate(signed_in(app, office.supervisor), talk, "admonition_notice"))
    assert "书面诫勉通知书" in text and "现以书面方式对你进行诫勉" in text and "接受诫勉谈话" not in text
    with clock.frozen(date(2026, 6, 3)):
        services.record_talk(session, office.supervisor, talk, services.HeldInput(
            started_at=datetime(2026, 6, 2, 10), ended_at=None, exchanges=[], statement=""),
            influence_months=INFLUENCE_MONTHS)
    assert talk.status == TalkStatus.HELD and talk.measure_on == date(2026, 6, 2)
    assert talk.influence_ends_on == date(2026, 12, 2) and talk.appeal_due_on == date(2026, 7, 2)
    assert "talk_record" not in services.available_documents(talk)


def test_the_admonition_notice_states_the_appeal_right_and_the_approving_office(app, session, office):
    app.config["TALK_APPROVER_TITLE"] = "中心分管领导"
    talk = _notified(session, office)
    text = text_of(generate(signed_in(app, office.supervisor), talk, "admonition_notice"))
    assert f"报中心分管领导{office.leader.display_name}同志批准" in text
    assert "自收到本通知之日起一个月内" in text and "提出书面申诉" in text


def test_an_appeal_within_a_month_is_recorded_later_refused(session, office, make_talk):
    talk = make_talk("held")  # held 2026-05-29
    assert talk.appeal_due_on == date(2026, 6, 29)
    with clock.frozen(date(2026, 6, 30)):
        with pytest.raises(ValidationError, match="已超过申诉期限（2026-06-29"):
            services.record_appeal(session, office.supervisor, talk, date(2026, 6, 30), "认为事实不清")
    services.record_appeal(session, office.supervisor, talk, date(2026, 6, 1), "认为事实不清")
    assert talk.appeal_received_on == date(2026, 6, 1)
    assert last_audit(session, "talk.appeal", talk)[1]["note"] == "认为事实不清"
    with pytest.raises(WorkflowError, match="已于 2026-06-01 登记"):
        services.record_appeal(session, office.supervisor, talk, date(2026, 6, 1), "再次申诉")



def test_an_appeal_is_answered_within_a_month_and_a_revoked_admonition_has_no_influence(app, session, office,
                                                                                       make_talk, paperwork):
    """问责条例 §21: the deciding body answers a written appeal within one month with a 申诉处理决定 —
    维持, 变更 or 撤销; the appeal does not stop the measure until then."""
    talk = make_talk("held")  # 诫勉 2026-05-29
    with clock.frozen(date(2026, 6, 2)):
        services.record_appeal(session, office.supervisor, talk, date(2026, 6, 1), "认为事实不清")
        session.commit()
    assert talk.appeal_answer_due_on == date(2026, 7, 1)
    assert talk.influence_active(date(2026, 6, 10))  # 申诉期间不停止执行
    with clock.frozen(date(2026, 7, 2)):
        page = signed_in(app, office.supervisor).get(f"/talks/{talk.id}").text
        assert "申诉处理决定" in page and "应于 2026年7月1日 前作出" in page and "逾期未作出" in page
        assert "申诉处理决定" not in signed_in(app, office.head).get(f"/talks/{talk.id}").text
        with pytest.raises(PermissionDenied):
            services.decide_appeal(session, office.head, talk, AppealOutcome.REVOKED, date(2026, 6, 20), "撤销。",
                                   paperwork=paperwork)
        with pytest.raises(ValidationError, match="不能早于收到申诉的日期"):
            services.decide_appeal(session, office.leader, talk, AppealOutcome.REVOKED, date(2026, 5, 30), "撤销。",
                                   paperwork=paperwork)
        with pytest.raises(ValidationError, match="请填写申诉处理决定"):
            services.decide_appeal(session, office.leader, talk, AppealOutcome.REVOKED, date(2026, 6, 20), " ",
                                   paperwork=paperwork)
        response = signed_in(app, office.leader).post(f"/talks/{talk.id}/appeal/decision", data={
            "outcome": "revoked", "decided_on": "2026-06-20", "decision": "经复查，反映的问题事实不清，撤销诫勉。"})
        assert response.status_code == 302
    session.expire_all()
    assert talk.appeal_outcome == AppealOutcome.REVOKED and talk.appeal_decided_on == date(2026, 6, 20)
    assert not talk.influence_active(date(2026, 6, 25))  # a revoked 诫勉 has no influence period left
    entry, changes = last_audit(session, "talk.appeal_decided", talk)
    assert changes["outcome"] == "revoked" and "撤销诫勉" in entry.summary
    with pytest.raises(WorkflowError, match="已于 2026-06-20 作出"):
        services.decide_appeal(session, office.leader, talk, AppealOutcome.UPHELD, date(2026, 6, 21), "维持。",
                               paperwork=paperwork)
    with clock.frozen(date(2026, 7, 2)):
        page = signed_in(app, office.supervisor).get(f"/talks/{talk.id}").text
    assert "撤销诫勉" in page and "逾期未作出" not in page


def test_a_changed_admonition_takes_its_new_influence_period_and_an_upheld_one_keeps_it(session, office, make_talk,
                                                                                      paperwork):
    changed, upheld = make_talk("held"), make_talk("held")
    with clock.frozen(date(2026, 6, 2)):
        for talk in (changed, upheld):
            services.record_appeal(session, office.supervisor, talk, date(2026, 6, 1), "认为处理过重")
        with pytest.raises(ValidationError, match="请填写变更后的影响期"):
            services.decide_appeal(session, office.leader, changed, AppealOutcome.CHANGED, date(2026, 6, 2), "减轻。",
                                   paperwork=paperwork)
        services.decide_appeal(session, office.leader, changed, AppealOutcome.CHANGED, date(2026, 6, 2),
                               "影响期调整为三个月。", influence_months=3, paperwork=paperwork)
        ends = upheld.influence_ends_on
        services.decide_appeal(session, office.supervisor, upheld, AppealOutcome.UPHELD, date(2026, 6, 2), "维持。",
                               paperwork=paperwork)
    assert changed.influence_months == 3 and changed.influence_ends_on == date(2026, 8, 29)
    assert upheld.influence_ends_on == ends and upheld.influence_active(date(2026, 6, 10))

def test_the_talk_record_downloads_as_number_and_name(app, session, office, make_talk):
    talk = make_talk("held")
    client = signed_in(app, office.supervisor)
    response = client.post(f"/talks/{talk.id}/documents/talk_record")
    download = client.get(response.location)
    disposition = download.headers["Content-Disposition"]
    from urllib.parse import unquote

    assert f"〔{talk.serial}〕周建华诫勉谈话记录.docx" in unquote(disposition)


def test_a_served_written_admonition_reads_as_served_not_talked(app, session, office):
    """Issue 15 leftover: a 书面诫勉 has no conversation; once served its status says 已送达, not 已谈话."""
    talk = services.propose_talk(session, office.supervisor, talk_input(
        office, admonition_form=AdmonitionForm.WRITTEN, scheduled_at=None, place="", talkers=[], recorder=None))
    services.approve_talk(session, office.leader, talk, "同意书面诫勉。")
    services.notify_talk(session, office.supervisor, talk)
    with clock.frozen(date(2026, 6, 3)):
        services.record_talk(session, office.supervisor, talk, services.HeldInput(
            started_at=datetime(2026, 6, 2, 10), ended_at=None, exchanges=[], statement=""),
            influence_months=INFLUENCE_MONTHS)
    session.commit()
    assert talk.status == TalkStatus.HELD and talk.status_label == "已送达"
    supervisor = signed_in(app, office.supervisor)
    for page in (supervisor.get(f"/talks/{talk.id}").text, supervisor.get("/talks/").text):
        assert re.search(r'talk-status-held">已送达<', page) and 'talk-status-held">已谈话<' not in page
    held = services.propose_talk(session, office.supervisor, talk_input(office, scheduled_at=SCHEDULED))
    assert held.status_label == held.status.label  # every other talk keeps its label


def test_the_talks_filter_names_the_served_written_admonitions_too(app, office):
    page = signed_in(app, office.supervisor).get("/talks/").text
    assert re.search(r'<option value="held">已谈话／已送达</option>', page)
