"""Who may see or do what: pure predicates on (user, object). No Flask, no database.

Views call these and answer 403 when a role lacks the right, 404 when the object belongs to
another department (so a department head cannot even learn that it exists).
"""

from __future__ import annotations

from supervision.models.org import Role, User

CASE_ROLES = frozenset({Role.INTAKE, Role.SUPERVISOR, Role.LEADER, Role.DEPT_HEAD})
IDENTITY_ROLES = frozenset({Role.INTAKE, Role.SUPERVISOR, Role.LEADER})
OFFICE_ROLES = IDENTITY_ROLES  # the office's own staff, as against the departments it supervises


def is_role(user: User, *roles: Role) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and user.active and user.role in roles


# --- administration ----------------------------------------------------------------------------
def can_administer(user: User) -> bool:
    """Users, departments, categories, time limits, the holiday calendar."""
    return is_role(user, Role.ADMIN)


def can_view_audit_log(user: User) -> bool:
    return is_role(user, Role.ADMIN, Role.SUPERVISOR, Role.LEADER)


# --- whistleblower protection ------------------------------------------------------------------
def can_view_identity(user: User) -> bool:
    """Complainant identity: never a department head, and not the IT administrator either."""
    return is_role(user, *IDENTITY_ROLES)
