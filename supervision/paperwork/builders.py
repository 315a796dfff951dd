"""One builder per document: data + office profile in, .docx bytes out.

The wording follows what discipline-inspection and 效能 offices print; the page itself (fonts,
grid, signature, 版记, tables) is :mod:`supervision.paperwork.layout`'s business.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from supervision.paperwork.data import (
    AdmonitionMethod,
    AdmonitionNotice,
    AppealDecision,
    AppealResult,
    AssignmentSlip,
    ComplainantLetter,
    DocNumber,
    InquiryNotice,
    Person,
    RectificationNotice,
    ReminderNotice,
    SupervisionLevel,
    TalkRecord,
    TalkRegister,
    Tally,
    WorkReport,
)
from supervision.paperwork.layout import (
    REGISTER_SIZE,
    STYLE_NUMBER,
    STYLE_REGISTER,
    OfficeProfile,
    OfficialDocument,
    cn_numeral,
    format_cn_date,
    format_cn_datetime,
    format_cn_time,
    format_deadline,
    format_doc_number,
    label,
    text_width_chars,
    value,
)

DOCUMENT_TITLES: dict[str, str] = {
    "assignment_slip": "交办单",
    "reminder_notice": "催办单",  # 督办通知书 from 书面督办 up, see reminder_title()
    "rectification_notice": "整改通知书",
    "inquiry_notice": "函询通知书",
    "admonition_notice": "诫勉谈话通知书",
    "appeal_decision": "申诉处理决定书",
    "talk_record": "诫勉谈话记录",
    "talk_register": "谈话登记表",
    "work_report": "办理情况报告",
    # Notices to the complainant (SPEC §11): one builder, numbered per kind.
    "acceptance_notice": "受理告知书",
    "refusal_notice": "不予受理告知书",
    "transfer_notice": "交办告知书",
    "extension_notice": "延期告知书",
    "answer_notice": "处理意见书",
    "review_notice": "复查意见书",
    "re_review_notice": "复核意见书",
}
COMPLAINANT_NOTICES = ("acceptance_notice", "refusal_notice", "transfer_notice", "extension_notice",
                       "answer_notice", "review_notice", "re_review_notice")

FORM_COLUMNS_MM = (30, 48, 30, 48)  # label | value | label | value across the 156 mm block
BLANK_DATE = "年\u3000\u3000月\u3000\u3000日"
SIGN_OFF = f"负责人（签字）：\u3000\u3000\u3000\u3000\u3000\u3000（盖章）\n{BLANK_DATE}"


def _number(profile: OfficeProfile, doc_type: str, number: DocNumber) -> str:
    return format_doc_number(profile.prefix(doc_type), number.year, number.seq)


# ---- 交办单 ------------------------------------------------------------------------------------


def _assignment_requirements(profile: OfficeProfile) -> str:
    return (
        "请按照“谁主管、谁负责”的原则认真调查核实，依法依规处理，于办理时限前将办理结果"
        f"书面报送{profile.office_name}，由{profile.office_name}统一答复投诉人。"
    )


def build_assignment_slip(data: AssignmentSlip, profile: OfficeProfile) -> bytes:
    number = _number(profile, "assignment", data.number)
    title = f"{profile.office_name}{DOCUMENT_TITLES['assignment_slip']}"
    paper = OfficialDocument(profile, title=title)
    paper.document_head(title, f"编号：{number}", organ=False)
    person = f"／{data.respondent_person}" if data.respondent_person else ""
    respondent = f"{data.respondent_unit}{person}"
    rows = [
        [label("事项编号"), value(data.matter_number), label("来源渠道"), value(data.channel)],
        [
            label("受理日期"),
            value(format_cn_date(data.received_on)),
            label("问题类别"),
            value(data.category),
        ],
        [label("交办标题"), value(data.title, 3)],
        [label("被投诉单位\n（人员）"), value(respondent, 3)],
        [label("内容摘要"), value(data.summary, 3)],
        [label("拟办意见"), value(data.proposed_handling, 3)],
        [label("领导批示"), value(data.leader_instruction, 3)],
        [label("主办单位"), value(data.lead_unit), label("协办单位"), value("、".join(data.co_units))],
        [
            label("交办日期"),
            value(format_cn_date(data.assigned_on)),
            label("办理时限"),
            value(format_deadline(data.deadline, data.deadline_provisional)),
        ],
        [label("办理要求"), value(data.requirements or _assignment_requirements(profile), 3)],
        [label("办理结果"), value(data.result, 3, sign_off=SIGN_OFF)],
        [label("审核意见"), value(data.review_opinion, 3)],
        [label("回访情况"), value(data.follow_up, 3)],
    ]
    paper.table(
        FORM_COLUMNS_MM,
        rows,
        min_heights_mm={r: 8.5 for r in range(len(rows))} | {4: 22, 6: 10, 10: 22},
    )
    days = data.return_within_workdays
    paper.note(
        (
            f"1．请于收到本单之日起{days}个工作日内签收；不属于本单位职责的，"
            f"应在{days}个工作日内书面说明理由退回。",
            "2．确需延期办理的，应在办理时限届满前书面申请延期。",
            "3．本单所涉事项须严格保密，严禁泄露、扩散，严禁打击报复。",
        )
    )
    return paper.to_bytes()


# ---- 催办单 / 督办通知书 ------------------------------------------------------------------------

_LEVEL_DECISION = {
    SupervisionLevel.phone: "现予催办。",
    SupervisionLevel.written: "根据有关规定，现对该事项予以书面督办。",
    SupervisionLevel.listed: "经研究，决定对该事项予以挂牌督办。",
    SupervisionLevel.elevated: "经研究，决定对该事项予以提级督办。",
}
_LEVEL_CONSEQUENCE = {
    SupervisionLevel.phone: "逾期仍未办结的，将予以书面督办。",
    SupervisionLevel.written: "逾期仍未办结的，将予以挂牌督办，并在效能建设情况通报中予以通报。",
    SupervisionLevel.listed: "逾期仍未办结的，将提级督办，约谈单位主要负责人，并依规依纪追究相关人员责任。",
    SupervisionLevel.elevated: "逾期仍未办结的，将依规依纪启动问责程序，严肃追究相关人员责任。",
}


def reminder_title(level: SupervisionLevel) -> str:
    return {
        SupervisionLevel.phone: "催办单",
        SupervisionLevel.written: "督办通知书",
        SupervisionLevel.listed: "挂牌督办通知书",
        SupervisionLevel.elevated: "提级督办通知书",
    }[level]


def build_reminder_notice(data: ReminderNotice, profile: OfficeProfile) -> bytes:
    level = SupervisionLevel(data.level)
    title = reminder_title(level)
    number = _number(profile, "escalation" if level.is_escalation else "reminder", data.number)
    office = profile.office_name
    paper = OfficialDocument(profile, title=title)
    paper.document_head(title, number)
    paper.salutation(data.addressee)
    when = f"{format_cn_date(data.assigned_on)}，" if data.assigned_on else ""
    matter = f"（事项编号：{data.matter_number}）" if data.matter_number else ""
    unit = "个工作日" if data.overdue_in_workdays else "日"
    paper.body(
        f"{when}{office}以{data.sent_as}（{data.assignment_number}）将“{data.matter}”{matter}"
        f"交你单位办理，办理时限为{format_cn_date(data.original_deadline)}。"
        f"截至目前，该事项已超过办理时限{data.days_overdue}{unit}，你单位尚未报送{data.awaited}。"
    )
    repeat = f"这是对该事项的第{cn_numeral(data.reminder_count)}次催办。" if data.reminder_count > 1 else ""
    paper.body(f"{repeat}{_LEVEL_DECISION[level]}")
    paper.body(
        data.requirements
        or "请你单位高度重视，主要负责人亲自过问，指定专人负责，查明逾期原因，加快办理进度。"
    )
    paper.body(
        f"请于{format_deadline(data.new_deadline, data.new_deadline_provisional)}前"
        f"将办理结果书面报送{office}；确有特殊情况不能按期办结的，须书面说明理由。"
        f"{_LEVEL_CONSEQUENCE[level]}"
    )
    paper.body("特此通知。" if level.is_escalation else "特此催办。")
    paper.contact()
    paper.signature(data.issued_on)
    copy_to = data.copy_to if data.copy_to is not None else profile.copy_to
    paper.imprint([data.leader_in_charge, *copy_to], data.issued_on)
    return paper.to_bytes()


# ---- 整改通知书 --------------------------------------------------------------------------------

_RECTIFICATION_REQUIREMENTS = (
    "高度重视，对照上述问题逐条制定整改措施，明确责任领导、责任人和完成时限。",
    "坚持立行立改与建章立制相结合，举一反三，堵塞管理漏洞，防止问题反弹。",
    "对问题涉及的有关人员，依规依纪作出处理。",
)


def _delivery_receipt(
    paper: OfficialDocument, document: str, number: str, addressee: str
) -> None:
    """送达回执, on its own page, for the unit to sign and the messenger to bring back."""
    paper.document_head("送达回执", new_page=True)
    rows = [
        [label("文书名称"), value(document, 3)],
        [label("文\u3000\u3000号"), value(number, 3)],
        [label("受送达单位"), value(addressee, 3)],
        [label("送达单位"), value(paper.profile.office_name, 3)],
        [label("签收人"), value(""), label("签收日期"), value(BLANK_DATE, align="right")],
        [label("送达人"), value(""), label("送达日期"), value(BLANK_DATE, align="right")],
        [label("受送达单位\n（盖章）"), value("", 3)],
        [label("备\u3000\u3000注"), value("", 3)],
    ]
    paper.table(
        FORM_COLUMNS_MM, rows, min_heights_mm={r: 13 for r in range(6)} | {6: 30, 7: 24}
    )
    paper.note(
        (
            "受送达单位签收人应当在本回执上签名并注明签收日期，加盖单位公章后交送达人带回；"
            "拒绝签收的，由送达人在备注栏内注明情况。",
        )
    )


def build_rectification_notice(data: RectificationNotice, profile: OfficeProfile) -> bytes:
    title = DOCUMENT_TITLES["rectification_notice"]
    number = _number(profile, "rectification", data.number)
    office = profile.office_name
    paper = OfficialDocument(profile, title=title)
    paper.document_head(title, number)
    paper.salutation(data.addressee)
    basis = f"根据{data.basis}有关规定，" if data.basis else ""
    when = f"{format_cn_date(data.inspected_on)}，" if data.inspected_on else ""
    paper.body(
        f"{basis}{when}{office}对你单位开展了{data.source}，发现你单位存在以下问题。"
        "现将有关问题通知你单位，请认真抓好整改。"
    )
    paper.heading(1, "一、存在的问题")
    paper.numbered(data.problems)
    paper.heading(1, "二、整改要求")
    paper.numbered(data.requirements or _RECTIFICATION_REQUIREMENTS)
    paper.heading(1, "三、整改时限")
    paper.body(f"请于{format_deadline(data.deadline, data.deadline_provisional)}前完成整改。")
    paper.heading(1, "四、反馈要求")
    paper.body(
        f"整改完成后，请于整改时限届满前将书面整改报告报送{office}。整改报告应逐条说明"
        "整改措施、整改结果和对相关人员的处理情况，附相关佐证材料，"
        "经单位主要负责人签字并加盖单位公章。"
    )
    paper.body(
        data.consequence
        or (
            f"对逾期未整改或者整改不到位的，{office}将视情予以通报批评、"
            "约谈单位主要负责人；情节严重的，依规依纪追究相关人员责任。"
        )
    )
    paper.contact(data.contact_person, data.contact_phone)
    paper.body("特此通知。")
    paper.attachments(data.attachments)
    paper.signature(data.issued_on)
    copy_to = data.copy_to if data.copy_to is not None else profile.copy_to
    paper.imprint(copy_to, data.issued_on)
    _delivery_receipt(paper, title, number, data.addressee)
    return paper.to_bytes()


# ---- 函询通知书 --------------------------------------------------------------------------------


def build_inquiry_notice(data: InquiryNotice, profile: OfficeProfile) -> bytes:
    title = DOCUMENT_TITLES["inquiry_notice"]
    number = _number(profile, "inquiry", data.number)
    office = profile.office_name
    paper = OfficialDocument(profile, title=title)
    paper.document_head(title, number)
    paper.salutation(data.addressee)
    deadline = format_deadline(data.reply_deadline, data.reply_deadline_provisional)
    paper.body(
        f"{office}收到反映你单位有关问题的信访举报。根据有关规定，现将有关情况函询你单位，"
        f"请于{deadline}前（自收到本通知之日起{data.reply_working_days}个工作日内）书面说明。"
    )
    paper.body("反映的主要问题如下：")
    paper.numbered(data.problems)
    paper.body(
        "请你单位对上述问题逐项如实作出书面说明，并提供相关证明材料。"
        "书面说明须经单位主要负责人签字，并加盖单位公章。"
    )
    paper.body(
        "如实说明有关情况是你单位应尽的义务。对说明不实、隐瞒事实或者无正当理由"
        f"逾期不作说明的，{office}将依规依纪严肃处理。"
    )
    paper.contact(data.contact_person, data.contact_phone)
    paper.body("特此通知。")
    paper.signature(data.issued_on)
    paper.imprint([data.party_committee, *data.copy_to], data.issued_on)
    return paper.to_bytes()


# ---- 诫勉谈话通知书 -----------------------------------------------------------------------------


def admonition_title(method: AdmonitionMethod) -> str:
    return "诫勉谈话通知书" if method is AdmonitionMethod.talk else "书面诫勉通知书"


def build_admonition_notice(data: AdmonitionNotice, profile: OfficeProfile) -> bytes:
    method = AdmonitionMethod(data.method)
    title = admonition_title(method)
    number = _number(profile, "admonition", data.number)
    office = profile.office_name
    paper = OfficialDocument(profile, title=title)
    paper.document_head(title, number)
    paper.salutation(f"{data.subject.name}同志")
    unit_post = f"{data.subject.unit}{data.subject.post}"
    where = f"（{unit_post}）" if unit_post else ""
    paper.body(
        f"据反映，你{where}存在{data.problem}问题。经{data.studied_by}研究，"
        f"报{data.approved_by}批准，决定对你进行诫勉。"
    )
    if method is AdmonitionMethod.talk:
        when = format_cn_datetime(data.talk_at) if data.talk_at else "另行通知的时间"
        place = data.place or "指定地点"
        talkers = f"谈话人：{'、'.join(p.described for p in data.talkers)}。" if data.talkers else ""
        paper.body(f"请你于{when}到{place}接受诫勉谈话。{talkers}")
        paper.body("届时请你按时参加，如实说明情况，不得无故缺席或者委托他人代替。")
    else:
        paper.body(
            f"现以书面方式对你进行诫勉。请你深刻反思，认真查找问题根源，切实加以改正，"
            f"并及时向{office}提交书面检查和整改措施。"
        )
    paper.body(
        f"根据有关规定，受到诫勉的，{cn_numeral(data.influence_months)}个月内"
        "不得提拔或者重用。希望你以此为戒，严格要求自己，认真履职尽责。"
    )
    if data.party_branch:
        paper.body(f"请你所在党支部（{data.party_branch}）加强对你的日常教育、管理和监督。")
    # 问责条例 §21: the right to appeal, within one month, is stated on the decision itself.
    paper.body(f"如对诫勉决定不服，可以自收到本通知之日起一个月内，向{office}提出书面申诉。"
               "申诉期间，不停止诫勉的执行。")
    paper.body("特此通知。")
    paper.signature(data.issued_on)
    paper.imprint([data.unit_party_head], data.issued_on)
    return paper.to_bytes()


# ---- 申诉处理决定书 ----------------------------------------------------------------------------


def _appeal_outcome(data: AppealDecision) -> str:
    """The decision itself, in plain words: what becomes of the 诫勉 and of its influence period."""
    measure = f"{format_cn_date(data.measure_on)}对你作出的诫勉决定"
    ends = f"自{format_cn_date(data.measure_on)}起计算，至{format_cn_date(data.influence_ends_on)}止"
    months = f"{cn_numeral(data.influence_months)}个月"
    if data.result is AppealResult.upheld:
        return f"维持{measure}。诫勉影响期为{months}，{ends}。"
    if data.result is AppealResult.changed:
        previous = (f"由{cn_numeral(data.previous_influence_months)}个月"
                    if data.previous_influence_months and data.previous_influence_months != data.influence_months
                    else "")
        return (f"变更{measure}：诫勉影响期{previous}调整为{months}，{ends}。"
                "影响期内不得提拔或者重用。")
    return f"撤销{measure}。该诫勉不再计算影响期，不再作为影响你提拔或者重用的依据。"


def build_appeal_decision(data: AppealDecision, profile: OfficeProfile) -> bytes:
    """问责条例 §21: the appeal is decided within a month and the decision given to the appellant in writing."""
    title = DOCUMENT_TITLES["appeal_decision"]
    number = _number(profile, "appeal_decision", data.number)
    office = profile.office_name
    paper = OfficialDocument(profile, title=title)
    paper.document_head(title, number)
    paper.salutation(f"{data.appellant.name}同志")
    unit_post = f"{data.appellant.unit}{data.appellant.post}"
    where = f"（{unit_post}）" if unit_post else ""
    method = AdmonitionMethod(data.method).label
    notice = f"，{data.measure_number}" if data.measure_number else ""
    paper.body(
        f"你{where}对{format_cn_date(data.measure_on)}受到的诫勉（{method}{notice}）不服，提出书面申诉。"
        f"{office}于{format_cn_date(data.received_on)}收到你的申诉。"
    )
    if data.grounds.strip():
        paper.body(f"你申诉的主要理由：{_sentence(data.grounds)}")
    for line in data.reasons.splitlines():
        if line.strip():
            paper.body(line.strip())
    lead = paper.body("根据《中国共产党问责条例》第二十一条规定，现作出如下申诉处理决定：")
    lead.paragraph_format.keep_with_next = True  # never the last line of a page without the decision
    paper.body(_appeal_outcome(data))
    paper.body("特此决定。")
    paper.signature(data.decided_on)
    paper.imprint([data.unit_party_head], data.decided_on)
    return paper.to_bytes()


def _sentence(text: str) -> str:
    """One line, ending with a full stop (the grounds are recorded as typed)."""
    text = "".join(part.strip() for part in text.splitlines())
    return text if text.endswith(("。", "！", "？", "”")) else text.rstrip("；;，,.") + "。"


# ---- 诫勉谈话记录 ------------------------------------------------------------------------------


def _talk_period(start: datetime, end: datetime) -> str:
    if start.date() == end.date():
        return f"{format_cn_datetime(start)}至{format_cn_time(end)}"
    return f"{format_cn_datetime(start)}至{format_cn_datetime(end)}"


def build_talk_record(data: TalkRecord, profile: OfficeProfile) -> bytes:
    title = f"{data.talk_kind}记录"
    paper = OfficialDocument(profile, title=title)
    paper.document_head(title, organ=False)

    def person_row(role: str, person: Person) -> list:
        return [label(role), value(person.name), value(person.unit), value(person.post)]

    rows = [
        [label("谈话时间"), value(_talk_period(data.started_at, data.ended_at), 3)],
        [label("谈话地点"), value(data.place, 3)],
        [label(""), label("姓\u3000名"), label("单\u3000位"), label("职\u3000务")],
        person_row("谈话对象", data.subject),
        *(person_row("谈话人", talker) for talker in data.talkers),
        person_row("记录人", data.recorder),
        [label("谈话事由"), value(data.reason, 3)],
    ]
    paper.table((26, 28, 68, 34), rows, min_heights_mm={r: 10 for r in range(len(rows))})
    paper.blank()
    paper.heading(1, "一、谈话内容")
    for exchange in data.exchanges:
        paper.body(f"问：{exchange.question}")
        paper.body(f"答：{exchange.answer}")
    paper.heading(1, "二、谈话对象表态")
    paper.body(data.statement)
    paper.heading(1, "三、整改措施")
    paper.numbered(data.measures)
    paper.blank()
    paper.signature_line("谈话对象", statement="以上记录我已看过（已向我宣读），与我所说的一致。")
    paper.signature_line("谈话人")
    paper.signature_line("记录人")
    return paper.to_bytes()


# ---- 谈话登记表 --------------------------------------------------------------------------------

REGISTER_HEADER = (
    "序号", "谈话类型", "谈话时间", "谈话人\n姓名", "谈话人\n单位", "谈话人\n职务",
    "谈话对象", "谈话事由", "备注",
)  # fmt: skip
REGISTER_COLUMNS_MM = (12, 20, 30, 16, 32, 20, 36, 33, 26)  # the 225 mm width turned sideways
REGISTER_MIN_ROWS = 6  # a short register is padded with blank lines to fill in by hand


REGISTER_ROW_MM = 11  # a row's least height (room to write by hand)
REGISTER_LINE_MM = 6.0  # one 小4号 line, single spaced, with some room (an estimate: err on the safe side)
REGISTER_PAGE_MM = 156 - 10.3 - 10.3 - 14 - 15  # landscape text block less title, 填报 line, header, safety


def _register_row_mm(cells: list) -> float:
    """A row's estimated height: its tallest cell, at the register's characters per line."""
    lines = 1
    for cell, width in zip(cells, REGISTER_COLUMNS_MM):
        per_line = max(1.0, (width - 3) / (REGISTER_SIZE.pt * 0.3528))
        lines = max(lines, sum(max(1, -(-int(text_width_chars(part)) // int(per_line)))
                               for part in cell.text.split("\n")))
    return max(REGISTER_ROW_MM, lines * REGISTER_LINE_MM + 2)


def _blank_register_rows(rows: list) -> int:
    """Blank lines to fill in by hand after a short register — only as many as fit on the page the last
    entry is on: never a page of empty rows."""
    wanted = max(0, REGISTER_MIN_ROWS - (len(rows) - 1))
    used = sum(_register_row_mm(row) for row in rows[1:]) % REGISTER_PAGE_MM
    room = int((REGISTER_PAGE_MM - used) // REGISTER_ROW_MM)
    return max(0, min(wanted, room))


def build_talk_register(data: TalkRegister, profile: OfficeProfile) -> bytes:
    title = f"{data.period}{DOCUMENT_TITLES['talk_register']}"
    paper = OfficialDocument(profile, title=title)
    paper.landscape()
    paper.title(title)
    compiled = format_cn_date(data.compiled_on) if data.compiled_on else BLANK_DATE
    paper.plain(f"填报单位：{profile.office_name}\u3000\u3000\u3000\u3000填报日期：{compiled}")
    rows = [[label(h) for h in REGISTER_HEADER]]
    for n, row in enumerate(data.rows, start=1):
        unit_post = f"{row.subject.unit}{row.subject.post}"
        subject = f"{row.subject.name}\n{unit_post}" if unit_post else row.subject.name
        rows.append(
            [
                value(str(n), align="center"),
                value(row.kind, align="center"),
                value(format_cn_datetime(row.held_at)),
                value(row.talker.name, align="center"),
                value(row.talker.unit),
                value(row.talker.post),
                value(subject),
                value(row.reason),
                value(row.remarks),
            ]
        )
    rows += [[value("") for _ in REGISTER_HEADER]] * _blank_register_rows(rows)
    paper.table(
        REGISTER_COLUMNS_MM,
        rows,
        header_rows=1,
        style=STYLE_REGISTER,
        min_heights_mm={r: 11 for r in range(len(rows))},
    )
    return paper.to_bytes()




# ---- 办理情况报告 ------------------------------------------------------------------------------

REPORT_TALLY_COLUMNS_MM = (16, 88, 26, 26)  # 序号 | 名称 | 件数 | 占比
REPORT_DEPARTMENT_COLUMNS_MM = (14, 52, 20, 30, 20, 20)


def percent(value: float | None) -> str:
    """0.8534 → 85.3%; no figure → —."""
    return "—" if value is None else f"{value * 100:.1f}%"


def _tallies(items: tuple[Tally, ...], *, joiner: str = "，") -> str:
    return joiner.join(f"{t.label}{t.count}件" for t in items if t.count)


def _tally_table(paper: OfficialDocument, heading: str, items: tuple[Tally, ...]) -> None:
    rows = [[label("序号"), label(heading), label("件数"), label("占比")]]
    for n, item in enumerate(items, start=1):
        rows.append([value(str(n), align="center"), value(item.label), value(str(item.count), align="center"),
                     value(percent(item.share), align="center")])
    paper.table(REPORT_TALLY_COLUMNS_MM, rows, header_rows=1)


def report_title(data: WorkReport, profile: OfficeProfile) -> str:
    return f"关于{data.period}效能投诉和意见建议办理情况的报告"


def build_work_report(data: WorkReport, profile: OfficeProfile) -> bytes:
    title = report_title(data, profile)
    paper = OfficialDocument(profile, title=title)
    paper.title(title)
    if data.number is not None:
        paper.paragraph(_number(profile, "work_report", data.number), STYLE_NUMBER)
    else:
        paper.blank()
    if data.addressee:
        paper.salutation(data.addressee)
    unfinished = data.as_of is not None and data.as_of < data.end_on
    span = f"{format_cn_date(data.start_on)}至{format_cn_date(data.as_of if unfinished else data.end_on)}"
    paper.body(
        f"根据《信访工作条例》和机关效能建设有关规定，现将{data.period}（{span}）"
        f"{profile.office_name}受理效能投诉、意见建议和检查发现问题的办理情况报告如下。"
        + (f"本期至{format_cn_date(data.end_on)}结束，以上数据统计截至{format_cn_date(data.as_of)}，"
           "期末数据以下期报告为准。" if unfinished else "")
    )

    paper.heading(1, "一、受理情况")
    kinds = _tallies(data.by_kind)
    channels = _tallies(data.by_channel)
    paper.body(
        f"本期共登记各类事项{data.received}件" + (f"，其中{kinds}" if kinds else "") + "。"
        + (f"从来源渠道看，{channels}。" if channels else "")
        + f"经审查受理{data.accepted}件。"
        + (f"重复投诉率{percent(data.repeat_rate.value)}。" if data.repeat_rate else "")
    )

    paper.heading(1, "二、反映的主要问题")
    if data.categories:
        paper.body("按问题类别统计，反映较多的问题依次为：" + _tallies(data.categories[:5], joiner="；") + "。")
        _tally_table(paper, "问题类别", data.categories)
    else:
        paper.body("本期未登记分类事项。")

    paper.heading(1, "三、被投诉较多的单位")
    if data.top_units:
        paper.body("被投诉较多的单位依次为：" + _tallies(data.top_units, joiner="；") + "。")
        _tally_table(paper, "被投诉单位", data.top_units)
    else:
        paper.body("本期无被投诉单位。")

    paper.heading(1, "四、转送、交办和督办情况")
    escalations = _tallies(data.escalations)
    paper.body(
        f"本期交办{data.assigned}件，已办结{data.closed}件，其中按期办结{data.closed_on_time}件；"
        f"逾期{data.overdue}件，经批准延期{data.extended}件，退回重办{data.reworked}件，"
        f"承办单位提出异议退回{data.returned}件。"
        f"对临期、逾期事项催办{data.urged}次" + (f"，{escalations}" if escalations else "") + "。"
        f"下发整改通知书{data.notices_issued}份，按期完成整改{data.notices_closed_on_time}份，"
        f"逾期未完成{data.notices_overdue}份。"
        + (f"开展谈话函询：{_tallies(data.talks)}。" if _tallies(data.talks) else "")
    )
    if data.departments:
        rows = [[label("序号"), label("承办单位"), label("交办"), label("按期办结"), label("逾期"),
                 label("督办")]]
        for n, line in enumerate(data.departments, start=1):
            rows.append([value(str(n), align="center"), value(line.department),
                         *(value(str(x), align="center")
                           for x in (line.assigned, line.closed_on_time, line.overdue, line.escalated))])
        paper.table(REPORT_DEPARTMENT_COLUMNS_MM, rows, header_rows=1)

    paper.heading(1, "五、办理质效")
    satisfaction = _tallies(data.satisfaction)
    ratios = "，".join(
        f"{r.label}{percent(r.value)}（{r.numerator}/{r.denominator}）" for r in data.ratios)
    paper.body(
        (f"回访群众评价：{satisfaction}。" if satisfaction else "本期无回访评价。")
        + (f"主要指标：{ratios}。" if ratios else "")
    )

    if data.next_steps.strip():
        paper.heading(1, "六、下一步工作")
        for line in data.next_steps.splitlines():
            if line.strip():
                paper.body(line.strip())

    paper.signature(data.compiled_on)
    return paper.to_bytes()


# ---- 告知书 / 意见书 to the complainant -------------------------------------------------------------


def build_complainant_letter(data: ComplainantLetter, profile: OfficeProfile) -> bytes:
    doc_type = f"{data.kind}_notice"
    title = DOCUMENT_TITLES[doc_type]
    number = _number(profile, doc_type, data.number)
    paper = OfficialDocument(profile, title=title)
    paper.document_head(title, number)
    paper.salutation(data.salutation or "反映人")
    for paragraph in data.paragraphs:
        paper.body(paragraph)
    paper.body(f"事项编号：{data.matter_number}。您可凭事项编号和查询码在网上查询办理进度。")
    paper.contact()
    paper.signature(data.issued_on)
    return paper.to_bytes()


BUILDERS: dict[str, Callable[[Any, OfficeProfile], bytes]] = {
    "assignment_slip": build_assignment_slip,
    "reminder_notice": build_reminder_notice,
    "rectification_notice": build_rectification_notice,
    "inquiry_notice": build_inquiry_notice,
    "admonition_notice": build_admonition_notice,
    "appeal_decision": build_appeal_decision,
    "talk_record": build_talk_record,
    "talk_register": build_talk_register,
    "work_report": build_work_report,
    **{kind: build_complainant_letter for kind in COMPLAINANT_NOTICES},
}

# The clue procedure's documents (函询通知书 to a person, 澄清正名通知书) live in their own module.
from supervision.paperwork import clue_documents as _clue_documents  # noqa: E402

DOCUMENT_TITLES.update(_clue_documents.TITLES)
BUILDERS.update(_clue_documents.BUILDERS)

# The 督查事项 period documents (督查通报, 督查专报).
from supervision.paperwork import task_reports as _task_reports  # noqa: E402

DOCUMENT_TITLES.update(_task_reports.TITLES)
BUILDERS.update(_task_reports.BUILDERS)

# 督查事项's 督查通知.
from supervision.paperwork import task_documents as _task_documents  # noqa: E402

DOCUMENT_TITLES.update(_task_documents.TITLES)
BUILDERS.update(_task_documents.BUILDERS)
