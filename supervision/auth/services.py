"""Logging in, throttling password guesses and changing one's own password.

Guessing is throttled by the name typed and by the address, never by locking an account: failures
count per (name, address) pair, per address over all names, and per name over all addresses — the last
only for addresses the user has not logged in from before, so nobody can lock a user (the admin
included) out of their own machine. Every attempt, whether the name exists or not, is throttled or not,
checks one password hash, records one attempt and one audit row, and a refusal reads the same: neither
the answer nor its timing tells which names exist.
"""

from __future__ import annotations

import functools
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from supervision import audit, clock
from supervision.auth import passwords
from supervision.errors import DomainError, ValidationError
from supervision.models.logins import LoginAttempt
from supervision.models.org import User

PASSWORD_HASH_METHOD = "scrypt"
WRONG = "用户名或密码错误。"


@functools.cache
def _dummy_hash() -> str:
    """Checked when no real hash may be: an unknown name or a throttled attempt (same method, same cost)."""
    return hash_password(secrets.token_hex(16))


class LoginRefused(DomainError):
    pass


@dataclass(frozen=True)
class LoginPolicy:
    max_failures: int = 5  # per name and address, within lock_minutes
    lock_minutes: int = 15
    min_password_length: int = 8
    max_failures_per_address: int = 20  # one address, every name
    max_failures_per_account: int = 20  # one name, every address it has not logged in from
    known_address_days: int = 90  # an address the name logged in from within this many days is its own

    @property
    def throttled_message(self) -> str:
        return f"登录失败次数过多，请 {self.lock_minutes} 分钟后再试；如忘记密码，请联系系统管理员。"

    @classmethod
    def from_config(cls, config) -> "LoginPolicy":
        return cls(config["LOGIN_MAX_FAILURES"], config["LOGIN_LOCK_MINUTES"], config["PASSWORD_MIN_LENGTH"],
                   config["LOGIN_MAX_FAILURES_PER_ADDRESS"], config["LOGIN_MAX_FAILURES_PER_ACCOUNT"],
                   config["LOGIN_KNOWN_ADDRESS_DAYS"])


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=PASSWORD_HASH_METHOD)


def check_password_rules(password: str, policy: LoginPolicy, *, username: str = "", display_name: str = "",
                         phone: str = "", email: str = "") -> None:
    """The password rules (supervision.auth.passwords) for a user with these attributes."""
    passwords.check_password_rules(password, policy.min_password_length, (username, display_name, phone, email))


def password_rules_for(user: User) -> dict[str, str]:
    return {"username": user.username, "display_name": user.display_name, "phone": user.phone or "",
            "email": user.email or ""}


def normalise_username(username: str) -> str:
    return (username or "").strip().lower()[:40]


def find_user(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(func.lower(User.username) == normalise_username(username)))


def _failures(session: Session, since: datetime, *conditions) -> int:
    return session.scalar(select(func.count()).select_from(LoginAttempt).where(
        LoginAttempt.succeeded.is_(False), LoginAttempt.cleared_at.is_(None), LoginAttempt.attempted_at > since,
        *conditions)) or 0


def is_throttled(session: Session, name: str, ip_address: str, policy: LoginPolicy, now: datetime) -> bool:
    """Whether a password check for this name from this address is refused now (same for unknown names)."""
    since = now - timedelta(minutes=policy.lock_minutes)
    if _failures(session, since, LoginAttempt.username == name, LoginAttempt.ip_address == ip_address) \
            >= policy.max_failures:
        return True
    if _failures(session, since, LoginAttempt.ip_address == ip_address) >= policy.max_failures_per_address:
        return True
    if _failures(session, since, LoginAttempt.username == name) < policy.max_failures_per_account:
        return False
    known = session.scalar(select(LoginAttempt.id).where(
        LoginAttempt.username == name, LoginAttempt.ip_address == ip_address, LoginAttempt.succeeded.is_(True),
        LoginAttempt.attempted_at > now - timedelta(days=policy.known_address_days)).limit(1))
    return known is None


def authenticate(
    session: Session, username: str, password: str, policy: LoginPolicy, ip_address: str = ""
) -> User:
    """Return the user, or raise LoginRefused with the message to show. Records and audits every attempt."""
    name, now = normalise_username(username), clock.now()
    user = find_user(session, name)
    throttled = is_throttled(session, name, ip_address, policy, now)
    real_check = user is not None and not throttled
    matched = check_password_hash(user.password_hash if real_check else _dummy_hash(), password) and real_check
    session.add(LoginAttempt(username=name, ip_address=ip_address[:45], attempted_at=now, succeeded=matched))
    target = user if user is not None else ("user_account", None)
    who = user.username if user is not None else "（不存在的用户名）"
    if throttled:
        audit.record(session, None, "auth.login_throttled", target, f"登录受限期间尝试登录：{who}",
                     ip_address=ip_address)
        raise LoginRefused(policy.throttled_message)
    if not matched:
        audit.record(session, None, "auth.login_failed", target, f"登录失败：{who}", ip_address=ip_address)
        raise LoginRefused(WRONG)
    if not user.active:  # only who knows the password learns this
        audit.record(session, None, "auth.login_inactive", user, f"已停用账户尝试登录：{user.username}",
                     ip_address=ip_address)
        raise LoginRefused("该账户已停用，请联系系统管理员。")
    # This address's failures for this name stop counting: the user is not throttled by their own typos.
    session.execute(update(LoginAttempt).where(
        LoginAttempt.username == name, LoginAttempt.ip_address == ip_address, LoginAttempt.succeeded.is_(False),
        LoginAttempt.cleared_at.is_(None)).values(cleared_at=now).execution_options(synchronize_session=False))
    user.last_login_at = now
    audit.record(session, user, "auth.login", user, f"{user.display_name} 登录", ip_address=ip_address)
    return user


def recent_failures(session: Session, names: list[str], policy: LoginPolicy) -> dict[str, int]:
    """{lowercased name: failures still counting} for the admin's list of users."""
    since = clock.now() - timedelta(minutes=policy.lock_minutes)
    rows = session.execute(select(LoginAttempt.username, func.count()).where(
        LoginAttempt.username.in_([normalise_username(n) for n in names]), LoginAttempt.succeeded.is_(False),
        LoginAttempt.cleared_at.is_(None), LoginAttempt.attempted_at > since).group_by(LoginAttempt.username))
    return dict(rows.all())


def clear_failures(session: Session, username: str) -> int:
    """Lift every login limit on this name (the admin's 解除登录限制)."""
    return session.execute(update(LoginAttempt).where(
        LoginAttempt.username == normalise_username(username), LoginAttempt.succeeded.is_(False),
        LoginAttempt.cleared_at.is_(None)).values(cleared_at=clock.now())
        .execution_options(synchronize_session=False)).rowcount


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
    check_password_rules(new, policy, **password_rules_for(actor))
    actor.password_hash = hash_password(new)
    actor.password_changed_at = clock.now()
    actor.end_sessions()  # a session opened with the old password elsewhere ends; the caller renews its own
    actor.must_change_password = False
    audit.record(session, actor, "auth.password_changed", actor, f"{actor.display_name} 修改了自己的密码",
                 {"session_generation": actor.session_generation, "must_change_password": False})
