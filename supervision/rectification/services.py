"""Every write of the rectification area (docs/domain.md §4). Each function takes an explicit actor, asks the
state table (``rectification.workflow``) and ``permissions``, changes the state, writes the notice's
timeline and the audit row, and flushes. None of them commits, flashes or reads the request.

Numbering: the notice's 文号 is allocated by ``documents.services.generate`` when the notice is
issued — the 整改通知书 .docx is generated in the same transaction and its number (from the shared
registry, scope ``doc:<机关代字>``, per year) is stored on the notice. So the notice and its document
carry one number by construction; regenerating keeps it; a rolled-back issue gives it back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.orm import Session

from supervision import audit, clock, permissions
from supervision.calendar import LimitUnit
from supervision.deadlines import Limit, compute_due
from supervision.documents import services as documents
from supervision.documents.services import Paperwork
from supervision.errors import PermissionDenied, ValidationError
from supervision.matters.services import add_event as add_matter_event
from supervision.models.documents import GeneratedDocument
from supervision.models.matters import Matter, MatterKind, MatterStatus
from supervision.models.org import Department, User
from supervision.models.rectification import (
    ItemStatus,
    NoticeStatus,
    RectificationEvent,
    RectificationEvidence,
    RectificationItem,
    RectificationNotice,
    RectificationReport,
    RectificationSource,
    Verdict,
)
from supervision.paperwork import data as paper
from supervision.rectification.workflow import NoticeAction, next_item_status, next_notice_status
from supervision.uploads import Storage

DOC_TYPE = "rectification_notice"
SUBJECT_TYPE = "rectification_notice"
MAX_WORKDAYS = 250
# Matters a notice may be issued from: findings still on the books, and complaints or suggestions
# whose department's result the office has approved (substantiated, handled).
SUBSTANTIATED_STATUSES = frozenset({MatterStatus.APPROVED, MatterStatus.FOLLOWED_UP, MatterStatus.CLOSED,
                                    MatterStatus.ARCHIVED})
REFUSED_STATUSES = frozenset({MatterStatus.NOT_ACCEPTED, MatterStatus.FILED})
SOURCE_OF_CHANNEL = {"undercover": RectificationSource.UNDERCOVER,
                     "disclosure_check": RectificationSource.DISCLOSURE_CHECK,
                     "special_check": RectificationSource.SPECIAL_CHECK}


@dataclass
class NoticeInput:
    department: Department | None
    source: RectificationSource
    problems: list[str]
    workdays: int | None = None  # the deadline: N working days from today …
    due_on: date | None = None  # … or an explicit date
    inspected_on: date | None = None
    basis: str = ""
    requirements: list[str] = field(default_factory=list)
    consequence: str = ""
    contact_person: str = ""
    contact_phone: str = ""
    matters: list[Matter] = field(default_factory=list)


# --- helpers -------------------------------------------------------------------------------------
def lines(text: str) -> list[str]:
    """A textarea with one entry a line → the non-blank lines, trimmed."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def can_be_rectified(matter: Matter) -> bool:
    if matter.kind == MatterKind.FINDING:
        return matter.status not in REFUSED_STATUSES
    return matter.status in SUBSTANTIATED_STATUSES


def problems_of(matter: Matter) -> list[str]:
    """What a notice may say about a matter: a finding's problem lines, otherwise the 摘要 — never the
    complainant's own words (the department reads the notice)."""
    if matter.kind == MatterKind.FINDING and matter.problem_list():
        return matter.problem_list()
    return [matter.summary.strip() or permissions.department_title(matter)]


def add_event(session: Session, notice: RectificationNotice, actor: User | None, action: str, text: str,
              item: RectificationItem | None = None) -> RectificationEvent:
    event = RectificationEvent(notice=notice, item_id=item.id if item else None, actor_id=actor.id if actor else None,
                               action=action, text=text, at=clock.now())
    session.add(event)
    return event


def _required(text: str, message: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError(message)
    return text


def _check(actor: User, notice: RectificationNotice, action: NoticeAction, message: str) -> None:
    if not permissions.can_act_on_rectification(actor, notice, action):
        raise PermissionDenied(message)


def _label(notice: RectificationNotice) -> str:
    return notice.number or f"整改通知书#{notice.id}"


# --- issue -----------------------------------------------------------------------------------------
def issue_rectification_notice(session: Session, actor: User, data: NoticeInput, *,
                               paperwork: Paperwork) -> RectificationNotice:
    """下发整改通知书: the notice, its numbered items, the .docx with its 文号, all in one transaction."""
    if not permissions.can_issue_rectification(actor):
        raise PermissionDenied("只有督查人员可以下发整改通知书。")
    department = data.department
    if department is None:
        raise ValidationError("请选择被通知单位。")
    if not department.active:
        raise ValidationError(f"单位“{department.name}”已停用，不能向其下发整改通知书。")
    problems = [p.strip() for p in data.problems if p and p.strip()]
    if not problems:
        raise ValidationError("请至少列出一项需要整改的问题（每行一条）。")
    limit = RectificationItem.__table__.c.problem.info["max_length"]
    if any(len(p) > limit for p in problems):
        raise ValidationError(f"每项问题不能超过 {limit} 个字符。")
    today = clock.today()
    if data.inspected_on is not None and data.inspected_on > today:
        raise ValidationError("检查日期不能晚于今天。")
    for matter in data.matters:
        if not can_be_rectified(matter):
            raise ValidationError(f"{matter.serial} 不是检查发现或经核实的事项，不能据此下发整改通知书。")

    if (data.workdays is None) == (data.due_on is None):
        raise ValidationError("请填写整改时限：按工作日天数，或指定截止日期（二选一）。")
    if data.due_on is not None:
        if data.due_on <= today:
            raise ValidationError(f"整改期限必须晚于下发日期（{today:%Y-%m-%d}）。")
        due, provisional, amount, unit = data.due_on, False, None, None
    else:
        if not 1 <= data.workdays <= MAX_WORKDAYS:
            raise ValidationError(f"整改时限应为 1–{MAX_WORKDAYS} 个工作日。")
        deadline = compute_due(session, today, Limit(data.workdays, LimitUnit.WORKDAY, "整改通知书"))
        due, provisional, amount, unit = deadline.due, deadline.provisional, data.workdays, LimitUnit.WORKDAY.value

    notice = RectificationNotice(
        year=today.year, department=department, source=data.source, inspected_on=data.inspected_on,
        basis=data.basis.strip(), requirements="\n".join(lines("\n".join(data.requirements))),
        consequence=data.consequence.strip(), contact_person=data.contact_person.strip(),
        contact_phone=data.contact_phone.strip(), status=NoticeStatus.ISSUED, issued_on=today,
        issued_at=clock.now(), issued_by_id=actor.id, limit_amount=amount, limit_unit=unit, due_on=due,
        due_provisional=provisional, matters=list(dict.fromkeys(data.matters)))
    line_matter = {line: m for m in data.matters for line in problems_of(m)}
    for position, problem in enumerate(problems, start=1):
        matter = line_matter.get(problem)
        notice.items.append(RectificationItem(position=position, problem=problem, status=ItemStatus.OPEN,
                                              matter_id=matter.id if matter else None))
    session.add(notice)
    session.flush()

    # The 文号 comes from the shared registry through the document itself (see the module docstring);
    # the counter is locked before the audit chain, in the same order as every other numbered write.
    document = _generate(session, actor, notice, paperwork)
    notice.number = document.number
    add_event(session, notice, actor, "issued",
              f"下发整改通知书 {notice.number}，{len(problems)} 项问题，整改期限 {due:%Y-%m-%d}"
              + ("（推定）" if provisional else ""))
    audit.record(session, actor, "rectification.issued", notice,
                 f"下发整改通知书 {notice.number} 至 {department.name}",
                 {"status": [None, notice.status], "department": department.name, "items": len(problems),
                  "due_on": due, "due_provisional": provisional, "workdays": amount,
                  "matters": [m.serial for m in notice.matters]})
    for matter in notice.matters:
        add_matter_event(session, matter, actor, "rectification_issued",
                         f"下发整改通知书 {notice.number}（{department.name}）")
    return notice


def _generate(session: Session, actor: User | None, notice: RectificationNotice,
              paperwork: Paperwork) -> GeneratedDocument:
    def build(number: paper.DocNumber | None) -> paper.RectificationNotice:
        notice.year, notice.seq = number.year, number.seq
        return document_data(notice, number)

    return documents.generate(
        session, actor, doc_type=DOC_TYPE, subject=(SUBJECT_TYPE, notice.id), build_data=build,
        profile=paperwork.profile, folder=paperwork.folder,
        matter_id=notice.matters[0].id if notice.matters else None, department_id=notice.department_id)


def document_data(notice: RectificationNotice, number: paper.DocNumber) -> paper.RectificationNotice:
    """What the 整改通知书 shows: only fields written for the department (no complainant, no content)."""
    return paper.RectificationNotice(
        number=number, addressee=notice.department.name, source=notice.source.label,
        problems=tuple(item.problem for item in notice.items), deadline=notice.due_on,
        issued_on=notice.issued_on, inspected_on=notice.inspected_on, basis=notice.basis,
        requirements=tuple(lines(notice.requirements)), deadline_provisional=notice.due_provisional,
        consequence=notice.consequence, contact_person=notice.contact_person,
        contact_phone=notice.contact_phone)


def regenerate_document(session: Session, actor: User, notice: RectificationNotice, *,
                        paperwork: Paperwork) -> GeneratedDocument:
    """A new revision of the .docx (e.g. after the calendar moved a provisional deadline): same 文号."""
    _check(actor, notice, NoticeAction.REGENERATE, "只有督查人员可以生成整改通知书。")
    document = _generate(session, actor, notice, paperwork)
    add_event(session, notice, actor, "regenerated", f"重新生成整改通知书（第 {document.revision} 版）")
    return document


def latest_document(session: Session, notice: RectificationNotice) -> GeneratedDocument | None:
    return documents.latest(session, DOC_TYPE, SUBJECT_TYPE, notice.id)


# --- the department ----------------------------------------------------------------------------------
def sign_notice(session: Session, actor: User, notice: RectificationNotice) -> None:
    """签收 by the head of the addressed department (the 送达回执's signer and date)."""
    _check(actor, notice, NoticeAction.SIGN, "只有被通知单位的负责人才能签收。")
    old = notice.status
    notice.status = next_notice_status(old, NoticeAction.SIGN)
    notice.received_at, notice.received_by_id = clock.now(), actor.id
    add_event(session, notice, actor, "signed", f"{notice.department.name}签收")
    audit.record(session, actor, "rectification.signed", notice,
                 f"{_label(notice)} {notice.department.name} 签收", {"status": [old, notice.status]})


def report_item(session: Session, actor: User, item: RectificationItem, content: str, *,
                files: list[tuple[str, bytes]] = (), storage: Storage | None = None) -> RectificationReport:
    """报送 one item's rectification: what was done, with evidence files."""
    notice = item.notice
    _check(actor, notice, NoticeAction.REPORT, "只有被通知单位的负责人才能报送整改情况。")
    content = _required(content, f"请填写第 {item.position} 项的整改情况（采取了哪些措施、整改结果如何）。")
    limit = RectificationReport.__table__.c.content.info["max_length"]
    if len(content) > limit:
        raise ValidationError(f"整改情况不能超过 {limit} 个字符。")
    old = item.status
    item.status = next_item_status(notice.status, old, NoticeAction.REPORT, item.position)
    report = RectificationReport(item=item, content=content, submitted_at=clock.now(), submitted_by_id=actor.id)
    session.add(report)
    stored = storage.save_all(session, list(files)) if files else []
    for file in stored:
        report.evidence.append(RectificationEvidence(
            original_name=file.original_name, stored_name=file.stored_name, media_type=file.media_type,
            size=file.size, sha256=file.sha256, uploaded_at=clock.now(), uploaded_by_id=actor.id))
    add_event(session, notice, actor, "reported",
              f"{notice.department.name}报送第 {item.position} 项整改情况"
              + (f"（附 {len(stored)} 份佐证材料）" if stored else ""), item)
    audit.record(session, actor, "rectification.item_reported", item,
                 f"{_label(notice)} 第 {item.position} 项报送整改情况",
                 {"status": [old, item.status], "evidence": len(stored)})
    if all(i.status in (ItemStatus.REPORTED, ItemStatus.CLOSED) for i in notice.items):
        # Every item reported: the department's part is done (reminders, 催办 and 督办 about it settle).
        from supervision.notifications.services import settle, task_key

        settle(session, actor, task_key("rectification_notice", notice.id, "handle"))
    return report


# --- the office ----------------------------------------------------------------------------------------
def verify_item(session: Session, actor: User, item: RectificationItem, accept: bool, note: str = "") -> None:
    """验收: close the item (销号) or send it back with a reason; the last item closed closes the notice."""
    notice = item.notice
    action = NoticeAction.ACCEPT if accept else NoticeAction.SEND_BACK
    _check(actor, notice, action, "只有督查人员可以验收整改情况。")
    note = (note or "").strip()
    if not accept:
        note = _required(note, f"退回第 {item.position} 项时请写明理由和整改要求。")
    old = item.status
    item.status = next_item_status(notice.status, old, action, item.position)
    report = item.latest_report
    report.verdict = Verdict.ACCEPTED if accept else Verdict.SENT_BACK
    report.verify_note, report.verified_at, report.verified_by_id = note, clock.now(), actor.id
    if accept:
        item.closed_at = clock.now()
        text = f"第 {item.position} 项验收通过，销号" + (f"：{note}" if note else "")
    else:
        text = f"第 {item.position} 项退回整改：{note}"
    add_event(session, notice, actor, action.value, text, item)
    audit.record(session, actor, "rectification.item_closed" if accept else "rectification.item_sent_back", item,
                 f"{_label(notice)} {text}", {"status": [old, item.status], "note": note or None})
    if accept and notice.all_items_closed():
        _close_notice(session, actor, notice)


def _close_notice(session: Session, actor: User, notice: RectificationNotice) -> None:
    old = notice.status
    notice.status = next_notice_status(old, NoticeAction.CLOSE)
    notice.closed_at = clock.now()
    on_time = clock.today() <= notice.due_on
    add_event(session, notice, actor, "closed",
              f"全部 {len(notice.items)} 项问题已销号，整改通知书办结" + ("" if on_time else "（逾期完成）"))
    audit.record(session, actor, "rectification.closed", notice, f"{_label(notice)} 全部问题销号，办结",
                 {"status": [old, notice.status], "on_time": on_time})
    from supervision.notifications.services import settle, task_key

    settle(session, actor, task_key("rectification_notice", notice.id, "handle"))
