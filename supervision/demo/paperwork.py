"""Fully filled-in example data for every document: previews, demo data, tests, benchmarks.

Every field is set, so a test can check that everything a dataclass holds reaches the page.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from supervision.paperwork.data import (
    AdmonitionMethod,
    AdmonitionNotice,
    AppealDecision,
    AppealResult,
    AssignmentSlip,
    ComplainantLetter,
    DepartmentLine,
    DocNumber,
    Exchange,
    InquiryNotice,
    Person,
    Ratio,
    RectificationNotice,
    ReminderNotice,
    SupervisionLevel,
    TalkRecord,
    TalkRegister,
    TalkRegisterRow,
    Tally,
    WorkReport,
)
from supervision.paperwork.layout import Fonts, OfficeProfile

SAMPLE_PROFILE = OfficeProfile(
    office_name="示范市行政效能投诉中心",
    seal_text="示范市行政效能投诉中心",
    fonts=Fonts(),
    contact_person="王明",
    contact_phone="0571-87654321",
    copy_to=("示范市纪委监委第三监督检查室",),
    printed_by="示范市行政效能投诉中心办公室",
)


def sample_assignment_slip() -> AssignmentSlip:
    return AssignmentSlip(
        number=DocNumber(2026, 17),
        matter_number="XT-2026-00017",
        title="不动产登记中心窗口多次推诿未予受理转移登记",
        channel="12345转办",
        received_on=date(2026, 3, 2),
        category="办事拖拉",
        respondent_unit="示范市自然资源和规划局",
        respondent_person="不动产登记中心窗口工作人员",
        summary="反映2026年2月在不动产登记中心办理二手房转移登记，材料齐全但窗口多次以"
        "系统故障为由未予受理，往返四次仍未办结，要求查明原因并尽快办理。",
        proposed_handling="建议交示范市自然资源和规划局调查处理，限期答复。",
        leader_instruction="请自然资源和规划局认真核查，举一反三，结果报中心。（李华 3月3日）",
        lead_unit="示范市自然资源和规划局",
        co_units=("示范市数据资源管理局",),
        assigned_on=date(2026, 3, 3),
        deadline=date(2026, 3, 24),
        deadline_provisional=True,
        requirements="请于办理时限前书面报送调查核实情况、处理结果及整改措施。",
        result="经核查，系统接口故障已于3月5日修复，已为当事人办结登记。",
        review_opinion="办理结果属实，同意办结。",
        follow_up="3月20日电话回访，投诉人表示满意。",
        return_within_workdays=5,
    )


def sample_reminder_notice(level: SupervisionLevel = SupervisionLevel.written) -> ReminderNotice:
    return ReminderNotice(
        number=DocNumber(2026, 3),
        level=level,
        addressee="示范市住房和城乡建设局",
        assignment_number="效交〔2026〕9号",
        matter="反映某小区物业服务企业违规收取车位管理费问题",
        original_deadline=date(2026, 4, 10),
        days_overdue=6,
        new_deadline=date(2026, 4, 24),
        issued_on=date(2026, 4, 20),
        matter_number="XT-2026-00009",
        assigned_on=date(2026, 3, 20),
        overdue_in_workdays=True,
        reminder_count=2,
        new_deadline_provisional=True,
        requirements="请你单位主要负责人亲自过问，查明逾期原因，落实办理责任。",
        leader_in_charge="示范市人民政府分管副市长",
        copy_to=("示范市纪委监委驻市住房和城乡建设局纪检监察组",),
    )


def sample_rectification_notice() -> RectificationNotice:
    return RectificationNotice(
        number=DocNumber(2026, 12),
        addressee="示范市市场监督管理局",
        source="机关效能明察暗访",
        problems=(
            "政务服务中心市场监管窗口工作人员上班时间玩手机、闲聊，群众排队等候时间较长。",
            "窗口一次性告知单未及时更新，仍使用2024年版材料清单，群众需多次补正材料。",
            "“好差评”评价器长期处于关闭状态，未按规定接受群众评价。",
            "首问负责、限时办结等制度落实不到位，个别事项超过承诺时限未办结且未说明原因。",
            "局机关门户网站政务公开栏目信息更新滞后，部分政策文件解读缺失。",
        ),
        deadline=date(2026, 7, 31),
        issued_on=date(2026, 7, 1),
        inspected_on=date(2026, 6, 12),
        basis="《示范市机关效能建设监督检查办法》",
        requirements=(
            "高度重视，对照上述问题逐条制定整改措施，明确责任领导、责任人和完成时限。",
            "对窗口工作人员进行一次作风纪律专题教育，健全日常考勤和巡查制度。",
            "更新一次性告知单和办事指南，恢复“好差评”评价器并纳入考核。",
        ),
        deadline_provisional=True,
        consequence="对逾期未整改或者整改不到位的，将予以全市通报批评，约谈单位主要负责人；"
        "情节严重的，依规依纪追究相关人员责任。",
        attachments=("明察暗访发现问题照片", "明察暗访情况记录表"),
        contact_person="陈静",
        contact_phone="0571-87654322",
        copy_to=("示范市人民政府办公室", "示范市纪委监委第三监督检查室"),
    )


def sample_inquiry_notice() -> InquiryNotice:
    return InquiryNotice(
        number=DocNumber(2026, 5),
        addressee="示范市交通运输局",
        problems=(
            "反映该局在城区公交线路调整中，未按规定组织听证和公开征求意见。",
            "反映该局执法大队在查处非法营运车辆时存在选择性执法问题。",
        ),
        reply_deadline=date(2026, 6, 12),
        issued_on=date(2026, 5, 21),
        party_committee="中共示范市交通运输局党组",
        reply_working_days=15,
        reply_deadline_provisional=True,
        contact_person="赵立",
        contact_phone="0571-87654323",
        copy_to=("示范市纪委监委驻市交通运输局纪检监察组",),
    )


def sample_admonition_notice(method: AdmonitionMethod = AdmonitionMethod.talk) -> AdmonitionNotice:
    return AdmonitionNotice(
        number=DocNumber(2026, 2),
        subject=Person("张伟", "示范市市场监督管理局", "登记注册科科长"),
        problem="履行窗口管理职责不力，导致窗口作风问题在明察暗访中被多次发现、整改不到位的",
        studied_by="中心主任办公会议",
        approved_by="示范市纪委监委分管领导",
        issued_on=date(2026, 8, 5),
        method=method,
        party_branch="中共示范市市场监督管理局机关第二支部委员会",
        talk_at=datetime(2026, 8, 10, 9, 30),
        place="示范市行政效能投诉中心三楼谈话室",
        talkers=(Person("刘强", "示范市行政效能投诉中心", "副主任"),),
        influence_months=6,
        unit_party_head="中共示范市市场监督管理局党组书记",
    )


def sample_appeal_decision(result: AppealResult = AppealResult.changed) -> AppealDecision:
    """张伟's appeal against the 诫勉 of the sample notice: the period shortened from six months to three."""
    months, ends = {AppealResult.upheld: (6, date(2027, 2, 10)), AppealResult.changed: (3, date(2026, 11, 10)),
                    AppealResult.revoked: (6, date(2027, 2, 10))}[result]
    return AppealDecision(
        number=DocNumber(2026, 1),
        appellant=Person("张伟", "示范市市场监督管理局", "登记注册科科长"),
        method=AdmonitionMethod.talk,
        measure_on=date(2026, 8, 10),
        received_on=date(2026, 8, 24),
        grounds="窗口作风问题发生时本人已调离窗口管理岗位，对后续整改不到位不应承担主要责任",
        reasons="经复查，你于2026年6月起不再分管登记注册窗口，明察暗访发现的后两次问题发生在你调离之后；"
                "但首次发现的问题发生在你分管期间，你对整改负有领导责任，诫勉决定认定的主要事实清楚。\n"
                "综合考虑你在申诉中说明的情况和整改期间的表现，经中心主任办公会议研究，报示范市纪委监委分管领导同意，"
                "对诫勉影响期予以调整。",
        result=result,
        decided_on=date(2026, 9, 18),
        influence_months=months,
        influence_ends_on=ends,
        previous_influence_months=6 if result is AppealResult.changed else None,
        measure_number="诫勉〔2026〕2号",
        unit_party_head="中共示范市市场监督管理局党组书记",
    )


def sample_talk_record() -> TalkRecord:
    return TalkRecord(
        subject=Person("张伟", "示范市市场监督管理局", "登记注册科科长"),
        talkers=(
            Person("刘强", "示范市行政效能投诉中心", "副主任"),
            Person("孙丽", "示范市行政效能投诉中心", "督查科科长"),
        ),
        recorder=Person("周洋", "示范市行政效能投诉中心", "督查科科员"),
        started_at=datetime(2026, 8, 10, 9, 30),
        ended_at=datetime(2026, 8, 10, 10, 45),
        place="示范市行政效能投诉中心三楼谈话室",
        reason="效整〔2026〕12号整改通知书所列窗口作风问题整改不到位",
        exchanges=(
            Exchange(
                "今天我们受中心委托，依据有关规定对你进行诫勉谈话。你对整改通知书指出的问题"
                "有什么认识？",
                "我完全接受。作为科室负责人，我对窗口日常管理抓得不严、不细，负有直接责任。",
            ),
            Exchange(
                "整改通知书要求7月31日前完成整改，为什么到期仍有问题未整改到位？",
                "主要是对整改工作重视不够，把整改当成一般性工作布置，没有逐项跟踪落实，"
                "也没有及时向局领导报告进展。",
            ),
            Exchange(
                "下一步你打算怎样整改？",
                "我将逐条对照问题清单，明确每项整改的责任人和完成时间，每周向局领导报告一次进展。",
            ),
        ),
        statement="我诚恳接受组织的诫勉，今后一定严格要求自己，切实履行管理职责，"
        "确保问题整改到位，不再发生类似问题。",
        measures=(
            "8月20日前完成窗口一次性告知单和办事指南的全面更新。",
            "建立窗口工作人员日巡查、周通报制度，巡查结果纳入月度考核。",
            "8月31日前向局党组和中心书面报告整改情况。",
        ),
        talk_kind="诫勉谈话",
    )


def sample_talk_register() -> TalkRegister:
    rows = (
        TalkRegisterRow(
            kind="提醒谈话",
            held_at=datetime(2026, 5, 12, 15, 0),
            talker=Person("刘强", "示范市行政效能投诉中心", "副主任"),
            subject=Person("李娜", "示范市住房和城乡建设局", "物业科科长"),
            reason="交办事项逾期未办结",
            remarks="已书面督办",
        ),
        TalkRegisterRow(
            kind="函询",
            held_at=datetime(2026, 5, 21, 10, 0),
            talker=Person("赵立", "示范市行政效能投诉中心", "督查科副科长"),
            subject=Person("陈刚", "示范市交通运输局", "执法大队大队长"),
            reason="反映选择性执法问题",
            remarks="函询〔2026〕5号",
        ),
        TalkRegisterRow(
            kind="诫勉谈话",
            held_at=datetime(2026, 8, 10, 9, 30),
            talker=Person("刘强", "示范市行政效能投诉中心", "副主任"),
            subject=Person("张伟", "示范市市场监督管理局", "登记注册科科长"),
            reason="整改不到位",
            remarks="诫勉〔2026〕2号",
        ),
    )
    return TalkRegister(rows=rows, period="2026年度", compiled_on=date(2026, 8, 31))


def sample_work_report() -> WorkReport:
    return WorkReport(
        period="2026年10月",
        start_on=date(2026, 10, 1),
        end_on=date(2026, 10, 31),
        compiled_on=date(2026, 11, 3),
        received=48,
        by_kind=(Tally("效能投诉", 31, 31 / 48), Tally("意见建议", 12, 12 / 48), Tally("检查发现", 5, 5 / 48)),
        by_channel=(Tally("来电", 14, 14 / 48), Tally("网络", 11, 11 / 48), Tally("12345转办", 6, 6 / 48)),
        accepted=41,
        assigned=39,
        closed=30,
        closed_on_time=27,
        overdue=5,
        extended=2,
        reworked=3,
        returned=1,
        satisfaction=(Tally("满意", 21, 0.7), Tally("基本满意", 7, 7 / 30), Tally("不满意", 2, 2 / 30)),
        categories=(Tally("办事拖拉", 12, 12 / 48), Tally("推诿扯皮", 8, 8 / 48), Tally("态度生硬", 6, 6 / 48)),
        top_units=(Tally("示范市不动产登记中心", 7, 7 / 48), Tally("示范市市场监督管理局", 5, 5 / 48)),
        urged=9,
        escalations=(Tally("书面督办", 3), Tally("挂牌督办", 1)),
        notices_issued=4,
        notices_closed_on_time=2,
        notices_overdue=1,
        talks=(Tally("提醒谈话", 2), Tally("诫勉谈话", 1)),
        ratios=(Ratio("按时办结率", 27, 30), Ratio("满意率", 28, 30), Ratio("重办率", 3, 30),
                Ratio("整改按期完成率", 2, 3)),
        departments=(DepartmentLine("示范市不动产登记中心", 9, 6, 2, 1, 82.5),
                     DepartmentLine("示范市市场监督管理局", 7, 7, 0, 0, 96.0)),
        repeat_rate=Ratio("重复投诉率", 3, 48),
        next_steps="一是紧盯逾期事项，逐件督办到位。\n二是对被投诉较多的单位开展专项检查。",
        number=DocNumber(2026, 11),
        addressee="示范市人民政府",
    )


_LETTERS = {
    "acceptance": ("您于2026年3月2日反映的“不动产登记窗口多次以系统故障为由不予办理”一事，经审查，"
                   "符合受理条件，已于2026年3月3日予以受理。",
                   "本件由示范市行政效能投诉中心负责办理，办理期限为15个工作日，自受理之日起计算。"),
    "refusal": ("您于2026年3月2日反映的“邻里噪声纠纷”一事，经审查，不属于本中心受理范围，决定不予受理。",
                "理由：该事项属于民事纠纷，依法应通过人民调解或者诉讼途径解决。",
                "您可以向所在街道人民调解委员会申请调解，或者依法向人民法院提起诉讼。"),
    "transfer": ("您反映的“不动产登记窗口多次以系统故障为由不予办理”一事，已于2026年3月3日交"
                 "示范市自然资源和规划局办理，办理时限为2026年3月24日。",),
    "extension": ("您反映的“不动产登记窗口多次以系统故障为由不予办理”一事，因涉及跨部门系统数据核查，"
                  "情况复杂，经批准，办理期限延长至2026年4月23日。",),
    "answer": ("您反映的“不动产登记窗口多次以系统故障为由不予办理”一事，经示范市自然资源和规划局调查核实，"
               "处理意见如下：",
               "经核查，系统接口故障已于3月5日修复，已为您办结登记，并对窗口负责人进行了批评教育。",
               "如对本处理意见不服，您可以自收到本意见书之日起30日内，向示范市行政效能投诉中心请求复查。"),
    "review": ("您对“不动产登记窗口多次以系统故障为由不予办理”一事的处理意见不服，于2026年4月10日请求复查。"
               "经复查，决定维持原处理意见。",
               "如对本复查意见不服，您可以自收到本意见书之日起30日内，向示范市人民政府请求复核。"),
    "re_review": ("您对“不动产登记窗口多次以系统故障为由不予办理”一事的复查意见不服，于2026年5月20日请求复核。"
                  "经复核，决定维持复查意见。",
                  "本复核意见为终结意见。您就同一事项再次提出的，不再受理。"),
}


def sample_complainant_letter(kind: str = "acceptance") -> ComplainantLetter:
    return ComplainantLetter(kind=kind, number=DocNumber(2026, 8), salutation="张某某",
                             matter_number="XT-2026-00017", paragraphs=_LETTERS[kind],
                             issued_on=date(2026, 3, 3))


SAMPLES: dict[str, Any] = {
    "assignment_slip": sample_assignment_slip,
    "reminder_notice": sample_reminder_notice,
    "rectification_notice": sample_rectification_notice,
    "inquiry_notice": sample_inquiry_notice,
    "admonition_notice": sample_admonition_notice,
    "appeal_decision": sample_appeal_decision,
    "talk_record": sample_talk_record,
    "talk_register": sample_talk_register,
    "work_report": sample_work_report,
    **{f"{kind}_notice": (lambda kind=kind: sample_complainant_letter(kind)) for kind in _LETTERS},
}

# The clue procedure's documents (函询通知书 to a person, 澄清正名通知书).
from supervision.paperwork import clue_documents as _clue_documents  # noqa: E402

SAMPLES.update(_clue_documents.SAMPLES)

# The 督查事项 period documents (督查通报, 督查专报).
from supervision.paperwork import task_reports as _task_reports  # noqa: E402

SAMPLES.update(_task_reports.SAMPLES)

# 督查事项's documents (督查通知).
from supervision.paperwork import task_documents as _task_documents  # noqa: E402

SAMPLES.update(_task_documents.SAMPLES)
