from __future__ import annotations

from flask import Blueprint, current_app, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from supervision import permissions
from supervision.admin import services
from supervision.admin.forms import DepartmentForm, ResetPasswordForm, UserForm
from supervision.auth.services import LoginPolicy, recent_failures
from supervision.extensions import db
from supervision.forms import BaseForm
from supervision.models.org import Department, DepartmentKind, Role, User
from supervision.pipeline import submit
from supervision.web import requires

bp = Blueprint("admin", __name__, url_prefix="/admin")


def _department(raw: str | None) -> Department | None:
    return db.session.get(Department, int(raw)) if raw else None


def login_policy() -> LoginPolicy:
    return LoginPolicy.from_config(current_app.config)


@bp.get("/users")
@requires(permissions.can_administer)
def users():
    query = select(User).order_by(User.active.desc(), User.role, User.username)
    role = request.args.get("role")
    if role in Role._value2member_map_:
        query = query.where(User.role == role)
    found = db.session.scalars(query).all()
    return render_template("admin/users.html", users=found, roles=Role, selected_role=role, action_form=BaseForm(),
                           failures=recent_failures(db.session, [u.username for u in found], login_policy()))


@bp.route("/users/new", methods=["GET", "POST"])
@requires(permissions.can_administer)
def new_user():
    form = UserForm()
    return submit(form, lambda: services.create_user(
        db.session, current_user, username=form.username.data, display_name=form.display_name.data,
        role=Role(form.role.data), password=form.password.data or "", policy=login_policy(),
        department=_department(form.department_id.data), phone=form.phone.data, email=form.email.data),
        success=f"已创建用户 {form.username.data}。", then=url_for("admin.users"), invalid=None,
        otherwise=lambda: render_template("admin/user_form.html", form=form, user=None), status=200)


@bp.route("/users/<int:user_id>/edit", methods=["GET", "POST"])
@requires(permissions.can_administer)
def edit_user(user_id: int):
    user = db.get_or_404(User, user_id)
    form = UserForm(obj=user, department_id=str(user.department_id or ""))
    del form.password
    form.username.render_kw = {**form.username.render_kw, "readonly": True}
    form.username.data = user.username
    return submit(form, lambda: services.update_user(
        db.session, current_user, user, display_name=form.display_name.data, role=Role(form.role.data),
        department=_department(form.department_id.data), phone=form.phone.data, email=form.email.data),
        success=f"已保存用户 {user.username}。", then=url_for("admin.users"), invalid=None, status=200,
        otherwise=lambda: render_template("admin/user_form.html", form=form, user=user,
                                          reset_form=ResetPasswordForm(), action_form=BaseForm(),
                                          failures=recent_failures(db.session, [user.username], login_policy()),
                                          policy=login_policy()))


@bp.post("/users/<int:user_id>/active")
@requires(permissions.can_administer)
def toggle_user(user_id: int):
    user = db.get_or_404(User, user_id)
    active = request.form.get("active") == "1"
    back = url_for("admin.edit_user", user_id=user.id)
    return submit(BaseForm(), lambda: services.set_user_active(db.session, current_user, user, active),
                  success=f"已{'启用' if active else '停用'}用户 {user.username}。", then=back, otherwise=back,
                  invalid=None)


@bp.post("/users/<int:user_id>/password")
@requires(permissions.can_administer)
def reset_password(user_id: int):
    user = db.get_or_404(User, user_id)
    form = ResetPasswordForm()
    back = url_for("admin.edit_user", user_id=user.id)
    return submit(form, lambda: services.reset_password(db.session, current_user, user, form.password.data,
                                                        login_policy()),
                  success=f"已重置用户 {user.username} 的密码。", then=back, otherwise=back, invalid="请填写新密码。")


@bp.post("/users/<int:user_id>/unlock")
@requires(permissions.can_administer)
def unlock_user(user_id: int):
    user = db.get_or_404(User, user_id)
    back = url_for("admin.edit_user", user_id=user.id)
    return submit(BaseForm(), lambda: services.unlock_user(db.session, current_user, user),
                  success=f"已解除用户 {user.username} 的登录限制。", then=back, otherwise=back, invalid=None)


@bp.get("/departments")
@requires(permissions.can_administer)
def departments():
    roots = db.session.scalars(
        select(Department).where(Department.parent_id.is_(None)).order_by(Department.code)).all()
    return render_template("admin/departments.html", roots=roots, kinds=DepartmentKind,
                           action_form=BaseForm())


@bp.route("/departments/new", methods=["GET", "POST"])
@bp.route("/departments/<int:department_id>/edit", methods=["GET", "POST"])
@requires(permissions.can_administer)
def edit_department(department_id: int | None = None):
    department = db.get_or_404(Department, department_id) if department_id else None
    form = DepartmentForm(obj=department, parent_id=str(department.parent_id or "") if department else "")

    def save():
        values = dict(code=form.code.data, name=form.name.data, kind=DepartmentKind(form.kind.data),
                      parent=_department(form.parent_id.data), contact_person=form.contact_person.data,
                      contact_phone=form.contact_phone.data)
        if department is None:
            return services.create_department(db.session, current_user, **values)
        return services.update_department(db.session, current_user, department, **values)

    return submit(form, save, success=f"已保存单位 {form.name.data}。", then=url_for("admin.departments"),
                  invalid=None, otherwise=lambda: render_template("admin/department_form.html", form=form,
                                                                  department=department), status=200)


@bp.post("/departments/<int:department_id>/active")
@requires(permissions.can_administer)
def toggle_department(department_id: int):
    department = db.get_or_404(Department, department_id)
    active = request.form.get("active") == "1"
    return submit(BaseForm(), lambda: services.set_department_active(db.session, current_user, department, active),
                  success=f"已{'启用' if active else '停用'}单位 {department.name}。",
                  then=url_for("admin.departments"), otherwise=url_for("admin.departments"), invalid=None)
