"""The organisation: departments (hierarchical) and user accounts with roles."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, false as sa_false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from supervision.models.base import Base, CreatedAtMixin, LabelledEnum, enum_column


class Role(LabelledEnum):
    ADMIN = "admin", "系统管理员"
    INTAKE = "intake", "受理人员"
    SUPERVISOR = "supervisor", "督查人员"
    DEPT_HEAD = "dept_head", "部门负责人"
    LEADER = "leader", "领导"


class DepartmentKind(LabelledEnum):
    CITY = "city", "市直部门"
    DISTRICT = "district", "区县"
    TOWNSHIP = "township", "乡镇街道"
    OTHER = "other", "其他单位"


class Department(CreatedAtMixin, Base):
    __tablename__ = "department"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    kind: Mapped[DepartmentKind] = mapped_column(enum_column(DepartmentKind, "department_kind"))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    contact_person: Mapped[str] = mapped_column(String(40), default="")
    contact_phone: Mapped[str] = mapped_column(String(40), default="")
    active: Mapped[bool] = mapped_column(default=True)

    parent: Mapped[Department | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Department]] = relationship(back_populates="parent", order_by="Department.code")

    def __repr__(self) -> str:
        return f"<Department {self.code} {self.name}>"

    def __str__(self) -> str:
        return self.name

    @property
    def path_names(self) -> list[str]:
        names, node = [], self
        while node is not None:
            names.append(node.name)
            node = node.parent
        return list(reversed(names))


class User(CreatedAtMixin, Base):
    __tablename__ = "user_account"  # "user" is reserved in PostgreSQL

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(40), unique=True)
    display_name: Mapped[str] = mapped_column(String(40))
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[Role] = mapped_column(enum_column(Role, "role"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"), index=True)
    phone: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(120), default="")
    active: Mapped[bool] = mapped_column(default=True)
    last_login_at: Mapped[datetime | None]
    password_changed_at: Mapped[datetime | None]
    # Set for a new account and after an administrator's reset: until the user picks a password of
    # their own, every page sends them to /account/password.
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    # Part of every session and remember-me cookie (``get_id``): raising it ends them all — on logout,
    # a password change or reset, and deactivation. A copied cookie then names an old generation.
    session_generation: Mapped[int] = mapped_column(default=0, server_default="0")

    department: Mapped[Department | None] = relationship()

    def __repr__(self) -> str:
        return f"<User {self.username} {self.role}>"

    def __str__(self) -> str:
        return self.display_name

    # The three attributes flask-login asks of a user object.
    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:  # flask-login refuses inactive accounts
        return self.active

    def get_id(self) -> str:
        """What flask-login signs into the session and the remember-me cookie: id and generation."""
        return f"{self.id}:{self.session_generation}"

    def end_sessions(self) -> None:
        """Every session and remember-me cookie issued so far stops working."""
        self.session_generation = (self.session_generation or 0) + 1

    @staticmethod
    def parse_session_id(raw: str) -> tuple[int, int] | None:
        """(id, generation) of a ``get_id`` value; None for anything else (an old or forged value)."""
        user_id, _, generation = (raw or "").partition(":")
        if not (user_id.isascii() and user_id.isdigit() and generation.isascii() and generation.isdigit()):
            return None
        if len(user_id) > 18 or len(generation) > 18:
            return None
        return int(user_id), int(generation)
