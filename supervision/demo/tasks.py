"""A year of demo 督查事项 in every state, driven through the real services on the days they happened
(numbers, 督查通知, audit rows, late reports and their 催办): a newcomer opens /tasks/ on a living office.

The units that act are the two demo units with a head (市政务服务中心 ``depthead2``, 市市场监督管理局
``depthead``); other units appear as co-units whose tasks wait for them."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from supervision import clock
from supervision.deadlines import office_calendar
from supervision.models.org import Department, User
from supervision.models.tasks import Importance, ReportSchedule, TaskGrade, TaskItem, TaskRole, TaskSourceKind
from supervision.tasks import services
from supervision.tasks.services import ItemInput, MilestoneInput, TaskInput


def _at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour))


def load(session: Session, paperwork) -> None:
    if session.scalar(select(TaskItem.id).limit(1)) is not None:
        return
    users = {u.username: u for u in session.scalars(select(User))}
    supervisor, leader = users.get("supervisor"), users.get("leader")
    market, service_centre = users.get("depthead"), users.get("depthead2")  # S02, S01
    if None in (supervisor, leader, market, service_centre):
        return
    departments = {d.code: d for d in session.scalars(select(Department))}
    today = clock.today()

    def day(days_ago: int) -> date:
        return today - timedelta(days=days_ago)

    def at(days_ago: int, hour: int = 10):
        return clock.frozen(_at(day(days_ago), hour))

    def register(days_ago: int, **fields) -> TaskItem:
        fields.setdefault("leader_id", leader.id)
        with at(days_ago, 9):
            return services.register_item(session, supervisor, ItemInput(**fields))

    def task(item, code: str, role: TaskRole = TaskRole.LEAD, **fields):
        return services.add_task(session, supervisor, item, TaskInput(departments[code].id, role, **fields))

    def issue(item, days_ago: int) -> None:
        with at(days_ago, 9):
            services.submit_item(session, supervisor, item)
        with at(days_ago, 11):
            services.approve_item(session, leader, item, "同意，抓紧推进。")
        with at(days_ago, 15):
            services.issue_item(session, supervisor, item, paperwork)

    def sign(t, head, days_ago: int) -> None:
        with at(days_ago, 10):
            services.sign_task(session, head, t)

    def report(t, head, days_ago: int | None, percent: int, text: str, milestones=()):
        """On ``days_ago``, or (None) on the day the report is due."""
        moment = _at(t.next_report_on, 16) if days_ago is None else _at(day(days_ago), 16)
        with clock.frozen(moment):
            return services.report_progress(session, head, t, percent, text,
                                            milestone_ids=[m.id for m in t.milestones if m.title in milestones])

    # 1. 领导批示件, done early in the year: closed, both units graded.
    item = register(300, source_kind=TaskSourceKind.INSTRUCTION, source_number="市领导批示〔2026〕8号",
                    source_date=day(302), source_text="企业开办时间还要再压缩，请政务服务中心牵头，市场监管局配合，一个月内见效。",
                    title="企业开办全程网办压缩至1个工作日", content="推行企业开办“一表填报、一网通办、一次领取”，全程压缩至1个工作日。",
                    importance=Importance.IMPORTANT, expected_result="企业开办平均用时不超过1个工作日。",
                    due_on=day(240), report_schedule=ReportSchedule.WEEKLY, report_weekday=5)
    with at(300, 10):
        lead = task(item, "S01", responsible_person="赵明（副主任）", requirements="牵头改造开办系统，压缩审批环节。",
                    milestones=[MilestoneInput("系统改造上线", "一表填报上线运行", due_on=day(270))])
        co = task(item, "S02", TaskRole.CO, responsible_person="刘海燕", requirements="营业执照即时办结。")
    issue(item, 299)
    sign(lead, service_centre, 298)
    sign(co, market, 298)
    for n, percent in enumerate((20, 45, 70, 90)):
        report(lead, service_centre, None, percent, f"第{n + 1}周：开办系统改造按计划推进，完成{percent}%。",
               milestones=("系统改造上线",) if percent == 90 else ())
        report(co, market, None, min(100, percent + 10), "执照审批环节已并入一窗受理。")
    with at(260, 10):
        services.apply_closure(session, market, co, "营业执照即时办结，平均用时0.5个工作日。")
        services.apply_closure(session, service_centre, lead, "企业开办平均用时0.8个工作日，已全程网办。")
    with at(258, 15):
        services.review_closure(session, supervisor, co, True, "同意销号。")
        services.review_closure(session, supervisor, lead, True, "成效明显，同意销号。")
        services.grade_task(session, supervisor, lead, TaskGrade.EXCELLENT, 96, "按期高质量完成。")
        services.grade_task(session, supervisor, co, TaskGrade.GOOD, 88, "配合积极。")

    # 2. 会议议定事项, under way: the lead reports weekly, once late; a leader's 批示 on a report.
    item = register(120, source_kind=TaskSourceKind.MEETING, source_number="市政府常务会议纪要〔2026〕21号",
                    source_date=day(122), source_text="会议议定：由市政务服务中心牵头，年底前实现高频事项“跨省通办”。",
                    title="高频政务服务事项“跨省通办”", content="梳理高频事项清单，年底前实现异地代收代办、多地联办。",
                    importance=Importance.IMPORTANT, due_on=day(-40), report_schedule=ReportSchedule.MONTHLY,
                    report_day=25, expected_result="100项高频事项实现跨省通办。")
    with at(120, 10):
        lead = task(item, "S01", responsible_person="赵明", requirements="牵头梳理清单、对接兄弟城市。",
                    milestones=[MilestoneInput("完成事项清单梳理", "清单经常务会审定", due_on=day(80)),
                                MilestoneInput("上线跨省通办专窗", due_on=day(-20))])
        co = task(item, "S02", TaskRole.CO, responsible_person="刘海燕", requirements="市场主体登记类事项纳入清单。")
        task(item, "S03", TaskRole.CO, requirements="社保类事项纳入清单。")
    issue(item, 119)
    sign(lead, service_centre, 118)
    sign(co, market, 117)
    r = report(lead, service_centre, 100, 25, "已梳理高频事项128项，正在征求意见。")
    report(lead, service_centre, 70, 55, "清单已审定，完成梳理节点。", milestones=("完成事项清单梳理",))
    with at(69, 9):
        services.write_instruction(session, leader, r, "清单要聚焦群众办事高频需求，注意与兄弟城市衔接。")
    last = report(lead, service_centre, 38, 70, "已与4个城市签订合作协议，专窗选址完成。")
    report(co, market, 40, 60, "登记类12项已纳入。")
    with at(37, 9):
        services.write_instruction(session, leader, last, "进度偏慢，请主要负责同志亲自调度。")

    # 3. 年度重点工作: the unit has not reported this month — red, and the sweep 催办s it.
    item = register(90, source_kind=TaskSourceKind.KEY_WORK, source_number="市政府工作报告重点任务分解第15项",
                    title="12345热线工单按时办结率达到98%", content="压实工单办理责任，建立超时预警和回访复核机制。",
                    due_on=day(-60), report_schedule=ReportSchedule.MONTHLY, report_day=20)
    with at(90, 10):
        lead = task(item, "S02", responsible_person="刘海燕", requirements="建立超时工单预警，按月通报。",
                    milestones=[MilestoneInput("预警机制建成运行", due_on=day(30))])
    issue(item, 89)
    sign(lead, market, 88)
    report(lead, market, 60, 30, "预警规则已制定，正在系统改造。")

    # 4. 目标任务 split by the lead unit: a sub-task for a co-unit that has not signed yet.
    item = register(75, source_kind=TaskSourceKind.TARGET, source_number="年度目标管理考核指标第3项",
                    title="政务服务事项“一网通办”比例达到90%", content="推动依申请政务服务事项全程网办，年底前比例达到90%。",
                    due_on=day(-25), report_schedule=ReportSchedule.MILESTONE)
    with at(75, 10):
        lead = task(item, "S01", responsible_person="赵明",
                    milestones=[MilestoneInput("完成事项梳理", due_on=day(45)),
                                MilestoneInput("网办比例达到80%", due_on=day(5)),
                                MilestoneInput("网办比例达到90%", due_on=day(-25))])
    issue(item, 74)
    sign(lead, service_centre, 73)
    report(lead, service_centre, 45, 40, "事项梳理完成，共1,206项。", milestones=("完成事项梳理",))
    with at(44, 10):
        services.split_task(session, service_centre, lead, TaskInput(
            departments["S04"].id, requirements="不动产登记类事项全程网办。", due_on=day(-20)))

    # 5. 人大代表建议: the unit applied for closure; waiting for the office's 复核.
    item = register(60, source_kind=TaskSourceKind.DEPUTY, source_number="市人大代表建议第112号",
                    title="关于规范市场监管领域涉企检查的建议", content="推行“综合查一次”，减少对企业的重复检查。",
                    due_on=day(-10), report_schedule=ReportSchedule.MONTHLY, report_day=25)
    with at(60, 10):
        lead = task(item, "S02", responsible_person="刘海燕")
    issue(item, 59)
    sign(lead, market, 58)
    report(lead, market, 40, 60, "已制定综合检查清单。")
    report(lead, market, 12, 95, "综合查一次已在三个区推开，答复代表并获满意。")
    with at(5, 10):
        services.apply_closure(session, market, lead, "已答复代表，代表满意；综合查一次全面推行。")

    # 6. 政协提案: an application sent back for more evidence, the unit working again.
    item = register(45, source_kind=TaskSourceKind.PROPOSAL, source_number="市政协提案第57号",
                    title="关于提升政务服务中心窗口服务质量的提案", content="推行首问负责、帮办代办，整治窗口推诿扯皮。",
                    due_on=day(-30), report_schedule=ReportSchedule.MONTHLY, report_day=25)
    with at(45, 10):
        lead = task(item, "S01", responsible_person="赵明")
    issue(item, 44)
    sign(lead, service_centre, 43)
    report(lead, service_centre, 20, 80, "帮办代办窗口已设立。")
    with at(15, 10):
        services.apply_closure(session, service_centre, lead, "已落实。")
    with at(14, 15):
        services.review_closure(session, supervisor, lead, False, "请补充群众满意度测评结果作为佐证。")

    # 11.–13. On track: the board shows every light. Green: the next milestone is a month away; yellow:
    # a milestone tomorrow (within the office's 2 working days), and one in six working days on an item
    # that warns ten working days ahead (its own rule; green under the office's).
    calendar = office_calendar(session)
    on_track = (
        ("年度重点工作", TaskSourceKind.KEY_WORK, "年度重点工作任务分解第22项", "“15分钟便民生活圈”建设",
         "新建、改造社区便民服务网点30个。", "S02", 30, None),
        ("会议议定事项", TaskSourceKind.MEETING, "市政府常务会议纪要〔2026〕35号", "政务服务“好差评”整改闭环",
         "差评件100%回访核实、整改、反馈。", "S01", calendar.add_workdays(today, 1), None),
        ("领导批示件", TaskSourceKind.INSTRUCTION, "市领导批示〔2026〕63号", "“高效办成一件事”第二批事项上线",
         "第二批13个“一件事”年内上线运行。", "S01", calendar.add_workdays(today, 6), 10),
    )
    for n, (_, kind, number, title, content, code, milestone, warning) in enumerate(on_track):
        milestone_on = day(-milestone) if isinstance(milestone, int) else milestone
        item = register(30 - n, source_kind=kind, source_number=number, title=title, content=content,
                        due_on=day(-120), report_schedule=ReportSchedule.MILESTONE, warning_workdays=warning)
        head = market if code == "S02" else service_centre
        with at(30 - n, 10):
            lead = task(item, code, responsible_person="刘海燕" if code == "S02" else "赵明",
                        milestones=[MilestoneInput("完成阶段目标", "按计划完成阶段任务", due_on=milestone_on)])
        issue(item, 29 - n)
        sign(lead, head, 28 - n)
        report(lead, head, 10, 40, "按计划推进，阶段目标正在落实。")

    # 7.–10. 上级交办 in draft, one waiting for the leader, one approved for issue, one cancelled.
    item = register(3, source_kind=TaskSourceKind.HIGHER, source_number="省政府督查室交办〔2026〕31号",
                    title="安全生产大检查发现问题整改", content="对大检查发现的问题建立清单，逐项整改销号。", due_on=day(-45))
    with at(3, 10):
        task(item, "S02", responsible_person="刘海燕")
    item = register(2, source_kind=TaskSourceKind.INSTRUCTION, source_number="市领导批示〔2026〕77号",
                    source_text="占道经营反弹明显，请城管局牵头集中整治。", title="城市管理领域占道经营集中整治",
                    content="集中整治主次干道占道经营，建立长效管控机制。", due_on=day(-60))
    with at(2, 10):
        task(item, "S10", responsible_person="", requirements="牵头集中整治。")
        task(item, "S02", TaskRole.CO, requirements="配合查处无照经营。")
        services.submit_item(session, supervisor, item)
    item = register(1, source_kind=TaskSourceKind.MEETING, source_number="市政府专题会议纪要〔2026〕40号",
                    title="农贸市场提升改造", content="年内完成5个农贸市场提升改造。", due_on=day(-90))
    with at(1, 10):
        task(item, "S02", responsible_person="刘海燕")
        services.submit_item(session, supervisor, item)
    with at(1, 15):
        services.approve_item(session, leader, item, "同意。")
    item = register(100, source_kind=TaskSourceKind.OTHER, title="政务服务大厅改造（已并入其他事项）",
                    content="政务服务大厅功能区改造。", due_on=day(10))
    with at(95, 10):
        services.cancel_item(session, supervisor, item, "已并入“高频政务服务事项跨省通办”统筹推进。")
    session.flush()
