from __future__ import annotations

from sqlalchemy import select
from wtforms import PasswordField, SelectField
from wtforms.validators import Length, Optional, Regexp

from supervision.extensions import db
from supervision.forms import BaseForm, limited, required
from supervision.models.org import Department, DepartmentKind, Role, User


def _department_choices(blank: str) -> list[tuple[str, str]]:
    rows = db.session.execute(
        select(Department.id, Department.name).where(Department.active).order_by(Department.code)
    ).all()
    return [("", blank)] + [(str(id_), name) for id_, name in rows]


class UserForm(BaseForm):
    username = limited(User.__table__.c.username, "用户名",
                       render_kw={"pattern": "[A-Za-z0-9_.-]+", "autocomplete": "off"})
    display_name = limited(User.__table__.c.display_name, "姓名")
    # A new account starts with the least privilege (部门负责人: one department, no complainant identity);
    # 系统管理员 is listed last so that it is never chosen by not looking.
    role = SelectField("角色", choices=[c for c in Role.choices() if c[0] != Role.ADMIN.value]
                       + [c for c in Role.choices() if c[0] == Role.ADMIN.value],
                       default=Role.DEPT_HEAD.value, validators=[required()])
    department_id = SelectField("所属部门", validators=[Optional()])
    phone = limited(User.__table__.c.phone, "电话", optional=True)
    email = limited(User.__table__.c.email, "电子邮箱", optional=True)
    password = PasswordField("初始密码", validators=[required(), Length(max=200)],
                             render_kw={"autocomplete": "new-password"})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.department_id.choices = _department_choices("（无，办公室人员）")
        self.username.validators.append(
            Regexp(r"^[A-Za-z0-9_.-]+$", message="用户名只能包含字母、数字和 _ . -"))
        self.email.validators.append(Regexp(r"^$|^[^@\s]+@[^@\s]+\.[^@\s]+$", message="电子邮箱格式不正确。"))


class ResetPasswordForm(BaseForm):
    password = PasswordField("新密码", validators=[required(), Length(max=200)],
                             render_kw={"autocomplete": "new-password"})


class DepartmentForm(BaseForm):
    code = limited(Department.__table__.c.code, "单位代码")
    name = limited(Department.__table__.c.name, "单位名称")
    kind = SelectField("单位类别", choices=DepartmentKind.choices(), validators=[required()])
    parent_id = SelectField("上级单位", validators=[Optional()])
    contact_person = limited(Department.__table__.c.contact_person, "联系人", optional=True)
    contact_phone = limited(Department.__table__.c.contact_phone, "联系电话", optional=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.parent_id.choices = _department_choices("（无，顶级单位）")
