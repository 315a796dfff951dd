"""A realistic demo office for `flask demo-data`: a newcomer's first look should show a living office.

The demo and sample data live in this package only; the application imports it from the `demo-data`
command (and the paperwork samples), never at run time."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from supervision.admin import services as admin
from supervision.auth.services import LoginPolicy
from supervision.models.org import Department, DepartmentKind, Role, User

DEMO_PASSWORD = "demo2026"

# (code, name, kind, parent code)
DEPARTMENTS: list[tuple[str, str, DepartmentKind, str | None]] = [
    ("S01", "市政务服务中心", DepartmentKind.CITY, None),
    ("S02", "市市场监督管理局", DepartmentKind.CITY, None),
    ("S03", "市人力资源和社会保障局", DepartmentKind.CITY, None),
    ("S04", "市自然资源和规划局", DepartmentKind.CITY, None),
    ("S05", "市住房和城乡建设局", DepartmentKind.CITY, None),
    ("S06", "市交通运输局", DepartmentKind.CITY, None),
    ("S07", "市卫生健康委员会", DepartmentKind.CITY, None),
    ("S08", "市教育局", DepartmentKind.CITY, None),
    ("S09", "市医疗保障局", DepartmentKind.CITY, None),
    ("S10", "市城市管理局", DepartmentKind.CITY, None),
    ("S11", "市不动产登记中心", DepartmentKind.CITY, "S04"),
    ("Q01", "东城区人民政府", DepartmentKind.DISTRICT, None),
    ("Q02", "西湖区人民政府", DepartmentKind.DISTRICT, None),
    ("Q03", "高新区管委会", DepartmentKind.DISTRICT, None),
    ("J01", "东城区人民路街道办事处", DepartmentKind.TOWNSHIP, "Q01"),
    ("J02", "东城区和平街道办事处", DepartmentKind.TOWNSHIP, "Q01"),
    ("J03", "西湖区桥西镇人民政府", DepartmentKind.TOWNSHIP, "Q02"),
    ("J04", "西湖区柳营乡人民政府", DepartmentKind.TOWNSHIP, "Q02"),
]

# (username, display name, role, department code)
USERS: list[tuple[str, str, Role, str | None]] = [
    ("admin", "王建国", Role.ADMIN, None),
    ("intake", "李秀英", Role.INTAKE, None),
    ("supervisor", "张卫东", Role.SUPERVISOR, None),
    ("leader", "陈志刚", Role.LEADER, None),
    ("depthead", "刘海燕", Role.DEPT_HEAD, "S02"),
    ("depthead2", "赵明", Role.DEPT_HEAD, "S01"),
]


def load(session: Session, config) -> list[tuple[str, str, str]]:
    """Create what is missing; return (username, password, role label) of the demo accounts."""
    policy = LoginPolicy(min_password_length=config.get("PASSWORD_MIN_LENGTH", 8))
    by_code = {d.code: d for d in session.scalars(select(Department))}
    for code, name, kind, parent in DEPARTMENTS:
        if code not in by_code:
            by_code[code] = admin.create_department(session, None, code=code, name=name, kind=kind,
                                                    parent=by_code.get(parent) if parent else None)
    existing = set(session.scalars(select(User.username)))
    for username, display_name, role, department in USERS:
        if username not in existing:
            admin.create_user(session, None, username=username, display_name=display_name, role=role,
                              password=DEMO_PASSWORD, policy=policy, must_change_password=False,
                              department=by_code[department] if department else None)
    session.flush()
    from supervision.demo import matters as demo_matters

    demo_matters.load(session, by_code)
    _load_portal(session)
    _load_rectification(session, by_code, config)
    _load_talks(session, config)
    from supervision.demo import clues as clues_demo

    clues_demo.load(session, config)  # clues in each of the four ways; the demo 函询 migrated
    _load_tasks(session, config)
    _load_statistics_history(session, config)
    _run_sweep(session, config)
    return [(username, DEMO_PASSWORD, f"{role.label}" + (f"（{by_code[d].name}）" if d else ""))
            for username, _, role, d in USERS]


def _load_rectification(session: Session, by_code: dict[str, Department], config) -> None:
    """Rectification notices in every state (their .docx go to the instance's documents folder)."""
    from supervision.documents.services import office_profile
    from supervision.web import documents_folder
    from supervision.demo import rectification as rectification_demo
    from supervision.rectification.services import Paperwork

    rectification_demo.load(session, by_code, Paperwork(office_profile(config), documents_folder()))


def _load_tasks(session: Session, config) -> None:
    """督查事项 of the year in every state, with their 督查通知 (the sweep below 催办s the late ones)."""
    from supervision.demo import tasks as tasks_demo
    from supervision.documents.services import Paperwork, office_profile
    from supervision.web import documents_folder

    tasks_demo.load(session, Paperwork(office_profile(config), documents_folder()))


def _load_portal(session: Session) -> None:
    """Published figures for last month, so the public 公开数据 page is not empty."""
    from datetime import timedelta

    from supervision import clock
    from supervision.models.portal import FigureSnapshot, PeriodKind
    from supervision.portal import services as portal

    if session.scalar(select(FigureSnapshot.id).limit(1)) is not None:
        return
    last_month = clock.today().replace(day=1) - timedelta(days=1)
    supervisor = session.scalar(select(User).where(User.username == "supervisor"))
    portal.publish_figures(session, supervisor, portal.period_of(PeriodKind.MONTH, last_month.year,
                                                                 last_month.month))


def _load_talks(session: Session, config) -> None:
    """Talks and inquiries of each kind in several states, with their documents."""
    from supervision.demo import talks as talks_demo

    talks_demo.load(session, config)


def _load_statistics_history(session: Session, config) -> None:
    """Eleven past months of handled matters, so the statistics page has a trend and a ranking."""
    from supervision.demo import statistics as statistics_demo

    statistics_demo.load(session, config)


def _run_sweep(session: Session, config) -> None:
    """The deadline sweep once, so overdue demo matters already carry their 催办 and 督办."""
    from supervision.escalation.services import SweepPolicy, sweep

    sweep(session, SweepPolicy.from_config(config))
