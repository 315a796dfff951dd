"""Fill a migrated database with realistic matters, fast (bulk inserts), for the benchmarks.

    from benchmarks.datagen import make_app, populate
"""

from __future__ import annotations

import os
import random
import sys
import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, insert, select, text, update  # noqa: E402

from supervision import create_app  # noqa: E402
from supervision.extensions import db  # noqa: E402
from supervision.models.matters import (  # noqa: E402
    SERIAL_PREFIX, Assignment, AssignmentRole, AssignmentStatus, Category, Channel, Complainant, Matter,
    MatterKind, MatterStatus,
)
from supervision.models.org import Department, DepartmentKind, Role, User  # noqa: E402

UNITS = ["政务服务中心", "市场监督管理局", "人力资源和社会保障局", "自然资源和规划局", "住房和城乡建设局",
         "交通运输局", "卫生健康委员会", "教育局", "医疗保障局", "城市管理局", "民政局", "税务局",
         "公安局交警支队", "生态环境局", "行政审批局", "公积金管理中心", "不动产登记中心", "司法局",
         "农业农村局", "文化和旅游局"]
PLACES = ["窗口", "综合窗口", "服务大厅", "咨询台", "审批科", "执法中队", "营业厅", "受理窗口"]
AFFAIRS = ["营业执照变更", "社保卡补办", "公积金提取", "房产证办理", "户口迁移", "低保申请", "医保报销",
           "施工许可", "食品经营许可证", "退休审批", "不动产抵押登记", "个体工商户注册", "居住证申领",
           "二手房过户", "失业金申领", "养老金认证", "驾驶证换证"]
PROBLEMS = ["态度生硬", "推诿扯皮", "办事拖拉", "乱收费", "吃拿卡要", "不作为", "多次往返仍未办结",
            "要求反复补交材料", "超过承诺时限未办结", "上班时间玩手机", "擅离工作岗位", "不一次性告知所需材料",
            "以系统故障为由拒绝受理"]
DETAILS = ["工作人员称领导不在无法签字", "网上预约后到现场仍需排队三小时", "电话一直无人接听",
           "告知的材料清单与网上公布的不一致", "窗口提前半小时停止取号", "要求到另一部门开具证明",
           "办理进度无法查询", "投诉后被工作人员当面指责"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英"]
STATUS_MIX = [(MatterStatus.REGISTERED, 3), (MatterStatus.ACCEPTED, 2), (MatterStatus.ASSIGNED, 8),
              (MatterStatus.IN_PROGRESS, 20), (MatterStatus.REPLIED, 5), (MatterStatus.REWORK, 2),
              (MatterStatus.APPROVED, 3), (MatterStatus.CLOSED, 35), (MatterStatus.ARCHIVED, 15),
              (MatterStatus.NOT_ACCEPTED, 4), (MatterStatus.FILED, 3)]
ASSIGNED_STATES = {MatterStatus.ASSIGNED, MatterStatus.IN_PROGRESS, MatterStatus.REPLIED, MatterStatus.REWORK,
                   MatterStatus.APPROVED, MatterStatus.CLOSED, MatterStatus.ARCHIVED}
OPEN_ASSIGNMENT = {MatterStatus.ASSIGNED: AssignmentStatus.ASSIGNED, MatterStatus.IN_PROGRESS: AssignmentStatus.RECEIVED,
                   MatterStatus.REWORK: AssignmentStatus.RECEIVED, MatterStatus.REPLIED: AssignmentStatus.REPLIED}


# --- bulk writes: COPY on PostgreSQL (the INSERT statements' parsing and the per-row UPDATEs were most of
# the time of 100,000 matters), Core executemany on SQLite. The rows are the same either way: the columns a
# row leaves out get the model's Python-side defaults, as the ORM's bulk insert gives them, and an update
# bumps the version counter and sets the ``onupdate`` columns, as the ORM's bulk update by primary key does.
def _on_postgresql() -> bool:
    return db.engine.dialect.name == "postgresql"


def _copy(table, columns: list[str], rows, target: str | None = None) -> None:
    dialect = db.engine.dialect
    processors = [table.c[c].type._cached_bind_processor(dialect) for c in columns]
    raw = db.session.connection().connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(
            f'COPY {target or table.name} ({", ".join(columns)}) FROM STDIN') as copy:
        for row in rows:
            copy.write_row([p(v) if p else v for p, v in zip(processors, row)])


def bulk_insert(model, rows: list[dict]) -> None:
    """``session.execute(insert(model), rows)``, by COPY on PostgreSQL."""
    if not rows:
        return
    if not _on_postgresql():
        db.session.execute(insert(model), rows)
        return
    table = model.__table__
    given = list(rows[0])
    defaults = {}
    for column in table.c:
        if column.name in given or column.primary_key or column.default is None:
            continue
        default = column.default
        defaults[column.name] = default.arg if default.is_scalar else (default.arg(None) if default.is_callable
                                                                        else None)
    columns = given + list(defaults)
    extra = list(defaults.values())
    _copy(table, columns, ([row[c] for c in given] + extra for row in rows))


def bulk_update(model, rows: list[dict]) -> None:
    """``session.execute(update(model), rows)`` (by primary key ``id``), on PostgreSQL through a temporary
    table and one UPDATE … FROM per set of columns."""
    if not rows:
        return
    if not _on_postgresql():
        for start in range(0, len(rows), 5000):
            db.session.execute(update(model), rows[start:start + 5000])
        return
    from supervision import clock

    table = model.__table__
    version = model.__mapper__.version_id_col
    onupdate = [c for c in table.c if c.onupdate is not None]
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        groups.setdefault(tuple(row), []).append(row)
    session = db.session
    for keys, group in groups.items():
        columns = [k for k in keys if k != "id" and (version is None or k != version.key)]
        if not columns:  # nothing to set (the ORM skips such rows too)
            continue
        session.execute(text(f"CREATE TEMP TABLE bulk_update_rows ON COMMIT DROP AS "
                             f"SELECT {', '.join(['id'] + columns)} FROM {table.name} WITH NO DATA"))
        _copy(table, ["id"] + columns, ([row[c] for c in ["id"] + columns] for row in group), "bulk_update_rows")
        sets = [f"{c} = u.{c}" for c in columns]
        params = {}
        for n, column in enumerate(onupdate):
            if column.name not in columns:
                sets.append(f"{column.name} = :onupdate_{n}")
                params[f"onupdate_{n}"] = clock.now() if column.onupdate.is_callable else column.onupdate.arg
        if version is not None:
            sets.append(f"{version.name} = t.{version.name} + 1")
        session.execute(text(f"UPDATE {table.name} AS t SET {', '.join(sets)} FROM bulk_update_rows AS u "
                             f"WHERE t.id = u.id"), params)
        session.execute(text("DROP TABLE bulk_update_rows"))


BENCH_PASSWORD = "bench1234"  # every generated user's


def complaint_text(rng: random.Random, unit: str) -> tuple[str, str]:
    affair, problem = rng.choice(AFFAIRS), rng.choice(PROBLEMS)
    title = f"{unit}{rng.choice(PLACES)}办理{affair}{problem}"
    parts = [f"本人于{rng.randint(1, 12)}月{rng.randint(1, 28)}日到{unit}{rng.choice(PLACES)}办理{affair}，"
             f"工作人员{problem}，{rng.choice(DETAILS)}。"]
    while sum(map(len, parts)) < rng.randint(100, 400):
        parts.append(f"{rng.choice(DETAILS)}，{rng.choice(PROBLEMS)}，希望有关部门调查处理。")
    return title[:120], "".join(parts)


def make_app(database_url: str | None = None, instance_path: str | None = None, **config):
    """An app on a fresh migrated database (a temporary SQLite file unless a URL is given), with a new
    temporary instance folder unless ``instance_path`` names one to keep (e.g. its search index);
    ``config``: more configuration values."""
    from flask_migrate import upgrade

    instance = Path(instance_path) if instance_path else Path(tempfile.mkdtemp(prefix="supervision-bench-"))
    instance.mkdir(parents=True, exist_ok=True)
    os.environ["SUPERVISION_INSTANCE_PATH"] = str(instance)
    url = database_url or f"sqlite:///{instance}/bench.sqlite3"
    app = create_app({"SECRET_KEY": "bench", "AUDIT_KEY": "bench-audit-key", "SQLALCHEMY_DATABASE_URI": url, "RATELIMIT_ENABLED": False,
                      "WTF_CSRF_ENABLED": False, **config})
    with app.app_context():
        upgrade()
    return app


def reusable_sqlite(path: str) -> str:
    """A sqlite URL at a fixed path, so repeated runs can skip generating the data."""
    return f"sqlite:///{Path(path).resolve()}"


def populate(n_matters: int = 100_000, n_departments: int = 40, seed: int = 7, today: date | None = None) -> None:
    """Departments, one user per role, and ``n_matters`` matters in a realistic mix of states."""
    from supervision.auth.services import hash_password

    rng = random.Random(seed)
    today = today or date.today()
    session = db.session
    departments = []
    for i in range(n_departments):
        prefix = "市" if i < len(UNITS) else rng.choice(["东城区", "西湖区", "高新区"])
        departments.append(Department(code=f"B{i:03d}", name=f"{prefix}{UNITS[i % len(UNITS)]}{'' if i < len(UNITS) else i}",
                                      kind=DepartmentKind.CITY, active=True))
    session.add_all(departments)
    session.flush()
    password = hash_password(BENCH_PASSWORD)
    for role in Role:
        session.add(User(username=f"bench_{role.value}", display_name=role.label, role=role, password_hash=password,
                         department_id=departments[1].id if role == Role.DEPT_HEAD else None, active=True))
    categories = {kind: session.scalars(select(Category.id).where(Category.matter_kind == kind)).all()
                  for kind in MatterKind}
    session.commit()

    statuses = [s for s, w in STATUS_MIX for _ in range(w)]
    kinds = [MatterKind.COMPLAINT] * 7 + [MatterKind.SUGGESTION] * 2 + [MatterKind.FINDING]
    seqs = {k: 0 for k in MatterKind}
    batch = 5000
    matter_id = 0
    for start in range(0, n_matters, batch):
        matters, assignments, complainants = [], [], []
        for _ in range(min(batch, n_matters - start)):
            matter_id += 1
            kind = rng.choice(kinds)
            seqs[kind] += 1
            status = rng.choice(statuses)
            received = today - timedelta(days=int(rng.random() ** 2 * 1000))
            respondent = rng.choice(departments)
            lead = respondent if rng.random() < 0.6 else rng.choice(departments)
            title, content = complaint_text(rng, respondent.name)
            due = received + timedelta(days=21) if status in OPEN_ASSIGNMENT else None
            matters.append({
                "id": matter_id, "kind": kind, "year": received.year, "seq": seqs[kind],
                "serial": f"{SERIAL_PREFIX[kind]}-{received.year}-{matter_id:05d}"[:20], "query_code": "BENCH123",
                "channel": rng.choice(list(Channel)), "category_id": rng.choice(categories[kind]), "title": title,
                "content": content, "summary": content[:80], "respondent_department_id": respondent.id,
                "respondent_unit": respondent.name, "respondent_person": "", "received_on": received,
                "anonymous": rng.random() < 0.2, "confidential": False, "problems": "", "place": "", "inspectors": "",
                "status": status, "due_on": due, "due_provisional": False,
                "lead_department_id": lead.id if status in ASSIGNED_STATES else None,
                "accept_due_on": received + timedelta(days=4), "accept_due_provisional": False,
                "decision_reason": "", "rework_count": int(rng.random() < 0.08), "public_reply": "",
                "followup_note": "", "registered_at": datetime.combine(received, datetime.min.time()),
                "updated_at": datetime.combine(received, datetime.min.time()), "version": 1,
            })
            if status in ASSIGNED_STATES:
                assignments.append({
                    "matter_id": matter_id, "department_id": lead.id, "role": AssignmentRole.LEAD,
                    "status": OPEN_ASSIGNMENT.get(status, AssignmentStatus.DONE), "requirements": "",
                    "assigned_on": received + timedelta(days=3),
                    "assigned_at": datetime.combine(received, datetime.min.time()),
                    "limit_amount": 15, "limit_unit": "workday", "due_on": received + timedelta(days=24),
                    "due_provisional": False, "object_due_on": received + timedelta(days=10),
                    "avoidance_override": "", "return_reason": ""})
            complainants.append({"matter_id": matter_id, "name": rng.choice(SURNAMES) + rng.choice(GIVEN),
                                 "phone": f"13{rng.randint(100000000, 999999999)}", "id_number": "",
                                 "address": "", "work_unit": ""})
        bulk_insert(Matter, matters)
        bulk_insert(Assignment, assignments)
        bulk_insert(Complainant, complainants)
        session.commit()
    if db.engine.dialect.name == "postgresql":
        with db.engine.begin() as conn:
            conn.exec_driver_sql("SELECT setval('matter_id_seq', (SELECT max(id) FROM matter))")
            conn.exec_driver_sql("ANALYZE")
    else:
        with db.engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")


NOTICE_PROBLEMS = ["窗口工作人员工作时间离岗，未放置暂停服务提示牌。", "办事指南未及时更新，群众需多次补交材料。",
                   "意见簿长期无人回复。", "首问负责制落实不到位。", "限时办结制度执行不严，超期件未说明理由。",
                   "公示的收费项目与实际不符。", "电子政务平台事项状态长期未更新。"]


def populate_notices(n_notices: int = 10_000, seed: int = 11, today: date | None = None,
                     spread_days: int = 40) -> None:
    """``n_notices`` open rectification notices (整改通知书) with 1–5 items each, after ``populate``:
    deadlines spread from ``spread_days`` ago to ``spread_days`` ahead, so the sweep reminds, 催办s and
    督办s them all; a third signed for, some items reported or already closed (销号)."""
    from supervision.models.rectification import (
        ItemStatus, NoticeStatus, RectificationItem, RectificationNotice, RectificationSource,
    )

    rng = random.Random(seed)
    today = today or date.today()
    session = db.session
    department_ids = session.scalars(select(Department.id).order_by(Department.id)).all()
    supervisor_id = session.scalar(select(User.id).where(User.role == Role.SUPERVISOR).order_by(User.id).limit(1))
    first_id = (session.scalar(select(func.max(RectificationNotice.id))) or 0) + 1
    seqs: dict[int, int] = {}
    for year, seq in session.execute(select(RectificationNotice.year, func.max(RectificationNotice.seq))
                                     .group_by(RectificationNotice.year)):
        seqs[year] = seq or 0
    batch = 2000
    for start in range(0, n_notices, batch):
        notices, items = [], []
        for notice_id in range(first_id + start, first_id + min(start + batch, n_notices)):
            due = today + timedelta(days=rng.randint(-spread_days, spread_days))
            issued = due - timedelta(days=28)  # about 20 working days
            seqs[issued.year] = seq = seqs.get(issued.year, 0) + 1
            signed = rng.random() < 0.35
            notices.append({
                "id": notice_id, "number": f"效整〔{issued.year}〕{seq}号", "year": issued.year, "seq": seq,
                "department_id": rng.choice(department_ids), "source": rng.choice(list(RectificationSource)),
                "inspected_on": issued - timedelta(days=rng.randint(1, 10)),
                "basis": "《示范市机关效能建设监督检查办法》", "requirements": "", "consequence": "",
                "contact_person": "陈静", "contact_phone": "0571-87654322",
                "status": NoticeStatus.RECEIVED if signed else NoticeStatus.ISSUED, "issued_on": issued,
                "issued_at": datetime.combine(issued, datetime.min.time()), "issued_by_id": supervisor_id,
                "limit_amount": 20, "limit_unit": "workday", "due_on": due, "due_provisional": False,
                "received_at": datetime.combine(issued, datetime.min.time()) + timedelta(days=1) if signed else None,
                "version": 1})
            for position in range(1, rng.randint(1, 5) + 1):
                status = ItemStatus.OPEN
                if signed:
                    status = rng.choice([ItemStatus.OPEN, ItemStatus.REPORTED, ItemStatus.CLOSED])
                items.append({"notice_id": notice_id, "position": position, "problem": rng.choice(NOTICE_PROBLEMS),
                              "matter_id": None, "status": status, "version": 1,
                              "closed_at": datetime.combine(due, datetime.min.time()) if status == ItemStatus.CLOSED
                              else None})
        bulk_insert(RectificationNotice, notices)
        bulk_insert(RectificationItem, items)
        session.commit()
    with db.engine.begin() as conn:
        if db.engine.dialect.name == "postgresql":
            conn.exec_driver_sql(
                "SELECT setval('rectification_notice_id_seq', (SELECT max(id) FROM rectification_notice))")
        conn.exec_driver_sql("ANALYZE")


def populate_outcomes(seed: int = 13, today: date | None = None) -> None:
    """What ``populate`` leaves out and the statistics count, after it: signing for (签收) and replies
    (on time or late), 回访 satisfaction, approved extensions, duplicates (存查) linked to an original, and
    催办 / 督办 of the overdue open assignments."""
    from supervision.models.escalation import Escalation, EscalationKind
    from supervision.models.matters import Extension, ExtensionStatus, Satisfaction
    from supervision.paperwork.data import SupervisionLevel

    rng = random.Random(seed)
    today = today or date.today()
    session = db.session
    user_id = session.scalar(select(User.id).where(User.role == Role.DEPT_HEAD).order_by(User.id).limit(1))
    supervisor_id = session.scalar(select(User.id).where(User.role == Role.SUPERVISOR).order_by(User.id).limit(1))
    rows = session.execute(select(Assignment.id, Assignment.matter_id, Assignment.department_id, Assignment.status,
                                  Assignment.assigned_on, Assignment.due_on)).all()
    assignment_updates, extensions, escalations = [], [], []
    for id_, matter_id, department_id, status, assigned_on, due_on in rows:
        values = {"id": id_}
        if status != AssignmentStatus.ASSIGNED:
            values["received_at"] = datetime.combine(assigned_on, datetime.min.time()) + timedelta(
                days=rng.choice([0, 0, 0, 1, 1, 2, 4]), hours=10)
            values["received_by_id"] = user_id
        if status in (AssignmentStatus.REPLIED, AssignmentStatus.DONE):
            values["replied_at"] = datetime.combine(assigned_on, datetime.min.time()) + timedelta(
                days=rng.randint(3, 30), hours=15)
        assignment_updates.append(values)
        if status != AssignmentStatus.ASSIGNED and rng.random() < 0.05:
            extensions.append({"assignment_id": id_, "reason": "需调取档案。", "previous_due_on": due_on,
                               "requested_due_on": due_on + timedelta(days=14), "status": ExtensionStatus.APPROVED,
                               "requested_at": datetime.combine(assigned_on, datetime.min.time()),
                               "requested_by_id": user_id, "decided_by_id": supervisor_id, "decision_note": ""})
        if status in (AssignmentStatus.ASSIGNED, AssignmentStatus.RECEIVED) and due_on < today and rng.random() < 0.3:
            level = rng.choice([SupervisionLevel.phone] * 3 + [SupervisionLevel.written, SupervisionLevel.listed])
            escalations.append({
                "event_key": f"bench:{id_}:{level.value}", "subject_type": "assignment", "subject_id": id_,
                "matter_id": matter_id, "department_id": department_id,
                "kind": EscalationKind.URGE if level == SupervisionLevel.phone else EscalationKind.ESCALATION,
                "level": level, "due_on": due_on, "workdays_overdue": 1, "note": "",
                "issued_at": datetime.combine(min(today, due_on + timedelta(days=2)), datetime.min.time())})
    bulk_update(Assignment, assignment_updates)
    bulk_insert(Extension, extensions)
    bulk_insert(Escalation, escalations)
    session.commit()

    satisfactions = [Satisfaction.SATISFIED] * 7 + [Satisfaction.FAIRLY_SATISFIED] * 2 + [Satisfaction.DISSATISFIED]
    matter_updates = []
    originals: list[int] = []
    for id_, status, anonymous, received in session.execute(
            select(Matter.id, Matter.status, Matter.anonymous, Matter.received_on).order_by(Matter.id)):
        if status in (MatterStatus.CLOSED, MatterStatus.ARCHIVED) and not anonymous:
            matter_updates.append({"id": id_, "version": 1, "satisfaction": rng.choice(satisfactions),
                                   "followed_up_at": datetime.combine(received, datetime.min.time()) + timedelta(days=30)})
        elif status == MatterStatus.FILED and originals:
            matter_updates.append({"id": id_, "version": 1, "duplicate_of_id": rng.choice(originals[-200:])})
        else:
            originals.append(id_)
    bulk_update(Matter, matter_updates)
    session.commit()
    with db.engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")


TRIVIAL_ROUTE = "/bench/trivial"


def add_trivial_route(app) -> str:
    """The yardstick of the page benchmarks: a logged-in route of the same app that renders only the
    layout (session, user, menu, unread count) — what every staff page pays before its own work."""
    from flask import render_template
    from flask_login import login_required

    @app.get(TRIVIAL_ROUTE)
    @login_required
    def trivial():
        return render_template("base.html")

    return TRIVIAL_ROUTE


def login(client, username: str = "bench_supervisor") -> None:
    response = client.post("/login", data={"username": username, "password": BENCH_PASSWORD})
    assert response.status_code == 302, response.text[:500]


TASK_TITLES = ["优化营商环境“一件事”集成改革", "老旧小区加装电梯", "农贸市场改造提升", "学校周边交通秩序整治",
               "城市内涝点整治", "政务服务“一网通办”", "重点项目开工建设", "养老服务设施建设", "背街小巷环境整治",
               "高标准农田建设", "河湖长制落实", "安全生产专项整治", "招商引资签约项目落地", "公共停车泊位建设"]
TASK_PROGRESS = ["已完成方案制定，正在组织实施。", "完成年度目标的六成，剩余部分按计划推进。", "因资金未到位，进度滞后，正在协调。",
                 "已召开协调会，明确责任分工。", "完成现场踏勘，正在办理审批手续。", "主体工程已完工，正在验收。"]


def populate_tasks(n_items: int = 5_000, n_tasks: int = 40_000, n_reports: int = 200_000, seed: int = 17,
                   today: date | None = None) -> None:
    """``n_items`` 督查事项 with ``n_tasks`` tasks (a lead unit and co-units each) and ``n_reports`` progress
    reports, after ``populate`` (its departments and users): a busy office's year — most items running with
    deadlines from two months ago to half a year ahead, some closed and graded, a few still being drafted."""
    from supervision.models.tasks import (Importance, ItemStatus, ReportSchedule, Task, TaskGrade, TaskItem,
                                          TaskReport, TaskRole, TaskSourceKind, TaskStatus)

    rng = random.Random(seed)
    today = today or date.today()
    session = db.session
    department_ids = session.scalars(select(Department.id).order_by(Department.id)).all()
    supervisor_id = session.scalar(select(User.id).where(User.role == Role.SUPERVISOR).order_by(User.id).limit(1))
    leader_id = session.scalar(select(User.id).where(User.role == Role.LEADER).order_by(User.id).limit(1))
    head_id = session.scalar(select(User.id).where(User.role == Role.DEPT_HEAD).order_by(User.id).limit(1))
    per_item = [n_tasks // n_items + (1 if i < n_tasks % n_items else 0) for i in range(n_items)]
    first_item = (session.scalar(select(func.max(TaskItem.id))) or 0) + 1
    first_task = (session.scalar(select(func.max(Task.id))) or 0) + 1
    item_statuses = [ItemStatus.ISSUED] * 16 + [ItemStatus.CLOSED] * 3 + [ItemStatus.DRAFT, ItemStatus.REVIEW]
    running = [TaskStatus.RECEIVED] * 14 + [TaskStatus.ASSIGNED] * 2 + [TaskStatus.APPLIED, TaskStatus.CLOSED,
                                                                          TaskStatus.CLOSED]
    grades = list(TaskGrade)
    items, tasks, task_rows = [], [], []
    task_id = first_task
    for n in range(n_items):
        item_id = first_item + n
        status = rng.choice(item_statuses)
        registered = today - timedelta(days=rng.randint(20, 330))
        due = today + timedelta(days=rng.randint(-60, 200))
        issued = status in (ItemStatus.ISSUED, ItemStatus.CLOSED)
        watched = []
        units = rng.sample(department_ids, min(per_item[n], len(department_ids)))
        units += [rng.choice(department_ids) for _ in range(per_item[n] - len(units))]
        for position, department_id in enumerate(units):
            if not issued:
                t_status = TaskStatus.PLANNED
            elif status == ItemStatus.CLOSED:
                t_status = TaskStatus.CLOSED
            else:
                t_status = rng.choice(running)
            t_due = due - timedelta(days=rng.randint(0, 20))
            live = t_status in (TaskStatus.ASSIGNED, TaskStatus.RECEIVED)
            next_report = today + timedelta(days=rng.randint(-10, 30)) if live and rng.random() < 0.8 else None
            watch = min(d for d in (t_due, next_report) if d is not None) if live else None
            if watch is not None:
                watched.append(watch)
            closed = t_status == TaskStatus.CLOSED
            closed_at = datetime.combine(min(today, t_due + timedelta(days=rng.randint(-30, 10))), datetime.min.time())
            graded = closed and rng.random() < 0.7
            tasks.append({
                "id": task_id, "item_id": item_id, "parent_id": None, "department_id": department_id,
                "role": TaskRole.LEAD if position == 0 else TaskRole.CO, "responsible_person": "张明",
                "responsible_phone": "", "requirements": "按督查通知要求推进，按时报送进度。", "due_on": t_due,
                "due_provisional": False, "status": t_status, "created_at": datetime.combine(registered, datetime.min.time()),
                "created_by_id": supervisor_id,
                "assigned_at": datetime.combine(registered, datetime.min.time()) if issued else None,
                "received_at": datetime.combine(registered, datetime.min.time()) if t_status not in (
                    TaskStatus.PLANNED, TaskStatus.ASSIGNED) else None,
                "received_by_id": None, "closed_at": closed_at if closed else None,
                "closed_late": closed and closed_at.date() > t_due, "progress": 100 if closed else rng.randint(0, 95),
                "last_report_at": None, "report_count": 0, "late_report_count": 0, "next_report_on": next_report,
                "next_milestone_on": None, "watch_on": watch, "grade": rng.choice(grades) if graded else None,
                "score": None, "grade_note": "", "graded_at": closed_at if graded else None,
                "graded_by_id": supervisor_id if graded else None, "updated_at": closed_at, "version": 1})
            if t_status not in (TaskStatus.PLANNED, TaskStatus.ASSIGNED):
                task_rows.append((task_id, registered))
            task_id += 1
        items.append({
            "id": item_id, "year": registered.year, "seq": n + 1, "serial": f"DC-{registered.year}-{n + 1:05d}",
            "source_kind": rng.choice(list(TaskSourceKind)), "source_number": f"示政办〔{registered.year}〕{n % 300 + 1}号",
            "source_date": registered, "source_text": "", "title": f"{rng.choice(TASK_TITLES)}（第{n + 1}项）",
            "content": "按照年度工作要点，明确责任单位和完成时限，确保按期完成。", "importance": rng.choice(list(Importance)),
            "leader_id": leader_id if rng.random() < 0.9 else None, "expected_result": "", "due_on": due,
            "due_provisional": False, "report_schedule": ReportSchedule.MONTHLY, "report_weekday": None,
            "report_day": 25, "status": status, "registered_at": datetime.combine(registered, datetime.min.time()),
            "registered_by_id": supervisor_id, "submitted_at": None, "reviewed_at": None, "reviewed_by_id": None,
            "review_note": "", "notice_number": f"督通〔{registered.year}〕{n + 1}号" if issued else "",
            "issued_on": registered if issued else None,
            "issued_at": datetime.combine(registered, datetime.min.time()) if issued else None,
            "issued_by_id": supervisor_id if issued else None,
            "closed_at": datetime.combine(min(today, due), datetime.min.time()) if status == ItemStatus.CLOSED else None,
            "cancelled_reason": "", "watch_on": min(watched) if watched else (due if not issued else None),
            "updated_at": datetime.combine(registered, datetime.min.time()), "version": 1})
    for start in range(0, len(items), 5000):
        session.execute(insert(TaskItem), items[start:start + 5000])
    for start in range(0, len(tasks), 5000):
        session.execute(insert(Task), tasks[start:start + 5000])
    session.commit()
    reports = []
    for n in range(n_reports):
        task_id, registered = task_rows[n % len(task_rows)]
        at = datetime.combine(registered, datetime.min.time()) + timedelta(days=rng.randint(1, 300), hours=10)
        late = rng.random() < 0.1
        reports.append({"task_id": task_id, "percent": rng.randint(5, 100), "content": rng.choice(TASK_PROGRESS),
                        "difficulties": "", "due_on": at.date(), "workdays_late": rng.randint(1, 5) if late else 0,
                        "submitted_at": min(at, datetime.combine(today, datetime.min.time())),
                        "submitted_by_id": head_id})
        if len(reports) == 10000:
            session.execute(insert(TaskReport), reports)
            reports = []
    if reports:
        session.execute(insert(TaskReport), reports)
    session.commit()
    with db.engine.begin() as conn:
        if db.engine.dialect.name == "postgresql":
            for table in ("task_item", "task", "task_report"):
                conn.exec_driver_sql(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))")
        conn.exec_driver_sql("ANALYZE")
