"""Factories for the matters tests. Every state is reached through the real services (register →
accept → assign → sign → …), never by writing ``status`` directly, so each matter a test gets has
the timeline, the audit rows and the deadlines that the procedure would have given it.

Loaded as a pytest plugin (``pytest_plugins`` in conftest.py): a test asks for ``make_matter``, ``office``,
``today`` … by name; only plain helpers (``signed_in``, ``PDF_BYTES`` …) are imported.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from supervision import clock
from supervision.matters import services
from supervision.models.audit import AuditEntry
from supervision.models.matters import Channel, Matter, MatterKind, Satisfaction
from supervision.auth import services as auth_services
from supervision.models.org import Department, DepartmentKind, Role, User
from supervision.uploads import Storage

TODAY = date(2026, 6, 1)  # a Monday, in a year chinesecalendar knows: no provisional deadlines

PASSWORD = "pass1234"  # conftest.TEST_PASSWORD
PDF_BYTES = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


@dataclass
class Office:
    """The people of one test: the office's staff and three departments with their heads."""

    admin: User
    intake: User
    supervisor: User
    leader: User
    department: Department  # the lead (主办) department of every matter make_matter assigns
    head: User
    co_department: Department  # 协办
    co_head: User
    other_department: Department  # has nothing to do with the matter
    other_head: User


@pytest.fixture
def today():
    """Freeze the office's clock on a plain Monday; a test may nest ``clock.frozen`` to move on."""
    with clock.frozen(TODAY):
        yield TODAY


@functools.cache
def _password_hash() -> str:
    return auth_services.hash_password(PASSWORD)


@pytest.fixture
def office(session, today) -> Office:
    """Built in one transaction (not with make_user, which commits each user): every matters test uses
    it, and on PostgreSQL ten commits cost more than the test itself."""
    department = Department(code="S02", name="市市场监督管理局", kind=DepartmentKind.CITY)
    co_department = Department(code="S03", name="市人力资源和社会保障局", kind=DepartmentKind.CITY)
    other_department = Department(code="S07", name="市卫生健康委员会", kind=DepartmentKind.CITY)

    def user(role: Role, name: str, department: Department | None = None) -> User:
        return User(username=name, display_name=f"{role.label}{name}", role=role, department=department,
                    password_hash=_password_hash(), active=True)

    people = Office(
        admin=user(Role.ADMIN, "admin"), intake=user(Role.INTAKE, "intake"),
        supervisor=user(Role.SUPERVISOR, "supervisor"), leader=user(Role.LEADER, "leader"),
        department=department, head=user(Role.DEPT_HEAD, "head", department),
        co_department=co_department, co_head=user(Role.DEPT_HEAD, "co_head", co_department),
        other_department=other_department, other_head=user(Role.DEPT_HEAD, "other_head", other_department),
    )
    session.add_all(vars(people).values())
    session.commit()
    return people


@pytest.fixture
def storage(app) -> Storage:
    """The storage the views use: instance/uploads, with the app's size limit."""
    return Storage(Path(app.instance_path) / "uploads", app.config["UPLOAD_MAX_BYTES"])


def matter_input(**fields) -> services.MatterInput:
    """A plain real-name complaint received today; any MatterInput field may be overridden."""
    values = dict(kind=MatterKind.COMPLAINT, channel=Channel.PHONE, title="窗口办事拖拉",
                  content="来电反映到窗口办理业务被要求反复补材料。", summary="群众反映窗口办事拖拉、未一次性告知。",
                  received_on=clock.today(), identity=services.IdentityInput(name="张某某", phone="13800000000"))
    if fields.get("anonymous") and "identity" not in fields:
        values["identity"] = services.IdentityInput()
    values.update(fields)
    return services.MatterInput(**values)


# The services' steps, in the order the procedure takes them.
def _accept(s, o, m, opts):
    services.accept_matter(s, o.intake, m)


def _reject(s, o, m, opts):
    services.reject_matter(s, o.intake, m, "不属于效能投诉受理范围。")


def _file_duplicate(s, o, m, opts):
    original = services.register_matter(s, o.intake, matter_input(title="原件"))
    services.file_as_duplicate(s, o.intake, m, original)


def _assign(s, o, m, opts):
    services.assign_matter(s, o.intake, m, lead=o.department,
                           co_handling=[o.co_department] if opts["co_handling"] else [],
                           requirements="请核实并于时限内报送办理结果。")


def _sign(s, o, m, opts):
    services.sign_assignment(s, o.head, m.lead_assignment)


def _return(s, o, m, opts):
    services.return_assignment(s, o.head, m.lead_assignment, "该事项不属于本单位职责。")


def _reply(s, o, m, opts):
    services.submit_reply(s, o.head, m.lead_assignment, "经核实，已责令窗口一次性告知。", "已责成整改，感谢监督。")


def _approve(s, o, m, opts):
    for co in services.awaited_co_handlers(m):  # the factory's co-handler gives no opinion: waived
        services.waive_co_opinion(s, o.supervisor, co, "协办单位无补充意见。")
    services.review_reply(s, o.supervisor, m, True)


def _send_back(s, o, m, opts):
    services.review_reply(s, o.supervisor, m, False, "核实不清，请补充调查。")


def _follow_up(s, o, m, opts):
    services.record_follow_up(s, o.intake, m, opts["satisfaction"], "电话回访。")


def _close(s, o, m, opts):
    services.close_matter(s, o.intake, m, "办结。")


def _archive(s, o, m, opts):
    services.archive_matter(s, o.intake, m)


_HANDLED = [_accept, _assign, _sign, _reply]
ROUTES = {
    "registered": [],
    "accepted": [_accept],
    "not_accepted": [_reject],
    "filed": [_file_duplicate],
    "assigned": [_accept, _assign],
    "returned": [_accept, _assign, _return],
    "in_progress": [_accept, _assign, _sign],
    "replied": _HANDLED,
    "rework": [*_HANDLED, _send_back],
    "approved": [*_HANDLED, _approve],
    "followed_up": [*_HANDLED, _approve, _follow_up],
    "closed": [*_HANDLED, _approve, _follow_up, _close],
    "archived": [*_HANDLED, _approve, _follow_up, _close, _archive],
}


@pytest.fixture
def make_matter(session, office):
    """``make_matter("in_progress", anonymous=True, co_handling=True)``: a matter driven there by the
    services. Keyword arguments other than ``co_handling`` and ``satisfaction`` go to MatterInput."""

    def make(status: str = "registered", *, co_handling: bool = False,
             satisfaction: Satisfaction = Satisfaction.SATISFIED, **fields) -> Matter:
        opts = {"co_handling": co_handling, "satisfaction": satisfaction}
        matter = services.register_matter(session, office.intake, matter_input(**fields))
        for step in ROUTES[status]:
            step(session, office, matter, opts)
        session.commit()
        assert matter.status.value == status
        return matter

    return make


# --- reading the audit log -----------------------------------------------------------------------
def audit_entries(session, action: str | None = None, target=None) -> list[AuditEntry]:
    query = select(AuditEntry).order_by(AuditEntry.seq)
    if action is not None:
        query = query.where(AuditEntry.action == action)
    if target is not None:
        query = query.where(AuditEntry.target_type == target.__tablename__, AuditEntry.target_id == target.id)
    return list(session.scalars(query))


def last_audit(session, action: str, target=None) -> tuple[AuditEntry, dict]:
    """The newest entry of ``action`` (on ``target``) and its changes, decoded."""
    entries = audit_entries(session, action, target)
    assert entries, f"no audit entry {action!r}"
    return entries[-1], json.loads(entries[-1].changes)


# --- the web side --------------------------------------------------------------------------------
def signed_in(app, user: User, password: str = PASSWORD):
    """A client of its own, logged in as ``user`` (several users can then act in one test)."""
    client = app.test_client()  # conftest's FormClient: a clean flask.g per request, so users do not mix
    response = client.post("/login", data={"username": user.username, "password": password})
    assert response.status_code == 302, response.text
    return client
