"""Demo talks and inquiries of every kind in several states, driven through the real services (so the
audit log, the numbers and the documents are what the procedure would have produced)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from supervision import clock
from supervision.deadlines import office_calendar
from supervision.errors import ValidationError
from supervision.models.matters import Matter, MatterKind
from supervision.models.org import Department, User
from supervision.models.talks import InquiryConclusion, Talk, TalkKind
from supervision.talks import services
from supervision.talks.services import HeldInput, PersonInput, TalkInput

OFFICE = "示范市行政效能投诉中心"
TALKER = PersonInput("张卫东", OFFICE, "督查科科长")
CO_TALKER = PersonInput("陈志刚", OFFICE, "副主任")
RECORDER = PersonInput("孙明", OFFICE, "督查科干部")
ROOM = "示范市行政效能投诉中心三楼谈话室"

ADMONITION_QA = [
    ("今天代表中心对你进行诫勉谈话。群众反映你科室办理营业执照变更时多次要求补交材料、未一次性告知，你是否清楚？",
     "清楚。11月上旬确有一名群众往返四次，是我科窗口人员没有一次性告知，我作为科长负有管理责任。"),
    ("你认为问题的根源在哪里？", "主要是对窗口人员教育管理不严，一次性告知制度没有落到实处，科室对群众诉求不够重视。"),
    ("下一步准备怎么整改？", "对照一次性告知、首问负责制度逐项自查，建立材料清单，每周抽查窗口办件情况。"),
]


def _at(day, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute))


def load(session: Session, config) -> None:
    if session.scalar(select(Talk.id).limit(1)) is not None:
        return
    users = {u.username: u for u in session.scalars(select(User))}
    supervisor, leader = users.get("supervisor"), users.get("leader")
    if supervisor is None or leader is None:
        return
    departments = {d.code: d for d in session.scalars(select(Department))}
    folder = Path(current_app.instance_path) / "documents"
    months = services.influence_months_from(config)
    calendar = office_calendar(session)
    today = clock.today()

    def back(workdays: int):
        day = today
        for _ in range(workdays):
            day -= timedelta(days=1)
            while not calendar.is_workday(day):
                day -= timedelta(days=1)
        return day

    def matters_of(code: str, n: int = 1) -> list[Matter]:
        department = departments[code]
        return list(session.scalars(select(Matter).where(
            Matter.respondent_department_id == department.id, Matter.kind == MatterKind.COMPLAINT,
            Matter.summary != "").order_by(Matter.id).limit(n)))

    def propose(day, kind, name, code, post, reason, *, matters=(), branch="", scheduled=None):
        with clock.frozen(_at(day, 9)):
            return services.propose_talk(session, supervisor, TalkInput(
                kind=kind, subject_name=name, subject_department=departments[code], subject_post=post,
                subject_party_branch=branch, reason=reason, matters=list(matters), studied_by="中心主任办公会",
                proposal_note="建议按程序开展谈话，督促整改。", scheduled_at=scheduled, place=ROOM if scheduled else "",
                talkers=[TALKER, CO_TALKER] if kind == TalkKind.ADMONITION else [TALKER],
                recorder=RECORDER if kind != TalkKind.INQUIRY else None))

    def approve(day, talk):
        with clock.frozen(_at(day, 10)):
            services.approve_talk(session, leader, talk, "同意。")

    def notify(day, talk):
        with clock.frozen(_at(day, 11)):
            services.notify_talk(session, supervisor, talk)

    def hold(day, talk, qa, statement, commitments):
        with clock.frozen(_at(day, 16)):
            services.record_talk(session, supervisor, talk, HeldInput(
                started_at=_at(day, 14, 30), ended_at=_at(day, 15, 20), exchanges=qa, statement=statement,
                commitments=commitments), influence_months=months if talk.kind == TalkKind.ADMONITION else None)

    def document(day, talk, doc_type):
        with clock.frozen(_at(day, 16, 30)):
            services.generate_talk_document(session, supervisor, talk, doc_type, config=config, folder=folder)

    # 1. 诫勉, done two months ago and followed up: the influence period is running.
    d0 = back(45)
    first = propose(d0, TalkKind.ADMONITION, "周建华", "S02", "行政审批科科长",
                    "对窗口工作人员教育管理不力，群众办理营业执照变更被多次要求补交材料、往返四次未办结",
                    matters=matters_of("S02"), branch="行政审批科党支部", scheduled=_at(back(40), 14, 30))
    approve(back(44), first)
    document(back(43), first, "admonition_notice")
    notify(back(43), first)
    hold(back(40), first, ADMONITION_QA,
         "诚恳接受组织诫勉，深刻反思管理责任，保证立即整改，今后严格落实一次性告知制度。",
         "一周内完成窗口一次性告知制度自查\n建立各类事项材料清单并公开\n每周抽查窗口办件情况并通报")
    document(back(40), first, "talk_record")
    with clock.frozen(_at(back(20), 10)):
        services.follow_up_talk(session, supervisor, first, "经回访，材料清单已在窗口和网站公开，每周抽查已开展三次，整改措施落实到位。")

    # 2. 诫勉 proposed, waiting for the leader.
    propose(back(1), TalkKind.ADMONITION, "钱永刚", "S05", "质监站副站长",
            "竣工验收中暗示吃请、拖延出具验收意见", matters=matters_of("S05"), scheduled=_at(calendar.next_workday(today + timedelta(days=7)), 9))

    # 3. 提醒谈话 held and closed.
    reminder = propose(back(15), TalkKind.REMINDER, "孙丽", "S01", "综合窗口负责人",
                       "综合窗口部分工作人员工作时间离岗、未放置暂停服务提示", matters=matters_of("S01"),
                       scheduled=_at(back(12), 14, 30))
    approve(back(14), reminder)
    notify(back(14), reminder)
    hold(back(12), reminder, [("暗访发现窗口工作时间离岗，你作为负责人如何看待？", "是我管理不到位，已对相关人员提醒。"),
                              ("如何避免再次发生？", "落实 AB 岗和暂停服务提示牌制度，每天巡查。")],
         "接受提醒，立即整改。", "落实 AB 岗制度\n每天上下午各巡查一次")
    document(back(12), reminder, "talk_record")
    with clock.frozen(_at(back(5), 10)):
        services.follow_up_talk(session, supervisor, reminder, "复查窗口在岗情况良好。")
    with clock.frozen(_at(back(4), 10)):
        services.close_talk(session, supervisor, reminder, "整改到位，予以了结。")

    # 4. 批评教育 notified, the talk is next week: the department head sees the notice.
    criticism = propose(back(3), TalkKind.CRITICISM, "王海", "S02", "登记注册科副科长",
                        "办事指南长期未更新，收费依据失效", matters=matters_of("S02", 2)[1:],
                        scheduled=_at(calendar.next_workday(today + timedelta(days=5)), 9, 30))
    approve(back(2), criticism)
    notify(back(1), criticism)

    # 5. 函询 to 市市场监督管理局, sent: the department head has to answer.
    inquiry = propose(back(4), TalkKind.INQUIRY, "李国强", "S02", "副局长",
                      "反映该局窗口推诿、多次要求补交材料，需由单位作出说明", matters=matters_of("S02", 3))
    approve(back(3), inquiry)
    notify(back(2), inquiry)
    document(back(2), inquiry, "inquiry_notice")

    # 6. 函询 to 市政务服务中心, answered, accepted and closed.
    answered = propose(back(30), TalkKind.INQUIRY, "赵卫国", "S01", "主任",
                       "反映不动产登记预约号源长期约不上", matters=matters_of("S01", 2))
    approve(back(29), answered)
    notify(back(28), answered)
    document(back(28), answered, "inquiry_notice")
    head = next((u for u in users.values() if u.department_id == departments["S01"].id), supervisor)
    with clock.frozen(_at(back(20), 15)):
        services.reply_inquiry(session, head, answered,
                               "经核查，预约号源不足系系统号源配置错误，已于当月调整，每日增加号源 120 个，并开通周六预约。")
    with clock.frozen(_at(back(18), 10)):
        services.follow_up_talk(session, supervisor, answered, "回复说明属实，整改措施具体。",
                                InquiryConclusion.ACCEPTED)
    with clock.frozen(_at(back(17), 10)):
        services.close_talk(session, supervisor, answered)

    # 7. The year's register of talks held.
    with clock.frozen(_at(today, 8, 30)):
        try:
            services.generate_talk_register(session, supervisor, today.replace(month=1, day=1), today,
                                            config=config, folder=folder)
        except ValidationError:  # early January: nothing held yet this year
            pass
    session.flush()
