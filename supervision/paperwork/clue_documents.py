"""The documents of the clue procedure (SPEC §12): the 函询通知书 addressed to the person, and the
澄清正名 notice for a person a report accused wrongly. Neither has a field for the reporter: what a
person learns of a report is the office's summary of the problems."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from supervision.paperwork.data import DocNumber, Person
from supervision.paperwork.layout import OfficeProfile, OfficialDocument, format_doc_number

TITLES = {"person_inquiry_notice": "函询通知书", "clearance_notice": "澄清正名通知书",
          # to the reporter of a clue registered directly (SPEC §12), numbered per kind
          "clue_acceptance_notice": "受理告知书", "clue_result_notice": "处理结果告知书"}


@dataclass(frozen=True)
class PersonInquiryNotice:
    """函询通知书 to a named official; the reply is due a number of working days after receipt."""

    number: DocNumber
    person: Person
    problems: tuple[str, ...]  # summaries only
    issued_on: date
    party_committee: str  # the person's 党委（党组）: countersigns the explanation, copied in
    reply_working_days: int = 15
    round: int = 1  # 再次函询 is round 2
    contact_person: str = ""
    contact_phone: str = ""


@dataclass(frozen=True)
class ClearanceNotice:
    """澄清正名: the report about the person was found untrue; made known where it did harm."""

    number: DocNumber
    person: Person
    addressee: str  # the person's 党委（党组） (or unit), which makes the clarification known
    problems: tuple[str, ...]  # what was reported, in summary
    finding: str  # 核查结论
    requested_by: str  # 本人 / 所在单位
    scope: str  # where and how it is made known
    issued_on: date
    copy_to: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReporterLetter:
    """A notice to the reporter of a clue: 受理告知书 or 处理结果告知书. Addressed to the reporter by name;
    its paragraphs (what an SMS carries) name nobody and never tell what the person concerned answered."""

    kind: str  # clue_acceptance_notice | clue_result_notice
    number: DocNumber
    salutation: str  # the reporter's name as given; "" → 举报人
    clue_number: str
    paragraphs: tuple[str, ...]
    issued_on: date


def build_reporter_letter(data: ReporterLetter, profile: OfficeProfile) -> bytes:
    title = TITLES[data.kind]
    number = format_doc_number(profile.prefix(data.kind), data.number.year, data.number.seq)
    paper = OfficialDocument(profile, title=title)
    paper.document_head(title, number)
    paper.salutation(data.salutation or "举报人")
    for paragraph in data.paragraphs:
        paper.body(paragraph)
    paper.body(f"线索编号：{data.clue_number}。如需查询，请持本告知书与我们联系。")
    paper.contact()
    paper.signature(data.issued_on)
    return paper.to_bytes()


def build_person_inquiry_notice(data: PersonInquiryNotice, profile: OfficeProfile) -> bytes:
    from supervision.paperwork.builders import _delivery_receipt

    title = TITLES["person_inquiry_notice"]
    number = format_doc_number(profile.prefix("inquiry"), data.number.year, data.number.seq)
    office = profile.office_name
    paper = OfficialDocument(profile, title=title)
    paper.document_head(title, number)
    paper.salutation(f"{data.person.name}同志")
    again = "再次" if data.round > 1 else ""
    paper.body(
        f"{office}收到反映你有关问题的信访举报。根据《中国共产党纪律检查机关监督执纪工作规则》有关规定，"
        f"经研究，现{again}对你进行函询，请你对下列问题作出书面说明。"
    )
    paper.body("反映的主要问题如下：")
    paper.numbered(data.problems)
    paper.body(
        f"请你自收到本通知之日起{data.reply_working_days}个工作日内，对上述问题逐项如实作出书面说明，"
        f"并提供相关证明材料。书面说明须由你本人签名，经{data.party_committee}主要负责人签署意见后，"
        f"报送{office}。"
    )
    paper.body(
        "如实向组织说明问题是党员应尽的义务。对说明不实、隐瞒事实或者无正当理由逾期不作说明的，"
        "将依规依纪严肃处理；反映的问题经函询说明清楚的，予以采信了结。"
    )
    paper.contact(data.contact_person, data.contact_phone)
    paper.body("特此通知。")
    paper.signature(data.issued_on)
    paper.imprint([data.party_committee], data.issued_on)
    _delivery_receipt(paper, title, number, data.person.described)
    return paper.to_bytes()


def build_clearance_notice(data: ClearanceNotice, profile: OfficeProfile) -> bytes:
    title = TITLES["clearance_notice"]
    number = format_doc_number(profile.prefix("clearance"), data.number.year, data.number.seq)
    office = profile.office_name
    person = data.person
    paper = OfficialDocument(profile, title=title)
    paper.document_head(title, number)
    paper.salutation(data.addressee)
    paper.body(
        f"{office}此前收到反映{person.unit}{person.post}{person.name}同志有关问题的信访举报。"
        f"经调查核实，反映的问题不属实。应{data.requested_by}请求，根据《中国共产党纪律检查机关监督执纪工作规则》"
        f"有关规定，现为{person.name}同志澄清正名。"
    )
    paper.body("反映的主要问题如下：")
    paper.numbered(data.problems)
    paper.body(f"核查结论：{data.finding}")
    paper.body(
        f"请你单位{data.scope}，消除不良影响，保护干部干事创业的积极性。"
    )
    paper.body("特此通知。")
    paper.signature(data.issued_on)
    paper.imprint([f"{person.name}同志", *data.copy_to], data.issued_on)
    return paper.to_bytes()


BUILDERS = {"person_inquiry_notice": build_person_inquiry_notice, "clearance_notice": build_clearance_notice,
            "clue_acceptance_notice": build_reporter_letter, "clue_result_notice": build_reporter_letter}


# --- fully filled-in examples (previews, tests, `flask paperwork samples`) ---------------------------
def sample_person_inquiry_notice() -> PersonInquiryNotice:
    return PersonInquiryNotice(
        number=DocNumber(2026, 9), person=Person("孙国平", "示范市住房和城乡建设局", "质监站检测科科长"),
        problems=("反映你在某小区竣工验收中暗示施工单位安排吃请。", "反映你收受施工单位购物卡两张。"),
        issued_on=date(2026, 6, 3), party_committee="中共示范市住房和城乡建设局党组", reply_working_days=15,
        round=2, contact_person="王明", contact_phone="0571-87654321")


def sample_clearance_notice() -> ClearanceNotice:
    return ClearanceNotice(
        number=DocNumber(2026, 2), person=Person("周建华", "示范市市场监督管理局", "行政审批科科长"),
        addressee="中共示范市市场监督管理局党组",
        problems=("反映周建华在办理营业执照变更过程中为亲属经营的企业提供便利。",),
        finding="经函询并调取审批档案核对，反映的问题不属实。", requested_by="周建华本人",
        scope="在局党组会议上通报核查结论", issued_on=date(2026, 7, 1), copy_to=("示范市纪委监委第三监督检查室",))


def sample_reporter_letter(kind: str = "clue_acceptance_notice") -> ReporterLetter:
    if kind == "clue_acceptance_notice":
        paragraphs = ("您于2026年5月11日反映的有关问题，我们已收到，经审查，已于2026年5月12日作为问题线索受理，"
                      "将依规依纪处置。",
                      "处置结果将书面告知您。对您反映的问题和您的个人信息，我们将严格保密。")
    else:
        paragraphs = ("您于2026年5月11日反映的有关问题，经依规依纪处置，已办结：已依规依纪对有关人员作出处理。",
                      "感谢您对党风廉政建设的关心和支持。")
    return ReporterLetter(kind=kind, number=DocNumber(2026, 4), salutation="王某某", clue_number="XS-2026-00012",
                          paragraphs=paragraphs, issued_on=date(2026, 5, 12))


SAMPLES = {"person_inquiry_notice": sample_person_inquiry_notice, "clearance_notice": sample_clearance_notice,
           "clue_acceptance_notice": sample_reporter_letter,
           "clue_result_notice": lambda: sample_reporter_letter("clue_result_notice")}
