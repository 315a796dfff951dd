"""Demo matters in every state, driven through the real services (so timelines and audit are real)."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from supervision import clock
from supervision.deadlines import office_calendar
from supervision.matters import services
from supervision.models.matters import Category, Channel, Matter, MatterKind, Satisfaction
from supervision.models.org import Department, Role, User

# (kind, channel, category, respondent code, person, title, content, summary)
SAMPLES = [
    (MatterKind.COMPLAINT, Channel.PHONE, "推诿扯皮", "S02", "窗口工作人员（工号 0312）",
     "办理营业执照变更被多次要求补材料",
     "本人于 11 月上旬到市市场监督管理局政务窗口办理营业执照经营范围变更，窗口工作人员先后三次要求补交材料，每次只说一项，前后跑了四趟仍未办成，工作人员称“系统就是这么要求的”，态度敷衍。",
     "群众反映到市市场监管局窗口办理营业执照经营范围变更，被分次要求补交材料，往返四次未办结，工作人员未一次性告知。"),
    (MatterKind.COMPLAINT, Channel.HOTLINE_12345, "办事拖拉", "S01", "",
     "不动产登记预约号源长期约不上",
     "12345 转办：市民反映市政务服务中心不动产登记窗口网上预约连续两周显示无号，现场取号需凌晨排队，询问工作人员答复“没办法”。",
     "12345 转办：不动产登记窗口网上预约长期无号，现场需凌晨排队，工作人员答复消极。"),
    (MatterKind.COMPLAINT, Channel.VISIT, "态度生硬", "S03", "社保窗口王某",
     "社保窗口工作人员态度生硬",
     "来访人称在市人社局社保窗口咨询养老保险转移接续，工作人员王某不耐烦，大声呵斥“自己回去看网上说明”，未作解答。",
     "来访人反映市人社局社保窗口一名工作人员在咨询养老保险转移接续时态度生硬、未予解答。"),
    (MatterKind.COMPLAINT, Channel.LETTER, "乱收费", "S07", "",
     "医院收取未公示的服务费",
     "来信反映市卫健委所属某医院在住院结算时收取“陪护管理费”200 元，无公示、无票据。",
     "来信反映某市属医院住院结算时收取未公示的陪护管理费且不开票据。"),
    (MatterKind.COMPLAINT, Channel.ONLINE, "不作为", "S10", "",
     "小区门口占道经营长期无人管",
     "网络投诉：和平街道某小区门口夜市占道经营半年，油烟噪声扰民，多次向城管反映无人处理。",
     "网络投诉反映某小区门口夜市长期占道经营、扰民，多次反映未见处理。"),
    (MatterKind.COMPLAINT, Channel.PHONE, "吃拿卡要", "S05", "质监站某工作人员",
     "工程验收暗示请吃饭",
     "来电人称某住建部门质监站工作人员在竣工验收时暗示“吃个饭再说”，否则拖延出具验收意见。",
     "来电反映住建部门质监站工作人员在竣工验收中有暗示吃请、拖延出具意见的情况。"),
    (MatterKind.COMPLAINT, Channel.PHONE, "办事拖拉", "S04", "",
     "规划许可审批超期",
     "企业反映市自然资源和规划局建设工程规划许可申请已超过承诺时限 20 个工作日未办结，且无人说明原因。",
     "企业反映建设工程规划许可申请超过承诺时限未办结且未告知原因。"),
    (MatterKind.COMPLAINT, Channel.HOTLINE_12345, "推诿扯皮", "Q01", "",
     "老旧小区加装电梯部门互相推诿",
     "12345 转办：东城区某老旧小区加装电梯，街道称需住建审批，住建称街道牵头，业主来回跑了半年。",
     "12345 转办：东城区某老旧小区加装电梯事项街道与住建部门互相推诿，半年未推进。"),
    (MatterKind.COMPLAINT, Channel.VISIT, "乱作为", "S06", "",
     "出租车执法程序不规范",
     "来访人称交通执法人员在查处时未出示执法证件，当场罚款未开具票据。",
     "来访人反映交通执法人员执法时未出示证件、当场罚款未开票据。"),
    (MatterKind.COMPLAINT, Channel.ONLINE, "态度生硬", "S09", "",
     "医保报销窗口让群众反复跑",
     "网络投诉：异地就医备案手续已网上办理，医保窗口仍要求回原单位开证明。",
     "网络投诉反映医保窗口对已网上办理的异地就医备案仍要求另开证明。"),
    (MatterKind.SUGGESTION, Channel.MAILBOX, "政务服务", "S01", "",
     "建议政务中心延长午间服务",
     "建议政务服务中心午间 12:00–13:30 保留至少一个综合窗口，方便上班族办事。",
     "建议政务服务中心午间保留综合窗口服务。"),
    (MatterKind.SUGGESTION, Channel.NPC_MAILBOX, "营商环境", "S02", "",
     "建议个体户年报提醒短信",
     "人大监督信箱：建议市场监管部门在年报截止前一个月短信提醒个体工商户，减少因逾期被列入异常名录。",
     "建议市场监管部门在年报截止前短信提醒个体工商户。"),
    (MatterKind.SUGGESTION, Channel.ONLINE_MAILBOX, "城市管理", "S10", "",
     "建议增设非机动车停放点",
     "网上意见箱：人民路地铁站出口共享单车乱停，建议增设停放点并划线。",
     "建议在人民路地铁站出口增设非机动车停放点。"),
    (MatterKind.SUGGESTION, Channel.MAILBOX, "民生保障", "S08", "",
     "建议公布学区划分依据",
     "建议教育局在招生前公布学区划分依据和调整说明。",
     "建议教育部门招生前公布学区划分依据。"),
    (MatterKind.FINDING, Channel.UNDERCOVER, "窗口服务", "S01", "",
     "明察暗访：政务中心部分窗口离岗",
     "11 月 12 日上午 10:20–10:50 暗访，政务服务中心二楼 6 个窗口中 2 个无人值守，未放置暂停服务牌。",
     "暗访发现政务服务中心二楼部分窗口工作时间离岗、未放置暂停服务提示。"),
    (MatterKind.FINDING, Channel.DISCLOSURE_CHECK, "政务公开", "S02", "",
     "政务公开检查：办事指南未更新",
     "检查市场监管局门户网站，部分办事指南仍为 2023 年版本，收费依据失效。",
     "政务公开检查发现市场监管局部分办事指南未及时更新。"),
    (MatterKind.FINDING, Channel.SPECIAL_CHECK, "工作纪律", "S03", "",
     "专项检查：上班时间玩手机游戏",
     "作风专项检查发现人社局服务大厅两名工作人员上班时间玩手机游戏。",
     "作风专项检查发现服务大厅工作人员上班时间玩手机游戏。"),
]
PROBLEMS = {
    MatterKind.FINDING: "窗口工作人员工作时间离岗，未放置暂停服务提示牌\n办事指南与实际要求不一致，群众需多次补交材料\n意见簿长期无人回复",
}
# (state to reach, days ago received)
PLAN = ["registered", "registered", "accepted", "not_accepted", "filed", "assigned", "assigned", "in_progress",
        "in_progress", "extension", "returned", "replied", "rework", "approved", "followed_up", "closed",
        "archived", "overdue", "provisional"]
ROUND_SUFFIX = ["", "（二）", "（三）"]
NAMES = ["张伟", "王芳", "李娜", "刘洋", "陈静", "杨帆", "赵磊", "黄丽", "周强", "吴敏"]


def load(session: Session, departments: dict[str, Department]) -> None:
    if session.scalar(select(Matter.id).limit(1)) is not None:
        return
    users = {u.username: u for u in session.scalars(select(User))}
    intake, supervisor, leader = users["intake"], users["supervisor"], users["leader"]
    heads = {u.department_id: u for u in users.values() if u.role == Role.DEPT_HEAD}
    categories = {(c.matter_kind, c.name): c for c in session.scalars(select(Category))}
    rng = random.Random(2026)
    today = clock.today()
    count = 0
    for round_ in range(3):
        for n, sample in enumerate(SAMPLES):
            state = PLAN[(n + round_ * 7) % len(PLAN)]
            kind, channel, category, code, person, title, content, summary = sample
            department = departments[code]
            # Demo matters concern the two departments with demo heads more often, so they have work.
            lead_code = code if department.id in heads or rng.random() < 0.5 else rng.choice(["S01", "S02"])
            lead = departments[lead_code]
            received = today - timedelta(days=rng.randint(6, 32))
            if state == "overdue":
                received = today - timedelta(days=50)
            if state == "provisional":
                received = today - timedelta(days=1)
            with clock.frozen(received):
                data = services.MatterInput(
                    kind=kind, channel=channel, title=title + ROUND_SUFFIX[round_],
                    content=content, summary=summary, received_on=received,
                    category=categories.get((kind, category)), respondent_department=department,
                    respondent_person=person, anonymous=(n % 4 == 3),
                    inspected_on=received if kind == MatterKind.FINDING else None,
                    place="市政务服务中心" if kind == MatterKind.FINDING else "",
                    inspectors="张卫东、孙明" if kind == MatterKind.FINDING else "",
                    problems=PROBLEMS.get(kind, ""),
                    identity=services.IdentityInput() if n % 4 == 3 or kind == MatterKind.FINDING else
                    services.IdentityInput(name=NAMES[n % len(NAMES)], phone=f"139{rng.randint(10000000, 99999999)}",
                                           work_unit="某科技有限公司" if n % 3 == 0 else ""))
                matter = services.register_matter(session, intake, data)
            _drive(session, matter, state, received, today, intake, supervisor, leader,
                   heads.get(lead.id), lead, departments, rng)
            count += 1
    session.flush()


def _drive(session, matter, state, received, today, intake, supervisor, leader, head, lead, departments, rng):
    step = received
    calendar = office_calendar(session)

    def at(days: int):
        nonlocal step
        step = min(calendar.add_workdays(step, days), today)
        return clock.frozen(step)

    if state == "registered":
        return
    if state == "not_accepted":
        with at(1):
            services.reject_matter(session, intake, matter, "反映的问题属于司法程序范围，不属于效能投诉受理范围，已告知通过诉讼途径解决。")
        return
    if state == "filed":
        original = session.scalar(select(Matter).where(Matter.id != matter.id).order_by(Matter.id))
        with at(1):
            services.file_as_duplicate(session, intake, matter, original, "同一事项重复反映")
        return
    with at(1):
        services.accept_matter(session, intake, matter)
    if state == "accepted":
        return
    if head is None:  # only departments with a demo head go further, so every step can be clicked
        lead = departments["S02"]
        head = next(u for u in session.scalars(select(User).where(User.department_id == lead.id)))
    co = [departments["S11"]] if rng.random() < 0.25 and lead.code != "S11" else []
    with at(1):
        services.assign_matter(session, intake, matter, lead=lead, co_handling=co,
                               requirements="请认真调查核实，依规处理，按时限报送办理结果。",
                               avoidance_reason="由该单位纪检组牵头办理，纪检组长负责" if matter.respondent_department_id == lead.id else "",
                               due_on=None)
    assignment = matter.lead_assignment
    if state == "overdue":
        with at(2):
            services.sign_assignment(session, head, assignment)
        return
    if state in ("assigned", "provisional"):
        return
    if state == "returned":
        with at(2):
            services.return_assignment(session, head, assignment, "该事项涉及的窗口已于上月划转区政务服务中心管理，不属本单位职责。")
        return
    with at(1):
        services.sign_assignment(session, head, assignment)
    if state == "in_progress":
        return
    if state == "extension":
        with at(3):
            services.request_extension(session, head, assignment,  # a typed date is a working day
                                       office_calendar(session).add_workdays(assignment.due_on, 10),
                                       "涉及多个科室和历史档案调取，需延长调查时间。")
        return
    reply_text = "经调查核实，反映情况基本属实。已对相关工作人员进行批评教育，责令其作出书面检查，并对窗口一次性告知制度落实情况开展自查，制定整改措施三条。"
    public = "您反映的问题经核实基本属实，相关单位已对工作人员批评教育并落实一次性告知制度。感谢您对我们工作的监督。"
    with at(5):
        services.submit_reply(session, head, assignment, reply_text, public)
    if state == "replied":
        return
    with at(1):
        services.review_reply(session, supervisor, matter, False, "调查不够深入，未说明对当事人的处理结果，请补充。")
    if state == "rework":
        return
    with at(3):
        services.submit_reply(session, head, assignment, reply_text + "补充：当事人已在科室会议上作检讨，扣减当月绩效。", public)
    for co_part in services.awaited_co_handlers(matter):  # the 协办意见 comes before the approval
        co_head = session.scalar(select(User).where(User.department_id == co_part.department_id).order_by(User.id))
        with at(1):
            if co_head is None:
                services.waive_co_opinion(session, supervisor, co_part, "协办单位电话告知无补充意见。")
                continue
            if co_part.status.value == "assigned":
                services.sign_assignment(session, co_head, co_part)
            services.submit_reply(session, co_head, co_part, "协办意见：已配合调取相关材料，对主办单位的处理意见无异议。")
    with at(1):
        services.review_reply(session, supervisor, matter, True)
    if state == "approved":
        return
    satisfied = Satisfaction.SATISFIED if rng.random() < 0.7 else Satisfaction.FAIRLY_SATISFIED
    with at(2):
        if matter.anonymous:
            services.close_matter(session, intake, matter, "匿名反映，无法回访，予以办结。")
        else:
            services.record_follow_up(session, intake, matter, satisfied, "电话回访，反映人认可处理结果。")
    if state == "followed_up" or matter.status.value == "closed" and state == "followed_up":
        return
    if matter.status.value != "closed":
        with at(1):
            services.close_matter(session, intake, matter)
    if state == "archived":
        with at(1):
            services.archive_matter(session, intake, matter)
