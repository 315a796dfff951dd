"""Every write of the administration area: user accounts and departments."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from supervision import audit
from supervision.auth.services import (LoginPolicy, check_password_rules, clear_failures, hash_password,
                                        password_rules_for)
from supervision.errors import ValidationError
from supervision.models.org import Department, DepartmentKind, Role, User


def _check_department_for_role(role: Role, department: Department | None) -> None:
    if role == Role.DEPT_HEAD and department is None:
        raise ValidationError("部门负责人必须指定所属部门。")
    if department is not None and not department.active:
        raise ValidationError(f"部门“{department.name}”已停用，不能分配用户。")


def create_user(session: Session, actor: User, *, username: str, display_name: str, role: Role,
                password: str, policy: LoginPolicy, department: Department | None = None,
                phone: str = "", email: str = "", must_change_password: bool = True) -> User:
    """``must_change_password``: the password was chosen by someone else (an administrator), so the user
    replaces it at first login. False only where the user typed it (``flask create-user``) or for demo data."""
    username = username.strip()
    if session.scalar(select(User.id).where(func.lower(User.username) == username.lower())):
        raise ValidationError(f"用户名“{username}”已存在。")
    check_password_rules(password, policy, username=username, display_name=display_name, phone=phone, email=email)
    _check_department_for_role(role, department)
    user = User(username=username, display_name=display_name, role=role, department=department,
                password_hash=hash_password(password), phone=phone, email=email, active=True,
                must_change_password=must_change_password)
    session.add(user)
    audit.record(session, actor, "user.created", user, f"创建用户 {username}（{role.label}）",
                 {"role": role, "department_id": department.id if department else None,
                  "must_change_password": must_change_password})
    return user


def update_user(session: Session, actor: User, user: User, *, display_name: str, role: Role,
                department: Department | None, phone: str, email: str) -> None:
    _check_department_for_role(role, department)
    if user.id == actor.id and role != Role.ADMIN:
        raise ValidationError("不能取消自己的管理员角色。")
    changes = audit.diff(user, {"display_name": display_name, "role": role,
                                "department_id": department.id if department else None,
                                "phone": phone, "email": email})
    if changes:
        audit.record(session, actor, "user.updated", user, f"修改用户 {user.username}", changes)


def set_user_active(session: Session, actor: User, user: User, active: bool) -> None:
    if user.id == actor.id and not active:
        raise ValidationError("不能停用自己的账户。")
    if user.active == active:
        return
    user.active = active
    changes: dict = {"active": active}
    if not active:
        user.end_sessions()  # a later re-activation must not revive a cookie from before
        changes["session_generation"] = user.session_generation
    action, word = ("user.activated", "启用") if active else ("user.deactivated", "停用")
    audit.record(session, actor, action, user, f"{word}用户 {user.username}", changes)


def reset_password(session: Session, actor: User, user: User, password: str, policy: LoginPolicy) -> None:
    check_password_rules(password, policy, **password_rules_for(user))
    user.password_hash = hash_password(password)
    clear_failures(session, user.username)
    user.end_sessions()
    user.must_change_password = True  # the administrator knows this password: the user replaces it at login
    audit.record(session, actor, "user.password_reset", user, f"重置用户 {user.username} 的密码",
                 {"session_generation": user.session_generation, "must_change_password": True})


def unlock_user(session: Session, actor: User, user: User) -> None:
    """解除登录限制: the failed logins typed with this user's name stop counting, from every address."""
    cleared = clear_failures(session, user.username)
    audit.record(session, actor, "user.unlocked", user, f"解除用户 {user.username} 的登录限制", {"failures": cleared})


def _check_parent(department: Department | None, parent: Department | None) -> None:
    node = parent
    while node is not None:
        if department is not None and node.id == department.id:
            raise ValidationError("上级单位不能是本单位或其下级单位。")
        node = node.parent


def create_department(session: Session, actor: User, *, code: str, name: str, kind: DepartmentKind,
                      parent: Department | None = None, contact_person: str = "",
                      contact_phone: str = "") -> Department:
    _check_unique_department(session, code, name)
    department = Department(code=code, name=name, kind=kind, parent=parent,
                            contact_person=contact_person, contact_phone=contact_phone, active=True)
    session.add(department)
    audit.record(session, actor, "department.created", department, f"新增单位 {code} {name}",
                 {"kind": kind, "parent_id": parent.id if parent else None})
    return department


def update_department(session: Session, actor: User, department: Department, *, code: str, name: str,
                      kind: DepartmentKind, parent: Department | None, contact_person: str,
                      contact_phone: str) -> None:
    _check_unique_department(session, code, name, exclude_id=department.id)
    _check_parent(department, parent)
    changes = audit.diff(department, {"code": code, "name": name, "kind": kind,
                                      "parent_id": parent.id if parent else None,
                                      "contact_person": contact_person, "contact_phone": contact_phone})
    if changes:
        audit.record(session, actor, "department.updated", department, f"修改单位 {name}", changes)


def set_department_active(session: Session, actor: User, department: Department, active: bool) -> None:
    if department.active == active:
        return
    department.active = active
    action, word = ("department.activated", "启用") if active else ("department.deactivated", "停用")
    audit.record(session, actor, action, department, f"{word}单位 {department.name}", {"active": active})


def _check_unique_department(session: Session, code: str, name: str, exclude_id: int | None = None) -> None:
    for column, value, label in ((Department.code, code, "单位代码"), (Department.name, name, "单位名称")):
        query = select(Department.id).where(column == value)
        if exclude_id is not None:
            query = query.where(Department.id != exclude_id)
        if session.scalar(query):
            raise ValidationError(f"{label}“{value}”已存在。")
