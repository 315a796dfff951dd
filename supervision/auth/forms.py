from __future__ import annotations

from wtforms import BooleanField, HiddenField, PasswordField, StringField
from wtforms.validators import EqualTo, Length

from supervision.forms import BaseForm, required


class LoginForm(BaseForm):
    username = StringField("用户名", validators=[required(), Length(max=40, message="用户名过长。")],
                           render_kw={"autocomplete": "username", "autofocus": True, "maxlength": 40})
    password = PasswordField("密码", validators=[required(), Length(max=200, message="密码过长。")],
                             render_kw={"autocomplete": "current-password"})
    remember = BooleanField("在此设备上保持登录")
    next = HiddenField()


class ChangePasswordForm(BaseForm):
    current = PasswordField("当前密码", validators=[required()], render_kw={"autocomplete": "current-password"})
    new = PasswordField("新密码", validators=[required(), Length(max=200, message="密码过长。")],
                        render_kw={"autocomplete": "new-password"})
    confirm = PasswordField("再次输入新密码",
                            validators=[required(), EqualTo("new", message="两次输入的新密码不一致。")],
                            render_kw={"autocomplete": "new-password"})
