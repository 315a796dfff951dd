"""Who may see or do what: pure predicates on (user, object). No Flask, no database.

Views call these and answer 403 when a role lacks the right, 404 when the object belongs to
another department (so a department head cannot even learn that it exists).
"""

from __future__ import annotations

from typing import NamedTuple

from supervision.models.matters import Assignment, Matter, MatterStatus
from supervision.models.org import Role, User
from supervision.models.talks import TalkKind, TalkStatus
from supervision.models.tasks import TaskStatus
from supervision.workflow import Action, ClueAction, NoticeAction, TalkAction, TaskAction, TaskItemAction

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


# The admin's part of the audit log: accounts and the system, never case events (docs/domain.md §1: no case
# content "not on a page, not through the audit log"). An allow-list, so that a new kind of case event
# stays hidden from the admin without anyone remembering to hide it.
SYSTEM_AUDIT_PREFIXES = ("auth.", "user.", "department.", "category.", "time_limit.", "calendar.", "settings.",
                         "audit.", "backup.", "search.", "system.")


def audit_actions_visible(user: User) -> tuple[str, ...] | None:
    """The action prefixes of the audit entries ``user`` may read; None: all of them."""
    if is_role(user, Role.SUPERVISOR, Role.LEADER):
        return None
    if is_role(user, Role.ADMIN):
        return SYSTEM_AUDIT_PREFIXES
    return ()


def can_view_audit_entry(user: User, action: str) -> bool:
    prefixes = audit_actions_visible(user)
    return prefixes is None or action.startswith(prefixes)


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


def can_classify_matter(user: User) -> bool:
    """Correct a matter's 信访类别 (set on acceptance): the intake side."""
    return is_role(user, Role.INTAKE, Role.SUPERVISOR)


def can_propose_handling(user: User) -> bool:
    """拟办意见 before 交办: the intake side."""
    return is_role(user, Role.INTAKE, Role.SUPERVISOR)


def can_instruct(user: User) -> bool:
    """领导批示 before 交办: a leader."""
    return is_role(user, Role.LEADER)


def can_list_matters(user: User) -> bool:
    return is_role(user, *CASE_ROLES)


def can_view_every_department(user: User) -> bool:
    """The office's own staff see every department's matters and notices; a department head its own."""
    return is_role(user, *OFFICE_ROLES)


def can_view_matter(user: User, matter: Matter) -> bool:
    if is_role(user, *OFFICE_ROLES):
        return True
    if is_role(user, Role.DEPT_HEAD):
        return user.department_id is not None and user.department_id in matter.department_ids()
    return False


def can_view_assignment(user: User, assignment: Assignment) -> bool:
    """On a matter's page a department head sees their own department's part only: never another
    department's report, extension reasons or return."""
    return is_role(user, *OFFICE_ROLES) or (is_role(user, Role.DEPT_HEAD)
                                             and assignment.department_id == user.department_id)


def can_review_replies(user: User) -> bool:
    """审核 of 办结报告 (one by one, or several at once from the 待审核 list): the roles of the review."""
    return is_role(user, *ACTION_ROLES[Action.APPROVE])


def can_waive_co_opinion(user: User) -> bool:
    """Let a lead's reply be approved without a co-handler's 协办意见 (with a reason): a supervisor."""
    return is_role(user, Role.SUPERVISOR)


def final_reply_for_co_handler(user: User, matter: Matter):
    """The lead's approved reply, for a co-handling (协办) department's head, who otherwise sees only its
    own part; None for anyone else or while the reply is not yet approved."""
    if not is_role(user, Role.DEPT_HEAD) or user.department_id == matter.lead_department_id:
        return None
    if not any(a.department_id == user.department_id and a.role.value == "co"
               and a.status.value not in ("withdrawn", "returned") for a in matter.assignments):
        return None
    lead = matter.lead_assignment
    approved = [r for r in (lead.replies if lead else []) if r.review_result is not None
                and r.review_result.value == "approved"]
    return approved[-1] if approved else None


def can_view_event(user: User, audience: str, department_id: int | None) -> bool:
    """A timeline entry: office staff all; a department head the public steps and their own."""
    if is_role(user, *OFFICE_ROLES):
        return True
    if audience == "public":
        return True
    return audience == "department" and department_id is not None and department_id == user.department_id


def can_view_content(user: User) -> bool:
    """The complainant's own words (as against the summary): the content itself is protected too."""
    return can_view_identity(user)


# --- the title of a matter -----------------------------------------------------------------------
PENDING_TITLE = "（交办标题待确认）"  # what a department reads until the office approves a title


def department_title(matter) -> str:
    """The 交办标题: a title office staff wrote or approved, or a neutral placeholder. What every
    department, notice, delivery, export row, search field and document addressed to one carries."""
    return (matter.assigned_title or "").strip() or PENDING_TITLE


def visible_title(user: User | None, matter) -> str:
    """THE title ``user`` may see of ``matter`` (a Matter, or any row with ``title`` and
    ``assigned_title``): office staff the title as received, everyone else the 交办标题.
    A citizen's words reach a department only once the office has approved them (docs/domain.md §14)."""
    if user is not None and is_role(user, *OFFICE_ROLES):
        return matter.title
    return department_title(matter)


# --- who was complained about ------------------------------------------------------------------------
PENDING_RESPONDENT = "（待确认）"  # what a department reads of a citizen's 被投诉单位/人员 until approved


class Respondent(NamedTuple):
    """被反映单位 and 被反映人员 as one reader may see them ("" where there is nothing to show)."""

    unit: str
    person: str


def _listed_name(matter, department_name: str | None) -> str:
    """The name of the respondent department picked from the list (a name the system holds, not a
    citizen's words): given, or read from a Matter's relationship."""
    if department_name is not None or matter.respondent_department_id is None:
        return department_name or ""
    department = getattr(matter, "respondent_department", None)
    return department.name if department is not None else ""


def department_respondent(matter, department_name: str | None = None) -> Respondent:
    """The 被反映单位/人员 office staff wrote or approved (``assigned_respondent_*``; None: not yet), or
    the respondent department's name and a neutral placeholder. What every department, document,
    export row and search field addressed to one carries: a citizen can type their own name and phone
    into these boxes (docs/domain.md §14). ``matter``: a Matter, or a row with the respondent columns
    (then give ``department_name``, the name of its ``respondent_department_id``)."""
    unit, person = matter.assigned_respondent_unit, matter.assigned_respondent_person
    shown_unit = unit or _listed_name(matter, department_name) or (PENDING_RESPONDENT if unit is None else "")
    return Respondent(shown_unit, PENDING_RESPONDENT if person is None else person)


def visible_respondent(user: User | None, matter, department_name: str | None = None) -> Respondent:
    """THE 被反映单位/人员 ``user`` may see of ``matter``: office staff the text as received, everyone
    else what the office approved (``department_respondent``)."""
    if user is not None and is_role(user, *OFFICE_ROLES):
        return Respondent(matter.respondent_unit or _listed_name(matter, department_name), matter.respondent_person)
    return department_respondent(matter, department_name)


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


def can_view_attachment(user: User, matter: Matter, attachment) -> bool:
    """Office staff every file (evidence only behind the identity gate, see the views); a department a
    file shared with it — and a reply's file only if it may read that reply (a 协办 department never
    downloads the lead's report files)."""
    if is_role(user, *OFFICE_ROLES):
        return True
    if not attachment.shared_with_department or not can_view_matter(user, matter):
        return False
    return attachment.reply is None or can_view_assignment(user, attachment.reply.assignment)


def can_manage_calendar(user: User) -> bool:
    return is_role(user, Role.ADMIN)


# --- documents ---------------------------------------------------------------------------------
def can_generate_documents(user: User) -> bool:
    return is_role(user, Role.INTAKE, Role.SUPERVISOR)


def can_list_documents(user: User) -> bool:
    return is_role(user, *OFFICE_ROLES)


# Talk records and registers concern named officials, and the work report is the statistics':
# the supervisors' and leaders' business only.
SUPERVISORS_ONLY_DOCUMENTS = frozenset({"talk_record", "talk_register", "admonition_notice", "appeal_decision",
                                        "work_report"})


def can_download_document(user: User, department_id: int | None, doc_type: str = "") -> bool:
    """Office staff any document (talk papers: supervisors and leaders); a department head only those
    addressed to their department."""
    if doc_type in SUPERVISORS_ONLY_DOCUMENTS and not is_role(user, Role.SUPERVISOR, Role.LEADER):
        return is_role(user, Role.DEPT_HEAD) and doc_type == "admonition_notice" and department_id is not None \
            and user.department_id == department_id
    if is_role(user, *OFFICE_ROLES):
        return True
    return is_role(user, Role.DEPT_HEAD) and department_id is not None and user.department_id == department_id


# --- rectification notices (整改通知书) -----------------------------------------------------------
def can_list_rectification(user: User) -> bool:
    """Office staff see every notice (intake read-only); a department head those to their department."""
    return is_role(user, *CASE_ROLES)


def can_issue_rectification(user: User) -> bool:
    return is_role(user, Role.SUPERVISOR)


def can_view_rectification(user: User, notice) -> bool:
    if is_role(user, *OFFICE_ROLES):
        return True
    return is_role(user, Role.DEPT_HEAD) and user.department_id is not None \
        and user.department_id == notice.department_id


def can_act_on_rectification(user: User, notice, action) -> bool:
    """签收 and reports: the addressee's head; 验收 and (re)generating the notice: a supervisor."""
    if action in (NoticeAction.SIGN, NoticeAction.REPORT):
        return is_role(user, Role.DEPT_HEAD) and user.department_id == notice.department_id
    return is_role(user, Role.SUPERVISOR)


# --- public side (政务公开) ------------------------------------------------------------------------
def can_publish_figures(user: User) -> bool:
    """Compute and publish the per-department figures shown on the public site."""
    return is_role(user, Role.SUPERVISOR, Role.LEADER)


# --- talks and written inquiries (谈话函询) ------------------------------------------------------
TALK_ROLES = frozenset({Role.SUPERVISOR, Role.LEADER})  # the office's talk business; not intake
TALK_SENT_STATUSES = frozenset({TalkStatus.NOTIFIED, TalkStatus.HELD, TalkStatus.REPLIED, TalkStatus.FOLLOWED_UP,
                                TalkStatus.CLOSED})
TALK_ACTION_ROLES: dict[TalkAction, frozenset[Role]] = {
    TalkAction.APPROVE: frozenset({Role.LEADER}),
    TalkAction.DECLINE: frozenset({Role.LEADER}),
    TalkAction.NOTIFY: frozenset({Role.SUPERVISOR}),
    TalkAction.HOLD: frozenset({Role.SUPERVISOR}),
    TalkAction.REPLY: frozenset({Role.SUPERVISOR, Role.DEPT_HEAD}),  # on paper, or online by the department
    TalkAction.FOLLOW_UP: frozenset({Role.SUPERVISOR}),
    TalkAction.CLOSE: frozenset({Role.SUPERVISOR}),
}


def can_list_talks(user: User) -> bool:
    """The 谈话函询 menu: supervisors and leaders, and department heads (their 函询 and notices)."""
    return is_role(user, *TALK_ROLES, Role.DEPT_HEAD)


def can_manage_talks(user: User) -> bool:
    """Every talk and inquiry, the talk records, the register and a person's 廉政档案."""
    return is_role(user, *TALK_ROLES)


def can_propose_talk(user: User) -> bool:
    return is_role(user, Role.SUPERVISOR)


def can_decide_appeal(user: User) -> bool:
    """申诉处理决定 of a 诫勉: recorded by supervisors or leaders for the deciding body."""
    return is_role(user, Role.SUPERVISOR, Role.LEADER)


def _talk_addressed_to(user: User, talk) -> bool:
    return (is_role(user, Role.DEPT_HEAD) and user.department_id is not None
            and talk.subject_department_id == user.department_id and talk.status in TALK_SENT_STATUSES)


def can_view_talk(user: User, talk) -> bool:
    """The whole file: the office only — except a 函询 sent to the department head's own department."""
    if can_manage_talks(user):
        return True
    return talk.kind == TalkKind.INQUIRY and _talk_addressed_to(user, talk)


def can_view_talk_notice(user: User, talk) -> bool:
    """A talk's notice (time, place, talkers) — never its record — for the subject's department head."""
    if can_manage_talks(user):
        return True
    return talk.kind != TalkKind.INQUIRY and _talk_addressed_to(user, talk)


def can_act_on_talk(user: User, talk, action: TalkAction) -> bool:
    if not is_role(user, *TALK_ACTION_ROLES[action]):
        return False
    if user.role == Role.DEPT_HEAD:  # answers only a 函询 addressed to their own department
        return can_view_talk(user, talk)
    return True


# --- 催办 / 督办 ---------------------------------------------------------------------------------
def can_escalate(user: User) -> bool:
    return is_role(user, Role.SUPERVISOR)


def can_view_dashboard(user: User) -> bool:
    return is_role(user, Role.SUPERVISOR, Role.LEADER)


# --- ledgers (台账, .xlsx) --------------------------------------------------------------------------
# An export holds exactly what the list page shows this user (department scoping is in the SQL); these
# say who may export at all. The IT administrator sees no case content, so exports nothing.
def can_export_matter_ledger(user: User) -> bool:
    """事项台账 and 交办台账: office staff everything; a department head their own department's rows."""
    return is_role(user, *CASE_ROLES)


def can_export_rectification_ledger(user: User) -> bool:
    return is_role(user, *CASE_ROLES)


def can_export_talk_ledger(user: User) -> bool:
    """Talk records concern named officials: supervisors and leaders only (not the departments' notices)."""
    return can_manage_talks(user)


def can_export_identity(user: User) -> bool:
    """A ledger with complainant identity and the original complaint: only who may see identity, with a
    reason, audited per matter."""
    return can_view_identity(user)


# --- ledger import (历史台账导入) -------------------------------------------------------------------
def can_import_ledger(user: User) -> bool:
    """Bring a legacy ledger in: the office staff who register matters and may see identity. Not the
    IT administrator (no case content), not a department head, not leaders (they do not register)."""
    return is_role(user, Role.INTAKE, Role.SUPERVISOR)


# --- statistics and assessment (统计分析与考核) ----------------------------------------------------
def can_view_statistics(user: User) -> bool:
    """Statistics, drill-down lists and the assessment ranking: supervisors and leaders (docs/domain.md §1).
    Intake staff have their ledger; the admin sees no case content; a department head never sees
    other departments' figures."""
    return is_role(user, Role.SUPERVISOR, Role.LEADER)


def can_configure_assessment(user: User) -> bool:
    """The assessment weights are the office's policy, set by those who read the ranking — not by the
    IT administrator, who sees no statistics."""
    return is_role(user, Role.SUPERVISOR, Role.LEADER)


# --- 问题线索 (clue register) ----------------------------------------------------------------------
# Reports about officials are the office's own business: a department (head or liaison) never sees a
# clue, not even that it exists. Intake registers, a supervisor (case officer) proposes and handles,
# a leader decides.

CLUE_ACTION_ROLES: dict[ClueAction, frozenset[Role]] = {
    ClueAction.PROPOSE: frozenset({Role.SUPERVISOR}),
    ClueAction.APPROVE: frozenset({Role.LEADER}),
    ClueAction.DECLINE: frozenset({Role.LEADER}),
    ClueAction.REVIEW: frozenset({Role.SUPERVISOR}),
    ClueAction.CONCLUDE: frozenset({Role.SUPERVISOR}),
    ClueAction.HAND_OVER: frozenset({Role.SUPERVISOR}),
}


def can_view_clues(user: User) -> bool:
    """Every /clues/ page, export and search result: office staff only."""
    return is_role(user, *OFFICE_ROLES)


def can_register_clue(user: User) -> bool:
    """Register a clue directly, or turn an accepted matter into one: intake and supervisors."""
    return is_role(user, Role.INTAKE, Role.SUPERVISOR)


def can_handle_clue(user: User) -> bool:
    """The case officer's work: 函询 (notice, 送达, reply, outcome), 初步核实, 澄清正名."""
    return is_role(user, Role.SUPERVISOR)


def can_act_on_clue(user: User, action: ClueAction) -> bool:
    return is_role(user, *CLUE_ACTION_ROLES[action])


def can_view_clue_reporter(user: User) -> bool:
    """The reporter's identity follows the matter rules: office staff who may see identity."""
    return can_view_clues(user) and can_view_identity(user)


# --- 督查事项 (SPEC §13) ----------------------------------------------------------------------------
# The office's staff read every item (intake read-only); supervisors (督查室) register, break down,
# issue, review closures and grade; a leader reviews the items in their charge (分管领导) — any leader
# an item without one — and writes 批示 on reports. A unit (its department head) sees its own tasks
# only, from their issue on: never another unit's task, and an item only through a task of its own.

TASK_UNIT_ACTIONS = frozenset({TaskAction.SIGN, TaskAction.REPORT, TaskAction.SPLIT, TaskAction.APPLY})
TASK_OFFICE_ACTIONS = frozenset({TaskAction.ISSUE, TaskAction.CLOSE, TaskAction.RETURN, TaskAction.GRADE,
                                 TaskAction.CANCEL})
UNIT_VISIBLE_TASK_STATUSES = frozenset({TaskStatus.ASSIGNED, TaskStatus.RECEIVED, TaskStatus.APPLIED,
                                        TaskStatus.CLOSED})


def can_list_tasks(user: User) -> bool:
    return is_role(user, *CASE_ROLES)


def can_view_every_task(user: User) -> bool:
    return is_role(user, *OFFICE_ROLES)


def can_manage_task_items(user: User) -> bool:
    """立项, 分解, 下发, 复核 and 评价: the supervisors (督查室)."""
    return is_role(user, Role.SUPERVISOR)


def can_view_task(user: User, task) -> bool:
    if is_role(user, *OFFICE_ROLES):
        return True
    return (is_role(user, Role.DEPT_HEAD) and user.department_id is not None
            and task.department_id == user.department_id and task.status in UNIT_VISIBLE_TASK_STATUSES)


def can_view_task_item(user: User, item) -> bool:
    """Office staff: every item. A unit: an item it has a task in (issued to it)."""
    if is_role(user, *OFFICE_ROLES):
        return True
    return is_role(user, Role.DEPT_HEAD) and any(can_view_task(user, task) for task in item.tasks)


def can_act_on_task_item(user: User, item, action: TaskItemAction) -> bool:
    if action in (TaskItemAction.APPROVE, TaskItemAction.SEND_BACK):
        return is_role(user, Role.LEADER) and (item.leader_id is None or item.leader_id == user.id)
    return is_role(user, Role.SUPERVISOR)


def can_act_on_task(user: User, task, action: TaskAction) -> bool:
    """签收, reports, sub-tasks and 办结申请: the unit's head (a sub-task only by the lead unit);
    the office's steps: a supervisor."""
    if action in TASK_UNIT_ACTIONS:
        if not (is_role(user, Role.DEPT_HEAD) and user.department_id == task.department_id):
            return False
        return action != TaskAction.SPLIT or (task.role == "lead" and task.parent_id is None)
    return is_role(user, Role.SUPERVISOR)


def can_instruct_on_task_report(user: User) -> bool:
    """领导批示 on a progress report: the office's leaders."""
    return is_role(user, Role.LEADER)


def can_view_task_board(user: User) -> bool:
    """督查驾驶舱 and the period documents' figures: the office's supervisors and leaders (every unit)."""
    return is_role(user, Role.SUPERVISOR, Role.LEADER)
