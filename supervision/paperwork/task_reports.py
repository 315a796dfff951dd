"""督查通报 and 督查专报 (SPEC §13): the period document of the 督查事项 — the items by light, the units
late with their tasks, the progress, and the leaders' 批示 on the reports.

Both are one builder: a 通报 is sent to the units (主送 各有关单位) and closes with what they must do; a
专报 goes to the leaders (主送 the leaders in charge) and closes with the office's next steps. Items are
the government's own work, not citizens' matters: nothing here can carry a complainant.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from supervision.paperwork.data import DocNumber, Tally
from supervision.paperwork.layout import (
    OfficeProfile,
    OfficialDocument,
    cn_numeral,
    format_cn_date,
    format_doc_number,
    label,
    value,
)

TITLES = {"task_bulletin": "督查通报", "task_report": "督查专报"}
PREFIX_KEYS = {"task_bulletin": "task_bulletin", "task_report": "task_report"}
LIGHT_ORDER = ("红灯", "黄灯", "绿灯")  # the order items are listed in: what needs a leader first
ITEM_COLUMNS_MM = (12, 46, 30, 24, 14, 30)  # 序号 | 事项 | 牵头单位 | 完成时限 | 进度 | 最新进展
UNIT_COLUMNS_MM = (12, 56, 22, 22, 22, 22)  # 序号 | 单位 | 逾期任务 | 红灯 | 催办督办 | 最长逾期


@dataclass(frozen=True)
class BulletinItem:
    """One 督查事项 as the period document lists it."""

    serial: str  # DC-2026-00012 (the register's, tasks.services.format_serial)
    title: str
    light: str  # 红灯 / 黄灯 / 绿灯 / 已办结
    lead_units: str  # 牵头单位 (several joined with 、)
    leader: str = ""  # 分管领导
    due_on: date | None = None
    progress: int | None = None  # per cent, the mean of its tasks' latest reports
    latest: str = ""  # the latest progress report, in short


@dataclass(frozen=True)
class LateUnit:
    """A unit with tasks past their deadline (or a missed report) at the end of the period."""

    unit: str
    late_tasks: int
    red_tasks: int
    urged: int  # 催办 and 督办 issued to it for tasks in the period
    longest_days: int  # working days the most overdue task is late


@dataclass(frozen=True)
class InstructionLine:
    """A leader's 批示 on a progress report."""

    leader: str
    item_title: str
    text: str
    given_on: date


@dataclass(frozen=True)
class TaskBulletin:
    kind: str  # "task_bulletin" (督查通报) or "task_report" (督查专报)
    period: str  # 2026年11月 / 2026年第四季度
    start_on: date
    end_on: date
    compiled_on: date
    items_total: int  # items open at some time in the period
    items_new: int  # registered (立项) in the period
    items_closed: int  # closed (销号) in the period
    tasks_total: int
    tasks_closed: int
    tasks_late: int
    lights: tuple[Tally, ...]  # 红灯 / 黄灯 / 绿灯 counts of the open items
    items: tuple[BulletinItem, ...]
    late_units: tuple[LateUnit, ...] = ()
    instructions: tuple[InstructionLine, ...] = ()
    reports: int = 0  # progress reports received in the period
    reports_missed: int = 0  # reports due in the period and not made
    urged: int = 0  # 催办 in the period
    escalated: int = 0  # 督办 in the period
    average_progress: int | None = None  # per cent, over the open tasks
    requirements: str = ""  # 工作要求 (通报) / 下一步工作 (专报), one a line; "" → the standard wording
    number: DocNumber | None = None
    addressee: str = ""  # 主送; "" → 各有关单位 (通报) / no 主送 line (专报)
    copy_to: tuple[str, ...] = ()
    as_of: date | None = None  # the figures' day when the period has not ended yet


def bulletin_title(data: TaskBulletin) -> str:
    if data.kind == "task_report":
        return f"关于{data.period}督查事项落实情况的专报"
    return f"关于{data.period}督查事项落实情况的通报"


def _quoted(text: str) -> str:
    """Text to put inside “…”: its own double quotes become single ones (引号里的引号用单引号)."""
    return text.replace("“", "‘").replace("”", "’")


def _percent(value: int | None) -> str:
    return "—" if value is None else f"{value}%"


def _item_table(paper: OfficialDocument, items: list[BulletinItem]) -> None:
    rows = [[label("序号"), label("督查事项"), label("牵头单位"), label("完成时限"), label("进度"),
             label("最新进展")]]
    for n, item in enumerate(items, start=1):
        rows.append([value(str(n), align="center"), value(f"{item.title}\n{item.serial}"),
                     value(item.lead_units + (f"\n分管：{item.leader}" if item.leader else "")),
                     value(format_cn_date(item.due_on) if item.due_on else "—", align="center"),
                     value(_percent(item.progress), align="center"), value(item.latest or "—")])
    paper.table(ITEM_COLUMNS_MM, rows, header_rows=1)


STANDARD_REQUIREMENTS = {
    "task_bulletin": (
        "红灯事项的牵头单位要在收到本通报之日起5个工作日内，向督查部门书面说明逾期原因和整改措施，"
        "明确完成时限。",
        "黄灯事项的责任单位要倒排工期、加快推进，确保按节点完成。",
        "各单位要按要求按时报送进度，逾期未报送的视同未完成，纳入年度目标管理考核。",
    ),
    "task_report": (
        "对红灯事项实行挂牌督办，督查部门每周跟踪，直至办结销号。",
        "对黄灯事项发出催办，提醒责任单位按节点完成。",
        "领导批示事项逐项登记、跟踪落实，办理结果及时报告。",
    ),
}


def build_task_bulletin(data: TaskBulletin, profile: OfficeProfile) -> bytes:
    title = bulletin_title(data)
    paper = OfficialDocument(profile, title=title)
    # The head of the office's periodical (督查通报 / 督查专报 with its 文号), then the subject as title.
    number = "" if data.number is None else format_doc_number(
        profile.prefix(PREFIX_KEYS[data.kind]), data.number.year, data.number.seq)
    paper.document_head(TITLES[data.kind], number)
    paper.title(title)
    addressee = data.addressee or ("各有关单位" if data.kind == "task_bulletin" else "")
    if addressee:
        paper.salutation(addressee)
    unfinished = data.as_of is not None and data.as_of < data.end_on
    span = f"{format_cn_date(data.start_on)}至{format_cn_date(data.as_of if unfinished else data.end_on)}"
    verb = "通报" if data.kind == "task_bulletin" else "报告"
    paper.body(
        f"为推动领导批示、会议议定事项和年度重点工作落实落地，{profile.office_name}对{data.period}（{span}）"
        f"督查事项的推进情况进行了跟踪督查。现将有关情况{verb}如下。"
        + (f"本期至{format_cn_date(data.end_on)}结束，以上数据统计截至{format_cn_date(data.as_of)}。"
           if unfinished else "")
    )

    paper.heading(1, "一、总体情况")
    lights = "，".join(f"{t.label}{t.count}项" for t in data.lights if t.count)
    paper.body(
        f"本期在办督查事项{data.items_total}项，其中新立项{data.items_new}项，办结销号{data.items_closed}项"
        + (f"；未办结事项中{lights}" if lights else "") + "。"
        f"分解任务{data.tasks_total}项，已完成{data.tasks_closed}项，逾期未完成{data.tasks_late}项"
        + (f"，未完成任务平均进度{data.average_progress}%" if data.average_progress is not None else "") + "。"
        f"本期收到进度反馈{data.reports}次，逾期未反馈{data.reports_missed}次；"
        f"发出催办{data.urged}次，督办{data.escalated}次。"
    )

    paper.heading(1, "二、督查事项推进情况")
    groups = {light: [item for item in data.items if item.light == light] for light in LIGHT_ORDER}
    listed = [light for light in LIGHT_ORDER if groups[light]]
    closed = [item for item in data.items if item.light not in LIGHT_ORDER]
    meaning = {"红灯": "已逾期", "黄灯": "临近节点或完成时限", "绿灯": "按计划推进"}
    if not listed and not closed:
        paper.body("本期无在办督查事项。")
    counted = {t.label: t.count for t in data.lights}
    for n, light in enumerate(listed, start=1):
        total = max(counted.get(light, 0), len(groups[light]))
        paper.heading(2, f"（{cn_numeral(n)}）{light}事项（{meaning[light]}，{total}项）")
        if total > len(groups[light]):  # a long list is cut: the ledger has every item
            paper.body(f"以下列出时限最近的{len(groups[light])}项，其余{total - len(groups[light])}项见督查事项台账。")
        _item_table(paper, groups[light])
    if closed:
        total = max(data.items_closed, len(closed))
        paper.heading(2, f"（{cn_numeral(len(listed) + 1)}）本期办结销号事项（{total}项）")
        if total > len(closed):
            paper.body(f"以下列出{len(closed)}项，其余{total - len(closed)}项见督查事项台账。")
        _item_table(paper, closed)

    paper.heading(1, "三、逾期单位")
    if data.late_units:
        paper.body(f"截至{format_cn_date(data.compiled_on)}，以下单位有逾期未完成的督查任务：" + "；".join(
            f"{u.unit}{u.late_tasks}项" for u in data.late_units) + "。")
        rows = [[label("序号"), label("单位"), label("逾期任务"), label("其中红灯"), label("催办督办"),
                 label("最长逾期（工作日）")]]
        for n, unit in enumerate(data.late_units, start=1):
            rows.append([value(str(n), align="center"), value(unit.unit),
                         *(value(str(x), align="center")
                           for x in (unit.late_tasks, unit.red_tasks, unit.urged, unit.longest_days))])
        paper.table(UNIT_COLUMNS_MM, rows, header_rows=1)
    else:
        paper.body(f"截至{format_cn_date(data.compiled_on)}，无逾期未完成督查任务的单位。")

    paper.heading(1, "四、领导批示")
    if data.instructions:
        paper.body(f"本期领导在进度反馈上作出批示{len(data.instructions)}件：")
        paper.numbered([f"{format_cn_date(i.given_on)}，{i.leader}在“{_quoted(i.item_title)}”的进度反馈上批示：“{_quoted(i.text)}”"
                        for i in data.instructions])
    else:
        paper.body("本期无领导批示。")

    heading = "五、工作要求" if data.kind == "task_bulletin" else "五、下一步工作"
    paper.heading(1, heading)
    lines = [line.strip() for line in data.requirements.splitlines() if line.strip()] \
        or list(STANDARD_REQUIREMENTS[data.kind])
    paper.numbered(lines)
    paper.signature(data.compiled_on)
    if data.copy_to:
        paper.imprint(data.copy_to, data.compiled_on)
    return paper.to_bytes()


BUILDERS = {"task_bulletin": build_task_bulletin, "task_report": build_task_bulletin}


# --- fully filled-in examples (previews, tests, `flask paperwork samples`) ---------------------------
def sample_task_bulletin(kind: str = "task_bulletin") -> TaskBulletin:
    return TaskBulletin(
        kind=kind, period="2026年11月", start_on=date(2026, 11, 1), end_on=date(2026, 11, 30),
        compiled_on=date(2026, 12, 2), items_total=14, items_new=3, items_closed=2, tasks_total=41,
        tasks_closed=17, tasks_late=4,
        lights=(Tally("红灯", 2), Tally("黄灯", 3), Tally("绿灯", 7)),
        items=(
            BulletinItem("DC-2026-00007", "老旧小区加装电梯三年行动年度任务", "红灯", "示范市住房和城乡建设局",
                         "李副市长", date(2026, 11, 20), 60, "已完成加装32台，余8台因居民意见不一暂缓施工。"),
            BulletinItem("DC-2026-00011", "市长批示：不动产登记“一窗受理”压缩办理时限", "红灯",
                         "示范市自然资源和规划局、示范市行政审批局", "王副市长", date(2026, 11, 15), 45,
                         "系统对接尚未完成，计划12月10日上线。"),
            BulletinItem("DC-2026-00014", "第12次常务会议议定：农贸市场改造提升", "黄灯", "示范市商务局",
                         "李副市长", date(2026, 12, 8), 80, "8家市场已完工6家。"),
            BulletinItem("DC-2026-00003", "优化营商环境“一件事”集成改革", "绿灯", "示范市行政审批局",
                         "王副市长", date(2026, 12, 31), 70, "第二批12个“一件事”已上线。"),
            BulletinItem("DC-2026-00002", "政协提案第58号：学校周边交通秩序整治", "已办结",
                         "示范市公安局交警支队", "赵副市长", date(2026, 10, 31), 100, "已办结，经复核销号。"),
        ),
        late_units=(LateUnit("示范市住房和城乡建设局", 2, 1, 3, 8), LateUnit("示范市自然资源和规划局", 1, 1, 2, 11)),
        instructions=(InstructionLine("王副市长", "市长批示：不动产登记“一窗受理”压缩办理时限",
                                      "请规划局、审批局本月底前完成系统对接，督查室跟踪。", date(2026, 11, 18)),),
        reports=36, reports_missed=3, urged=5, escalated=2, average_progress=64,
        number=DocNumber(2026, 11), copy_to=("市政府办公室", "市委督查室"),
    )


SAMPLES = {"task_bulletin": sample_task_bulletin, "task_report": lambda: sample_task_bulletin("task_report")}
