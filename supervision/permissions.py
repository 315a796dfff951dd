"""Who may see or do what: pure predicates on (user, object). No Flask, no database.

Views call these and answer 403 when a role lacks the right, 404 when the object belongs to
another department (so a department head cannot even learn that it exists).
"""

from __future__ import annotations

from supervision.models.matters import Assignment, Matter, MatterStatus
from supervision.models.org import Role, User
from supervision.workflow import Action

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


# --- matters -----------------------------------------------------------------------------------
DEPARTMENT_ACTIONS = frozenset({Action.SIGN, Action.RETURN, Action.REPLY, Action.REQUEST_EXTENSION})
ACTION_ROLES: dict[Action, frozenset[Role]] = {
    Action.ACCEPT: frozenset({Role.INTAKE, Role.SUPERVISOR}),
    Action.REJECT: frozenset({Role.INTAKE, Role.SUPERVISOR}),
    Action.FILE_DUPLICATE: frozenset({Role.INTAKE, Role.SUPERVISOR}),
    Action.ASSIGN: frozenset({Role.INTAKE, Role.SUPERVISOR}),
    Action.SIGN: frozenset({Role.DEPT_HEAD}),
    Action.RETURN: frozenset({Role.DEPT_HEAD}),
    Action.REPLY: frozenset({Role.DEPT_HEAD}),
    Action.REQUEST_EXTENSION: frozenset({Role.DEPT_HEAD}),
    Action.DECIDE_EXTENSION: frozenset({Role.SUPERVISOR, Role.LEADER}),
    Action.APPROVE: frozenset({Role.SUPERVISOR}),
    Action.SEND_BACK: frozenset({Role.SUPERVISOR}),
    Action.FOLLOW_UP: frozenset({Role.INTAKE, Role.SUPERVISOR}),
    Action.REOPEN: frozenset({Role.INTAKE, Role.SUPERVISOR}),
    Action.CLOSE: frozenset({Role.INTAKE, Role.SUPERVISOR}),
    Action.ARCHIVE: frozenset({Role.INTAKE, Role.SUPERVISOR}),
}
# Before assignment a matter is the office's alone.
UNASSIGNED_STATUSES = frozenset({MatterStatus.REGISTERED, MatterStatus.ACCEPTED, MatterStatus.NOT_ACCEPTED,
                                 MatterStatus.FILED})


def can_register_matter(user: User) -> bool:
    return is_role(user, Role.INTAKE, Role.SUPERVISOR)


def can_list_matters(user: User) -> bool:
    return is_role(user, *CASE_ROLES)


def can_view_matter(user: User, matter: Matter) -> bool:
    if is_role(user, *OFFICE_ROLES):
        return True
    if is_role(user, Role.DEPT_HEAD):
        return user.department_id is not None and user.department_id in matter.department_ids()
    return False


def can_view_content(user: User) -> bool:
    """The complainant's own words (as against the summary): the content itself is protected too."""
    return can_view_identity(user)


def can_act(user: User, matter: Matter, action: Action) -> bool:
    """Whether this user's role (and department) may take ``action`` on the matter."""
    if not is_role(user, *ACTION_ROLES[action]):
        return False
    if action in DEPARTMENT_ACTIONS:
        return user.department_id is not None and user.department_id == matter.lead_department_id
    return True


def can_act_on_assignment(user: User, assignment: Assignment) -> bool:
    """Sign for or reply to one department's assignment (主办 or 协办): that department's head."""
    return is_role(user, Role.DEPT_HEAD) and user.department_id == assignment.department_id


def can_view_attachment(user: User, matter: Matter, shared_with_department: bool) -> bool:
    if is_role(user, *OFFICE_ROLES):
        return True
    return shared_with_department and can_view_matter(user, matter)


def can_manage_calendar(user: User) -> bool:
    return is_role(user, Role.ADMIN)


# --- documents ---------------------------------------------------------------------------------
def can_generate_documents(user: User) -> bool:
    return is_role(user, Role.INTAKE, Role.SUPERVISOR)


def can_list_documents(user: User) -> bool:
    return is_role(user, *OFFICE_ROLES)


def can_download_document(user: User, department_id: int | None) -> bool:
    """Office staff any document; a department head only those addressed to their department."""
    if is_role(user, *OFFICE_ROLES):
        return True
    return is_role(user, Role.DEPT_HEAD) and department_id is not None and user.department_id == department_id
