"""Every write of the talks area: the state table enforced with permissions, the audit row of each
transition, the 诫勉 influence period and the 函询 reply deadline in working days."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from sqlalchemy import select

from matters_factories import audit_entries, last_audit
from supervision import clock
from supervision.errors import PermissionDenied, ValidationError, WorkflowError
from supervision.models.talks import InquiryConclusion, Talk, TalkKind, TalkStatus
from supervision.talks import services
from talks_factories import HELD_START, INFLUENCE_MONTHS, held_input, talk_input


# --- proposal --------------------------------------------------------------------------------------
def test_supervisor_proposes_an_admonition_with_its_reason_and_matters(session, office, make_matter):
    matter = make_matter("in_progress")
    talk = services.propose_talk(session, office.supervisor, talk_input(office, matters=[matter, matter]))
    session.commit()
    assert talk.status == TalkStatus.PROPOSED and talk.serial == "JM-2026-00001"
    assert talk.subject_unit == office.department.name and [m.id for m in talk.matters] == [matter.id]
    assert [p.name for p in talk.talkers] == ["张卫东"] and talk.recorder.name == "孙明"
    entry, changes = last_audit(session, "talk.proposed", talk)
    assert entry.actor_id == office.supervisor.id and changes["matters"] == [matter.serial]
    assert "周建华" in entry.summary


def test_a_talk_without_a_subject_is_refused_in_plain_chinese(session, office):
    with pytest.raises(ValidationError, match="请填写谈话对象（被函询人）的姓名"):
        services.propose_talk(session, office.supervisor, talk_input(office, subject_name="  "))
    with pytest.raises(ValidationError, match="请选择或填写谈话对象所在单位"):
        services.propose_talk(session, office.supervisor, talk_input(office, subject_department=None))
    with pytest.raises(ValidationError, match="请填写事由"):
        services.propose_talk(session, office.supervisor, talk_input(office, reason=""))
    assert session.scalar(select(Talk)) is None


def test_a_subject_outside_the_system_has_a_free_text_unit(session, office):
    talk = services.propose_talk(session, office.supervisor, talk_input(
        office, subject_department=None, subject_unit="示范市供水有限公司"))
    assert talk.subject_unit == "示范市供水有限公司" and talk.subject_department_id is None


def test_an_inquiry_needs_a_department_and_a_matter_with_a_summary(session, office, make_matter):
    with pytest.raises(ValidationError, match="请选择被函询单位"):
        services.propose_talk(session, office.supervisor, talk_input(
            office, TalkKind.INQUIRY, subject_department=None, subject_unit="某公司", matters=[make_matter()]))
    with pytest.raises(ValidationError, match="请关联至少一件已填写摘要的事项"):
        services.propose_talk(session, office.supervisor, talk_input(office, TalkKind.INQUIRY, matters=[]))
    with pytest.raises(ValidationError, match="请关联至少一件已填写摘要的事项"):
        services.propose_talk(session, office.supervisor, talk_input(
            office, TalkKind.INQUIRY, matters=[make_matter(summary="")]))


@pytest.mark.parametrize("who", ["intake", "leader", "head", "admin"])
def test_only_supervisors_propose(session, office, who):
    with pytest.raises(PermissionDenied):
        services.propose_talk(session, getattr(office, who), talk_input(office))


def test_serials_count_per_kind_and_year(session, office, make_talk):
    assert make_talk().serial == "JM-2026-00001"
    assert make_talk().serial == "JM-2026-00002"
    assert make_talk(kind=TalkKind.REMINDER).serial == "TX-2026-00001"


# --- every transition writes its audit row -----------------------------------------------------------
TALK_STEPS = [
    ("approve", "leader", TalkStatus.APPROVED, lambda s, u, t: services.approve_talk(s, u, t, "同意")),
    ("notify", "supervisor", TalkStatus.NOTIFIED, lambda s, u, t: services.notify_talk(s, u, t)),
    ("hold", "supervisor", TalkStatus.HELD,
     lambda s, u, t: services.record_talk(s, u, t, held_input(), influence_months=INFLUENCE_MONTHS)),
    ("follow_up", "supervisor", TalkStatus.FOLLOWED_UP,
     lambda s, u, t: services.follow_up_talk(s, u, t, "整改措施已落实。")),
    ("close", "supervisor", TalkStatus.CLOSED, lambda s, u, t: services.close_talk(s, u, t)),
]
INQUIRY_STEPS = [
    ("approve", "leader", TalkStatus.APPROVED, lambda s, u, t: services.approve_talk(s, u, t)),
    ("notify", "supervisor", TalkStatus.NOTIFIED, lambda s, u, t: services.notify_talk(s, u, t)),
    ("reply", "head", TalkStatus.REPLIED, lambda s, u, t: services.reply_inquiry(s, u, t, "逐项说明如下。")),
    ("follow_up", "supervisor", TalkStatus.FOLLOWED_UP,
     lambda s, u, t: services.follow_up_talk(s, u, t, "说明属实。", InquiryConclusion.ACCEPTED)),
    ("close", "supervisor", TalkStatus.CLOSED, lambda s, u, t: services.close_talk(s, u, t)),
]


@pytest.mark.parametrize(("kind", "steps"), [(TalkKind.ADMONITION, TALK_STEPS), (TalkKind.REMINDER, TALK_STEPS),
                                             (TalkKind.CRITICISM, TALK_STEPS), (TalkKind.INQUIRY, INQUIRY_STEPS)])
def test_each_transition_changes_the_state_and_writes_its_audit_row(session, office, make_talk, kind, steps):
    talk = make_talk(kind=kind)
    for action, who, expected, run in steps:
        old = talk.status
        actor = getattr(office, who)
        run(session, actor, talk)
        session.commit()
        assert talk.status == expected
        entry, changes = last_audit(session, f"talk.{action}", talk)
        assert entry.actor_id == actor.id and talk.serial in entry.summary
        assert changes["status"] == [old.value, expected.value]


def test_leader_declines_with_a_reason_and_nothing_follows(session, office, make_talk):
    talk = make_talk()
    with pytest.raises(ValidationError, match="不予批准时请写明理由"):
        services.decline_talk(session, office.leader, talk, " ")
    services.decline_talk(session, office.leader, talk, "事实不清。")
    assert talk.status == TalkStatus.DECLINED and talk.approval_note == "事实不清。"
    assert last_audit(session, "talk.decline", talk)[1]["status"] == ["proposed", "declined"]
    with pytest.raises(WorkflowError, match="当前状态为“不予批准”"):
        services.notify_talk(session, office.supervisor, talk)


FORBIDDEN = [
    ("proposed", "supervisor", "notify"),
    ("proposed", "supervisor", "hold"),
    ("approved", "supervisor", "hold"),
    ("approved", "leader", "approve"),
    ("notified", "supervisor", "close"),
    ("held", "supervisor", "hold"),
    ("closed", "supervisor", "follow_up"),
]
RUN = {
    "approve": lambda s, u, t: services.approve_talk(s, u, t),
    "notify": lambda s, u, t: services.notify_talk(s, u, t),
    "hold": lambda s, u, t: services.record_talk(s, u, t, held_input(), influence_months=6),
    "reply": lambda s, u, t: services.reply_inquiry(s, u, t, "说明"),
    "follow_up": lambda s, u, t: services.follow_up_talk(s, u, t, "跟踪"),
    "close": lambda s, u, t: services.close_talk(s, u, t),
}


@pytest.mark.parametrize(("status", "who", "action"), FORBIDDEN)
def test_a_move_outside_the_table_is_refused_and_leaves_no_trace(session, office, make_talk, status, who, action):
    talk = make_talk(status)
    before = len(audit_entries(session))
    with pytest.raises(WorkflowError, match="当前状态为"):
        RUN[action](session, getattr(office, who), talk)
    session.rollback()
    assert talk.status.value == status and len(audit_entries(session)) == before


@pytest.mark.parametrize(("status", "who", "action"), [
    ("proposed", "supervisor", "approve"),  # leaders approve
    ("proposed", "intake", "approve"),
    ("proposed", "head", "approve"),
    ("approved", "leader", "notify"),  # supervisors run the procedure
    ("notified", "head", "hold"),
    ("held", "leader", "follow_up"),
    ("followed_up", "head", "close"),
])
def test_the_wrong_role_is_refused(session, office, make_talk, status, who, action):
    talk = make_talk(status)
    with pytest.raises(PermissionDenied):
        RUN[action](session, getattr(office, who), talk)
    session.rollback()
    assert talk.status.value == status


# --- notice and talk -------------------------------------------------------------------------------
def test_a_talk_notice_needs_time_place_and_talkers(session, office, make_talk):
    talk = make_talk("approved", scheduled_at=None, place="")
    with pytest.raises(ValidationError, match="请填写谈话时间和地点"):
        services.notify_talk(session, office.supervisor, talk)
    session.rollback()
    services.notify_talk(session, office.supervisor, talk, scheduled_at=datetime(2026, 6, 5, 9), place="谈话室")
    assert talk.status == TalkStatus.NOTIFIED and talk.place == "谈话室"
    assert last_audit(session, "talk.notify", talk)[1]["place"] == "谈话室"


def test_recording_the_talk_keeps_the_conversation_and_the_statement(session, office, make_talk):
    talk = make_talk("notified", kind=TalkKind.REMINDER)
    services.record_talk(session, office.supervisor, talk, held_input(
        exchanges=[("问题一？", "回答一。"), ("问题二？", "回答二。")], statement="接受提醒。"))
    session.commit()
    assert [(e.question, e.answer) for e in talk.exchanges] == [("问题一？", "回答一。"), ("问题二？", "回答二。")]
    assert talk.statement == "接受提醒。" and talk.commitment_list() == ["一周内完成自查", "建立材料清单"]
    assert talk.measure_on is None and talk.influence_ends_on is None  # a reminder is not a measure


@pytest.mark.parametrize(("held", "message"), [
    (dict(exchanges=[]), "请记录谈话内容（至少一问一答）"),
    (dict(exchanges=[("", "只有回答")]), "每一段回答前须有对应的提问"),
    (dict(statement=""), "请记录谈话对象的表态"),
    (dict(ended_at=HELD_START), "谈话结束时间须晚于开始时间"),
    (dict(started_at=datetime(2026, 6, 2, 9), ended_at=datetime(2026, 6, 2, 10)), "不能晚于现在"),
    (dict(started_at=None), "请填写谈话的开始和结束时间"),
])
def test_an_incomplete_talk_record_is_refused(session, office, make_talk, held, message):
    talk = make_talk("notified")
    with pytest.raises(ValidationError, match=message):
        services.record_talk(session, office.supervisor, talk, held_input(**held), influence_months=6)
    assert talk.status == TalkStatus.NOTIFIED


def test_an_admonition_starts_its_influence_period_on_the_day_of_the_talk(session, office, make_talk):
    talk = make_talk("notified")
    held = held_input(started_at=datetime(2026, 5, 29, 14, 30), ended_at=datetime(2026, 5, 29, 15))
    services.record_talk(session, office.supervisor, talk, held, influence_months=6)
    session.commit()
    assert talk.measure_on == date(2026, 5, 29) and talk.influence_ends_on == date(2026, 11, 29)
    entry, changes = last_audit(session, "talk.measure", talk)
    assert changes == {"measure_on": "2026-05-29", "influence_months": 6, "influence_ends_on": "2026-11-29",
                       "appeal_due_on": "2026-06-29"}  # 申诉 within one month (问责条例)
    assert talk.influence_active(date(2026, 11, 29)) and not talk.influence_active(date(2026, 11, 30))


def test_the_influence_period_clamps_to_the_end_of_a_short_month(session, office, make_talk):
    talk = make_talk("approved")
    with clock.frozen(datetime(2026, 8, 31, 17)):
        services.notify_talk(session, office.supervisor, talk)
        services.record_talk(session, office.supervisor, talk, held_input(
            started_at=datetime(2026, 8, 31, 14), ended_at=datetime(2026, 8, 31, 15)), influence_months=6)
    assert talk.influence_ends_on == date(2027, 2, 28)


def test_the_influence_period_comes_from_configuration(session, office, make_talk):
    talk = make_talk("notified")
    services.record_talk(session, office.supervisor, talk, held_input(), influence_months=12)
    assert talk.influence_ends_on == date(2027, 5, 29) and talk.influence_months == 12


@pytest.mark.parametrize("config", [{}, {"ADMONITION_INFLUENCE_MONTHS": None}, {"ADMONITION_INFLUENCE_MONTHS": 0},
                                    {"ADMONITION_INFLUENCE_MONTHS": "6"}])
def test_a_missing_influence_configuration_is_a_clear_message(session, office, make_talk, config):
    with pytest.raises(ValidationError, match="ADMONITION_INFLUENCE_MONTHS"):
        services.influence_months_from(config)
    talk = make_talk("notified")
    with pytest.raises(ValidationError, match="未配置诫勉影响期"):
        services.record_talk(session, office.supervisor, talk, held_input(), influence_months=None)


def test_the_default_configuration_has_six_months(app):
    assert services.influence_months_from(app.config) == 6


# --- 函询 --------------------------------------------------------------------------------------------
def test_an_inquiry_must_be_answered_within_15_working_days_counted_by_the_calendar(session, office, make_talk):
    talk = make_talk("approved", kind=TalkKind.INQUIRY)
    services.notify_talk(session, office.supervisor, talk)  # Monday 2026-06-01
    # 端午 (Friday 19 June) is no working day: a plain Mon–Fri count would give 22 June.
    assert talk.reply_due_on == date(2026, 6, 23) and talk.reply_due_provisional is False
    changes = last_audit(session, "talk.notify", talk)[1]
    assert changes["reply_due_on"] == "2026-06-23" and changes["limit"] == "15 个工作日"


def test_an_inquiry_over_national_day_skips_the_golden_week(session, office, make_talk):
    talk = make_talk("approved", kind=TalkKind.INQUIRY)
    with clock.frozen(date(2026, 9, 25)):
        services.notify_talk(session, office.supervisor, talk)
    assert talk.reply_due_on == date(2026, 10, 22)


def test_an_inquiry_reaching_into_an_unpublished_year_is_provisional(session, office, make_talk):
    talk = make_talk("approved", kind=TalkKind.INQUIRY)
    with clock.frozen(date(2026, 12, 15)):
        services.notify_talk(session, office.supervisor, talk)
    assert talk.reply_due_on == date(2027, 1, 6) and talk.reply_due_provisional is True


def test_the_inquiry_limit_is_the_admins_rule(session, office, make_talk):
    from supervision.calendar import LimitUnit
    from supervision.models.calendar import LimitStep, TimeLimitRule

    session.add(TimeLimitRule(step=LimitStep.INQUIRY_REPLY, amount=10, unit=LimitUnit.WORKDAY, source="本地规定"))
    talk = make_talk("approved", kind=TalkKind.INQUIRY)
    services.notify_talk(session, office.supervisor, talk)
    assert talk.reply_due_on == date(2026, 6, 15)


def test_only_the_addressed_department_head_answers(session, office, make_talk, storage):
    from matters_factories import PDF_BYTES

    talk = make_talk("notified", kind=TalkKind.INQUIRY)
    with pytest.raises(PermissionDenied):
        services.reply_inquiry(session, office.other_head, talk, "不是我们单位。")
    with pytest.raises(ValidationError, match="请填写函询回复"):
        services.reply_inquiry(session, office.head, talk, "")
    services.reply_inquiry(session, office.head, talk, "逐项说明如下。", files=[("说明.pdf", PDF_BYTES)],
                           storage=storage)
    session.commit()
    assert talk.status == TalkStatus.REPLIED and talk.replied_by_id == office.head.id
    assert [a.original_name for a in talk.attachments] == ["说明.pdf"]
    assert last_audit(session, "talk.reply", talk)[1] == {"status": ["notified", "replied"], "files": 1,
                                                          "late": False}


def test_a_late_reply_is_marked_late(session, office, make_talk):
    talk = make_talk("notified", kind=TalkKind.INQUIRY)
    with clock.frozen(date(2026, 6, 24)):
        services.reply_inquiry(session, office.head, talk, "迟到的说明。")
    entry, changes = last_audit(session, "talk.reply", talk)
    assert changes["late"] is True and "逾期" in entry.summary


def test_a_department_head_cannot_answer_before_the_inquiry_is_sent(session, office, make_talk):
    talk = make_talk("approved", kind=TalkKind.INQUIRY)
    with pytest.raises(PermissionDenied):
        services.reply_inquiry(session, office.head, talk, "抢先回复。")


def test_the_inquiry_conclusion_is_required_and_recorded(session, office, make_talk):
    talk = make_talk("replied", kind=TalkKind.INQUIRY)
    with pytest.raises(ValidationError, match="采信了结、谈话提醒或初核"):
        services.follow_up_talk(session, office.supervisor, talk, "审核。")
    services.follow_up_talk(session, office.supervisor, talk, "说明不实，转初核。", InquiryConclusion.PRELIMINARY)
    assert talk.conclusion == InquiryConclusion.PRELIMINARY
    assert last_audit(session, "talk.follow_up", talk)[1]["conclusion"] == "preliminary"


def test_a_talk_follow_up_needs_a_note(session, office, make_talk):
    talk = make_talk("held", kind=TalkKind.CRITICISM)
    with pytest.raises(ValidationError, match="落实情况"):
        services.follow_up_talk(session, office.supervisor, talk, "")


def test_a_stale_form_is_refused(session, office, make_talk):
    from supervision.errors import StaleObjectError

    talk = make_talk()
    with pytest.raises(StaleObjectError):
        services.approve_talk(session, office.leader, talk, expected_version=talk.version - 1)
