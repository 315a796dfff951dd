"""Demo clues in each of the four ways of disposal, driven through the real services (numbers, audit rows,
documents), and today's demo unit-addressed 函询 migrated into the register."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from supervision import clock
from supervision.clues import services
from supervision.clues.services import ClueInput, PersonInput, ReporterInput
from supervision.deadlines import office_calendar
from supervision.matters import services as matter_services
from supervision.models.clues import CadreLevel, Clue, ClueSource, DisposalWay, InquiryOutcome, VerificationResult
from supervision.models.matters import Channel, ComplaintClass, MatterKind
from supervision.models.org import Department, User
from supervision.models.talks import TalkKind

PARTY_HOUSING = "中共市住房和城乡建设局党组"


def _at(day, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour))


def load(session: Session, config) -> None:
    if session.scalar(select(Clue.id).limit(1)) is not None:
        return
    users = {u.username: u for u in session.scalars(select(User))}
    intake, supervisor, leader = users.get("intake"), users.get("supervisor"), users.get("leader")
    if intake is None or supervisor is None or leader is None:
        return
    departments = {d.code: d for d in session.scalars(select(Department))}
    folder = Path(current_app.instance_path) / "documents"
    calendar = office_calendar(session)
    today = clock.today()

    def back(workdays: int):
        day = today
        for _ in range(workdays):
            day -= timedelta(days=1)
            while not calendar.is_workday(day):
                day -= timedelta(days=1)
        return day

    def dispose(day, clue, way, reason, review_on=None):
        with clock.frozen(_at(day, 9)):
            services.propose_disposal(session, supervisor, clue, way, reason, review_on=review_on)
        with clock.frozen(_at(day, 15)):
            services.approve_disposal(session, leader, clue, "同意。", "委（局）室务会")

    # 1. A real-name 检举控告 about a 质监站 official, accepted and turned into a clue → 谈话函询, served.
    housing = departments.get("S05")
    start = back(12)
    with clock.frozen(_at(start, 9)):
        matter = matter_services.register_matter(session, intake, matter_services.MatterInput(
            kind=MatterKind.COMPLAINT, channel=Channel.LETTER, title="质监站工作人员验收时索要吃请",
            content="实名举报：示范市住房和城乡建设局质监站检测科科长孙某在某小区竣工验收时，"
                    "多次暗示施工单位安排吃请，并收受购物卡两张，否则拖延出具验收意见。",
            summary="反映质监站检测科科长在竣工验收中暗示施工单位吃请、收受购物卡，拖延出具验收意见。",
            received_on=start, respondent_department=housing, respondent_person="孙某（质监站检测科科长）",
            identity=matter_services.IdentityInput(name="钱立新", phone="13905710001", work_unit="某建筑工程有限公司")))
    with clock.frozen(_at(start, 11)):
        matter_services.accept_matter(session, intake, matter, complaint_class=ComplaintClass.ACCUSATION)
        clue = services.clue_from_matter(session, intake, matter, [PersonInput(
            "孙国平", "市住房和城乡建设局", "质监站检测科科长", CadreLevel.SECTION)])
    dispose(back(10), clue, DisposalWay.INQUIRY, "反映问题具体，被反映人为乡科级干部，拟先行函询本人。")
    with clock.frozen(_at(back(9))):
        inquiry = services.issue_inquiry(session, supervisor, clue, clue.people[0],
                                         "反映你在某小区竣工验收中暗示施工单位安排吃请。\n反映你收受施工单位购物卡。",
                                         PARTY_HOUSING)
        services.generate_inquiry_notice(session, supervisor, inquiry, config=config, folder=folder)
    with clock.frozen(_at(back(8))):
        services.serve_inquiry(session, supervisor, inquiry, back(8), "由住建局党组办公室转交，本人签收")

    # 2. 上级转办 → 函询 answered and accepted (采信了结) → 澄清正名 on request, with its notice.
    with clock.frozen(_at(back(30))):
        cleared = services.register_clue(session, intake, ClueInput(
            source=ClueSource.HIGHER, source_note="市纪委监委信访室转办〔2026〕12号", received_on=back(30),
            summary="反映周建华在办理营业执照变更过程中为亲属经营的企业提供便利。",
            people=[PersonInput("周建华", departments["S02"].name if "S02" in departments else "市市场监督管理局",
                                "行政审批科科长", CadreLevel.SECTION)]))
    dispose(back(28), cleared, DisposalWay.INQUIRY, "反映较为笼统，拟函询本人说明。")
    with clock.frozen(_at(back(27))):
        answered = services.issue_inquiry(session, supervisor, cleared, cleared.people[0], cleared.summary,
                                          "中共市市场监督管理局党组")
        services.serve_inquiry(session, supervisor, answered, back(27), "本人签收")
    with clock.frozen(_at(back(18))):
        services.record_inquiry_reply(session, supervisor, answered,
                                      "本人亲属未经营任何企业；所涉营业执照变更均按规定由窗口受理，审批材料齐全。",
                                      back(18), "王海（党组书记、局长）")
    with clock.frozen(_at(back(15))):
        services.decide_inquiry_outcome(session, supervisor, answered, InquiryOutcome.ACCEPTED,
                                        "经调取审批档案核对，说明属实，予以采信了结。")
    with clock.frozen(_at(back(10))):
        services.record_clearance(session, supervisor, cleared, "周建华本人",
                                  "在市市场监督管理局党组会议上通报核查结论")
        services.generate_clearance_notice(session, supervisor, cleared, config=config, folder=folder)

    # 3. 巡察移交 → 初步核实 under way.
    with clock.frozen(_at(back(20))):
        verifying = services.register_clue(session, intake, ClueInput(
            source=ClueSource.INSPECTION_TOUR, source_note="市委第二巡察组移交", received_on=back(20),
            summary="反映吴志明在老旧小区改造项目招标中向特定企业透露标底。",
            people=[PersonInput("吴志明", "东城区住房和城乡建设局", "副局长", CadreLevel.COUNTY)]))
    dispose(back(18), verifying, DisposalWay.VERIFY, "反映问题具体、可查性强，拟初步核实。")
    with clock.frozen(_at(back(16))):
        services.plan_verification(session, supervisor, verifying,
                                   "调取项目招标档案，询问评标专家和投标企业，必要时与本人谈话。")
        services.record_verification_work(session, supervisor, verifying,
                                          "已调取招标档案 2 卷，询问投标企业负责人 3 名。")

    # 4. 审计移送 → 初步核实 → 移送立案 (recorded with the receiving body).
    with clock.frozen(_at(back(40))):
        handed = services.register_clue(session, intake, ClueInput(
            source=ClueSource.AUDIT, source_note="市审计局移送", received_on=back(40),
            summary="审计发现郑某某在专项资金拨付中虚列支出约 40 万元。",
            people=[PersonInput("郑某某", "市农业农村局", "计划财务科科长", CadreLevel.SECTION)]))
    dispose(back(38), handed, DisposalWay.VERIFY, "审计移送线索，涉及金额较大，拟初步核实。")
    with clock.frozen(_at(back(30))):
        services.plan_verification(session, supervisor, handed, "核查资金拨付凭证，询问相关人员。")
    with clock.frozen(_at(back(22))):
        services.report_verification(session, supervisor, handed, "经初步核实，虚列支出问题基本属实，涉嫌违纪。",
                                     VerificationResult.HAND_OVER, receiving_body="市纪委监委第三审查调查室")

    # 5. 巡察移交 → 暂存待查, back in three months.
    with clock.frozen(_at(back(15))):
        shelved = services.register_clue(session, intake, ClueInput(
            source=ClueSource.INSPECTION_TOUR, source_note="市委第一巡察组移交", received_on=back(15),
            summary="反映冯某在任乡镇站所负责人期间违规发放补贴，反映时间久远、线索不具体。",
            people=[PersonInput("冯某", "东城区和平街道办事处", "原农技站站长", CadreLevel.GENERAL)]))
    dispose(back(12), shelved, DisposalWay.SHELVE, "线索不具体，暂不具备核查条件，暂存待查。",
            review_on=today + timedelta(days=90))

    # 6. An anonymous report → 予以了结.
    with clock.frozen(_at(back(25))):
        closed = services.register_clue(session, intake, ClueInput(
            source=ClueSource.OTHER_ORGAN, source_note="市信访局转来匿名信", received_on=back(25),
            summary="匿名反映某科室干部“作风不好”，无具体事实。",
            people=[PersonInput("王某", "市交通运输局", "科员", CadreLevel.GENERAL)]))
    dispose(back(23), closed, DisposalWay.CLOSE, "反映内容笼统，无具体事实，无可查性，予以了结。")

    # 7. Awaiting the case officer's proposal, and one awaiting the leader's approval.
    with clock.frozen(_at(back(2))):
        services.register_clue(session, intake, ClueInput(
            source=ClueSource.HIGHER, source_note="省纪委监委转办", received_on=back(2), real_name=True,
            summary="实名反映陈某违规兼职取酬。", reporter=ReporterInput("李某", "13905710002"),
            people=[PersonInput("陈某", "市教育局", "基础教育科副科长", CadreLevel.GENERAL)]))
    with clock.frozen(_at(back(4))):
        pending = services.register_clue(session, intake, ClueInput(
            source=ClueSource.OTHER, source_note="来访", received_on=back(4),
            summary="反映褚某在窗口办件中收受群众土特产。",
            people=[PersonInput("褚某", "市人力资源和社会保障局", "窗口工作人员", CadreLevel.GENERAL)]))
    with clock.frozen(_at(back(3))):
        services.propose_disposal(session, supervisor, pending, DisposalWay.INQUIRY, "拟函询本人。")

    # Today's demo unit-addressed 函询 move into the register; an old record that names only the unit's
    # "主要负责人" waits for a clerk to name the person.
    _legacy_unit_inquiry(session, supervisor, leader, departments, back(35))
    services.migrate_unit_inquiries(session)
    session.flush()


def _legacy_unit_inquiry(session: Session, supervisor: User, leader: User, departments, day) -> None:
    """A 函询 of the old kind, addressed to a unit with no person named (as some were written)."""
    from supervision.models.matters import Matter
    from supervision.talks import services as talks
    from supervision.talks.services import TalkInput

    department = departments.get("S06")
    matter = session.scalar(select(Matter).where(Matter.respondent_department_id == department.id,
                                                 Matter.summary != "").order_by(Matter.id).limit(1)) if department else None
    if matter is None:
        return
    with clock.frozen(_at(day, 9)):
        talk = talks.propose_talk(session, supervisor, TalkInput(
            kind=TalkKind.INQUIRY, subject_name="主要负责人", subject_department=department,
            reason="群众反映该局窗口作风问题，函询单位说明。", matters=[matter]))
        talks.approve_talk(session, leader, talk, "同意。")
