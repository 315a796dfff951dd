"""Every write of the matters area. Each function takes an explicit actor, checks the rule (workflow)
and the right (permissions), changes the state, writes the timeline event and the audit row, and
flushes. None of them commits, flashes or reads the request."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from supervision import audit, audit_rows, clock, permissions, sequences, workflow
from supervision.complainants import letters as wording
from supervision.complainants.services import LetterPolicy, concluded_predecessor, issue_notice
from supervision.deadlines import compute_due, limit_for, office_calendar, require_workday
from supervision.errors import PermissionDenied, StaleObjectError, ValidationError, WorkflowError
from supervision.models.calendar import LimitStep
from supervision.models.clues import Clue
from supervision.models.complainants import NoticeKind
from supervision.models.matters import (
    SERIAL_PREFIX,
    Assignment,
    AssignmentRole,
    AssignmentStatus,
    CHANNELS_BY_KIND,
    Attachment,
    Category,
    Channel,
    Complainant,
    ComplaintClass,
    Extension,
    ExtensionStatus,
    Matter,
    MatterEvent,
    MatterKind,
    MatterStatus,
    Reply,
    ReviewResult,
    Satisfaction,
    default_complaint_class,
)
from supervision.models.org import Department, Role, User
from supervision.notifications.services import about_matter, department_heads, notify, office_staff, settle, task_key
from supervision.uploads import Storage, StoredFile
from supervision.workflow import Action

QUERY_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read out over the phone


class AvoidanceRequired(ValidationError):
    """回避: the matter complains about the department it would be assigned to."""


@dataclass
class IdentityInput:
    name: str = ""
    phone: str = ""
    id_number: str = ""
    address: str = ""
    work_unit: str = ""
    email: str = ""

    def is_empty(self) -> bool:
        return not any((self.name, self.phone, self.id_number, self.address, self.work_unit, self.email))


@dataclass
class MatterInput:
    kind: MatterKind
    channel: Channel
    title: str
    content: str
    received_on: date
    summary: str = ""
    category: Category | None = None
    respondent_department: Department | None = None
    respondent_unit: str = ""
    respondent_person: str = ""
    anonymous: bool = False
    confidential: bool = False
    inspected_on: date | None = None
    place: str = ""
    inspectors: str = ""
    problems: str = ""
    identity: IdentityInput = field(default_factory=IdentityInput)


# --- helpers -------------------------------------------------------------------------------------
def new_query_code() -> str:
    return "".join(secrets.choice(QUERY_CODE_ALPHABET) for _ in range(8))


def format_serial(kind: MatterKind, year: int, seq: int) -> str:
    return f"{SERIAL_PREFIX[kind]}-{year}-{seq:05d}"


def add_event(session: Session, matter: Matter, actor: User | None, action: str, text: str = "", *,
              audience: str = "office", department: Department | None = None,
              old_due: date | None = None, new_due: date | None = None) -> MatterEvent:
    event = MatterEvent(matter=matter, actor=actor, action=action, text=text, audience=audience,
                        department=department, old_due_on=old_due, new_due_on=new_due, at=clock.now())
    session.add(event)
    return event


ALL_CHANNELS = ("log", "email", "sms")  # a delivery is queued where the user has an address
ENDED = frozenset({MatterStatus.NOT_ACCEPTED, MatterStatus.FILED, MatterStatus.CLOSED, MatterStatus.ARCHIVED})


def _tell_department(session: Session, department_id: int, title: str, body: str, matter: Matter, *,
                     kind: str = "result", task: str | None = None) -> None:
    """An in-app notice (and queued deliveries) to the department's heads: serial, 交办标题 and
    summary only — never the complainant or the complaint itself. ``task``: what it asks them to do
    (notifications.services.task_key), settled by the service that does it."""
    notify(session, department_heads(session, department_id), title, body, channels=ALL_CHANNELS, kind=kind,
           about=[about_matter(matter, task)])


def _tell_office(session: Session, roles: tuple[Role, ...], title: str, body: str, matter: Matter, *,
                 kind: str = "result", task: str | None = None) -> None:
    notify(session, office_staff(session, *roles), title, body, channels=ALL_CHANNELS, kind=kind,
           about=[about_matter(matter, task)])


def _check_version(matter: Matter, expected_version: int | None) -> None:
    if expected_version is not None and matter.version != expected_version:
        raise StaleObjectError()


def _transition(session: Session, actor: User, matter: Matter, action: Action, *,
                expected_version: int | None, summary: str, event_text: str = "", audience: str = "office",
                changes: dict | None = None) -> MatterStatus:
    """The one gate of every state change: version, permission, workflow, then event and audit."""
    _check_version(matter, expected_version)
    if not permissions.can_act(actor, matter, action):
        raise PermissionDenied("您无权对该事项进行此操作。")
    old = matter.status
    matter.status = workflow.next_status(old, action)
    # An event belongs to the acting department, or else to the lead department of the moment, so a
    # department head reads only what concerns their own department.
    add_event(session, matter, actor, action.value, event_text, audience=audience,
              department=actor.department if actor.department_id else matter.lead_department)
    audit.record(session, actor, f"matter.{action.value}", matter, f"{matter.serial} {summary}",
                 {"status": [old, matter.status], **(changes or {})})
    if matter.status in ENDED:  # nothing is asked about an ended matter any more
        settle(session, actor, matter_id=matter.id)
    return matter.status


def _required(text: str, message: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError(message)
    return text


def attach_files(session: Session, actor: User | None, matter: Matter, files: list[tuple[str, bytes]],
                 storage: Storage, *, shared: bool = False, reply: Reply | None = None) -> list[Attachment]:
    stored: list[StoredFile] = storage.save_all(session, files)
    attachments = []
    for item in stored:
        attachment = Attachment(matter=matter, reply_id=reply.id if reply else None,
                                original_name=item.original_name, stored_name=item.stored_name,
                                media_type=item.media_type, size=item.size, sha256=item.sha256,
                                shared_with_department=shared, uploaded_by_id=actor.id if actor else None,
                                uploaded_at=clock.now())
        session.add(attachment)
        attachments.append(attachment)
    return attachments


# --- registration --------------------------------------------------------------------------------
def register_matter(session: Session, actor: User | None, data: MatterInput, *,
                    files: list[tuple[str, bytes]] = (), storage: Storage | None = None,
                    public: bool = False) -> Matter:
    """登记. ``public`` is a citizen's own online submission (no account, no actor)."""
    if not public and (actor is None or not permissions.can_register_matter(actor)):
        raise PermissionDenied("您无权登记事项。")
    title = _required(data.title, "请填写事由（标题）。")
    content = _required(data.content, "请填写反映内容。")
    if data.received_on > clock.today():
        raise ValidationError("收件日期不能晚于今天。")
    if data.category is not None and (data.category.matter_kind != data.kind or not data.category.active):
        raise ValidationError("问题类别与事项类型不符或已停用。")
    if data.respondent_department is not None and not data.respondent_department.active:
        raise ValidationError(f"单位“{data.respondent_department.name}”已停用。")
    if data.kind == MatterKind.FINDING and not data.problems.strip():
        raise ValidationError("检查发现须列出发现的问题（每行一条）。")
    if data.anonymous and not data.identity.is_empty():
        raise ValidationError("匿名事项不应填写反映人信息；如需登记身份，请取消“匿名”。")

    unit = data.respondent_unit.strip() or (data.respondent_department.name if data.respondent_department else "")
    person = data.respondent_person.strip()
    year = data.received_on.year
    seq = sequences.next_value(session, f"matter:{data.kind.value}", year)
    limit = limit_for(session, LimitStep.ACCEPT, data.kind.value, data.category.id if data.category else None)
    accept_due = compute_due(session, data.received_on, limit)
    matter = Matter(
        kind=data.kind, year=year, seq=seq, serial=format_serial(data.kind, year, seq),
        query_code=new_query_code(), channel=data.channel, category=data.category, title=title,
        # Office staff wrote this title themselves: approved for departments. A citizen's is not (docs/domain.md §14).
        assigned_title="" if public else title, content=content, summary=data.summary.strip(), respondent_department=data.respondent_department,
        respondent_unit=unit, respondent_person=person, received_on=data.received_on,
        # The same for 被反映单位/人员: a citizen may type their own name and phone there.
        **approved_respondent(unit, person, data.respondent_department, office_wrote=not public),
        anonymous=data.anonymous, confidential=data.confidential, inspected_on=data.inspected_on,
        place=data.place, inspectors=data.inspectors, problems=data.problems.strip(),
        status=MatterStatus.REGISTERED, accept_due_on=accept_due.due,
        accept_due_provisional=accept_due.provisional, due_on=accept_due.due,
        due_provisional=accept_due.provisional, registered_by=actor, registered_at=clock.now(),
    )
    session.add(matter)
    if not data.anonymous and not data.identity.is_empty():
        identity = data.identity
        session.add(Complainant(matter=matter, name=identity.name, phone=identity.phone,
                                id_number=identity.id_number, address=identity.address,
                                work_unit=identity.work_unit, email=identity.email.strip()))
    session.flush()
    if files:
        attach_files(session, actor, matter, list(files), storage)
    add_event(session, matter, actor, "registered",
              "群众网上提交" if public else f"登记，渠道：{data.channel.label}", audience="public")
    final = concluded_predecessor(session, matter)
    if final is not None:  # after 复核 the same matter is not accepted again (SPEC §11)
        matter.duplicate_of = final
        add_event(session, matter, actor, "same_as_concluded",
                  f"与已复核终结的 {final.serial} 为同一事项（同一反映人、同一被反映单位或事由），依法不再受理。")
    # The audit summary names the matter, never the complainant.
    audit.record(session, actor, "matter.registered", matter, f"登记{data.kind.label} {matter.serial}",
                 {"channel": data.channel, "anonymous": data.anonymous, "public": public,
                  **({"same_as_concluded": final.serial} if final is not None else {})})
    return matter


@dataclass
class RegistrationInput:
    """The basic fields of a registration intake may correct until 交办 (``correct_registration``)."""

    title: str
    channel: Channel
    received_on: date
    category: Category | None = None
    respondent_department: Department | None = None
    respondent_unit: str = ""
    respondent_person: str = ""
    inspected_on: date | None = None
    place: str = ""
    inspectors: str = ""


# What each corrected field is called on the timeline, and how its value reads there.
CORRECTED_FIELDS = {
    "title": "事由", "channel": "来源渠道", "received_on": "收件日期", "category": "问题类别",
    "respondent_department": "被反映单位（系统内）", "respondent_unit": "被反映单位", "respondent_person": "被反映人员",
    "inspected_on": "检查日期", "place": "检查地点", "inspectors": "检查人员",
}


def _shown(value) -> str:
    if value is None or value == "":
        return "（空）"
    if isinstance(value, date):
        return f"{value:%Y-%m-%d}"
    return getattr(value, "label", None) or getattr(value, "name", None) or str(value)


def correct_registration(session: Session, actor: User, matter: Matter, data: RegistrationInput, reason: str, *,
                         expected_version: int | None = None) -> dict:
    """更正登记信息: intake corrects a wrong 问题类别, 被反映单位, 来源 … until the matter is 交办 (issue 18).
    Each change is audited with its old and new value and told on the (office's) timeline; the statistics
    read the fields themselves, so they follow. A not-yet-accepted matter's 受理时限 follows a new date or
    category. Returns {field: [old, new]} of what changed."""
    _check_version(matter, expected_version)
    if not permissions.can_register_matter(actor):
        raise PermissionDenied("只有受理人员可以更正登记信息。")
    if matter.status not in BEFORE_ASSIGNMENT:
        raise WorkflowError(f"该事项已“{matter.status.label}”，登记信息只能在交办前更正。"
                            if matter.is_open else f"该事项已“{matter.status.label}”，不能再更正登记信息。")
    reason = _required(reason, "请填写更正理由。")
    title = _required(data.title, "请填写事由（标题）。")
    if data.channel not in CHANNELS_BY_KIND[matter.kind]:
        raise ValidationError(f"来源渠道“{data.channel.label}”不适用于{matter.kind.label}。")
    if data.received_on > clock.today():
        raise ValidationError("收件日期不能晚于今天。")
    if data.category is not None and data.category.id != matter.category_id and (
            data.category.matter_kind != matter.kind or not data.category.active):
        raise ValidationError("问题类别与事项类型不符或已停用。")
    department = data.respondent_department
    if department is not None and department.id != matter.respondent_department_id and not department.active:
        raise ValidationError(f"单位“{department.name}”已停用。")
    values = {
        "title": title, "channel": data.channel, "received_on": data.received_on, "category": data.category,
        "respondent_department": department,
        "respondent_unit": data.respondent_unit.strip() or (department.name if department else ""),
        "respondent_person": data.respondent_person.strip(),
    }
    if matter.kind == MatterKind.FINDING:
        values.update(inspected_on=data.inspected_on, place=data.place.strip(), inspectors=data.inspectors.strip())
    old_title = matter.title
    changes = audit.diff(matter, values)
    if not changes:
        raise ValidationError("登记信息没有变化，无需更正。")
    if "title" in changes and matter.assigned_title == old_title:
        matter.assigned_title = title  # the office's own title, approved as it was typed: it follows
    for name in ("respondent_unit", "respondent_person"):
        if name in changes:  # intake typed the 被反映单位/人员 here: the office's own text, approved
            changes |= audit.diff(matter, {f"assigned_{name}": changes[name][1]})
    if matter.status == MatterStatus.REGISTERED and ({"received_on", "category"} & changes.keys()):
        limit = limit_for(session, LimitStep.ACCEPT, matter.kind.value, matter.category_id)
        due = compute_due(session, matter.received_on, limit)
        changes["accept_due_on"] = [matter.accept_due_on, due.due]
        matter.accept_due_on, matter.accept_due_provisional = due.due, due.provisional
        matter.due_on, matter.due_provisional = due.due, due.provisional
    told = [name for name in changes if name in CORRECTED_FIELDS
            and not (name == "respondent_department" and "respondent_unit" in changes)]  # one line for the unit
    text = "；".join(f"{CORRECTED_FIELDS[name]}由“{_shown(changes[name][0])}”更正为“{_shown(changes[name][1])}”"
                    for name in told)
    # Office only: the old and new 事由 may be the citizen's own words (docs/domain.md §14).
    add_event(session, matter, actor, "registration_corrected", f"更正登记信息：{text}。理由：{reason}")
    audited = {name: [_shown(old) if isinstance(old, (Category, Department)) else old,
                      _shown(new) if isinstance(new, (Category, Department)) else new]
               for name, (old, new) in changes.items()}
    audit.record(session, actor, "matter.registration_corrected", matter,
                 f"{matter.serial} 更正登记信息（{'、'.join(CORRECTED_FIELDS[n] for n in changes if n in CORRECTED_FIELDS)}）",
                 {**audited, "reason": reason})
    return changes


def approved_respondent(unit: str, person: str, department: Department | None, *,
                        office_wrote: bool) -> dict[str, str | None]:
    """The ``assigned_respondent_*`` values of a new matter. Office staff's own text is approved as
    written; a citizen's (the portal, a legacy ledger) only where it carries nothing they typed — empty,
    or exactly the name of the department picked from the list. None: intake confirms it later."""
    if office_wrote:
        return {"assigned_respondent_unit": unit, "assigned_respondent_person": person}
    listed = unit == "" or (department is not None and unit == department.name)
    return {"assigned_respondent_unit": unit if listed else None,
            "assigned_respondent_person": "" if person == "" else None}


def concluded_original(matter: Matter) -> Matter | None:
    """The matter, final after 复核, that this one repeats (recognised at registration)."""
    original = matter.duplicate_of
    return original if original is not None and original.concluded_at is not None else None


def update_summary(session: Session, actor: User, matter: Matter, summary: str, expected_version: int,
                   assigned_title: str | None = None, assigned_respondent_unit: str | None = None,
                   assigned_respondent_person: str | None = None) -> None:
    """Intake edits what departments will see: the 摘要 and (each given) the 交办标题 and the
    被反映单位/人员 departments read (written afresh or the citizen's text, confirmed)."""
    _check_version(matter, expected_version)
    if not permissions.can_act(actor, matter, Action.ASSIGN):
        raise PermissionDenied("您无权修改摘要。")
    values = {"summary": summary.strip()}
    if assigned_title is not None:
        values["assigned_title"] = _approved_title(matter, assigned_title)
    values |= _approved_respondent(assigned_respondent_unit, assigned_respondent_person)
    changes = audit.diff(matter, values)
    if changes:
        parts = [label for field, label in (("assigned_title", "交办标题"), ("assigned_respondent", "被反映单位/人员"),
                                            ("summary", "内容摘要")) if any(k.startswith(field) for k in changes)]
        text = "修改" + ("、".join(parts[:-1]) + "和" if len(parts) > 1 else "") + parts[-1]
        add_event(session, matter, actor, "summary_edited", text)
        audit.record(session, actor, "matter.summary_edited", matter, f"{matter.serial} {text}", changes)


RESPONDENT_LIMITS = {name: (label, Matter.__table__.c[name].type.length) for name, label in
                     (("assigned_respondent_unit", "被反映单位"), ("assigned_respondent_person", "被反映人员"))}


def _approved_respondent(unit: str | None, person: str | None) -> dict[str, str]:
    """The 被反映单位/人员 intake writes or confirms for departments (each given; "" is approved empty)."""
    values = {}
    for name, text in (("assigned_respondent_unit", unit), ("assigned_respondent_person", person)):
        if text is not None:
            label, limit = RESPONDENT_LIMITS[name]
            text = text.strip()
            if len(text) > limit:
                raise ValidationError(f"交办单位看到的{label}不能超过 {limit} 个字。")
            values[name] = text
    return values


def _approved_title(matter: Matter, assigned_title: str) -> str:
    """The 交办标题 as intake confirms it: required once the matter has gone (or goes) to a department."""
    assigned_title = (assigned_title or "").strip()
    if not assigned_title and matter.department_ids():
        raise ValidationError("已交办的事项须有交办标题：交办单位看到的是交办标题。")
    return assigned_title


# --- telling the complainant (SPEC §11) ----------------------------------------------------------------
def _about(matter: Matter, letters: LetterPolicy | None) -> wording.About:
    return wording.About(matter.serial, matter.title, matter.received_on, letters.office if letters else "本机关")


def _tell(session: Session, actor: User | None, matter: Matter, kind: NoticeKind, paragraphs: tuple[str, ...],
          letters: LetterPolicy | None, *, start: date | None = None, ref: str = "") -> None:
    issue_notice(session, actor, matter, kind, paragraphs, start=start, ref=ref, letters=letters)


# --- acceptance ------------------------------------------------------------------------------------
def accept_matter(session: Session, actor: User, matter: Matter, note: str = "", *,
                  complaint_class: ComplaintClass | None = None, expected_version: int | None = None,
                  letters: LetterPolicy | None = None) -> None:
    """受理, setting the 信访类别 (docs/domain.md §11). Without a class the kind's default is taken (a suggestion is
    a proposal, a complaint a claim); the intake page always asks for one."""
    final = concluded_original(matter)
    if final is not None:
        raise WorkflowError(f"该事项与 {final.serial} 为同一事项，已经复核终结，依法不再受理；请作不予受理处理。")
    if matter.kind == MatterKind.FINDING:
        complaint_class = None  # the office's own inspection: no complainant, no class
    else:
        complaint_class = complaint_class or default_complaint_class(matter.kind)
    _transition(session, actor, matter, Action.ACCEPT, expected_version=expected_version,
                summary=f"受理（{complaint_class.label}）" if complaint_class else "受理",
                event_text=note or "予以受理", audience="public",
                changes={"complaint_class": complaint_class} if complaint_class else None)
    matter.complaint_class = complaint_class
    matter.due_on, matter.due_provisional = None, False
    limit = limit_for(session, LimitStep.HANDLE, matter.kind.value, matter.category_id)
    _tell(session, actor, matter, NoticeKind.ACCEPTANCE,
          wording.acceptance(_about(matter, letters), clock.today(), letters.office if letters else "本机关",
                             limit.label), letters, start=matter.received_on)


def correct_complaint_class(session: Session, actor: User, matter: Matter, complaint_class: ComplaintClass,
                            reason: str, *, expected_version: int | None = None) -> None:
    """更正信访类别: the class set on acceptance was wrong. Audited with the reason; the statistics follow."""
    _check_version(matter, expected_version)
    if not permissions.can_classify_matter(actor):
        raise PermissionDenied("您无权更正信访类别。")
    if matter.kind == MatterKind.FINDING or matter.status == MatterStatus.REGISTERED:
        raise WorkflowError("该事项尚未受理或不分信访类别，受理时再选择类别。")
    reason = _required(reason, "请填写更正信访类别的理由。")
    if complaint_class == matter.complaint_class:
        raise ValidationError(f"信访类别已是“{complaint_class.label}”。")
    old = matter.complaint_class
    matter.complaint_class = complaint_class
    add_event(session, matter, actor, "class_corrected",
              f"信访类别由“{old.label if old else '未分类'}”更正为“{complaint_class.label}”：{reason}")
    audit.record(session, actor, "matter.class_corrected", matter,
                 f"{matter.serial} 信访类别更正为{complaint_class.label}",
                 {"complaint_class": [old, complaint_class], "reason": reason})


def accused_departments(matter: Matter, departments: list[Department]) -> list[Department]:
    """The departments a 检举控告 accuses (its own staff): such a matter is never handed to them (docs/domain.md §11)."""
    if matter.complaint_class != ComplaintClass.ACCUSATION:
        return []
    return _named_departments(matter, departments)


def reject_matter(session: Session, actor: User, matter: Matter, reason: str, *,
                  expected_version: int | None = None, letters: LetterPolicy | None = None) -> None:
    reason = _required(reason, "请填写不予受理的理由（将告知反映人）。")
    _transition(session, actor, matter, Action.REJECT, expected_version=expected_version,
                summary="不予受理", event_text=f"不予受理：{reason}", audience="public",
                changes={"reason": reason})
    matter.decision_reason = reason
    matter.due_on, matter.due_provisional = None, False
    _tell(session, actor, matter, NoticeKind.REFUSAL, wording.refusal(_about(matter, letters), reason), letters,
          start=matter.received_on)


def file_as_duplicate(session: Session, actor: User, matter: Matter, original: Matter, reason: str = "", *,
                      expected_version: int | None = None) -> list[Attachment]:
    """存查（重复件） / 并入此件: the duplicate ends as 存查 (never deleted), linked to its original both ways,
    and its evidence is carried over to the original — new rows naming the same stored files, no second
    copy on disk — audited on the original. Returns the carried-over rows."""
    if original.id == matter.id:
        raise ValidationError("不能把事项标记为自身的重复件。")
    if original.duplicate_of_id == matter.id:
        raise ValidationError(f"{original.serial} 已是本事项的重复件，不能互相标记。")
    if original.status == MatterStatus.FILED and original.duplicate_of is not None:
        raise ValidationError(f"{original.serial} 本身是重复件，已并入 {original.duplicate_of.serial}；"
                              f"请并入 {original.duplicate_of.serial}。")
    _transition(session, actor, matter, Action.FILE_DUPLICATE, expected_version=expected_version,
                summary=f"存查，重复件，原件 {original.serial}",
                event_text=f"与 {original.serial} 重复，并入原件办理。{reason}".strip(), audience="public",
                changes={"duplicate_of": original.serial})
    matter.duplicate_of = original
    matter.decision_reason = reason or f"重复件，并入 {original.serial} 办理"
    matter.due_on, matter.due_provisional = None, False
    carried = _carry_evidence(session, actor, matter, original)
    add_event(session, original, actor, "duplicate_linked", f"收到重复件 {matter.serial}，并入本件办理"
              + (f"，转入证据材料 {len(carried)} 份" if carried else ""))
    if carried:
        audit.record(session, actor, "matter.evidence_carried", original,
                     f"{original.serial} 转入重复件 {matter.serial} 的证据材料 {len(carried)} 份",
                     {"from": matter.serial, "attachments": [[a.carried_from_id, a.id] for a in carried]})
    return carried


def _carry_evidence(session: Session, actor: User, duplicate: Matter, original: Matter) -> list[Attachment]:
    """The duplicate's evidence (the complainant's files, not a department's) named on the original too."""
    there = set(session.scalars(select(Attachment.stored_name).where(Attachment.matter_id == original.id)))
    carried = []
    for attachment in session.scalars(select(Attachment).where(
            Attachment.matter_id == duplicate.id, Attachment.reply_id.is_(None)).order_by(Attachment.id)):
        if attachment.stored_name in there:
            continue
        carried.append(Attachment(
            matter=original, original_name=attachment.original_name, stored_name=attachment.stored_name,
            media_type=attachment.media_type, size=attachment.size, sha256=attachment.sha256,
            shared_with_department=False, uploaded_by_id=actor.id, uploaded_at=clock.now(),
            carried_from_id=attachment.id))
    session.add_all(carried)
    session.flush()
    return carried


# --- 拟办 and 领导批示 (before 交办) ------------------------------------------------------------------------
BEFORE_ASSIGNMENT = frozenset({MatterStatus.REGISTERED, MatterStatus.ACCEPTED, MatterStatus.RETURNED})


def _before_assignment(matter: Matter, what: str) -> None:
    if matter.status not in BEFORE_ASSIGNMENT:
        raise WorkflowError(f"{what}应在交办前作出；该事项当前为“{matter.status.label}”。")


def propose_handling(session: Session, actor: User, matter: Matter, text: str, *,
                     expected_version: int | None = None) -> None:
    """拟办意见: how intake proposes to handle the matter, for the leader to see and the 交办单 to print."""
    _check_version(matter, expected_version)
    if not permissions.can_propose_handling(actor):
        raise PermissionDenied("只有受理、督查人员可以填写拟办意见。")
    _before_assignment(matter, "拟办意见")
    text = _required(text, "请填写拟办意见。")
    changes = audit.diff(matter, {"proposed_handling": text})
    matter.proposed_by_id, matter.proposed_at = actor.id, clock.now()
    add_event(session, matter, actor, "proposed", f"拟办意见：{text}")
    audit.record(session, actor, "matter.proposed", matter, f"{matter.serial} 拟办意见", changes)
    _tell_office(session, (Role.LEADER,), f"待批示：{matter.serial} {matter.title}", f"拟办意见：{text[:200]}", matter,
                 kind="instruct", task=task_key("matter", matter.id, "instruct"))


def instruct(session: Session, actor: User, matter: Matter, text: str, *,
             expected_version: int | None = None) -> None:
    """领导批示 on a matter before it is assigned; printed on the 交办单 with the leader's name and date."""
    _check_version(matter, expected_version)
    if not permissions.can_instruct(actor):
        raise PermissionDenied("只有领导可以作出批示。")
    _before_assignment(matter, "领导批示")
    text = _required(text, "请填写批示内容。")
    changes = audit.diff(matter, {"leader_instruction": text})
    matter.instructed_by_id, matter.instructed_at = actor.id, clock.now()
    add_event(session, matter, actor, "instructed", f"领导批示：{text}")
    audit.record(session, actor, "matter.instructed", matter, f"{matter.serial} 领导批示", changes)
    settle(session, actor, task_key("matter", matter.id, "instruct"))
    _tell_office(session, (Role.INTAKE,), f"领导已批示：{matter.serial} {matter.title}", text[:200], matter,
                 kind="instruct", task=task_key("matter", matter.id, "assign"))


# --- assignment ------------------------------------------------------------------------------------
def recusal_applies(matter: Matter) -> bool:
    """回避 is about a unit handling a complaint against itself. A 建议意见 is studied by the department
    concerned (SPEC §11) and a 检查发现 is the office's own finding that the inspected unit rectifies:
    neither gives the unit anything to recuse itself from, so keeping the proposed 主办单位 asks nothing."""
    if matter.complaint_class == ComplaintClass.ACCUSATION:
        return True
    return matter.kind != MatterKind.FINDING and matter.complaint_class != ComplaintClass.PROPOSAL


def avoidance_conflicts(matter: Matter, departments: list[Department]) -> list[Department]:
    """The departments among these that the matter complains about (by the list or in words): 回避."""
    if not recusal_applies(matter):
        return []
    return _named_departments(matter, departments)


def _named_departments(matter: Matter, departments: list[Department]) -> list[Department]:
    named = {matter.respondent_department_id}
    return [d for d in departments if d.id in named
            or (matter.respondent_unit and d.name and d.name in matter.respondent_unit)]


def assign_matter(session: Session, actor: User, matter: Matter, *, lead: Department,
                  co_handling: list[Department] = (), requirements: str = "", due_on: date | None = None,
                  avoidance_reason: str = "", expected_version: int | None = None,
                  assigned_title: str | None = None, assigned_respondent_unit: str | None = None,
                  assigned_respondent_person: str | None = None, letters: LetterPolicy | None = None) -> Assignment:
    """交办 to a lead department (and co-handling ones), each with its own deadline. ``assigned_title``
    (given) is the 交办标题 intake writes or confirms here: a department sees that, never the title as
    the citizen wrote it. The same for ``assigned_respondent_unit`` / ``_person`` (given): the
    被反映单位/人员 departments read; a citizen's text nobody confirmed stays 待确认 for them."""
    # May this actor assign this matter now at all? Asked before the input is judged (回避, summary):
    # no point asking for an override reason on a matter that is not accepted yet.
    _check_version(matter, expected_version)
    if not permissions.can_act(actor, matter, Action.ASSIGN):
        raise PermissionDenied("您无权对该事项进行此操作。")
    workflow.next_status(matter.status, Action.ASSIGN)
    if session.scalar(select(Clue.id).where(Clue.matter_id == matter.id)) is not None:
        raise WorkflowError("该事项已转为问题线索，由本机关按干部管理权限自行处置，不能交办被反映人所在单位。")
    departments = [lead, *[d for d in co_handling if d.id != lead.id]]
    for department in departments:
        if not department.active:
            raise ValidationError(f"单位“{department.name}”已停用，不能交办。")
    if not matter.summary.strip():
        raise ValidationError("交办前请先填写内容摘要：交办单位只能看到摘要，看不到原始内容和反映人信息。")
    title = (assigned_title if assigned_title is not None else matter.assigned_title).strip()
    if not title:
        raise ValidationError("交办前请填写或确认交办标题：群众自拟的标题可能含有反映人信息，交办单位只能看到交办标题。")
    respondent = _approved_respondent(assigned_respondent_unit, assigned_respondent_person)
    today = clock.today()
    if due_on is not None and due_on <= today:
        raise ValidationError("办理时限必须晚于今天。")
    if due_on is not None:
        require_workday(session, due_on, "办理时限 ")
    accused = accused_departments(matter, departments)
    if accused:  # no override: the law forbids it, the clue register takes such reports (issue 16)
        names = "、".join(d.name for d in accused)
        raise ValidationError(f"该事项为检举控告类，检举的是“{names}”的人员，不得交由被检举单位办理；"
                              "应作为问题线索由本机关按干部管理权限处置。")
    conflicts = avoidance_conflicts(matter, departments)
    if conflicts and not avoidance_reason.strip():
        names = "、".join(d.name for d in conflicts)
        raise AvoidanceRequired(f"该事项反映的正是“{names}”，按回避原则不宜交其本单位办理。如确需交办，请填写理由。")

    limit = limit_for(session, LimitStep.HANDLE, matter.kind.value, matter.category_id)
    rule_due = compute_due(session, today, limit)
    object_due = compute_due(session, today, limit_for(session, LimitStep.OBJECT, matter.kind.value))
    created: list[Assignment] = []
    for department in departments:
        explicit = due_on is not None
        assignment = Assignment(
            matter=matter, department=department,
            role=AssignmentRole.LEAD if department is lead else AssignmentRole.CO,
            status=AssignmentStatus.ASSIGNED, requirements=requirements.strip(), assigned_on=today,
            assigned_at=clock.now(), assigned_by_id=actor.id,
            limit_amount=None if explicit else limit.amount, limit_unit=None if explicit else limit.unit.value,
            due_on=due_on if explicit else rule_due.due,
            due_provisional=False if explicit else rule_due.provisional,
            object_due_on=object_due.due, object_due_provisional=object_due.provisional, avoidance_override=avoidance_reason.strip() if department in conflicts else "",
        )
        session.add(assignment)
        created.append(assignment)
    lead_assignment = created[0]
    co_names = "、".join(d.name for d in departments[1:])
    title_change = {"assigned_title": [matter.assigned_title, title]} if title != matter.assigned_title else {}
    matter.assigned_title = title
    title_change |= audit.diff(matter, respondent)
    _transition(session, actor, matter, Action.ASSIGN, expected_version=expected_version,
                summary=f"交办 {lead.name}" + (f"，协办 {co_names}" if co_names else ""),
                event_text=f"交办{lead.name}办理" + (f"，{co_names}协办" if co_names else "")
                + f"，办理时限 {lead_assignment.due_on:%Y-%m-%d}",
                audience="public",
                changes={"lead": lead.name, "co": co_names, "due_on": lead_assignment.due_on,
                         "avoidance_reason": avoidance_reason.strip() or None, **title_change})
    matter.lead_department = lead
    matter.due_on, matter.due_provisional = lead_assignment.due_on, lead_assignment.due_provisional
    session.flush()
    settle(session, actor, task_key("matter", matter.id, "assign"))
    for assignment in created:
        _tell_department(session, assignment.department_id, f"新交办（{assignment.role.label}）：{matter.serial} {permissions.department_title(matter)}",
                         f"办理时限 {assignment.due_on:%Y-%m-%d}。请及时签收。摘要：{matter.summary[:200]}", matter,
                         kind="assign", task=task_key("assignment", assignment.id, "sign"))
    _tell(session, actor, matter, NoticeKind.TRANSFER,
          wording.transfer(_about(matter, letters), today, lead.name, lead_assignment.due_on,
                           lead_assignment.due_provisional), letters, ref=f"assignment:{lead_assignment.id}")
    return lead_assignment


def suggested_lead(matter: Matter) -> Department | None:
    """The 主办单位 the 交办 form proposes: the 被反映单位 itself — an efficiency complaint goes to the unit
    concerned, 回避 still asking why — but for a 检举控告 only the unit above it (the accused unit never
    handles it, docs/domain.md §11)."""
    unit = matter.respondent_department
    if unit is None:
        return None
    if matter.complaint_class == ComplaintClass.ACCUSATION:
        unit = unit.parent
    return unit if unit is not None and unit.active else None


def assignment_due(session: Session, matter: Matter) -> tuple:
    """(limit, deadline) a 交办 today gets when no date is typed: what the form shows before it is sent."""
    limit = handling_limit(session, matter)
    return limit, compute_due(session, clock.today(), limit)


def _assignment_of(actor: User, assignment: Assignment) -> None:
    if not permissions.can_act_on_assignment(actor, assignment):
        raise PermissionDenied("只有被交办单位的负责人才能办理此项。")


def sign_assignment(session: Session, actor: User, assignment: Assignment, *,
                    expected_version: int | None = None) -> None:
    """签收."""
    _assignment_of(actor, assignment)
    if assignment.status != AssignmentStatus.ASSIGNED:
        raise WorkflowError(f"该交办已{assignment.status.label}，不能重复签收。")
    matter = assignment.matter
    if assignment.role == AssignmentRole.LEAD:
        _transition(session, actor, matter, Action.SIGN, expected_version=expected_version,
                    summary=f"{assignment.department.name} 签收", event_text=f"{assignment.department.name}签收",
                    audience="public")
    else:
        add_event(session, matter, actor, "co_signed", f"{assignment.department.name}（协办）签收",
                  audience="department", department=assignment.department)
        audit.record(session, actor, "assignment.signed", assignment,
                     f"{matter.serial} {assignment.department.name}（协办）签收")
    assignment.status = AssignmentStatus.RECEIVED
    assignment.received_at = clock.now()
    assignment.received_by_id = actor.id
    settle(session, actor, task_key("assignment", assignment.id, "sign"))


def return_assignment(session: Session, actor: User, assignment: Assignment, reason: str, *,
                      expected_version: int | None = None) -> None:
    """退回: the department objects (not its business) within the objection period."""
    _assignment_of(actor, assignment)
    reason = _required(reason, "请填写退回理由。")
    if not assignment.is_open:
        raise WorkflowError(f"该交办已{assignment.status.label}，不能退回。")
    today = clock.today()
    if today > assignment.object_due_on:
        raise WorkflowError(f"已超过异议期限（{assignment.object_due_on:%Y-%m-%d}），不能退回；如有困难请申请延期或报送情况说明。")
    matter = assignment.matter
    if assignment.role == AssignmentRole.LEAD:
        _transition(session, actor, matter, Action.RETURN, expected_version=expected_version,
                    summary=f"{assignment.department.name} 退回", event_text=f"{assignment.department.name}退回：{reason}",
                    changes={"reason": reason})
        for other in matter.assignments:
            if other is not assignment and other.is_open:
                other.status = AssignmentStatus.WITHDRAWN
                settle(session, actor, *(task_key("assignment", other.id, t) for t in ("sign", "handle")))
        matter.lead_department_id = None
        matter.due_on, matter.due_provisional = None, False
    else:
        add_event(session, matter, actor, "co_returned", f"{assignment.department.name}（协办）退回：{reason}")
        audit.record(session, actor, "assignment.returned", assignment,
                     f"{matter.serial} {assignment.department.name}（协办）退回", {"reason": reason})
    assignment.status = AssignmentStatus.RETURNED
    assignment.returned_at = clock.now()
    assignment.return_reason = reason
    settle(session, actor, *(task_key("assignment", assignment.id, t) for t in ("sign", "handle")))
    _tell_office(session, (Role.INTAKE,), f"交办被退回：{matter.serial} {matter.title}",
                 f"{assignment.department.name}退回：{reason[:200]}", matter, kind="returned",
                 task=task_key("matter", matter.id, "assign") if assignment.role == AssignmentRole.LEAD else None)


# --- extensions ------------------------------------------------------------------------------------
def handling_limit(session: Session, matter: Matter):
    """The 办理答复 rule of this matter (kind and category): its time limit and its extension rules."""
    return limit_for(session, LimitStep.HANDLE, matter.kind.value, matter.category_id)


def latest_extension_due(session: Session, assignment: Assignment, limit=None) -> date:
    """The furthest date one extension of this assignment's deadline may reach under its rule."""
    limit = limit or handling_limit(session, assignment.matter)
    return office_calendar(session).deadline(assignment.due_on, limit.extension_length, limit.unit).due


def _check_extension_rule(session: Session, assignment: Assignment, new_due: date) -> None:
    """How many extensions and how long each (SPEC §11): a request beyond the rule is refused, naming it."""
    limit = handling_limit(session, assignment.matter)
    granted = sum(1 for e in assignment.extensions if e.status == ExtensionStatus.APPROVED)
    if granted >= limit.max_extensions:
        raise ValidationError(f"按{limit.rule_name}，该事项已延期 {granted} 次，不能再延期。"
                              if limit.max_extensions else f"按{limit.rule_name}，该类事项不得延期。")
    latest = latest_extension_due(session, assignment, limit)
    if new_due > latest:
        raise ValidationError(f"按{limit.rule_name}，本次最迟可延至 {latest:%Y-%m-%d}。")


def request_extension(session: Session, actor: User, assignment: Assignment, requested_due: date,
                      reason: str) -> Extension:
    _assignment_of(actor, assignment)
    reason = _required(reason, "请填写延期理由。")
    if assignment.status != AssignmentStatus.RECEIVED:
        raise WorkflowError("只有已签收、正在办理的事项才能申请延期。")
    if assignment.pending_extension() is not None:
        raise WorkflowError("已有一份延期申请待审批，请等待审批结果。")
    if requested_due <= assignment.due_on:
        raise ValidationError(f"申请的新时限须晚于现时限 {assignment.due_on:%Y-%m-%d}。")
    _check_extension_rule(session, assignment, requested_due)
    require_workday(session, requested_due, "申请的新时限 ")
    matter = assignment.matter
    if assignment.role == AssignmentRole.LEAD:
        workflow.next_status(matter.status, Action.REQUEST_EXTENSION)  # raises outside 办理中/重办
    extension = Extension(assignment=assignment, reason=reason, previous_due_on=assignment.due_on,
                          requested_due_on=requested_due, requested_by_id=actor.id, requested_at=clock.now())
    session.add(extension)
    try:
        session.flush()
    except IntegrityError as error:  # the same request a moment ago (a double click, a second tab)
        raise WorkflowError("已有一份延期申请待审批（刚刚已提交），请勿重复提交，等待审批结果即可。") from error
    add_event(session, matter, actor, "extension_requested",
              f"{assignment.department.name}申请延期至 {requested_due:%Y-%m-%d}：{reason}",
              audience="department", department=assignment.department)
    _tell_office(session, (Role.SUPERVISOR, Role.LEADER), f"延期申请待审批：{matter.serial} {matter.title}",
                 f"{assignment.department.name}申请延期至 {requested_due:%Y-%m-%d}。", matter, kind="extension",
                 task=task_key("extension", extension.id, "decide"))
    audit.record(session, actor, "extension.requested", assignment,
                 f"{matter.serial} {assignment.department.name} 申请延期至 {requested_due:%Y-%m-%d}",
                 {"reason": reason, "requested_due_on": requested_due})
    return extension


def decide_extension(session: Session, actor: User, extension: Extension, approve: bool, note: str = "",
                     new_due: date | None = None, *, letters: LetterPolicy | None = None) -> None:
    assignment = extension.assignment
    matter = assignment.matter
    if not permissions.can_act(actor, matter, Action.DECIDE_EXTENSION):
        raise PermissionDenied("只有督查人员或领导可以审批延期。")
    if extension.status != ExtensionStatus.PENDING:
        raise WorkflowError(f"该延期申请已{extension.status.label}。")
    if assignment.status != AssignmentStatus.RECEIVED:
        # Returned or replied meanwhile: a new deadline would put a due date back on a matter that has none.
        raise WorkflowError(f"该交办已{assignment.status.label}，延期申请无需再审批。")
    if not approve and not note.strip():
        raise ValidationError("不予批准时请填写理由。")
    old_due = assignment.due_on
    granted = new_due or extension.requested_due_on
    if approve and granted <= old_due:  # checked before anything changes: a refused decision decides nothing
        raise ValidationError("批准的新时限须晚于原时限。")
    if approve:
        limit = handling_limit(session, matter)
        if limit.extension_by_leader and actor.role != Role.LEADER:
            raise PermissionDenied(f"按{limit.rule_name}，延期须经领导批准。")
        _check_extension_rule(session, assignment, granted)
        require_workday(session, granted, "批准的新时限 ")
    # The decision is taken only from "pending", in one statement: of two decisions at once (approve in
    # one tab, refuse in another) the second finds the row decided and changes nothing.
    decided = session.execute(
        update(Extension).where(Extension.id == extension.id, Extension.status == ExtensionStatus.PENDING)
        .values(status=ExtensionStatus.APPROVED if approve else ExtensionStatus.REFUSED, decided_at=clock.now(),
                decided_by_id=actor.id, decision_note=note.strip())
        .execution_options(synchronize_session=False)).rowcount
    if decided != 1:
        raise WorkflowError("该延期申请刚刚已由他人审批，本次审批未生效。请刷新页面查看审批结果。")
    session.refresh(extension)
    audit_rows.written(session, extension)  # its digest goes with the audit entry below
    if approve:
        assignment.due_on, assignment.due_provisional = granted, False
        assignment.assessed_due_on = None  # an approved extension is the deadline that counts
        assignment.limit_amount = assignment.limit_unit = None
        if assignment.role == AssignmentRole.LEAD:
            matter.due_on, matter.due_provisional = granted, False
    text = (f"批准延期，时限由 {old_due:%Y-%m-%d} 延至 {assignment.due_on:%Y-%m-%d}" if approve
            else f"不予批准延期：{note.strip()}")
    add_event(session, matter, actor, "extension_decided", text, audience="department",
              department=assignment.department, old_due=old_due if approve else None,
              new_due=assignment.due_on if approve else None)
    settle(session, actor, task_key("extension", extension.id, "decide"))
    _tell_department(session, assignment.department_id,
                     f"延期申请{'已批准' if approve else '未获批准'}：{matter.serial} {permissions.department_title(matter)}",
                     text, matter, kind="extension")
    audit.record(session, actor, "extension.approved" if approve else "extension.refused", assignment,
                 f"{matter.serial} {text}", {"due_on": [old_due, assignment.due_on]})
    if approve and assignment.role == AssignmentRole.LEAD:  # 延期告知书: the reason and the new date
        _tell(session, actor, matter, NoticeKind.EXTENSION,
              wording.extension(_about(matter, letters), wording.EXTENSION_REASON, assignment.due_on), letters,
              ref=f"extension:{extension.id}")


# --- reply and review ------------------------------------------------------------------------------
def submit_reply(session: Session, actor: User, assignment: Assignment, result: str, public_reply: str = "", *,
                 files: list[tuple[str, bytes]] = (), storage: Storage | None = None,
                 expected_version: int | None = None) -> Reply:
    """报送办结报告 (lead) or 协办意见 (co-handling)."""
    _assignment_of(actor, assignment)
    result = _required(result, "请填写办理结果。")
    if assignment.status != AssignmentStatus.RECEIVED:
        raise WorkflowError("请先签收后再报送办理结果。" if assignment.status == AssignmentStatus.ASSIGNED
                            else f"该交办已{assignment.status.label}，不能报送。")
    matter = assignment.matter
    if assignment.role == AssignmentRole.LEAD and not public_reply.strip() and not matter.anonymous:
        raise ValidationError("请填写给反映人的答复意见（审核通过后反映人可查询）。")
    pending = assignment.pending_extension()
    reply = Reply(assignment=assignment, result=result, public_reply=public_reply.strip(),
                  submitted_by_id=actor.id, submitted_at=clock.now())
    session.add(reply)
    session.flush()
    if files:
        attach_files(session, actor, matter, list(files), storage, shared=True, reply=reply)
    if assignment.role == AssignmentRole.LEAD:
        _transition(session, actor, matter, Action.REPLY, expected_version=expected_version,
                    summary=f"{assignment.department.name} 报送办结报告",
                    event_text=f"{assignment.department.name}报送办结报告", audience="public")
        _tell_office(session, (Role.SUPERVISOR,), f"办结报告待审核：{matter.serial} {matter.title}",
                     f"{assignment.department.name}已报送办结报告。", matter, kind="review",
                     task=task_key("reply", reply.id, "review"))
    else:
        add_event(session, matter, actor, "co_replied", f"{assignment.department.name}（协办）报送协办意见",
                  audience="department", department=assignment.department)
        audit.record(session, actor, "assignment.replied", assignment,
                     f"{matter.serial} {assignment.department.name}（协办）报送协办意见")
    assignment.status = AssignmentStatus.REPLIED
    assignment.replied_at = clock.now()
    # reminders, 催办, 督办, 重办 — and a pending extension, moot now (decide_extension refuses it)
    settle(session, actor, task_key("assignment", assignment.id, "handle"),
           *([task_key("extension", pending.id, "decide")] if pending is not None else []))
    return reply


def awaited_co_handlers(matter: Matter) -> list[Assignment]:
    """The co-handling parts whose 协办意见 the lead's reply still waits for (neither given nor waived)."""
    return [a for a in matter.assignments if a.role == AssignmentRole.CO and a.is_open and a.waived_at is None]


def _check_co_opinions(matter: Matter) -> None:
    for co in awaited_co_handlers(matter):
        what = "尚未签收" if co.status == AssignmentStatus.ASSIGNED else "尚未报送协办意见"
        raise WorkflowError(f"协办单位“{co.department.name}”{what}，主办单位的办结报告暂不能审核通过。"
                            "请督促其报送协办意见，或由督查人员写明理由后免于等待。")


def waive_co_opinion(session: Session, actor: User, assignment: Assignment, reason: str) -> None:
    """A supervisor lets the lead's reply be approved without this co-handler's 协办意见, with a reason."""
    if not permissions.can_waive_co_opinion(actor):
        raise PermissionDenied("只有督查人员可以免于等待协办意见。")
    if assignment.role != AssignmentRole.CO:
        raise WorkflowError("只有协办单位的协办意见可以免于等待。")
    if not assignment.is_open or assignment.waived_at is not None:
        raise WorkflowError(f"该协办已{'免于等待' if assignment.waived_at else assignment.status.label}，无需再免。")
    reason = _required(reason, "请写明免于等待协办意见的理由。")
    assignment.waived_at, assignment.waived_by_id, assignment.waiver_reason = clock.now(), actor.id, reason
    matter = assignment.matter
    add_event(session, matter, actor, "co_waived", f"{assignment.department.name}（协办）免于等待协办意见：{reason}",
              audience="department", department=assignment.department)
    audit.record(session, actor, "assignment.waived", assignment,
                 f"{matter.serial} {assignment.department.name}（协办）免于等待协办意见", {"reason": reason})


def review_reply(session: Session, actor: User, matter: Matter, approve: bool, note: str = "", *,
                 public_reply: str | None = None, new_due: date | None = None,
                 expected_version: int | None = None, letters: LetterPolicy | None = None) -> None:
    """审核: approve the lead department's result, or send it back for rework (counted). On approval the
    complainant gets the 处理意见书, with the right to ask for 复查. A rework gets ``new_due`` (a working day
    after today) or, left blank, the handling limit counted afresh from today: the old deadline has often
    passed by the time the report is reviewed (as for 不满意 → 重办, ``rework_deadline``)."""
    lead = matter.lead_assignment
    reply = lead.replies[-1] if lead and lead.replies else None
    if reply is None or reply.review_result is not None:
        raise WorkflowError("该事项没有待审核的办结报告。")
    action = Action.APPROVE if approve else Action.SEND_BACK
    if approve:
        _check_co_opinions(matter)
    if not approve:
        note = _required(note, "退回重办时请写明理由和要求。")
        if new_due is not None and new_due <= clock.today():
            raise ValidationError("重办时限必须晚于今天。")
        if new_due is not None:
            require_workday(session, new_due, "重办时限 ")
    limit, by_rule = rework_deadline(session, matter) if not approve and new_due is None else (None, None)
    rework_due = None if approve else (new_due or by_rule.due)
    changes = ({"note": note} if note else {}) | (
        {"due_on": [lead.due_on, rework_due]} if rework_due is not None and rework_due != lead.due_on else {})
    _transition(session, actor, matter, action, expected_version=expected_version,
                summary="审核通过" if approve else f"退回重办（第 {matter.rework_count + 1} 次）",
                event_text=("审核通过" if approve else f"退回重办：{note}"),
                audience="public" if approve else "department",
                changes=changes or None)
    settle(session, actor, task_key("reply", reply.id, "review"))
    _tell_department(session, lead.department_id,
                     f"办结报告{'审核通过' if approve else '被退回重办'}：{matter.serial} {permissions.department_title(matter)}",
                     "审核通过。" if approve else f"退回重办：{note.rstrip('。')}。重办时限 {rework_due:%Y-%m-%d}。", matter, kind="result",
                     task=None if approve else task_key("assignment", lead.id, "handle"))
    reply.review_result = ReviewResult.APPROVED if approve else ReviewResult.REWORK
    reply.review_note, reply.reviewed_at, reply.reviewed_by_id = note.strip(), clock.now(), actor.id
    if approve:
        lead.status = AssignmentStatus.DONE
        for co in matter.assignments:  # co-handlers read the lead's final reply on the matter page
            if co.role == AssignmentRole.CO and co.status not in (AssignmentStatus.WITHDRAWN, AssignmentStatus.RETURNED):
                _tell_department(session, co.department_id, f"主办单位办理结果已审核通过：{matter.serial}",
                                 "主办单位的办理结果已审核通过，可在事项页面查看。", matter)
        matter.public_reply = (public_reply if public_reply is not None else reply.public_reply).strip()
        matter.due_on, matter.due_provisional = None, False
        if matter.public_reply:
            _tell(session, actor, matter, NoticeKind.ANSWER,
                  wording.answer(_about(matter, letters), lead.department.name, matter.public_reply,
                                 letters.review_body if letters else "本机关"), letters, ref=f"reply:{reply.id}")
    else:
        matter.rework_count += 1
        lead.status = AssignmentStatus.RECEIVED
        old = lead.due_on
        if new_due is not None:
            lead.due_on, lead.due_provisional, lead.limit_amount, lead.limit_unit = new_due, False, None, None
        else:
            lead.due_on, lead.due_provisional = by_rule.due, by_rule.provisional
            lead.limit_amount, lead.limit_unit = limit.amount, limit.unit.value
        lead.assessed_due_on = None  # a rework is handled anew, to its own deadline
        if new_due is not None or lead.due_on != old:
            add_event(session, matter, actor, "due_changed", "重办时限", audience="department",
                      department=lead.department, old_due=old, new_due=lead.due_on)
        matter.due_on, matter.due_provisional = lead.due_on, lead.due_provisional


# --- follow-up, close, archive ---------------------------------------------------------------------
def record_follow_up(session: Session, actor: User, matter: Matter, satisfaction: Satisfaction, note: str = "",
                     *, expected_version: int | None = None, by_citizen: bool = False) -> None:
    """回访: the call-back by intake (or the citizen's own rating online)."""
    _transition(session, actor, matter, Action.FOLLOW_UP, expected_version=expected_version,
                summary=f"回访：{satisfaction.label}", event_text=f"回访结果：{satisfaction.label}",
                audience="department", changes={"satisfaction": satisfaction})
    matter.satisfaction, matter.followup_note, matter.followed_up_at = satisfaction, note.strip(), clock.now()


def rework_deadline(session: Session, matter: Matter):
    """The deadline a rework gets by the rule: the handling limit counted afresh from today (the old
    deadline has usually passed by the time the complainant says 不满意)."""
    limit = limit_for(session, LimitStep.HANDLE, matter.kind.value, matter.category_id)
    return limit, compute_due(session, clock.today(), limit)


def reopen_for_rework(session: Session, actor: User, matter: Matter, note: str, *, new_due: date | None = None,
                      expected_version: int | None = None) -> None:
    """不满意 → 重办: the lead department works on it again, with a new deadline — by the rule unless the
    office sets an earlier one (a working day, after today, not beyond what the rule gives)."""
    note = _required(note, "请写明重办要求。")
    if matter.satisfaction != Satisfaction.DISSATISFIED:
        raise WorkflowError("只有回访“不满意”的事项才能退回重办。")
    limit, by_rule = rework_deadline(session, matter)
    if new_due is not None:
        if new_due <= clock.today():
            raise ValidationError("重办时限必须晚于今天。")
        if new_due > by_rule.due:
            raise ValidationError(f"重办时限不得晚于按规定时限（{limit.label}）计算的 {by_rule.due:%Y-%m-%d}。")
        require_workday(session, new_due, "重办时限 ")
    lead = matter.lead_assignment
    old_due = lead.due_on if lead is not None else None
    due = new_due or by_rule.due
    _transition(session, actor, matter, Action.REOPEN, expected_version=expected_version,
                summary="回访不满意，退回重办", event_text=f"回访不满意，退回重办：{note}", audience="department",
                changes={"note": note, "due_on": [old_due, due]})
    matter.rework_count += 1
    if lead is not None:
        lead.status = AssignmentStatus.RECEIVED
        lead.due_on, lead.due_provisional = due, (by_rule.provisional if new_due is None else False)
        lead.assessed_due_on = None  # a rework is handled anew, to its own deadline
        lead.limit_amount, lead.limit_unit = ((limit.amount, limit.unit.value) if new_due is None else (None, None))
        add_event(session, matter, actor, "due_changed", "重办时限", audience="department",
                  department=lead.department, old_due=old_due, new_due=due)
        _tell_department(session, lead.department_id,
                         f"回访不满意，退回重办：{matter.serial} {permissions.department_title(matter)}",
                         f"重办要求：{note}。重办时限 {due:%Y-%m-%d}。", matter, kind="result",
                         task=task_key("assignment", lead.id, "handle"))
        matter.due_on, matter.due_provisional = lead.due_on, lead.due_provisional


def close_matter(session: Session, actor: User, matter: Matter, note: str = "", *,
                 expected_version: int | None = None) -> None:
    if matter.status == MatterStatus.APPROVED and not matter.anonymous and not note.strip():
        raise ValidationError("实名事项办结前应先回访；如无法回访，请写明原因。")
    _transition(session, actor, matter, Action.CLOSE, expected_version=expected_version,
                summary="办结", event_text=note.strip() or "办结", audience="public")
    for assignment in matter.assignments:
        if assignment.is_open:  # a co-handling part never signed for or replied: it ends with the matter
            assignment.status = AssignmentStatus.DONE
    matter.closed_at = clock.now()
    matter.due_on, matter.due_provisional = None, False


def archive_matter(session: Session, actor: User, matter: Matter, *, expected_version: int | None = None) -> None:
    _transition(session, actor, matter, Action.ARCHIVE, expected_version=expected_version,
                summary="归档", event_text="归档")


# --- identity --------------------------------------------------------------------------------------
def view_identity(session: Session, actor: User, matter: Matter, reason: str) -> Complainant | None:
    """查看举报人信息: allowed to office staff only, and every look is audited with its reason."""
    if not permissions.can_view_identity(actor):
        raise PermissionDenied("您无权查看反映人信息。")
    reason = _required(reason, "请填写查看反映人信息的事由。")
    audit.record(session, actor, "identity.viewed", matter, f"查看 {matter.serial} 的反映人信息及反映内容原文",
                 {"reason": reason})
    return session.scalar(select(Complainant).where(Complainant.matter_id == matter.id))


def record_identity_search(session: Session, actor: User, matched: list[tuple[int, str]], where: str) -> None:
    """An office search whose words matched complainants' identity fields: who searched, where, and
    which matters it showed (docs/domain.md §14). The words themselves (a phone number, a name) are identity and
    stay out of the log. Nothing is written when nothing matched."""
    if not matched:
        return
    serials = [serial for _, serial in matched]
    audit.record(session, actor, "identity.searched", ("matter", matched[0][0]),
                 f"{where}检索命中 {len(serials)} 件事项的反映人信息：{'、'.join(serials[:10])}"
                 + ("等" if len(serials) > 10 else ""), {"matters": serials})


def record_evidence_download(session: Session, actor: User, matter: Matter, attachment: Attachment,
                             reason: str) -> None:
    """下载证据材料: the complainant's own files are identity too (docs/domain.md §14) — office staff only, under
    the reason they gave when revealing the identity, each download audited."""
    if not permissions.can_view_identity(actor):
        raise PermissionDenied("您无权下载证据材料。")
    reason = _required(reason, "请填写查看反映人信息的事由。")
    audit.record(session, actor, "evidence.downloaded", matter,
                 f"下载 {matter.serial} 的证据材料（附件{attachment.id}）", {"reason": reason, "attachment": attachment.id})
