"""Ledgers (台账) to .xlsx: one definition per ledger — its columns and the rows of the list page.

Each ledger takes exactly the list page's filters and its WHERE clause (department scoping included,
inside the SQL), selects plain columns (no ORM objects) and reads them with ``yield_per``: a server-side
cursor on PostgreSQL, SQLite's own step-by-step cursor, so 100,000 rows cost the memory of a few
thousand. Names of departments and categories come from one small lookup each.

Whistleblower protection: no ledger carries complainant identity or the complaint's own words
(``Matter.content``) unless an office member allowed to see identity asks for it with a reason — and
then the export is audited once per matter whose identity it carries, as a view of identity would be.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from supervision import audit, clock, permissions
from supervision.errors import PermissionDenied, ValidationError
from supervision.clues.ledger import clue_sheets
from supervision.ledgers.xlsx import Column, Sheet, write_workbook
from supervision.matters import queries as matter_queries
from supervision.models.escalation import Escalation, EscalationKind
from supervision.models.matters import (
    Assignment,
    AssignmentStatus,
    Category,
    Complainant,
    Extension,
    ExtensionStatus,
    Matter,
)
from supervision.models.org import Department, Role, User
from supervision.models.rectification import (
    ItemStatus,
    NoticeStatus,
    RectificationItem,
    RectificationNotice,
)
from supervision.models.talks import ParticipantRole, Talk, TalkParticipant
from supervision.models.escalation import SupervisionLevel
from supervision.rectification import queries as rectification_queries
from supervision.talks import queries as talk_queries
from supervision.tasks.ledger import task_sheets

CHUNK = 2000  # rows fetched at a time
AUDIT_BATCH = 5000  # identity.exported entries written at a time
MAX_REASON = 200
YES = "是"

# 督办 levels, weakest first: the ledger shows the strongest a matter reached.
LEVEL_RANK = {level: rank for rank, level in enumerate(SupervisionLevel, start=1)}
RANK_LEVEL = {rank: level for level, rank in LEVEL_RANK.items()}


@dataclass(frozen=True)
class Ledger:
    key: str
    title: str  # 事项台账: the file name, the audit summary, the preamble
    may_export: Callable[[User], bool]
    sheets: Callable[..., list[Sheet]]  # (session, user, selection, today, context) -> sheets


@dataclass(frozen=True)
class ExportContext:
    """What a ledger needs besides the list's filters."""

    preamble: Sequence[str] = ()
    identity: bool = False
    # Filled while the rows are written: the matters whose identity went into the file.
    identity_matters: list[tuple[int, str]] | None = None


def _names(session: Session, model) -> dict[int, str]:
    return dict(session.execute(select(model.id, model.name)).all())


def _label(value) -> str:
    return value.label if value is not None else ""


def _day(value: datetime | None) -> date | None:
    return value.date() if value is not None else None


def _yes(flag: bool) -> str:
    return YES if flag else ""


def _stream(session: Session, statement) -> Iterator[Any]:
    """Rows of ``statement``, CHUNK at a time: memory stays flat however many there are."""
    result = session.execute(statement.execution_options(yield_per=CHUNK))
    try:
        yield from result
    finally:
        result.close()


def _is_department_head(user: User) -> bool:
    return user.role == Role.DEPT_HEAD


# --- 事项台账 ----------------------------------------------------------------------------------------
MATTER_COLUMNS = [
    Column("编号", 16), Column("类型", 9), Column("渠道", 10), Column("受理日期", 11, "date"),
    Column("标题", 36), Column("摘要", 50), Column("问题类别", 10), Column("被反映单位", 22),
    Column("被反映人", 10), Column("主办单位", 22), Column("状态", 9), Column("办理期限", 11, "date"),
    Column("是否逾期", 8), Column("催办次数", 8, "int"), Column("督办级别", 10), Column("重办次数", 8, "int"),
    Column("满意度", 8), Column("办结日期", 11, "date"),
]
OFFICE_MATTER_COLUMNS = [Column("交办标题", 36), Column("交办被反映单位", 22), Column("交办被反映人", 10), Column("匿名", 6), Column("要求保密", 8), Column("信访类别", 10)]
IDENTITY_COLUMNS = [Column("反映人姓名", 10), Column("联系电话", 14), Column("身份证号", 20), Column("住址", 30),
                    Column("工作单位", 22), Column("反映内容", 60)]


def _escalations(user: User):
    """Per matter: how many 催办/督办 were issued, and the strongest level (for a department head,
    those addressed to their department only)."""
    rank = case(*[(Escalation.level == level.value, r) for level, r in LEVEL_RANK.items()], else_=0)
    query = (select(Escalation.matter_id, func.count().label("urges"), func.max(rank).label("level"))
             .where(Escalation.matter_id.is_not(None), Escalation.kind != EscalationKind.REMINDER)
             .group_by(Escalation.matter_id))
    if _is_department_head(user):
        query = query.where(Escalation.department_id == user.department_id)
    return query.subquery()


def matter_sheets(session: Session, user: User, filters: matter_queries.MatterFilters, today: date,
                  context: ExportContext) -> list[Sheet]:
    office = user.role in permissions.OFFICE_ROLES
    identity = context.identity and permissions.can_view_identity(user)
    departments, categories = _names(session, Department), _names(session, Category)
    escalations = _escalations(user)
    columns = [Matter.id, Matter.serial, Matter.kind, Matter.channel, Matter.received_on, Matter.title,
               Matter.assigned_title, Matter.summary, Matter.category_id, Matter.respondent_department_id, Matter.respondent_unit,
               Matter.respondent_person, Matter.assigned_respondent_unit, Matter.assigned_respondent_person,
               Matter.lead_department_id, Matter.status, Matter.due_on,
               escalations.c.urges, escalations.c.level, Matter.rework_count, Matter.satisfaction,
               Matter.closed_at]
    if office:
        columns += [Matter.anonymous, Matter.confidential, Matter.complaint_class]
    if identity:
        columns += [Complainant.name, Complainant.phone, Complainant.id_number, Complainant.address,
                    Complainant.work_unit, Matter.content]
    statement = (select(*columns).outerjoin(escalations, escalations.c.matter_id == Matter.id)
                 .where(*matter_queries.conditions(user, filters, today))
                 .order_by(*matter_queries.ordering(filters)))
    if identity:
        statement = statement.outerjoin(Complainant, Complainant.matter_id == Matter.id)

    def rows() -> Iterator[list]:
        for row in _stream(session, statement):
            (id_, serial, kind, channel, received_on, _, assigned_title, summary, category_id,
             respondent_department_id, _, _, _, _, lead_department_id, status, due_on, urges,
             level, rework_count, satisfaction, closed_at, *rest) = row
            listed = departments.get(respondent_department_id, "")
            respondent = permissions.visible_respondent(user, row, listed)
            line = [serial, kind.label, channel.label, received_on, permissions.visible_title(user, row), summary, categories.get(category_id, ""),
                    respondent.unit, respondent.person,
                    departments.get(lead_department_id, ""), status.label, due_on,
                    _yes(due_on is not None and due_on < today), urges or 0,
                    RANK_LEVEL[level].label if level else "", rework_count, _label(satisfaction), _day(closed_at)]
            if office:
                anonymous, confidential, complaint_class, *rest = rest
                approved = permissions.department_respondent(row, listed)  # what the departments read
                line += [assigned_title, approved.unit, approved.person,
                         _yes(anonymous), _yes(confidential), _label(complaint_class)]
            if identity:
                line += rest
                if any(rest[:5]) and context.identity_matters is not None:
                    context.identity_matters.append((id_, serial))
            yield line

    header = MATTER_COLUMNS + (OFFICE_MATTER_COLUMNS if office else []) + (IDENTITY_COLUMNS if identity else [])
    return [Sheet("事项台账", header, rows(), context.preamble)]


# --- 交办台账 ----------------------------------------------------------------------------------------
ASSIGNMENT_COLUMNS = [
    Column("事项编号", 16), Column("事项标题", 36), Column("承办单位", 22), Column("承办方式", 8),
    Column("交办日期", 11, "date"), Column("办理期限", 11, "date"), Column("签收时间", 16, "datetime"),
    Column("退回时间", 16, "datetime"), Column("答复时间", 16, "datetime"), Column("状态", 9),
    Column("是否逾期", 8), Column("延期次数", 8, "int"),
]


def assignment_sheets(session: Session, user: User, filters: matter_queries.MatterFilters, today: date,
                      context: ExportContext) -> list[Sheet]:
    """One row per 交办 of the matters the list shows; a department head only their own department's."""
    departments = _names(session, Department)
    extensions = (select(Extension.assignment_id, func.count().label("n"))
                  .where(Extension.status == ExtensionStatus.APPROVED).group_by(Extension.assignment_id).subquery())
    statement = (select(Matter.serial, Matter.title, Matter.assigned_title, Assignment.department_id, Assignment.role,
                        Assignment.assigned_on, Assignment.due_on, Assignment.received_at, Assignment.returned_at,
                        Assignment.replied_at, Assignment.status, extensions.c.n)
                 .join(Matter, Matter.id == Assignment.matter_id)
                 .outerjoin(extensions, extensions.c.assignment_id == Assignment.id)
                 .where(*matter_queries.conditions(user, filters, today))
                 .order_by(*matter_queries.ordering(filters), Assignment.id))
    if _is_department_head(user):
        statement = statement.where(Assignment.department_id == user.department_id,
                                    Assignment.status != AssignmentStatus.WITHDRAWN)
    open_statuses = (AssignmentStatus.ASSIGNED, AssignmentStatus.RECEIVED)

    def rows() -> Iterator[list]:
        for row in _stream(session, statement):
            (serial, _, _, department_id, role, assigned_on, due_on, received_at, returned_at, replied_at, status,
             extended) = row
            yield [serial, permissions.visible_title(user, row), departments.get(department_id, ""), role.label, assigned_on, due_on, received_at,
                   returned_at, replied_at, status.label, _yes(status in open_statuses and due_on < today),
                   extended or 0]

    return [Sheet("交办台账", ASSIGNMENT_COLUMNS, rows(), context.preamble)]


# --- 整改台账 ----------------------------------------------------------------------------------------
NOTICE_COLUMNS = [
    Column("文号", 18), Column("被通知单位", 22), Column("来源", 12), Column("检查日期", 11, "date"),
    Column("下发日期", 11, "date"), Column("整改期限", 11, "date"), Column("状态", 9), Column("问题数", 7, "int"),
    Column("已销号", 7, "int"), Column("签收时间", 16, "datetime"), Column("销号日期", 11, "date"),
    Column("是否逾期", 8),
]
ITEM_COLUMNS = [
    Column("文号", 18), Column("被通知单位", 22), Column("序号", 6, "int"), Column("存在的问题", 60),
    Column("状态", 9), Column("销号日期", 11, "date"),
]


def rectification_sheets(session: Session, user: User, filters: rectification_queries.NoticeFilters,
                         today: date, context: ExportContext) -> list[Sheet]:
    """Two sheets: the notices, and their numbered items."""
    departments = _names(session, Department)
    where = rectification_queries.conditions(user, filters, today)
    order = (RectificationNotice.issued_on.desc(), RectificationNotice.id.desc())
    closed = func.sum(case((RectificationItem.status == ItemStatus.CLOSED, 1), else_=0))
    items = (select(RectificationItem.notice_id, func.count().label("total"), closed.label("closed"))
             .group_by(RectificationItem.notice_id).subquery())
    N = RectificationNotice
    notices = (select(N.number, N.department_id, N.source, N.inspected_on, N.issued_on, N.due_on, N.status,
                      items.c.total, items.c.closed, N.received_at, N.closed_at)
               .outerjoin(items, items.c.notice_id == N.id).where(*where).order_by(*order))
    lines = (select(N.number, N.department_id, RectificationItem.position, RectificationItem.problem,
                    RectificationItem.status, RectificationItem.closed_at)
             .join(N, N.id == RectificationItem.notice_id).where(*where)
             .order_by(*order, RectificationItem.position))

    def notice_rows() -> Iterator[list]:
        for (number, department_id, source, inspected_on, issued_on, due_on, status, total, closed_count,
             received_at, closed_at) in _stream(session, notices):
            yield [number, departments.get(department_id, ""), source.label, inspected_on, issued_on, due_on,
                   status.label, total or 0, int(closed_count or 0), received_at, _day(closed_at),
                   _yes(status != NoticeStatus.CLOSED and due_on < today)]

    def item_rows() -> Iterator[list]:
        for number, department_id, position, problem, status, closed_at in _stream(session, lines):
            yield [number, departments.get(department_id, ""), position, problem, status.label, _day(closed_at)]

    return [Sheet("整改通知书", NOTICE_COLUMNS, notice_rows(), context.preamble),
            Sheet("整改问题", ITEM_COLUMNS, item_rows(), context.preamble)]


# --- 谈话函询台账 ------------------------------------------------------------------------------------
TALK_COLUMNS = [
    Column("编号", 16), Column("类型", 9), Column("状态", 9), Column("谈话对象", 10), Column("单位", 22),
    Column("职务", 16), Column("事由", 40), Column("提出日期", 11, "date"), Column("批准日期", 11, "date"),
    Column("谈话时间", 16, "datetime"), Column("地点", 16), Column("谈话人", 20), Column("记录人", 10),
    Column("回复期限", 11, "date"), Column("回复日期", 11, "date"), Column("函询结论", 10),
    Column("诫勉日期", 11, "date"), Column("影响期至", 11, "date"), Column("了结日期", 11, "date"),
]


def talk_sheets(session: Session, user: User, criteria: dict[str, str], today: date,
                context: ExportContext) -> list[Sheet]:
    statement = (select(Talk.id, Talk.serial, Talk.kind, Talk.status, Talk.subject_name, Talk.subject_unit,
                        Talk.subject_post, Talk.reason, Talk.proposed_at, Talk.approved_at, Talk.started_at,
                        Talk.scheduled_at, Talk.place, Talk.reply_due_on, Talk.replied_at, Talk.conclusion,
                        Talk.measure_on, Talk.influence_ends_on, Talk.closed_at)
                 .where(*talk_queries.conditions(user, **criteria)).order_by(*talk_queries.LIST_ORDER))

    def participants(ids: list[int]) -> dict[int, dict[ParticipantRole, list[str]]]:
        found: dict[int, dict[ParticipantRole, list[str]]] = {}
        for talk_id, role, name in session.execute(
                select(TalkParticipant.talk_id, TalkParticipant.role, TalkParticipant.name)
                .where(TalkParticipant.talk_id.in_(ids)).order_by(TalkParticipant.position, TalkParticipant.id)):
            found.setdefault(talk_id, {}).setdefault(role, []).append(name)
        return found

    def rows() -> Iterator[list]:
        result = session.execute(statement.execution_options(yield_per=CHUNK))
        for chunk in result.partitions():
            people = participants([row.id for row in chunk])
            for (id_, serial, kind, status, name, unit, post, reason, proposed_at, approved_at, started_at,
                 scheduled_at, place, reply_due_on, replied_at, conclusion, measure_on, influence_ends_on,
                 closed_at) in chunk:
                named = people.get(id_, {})
                yield [serial, kind.label, status.label, name, unit, post, reason, _day(proposed_at),
                       _day(approved_at), started_at or scheduled_at, place,
                       "、".join(named.get(ParticipantRole.TALKER, [])),
                       "、".join(named.get(ParticipantRole.RECORDER, [])), reply_due_on, _day(replied_at),
                       _label(conclusion), measure_on, influence_ends_on, _day(closed_at)]

    return [Sheet("谈话函询台账", TALK_COLUMNS, rows(), context.preamble)]


LEDGERS: dict[str, Ledger] = {ledger.key: ledger for ledger in (
    Ledger("matters", "事项台账", permissions.can_export_matter_ledger, matter_sheets),
    Ledger("assignments", "交办台账", permissions.can_export_matter_ledger, assignment_sheets),
    Ledger("rectification", "整改台账", permissions.can_export_rectification_ledger, rectification_sheets),
    Ledger("talks", "谈话函询台账", permissions.can_export_talk_ledger, talk_sheets),
    Ledger("clues", "线索台账", permissions.can_view_clues, clue_sheets),
    Ledger("tasks", "督查事项台账", permissions.can_list_tasks, task_sheets),
)}


# --- the service ---------------------------------------------------------------------------------
def export_ledger(session: Session, actor: User, key: str, selection: Any, target, *,
                  criteria: Iterable[str] = (), query: dict[str, str] | None = None,
                  identity_reason: str | None = None, ip_address: str = "") -> int:
    """Write ledger ``key`` with the list's ``selection`` (its filters) to ``target``; record the export.

    ``criteria`` are the filters in words (for the sheet and the audit log), ``query`` the list's query
    string. With ``identity_reason`` the matters ledger carries complainant identity and the complaint's
    own words, and every matter whose identity it carries gets an ``identity.exported`` audit entry.
    Returns the number of rows written. Never commits."""
    ledger = LEDGERS[key]
    if not ledger.may_export(actor):
        raise PermissionDenied("您无权导出该台账。")
    identity = identity_reason is not None
    if identity:
        if key != "matters" or not permissions.can_export_identity(actor):
            raise PermissionDenied("您无权导出投诉人身份信息。")
        identity_reason = identity_reason.strip()
        if not identity_reason:
            raise ValidationError("请填写导出投诉人身份信息的事由。")
        if len(identity_reason) > MAX_REASON:
            raise ValidationError(f"事由不能超过 {MAX_REASON} 个字符。")
    criteria = list(criteria)
    now = clock.now()
    preamble = [f"{ledger.title}　导出时间：{now:%Y-%m-%d %H:%M}　导出人：{actor.display_name}"
                + (f"（{actor.department.name}）" if _is_department_head(actor) and actor.department else ""),
                "筛选条件：" + ("；".join(criteria) if criteria else "全部")]
    if identity:
        preamble.append("本表含投诉人身份信息，仅限本机关内部工作使用，不得转交被反映单位或个人。")
    context = ExportContext(preamble=preamble, identity=identity, identity_matters=[] if identity else None)
    rows = write_workbook(target, ledger.sheets(session, actor, selection, clock.today(), context))
    changes: dict[str, Any] = {"ledger": key, "rows": rows, "filters": query or {}, "identity": identity}
    if identity:
        changes["reason"] = identity_reason
    summary = f"导出{ledger.title}（{rows} 行）" + ("，含投诉人身份信息" if identity else "")
    audit.record(session, actor, "ledger.export", ("ledger", None), summary, changes, ip_address=ip_address)
    if identity:
        # As a view of identity is: one entry per matter (who, when, which matter, why) — in batches, so
        # that 100,000 entries do not sit in memory at once.
        seen = context.identity_matters or []
        for start in range(0, len(seen), AUDIT_BATCH):
            audit.record_many(session, actor, [
                ("identity.exported", ("matter", matter_id), f"导出 {serial} 的反映人信息（{ledger.title}）",
                 {"reason": identity_reason}) for matter_id, serial in seen[start:start + AUDIT_BATCH]],
                ip_address=ip_address)
    return rows
