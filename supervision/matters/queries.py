"""Read-side queries of the matters area. Department scoping happens inside the SQL, never after."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Select, and_, bindparam, exists, false, func, or_, select, text, true, union_all
from sqlalchemy.orm import Session, aliased, joinedload, selectinload

from supervision import clock, readcache
from supervision.models.matters import (
    TERMINAL_STATUSES,
    UNTITLED_OPEN,
    Assignment,
    Attachment,
    MatterEvent,
    AssignmentRole,
    AssignmentStatus,
    Complainant,
    Extension,
    ExtensionStatus,
    Matter,
    MatterStatus,
    Reply,
)
from supervision.models.org import Role, User
from supervision.pagination import Page, count_rows
from supervision.permissions import OFFICE_ROLES, can_view_matter


@dataclass
class MatterFilters:
    kind: str = ""
    status: str = ""
    department_id: int | None = None
    category_id: int | None = None
    channel: str = ""
    date_from: date | None = None
    date_to: date | None = None
    overdue: bool = False
    q: str = ""
    sort: str = "-received"
    # The ids the full-text index found for ``q`` (None: the index cannot answer, use LIKE).
    keyword_matter_ids: list[int] | None = None


def visibility(user: User):
    """The condition for the matters this user may see: office staff all, a department head only
    those addressed to their department. Part of every query, never a filter after it."""
    if user.role in OFFICE_ROLES:
        return true()
    if user.role == Role.DEPT_HEAD and user.department_id is not None:
        return Matter.id.in_(select(Assignment.matter_id).where(
            Assignment.department_id == user.department_id, Assignment.status != AssignmentStatus.WITHDRAWN))
    return false()


def visible_matters(user: User) -> Select:
    return select(Matter).where(visibility(user))


def conditions(user: User, filters: MatterFilters, today: date) -> list:
    where = [visibility(user)]
    if filters.kind:
        where.append(Matter.kind == filters.kind)
    if filters.status:
        where.append(Matter.status == filters.status)
    if filters.department_id:
        # 主办单位, kept on the matter itself so that the (department, status, due) index answers it.
        where.append(Matter.lead_department_id == filters.department_id)
    if filters.category_id:
        where.append(Matter.category_id == filters.category_id)
    if filters.channel:
        where.append(Matter.channel == filters.channel)
    if filters.date_from:
        where.append(Matter.received_on >= filters.date_from)
    if filters.date_to:
        where.append(Matter.received_on <= filters.date_to)
    if filters.overdue:
        where.append(Matter.due_on < today)
    if filters.q and filters.keyword_matter_ids is not None:
        where.append(Matter.id.in_(filters.keyword_matter_ids) if filters.keyword_matter_ids else false())
    elif filters.q:
        where.append(_keyword_clause(user, filters.q))
    return where


def ordering(filters: MatterFilters, session: Session | None = None) -> tuple:
    if filters.sort == "due":
        # Matters without a deadline last; the overdue filter already excludes them, and then the
        # (due_on, id) index gives the order without a sort.
        by_due = (Matter.due_on.asc(), Matter.id.asc())
        if filters.overdue:
            return by_due
        if session is not None and session.get_bind().dialect.name == "postgresql":
            # PostgreSQL sorts NULLs last in ascending order, as its indexes store them: the
            # (status, due_on, id) index then gives the order of a status without a sort.
            return (Matter.due_on.asc().nulls_last(), Matter.id.asc())
        return (Matter.due_on.is_(None), *by_due)
    return {
        "received": (Matter.received_on.asc(), Matter.id.asc()),
        "-serial": (Matter.kind, Matter.year.desc(), Matter.seq.desc()),
    }.get(filters.sort, (Matter.received_on.desc(), Matter.id.desc()))


def list_page(session: Session, user: User, filters: MatterFilters, page: int, per_page: int,
              today: date | None = None) -> Page:
    """One page of the filtered, sorted list. The ids are chosen from the indexes first; only the
    rows shown are loaded (a "deferred join"), so page cost does not grow with the table."""
    where = conditions(user, filters, today or clock.today())
    total, estimated = count_rows(session, select(Matter.id).where(*where))
    ids = readcache.first_column(session, select(Matter.id).where(*where).order_by(*ordering(filters, session))
                                 .limit(per_page).offset((page - 1) * per_page))
    rows = {m.id: m for m in session.scalars(
        select(Matter).where(Matter.id.in_(ids)).options(joinedload(Matter.lead_department),
                                                          joinedload(Matter.category),
                                                          joinedload(Matter.respondent_department)))} if ids else {}
    return Page([rows[i] for i in ids], page, per_page, total, estimated)


def _keyword_clause(user: User, q: str):
    """Plain LIKE over the fields this user may read: the fallback when the full-text index is off."""
    words = [w for w in q.replace("　", " ").split() if w][:5]
    clauses = []
    for word in words:
        fields = [Matter.serial.contains(word, autoescape=True),
                  Matter.assigned_title.contains(word, autoescape=True),
                  Matter.summary.contains(word, autoescape=True),
                  Matter.assigned_respondent_unit.contains(word, autoescape=True),
                  Matter.assigned_respondent_person.contains(word, autoescape=True)]
        if user.role in OFFICE_ROLES:  # the title and respondent as received are a citizen's words: office only
            fields.append(Matter.title.contains(word, autoescape=True))
            fields.append(Matter.respondent_unit.contains(word, autoescape=True))
            fields.append(Matter.respondent_person.contains(word, autoescape=True))
            fields.append(Matter.content.contains(word, autoescape=True))
            fields.append(exists().where(Complainant.matter_id == Matter.id, or_(
                Complainant.name.contains(word, autoescape=True), Complainant.phone.contains(word, autoescape=True))))
        clauses.append(or_(*fields))
    return and_(*clauses) if clauses else True


def identity_matches(session: Session, q: str, matter_ids: list[int], limit: int = 50) -> list[tuple[int, str]]:
    """(id, serial) of those of ``matter_ids`` whose complainant's name, phone, ID number, address or work
    unit contains a word of ``q``: an office search that found a matter by its complainant is a look
    at identity, and is audited (docs/domain.md §14)."""
    words = [w for w in q.replace("　", " ").split() if len(w) >= 2][:5]
    if not words or not matter_ids:
        return []
    fields = (Complainant.name, Complainant.phone, Complainant.id_number, Complainant.address, Complainant.work_unit)
    matched = or_(*(f.contains(w, autoescape=True) for w in words for f in fields))
    return [tuple(row) for row in session.execute(
        select(Matter.id, Matter.serial).join(Complainant, Complainant.matter_id == Matter.id)
        .where(Matter.id.in_(matter_ids), matched).order_by(Matter.id).limit(limit))]


# --- the to-do list of each role ------------------------------------------------------------------
@dataclass(frozen=True)
class TodoItem:
    """A to-do line from another area (a notice, a talk): what to show and where it leads."""

    label: str
    link: str
    due_on: date | None = None
    due_provisional: bool = False


@dataclass
class TodoGroup:
    key: str
    title: str
    items: list
    link_status: str = ""


def todo_for(session: Session, user: User, limit: int = 10) -> list[TodoGroup]:
    wanted: list[MatterStatus] = []
    if user.role in (Role.INTAKE, Role.SUPERVISOR):
        wanted += [MatterStatus.REGISTERED, MatterStatus.ACCEPTED, MatterStatus.RETURNED, MatterStatus.APPROVED,
                   MatterStatus.FOLLOWED_UP]
    if user.role == Role.SUPERVISOR:
        wanted.append(MatterStatus.REPLIED)
    firsts = first_by_deadline_of_each(session, wanted, limit) if wanted else {}

    def matters_in(*statuses: MatterStatus) -> list[Matter]:
        found = [m for status in statuses for m in firsts[status]]
        found.sort(key=lambda m: (m.due_on is None, m.due_on or date.min, m.id))
        return found[:limit]

    groups: list[TodoGroup] = []
    if user.role in (Role.INTAKE, Role.SUPERVISOR):
        groups += [
            TodoGroup("register", "待受理", matters_in(MatterStatus.REGISTERED), "registered"),
            TodoGroup("assign", "待交办", matters_in(MatterStatus.ACCEPTED), "accepted"),
            TodoGroup("returned", "被退回，待重新交办", matters_in(MatterStatus.RETURNED), "returned"),
            TodoGroup("followup", "待回访 / 待办结", matters_in(MatterStatus.APPROVED, MatterStatus.FOLLOWED_UP),
                      "approved"),
        ]
        untitled = untitled_at_departments(session, limit)
        if untitled:  # imported while in progress: the departments read a placeholder until intake confirms
            groups.append(TodoGroup("confirm_title", "交办标题或被反映单位/人员待确认（交办单位暂见“待确认”）",
                                    untitled))
    if user.role == Role.SUPERVISOR:
        groups.insert(0, TodoGroup("review", "待审核办结报告", matters_in(MatterStatus.REPLIED), "replied"))
    if user.role in (Role.SUPERVISOR, Role.LEADER):
        groups.append(TodoGroup("extensions", "待审批延期申请", pending_extensions(session, limit)))
    if user.role in (Role.SUPERVISOR, Role.LEADER, Role.INTAKE):
        groups.append(TodoGroup("overdue", "已逾期", overdue_matters(session, user, limit)))
    if user.role == Role.DEPT_HEAD:
        groups += [
            TodoGroup("sign", "待签收", department_assignments(session, user, [AssignmentStatus.ASSIGNED], limit)),
            TodoGroup("handle", "办理中（含退回重办）",
                      department_assignments(session, user, [AssignmentStatus.RECEIVED], limit)),
        ]
    groups += [group for group in other_areas_todo(session, user, limit) if group.items]
    return groups


def first_by_deadline(session: Session, query: Select, statuses, limit: int) -> list[Matter]:
    """The first ``limit`` matters of ``query`` in ``statuses``, earliest deadline first, none last.

    Read per status from the (status, due_on, id) index — a range scan that stops after ``limit`` rows —
    and merged here, instead of sorting every matter of those statuses (3,000–20,000 at 100,000 matters)
    on every home page."""
    found: list[Matter] = []
    for status in statuses:
        of_status = query.where(Matter.status == status).options(joinedload(Matter.lead_department))
        dated = list(session.scalars(of_status.where(Matter.due_on.is_not(None))
                                     .order_by(Matter.due_on, Matter.id).limit(limit)))
        found += dated
        if len(dated) < limit:
            found += session.scalars(of_status.where(Matter.due_on.is_(None)).order_by(Matter.id).limit(limit))
    found.sort(key=lambda m: (m.due_on is None, m.due_on or date.min, m.id))
    return found[:limit]


def first_by_deadline_of_each(session: Session, statuses: list[MatterStatus], limit: int) -> dict[MatterStatus, list[Matter]]:
    """``first_by_deadline`` for each of ``statuses`` (of all matters), in two statements: the ids, as one
    UNION ALL of index range scans (kept until the next write, ``readcache``), then the rows. Each status's
    matters earliest deadline first, undated last."""
    def ids() -> tuple[tuple[int, str], ...]:
        parts = []
        for status in statuses:
            of_status = select(Matter.id, Matter.status).where(Matter.status == status)
            parts.append(of_status.where(Matter.due_on.is_not(None)).order_by(Matter.due_on, Matter.id)
                         .limit(limit).subquery())
            parts.append(of_status.where(Matter.due_on.is_(None)).order_by(Matter.id).limit(limit).subquery())
        return tuple((id_, str(status)) for id_, status in session.execute(
            union_all(*[select(part.c.id, part.c.status) for part in parts])))

    found = readcache.until_next_write(session, ("first_by_deadline_of_each", tuple(statuses), limit), ids)
    rows = {m.id: m for m in session.scalars(select(Matter).where(Matter.id.in_([i for i, _ in found]))
                                             .options(joinedload(Matter.lead_department)))} if found else {}
    result: dict[MatterStatus, list[Matter]] = {status: [] for status in statuses}
    for id_, status in found:
        matter = rows.get(id_)
        if matter is not None and matter.status == status:  # not changed since (another server's write)
            result[MatterStatus(status)].append(matter)
    for matters in result.values():
        matters.sort(key=lambda m: (m.due_on is None, m.due_on or date.min, m.id))
        del matters[limit:]
    return result


def other_areas_todo(session: Session, user: User, limit: int) -> list[TodoGroup]:
    """Rectification notices and talks waiting for this user (shown only when there are some)."""
    from supervision.models.rectification import ItemStatus, NoticeStatus, RectificationItem, RectificationNotice
    from supervision.models.talks import Talk, TalkKind, TalkStatus

    def notices(*where) -> list[TodoItem]:
        ids = readcache.first_column(session, select(RectificationNotice.id).where(*where)
                                     .order_by(RectificationNotice.due_on, RectificationNotice.id).limit(limit))
        rows = readcache.load_in_order(session, RectificationNotice, ids, joinedload(RectificationNotice.department))
        return [TodoItem(f"{n.number} {n.department.name}", f"/rectification/{n.id}", n.due_on, n.due_provisional)
                for n in rows]

    def talks(*where) -> list[TodoItem]:
        rows = session.scalars(select(Talk).where(*where).order_by(Talk.id).limit(limit))
        return [TodoItem(str(t), f"/talks/{t.id}", t.reply_due_on, t.reply_due_provisional) for t in rows]

    groups: list[TodoGroup] = []
    if user.role in (Role.INTAKE, Role.SUPERVISOR):  # 告知书 not yet delivered, and 复查 / 复核 to answer
        from supervision.complainants.queries import letters_to_deliver, reviews_to_answer

        groups.append(TodoGroup("letters", "告知书待送达", letters_to_deliver(session, limit)))
        groups.append(TodoGroup("reviews", "复查 / 复核待答复", reviews_to_answer(session, limit)))
    if user.role == Role.DEPT_HEAD:
        groups.append(TodoGroup("notices", "整改通知（待签收 / 整改中）", notices(
            RectificationNotice.department_id == user.department_id,
            RectificationNotice.status != NoticeStatus.CLOSED)))
        groups.append(TodoGroup("inquiries", "函询待回复", talks(
            Talk.kind == TalkKind.INQUIRY, Talk.status == TalkStatus.NOTIFIED,
            Talk.subject_department_id == user.department_id)))
    if user.role == Role.SUPERVISOR:
        groups.append(TodoGroup("verify", "整改待验收", notices(RectificationNotice.id.in_(
            select(RectificationItem.notice_id).where(RectificationItem.status == ItemStatus.REPORTED)))))
    if user.role == Role.LEADER:
        groups.append(TodoGroup("talks", "谈话函询待审批", talks(Talk.status == TalkStatus.PROPOSED)))
    groups += _tasks_todo(session, user, limit)
    return groups


def _tasks_todo(session: Session, user: User, limit: int) -> list[TodoGroup]:
    """督查事项 waiting for this user: a unit's tasks to sign and to carry on (next report, milestone or
    deadline first), the office's closures to check and approved items to issue, a leader's items to review."""
    from supervision.models.tasks import ItemStatus, Task, TaskItem, TaskStatus

    def tasks(*where) -> list[TodoItem]:
        rows = session.scalars(select(Task).where(*where).options(joinedload(Task.item), joinedload(Task.department))
                               .order_by(Task.watch_on.is_(None), Task.watch_on, Task.id).limit(limit))
        return [TodoItem(f"{t.item.serial} {t.item.title}（{t.department.name if t.department else ''}，"
                         f"{t.status.label}）", f"/tasks/task/{t.id}", t.watch_on, t.due_provisional) for t in rows]

    def items(*where) -> list[TodoItem]:
        rows = session.scalars(select(TaskItem).where(*where)
                               .order_by(TaskItem.due_on.is_(None), TaskItem.due_on, TaskItem.id).limit(limit))
        return [TodoItem(f"{i.serial} {i.title}", f"/tasks/{i.id}", i.due_on, i.due_provisional) for i in rows]

    groups: list[TodoGroup] = []
    if user.role == Role.DEPT_HEAD and user.department_id is not None:
        groups.append(TodoGroup("tasks", "督查任务（待签收 / 办理中）", tasks(
            Task.department_id == user.department_id, Task.status.in_((TaskStatus.ASSIGNED, TaskStatus.RECEIVED)))))
    if user.role == Role.SUPERVISOR:
        groups.append(TodoGroup("task_closures", "督查任务办结待复核", tasks(Task.status == TaskStatus.APPLIED)))
        groups.append(TodoGroup("task_items", "督查事项已审核待下发", items(TaskItem.status == ItemStatus.APPROVED)))
    if user.role == Role.LEADER:
        groups.append(TodoGroup("task_review", "督查事项待审核", items(
            TaskItem.status == ItemStatus.REVIEW, or_(TaskItem.leader_id == user.id, TaskItem.leader_id.is_(None)))))
    return groups


def untitled_at_departments(session: Session, limit: int = 50) -> list[Matter]:
    """Open matters already with a department but without an approved 交办标题 or 被反映单位/人员 (a
    ledger import's, or from before these existed): intake writes or confirms them on the matter page."""
    # The predicate verbatim from the partial index (ix_matter_untitled_due), read in deadline order, undated
    # last: sorting every open untitled matter (all of an imported ledger's) cost ~0.5 s at 100,000 matters.
    untitled = select(Matter).where(text(UNTITLED_OPEN)).options(joinedload(Matter.lead_department))
    found = list(session.scalars(untitled.where(Matter.due_on.is_not(None)).order_by(Matter.due_on, Matter.id)
                                 .limit(limit)))
    if len(found) < limit:
        found += session.scalars(untitled.where(Matter.due_on.is_(None)).order_by(Matter.id).limit(limit - len(found)))
    return found


def pending_extensions(session: Session, limit: int = 50) -> list[Extension]:
    return list(session.scalars(
        select(Extension).join(Extension.assignment)
        .where(Extension.status == ExtensionStatus.PENDING, Assignment.status == AssignmentStatus.RECEIVED)
        .order_by(Extension.requested_at)
        .options(joinedload(Extension.assignment).joinedload(Assignment.matter)).limit(limit)))


def overdue_matters(session: Session, user: User, limit: int = 50) -> list[Matter]:
    today = clock.today()
    ids = select(Matter.id).where(visibility(user), Matter.due_on < today, Matter.status.not_in(TERMINAL_STATUSES))
    return readcache.load_in_order(session, Matter, readcache.first_column(
        session, ids.order_by(Matter.due_on, Matter.id).limit(limit)), joinedload(Matter.lead_department))


def department_assignments(session: Session, user: User, statuses: list[AssignmentStatus],
                           limit: int = 50) -> list[Assignment]:
    return list(session.scalars(
        select(Assignment).where(Assignment.department_id == user.department_id, Assignment.status.in_(statuses))
        .order_by(Assignment.due_on, Assignment.id).limit(limit)
        .options(joinedload(Assignment.matter))))


def possible_duplicates(session: Session, matter: Matter, limit: int = 5) -> list[Matter]:
    """Same respondent (department or named unit) with similar wording within a year, or the same
    complainant's phone number: shown to intake while registering and triaging."""
    since = matter.received_on - timedelta(days=365)
    candidates = select(Matter).where(Matter.id != matter.id, Matter.received_on >= since)
    same_respondent = []
    if matter.respondent_department_id or matter.respondent_unit:
        query = candidates.where(or_(
            and_(Matter.respondent_department_id.is_not(None),
                 Matter.respondent_department_id == matter.respondent_department_id),
            and_(Matter.respondent_unit != "", Matter.respondent_unit == matter.respondent_unit)))
        for other in session.scalars(query.order_by(Matter.received_on.desc()).limit(200)):
            if similarity(matter.title + matter.content, other.title + other.content) >= 0.25:
                same_respondent.append(other)
    phone = session.scalar(select(Complainant.phone).where(Complainant.matter_id == matter.id))
    same_person = []
    if phone:
        same_person = list(session.scalars(candidates.join(Complainant, Complainant.matter_id == Matter.id)
                                           .where(Complainant.phone == phone).limit(limit)))
    seen, result = set(), []
    for other in same_person + same_respondent:
        if other.id not in seen:
            seen.add(other.id)
            result.append(other)
    return result[:limit]


def similarity(a: str, b: str) -> float:
    """Jaccard overlap of character bigrams: robust for Chinese without segmentation."""
    grams_a = {a[i:i + 2] for i in range(len(a) - 1)}
    grams_b = {b[i:i + 2] for i in range(len(b) - 1)}
    if not grams_a or not grams_b:
        return 0.0
    return len(grams_a & grams_b) / len(grams_a | grams_b)


def count_by_status(session: Session, user: User) -> dict[str, int]:
    query = visible_matters(user).with_only_columns(Matter.status, func.count()).group_by(Matter.status)
    return {status: n for status, n in session.execute(query)}


def viewable_matter(session: Session, user: User, matter_id: int, for_page: bool = False) -> Matter | None:
    """The matter if this user may see it; None for another department's matter (not even its existence
    is told) as for one that does not exist. ``for_page``: with what the matter's page shows — its
    assignments with their replies and extensions, and its events with who did them: four statements however
    many assignments, departments and people (one look-up per assignment, list and person otherwise)."""
    # The matter page reads these with the matter: one statement instead of one look-up each.
    options = [joinedload(Matter.category), joinedload(Matter.lead_department), joinedload(Matter.complainant)]
    if for_page:
        options += [selectinload(Matter.assignments).joinedload(Assignment.department),
                    selectinload(Matter.assignments).selectinload(Assignment.replies),
                    selectinload(Matter.assignments).selectinload(Assignment.extensions),
                    selectinload(Matter.events).joinedload(MatterEvent.actor)]
    matter = session.get(Matter, matter_id, options=options)
    return matter if matter is not None and can_view_matter(user, matter) else None


def panels_present(session: Session, matter_id: int) -> frozenset[str]:
    """Which of the matter page's panels have rows, in one statement: most matters have no files, documents,
    escalations, clue, notices to the complainant, review requests or duplicates, and the page then skips
    a statement each. Names: attachment, document, escalation, clue, complainant_notice, review_request,
    duplicate."""
    global _PANELS
    if _PANELS is None:  # built once: composing seven subqueries costs more than running them
        from supervision.models.clues import Clue
        from supervision.models.complainants import ComplainantNotice, ReviewRequest
        from supervision.models.documents import GeneratedDocument
        from supervision.models.escalation import Escalation

        matter = bindparam("matter_id")
        duplicate = aliased(Matter)
        probes = {"attachment": select(Attachment.id).where(Attachment.matter_id == matter),
                  "document": select(GeneratedDocument.id).where(GeneratedDocument.matter_id == matter),
                  "escalation": select(Escalation.id).where(Escalation.matter_id == matter),
                  "clue": select(Clue.id).where(Clue.matter_id == matter),
                  "complainant_notice": select(ComplainantNotice.id).where(ComplainantNotice.matter_id == matter),
                  "review_request": select(ReviewRequest.id).where(ReviewRequest.matter_id == matter),
                  "duplicate": select(duplicate.id).where(duplicate.duplicate_of_id == matter)}
        _PANELS = (tuple(probes), select(*(probe.exists().label(name) for name, probe in probes.items())))
    names, statement = _PANELS
    row = session.execute(statement, {"matter_id": matter_id}).one()
    return frozenset(name for name, found in zip(names, row) if found)


_PANELS: tuple | None = None


def batch_label(session: Session, user: User, matter_id: int) -> str:
    """A ticked row as a batch's summary names it: its serial, if this user may see the matter at all."""
    matter = viewable_matter(session, user, matter_id)
    return matter.serial if matter is not None else f"未找到的事项（{matter_id}）"


def replies_awaiting_review(session: Session, matter_ids: list[int]) -> dict[int, Reply]:
    """The lead's 办结报告 still awaiting review, by matter: what the 待审核 list shows beside each row so
    a reviewer reads the reports before approving several at once (one query for the page)."""
    if not matter_ids:
        return {}
    rows = session.execute(
        select(Assignment.matter_id, Reply).join(Reply, Reply.assignment_id == Assignment.id)
        .where(Assignment.matter_id.in_(matter_ids), Assignment.role == AssignmentRole.LEAD,
               Reply.review_result.is_(None))
        .order_by(Reply.id)).all()
    return {matter_id: reply for matter_id, reply in rows}  # the newest per matter, last in id order


def duplicates_of(session: Session, matter: Matter) -> list[Matter]:
    """The duplicates filed into this matter (存查 / 并入此件), oldest first: the other end of the link."""
    return list(session.scalars(select(Matter).where(Matter.duplicate_of_id == matter.id).order_by(Matter.id)))
