"""Demo rectification notices in every state (some overdue), driven through the real services so that
numbers, documents, timelines and audit rows are what the procedure would have produced."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from supervision import clock
from supervision.deadlines import office_calendar
from supervision.models.matters import Matter, MatterKind
from supervision.models.org import Department, Role, User
from supervision.models.rectification import RectificationNotice, RectificationSource
from supervision.rectification import services

PROBLEMS = {
    "S01": ["二楼综合窗口工作时间两人离岗，未放置暂停服务提示牌。",
            "不动产登记网上预约号源长期显示已满，未说明原因。",
            "大厅意见簿近三个月的群众意见无回复记录。"],
    "S02": ["食品经营许可窗口一次性告知单仍为 2023 年版，与现行要求不一致。",
            "“好差评”评价器处于关闭状态，未按规定接受群众评价。",
            "门户网站政务公开栏目办事指南更新滞后。",
            "首问负责制度落实不到位，个别事项超承诺时限未办结。"],
    "S03": ["服务大厅工作人员上班时间玩手机游戏。",
            "社保窗口咨询台长时间无人值守。"],
    "S05": ["质监站竣工验收意见出具超过承诺时限。"],
}
REPORTS = ["已对相关人员进行批评教育并调整岗位，建立每日巡查登记制度，附整改照片。",
           "已更新一次性告知单并在窗口和网站同步公布，附新版告知单。",
           "已恢复评价器并纳入科室月度考核，附系统截图。",
           "已修订首问负责制度，对超时事项逐件说明原因并办结。"]
# (department, source, days ago issued, workdays allowed, where to take it)
PLAN = [
    ("S02", RectificationSource.UNDERCOVER, 3, 20, "issued"),
    ("S01", RectificationSource.DISCLOSURE_CHECK, 40, 15, "issued"),  # overdue, never signed for
    ("S02", RectificationSource.SPECIAL_CHECK, 12, 20, "received"),
    ("S01", RectificationSource.UNDERCOVER, 16, 20, "reported"),
    ("S02", RectificationSource.DISCLOSURE_CHECK, 45, 20, "partly_closed"),  # overdue, 2 of 4 closed
    ("S01", RectificationSource.SPECIAL_CHECK, 20, 20, "sent_back"),
    ("S02", RectificationSource.UNDERCOVER, 50, 20, "closed"),
    ("S03", RectificationSource.SPECIAL_CHECK, 8, 10, "issued"),
    ("S05", RectificationSource.COMPLAINT_CHECK, 30, 10, "issued"),  # overdue
]


def load(session: Session, departments: dict[str, Department], paperwork: services.Paperwork) -> None:
    if session.scalar(select(RectificationNotice.id).limit(1)) is not None:
        return
    users = {u.username: u for u in session.scalars(select(User))}
    supervisor = users.get("supervisor")
    if supervisor is None:
        return
    heads = {u.department_id: u for u in users.values() if u.role == Role.DEPT_HEAD}
    findings = {m.respondent_department_id: m for m in session.scalars(
        select(Matter).where(Matter.kind == MatterKind.FINDING).order_by(Matter.id))
        if services.can_be_rectified(m)}
    today = clock.today()
    calendar = office_calendar(session)
    for code, source, days_ago, workdays, state in PLAN:
        department = departments[code]
        issued = calendar.next_workday(today - timedelta(days=days_ago))
        if issued > today:
            issued = today
        finding = findings.get(department.id) if state in ("issued", "received", "reported") else None
        with clock.frozen(issued):
            notice = services.issue_rectification_notice(session, supervisor, services.NoticeInput(
                department=department, source=source,
                problems=services.problems_of(finding) if finding else PROBLEMS[code],
                workdays=workdays, inspected_on=issued - timedelta(days=3),
                basis="《示范市机关效能建设监督检查办法》",
                requirements=["高度重视，对照问题逐条制定整改措施，明确责任领导、责任人和完成时限。",
                              "举一反三，建立长效机制，防止问题反弹。"],
                contact_person="张卫东", contact_phone="0571-87654321",
                matters=[finding] if finding else []), paperwork=paperwork)
        head = heads.get(department.id)
        if state == "issued" or head is None:
            continue
        step = issued

        def at(days: int):
            nonlocal step
            step = min(calendar.add_workdays(step, days), today)
            return clock.frozen(step)

        with at(1):
            services.sign_notice(session, head, notice)
        if state == "received":
            continue
        reported = notice.items if state != "partly_closed" else notice.items[:3]
        with at(3):
            for n, item in enumerate(reported):
                services.report_item(session, head, item, REPORTS[n % len(REPORTS)])
        if state == "reported":
            continue
        with at(2):
            if state == "sent_back":
                services.verify_item(session, supervisor, notice.items[0], True)
                services.verify_item(session, supervisor, notice.items[1], False,
                                     "未附整改照片，未说明对预约系统的技术整改措施，请补充。")
            elif state == "partly_closed":
                services.verify_item(session, supervisor, notice.items[0], True)
                services.verify_item(session, supervisor, notice.items[1], True)
            else:
                for item in notice.items:
                    services.verify_item(session, supervisor, item, True, "整改到位。")
    session.flush()
