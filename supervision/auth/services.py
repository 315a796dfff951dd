"""Logging in, locking out and changing one's own password."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from supervision import audit, clock
from supervision.errors import DomainError, ValidationError
from supervision.models.org import User

PASSWORD_HASH_METHOD = "scrypt"

# A hash to compare against when the user does not exist, so both paths cost the same time.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


class LoginRefused(DomainError):
    pass


@dataclass(frozen=True)
class LoginPolicy:
    max_failures: int = 5
    lock_minutes: int = 15
    min_password_length: int = 8


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=PASSWORD_HASH_METHOD)


def check_password_rules(password: str, policy: LoginPolicy) -> None:
    if len(password) < policy.min_password_length:
        raise ValidationError(f"密码至少 {policy.min_password_length} 位。")
    if password.isdigit() or password.isalpha():
        raise ValidationError("密码须同时包含字母和数字。")


def find_user(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(func.lower(User.username) == username.strip().lower()))


def authenticate(
    session: Session, username: str, password: str, policy: LoginPolicy, ip_address: str = ""
) -> User:
    """Return the user, or raise LoginRefused with the message to show. Audits every attempt."""
    user = find_user(session, username)
    now = clock.now()
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        raise LoginRefused("用户名或密码错误。")
    if user.is_locked(now):
        audit.record(session, None, "auth.login_locked", user, f"锁定期间尝试登录：{user.username}",
                     ip_address=ip_address)
        raise LoginRefused(
            f"连续登录失败次数过多，账户已锁定，请于 {user.locked_until:%H:%M} 后再试，或联系系统管理员解锁。"
        )
    if not check_password_hash(user.password_hash, password):
        user.failed_logins += 1
        changes: dict = {"failed_logins": user.failed_logins}
        if user.failed_logins >= policy.max_failures:
            user.locked_until = now + timedelta(minutes=policy.lock_minutes)
            user.failed_logins = 0
            changes["locked_until"] = user.locked_until
        audit.record(session, None, "auth.login_failed", user, f"登录失败：{user.username}", changes,
                     ip_address=ip_address)
        if user.locked_until and user.locked_until > now:
            raise LoginRefused(
                f"连续 {policy.max_failures} 次密码错误，账户已锁定 {policy.lock_minutes} 分钟。"
            )
        raise LoginRefused("用户名或密码错误。")
    if not user.active:
        audit.record(session, None, "auth.login_inactive", user, f"已停用账户尝试登录：{user.username}",
                     ip_address=ip_address)
        raise LoginRefused("该账户已停用，请联系系统管理员。")
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    audit.record(session, user, "auth.login", user, f"{user.display_name} 登录", ip_address=ip_address)
    return user


def log_out(session: Session, user: User, ip_address: str = "") -> None:
    """Logging out ends every session of the user, on every device, and their remember-me cookies."""
    user.end_sessions()
    audit.record(session, user, "auth.logout", user, f"{user.display_name} 退出登录",
                 {"session_generation": user.session_generation}, ip_address=ip_address)


def change_own_password(
    session: Session, actor: User, current: str, new: str, policy: LoginPolicy
) -> None:
    if not check_password_hash(actor.password_hash, current):
        raise ValidationError("当前密码不正确。")
    if current == new:
        raise ValidationError("新密码不能与当前密码相同。")
    check_password_rules(new, policy)
    actor.password_hash = hash_password(new)
    actor.password_changed_at = clock.now()
    actor.end_sessions()  # a session opened with the old password elsewhere ends; the caller renews its own
    audit.record(session, actor, "auth.password_changed", actor, f"{actor.display_name} 修改了自己的密码",
                 {"session_generation": actor.session_generation})
