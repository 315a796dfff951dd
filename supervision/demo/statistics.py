"""Demo history for the statistics page: eleven past months of matters with varied outcomes (on time,
late, reworked, returned, extended, 满意 / 基本满意 / 不满意, duplicates), driven through the real services
on their own dates, so the monthly trend, the department table and the ranking have something to show.

A few more departments get a liaison account (部门联络员) so that they can sign for and reply.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from supervision import clock
from supervision.admin import services as admin
from supervision.auth.services import LoginPolicy
from supervision.deadlines import office_calendar
from supervision.matters import services
from supervision.models.matters import Category, Channel, Matter, MatterKind, Satisfaction
from supervision.models.org import Department, Role, User

MONTHS = 11
PER_MONTH = 6
# (username, display name, department code): departments that can act in the demo besides S01 and S02.
LIAISONS = [("liaison_s03", "孙丽", "S03"), ("liaison_s05", "周强", "S05"), ("liaison_q01", "吴敏", "Q01")]
UNITS = ["市政务服务中心社保窗口", "市不动产登记中心受理大厅", "东城区人民路街道便民服务中心", "市医疗保障局报销窗口",
         "西湖区桥西镇便民服务中心", "市住房公积金管理中心"]
AFFAIRS = ["社保转移接续", "不动产抵押登记", "医保异地报销", "公积金提取", "营业执照变更", "居住证办理"]
PROBLEMS = ["办事拖拉", "态度生硬", "推诿扯皮", "不作为"]
OUTCOMES = ["on_time"] * 6 + ["late"] * 2 + ["rework", "returned", "extended", "not_accepted", "duplicate",
                                               "dissatisfied"]


def load(session: Session, config, today: date | None = None) -> None:
    today = today or clock.today()
    first_day = (today.replace(day=1) - timedelta(days=MONTHS * 31)).replace(day=1)
    if session.scalar(select(Matter.id).where(Matter.received_on < today - timedelta(days=60)).limit(1)):
        return  # loaded before
    departments = {d.code: d for d in session.scalars(select(Department))}
    users = {u.username: u for u in session.scalars(select(User))}
    policy = LoginPolicy(min_password_length=config.get("PASSWORD_MIN_LENGTH", 8))
    from supervision.demo import DEMO_PASSWORD

    for username, name, code in LIAISONS:
        if username not in users and code in departments:
            users[username] = admin.create_user(session, None, username=username, display_name=name,
                                                role=Role.DEPT_HEAD, password=DEMO_PASSWORD, policy=policy,
                                                department=departments[code], must_change_password=False)
    heads = {u.department_id: u for u in users.values() if u.role == Role.DEPT_HEAD and u.department_id}
    leads = [d for d in departments.values() if d.id in heads]
    categories = list(session.scalars(select(Category).where(Category.matter_kind == MatterKind.COMPLAINT,
                                                             Category.active)))
    intake, supervisor = users["intake"], users["supervisor"]
    calendar = office_calendar(session)
    rng = random.Random(8)
    first_matter = None
    month_start = first_day
    while month_start < today.replace(day=1) - timedelta(days=31):
        for n in range(PER_MONTH):
            received = calendar.next_workday(month_start + timedelta(days=rng.randint(0, 24)))
            lead = rng.choice(leads)
            unit, affair, problem = rng.choice(UNITS), rng.choice(AFFAIRS), rng.choice(PROBLEMS)
            with clock.frozen(received):
                matter = services.register_matter(session, intake, services.MatterInput(
                    kind=MatterKind.COMPLAINT, channel=rng.choice([Channel.PHONE, Channel.ONLINE, Channel.HOTLINE_12345,
                                                                   Channel.VISIT, Channel.LETTER]),
                    title=f"{unit}办理{affair}{problem}", content=f"反映{unit}办理{affair}时{problem}。",
                    summary=f"反映{unit}办理{affair}时{problem}。", received_on=received,
                    category=rng.choice(categories) if categories else None, respondent_unit=unit,
                    anonymous=n % 5 == 4,
                    identity=services.IdentityInput() if n % 5 == 4 else services.IdentityInput(
                        name=rng.choice(["张伟", "王芳", "李娜", "刘洋"]), phone=f"139{rng.randint(10000000, 99999999)}")))
            first_matter = first_matter or matter
            _drive(session, matter, rng.choice(OUTCOMES), received, lead, heads[lead.id], intake, supervisor,
                   first_matter, calendar, rng)
        month_start = (month_start + timedelta(days=32)).replace(day=1)
    session.flush()


def _drive(session, matter, outcome, received, lead, head, intake, supervisor, original, calendar, rng):
    today = clock.today()

    def on(workdays: int):
        return clock.frozen(min(calendar.add_workdays(received, workdays), today))

    if outcome == "not_accepted":
        with on(1):
            services.reject_matter(session, intake, matter, "反映的问题不属于效能投诉受理范围，已告知反映人。")
        return
    if outcome == "duplicate" and original is not matter:
        with on(1):
            services.file_as_duplicate(session, intake, matter, original, "同一事项重复反映")
        return
    with on(1):
        services.accept_matter(session, intake, matter)
        services.assign_matter(session, intake, matter, lead=lead, requirements="请认真调查核实，按时限报送办理结果。",
                               avoidance_reason="由该单位纪检组牵头办理，纪检组长负责")
    assignment = matter.lead_assignment
    if outcome == "returned":
        with on(2):
            services.return_assignment(session, head, assignment, "该事项不属于本单位职责。")
        return
    with on(1 if rng.random() < 0.8 else 3):
        services.sign_assignment(session, head, assignment)
    if outcome == "extended":
        with on(8):
            extension = services.request_extension(session, head, assignment,  # a working day, as typed dates are
                                                   office_calendar(session).add_workdays(assignment.due_on, 10),
                                                   "涉及多个科室，需延长调查时间。")
            services.decide_extension(session, supervisor, extension, True)
    reply_day = {"late": 20}.get(outcome, rng.randint(5, 13))
    reply = "经调查核实，已对相关工作人员批评教育并督促整改。"
    public = "您反映的问题已核实处理，感谢您的监督。"
    with on(reply_day):
        services.submit_reply(session, head, assignment, reply, public)
    if outcome == "rework":
        with on(reply_day + 1):
            services.review_reply(session, supervisor, matter, False, "调查不够深入，请补充。")
        reply_day += 3
        with on(reply_day):
            services.submit_reply(session, head, assignment, reply + "补充：已扣减当事人当月绩效。", public)
    with on(reply_day + 1):
        services.review_reply(session, supervisor, matter, True)
    satisfaction = (Satisfaction.DISSATISFIED if outcome == "dissatisfied"
                    else rng.choice([Satisfaction.SATISFIED] * 3 + [Satisfaction.FAIRLY_SATISFIED]))
    with on(reply_day + 3):
        if matter.anonymous:
            services.close_matter(session, intake, matter, "匿名反映，无法回访，予以办结。")
            return
        services.record_follow_up(session, intake, matter, satisfaction, "电话回访。")
        services.close_matter(session, intake, matter)
