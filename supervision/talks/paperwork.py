"""What a talk's documents carry. The 函询通知书 goes to a department: its problems are built from the
linked matters' summaries (摘要) only — never a matter's content, never its complainant, whose table
this module does not even import."""

from __future__ import annotations

from datetime import date

from supervision.models.talks import Talk, TalkKind, TalkParticipant
from supervision.paperwork.data import (
    AdmonitionMethod,
    AdmonitionNotice,
    AppealDecision,
    AppealResult,
    DocNumber,
    Exchange,
    InquiryNotice,
    Person,
    TalkRecord,
    TalkRegister,
    TalkRegisterRow,
)
from supervision.paperwork.layout import format_cn_date


def subject_of(talk: Talk) -> Person:
    return Person(talk.subject_name, talk.subject_unit, talk.subject_post)


def person_of(participant: TalkParticipant) -> Person:
    return Person(participant.name, participant.unit, participant.post)


def unit_party_head(talk: Talk) -> str:
    """抄送 of the 诫勉 papers: the head of the person's unit's party committee."""
    return f"{talk.subject_unit}党组（党委）主要负责同志"


def _issued_on(talk: Talk) -> date:
    when = talk.notified_at or talk.approved_at or talk.proposed_at
    return when.date()


def _approver(talk: Talk, title: str = "") -> str:
    """报【…】批准: the approving office as the office configures it (TALK_APPROVER_TITLE, e.g. 中心分管领导),
    with the person who approved."""
    person = talk.approved_by.display_name + "同志" if talk.approved_by else ""
    return f"{title.strip()}{person}" or "领导"


def admonition_notice(talk: Talk, number: DocNumber | None, influence_months: int,
                      approver_title: str = "") -> AdmonitionNotice:
    return AdmonitionNotice(
        number=number, subject=subject_of(talk), problem=talk.reason.rstrip("。；;，, "),
        method=AdmonitionMethod(talk.admonition_form.value),
        studied_by=talk.studied_by or "本机关", approved_by=_approver(talk, approver_title),
        issued_on=_issued_on(talk),
        party_branch=talk.subject_party_branch, talk_at=talk.scheduled_at, place=talk.place,
        talkers=tuple(person_of(p) for p in talk.talkers),
        influence_months=talk.influence_months or influence_months,
        unit_party_head=unit_party_head(talk))


def appeal_decision(talk: Talk, number: DocNumber | None, *, previous_influence_months: int | None = None,
                    measure_number: str = "") -> AppealDecision:
    """申诉处理决定书 of a decided appeal: the talk as the decision left it (for 变更, its new period)."""
    return AppealDecision(
        number=number, appellant=subject_of(talk), method=AdmonitionMethod(talk.admonition_form.value),
        measure_on=talk.measure_on, received_on=talk.appeal_received_on, grounds=talk.appeal_note,
        reasons=talk.appeal_decision, result=AppealResult(talk.appeal_outcome.value),
        decided_on=talk.appeal_decided_on, influence_months=talk.influence_months,
        influence_ends_on=talk.influence_ends_on, previous_influence_months=previous_influence_months,
        measure_number=measure_number, unit_party_head=unit_party_head(talk))


def talk_record(talk: Talk) -> TalkRecord:
    recorder = talk.recorder
    return TalkRecord(
        subject=subject_of(talk), talkers=tuple(person_of(p) for p in talk.talkers),
        recorder=person_of(recorder) if recorder else Person(""), started_at=talk.started_at,
        ended_at=talk.ended_at, place=talk.place, reason=talk.reason,
        exchanges=tuple(Exchange(e.question, e.answer) for e in talk.exchanges), statement=talk.statement,
        measures=tuple(talk.commitment_list()), talk_kind=talk.kind.label)


def inquiry_problems(talk: Talk) -> tuple[str, ...]:
    """The problems as the department may read them: each linked matter's summary, nothing else."""
    return tuple(m.summary.strip() for m in talk.matters if m.summary.strip())


def inquiry_notice(talk: Talk, number: DocNumber | None, working_days: int) -> InquiryNotice:
    department = talk.subject_department
    return InquiryNotice(
        number=number, addressee=department.name if department else talk.subject_unit,
        problems=inquiry_problems(talk), reply_deadline=talk.reply_due_on, issued_on=_issued_on(talk),
        party_committee=f"{talk.subject_unit}党组（党委）", reply_working_days=working_days,
        reply_deadline_provisional=talk.reply_due_provisional)


def register_row(talk: Talk) -> TalkRegisterRow:
    talkers = talk.talkers
    first = talkers[0] if talkers else None
    talker = Person("、".join(p.name for p in talkers), first.unit if first else "", first.post if first else "")
    remarks = ""
    if talk.kind == TalkKind.ADMONITION and talk.influence_ends_on:
        remarks = f"影响期至{format_cn_date(talk.influence_ends_on)}"
    reason = talk.reason if len(talk.reason) <= 60 else talk.reason[:58] + "……"
    return TalkRegisterRow(kind=talk.kind.label, held_at=talk.started_at, talker=talker, subject=subject_of(talk),
                           reason=reason, remarks=remarks)


def talk_register(talks: list[Talk], period: str, compiled_on: date) -> TalkRegister:
    return TalkRegister(rows=tuple(register_row(t) for t in talks), period=period, compiled_on=compiled_on)
