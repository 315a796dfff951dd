"""The documents of 督查事项 (SPEC §13): the numbered 督查通知 that sends an item's tasks to the units.
(督查通报 / 督查专报 are in task_reports.py.) Built from what the office wrote for the item and its tasks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from supervision.paperwork.data import DocNumber
from supervision.paperwork.layout import OfficeProfile, OfficialDocument, format_doc_number
from supervision.paperwork.standard import format_cn_date, format_deadline, join_cn

TITLES = {"task_notice": "督查通知"}
PREFIX_KEY = "task_notice"


@dataclass(frozen=True)
class TaskNoticeMilestone:
    due_on: date
    title: str
    expected_result: str = ""
    provisional: bool = False


@dataclass(frozen=True)
class TaskNoticeLine:
    """One unit's task as the notice lists it."""

    unit: str
    role: str  # 牵头 / 配合
    deadline: date
    requirements: str = ""
    responsible: str = ""  # 责任人
    deadline_provisional: bool = False
    milestones: tuple[TaskNoticeMilestone, ...] = ()


@dataclass(frozen=True)
class TaskNotice:
    """督查通知: the item, where it comes from, the tasks per unit and how to report."""

    number: DocNumber
    item_serial: str  # DC-2026-00003
    title: str
    source_kind: str  # 领导批示件 / 会议议定事项 …
    content: str
    deadline: date
    issued_on: date
    report_schedule: str  # 每月 25 日前报送 …
    tasks: tuple[TaskNoticeLine, ...] = ()
    source_number: str = ""
    source_date: date | None = None
    source_text: str = ""
    importance: str = ""
    leader_in_charge: str = ""
    expected_result: str = ""
    deadline_provisional: bool = False
    contact_person: str = ""
    contact_phone: str = ""
    copy_to: tuple[str, ...] = ()

    @property
    def addressees(self) -> tuple[str, ...]:
        seen: list[str] = []
        for line in sorted(self.tasks, key=lambda t: t.role != "牵头"):
            if line.unit not in seen:
                seen.append(line.unit)
        return tuple(seen)


def _source_sentence(data: TaskNotice) -> str:
    when = f"{format_cn_date(data.source_date)}" if data.source_date else ""
    number = f"（{data.source_number}）" if data.source_number else ""
    return f"根据{when}{data.source_kind}{number}"


def build_task_notice(data: TaskNotice, profile: OfficeProfile) -> bytes:
    title = TITLES["task_notice"]
    number = format_doc_number(profile.prefix(PREFIX_KEY), data.number.year, data.number.seq)
    office = profile.office_name
    paper = OfficialDocument(profile, title=title)
    paper.document_head(title, number)
    paper.salutation(join_cn(data.addressees) if data.addressees else "各有关单位")
    importance = f"（{data.importance}）" if data.importance and data.importance != "一般" else ""
    paper.body(
        f"{_source_sentence(data)}，经{data.leader_in_charge + '同志' if data.leader_in_charge else '领导'}审核同意，"
        f"现将“{data.title}”{importance}列为督查事项（编号：{data.item_serial}），交由你单位办理。有关事项通知如下："
    )
    paper.heading(1, "一、督查内容")
    for line in (data.content or "").splitlines():
        if line.strip():
            paper.body(line.strip())
    if data.source_text.strip():
        paper.body(f"{data.source_kind}原文：{data.source_text.strip()}")
    if data.expected_result.strip():
        paper.body(f"预期成效：{data.expected_result.strip()}")
    paper.heading(1, "二、任务分工")
    if not data.tasks:
        paper.body("具体任务分工另行通知。")
    for n, task in enumerate(data.tasks, start=1):
        paper.heading(2, f"（{_cn(n)}）{task.unit}（{task.role}）")
        parts = [task.requirements.strip() or "按照督查内容抓好落实。"]
        if task.responsible:
            parts.append(f"责任人：{task.responsible}。")
        parts.append(f"完成时限：{format_deadline(task.deadline, task.deadline_provisional)}。")
        paper.body("".join(parts))
        if task.milestones:
            paper.numbered([
                f"{format_deadline(m.due_on, m.provisional)}前：{m.title}"
                + (f"，{m.expected_result}" if m.expected_result else "") + "。" for m in task.milestones])
    paper.heading(1, "三、工作要求")
    paper.numbered((
        "请你单位收到本通知后1个工作日内在督查督办系统中签收，明确分管领导和责任人，细化工作措施。",
        f"请按{data.report_schedule}的要求报送工作进展，如实反映进度、存在问题和下步打算，并附佐证材料；"
        "牵头单位负责汇总配合单位的办理情况。",
        f"全部任务须于{format_deadline(data.deadline, data.deadline_provisional)}前完成。"
        "办结后在系统中提出办结申请，经复核同意后销号。",
        "逾期未报送进展或未按期完成的，将依次予以催办、书面督办、挂牌督办，并纳入年度目标管理考核。",
    ))
    paper.contact(data.contact_person, data.contact_phone)
    paper.body("特此通知。")
    paper.signature(data.issued_on)
    copy_to = [f"{data.leader_in_charge}同志"] if data.leader_in_charge else []
    paper.imprint([*copy_to, *data.copy_to], data.issued_on)
    return paper.to_bytes()


def _cn(n: int) -> str:
    from supervision.paperwork.standard import cn_numeral

    return cn_numeral(n)


BUILDERS = {"task_notice": build_task_notice}


# --- a fully filled-in example (previews, tests, `flask paperwork samples`) ----------------------------
def sample_task_notice() -> TaskNotice:
    return TaskNotice(
        number=DocNumber(2026, 12), item_serial="DC-2026-00012", title="老旧小区加装电梯审批提速",
        source_kind="领导批示件", source_number="市领导批示〔2026〕45号", source_date=date(2026, 3, 2),
        source_text="加装电梯是群众的急难愁盼，请住建局牵头、相关部门配合，两个月内拿出提速方案并落实。",
        content="梳理老旧小区加装电梯审批环节，压缩办理时限，推行并联审批和“一窗受理”。\n"
                "对已受理未办结的申请逐件过堂，限期办结。",
        importance="重要", leader_in_charge="李建国", expected_result="审批时限由45个工作日压缩至20个工作日以内。",
        deadline=date(2026, 6, 30), issued_on=date(2026, 3, 5), report_schedule="每月25日前报送",
        tasks=(
            TaskNoticeLine("示范市住房和城乡建设局", "牵头", date(2026, 6, 30),
                           "制定审批提速方案，牵头推进并联审批。", "王志刚（副局长）",
                           milestones=(TaskNoticeMilestone(date(2026, 4, 15), "提速方案报市政府", "方案经常务会审议"),
                                       TaskNoticeMilestone(date(2026, 5, 31), "并联审批上线运行"))),
            TaskNoticeLine("示范市自然资源和规划局", "配合", date(2026, 5, 31), "简化规划核验手续。", "陈丽"),
            TaskNoticeLine("示范市市场监督管理局", "配合", date(2026, 5, 31), "电梯使用登记即办。", "周涛"),
        ),
        contact_person="王明", contact_phone="0571-87654321", copy_to=("市政府办公室",))


SAMPLES = {"task_notice": sample_task_notice}
