"""Every write of the clue register. Each state change asks ``clues.workflow`` whether the move is legal
and ``permissions`` whether this actor may make it, changes the clue and writes the audit row — in the
caller's transaction. Nothing here commits, flashes or reads the request."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from supervision import audit, clock, permissions, sequences
from supervision.clues import workflow
from supervision.clues.workflow import ClueAction
from supervision.errors import PermissionDenied, StaleObjectError, ValidationError, WorkflowError
from supervision.models.clues import (
    SERIAL_PREFIX,
    CadreLevel,
    Clue,
    ClueDisposal,
    ClueInquiry,
    CluePerson,
    ClueReporter,
    ClueSource,
    ClueVerification,
    ClueStatus,
    DecisionStatus,
    DisposalWay,
    InquiryOutcome,
    InquiryStatus,
    VerificationResult,
)
from supervision.models.matters import Complainant, ComplaintClass, Matter, MatterKind, MatterStatus
from supervision.models.org import User
from supervision.models.talks import TalkKind

# A matter may be turned into a clue once accepted and before it went to any department.
CONVERTIBLE_STATUSES = frozenset({MatterStatus.ACCEPTED})


@dataclass
class PersonInput:
    name: str
    unit: str = ""
    post: str = ""
    cadre_level: CadreLevel = CadreLevel.GENERAL


@dataclass
class ReporterInput:
    name: str = ""
    phone: str = ""
    id_number: str = ""
    address: str = ""
    work_unit: str = ""

    def is_empty(self) -> bool:
        return not any(v.strip() for v in (self.name, self.phone, self.id_number, self.address, self.work_unit))


@dataclass
class ClueInput:
    source: ClueSource
    summary: str
    people: list[PersonInput] = field(default_factory=list)
    received_on: date | None = None
    source_note: str = ""
    real_name: bool = False
    reporter: ReporterInput = field(default_factory=ReporterInput)


# --- helpers -------------------------------------------------------------------------------------
def format_serial(year: int, seq: int) -> str:
    return f"{SERIAL_PREFIX}-{year}-{seq:05d}"


def _required(text: str | None, message: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError(message)
    return text


def check_version(clue: Clue, expected_version: int | None) -> None:
    if expected_version is not None and clue.version != expected_version:
        raise StaleObjectError("该线索已被他人修改，请刷新页面查看最新内容后重试。")


def transition(session: Session, actor: User | None, clue: Clue, action: ClueAction, summary: str, *,
               way: DisposalWay | None = None, expected_version: int | None = None,
               changes: dict | None = None) -> None:
    """The one gate of every state change: version, permission (``actor`` None is the sweep), the
    state table, then the audit row."""
    check_version(clue, expected_version)
    if actor is not None and not permissions.can_act_on_clue(actor, action):
        raise PermissionDenied(f"您无权对问题线索进行“{workflow.ACTION_LABELS[action]}”操作。")
    old = clue.status
    clue.status = workflow.next_status(old, action, way)
    audit.record(session, actor, f"clue.{action.value}", clue, f"{clue.serial} {summary}",
                 {"status": [old, clue.status], **(changes or {})})


def _people(data: list[PersonInput]) -> list[CluePerson]:
    people = []
    for position, person in enumerate(data):
        name = (person.name or "").strip()
        if not name:
            continue
        unit = _required(person.unit, f"请填写被反映人“{name}”的工作单位。")
        people.append(CluePerson(position=position, name=name, unit=unit, post=(person.post or "").strip(),
                                 cadre_level=person.cadre_level))
    if not people:
        raise ValidationError("请填写至少一名被反映人（姓名、单位、职务、干部层级）。")
    return people


def _new_clue(session: Session, actor: User, *, source: ClueSource, summary: str, people: list[PersonInput],
              received_on: date, real_name: bool, source_note: str = "", **links) -> Clue:
    summary = _required(summary, "请填写问题摘要（函询时只引用摘要，不写反映人信息）。")
    if received_on > clock.today():
        raise ValidationError("收到日期不能晚于今天。")
    year = clock.today().year
    seq = sequences.next_value(session, "clue", year)
    clue = Clue(year=year, seq=seq, serial=format_serial(year, seq), source=source, source_note=source_note.strip(),
                summary=summary, received_on=received_on, real_name=real_name, status=ClueStatus.REGISTERED,
                registered_at=clock.now(), registered_by_id=actor.id, people=_people(people), **links)
    session.add(clue)
    session.flush()
    return clue


# --- registration --------------------------------------------------------------------------------
def register_clue(session: Session, actor: User, data: ClueInput, letters=None) -> Clue:
    """登记 a clue received directly (上级转办, 巡察移交, 审计移送 …), with the reporter kept apart. A
    real-name reporter with a contact is sent a 受理告知书 (with ``letters`` at once, else by the sweep)."""
    if not permissions.can_register_clue(actor):
        raise PermissionDenied("只有受理人员和督查人员可以登记问题线索。")
    if data.source == ClueSource.MATTER:
        raise ValidationError("来自检举控告事项的线索请在事项页面“转为问题线索”。")
    if data.real_name and data.reporter.is_empty():
        raise ValidationError("实名举报请填写举报人姓名和联系方式。")
    clue = _new_clue(session, actor, source=data.source, summary=data.summary, people=data.people,
                     received_on=data.received_on or clock.today(), real_name=data.real_name,
                     source_note=data.source_note)
    if not data.reporter.is_empty():
        r = data.reporter
        session.add(ClueReporter(clue=clue, name=r.name.strip(), phone=r.phone.strip(),
                                 id_number=r.id_number.strip(), address=r.address.strip(),
                                 work_unit=r.work_unit.strip()))
    audit.record(session, actor, "clue.registered", clue,
                 f"{clue.serial} 登记问题线索（{clue.source.label}）：{clue.people_names}",
                 {"source": clue.source, "people": [str(p) for p in clue.people], "real_name": clue.real_name})
    session.flush()
    from supervision.clues import notices

    notices.tell_acceptance(session, actor, clue, letters)
    return clue


def clue_of_matter(session: Session, matter: Matter) -> Clue | None:
    return session.scalar(select(Clue).where(Clue.matter_id == matter.id))


def can_convert(matter: Matter) -> bool:
    return matter.kind == MatterKind.COMPLAINT and matter.status in CONVERTIBLE_STATUSES


def clue_from_matter(session: Session, actor: User, matter: Matter, people: list[PersonInput], summary: str = "",
                     *, expected_version: int | None = None) -> Clue:
    """转为问题线索: an accepted 检举控告 about an official goes to the clue register. The matter keeps
    its complainant (the one place for the reporter's identity) and can no longer be assigned to a
    department; the reporter reads on the portal that it was accepted as a clue."""
    from supervision.matters.services import add_event

    if not permissions.can_register_clue(actor):
        raise PermissionDenied("只有受理人员和督查人员可以把事项转为问题线索。")
    if expected_version is not None and matter.version != expected_version:
        raise StaleObjectError()
    if clue_of_matter(session, matter) is not None:
        raise WorkflowError(f"事项 {matter.serial} 已转为问题线索。")
    if not can_convert(matter):
        raise WorkflowError(f"只有已受理、尚未交办的效能投诉（检举控告）可以转为问题线索；"
                            f"{matter.serial} 当前为“{matter.status.label}”。")
    if matter.complaint_class != ComplaintClass.ACCUSATION:  # a clue is a 检举控告 by definition (SPEC §11)
        from supervision.matters.services import correct_complaint_class

        correct_complaint_class(session, actor, matter, ComplaintClass.ACCUSATION,
                                "反映党员、公职人员违纪违法问题，转为问题线索。")
    has_identity = session.scalar(select(Complainant.id).where(Complainant.matter_id == matter.id)) is not None
    clue = _new_clue(session, actor, source=ClueSource.MATTER, summary=summary or matter.summary, people=people,
                     received_on=matter.received_on, real_name=not matter.anonymous and has_identity,
                     source_note=matter.serial, matter_id=matter.id)
    add_event(session, matter, actor, "clue", "转为问题线索", audience="public")
    audit.record(session, actor, "clue.from_matter", clue,
                 f"{clue.serial} 由事项 {matter.serial} 转为问题线索：{clue.people_names}",
                 {"matter": matter.serial, "people": [str(p) for p in clue.people], "real_name": clue.real_name})
    return clue


def view_reporter(session: Session, actor: User, clue: Clue, reason: str) -> Complainant | ClueReporter | None:
    """查看举报人信息: as for matters — office staff who may see identity, with a reason, audited. A clue
    from a matter shows that matter's complainant."""
    if not permissions.can_view_clue_reporter(actor):
        raise PermissionDenied("您无权查看举报人信息。")
    reason = _required(reason, "请填写查看举报人信息的事由。")
    audit.record(session, actor, "clue.reporter_viewed", clue, f"查看 {clue.serial} 的举报人信息",
                 {"reason": reason, "matter": clue.matter.serial if clue.matter_id else None})
    if clue.matter_id is not None:
        return session.scalar(select(Complainant).where(Complainant.matter_id == clue.matter_id))
    return session.scalar(select(ClueReporter).where(ClueReporter.clue_id == clue.id))


# --- disposal: proposed by a case officer, decided by a leader -----------------------------------
def propose_disposal(session: Session, actor: User, clue: Clue, way: DisposalWay, reason: str, *,
                     review_on: date | None = None, expected_version: int | None = None,
                     after_inquiry: bool = False) -> ClueDisposal:
    """拟处置意见: one of the four ways, with the reason (and for 暂存待查 the review date). From a 函询
    only its outcome 转初步核实 proposes (``after_inquiry``)."""
    if clue.status == ClueStatus.INQUIRY and not after_inquiry:
        raise WorkflowError("该线索正在谈话函询：请在函询处理意见中选择“转初步核实”。")
    reason = _required(reason, "请写明拟处置的理由。")
    if way == DisposalWay.SHELVE:
        if review_on is None:
            raise ValidationError("暂存待查须确定重新研判的日期。")
        if review_on <= clock.today():
            raise ValidationError("重新研判日期须晚于今天。")
    else:
        review_on = None
    transition(session, actor, clue, ClueAction.PROPOSE, f"拟{way.label}", expected_version=expected_version,
               changes={"way": way, "reason": reason, "review_on": review_on})
    disposal = ClueDisposal(clue=clue, way=way, reason=reason, review_on=review_on, proposed_at=clock.now(),
                            proposed_by_id=actor.id, status=DecisionStatus.PENDING)
    session.add(disposal)
    session.flush()
    return disposal


def _pending(clue: Clue) -> ClueDisposal:
    disposal = clue.pending_disposal
    if disposal is None:
        raise WorkflowError("该线索没有待审批的处置意见。")
    return disposal


def approve_disposal(session: Session, actor: User, clue: Clue, note: str = "", studied_by: str = "", *,
                     expected_version: int | None = None) -> ClueDisposal:
    """批准: the leader (after collective study) approves the way proposed; the clue moves on."""
    disposal = _pending(clue) if clue.status == ClueStatus.PROPOSED else None
    way = disposal.way if disposal else None
    if way == DisposalWay.SHELVE:  # set first: the database refuses a shelved clue without its date
        clue.review_on = disposal.review_on
    transition(session, actor, clue, ClueAction.APPROVE, f"批准{way.label if way else ''}", way=way,
               expected_version=expected_version,
               changes={"way": way, "note": note.strip(), "studied_by": studied_by.strip(),
                        "proposed_by": disposal.proposed_by_id if disposal else None})
    disposal.status, disposal.decided_at, disposal.decided_by_id = DecisionStatus.APPROVED, clock.now(), actor.id
    disposal.decision_note, disposal.studied_by = note.strip(), studied_by.strip()
    clue.disposal = way
    if way == DisposalWay.CLOSE:
        _conclude(session, clue, DisposalWay.CLOSE.label, disposal.reason, actor)
    return disposal


def decline_disposal(session: Session, actor: User, clue: Clue, note: str, *,
                     expected_version: int | None = None) -> ClueDisposal:
    """不批准: the proposal goes back with the leader's reason; a new one is needed."""
    note = _required(note, "不批准时请写明理由或意见。")
    disposal = _pending(clue) if clue.status == ClueStatus.PROPOSED else None
    transition(session, actor, clue, ClueAction.DECLINE, f"不批准{disposal.way.label if disposal else ''}",
               expected_version=expected_version, changes={"note": note})
    disposal.status, disposal.decided_at, disposal.decided_by_id = DecisionStatus.DECLINED, clock.now(), actor.id
    disposal.decision_note = note
    return disposal


def review_shelved(session: Session, actor: User | None, clue: Clue, note: str = "", *,
                   expected_version: int | None = None) -> None:
    """暂存待查 comes back: on its review date (the sweep, actor None) or earlier by a case officer."""
    transition(session, actor, clue, ClueAction.REVIEW,
               "暂存待查到期，重新研判处置" if actor is None else "暂存待查线索重新研判处置",
               expected_version=expected_version, changes={"review_on": clue.review_on, "note": note.strip()})
    clue.review_on = None


def sweep_shelved(session: Session, today: date | None = None) -> int:
    """The sweep: every 暂存待查 clue whose review date has come goes back to 待提出处置意见."""
    today = today or clock.today()
    due = list(session.scalars(select(Clue).where(Clue.status == ClueStatus.SHELVED, Clue.review_on <= today)
                               .order_by(Clue.id)))
    for clue in due:
        review_shelved(session, None, clue)
    return len(due)


def _conclude(session: Session, clue: Clue, conclusion: str, note: str, actor: User | None = None) -> None:
    """The clue's end: its result in the register and, for the reporter, a word that it was dealt with —
    never what the person concerned answered: on the portal for a reporter who came through a matter, a
    处理结果告知书 (generated and sent by the next sweep) for a real-name reporter of a clue registered
    directly."""
    from supervision.clues import notices
    from supervision.matters.services import add_event

    clue.concluded_at, clue.conclusion, clue.conclusion_note = clock.now(), conclusion, note
    if clue.matter is not None:
        add_event(session, clue.matter, None, public_result_step(conclusion), audience="public")
    else:
        notices.tell_result(session, actor, clue, public_result_step(conclusion))


def public_result_step(conclusion: str) -> str:
    """The portal step the reporter reads (portal.queries words it): the kind of result only."""
    if conclusion == VerificationResult.HAND_OVER.label:
        return "clue_handed_over"
    if conclusion in (DisposalWay.CLOSE.label, InquiryOutcome.ACCEPTED.label, VerificationResult.CLOSED.label):
        return "clue_closed"
    return "clue_dealt"


# --- 函询 addressed to the person ------------------------------------------------------------------
def reporter_names(session: Session, clue: Clue) -> list[str]:
    """Who reported it (for the check that no document names them): the matter's complainant or the
    clue's own reporter."""
    if clue.matter_id is not None:
        names = session.scalars(select(Complainant.name).where(Complainant.matter_id == clue.matter_id))
    else:
        names = session.scalars(select(ClueReporter.name).where(ClueReporter.clue_id == clue.id))
    return [n.strip() for n in names if n and len(n.strip()) >= 2]


def _problems_without_reporter(session: Session, clue: Clue, problems: str) -> str:
    problems = "\n".join(line.strip() for line in (problems or "").splitlines() if line.strip())
    if not problems:
        raise ValidationError("请列明函询的问题（摘要，每行一条）。")
    if any(name in problems for name in reporter_names(session, clue)):
        raise ValidationError("函询所列问题中出现了举报人的姓名：函询通知书只写问题摘要，不得透露举报人信息。")
    return problems


def _person_of(clue: Clue, person: CluePerson | None) -> CluePerson:
    if person is None or person.clue_id != clue.id:
        raise ValidationError("请选择被函询人（须为本线索的被反映人）。")
    return person


def issue_inquiry(session: Session, actor: User, clue: Clue, person: CluePerson | None, problems: str,
                  party_committee: str, *, expected_version: int | None = None) -> ClueInquiry:
    """发出函询 to the person (谈话函询 approved): the problems in summary, never the reporter; the
    person's 党委（党组） countersigns the explanation. The reply deadline starts at 送达."""
    if not permissions.can_handle_clue(actor):
        raise PermissionDenied("只有督查人员可以发出函询。")
    check_version(clue, expected_version)
    if clue.status != ClueStatus.INQUIRY:
        raise WorkflowError(f"只有经批准谈话函询的线索可以发出函询；该线索当前为“{clue.status.label}”。")
    if clue.open_inquiry is not None:
        raise WorkflowError("该线索已有一份函询尚未处理完毕。")
    person = _person_of(clue, person)
    problems = _problems_without_reporter(session, clue, problems)
    party_committee = _required(party_committee, "请填写被函询人所在单位党委（党组），书面说明须经其主要负责人签署意见。")
    inquiry = ClueInquiry(clue=clue, round=len(clue.inquiries) + 1, person=person, addressee_name=person.name,
                          addressee_unit=person.unit, addressee_post=person.post, party_committee=party_committee,
                          problems=problems, status=InquiryStatus.ISSUED, issued_at=clock.now(),
                          issued_by_id=actor.id)
    session.add(inquiry)
    session.flush()
    audit.record(session, actor, "clue.inquiry_issued", clue,
                 f"{clue.serial} 向{person.name}（{person.unit}{person.post}）发出函询"
                 + (f"（第 {inquiry.round} 次）" if inquiry.round > 1 else ""),
                 {"inquiry": inquiry.id, "round": inquiry.round, "person": str(person),
                  "problems": len(inquiry.problem_list())})
    return inquiry


def _inquiry_step(session: Session, actor: User, inquiry: ClueInquiry, action, summary: str,
                  changes: dict | None = None) -> None:
    if not permissions.can_handle_clue(actor):
        raise PermissionDenied(f"只有督查人员可以{workflow.INQUIRY_ACTION_LABELS[action]}。")
    if inquiry.needs_addressee:
        raise WorkflowError("该函询尚未确定被函询人：请先补全被函询人。")
    old = inquiry.status
    inquiry.status = workflow.next_inquiry_status(old, action)
    audit.record(session, actor, f"clue.inquiry_{action.value}", inquiry.clue, f"{inquiry.clue.serial} {summary}",
                 {"inquiry": inquiry.id, "status": [old, inquiry.status], **(changes or {})})


def serve_inquiry(session: Session, actor: User, inquiry: ClueInquiry, served_on: date | None,
                  note: str = "") -> None:
    """送达: the day the person received it; the reply is due 15 working days after (INQUIRY_REPLY)."""
    from supervision.deadlines import compute_due, limit_for
    from supervision.models.calendar import LimitStep

    if served_on is None:
        raise ValidationError("请填写送达日期（被函询人签收之日）。")
    if served_on > clock.today():
        raise ValidationError("送达日期不能晚于今天。")
    if served_on < inquiry.issued_at.date():
        raise ValidationError("送达日期不能早于函询发出日期。")
    limit = limit_for(session, LimitStep.INQUIRY_REPLY)
    due = compute_due(session, served_on, limit)
    _inquiry_step(session, actor, inquiry, workflow.InquiryAction.SERVE,
                  f"函询送达{inquiry.addressee_name}，{limit.label}内回复，至 {due.due.isoformat()}"
                  + ("（推定）" if due.provisional else ""),
                  {"served_on": served_on, "reply_due_on": due.due, "provisional": due.provisional,
                   "limit": limit.label})
    inquiry.served_on, inquiry.served_note = served_on, note.strip()
    inquiry.reply_due_on, inquiry.reply_due_provisional = due.due, due.provisional


def record_inquiry_reply(session: Session, actor: User, inquiry: ClueInquiry, text: str, replied_on: date | None,
                         countersigned_by: str, *, files: list[tuple[str, bytes]] = (), storage=None) -> None:
    """登记回复: the person's written explanation, countersigned by their 党委（党组）'s head, with files."""
    from supervision.models.clues import ClueAttachment

    text = _required(text, "请登记书面说明的内容（可摘录要点，原件作为附件上传）。")
    countersigned_by = _required(countersigned_by, "书面说明须经所在单位党委（党组）主要负责人签署意见：请填写签署人。")
    if replied_on is None:
        raise ValidationError("请填写收到书面说明的日期。")
    if replied_on > clock.today() or (inquiry.served_on and replied_on < inquiry.served_on):
        raise ValidationError("收到日期须在送达之后、今天之前。")
    late = inquiry.reply_due_on is not None and replied_on > inquiry.reply_due_on
    stored = storage.save_all(session, list(files)) if files else []  # all checked before any is staged
    _inquiry_step(session, actor, inquiry, workflow.InquiryAction.REPLY,
                  f"收到{inquiry.addressee_name}的书面说明" + ("（逾期）" if late else ""),
                  {"replied_on": replied_on, "late": late, "countersigned_by": countersigned_by,
                   "files": len(stored)})
    inquiry.reply_text, inquiry.replied_on, inquiry.countersigned_by = text, replied_on, countersigned_by
    inquiry.recorded_by_id = actor.id
    for saved in stored:
        session.add(ClueAttachment(clue_id=inquiry.clue_id, inquiry=inquiry, original_name=saved.original_name,
                                   stored_name=saved.stored_name, media_type=saved.media_type, size=saved.size,
                                   sha256=saved.sha256, uploaded_at=clock.now(), uploaded_by_id=actor.id))


# Outcomes that lead to a talk of issue 5's kinds, proposed in the talks area for a leader to approve.
OUTCOME_TALK_KINDS = {InquiryOutcome.CRITICISM: TalkKind.CRITICISM, InquiryOutcome.REMINDER: TalkKind.REMINDER,
                      InquiryOutcome.ADMONITION: TalkKind.ADMONITION}


def propose_follow_talk(session: Session, actor: User, clue: Clue, name: str, unit: str, post: str,
                        kind: TalkKind, reason: str):
    """The talk a 函询 or 初核 led to: proposed in the talks area (a leader approves it there)."""
    from supervision.talks.services import TalkInput, propose_talk

    return propose_talk(session, actor, TalkInput(
        kind=kind, subject_name=name, subject_unit=unit, subject_post=post,
        reason=f"问题线索 {clue.serial}：{reason}", matters=[clue.matter] if clue.matter else [],
        proposal_note=f"由问题线索 {clue.serial} 处置产生。"))


def decide_inquiry_outcome(session: Session, actor: User, inquiry: ClueInquiry, outcome: InquiryOutcome | None,
                           note: str, *, expected_version: int | None = None) -> None:
    """函询处理意见, each leading to its next step: 采信了结 and 责令检查 end the clue; 批评教育 / 谈话提醒 /
    诫勉 end it with a talk proposed in the talks area; 再次函询 keeps it in 谈话函询 for a new notice;
    转初步核实 proposes 初步核实 for a leader to approve."""
    clue = inquiry.clue
    check_version(clue, expected_version)
    if outcome is None:
        raise ValidationError("请选择函询处理意见。")
    note = _required(note, "请写明对书面说明的审核意见。")
    _inquiry_step(session, actor, inquiry, workflow.InquiryAction.DECIDE, f"函询处理意见：{outcome.label}",
                  {"outcome": outcome, "note": note})
    inquiry.outcome, inquiry.outcome_note = outcome, note
    inquiry.outcome_at, inquiry.outcome_by_id = clock.now(), actor.id
    if outcome in OUTCOME_TALK_KINDS:
        talk = propose_follow_talk(session, actor, clue, inquiry.addressee_name, inquiry.addressee_unit,
                                   inquiry.addressee_post, OUTCOME_TALK_KINDS[outcome], note)
        inquiry.follow_talk_id = talk.id
    if outcome == InquiryOutcome.AGAIN:
        return
    if outcome == InquiryOutcome.VERIFY:
        propose_disposal(session, actor, clue, DisposalWay.VERIFY, f"函询后转初步核实：{note}", after_inquiry=True)
        return
    transition(session, actor, clue, ClueAction.CONCLUDE, f"函询后{outcome.label}", changes={"outcome": outcome})
    _conclude(session, clue, outcome.label, note, actor)


def complete_addressee(session: Session, actor: User, inquiry: ClueInquiry, name: str, unit: str, post: str = "",
                       party_committee: str = "") -> None:
    """A migrated unit-addressed 函询: a clerk names the person it was really about."""
    if not permissions.can_register_clue(actor):
        raise PermissionDenied("只有受理人员和督查人员可以补全被函询人。")
    name = _required(name, "请填写被函询人姓名。")
    unit = _required(unit, "请填写被函询人所在单位。")
    if not inquiry.needs_addressee:
        raise WorkflowError("该函询已有被函询人。")
    clue = inquiry.clue
    person = next((p for p in clue.people if p.name == name and p.unit == unit), None)
    if person is None:
        person = CluePerson(clue=clue, position=len(clue.people), name=name, unit=unit, post=post.strip())
        session.add(person)
    inquiry.person = person
    inquiry.addressee_name, inquiry.addressee_unit, inquiry.addressee_post = name, unit, post.strip()
    inquiry.party_committee = party_committee.strip() or inquiry.party_committee or f"{unit}党委（党组）"
    audit.record(session, actor, "clue.inquiry_addressee", clue, f"{clue.serial} 补全被函询人：{name}（{unit}）",
                 {"inquiry": inquiry.id, "talk": inquiry.talk_id, "person": f"{name}，{unit}，{post.strip()}"})


# --- documents -----------------------------------------------------------------------------------
def _profile(config):
    from supervision.documents import services as documents

    if not (config.get("OFFICE_NAME") or "").strip():
        raise ValidationError("系统未配置单位名称（OFFICE_NAME），无法生成文书。请联系系统管理员。")
    return documents.office_profile(config)


def generate_inquiry_notice(session: Session, actor: User, inquiry: ClueInquiry, *, config, folder):
    """函询通知书 to the person: numbered once (函询〔2026〕N号), regenerated with the same number. It
    belongs to no department, so no department head can ever download it."""
    from supervision.deadlines import limit_for
    from supervision.documents import services as documents
    from supervision.models.calendar import LimitStep
    from supervision.paperwork.clue_documents import PersonInquiryNotice
    from supervision.paperwork.data import Person

    if not permissions.can_handle_clue(actor):
        raise PermissionDenied("只有督查人员可以生成函询通知书。")
    if inquiry.needs_addressee:
        raise WorkflowError("该函询尚未确定被函询人：请先补全被函询人。")
    if inquiry.talk_id is not None and not inquiry.problem_list():
        raise WorkflowError("该函询迁移自原单位函询记录，没有可列入通知书的问题摘要。")
    profile = _profile(config)
    working_days = limit_for(session, LimitStep.INQUIRY_REPLY).amount
    clue = inquiry.clue
    return documents.generate(
        session, actor, doc_type="person_inquiry_notice", subject=("clue_inquiry", inquiry.id),
        build_data=lambda number: PersonInquiryNotice(
            number=number, person=Person(inquiry.addressee_name, inquiry.addressee_unit, inquiry.addressee_post),
            problems=tuple(inquiry.problem_list()), issued_on=inquiry.issued_at.date(),
            party_committee=inquiry.party_committee, reply_working_days=working_days, round=inquiry.round,
            contact_person=profile.contact_person, contact_phone=profile.contact_phone),
        profile=profile, folder=folder, prefix_key="inquiry",
        title=f"函询通知书（{inquiry.addressee_name}）"[:60]) if clue else None


# --- today's unit-addressed 函询 (talks of kind inquiry) become clues with a 函询 to the person -----
TALK_CONCLUSIONS = {"accepted": InquiryOutcome.ACCEPTED, "talk": InquiryOutcome.REMINDER,
                    "preliminary": InquiryOutcome.VERIFY}
_NOT_A_NAME = ("局", "委", "办", "中心", "公司", "单位", "负责人", "领导", "政府", "院", "所", "站", "队", "科", "处")


def names_a_person(name: str, unit: str) -> bool:
    """Whether a 函询 record's 被函询人 is a person's name (not the unit or a post written in its place)."""
    name = (name or "").strip()
    return 2 <= len(name) <= 6 and name != unit.strip() and not any(word in name for word in _NOT_A_NAME)


def migrate_unit_inquiries(session: Session) -> tuple[int, int]:
    """Each unit-addressed 函询 (a talk of kind inquiry) not yet migrated becomes a clue (source 谈话函询)
    with its disposal and a 函询 addressed to the person the record names — or, where it names none, a
    函询 listed for a clerk to complete. The talk itself is kept as it was. Returns (migrated, to complete)."""
    from supervision.models.talks import Talk
    from supervision.models.talks import TalkStatus as T

    done = set(session.scalars(select(Clue.talk_id).where(Clue.talk_id.is_not(None))))
    talks = [t for t in session.scalars(select(Talk).where(Talk.kind == TalkKind.INQUIRY).order_by(Talk.id))
             if t.id not in done]
    incomplete = 0
    for talk in talks:
        named = names_a_person(talk.subject_name, talk.subject_unit)
        incomplete += not named
        year = talk.proposed_at.year
        seq = sequences.next_value(session, "clue", year)
        status = {T.PROPOSED: ClueStatus.PROPOSED, T.DECLINED: ClueStatus.REGISTERED}.get(talk.status, ClueStatus.INQUIRY)
        conclusion = TALK_CONCLUSIONS.get(talk.conclusion.value) if talk.conclusion else None
        if conclusion == InquiryOutcome.VERIFY:
            status = ClueStatus.PROPOSED
        elif conclusion is not None:
            status = ClueStatus.CONCLUDED
        problems = "\n".join(m.summary.strip() for m in talk.matters if m.summary.strip())
        clue = Clue(year=year, seq=seq, serial=format_serial(year, seq), source=ClueSource.TALK,
                    source_note=f"原单位函询 {talk.serial}", talk_id=talk.id, summary=talk.reason or problems,
                    received_on=talk.proposed_at.date(), real_name=False, status=status,
                    disposal=DisposalWay.INQUIRY if status not in (ClueStatus.PROPOSED, ClueStatus.REGISTERED) else None,
                    registered_at=talk.proposed_at, registered_by_id=talk.proposed_by_id,
                    people=[CluePerson(position=0, name=talk.subject_name.strip(), unit=talk.subject_unit,
                                       post=talk.subject_post)] if named else [])
        session.add(clue)
        decided = {T.DECLINED: DecisionStatus.DECLINED, T.PROPOSED: DecisionStatus.PENDING}.get(
            talk.status, DecisionStatus.APPROVED)
        session.add(ClueDisposal(clue=clue, way=DisposalWay.INQUIRY, reason=talk.proposal_note or talk.reason,
                                 proposed_at=talk.proposed_at, proposed_by_id=talk.proposed_by_id, status=decided,
                                 decided_at=talk.approved_at, decided_by_id=talk.approved_by_id,
                                 decision_note=talk.approval_note, studied_by=talk.studied_by))
        if talk.status not in (T.PROPOSED, T.DECLINED):
            inquiry = ClueInquiry(
                clue=clue, round=1, person=clue.people[0] if named else None,
                addressee_name=talk.subject_name.strip() if named else "", addressee_unit=talk.subject_unit,
                addressee_post=talk.subject_post, party_committee=f"{talk.subject_unit}党组（党委）",
                problems=problems, talk_id=talk.id, issued_at=talk.approved_at or talk.proposed_at,
                issued_by_id=talk.approved_by_id, status=InquiryStatus.ISSUED)
            if talk.notified_at is not None:
                inquiry.status, inquiry.served_on = InquiryStatus.SERVED, talk.notified_at.date()
                inquiry.served_note = f"迁移：原函询于该日发给{talk.subject_unit}"
                inquiry.reply_due_on, inquiry.reply_due_provisional = talk.reply_due_on, talk.reply_due_provisional
            if talk.replied_at is not None:
                inquiry.status, inquiry.reply_text = InquiryStatus.REPLIED, talk.reply_text
                inquiry.replied_on, inquiry.recorded_by_id = talk.replied_at.date(), talk.replied_by_id
            if conclusion is not None:
                inquiry.status, inquiry.outcome, inquiry.outcome_note = InquiryStatus.CONCLUDED, conclusion, talk.follow_up_note
                inquiry.outcome_at = talk.followed_up_at
                if conclusion == InquiryOutcome.VERIFY:
                    session.add(ClueDisposal(clue=clue, way=DisposalWay.VERIFY, reason=f"函询后转初步核实：{talk.follow_up_note}",
                                             proposed_at=talk.followed_up_at or clock.now(),
                                             proposed_by_id=talk.proposed_by_id))
                else:
                    clue.concluded_at, clue.conclusion = talk.followed_up_at, conclusion.label
                    clue.conclusion_note = talk.follow_up_note
            session.add(inquiry)
        session.flush()
        audit.record(session, None, "clue.migrated_from_talk", clue,
                     f"{clue.serial} 由原单位函询 {talk.serial} 迁移" + ("" if named else "，被函询人待补全"),
                     {"talk": talk.serial, "status": clue.status, "addressee": talk.subject_name if named else None})
    return len(talks), incomplete


# --- 初步核实 --------------------------------------------------------------------------------------
VERIFICATION_TALK_KINDS = {VerificationResult.REMINDER: TalkKind.REMINDER,
                           VerificationResult.ADMONITION: TalkKind.ADMONITION}


def _verifying(actor: User, clue: Clue, what: str) -> None:
    if not permissions.can_handle_clue(actor):
        raise PermissionDenied(f"只有督查人员可以{what}。")
    if clue.status != ClueStatus.VERIFYING:
        raise WorkflowError(f"只有经批准初步核实的线索可以{what}；该线索当前为“{clue.status.label}”。")


def plan_verification(session: Session, actor: User, clue: Clue, plan: str, *,
                      expected_version: int | None = None) -> ClueVerification:
    """初核方案: what will be checked, how and by whom."""
    check_version(clue, expected_version)
    _verifying(actor, clue, "制定初核方案")
    plan = _required(plan, "请填写初核方案（核实内容、方法、步骤、人员）。")
    if clue.verification is not None:
        raise WorkflowError("该线索已有初核方案：请记录核实工作或提交初核报告。")
    verification = ClueVerification(clue=clue, plan=plan, planned_at=clock.now(), planned_by_id=actor.id)
    session.add(verification)
    session.flush()
    audit.record(session, actor, "clue.verification_planned", clue, f"{clue.serial} 制定初核方案", {"plan": plan[:200]})
    return verification


def record_verification_work(session: Session, actor: User, clue: Clue, work_done: str, *,
                             expected_version: int | None = None) -> None:
    """开展的核实工作 (谈话了解、调取资料 …), kept up to date while the 初核 goes on."""
    check_version(clue, expected_version)
    _verifying(actor, clue, "记录核实工作")
    if clue.verification is None:
        raise WorkflowError("请先制定初核方案。")
    work_done = _required(work_done, "请填写已开展的核实工作。")
    old = clue.verification.work_done
    clue.verification.work_done = work_done
    audit.record(session, actor, "clue.verification_work", clue, f"{clue.serial} 记录初核工作",
                 {"work_done": [old[:200], work_done[:200]]})
    clue.updated_at = clock.now()  # the clue's version moves with its 初核


def report_verification(session: Session, actor: User, clue: Clue, report: str, result: VerificationResult | None,
                        *, found_untrue: bool = False, receiving_body: str = "",
                        expected_version: int | None = None) -> None:
    """初核报告 and its result: 了结; 谈话提醒 / 诫勉 (a talk proposed in the talks area for each person);
    or 移送立案 — outside this system, recorded with the body that received it."""
    check_version(clue, expected_version)
    _verifying(actor, clue, "提交初核报告")
    verification = clue.verification
    if verification is None:
        raise WorkflowError("请先制定初核方案。")
    report = _required(report, "请填写初核情况报告。")
    if result is None:
        raise ValidationError("请选择初核结论。")
    receiving_body = receiving_body.strip()
    if result == VerificationResult.HAND_OVER:
        if not receiving_body:
            raise ValidationError("移送立案审查调查须写明接收单位。")
        if found_untrue:
            raise ValidationError("反映问题不实的，不能移送立案。")
    else:
        receiving_body = ""
    action = ClueAction.HAND_OVER if result == VerificationResult.HAND_OVER else ClueAction.CONCLUDE
    transition(session, actor, clue, action, f"初核结论：{result.label}" + (f"，移送{receiving_body}" if receiving_body else ""),
               changes={"result": result, "found_untrue": found_untrue, "receiving_body": receiving_body or None})
    verification.report, verification.result, verification.found_untrue = report, result, found_untrue
    verification.receiving_body = receiving_body
    verification.reported_at, verification.reported_by_id = clock.now(), actor.id
    if result in VERIFICATION_TALK_KINDS:
        talks = [propose_follow_talk(session, actor, clue, p.name, p.unit, p.post, VERIFICATION_TALK_KINDS[result],
                                     report[:500]) for p in clue.people]
        verification.follow_talk_id = talks[0].id if talks else None
    _conclude(session, clue, result.label, (f"移送{receiving_body}。" if receiving_body else "") + report[:2000], actor)


# --- 澄清正名 and 诬告陷害 -------------------------------------------------------------------------
def found_untrue(clue: Clue) -> bool:
    """The report was found untrue: a 初核 said so, or the person's explanation was accepted (采信了结)."""
    if clue.verification is not None and clue.verification.found_untrue and clue.status == ClueStatus.CONCLUDED:
        return True
    return clue.status == ClueStatus.CONCLUDED and any(
        i.outcome == InquiryOutcome.ACCEPTED for i in clue.inquiries)


def record_clearance(session: Session, actor: User, clue: Clue, requested_by: str, note: str, *,
                     expected_version: int | None = None) -> None:
    """澄清正名, on request of the person or their unit, for a clue found untrue."""
    check_version(clue, expected_version)
    if not permissions.can_handle_clue(actor):
        raise PermissionDenied("只有督查人员可以办理澄清正名。")
    if not found_untrue(clue):
        raise WorkflowError("只有经核实反映不实（初核认定不实或函询采信了结）的线索可以澄清正名。")
    if clue.cleared_at is not None:
        raise WorkflowError("该线索已澄清正名。")
    requested_by = _required(requested_by, "请写明澄清正名的申请人（本人或所在单位）。")
    note = _required(note, "请写明澄清的范围和方式（如 在单位党组会议上通报）。")
    clue.clearance_requested_by, clue.clearance_note = requested_by, note
    clue.cleared_at, clue.cleared_by_id = clock.now(), actor.id
    audit.record(session, actor, "clue.cleared", clue, f"{clue.serial} 为{clue.people_names}澄清正名",
                 {"requested_by": requested_by, "scope": note})


def flag_false_accusation(session: Session, actor: User, clue: Clue, note: str, *,
                          expected_version: int | None = None) -> None:
    """诬告陷害: a report found deliberately false is flagged, with what is to be done about it."""
    check_version(clue, expected_version)
    if not permissions.can_handle_clue(actor):
        raise PermissionDenied("只有督查人员可以认定诬告陷害。")
    if not found_untrue(clue):
        raise WorkflowError("只有经核实反映不实的线索才能认定为诬告陷害。")
    if clue.false_accusation:
        raise WorkflowError("该线索已标记为诬告陷害。")
    note = _required(note, "请写明认定诬告陷害的依据和处理意见。")
    clue.false_accusation, clue.false_accusation_note = True, note
    audit.record(session, actor, "clue.false_accusation", clue, f"{clue.serial} 标记为诬告陷害，待依规处理",
                 {"note": note})


def generate_clearance_notice(session: Session, actor: User, clue: Clue, *, config, folder):
    """澄清正名通知书 to the person's 党委（党组）, numbered once and regenerable."""
    from supervision.documents import services as documents
    from supervision.paperwork.clue_documents import ClearanceNotice
    from supervision.paperwork.data import Person

    if not permissions.can_handle_clue(actor):
        raise PermissionDenied("只有督查人员可以生成澄清正名通知书。")
    if clue.cleared_at is None:
        raise WorkflowError("请先记录澄清正名（申请人、范围和方式），再生成通知书。")
    profile = _profile(config)
    person = clue.people[0]
    if clue.verification is not None and clue.verification.found_untrue:
        finding = "经初步核实，反映的问题不属实。"
    else:
        finding = "经函询，本人作出了如实说明，反映的问题不属实。"
    committee = next((i.party_committee for i in clue.inquiries if i.party_committee), "") or f"{person.unit}党委（党组）"
    return documents.generate(
        session, actor, doc_type="clearance_notice", subject=("clue", clue.id),
        build_data=lambda number: ClearanceNotice(
            number=number, person=Person(person.name, person.unit, person.post), addressee=committee,
            problems=tuple(line.strip() for line in clue.summary.splitlines() if line.strip()), finding=finding,
            requested_by=clue.clearance_requested_by, scope=clue.clearance_note, issued_on=clock.today()),
        profile=profile, folder=folder, prefix_key="clearance", title=f"澄清正名通知书（{person.name}）"[:60])
