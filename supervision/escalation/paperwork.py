"""The 催办单 / 督办通知书 of a 督办 (SPEC §7): generated, numbered, registered and delivered at the step —
by hand or by the sweep — never only on request. A department's document: serial, title and deadlines,
never the complainant or the complaint itself."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from supervision import audit
from supervision.calendar import LimitUnit
from supervision.deadlines import office_calendar
from supervision.documents import services as documents
from supervision.documents.services import Paperwork
from supervision.models.documents import GeneratedDocument
from supervision.models.escalation import Escalation, EscalationKind
from supervision.models.matters import Assignment
from supervision.models.org import User
from supervision.models.rectification import RectificationNotice
from supervision.notifications.services import About, department_heads, notify
from supervision.paperwork.builders import reminder_title
from supervision.paperwork.data import DocNumber, ReminderNotice, SupervisionLevel
from supervision.permissions import department_title

REPORT_WORKDAYS = 5  # without a new deadline, the department reports within this many working days
DOC_TYPE = "reminder_notice"
SUBJECT_TYPE = "escalation"


def _report_by(session: Session, escalation: Escalation) -> tuple[date, bool]:
    if escalation.new_due_on is not None:
        return escalation.new_due_on, False
    deadline = office_calendar(session).deadline(escalation.issued_at.date(), REPORT_WORKDAYS, LimitUnit.WORKDAY)
    return deadline.due, deadline.provisional


def _earlier_steps(session: Session, escalation: Escalation) -> int:
    return session.scalar(select(func.count()).select_from(Escalation).where(
        Escalation.subject_type == escalation.subject_type, Escalation.subject_id == escalation.subject_id,
        Escalation.kind != EscalationKind.REMINDER, Escalation.id < escalation.id)) or 0


def reminder_data(session: Session, escalation: Escalation, number: DocNumber) -> ReminderNotice:
    """What the notice says, from the escalation and what it is about (an assignment or a 整改通知书)."""
    new_deadline, provisional = _report_by(session, escalation)
    common = dict(number=number, level=escalation.level, original_deadline=escalation.due_on,
                  days_overdue=escalation.workdays_overdue, new_deadline=new_deadline,
                  new_deadline_provisional=provisional, issued_on=escalation.issued_at.date(),
                  reminder_count=_earlier_steps(session, escalation) + 1, requirements=escalation.note)
    if escalation.subject_type == "assignment":
        assignment = session.get(Assignment, escalation.subject_id)
        matter = assignment.matter
        slip = documents.latest(session, "assignment_slip", "assignment", assignment.id)
        return ReminderNotice(addressee=assignment.department.name,
                              assignment_number=slip.number if slip else matter.serial,
                              matter=department_title(matter), matter_number=matter.serial,
                              assigned_on=assignment.assigned_on,
                              **common)
    if escalation.subject_type in TASK_SUBJECTS:
        from supervision.tasks.paperwork import reminder_fields

        return ReminderNotice(**reminder_fields(session, escalation), **common)
    notice = session.get(RectificationNotice, escalation.subject_id)
    return ReminderNotice(addressee=notice.department.name, assignment_number=notice.number or "",
                          matter=f"整改通知书（{notice.number}）所列问题的整改", assigned_on=notice.issued_on,
                          **common)


TASK_SUBJECTS = ("task", "task_milestone", "task_report")
DOCUMENTED_SUBJECTS = ("assignment", "rectification_notice", *TASK_SUBJECTS)


def _subject_label(session: Session, escalation: Escalation) -> str:
    """What the 督办 is about, as the department may see it: serial and 交办标题, or the notice's number."""
    if escalation.subject_type == "assignment":
        matter = session.get(Assignment, escalation.subject_id).matter
        return f"{matter.serial} {department_title(matter)}"
    if escalation.subject_type in TASK_SUBJECTS:
        from supervision.tasks.paperwork import reminder_fields

        fields = reminder_fields(session, escalation)
        return f"{fields['matter_number']} {fields['matter']}"
    notice = session.get(RectificationNotice, escalation.subject_id)
    return f"整改通知书 {notice.number or ''}".strip()


def _subject_link(session: Session, escalation: Escalation) -> str:
    if escalation.subject_type == "assignment":
        return f"/matters/{escalation.matter_id}"
    if escalation.subject_type in TASK_SUBJECTS:
        from supervision.models.tasks import TaskMilestone

        task_id = (session.get(TaskMilestone, escalation.subject_id).task_id
                   if escalation.subject_type == "task_milestone" else escalation.subject_id)
        return f"/tasks/task/{task_id}"
    return f"/rectification/{escalation.subject_id}"


def needs_document(escalation: Escalation) -> bool:
    """书面督办, 挂牌督办 and 提级督办 are written: each produces its 督办通知书."""
    return (escalation.kind == EscalationKind.ESCALATION and escalation.level is not None
            and SupervisionLevel(escalation.level).is_escalation and escalation.subject_type in DOCUMENTED_SUBJECTS)


def issue_reminder_notice(session: Session, actor: User | None, escalation: Escalation, paperwork: Paperwork,
                          channels=("log",)) -> GeneratedDocument:
    """Generate (numbered 效督〔年〕n号), register and deliver the escalation's notice to the department's
    heads: an in-app notice with the link to the document, and e-mail/SMS where they have one."""
    level = SupervisionLevel(escalation.level)
    title = reminder_title(level)
    document = documents.generate(
        session, actor, doc_type=DOC_TYPE, subject=(SUBJECT_TYPE, escalation.id),
        build_data=lambda number: reminder_data(session, escalation, number), profile=paperwork.profile,
        folder=paperwork.folder, matter_id=escalation.matter_id, department_id=escalation.department_id,
        prefix_key="escalation" if level.is_escalation else "reminder", title=title)
    session.flush()
    if escalation.department_id is not None:
        from supervision.escalation.services import deadline_task

        notify(session, department_heads(session, escalation.department_id),
               f"{title} {document.number}：{_subject_label(session, escalation)}",
               f"{level.label}：请下载{title}（{document.number}），按要求办理并书面报告。",
               f"/documents/{document.id}", channels, kind="deadline",
               about=[About(link=_subject_link(session, escalation), label=_subject_label(session, escalation),
                            matter_id=escalation.matter_id,
                            task=deadline_task(escalation.subject_type, escalation.subject_id))])
    audit.record(session, actor, "escalation.notice_delivered", escalation,
                 f"送达{title} {document.number}", {"document_id": document.id, "department_id": escalation.department_id})
    return document


def issue_missing_notices(session: Session, paperwork: Paperwork, channels=("log",), limit: int | None = None) -> int:
    """Every written 督办 without its notice gets one (the first ``limit``, oldest first): the sweep's new
    ones, and any that an earlier run could not issue or left for later. A rerun adds nothing."""
    issued = select(GeneratedDocument.id).where(GeneratedDocument.subject_type == SUBJECT_TYPE,
                                                GeneratedDocument.subject_id == Escalation.id)
    written = [level for level in SupervisionLevel if level.is_escalation]
    pending = session.scalars(select(Escalation).where(
        Escalation.kind == EscalationKind.ESCALATION, Escalation.level.in_(written),
        Escalation.subject_type.in_(DOCUMENTED_SUBJECTS), ~issued.exists()).order_by(Escalation.id).limit(limit)).all()
    for escalation in pending:
        issue_reminder_notice(session, None, escalation, paperwork, channels)
    return len(pending)
