"""Every write of the settings area: holiday overrides, time-limit rules, categories — and the
recomputation of provisional deadlines when the State Council's schedule arrives (docs/domain.md §6)."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from supervision import audit, clock
from supervision.calendar import MAX_YEAR, MIN_YEAR, LimitUnit, WorkCalendar
from supervision.deadlines import Limit, compute_due, limit_for, office_calendar
from supervision.errors import PermissionDenied, ValidationError
from supervision.matters.services import add_event
from supervision.models.calendar import CalendarOverride, LimitStep, PublishedYear, TimeLimitRule
from supervision.models.matters import Assignment, AssignmentRole, Category, Matter, MatterKind, MatterStatus
from supervision.models.org import User
from supervision.models.rectification import NoticeStatus, RectificationNotice
from supervision.models.talks import Talk, TalkKind, TalkStatus
from supervision.rectification.services import add_event as add_notice_event

NAME_LENGTH = CalendarOverride.__table__.c.name.type.length
NOTICE_LENGTH = CalendarOverride.__table__.c.source_notice.type.length
WORKDAY_WORDS = {"上班": True, "工作日": True, "workday": True, "work": True, "1": True,
                 "休息": False, "放假": False, "休": False, "holiday": False, "rest": False, "0": False}


@dataclass(frozen=True)
class OverrideRow:
    day: date
    is_workday: bool
    name: str
    source_notice: str


def save_override(session: Session, actor: User, row: OverrideRow, *, recompute: bool = True,
                  paperwork=None) -> CalendarOverride:
    existing = session.get(CalendarOverride, row.day)
    values = {"is_workday": row.is_workday, "name": row.name[:40], "source_notice": row.source_notice[:200]}
    if existing is None:
        existing = CalendarOverride(day=row.day, updated_at=clock.now(), **values)
        session.add(existing)
        changes = {k: [None, v] for k, v in values.items()}
    else:
        changes = audit.diff(existing, values)
        existing.updated_at = clock.now()
    if changes:
        word = "上班" if row.is_workday else "休息"
        audit.record(session, actor, "calendar.override_saved", ("calendar_override", None),
                     f"设定 {row.day:%Y-%m-%d} 为{word}（{row.name}）", {"day": row.day, **changes})
    session.flush()
    if recompute:
        recompute_provisional_deadlines(session, actor, paperwork)
    return existing


MAX_CSV_FIELD = 1000  # far above any name or notice; a longer "field" is a broken file
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]")


def parse_overrides_csv(text: str) -> list[OverrideRow]:
    """日期,上班/休息,名称,依据 — one day a line; a header line is allowed. All errors at once; one error and
    nothing is imported. A file that is not text (NUL bytes, undecodable bytes), a field that runs over
    lines (an unclosed quote would swallow the next day), over-long fields and days outside the calendar's
    years are refused."""
    text = (text or "").lstrip("\ufeff")
    if CONTROL_CHARACTERS.search(text):
        raise ValidationError("导入文件含有不可见的控制字符或无法识别的字节（如 NUL），不是 UTF-8 或 GBK 编码的 CSV 文本，"
                              "未导入任何数据。请用 Excel 或记事本另存为 CSV 后重新导入。")
    rows, errors = [], []
    reader = csv.reader(io.StringIO(text))
    while True:
        number = reader.line_num + 1  # where the row starts (a quoted field may run on)
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            errors.append(f"第 {number} 行：无法按 CSV 读取（{error}）。")
            break
        fields = [f.strip() for f in fields]
        if not fields or not any(fields):
            continue
        if any("\n" in f or "\r" in f for f in fields):
            errors.append(f"第 {number} 行：引号未闭合，该行的字段一直延续到第 {reader.line_num} 行。")
            continue
        if any(len(f) > MAX_CSV_FIELD for f in fields):
            errors.append(f"第 {number} 行：字段过长（超过 {MAX_CSV_FIELD} 个字符）。")
            continue
        if number == 1 and not fields[0][:1].isdigit():
            continue  # header
        if len(fields) < 2:
            errors.append(f"第 {number} 行：至少需要“日期,上班/休息”两列。")
            continue
        try:
            day = date.fromisoformat(fields[0].replace("/", "-"))
        except ValueError:
            errors.append(f"第 {number} 行：日期“{fields[0][:20]}”格式不正确，应为 2027-01-01。")
            continue
        if not MIN_YEAR <= day.year <= MAX_YEAR:
            errors.append(f"第 {number} 行：日期“{fields[0]}”不在 {MIN_YEAR} 年至 {MAX_YEAR} 年之间。")
            continue
        kind = WORKDAY_WORDS.get(fields[1].lower())
        if kind is None:
            errors.append(f"第 {number} 行：第二列应为“上班”或“休息”，而不是“{fields[1][:20]}”。")
            continue
        name, notice = (fields[2] if len(fields) > 2 else ""), (fields[3] if len(fields) > 3 else "")
        if len(name) > NAME_LENGTH or len(notice) > NOTICE_LENGTH:
            errors.append(f"第 {number} 行：名称不能超过 {NAME_LENGTH} 个字符，依据不能超过 {NOTICE_LENGTH} 个字符。")
            continue
        rows.append(OverrideRow(day, kind, name, notice))
    if errors:
        raise ValidationError("导入文件有误，未导入任何数据。" + " ".join(errors[:20]))
    if not rows:
        raise ValidationError("导入文件中没有数据。")
    days = [r.day for r in rows]
    if len(days) != len(set(days)):
        raise ValidationError("导入文件中有重复的日期，未导入任何数据。")
    return rows


def import_overrides(session: Session, actor: User, text: str, *, published_year: int | None = None,
                     paperwork=None) -> tuple[int, int]:
    """Import a year's schedule; returns (days saved, deadlines recomputed). With ``published_year`` the
    file is that year's complete schedule: the year is marked published (its deadlines are no longer 推定)."""
    rows = parse_overrides_csv(text)
    if published_year is not None and any(row.day.year != published_year for row in rows):
        raise ValidationError(f"文件中有不属于 {published_year} 年的日期；标记为已公布的年份只能导入该年的安排。")
    for row in rows:
        save_override(session, actor, row, recompute=False)
    audit.record(session, actor, "calendar.imported", ("calendar_override", None),
                 f"导入节假日安排 {len(rows)} 天", {"first": rows[0].day, "last": rows[-1].day})
    if published_year is not None:
        _mark_published(session, actor, published_year, rows[0].source_notice)
    return len(rows), recompute_provisional_deadlines(session, actor, paperwork)


def _mark_published(session: Session, actor: User, year: int, source_notice: str = "") -> PublishedYear:
    if not 2004 <= year <= 2100:
        raise ValidationError("年份须在 2004 到 2100 之间。")
    existing = session.get(PublishedYear, year)
    if existing is not None:
        return existing
    published = PublishedYear(year=year, source_notice=source_notice[:200], published_at=clock.now(),
                              published_by_id=actor.id if actor else None)
    session.add(published)
    session.flush()
    audit.record(session, actor, "calendar.published", ("published_year", year),
                 f"{year} 年节假日安排已公布并录入完毕：该年时限不再为推定", {"year": year, "source": source_notice})
    return published


def mark_year_published(session: Session, actor: User, year: int, source_notice: str = "", paperwork=None) -> int:
    """The admin says the year's schedule is complete (the State Council's notice is entered): from now on the
    year is known — open deadlines in it are recomputed and their 推定 flags cleared, each audited.
    Returns how many deadlines changed."""
    if session.get(PublishedYear, year) is not None:
        raise ValidationError(f"{year} 年已标记为已公布。")
    _mark_published(session, actor, year, source_notice)
    return recompute_provisional_deadlines(session, actor, paperwork)


def published_years(session: Session) -> list[PublishedYear]:
    return list(session.scalars(select(PublishedYear).order_by(PublishedYear.year)))


def recompute_provisional_deadlines(session: Session, actor: User | None, paperwork=None) -> int:
    """Open deadlines that were estimated (推定) are computed again with the current calendar: the
    matters' assignments (and their objection periods) and acceptance, rectification notices, written
    inquiries' replies. Each one moved gets its audit row (and a line on its timeline where it has one); a
    department whose deadline moved is told, and with ``paperwork`` its 交办单 gets a new revision with the
    new date. Returns how many changed."""
    calendar = office_calendar(session)
    return (_recompute_assignments(session, actor, calendar, paperwork) + _recompute_objections(session, actor)
            + _recompute_acceptance(session, actor) + _recompute_notices(session, actor, calendar)
            + _recompute_inquiries(session, actor))


def _recompute_objections(session: Session, actor: User | None) -> int:
    """The 5-working-day objection period (退回) of open assignments, flagged and recomputed like the rest."""
    changed = 0
    for assignment in session.scalars(select(Assignment).where(Assignment.object_due_provisional.is_(True))
                                      .options(joinedload(Assignment.matter))).all():
        if not assignment.is_open:
            continue
        limit = limit_for(session, LimitStep.OBJECT, assignment.matter.kind.value)
        new = compute_due(session, assignment.assigned_on, limit)
        old_due = assignment.object_due_on
        if (new.due, new.provisional) == (old_due, True):
            continue
        assignment.object_due_on, assignment.object_due_provisional = new.due, new.provisional
        audit.record(session, actor, "deadline.recomputed", assignment,
                     f"{assignment.matter.serial} 推定异议期限重算：{old_due:%Y-%m-%d} → {new.due:%Y-%m-%d}",
                     {"object_due_on": [old_due, new.due], "provisional": [True, new.provisional]})
        changed += 1
    return changed


def _tell_moved(session: Session, assignment: Assignment, old_due: date, paperwork) -> None:
    """The department learns of its new deadline (inbox and delivery), and a 交办单 already issued with the
    old date gets a new revision (same number) carrying the new one."""
    from supervision.documents import services as documents
    from supervision.matters import paperwork as slips
    from supervision.notifications.services import about_matter, department_heads, notify
    from supervision.permissions import department_title

    matter = assignment.matter
    new_due = f"{assignment.due_on:%Y-%m-%d}" + ("（推定）" if assignment.due_provisional else "")
    notify(session, department_heads(session, assignment.department_id),
           f"办理时限调整：{matter.serial} {department_title(matter)}",
           f"节假日安排公布，办理时限由 {old_due:%Y-%m-%d} 重新计算为 {new_due}。",
           channels=("log", "email", "sms"), kind="deadline", about=[about_matter(matter)])
    if paperwork is None or documents.latest(session, "assignment_slip", "assignment", assignment.id) is None:
        return
    object_limit = limit_for(session, LimitStep.OBJECT, matter.kind.value)
    documents.generate(session, None, doc_type="assignment_slip", subject=("assignment", assignment.id),
                       build_data=lambda number: slips.assignment_slip(assignment, number, object_limit.amount),
                       profile=paperwork.profile, folder=paperwork.folder, matter_id=matter.id,
                       department_id=assignment.department_id)


def _recompute_assignments(session: Session, actor: User | None, calendar: WorkCalendar, paperwork=None) -> int:
    changed = 0
    open_assignments = session.scalars(
        select(Assignment).where(Assignment.due_provisional.is_(True), Assignment.limit_amount.is_not(None))
        .options(joinedload(Assignment.matter))).all()
    for assignment in open_assignments:
        if not assignment.is_open:
            continue
        new = calendar.deadline(assignment.assigned_on, assignment.limit_amount, LimitUnit(assignment.limit_unit))
        old_due = assignment.due_on
        if (new.due, new.provisional) == (old_due, assignment.due_provisional):
            continue
        assignment.due_on, assignment.due_provisional = new.due, new.provisional
        matter = assignment.matter
        if assignment.role == AssignmentRole.LEAD and matter.lead_department_id == assignment.department_id:
            matter.due_on, matter.due_provisional = new.due, new.provisional
        if old_due != new.due:
            add_event(session, matter, actor, "due_recomputed", "节假日安排公布，办理时限重新计算",
                      audience="department", department=assignment.department, old_due=old_due, new_due=new.due)
        _tell_moved(session, assignment, old_due, paperwork)
        audit.record(session, actor, "deadline.recomputed", assignment,
                     f"{matter.serial} 推定时限重算：{old_due:%Y-%m-%d} → {new.due:%Y-%m-%d}",
                     {"due_on": [old_due, new.due], "provisional": [True, new.provisional]})
        changed += 1
    return changed


def _recompute_acceptance(session: Session, actor: User | None) -> int:
    changed = 0
    registered = session.scalars(select(Matter).where(Matter.status == MatterStatus.REGISTERED,
                                                      Matter.accept_due_provisional.is_(True))).all()
    for matter in registered:
        limit = limit_for(session, LimitStep.ACCEPT, matter.kind.value, matter.category_id)
        new = compute_due(session, matter.received_on, limit)
        if (new.due, new.provisional) == (matter.accept_due_on, matter.accept_due_provisional):
            continue
        old_due = matter.accept_due_on
        matter.accept_due_on, matter.accept_due_provisional = new.due, new.provisional
        matter.due_on, matter.due_provisional = new.due, new.provisional
        audit.record(session, actor, "deadline.recomputed", matter,
                     f"{matter.serial} 受理时限重算：{old_due:%Y-%m-%d} → {new.due:%Y-%m-%d}",
                     {"accept_due_on": [old_due, new.due]})
        changed += 1
    return changed


def _recompute_notices(session: Session, actor: User | None, calendar: WorkCalendar) -> int:
    """整改通知书 with a deadline of N working days from issue (a fixed date is never provisional)."""
    changed = 0
    notices = session.scalars(select(RectificationNotice).where(
        RectificationNotice.status != NoticeStatus.CLOSED, RectificationNotice.due_provisional.is_(True),
        RectificationNotice.limit_amount.is_not(None))).all()
    for notice in notices:
        new = calendar.deadline(notice.issued_on, notice.limit_amount, LimitUnit(notice.limit_unit))
        old_due = notice.due_on
        if (new.due, new.provisional) == (old_due, notice.due_provisional):
            continue
        notice.due_on, notice.due_provisional = new.due, new.provisional
        label = notice.number or f"整改通知书#{notice.id}"
        if old_due != new.due:
            add_notice_event(session, notice, actor, "due_recomputed",
                             f"节假日安排公布，整改期限重新计算：{old_due:%Y-%m-%d} → {new.due:%Y-%m-%d}")
        audit.record(session, actor, "deadline.recomputed", notice,
                     f"{label} 推定整改期限重算：{old_due:%Y-%m-%d} → {new.due:%Y-%m-%d}",
                     {"due_on": [old_due, new.due], "provisional": [True, new.provisional]})
        changed += 1
    return changed


def _recompute_inquiries(session: Session, actor: User | None) -> int:
    """函询 awaiting a reply: the reply limit runs from the day it was sent (as when it was notified,
    the rule in force is used — the talk does not keep the limit it was given)."""
    changed = 0
    inquiries = session.scalars(select(Talk).where(
        Talk.kind == TalkKind.INQUIRY, Talk.status == TalkStatus.NOTIFIED, Talk.reply_due_provisional.is_(True),
        Talk.notified_at.is_not(None))).all()
    for talk in inquiries:
        new = compute_due(session, talk.notified_at.date(), limit_for(session, LimitStep.INQUIRY_REPLY))
        old_due = talk.reply_due_on
        if (new.due, new.provisional) == (old_due, talk.reply_due_provisional):
            continue
        talk.reply_due_on, talk.reply_due_provisional = new.due, new.provisional
        audit.record(session, actor, "deadline.recomputed", talk,
                     f"{talk.serial} 推定回复期限重算：{old_due:%Y-%m-%d} → {new.due:%Y-%m-%d}",
                     {"reply_due_on": [old_due, new.due], "provisional": [True, new.provisional]})
        changed += 1
    return changed


# --- time limits -----------------------------------------------------------------------------------
def save_time_limit(session: Session, actor: User, *, step: LimitStep, matter_kind: MatterKind | None,
                    category: Category | None, amount: int, unit: LimitUnit, source: str = "",
                    max_extensions: int = 1, extension_amount: int | None = None,
                    extension_by_leader: bool = False) -> TimeLimitRule:
    if not 1 <= amount <= 365:
        raise ValidationError("时限须在 1 到 365 之间。")
    if not 0 <= max_extensions <= 10:
        raise ValidationError("延期次数须在 0 到 10 之间。")
    if extension_amount is not None and not 1 <= extension_amount <= 365:
        raise ValidationError("每次延期的时长须在 1 到 365 之间。")
    if category is not None and matter_kind is not None and category.matter_kind != matter_kind:
        raise ValidationError("问题类别与事项类型不符。")
    if category is not None:
        matter_kind = category.matter_kind
    kind_value = matter_kind.value if matter_kind else None
    rule = session.scalar(select(TimeLimitRule).where(
        TimeLimitRule.step == step, TimeLimitRule.matter_kind.is_(None) if kind_value is None
        else TimeLimitRule.matter_kind == kind_value,
        TimeLimitRule.category_id.is_(None) if category is None else TimeLimitRule.category_id == category.id))
    before = limit_for(session, step, kind_value, category.id if category else None)
    extensions = {"max_extensions": max_extensions, "extension_amount": extension_amount,
                  "extension_by_leader": extension_by_leader}
    if rule is None:
        rule = TimeLimitRule(step=step, matter_kind=kind_value, category_id=category.id if category else None,
                             amount=amount, unit=unit, source=source, **extensions)
        session.add(rule)
    else:
        rule.amount, rule.unit, rule.source = amount, unit, source
        for name, value in extensions.items():
            setattr(rule, name, value)
    after = Limit(amount, unit, source, max_extensions, extension_amount, extension_by_leader)
    scope = "、".join(filter(None, [matter_kind.label if matter_kind else "全部类型",
                                   category.name if category else ""]))
    audit.record(session, actor, "time_limit.saved", ("time_limit_rule", None),
                 f"{step.label}时限（{scope}）：{before.label} → {after.label}，{after.extension_label}",
                 {"step": step, "kind": kind_value, "category_id": category.id if category else None,
                  "amount": [before.amount, amount], "unit": [before.unit, unit],
                  "max_extensions": [before.max_extensions, max_extensions],
                  "extension_amount": [before.extension_amount, extension_amount],
                  "extension_by_leader": [before.extension_by_leader, extension_by_leader]})
    return rule


# --- categories ------------------------------------------------------------------------------------
def save_category(session: Session, actor: User, *, matter_kind: MatterKind, name: str,
                  category: Category | None = None, active: bool = True) -> Category:
    name = name.strip()
    if not name:
        raise ValidationError("请填写类别名称。")
    clash = session.scalar(select(Category).where(Category.matter_kind == matter_kind, Category.name == name))
    if clash is not None and clash is not category:
        raise ValidationError(f"{matter_kind.label}已有类别“{name}”。")
    if category is None:
        order = len(session.scalars(select(Category.id).where(Category.matter_kind == matter_kind)).all())
        category = Category(matter_kind=matter_kind, name=name, sort_order=order, active=active)
        session.add(category)
        audit.record(session, actor, "category.created", category, f"新增{matter_kind.label}类别“{name}”")
        return category
    changes = audit.diff(category, {"name": name, "active": active})
    if changes:
        audit.record(session, actor, "category.updated", category, f"修改类别“{name}”", changes)
    return category


# --- office settings (yellow light, grade points, assessment thresholds) ----------------------------------
def update_office_settings(session: Session, actor: User, values: dict[str, int]) -> dict:
    """The supervisors set the office's rules (``models.settings.DEFINITIONS``). Returns the changes
    {key: [old, new]}; one audit entry for them, none when nothing changed."""
    from supervision import office_settings, permissions
    from supervision.models.settings import BY_KEY, OfficeSetting

    if not permissions.can_configure_assessment(actor):
        raise PermissionDenied("只有督查人员或领导可以修改这些设置。")
    office_settings.validate(values)
    old = dict(office_settings.current(session))
    stored = {row.key: row for row in session.scalars(select(OfficeSetting).where(OfficeSetting.key.in_(list(values))))}
    changes = {}
    for key, value in values.items():
        if old[key] == value:
            continue
        row = stored.get(key) or OfficeSetting(key=key, value=value)
        row.value, row.updated_at, row.updated_by_id = value, clock.now(), actor.id
        session.add(row)
        changes[key] = [old[key], value]
    if changes:
        summary = "、".join(f"{BY_KEY[k].label} {a}→{b}" for k, (a, b) in changes.items())
        audit.record(session, actor, "settings.office_changed", ("office_setting", None), f"修改督查设置：{summary}",
                     changes)
        session.flush()
    return changes
