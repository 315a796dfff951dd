"""Every write of the talks area. Each state change asks ``talks.workflow`` whether the move is legal
and ``permissions`` whether this actor may make it, changes the talk, and writes the audit row — in
the caller's transaction. Nothing here commits, flashes or reads the request."""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from supervision import audit, clock, permissions, sequences
from supervision.deadlines import compute_due, limit_for, non_workday_note, office_calendar
from supervision.documents import services as documents
from supervision.documents.services import Paperwork
from supervision.errors import NonWorkdayError, PermissionDenied, StaleObjectError, ValidationError, WorkflowError
from supervision.models.calendar import LimitStep
from supervision.models.documents import GeneratedDocument
from supervision.models.matters import Complainant, Matter
from supervision.models.org import Department, User
from supervision.models.talks import (
    APPEAL_ANSWER_MONTHS,
    APPEAL_MONTHS,
    SERIAL_PREFIX,
    AdmonitionForm,
    AppealOutcome,
    InquiryConclusion,
    ParticipantRole,
    Talk,
    TalkAttachment,
    TalkExchange,
    TalkKind,
    TalkLink,
    TalkParticipant,
    TalkStatus,
)
from supervision.paperwork.layout import OfficeProfile, format_cn_date
from supervision.talks import paperwork, workflow
from supervision.talks.workflow import TalkAction
from supervision.uploads import Storage

TALK_KINDS = (TalkKind.REMINDER, TalkKind.CRITICISM, TalkKind.ADMONITION)
APPEAL_DECISION = "appeal_decision"  # the doc_type of the 申诉处理决定书, built by decide_appeal


@dataclass
class PersonInput:
    name: str
    unit: str = ""
    post: str = ""


@dataclass
class TalkInput:
    kind: TalkKind
    subject_name: str
    reason: str
    subject_department: Department | None = None
    subject_unit: str = ""  # free text when the unit is not a department of the system
    subject_post: str = ""
    subject_party_branch: str = ""
    matters: list[Matter] = field(default_factory=list)
    studied_by: str = ""
    proposal_note: str = ""
    scheduled_at: datetime | None = None
    place: str = ""
    talkers: list[PersonInput] = field(default_factory=list)
    recorder: PersonInput | None = None
    admonition_form: AdmonitionForm = AdmonitionForm.TALK  # a 诫勉 by talk or in writing


@dataclass
class HeldInput:
    started_at: datetime | None
    ended_at: datetime | None
    exchanges: list[tuple[str, str]]
    statement: str
    commitments: str = ""
    place: str = ""  # "" keeps the notified place


# --- pure helpers --------------------------------------------------------------------------------
def add_months(start: date, months: int) -> date:
    """The same day ``months`` later, clamped to the month's end (8月31日 + 6 个月 = 2月28/29日)."""
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def format_serial(kind: TalkKind, year: int, seq: int) -> str:
    return f"{SERIAL_PREFIX[kind]}-{year}-{seq:05d}"


def influence_months_from(config: Mapping[str, Any]) -> int:
    """诫勉影响期 in months, from configuration (ADMONITION_INFLUENCE_MONTHS)."""
    months = config.get("ADMONITION_INFLUENCE_MONTHS")
    if isinstance(months, bool) or not isinstance(months, int) or not 1 <= months <= 60:
        raise ValidationError("系统未正确配置诫勉影响期（ADMONITION_INFLUENCE_MONTHS，1 至 60 个月），"
                              "无法记录诫勉。请联系系统管理员。")
    return months


def _required(text: str | None, message: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError(message)
    return text


def _check_version(talk: Talk, expected_version: int | None) -> None:
    if expected_version is not None and talk.version != expected_version:
        raise StaleObjectError("该记录已被他人修改，请刷新页面查看最新内容后重试。")


def _transition(session: Session, actor: User, talk: Talk, action: TalkAction, summary: str, *,
                expected_version: int | None = None, changes: dict | None = None) -> None:
    """The one gate of every state change: version, permission, the state table, then the audit row."""
    _check_version(talk, expected_version)
    if not permissions.can_act_on_talk(actor, talk, action):
        raise PermissionDenied(f"您无权对该{talk.kind.label}进行“{workflow.ACTION_LABELS[action]}”操作。")
    old = talk.status
    talk.status = workflow.next_status(talk.kind, old, action)
    audit.record(session, actor, f"talk.{action.value}", talk, f"{talk.serial} {summary}",
                 {"status": [old, talk.status], **(changes or {})})


def _people(talk: Talk, talkers: list[PersonInput], recorder: PersonInput | None) -> None:
    for person in [*talkers, *([recorder] if recorder else [])]:
        if not (person.name or "").strip():
            raise ValidationError("谈话人和记录人须填写姓名（每行：姓名，单位，职务）。")
    talk.participants = [
        TalkParticipant(role=role, position=n, name=p.name.strip(), unit=p.unit.strip(), post=p.post.strip())
        for n, (role, p) in enumerate([(ParticipantRole.TALKER, t) for t in talkers]
                                      + ([(ParticipantRole.RECORDER, recorder)] if recorder else []))]


# --- proposal and approval -----------------------------------------------------------------------
def names_a_complainant(session: Session, text: str, matters: list[Matter]) -> bool:
    """Whether ``text`` carries the name, phone or ID number of a linked matter's complainant. A talk's
    事由 is printed on the notice its subject's department receives (docs/domain.md §1: never identity)."""
    if not matters:
        return False
    digits = "".join(ch for ch in text if ch.isdigit())
    compact = "".join(text.split())
    for person in session.scalars(select(Complainant).where(Complainant.matter_id.in_([m.id for m in matters]))):
        name = "".join((person.name or "").split())
        if len(name) >= 2 and name in compact:
            return True
        for number in (person.phone, person.id_number):
            number = "".join(ch for ch in (number or "") if ch.isdigit())
            if len(number) >= 7 and number in digits:
                return True
    return False


def propose_talk(session: Session, actor: User, data: TalkInput) -> Talk:
    """拟谈话 / 拟函询: a supervisor proposes, with the reason and the matters behind it."""
    if not permissions.can_propose_talk(actor):
        raise PermissionDenied("只有督查人员可以提出谈话或函询。")
    kind = data.kind
    name = _required(data.subject_name, "请填写谈话对象（被函询人）的姓名。")
    department = data.subject_department
    if department is not None and not department.active:
        raise ValidationError(f"单位“{department.name}”已停用。")
    unit = (department.name if department else "") or _required(
        data.subject_unit, "请选择或填写谈话对象所在单位。")
    reason = _required(data.reason, "请填写事由（反映的问题）。")
    matters = list({m.id: m for m in data.matters}.values())
    if names_a_complainant(session, reason, matters):
        raise ValidationError("事由中含有关联事项反映人的姓名或联系方式：谈话（函询）通知将送达被谈话人所在单位，"
                              "不得写入反映人信息，请改写事由。")
    if kind == TalkKind.INQUIRY:
        if department is None:
            raise ValidationError("函询须发给系统内的单位：请选择被函询单位。")
        if not any(m.summary.strip() for m in matters):
            raise ValidationError("函询通知书所列问题只取自事项的内容摘要：请关联至少一件已填写摘要的事项。")
    year = clock.today().year
    seq = sequences.next_value(session, f"talk:{kind.value}", year)
    talk = Talk(kind=kind, year=year, seq=seq, serial=format_serial(kind, year, seq), status=TalkStatus.PROPOSED,
                subject_name=name, subject_department=department, subject_unit=unit,
                subject_post=data.subject_post.strip(), subject_party_branch=data.subject_party_branch.strip(),
                reason=reason, studied_by=data.studied_by.strip(), proposal_note=data.proposal_note.strip(),
                scheduled_at=data.scheduled_at, place=data.place.strip(), proposed_at=clock.now(),
                proposed_by_id=actor.id,
                admonition_form=data.admonition_form if kind == TalkKind.ADMONITION else AdmonitionForm.TALK)
    _people(talk, data.talkers, data.recorder)
    talk.links = [TalkLink(matter=m) for m in matters]
    session.add(talk)
    session.flush()
    audit.record(session, actor, "talk.proposed", talk, f"{talk.serial} 拟{kind.label}：{name}（{unit}）",
                 {"kind": kind, "subject": name, "unit": unit, "matters": [m.serial for m in matters]})
    return talk


def approve_talk(session: Session, actor: User, talk: Talk, note: str = "", *,
                 expected_version: int | None = None) -> None:
    _transition(session, actor, talk, TalkAction.APPROVE, f"批准{talk.kind.label}",
                expected_version=expected_version, changes={"note": note.strip()} if note.strip() else None)
    talk.approved_at, talk.approved_by_id, talk.approval_note = clock.now(), actor.id, note.strip()


def decline_talk(session: Session, actor: User, talk: Talk, note: str, *,
                 expected_version: int | None = None) -> None:
    note = _required(note, "不予批准时请写明理由。")
    _transition(session, actor, talk, TalkAction.DECLINE, f"不予批准{talk.kind.label}",
                expected_version=expected_version, changes={"note": note})
    talk.approved_at, talk.approved_by_id, talk.approval_note = clock.now(), actor.id, note


# --- notice, talk, reply -------------------------------------------------------------------------
def notify_talk(session: Session, actor: User, talk: Talk, *, scheduled_at: datetime | None = None,
                place: str = "", rest_day_confirmed: bool = False, expected_version: int | None = None) -> None:
    """发出通知: a talk needs its time, place and talkers; an inquiry's reply deadline starts today; a
    书面诫勉 is served in writing and needs neither. A talk on a rest day is asked about once."""
    changes: dict = {}
    if talk.is_written_admonition:
        changes = {"admonition_form": talk.admonition_form}
        summary = f"发出书面诫勉通知（{talk.subject_name}）"
    elif talk.is_inquiry:
        limit = limit_for(session, LimitStep.INQUIRY_REPLY)
        due = compute_due(session, clock.today(), limit)
        talk.reply_due_on, talk.reply_due_provisional = due.due, due.provisional
        changes = {"reply_due_on": due.due, "provisional": due.provisional, "limit": limit.label}
        summary = f"发出函询，回复期限 {format_cn_date(due.due)}" + ("（推定）" if due.provisional else "")
    else:
        when, where = scheduled_at or talk.scheduled_at, place.strip() or talk.place
        if when is None or not where:
            raise ValidationError("请填写谈话时间和地点后再发出通知。")
        if not talk.talkers:
            raise ValidationError("请先确定谈话人后再发出通知。")
        # Asked before the talk changes: the calendar's query would flush it (and bump its version).
        calendar = office_calendar(session)
        rest_day = non_workday_note(calendar, when.date())
        if rest_day and not rest_day_confirmed:
            raise NonWorkdayError(f"谈话时间 {rest_day}。如确需在该日谈话，请勾选“确认在非工作日谈话”后再发出通知。",
                                  when.date(), calendar.next_workday(when.date()))
        talk.scheduled_at, talk.place = when, where
        changes = {"scheduled_at": talk.scheduled_at, "place": talk.place, "rest_day": bool(rest_day)}
        summary = f"通知{talk.subject_name}于 {talk.scheduled_at:%Y-%m-%d %H:%M} 在{talk.place}谈话"
    _transition(session, actor, talk, TalkAction.NOTIFY, summary, expected_version=expected_version,
                changes=changes)
    talk.notified_at = clock.now()


def record_talk(session: Session, actor: User, talk: Talk, held: HeldInput, *,
                influence_months: int | None = None, expected_version: int | None = None) -> None:
    """记录谈话: time, the conversation, the subject's 表态; a 诫勉 starts its influence period and its
    申诉 period. A 书面诫勉 records when it was served (送达), no conversation."""
    if talk.is_written_admonition:
        return _record_written_admonition(session, actor, talk, held, influence_months, expected_version)
    if held.started_at is None or held.ended_at is None:
        raise ValidationError("请填写谈话的开始和结束时间。")
    if held.ended_at <= held.started_at:
        raise ValidationError("谈话结束时间须晚于开始时间。")
    if held.started_at > clock.now():
        raise ValidationError("谈话开始时间不能晚于现在：请在谈话结束后记录。")
    if talk.scheduled_at is not None and held.started_at < talk.scheduled_at:
        raise ValidationError(f"谈话开始时间不能早于通知的谈话时间（{talk.scheduled_at:%Y-%m-%d %H:%M}）："
                              "谈话须按通知进行。如时间有变，请如实记录实际谈话时间。")
    exchanges = [(q.strip(), a.strip()) for q, a in held.exchanges if q.strip() or a.strip()]
    if not exchanges:
        raise ValidationError("请记录谈话内容（至少一问一答）。")
    if any(not q for q, _ in exchanges):
        raise ValidationError("每一段回答前须有对应的提问（“问：”）。")
    statement = _required(held.statement, "请记录谈话对象的表态。")
    if talk.kind == TalkKind.ADMONITION and influence_months is None:
        raise ValidationError("系统未配置诫勉影响期（ADMONITION_INFLUENCE_MONTHS），无法记录诫勉。请联系系统管理员。")
    if talk.recorder is None:
        raise ValidationError("请先确定记录人（谈话须有专人记录）。")
    changes: dict = {"started_at": held.started_at, "ended_at": held.ended_at, "exchanges": len(exchanges)}
    _transition(session, actor, talk, TalkAction.HOLD, f"与{talk.subject_name}进行{talk.kind.label}",
                expected_version=expected_version, changes=changes)
    talk.started_at, talk.ended_at = held.started_at, held.ended_at
    talk.place = held.place.strip() or talk.place
    talk.exchanges = [TalkExchange(position=n, question=q, answer=a) for n, (q, a) in enumerate(exchanges)]
    talk.statement, talk.commitments = statement, held.commitments.strip()
    talk.recorded_by_id = actor.id
    if talk.kind == TalkKind.ADMONITION:
        _take_measure(session, actor, talk, held.started_at.date(), influence_months)


def _take_measure(session: Session, actor: User, talk: Talk, measure_on: date, influence_months: int) -> None:
    """The 诫勉 is taken: its influence period and the month the person has to appeal (问责条例 §21)."""
    talk.measure_on = measure_on
    talk.influence_months = influence_months
    talk.influence_ends_on = add_months(measure_on, influence_months)
    talk.appeal_due_on = add_months(measure_on, APPEAL_MONTHS)
    audit.record(session, actor, "talk.measure", talk,
                 f"{talk.serial} 诫勉{talk.subject_name}，影响期至 {format_cn_date(talk.influence_ends_on)}",
                 {"measure_on": measure_on, "influence_months": influence_months,
                  "influence_ends_on": talk.influence_ends_on, "appeal_due_on": talk.appeal_due_on})


def _record_written_admonition(session: Session, actor: User, talk: Talk, held: HeldInput,
                               influence_months: int | None, expected_version: int | None) -> None:
    if held.started_at is None:
        raise ValidationError("请填写书面诫勉通知的送达时间。")
    if held.started_at > clock.now():
        raise ValidationError("送达时间不能晚于现在。")
    if talk.notified_at is not None and held.started_at < talk.notified_at.replace(hour=0, minute=0, second=0):
        raise ValidationError(f"送达时间不能早于发出通知的日期（{talk.notified_at:%Y-%m-%d}）。")
    if influence_months is None:
        raise ValidationError("系统未配置诫勉影响期（ADMONITION_INFLUENCE_MONTHS），无法记录诫勉。请联系系统管理员。")
    _transition(session, actor, talk, TalkAction.HOLD, f"向{talk.subject_name}送达书面诫勉通知",
                expected_version=expected_version, changes={"served_at": held.started_at})
    talk.started_at = talk.ended_at = held.started_at
    talk.statement, talk.commitments = held.statement.strip(), held.commitments.strip()
    talk.recorded_by_id = actor.id
    _take_measure(session, actor, talk, held.started_at.date(), influence_months)


def record_appeal(session: Session, actor: User, talk: Talk, received_on: date | None, note: str) -> None:
    """申诉: the admonished person's written appeal, received within a month of the decision (问责条例
    §21). It does not stop the measure; the office records it and its handling."""
    if not permissions.can_propose_talk(actor):
        raise PermissionDenied("只有督查人员可以登记申诉。")
    if talk.kind != TalkKind.ADMONITION or talk.appeal_due_on is None:
        raise WorkflowError("只有已作出的诫勉可以申诉。")
    if talk.appeal_received_on is not None:
        raise WorkflowError(f"该诫勉的申诉已于 {talk.appeal_received_on:%Y-%m-%d} 登记。")
    if received_on is None:
        raise ValidationError("请填写收到申诉的日期。")
    if received_on > clock.today():
        raise ValidationError("收到申诉的日期不能晚于今天。")
    if received_on < talk.measure_on:
        raise ValidationError("收到申诉的日期不能早于作出诫勉的日期。")
    if received_on > talk.appeal_due_on:
        raise ValidationError(f"已超过申诉期限（{talk.appeal_due_on:%Y-%m-%d}，诫勉之日起一个月），不予受理申诉。")
    note = _required(note, "请填写申诉的主要理由。")
    talk.appeal_received_on, talk.appeal_note = received_on, note
    talk.appeal_answer_due_on = add_months(received_on, APPEAL_ANSWER_MONTHS)
    audit.record(session, actor, "talk.appeal", talk, f"{talk.serial} {talk.subject_name}对诫勉提出申诉",
                 {"received_on": received_on, "note": note, "answer_due_on": talk.appeal_answer_due_on})


def decide_appeal(session: Session, actor: User, talk: Talk, outcome: AppealOutcome, decided_on: date | None,
                  decision: str, *, influence_months: int | None = None,
                  paperwork: Paperwork) -> GeneratedDocument:
    """申诉处理决定 (问责条例 §21: within a month of receiving the appeal, in writing): the office records the
    deciding body's decision. 维持 keeps the measure; 变更 sets a new influence period from the measure's
    date; 撤销 ends the measure (no influence period is running any more). The written decision to the
    appellant, the numbered 申诉处理决定书, is built in the same transaction."""
    if not permissions.can_decide_appeal(actor):
        raise PermissionDenied("只有督查人员或领导可以登记申诉处理决定。")
    if talk.appeal_received_on is None:
        raise WorkflowError("该诫勉没有登记申诉。")
    if talk.appeal_outcome is not None:
        raise WorkflowError(f"该申诉的处理决定已于 {talk.appeal_decided_on:%Y-%m-%d} 作出。")
    if decided_on is None:
        raise ValidationError("请填写作出申诉处理决定的日期。")
    if decided_on > clock.today():
        raise ValidationError("作出决定的日期不能晚于今天。")
    if decided_on < talk.appeal_received_on:
        raise ValidationError(f"作出决定的日期不能早于收到申诉的日期（{talk.appeal_received_on:%Y-%m-%d}）。")
    decision = _required(decision, "请填写申诉处理决定（将书面告知申诉人）。")
    changes: dict = {"outcome": outcome, "decided_on": decided_on, "decision": decision}
    previous_months = talk.influence_months
    if outcome == AppealOutcome.CHANGED:
        if influence_months is None or not 1 <= influence_months <= 60:
            raise ValidationError("请填写变更后的影响期（1–60 个月）。")
        talk.influence_months = influence_months
        talk.influence_ends_on = add_months(talk.measure_on, influence_months)
        changes |= {"influence_months": influence_months, "influence_ends_on": talk.influence_ends_on}
    talk.appeal_outcome, talk.appeal_decided_on, talk.appeal_decision = outcome, decided_on, decision
    talk.appeal_decided_by_id = actor.id
    audit.record(session, actor, "talk.appeal_decided", talk,
                 f"{talk.serial} {talk.subject_name}的申诉：{outcome.label}", changes)
    return _issue_appeal_decision(session, actor, talk, previous_months, paperwork)


def _issue_appeal_decision(session: Session, actor: User, talk: Talk, previous_months: int | None,
                           office: Paperwork) -> GeneratedDocument:
    """The numbered 申诉处理决定书, naming the 诫勉 notice's 文号 when one was issued. The supervisors' and
    leaders' paper only (permissions.SUPERVISORS_ONLY_DOCUMENTS): no department is its addressee."""
    notice = documents.latest(session, "admonition_notice", "talk", talk.id)
    return documents.generate(
        session, actor, doc_type=APPEAL_DECISION, subject=("talk", talk.id), profile=office.profile,
        folder=office.folder, build_data=lambda number: paperwork.appeal_decision(
            talk, number, previous_influence_months=previous_months, measure_number=notice.number if notice else ""))


def reply_inquiry(session: Session, actor: User, talk: Talk, text: str, *,
                  files: list[tuple[str, bytes]] = (), storage: Storage | None = None,
                  expected_version: int | None = None) -> None:
    """函询回复: the unit's written explanation (signed by its head), with its files."""
    text = _required(text, "请填写函询回复（对所列问题逐项说明）。")
    late = talk.reply_due_on is not None and clock.today() > talk.reply_due_on
    _transition(session, actor, talk, TalkAction.REPLY, "收到函询回复" + ("（逾期）" if late else ""),
                expected_version=expected_version, changes={"files": len([f for f in files if f[1]]), "late": late})
    talk.reply_text, talk.replied_at, talk.replied_by_id = text, clock.now(), actor.id
    from supervision.notifications.services import settle, task_key

    settle(session, actor, task_key("talk", talk.id, "handle"))  # the sweep's reminders about the reply
    for stored in storage.save_all(session, list(files)) if files else []:
        session.add(TalkAttachment(talk=talk, original_name=stored.original_name, stored_name=stored.stored_name,
                                   media_type=stored.media_type, size=stored.size, sha256=stored.sha256,
                                   uploaded_at=clock.now(), uploaded_by_id=actor.id))


def follow_up_talk(session: Session, actor: User, talk: Talk, note: str,
                   conclusion: InquiryConclusion | None = None, *, expected_version: int | None = None) -> None:
    """跟踪: how the commitments were kept — or, for an inquiry, the review of its reply."""
    if talk.is_inquiry:
        if conclusion is None:
            raise ValidationError("请选择函询处理意见（采信了结、谈话提醒或初核）。")
        note = _required(note, "请填写对函询回复的审核意见。")
    else:
        conclusion = None
        note = _required(note, "请填写表态和整改措施的落实情况。")
    summary = f"函询处理意见：{conclusion.label}" if conclusion else "跟踪表态落实情况"
    _transition(session, actor, talk, TalkAction.FOLLOW_UP, summary, expected_version=expected_version,
                changes={"conclusion": conclusion} if conclusion else None)
    talk.follow_up_note, talk.followed_up_at, talk.conclusion = note, clock.now(), conclusion


def close_talk(session: Session, actor: User, talk: Talk, note: str = "", *,
               expected_version: int | None = None) -> None:
    _transition(session, actor, talk, TalkAction.CLOSE, "了结", expected_version=expected_version,
                changes={"note": note.strip()} if note.strip() else None)
    talk.closed_at, talk.close_note = clock.now(), note.strip()


# --- documents -----------------------------------------------------------------------------------
_AFTER_APPROVAL = frozenset({TalkStatus.APPROVED, TalkStatus.NOTIFIED, TalkStatus.HELD, TalkStatus.FOLLOWED_UP,
                             TalkStatus.CLOSED})
_AFTER_TALK = frozenset({TalkStatus.HELD, TalkStatus.FOLLOWED_UP, TalkStatus.CLOSED})
_AFTER_SENDING = frozenset({TalkStatus.NOTIFIED, TalkStatus.REPLIED, TalkStatus.FOLLOWED_UP, TalkStatus.CLOSED})
# doc_type: (kinds that have it, statuses in which it exists, what to do first)
DOCUMENT_RULES: dict[str, tuple[frozenset[TalkKind], frozenset[TalkStatus], str]] = {
    "admonition_notice": (frozenset({TalkKind.ADMONITION}), _AFTER_APPROVAL, "诫勉谈话通知书须在领导批准后生成。"),
    "talk_record": (frozenset(TALK_KINDS), _AFTER_TALK, "谈话尚未进行：请在谈话结束、记录谈话内容后再生成谈话记录。"),
    "inquiry_notice": (frozenset({TalkKind.INQUIRY}), _AFTER_SENDING,
                       "请先发出函询：回复期限自发出之日起计算，函询通知书随后生成。"),
}


def document_title(talk: Talk, doc_type: str) -> str:
    if doc_type == "talk_record":
        return f"{talk.kind.label}记录"
    return documents.DOCUMENT_TITLES[doc_type]


def available_documents(talk: Talk) -> list[str]:
    return [doc_type for doc_type, (kinds, statuses, _) in DOCUMENT_RULES.items()
            if talk.kind in kinds and talk.status in statuses
            and not (doc_type == "talk_record" and talk.is_written_admonition)]


def talk_profile(config: Mapping[str, Any], prefix_key: str | None = None) -> OfficeProfile:
    """The office profile, refusing with a clear message when configuration is missing."""
    if not (config.get("OFFICE_NAME") or "").strip():
        raise ValidationError("系统未配置单位名称（OFFICE_NAME），无法生成文书。请联系系统管理员。")
    profile = documents.office_profile(config)
    if prefix_key is not None and not profile.doc_prefixes.get(prefix_key, "").strip():
        raise ValidationError(f"系统未配置该文书的机关代字（DOC_PREFIXES[\"{prefix_key}\"]），无法编号。请联系系统管理员。")
    return profile


def generate_talk_document(session: Session, actor: User, talk: Talk, doc_type: str, *,
                           config: Mapping[str, Any], folder: Path) -> GeneratedDocument:
    """诫勉谈话通知书, 谈话记录 or 函询通知书 of one talk: numbered once, regenerated with the same number."""
    if not permissions.can_propose_talk(actor):
        raise PermissionDenied("只有督查人员可以生成谈话、函询文书。")
    if doc_type not in DOCUMENT_RULES:
        raise ValidationError("没有这种文书。")
    kinds, statuses, hint = DOCUMENT_RULES[doc_type]
    title = document_title(talk, doc_type)
    if talk.kind not in kinds:
        raise WorkflowError(f"{talk.kind.label}没有{documents.DOCUMENT_TITLES[doc_type]}。")
    if talk.status not in statuses:
        raise WorkflowError(f"该{talk.kind.label}当前为“{talk.status.label}”，还不能生成{title}。{hint}")
    if doc_type == "talk_record" and talk.is_written_admonition:
        raise WorkflowError("书面诫勉不谈话，没有谈话记录。")
    profile = talk_profile(config, documents.PREFIX_KEYS.get(doc_type))
    builders = {
        "admonition_notice": lambda number: paperwork.admonition_notice(
            talk, number, influence_months_from(config), approver_title=config.get("TALK_APPROVER_TITLE", "")),
        "talk_record": lambda number: paperwork.talk_record(talk),
        "inquiry_notice": lambda number: paperwork.inquiry_notice(
            talk, number, limit_for(session, LimitStep.INQUIRY_REPLY).amount),
    }
    # The talk record stays in the office: no addressee, so no department head can download it.
    addressed = doc_type != "talk_record"
    if doc_type == "talk_record":  # unnumbered: the talk's number and the person name the file
        title = f"〔{talk.serial}〕{talk.subject_name}{title}"
    return documents.generate(
        session, actor, doc_type=doc_type, subject=("talk", talk.id), build_data=builders[doc_type],
        profile=profile, folder=folder, title=title,
        matter_id=talk.matters[0].id if addressed and talk.matters else None,
        department_id=talk.subject_department_id if addressed else None)


def register_period_label(date_from: date, date_to: date) -> str:
    """2026年度, 2026年第三季度, 2026年7月, or 2026年7月1日至2026年8月15日."""
    if date_from.year == date_to.year and date_from.day == 1:
        last_day = calendar.monthrange(date_to.year, date_to.month)[1]
        if date_to.day == last_day:
            months = date_to.month - date_from.month + 1
            if months == 12:
                return f"{date_from.year}年度"
            if months == 3 and date_from.month in (1, 4, 7, 10):
                return f"{date_from.year}年第{'一二三四'[date_from.month // 3]}季度"
            if months == 1:
                return f"{date_from.year}年{date_from.month}月"
    return f"{format_cn_date(date_from)}至{format_cn_date(date_to)}"


def talks_held_between(session: Session, date_from: date, date_to: date) -> list[Talk]:
    start = datetime.combine(date_from, datetime.min.time())
    end = datetime.combine(date_to, datetime.max.time())
    return list(session.scalars(
        select(Talk).where(Talk.kind.in_(TALK_KINDS), Talk.started_at.is_not(None), Talk.started_at >= start,
                           Talk.started_at <= end).order_by(Talk.started_at, Talk.id)))


def generate_talk_register(session: Session, actor: User, date_from: date | None, date_to: date | None, *,
                           config: Mapping[str, Any], folder: Path) -> GeneratedDocument:
    """谈话登记表 of the talks held in a period (a ledger: unnumbered, regenerable)."""
    if not permissions.can_propose_talk(actor):
        raise PermissionDenied("只有督查人员可以生成谈话登记表。")
    if date_from is None or date_to is None:
        raise ValidationError("请选择登记期间的起止日期。")
    if date_from > date_to:
        raise ValidationError("起始日期不能晚于截止日期。")
    talks = talks_held_between(session, date_from, date_to)
    if not talks:
        raise ValidationError(f"{format_cn_date(date_from)}至{format_cn_date(date_to)}期间没有已进行的谈话，无需生成登记表。")
    profile = talk_profile(config)
    period = register_period_label(date_from, date_to)
    return documents.generate(
        session, actor, doc_type="talk_register", subject=(f"talk_register:{date_to:%Y%m%d}", int(f"{date_from:%Y%m%d}")),
        build_data=lambda number: paperwork.talk_register(talks, period, clock.today()), profile=profile,
        folder=folder, title=f"{period}谈话登记表"[:60])
