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
    CluePerson,
    ClueReporter,
    ClueSource,
    ClueStatus,
    DecisionStatus,
    DisposalWay,
)
from supervision.models.matters import Complainant, Matter, MatterKind, MatterStatus
from supervision.models.org import User

# A matter may be turned into a clue once accepted and before it went to any department.
CONVERTIBLE_STATUSES = frozenset({MatterStatus.ACCEPTED})
PUBLIC_ACCEPTED_TEXT = "您反映的问题已作为问题线索受理，由本机关依规依纪处置。"


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
def register_clue(session: Session, actor: User, data: ClueInput) -> Clue:
    """登记 a clue received directly (上级转办, 巡察移交, 审计移送 …), with the reporter kept apart."""
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
    has_identity = session.scalar(select(Complainant.id).where(Complainant.matter_id == matter.id)) is not None
    clue = _new_clue(session, actor, source=ClueSource.MATTER, summary=summary or matter.summary, people=people,
                     received_on=matter.received_on, real_name=not matter.anonymous and has_identity,
                     source_note=matter.serial, matter_id=matter.id)
    add_event(session, matter, actor, "clue", PUBLIC_ACCEPTED_TEXT, audience="public")
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
        _conclude(session, clue, DisposalWay.CLOSE.label, disposal.reason)
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


def _conclude(session: Session, clue: Clue, conclusion: str, note: str) -> None:
    """The clue's end: its result in the register and, for a reporter who came through the portal, a
    word that it was dealt with — never what the person concerned answered."""
    from supervision.matters.services import add_event

    clue.concluded_at, clue.conclusion, clue.conclusion_note = clock.now(), conclusion, note
    if clue.matter is not None:
        add_event(session, clue.matter, None, "clue_result", public_result_text(conclusion), audience="public")


def public_result_text(conclusion: str) -> str:
    """What the reporter reads on the portal: the kind of result only."""
    if conclusion in ("移送立案审查调查",):
        return "您反映的问题线索已办结：已按规定移送审查调查。"
    if conclusion in ("予以了结", "采信了结"):
        return "您反映的问题线索已办结：经了解核实，已依规予以了结。"
    return "您反映的问题线索已办结：已依规依纪对有关人员作出处理。"
