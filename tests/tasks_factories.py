"""Factories for the 督查事项 tests: every item and task reaches its state through the real services
(立项 → 审核 → 下发 → 分解 → 签收 → 反馈 → 办结申请 → 销号 → 评价), so it carries the audit rows, the
documents and the light-relevant dates the procedure gives it.

Loaded as a pytest plugin: ask for ``make_task_item`` by name (it brings ``office`` and ``today``: the
lead unit is ``office.department`` with ``office.head``, the co-unit ``office.co_department``).
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from supervision import clock
from supervision.models.tasks import ReportSchedule, TaskGrade, TaskRole, TaskSourceKind
from supervision.tasks import services
from supervision.tasks.services import ItemInput, MilestoneInput, TaskInput

STATES = ("draft", "review", "approved", "issued", "signed", "reported", "applied", "closed", "graded")


def item_input(**overrides) -> ItemInput:
    values = dict(source_kind=TaskSourceKind.INSTRUCTION, title="老旧小区加装电梯审批提速",
                  content="梳理加装电梯审批环节，压缩办理时限，推行并联审批。", source_number="市领导批示〔2026〕45号",
                  source_date=date(2026, 5, 20), source_text="请住建局牵头，两个月内拿出提速方案并落实。",
                  due_on=clock.today() + timedelta(days=60), report_schedule=ReportSchedule.WEEKLY, report_weekday=5,
                  expected_result="审批时限压缩至20个工作日以内。")
    values.update(overrides)
    return ItemInput(**values)


@pytest.fixture
def make_task_item(session, office, paperwork):
    """``make_task_item("signed")``: an item of ``office.leader``'s with a lead task (office.department,
    one milestone in 10 working days) and a co task (office.co_department), driven to ``state``."""

    def make(state: str = "issued", *, co: bool = True, **overrides):
        assert state in STATES, state
        overrides.setdefault("leader_id", office.leader.id)
        item = services.register_item(session, office.supervisor, item_input(**overrides))
        lead = services.add_task(session, office.supervisor, item, TaskInput(
            office.department.id, TaskRole.LEAD, responsible_person="王志刚", requirements="制定提速方案并落实。",
            milestones=[MilestoneInput("提速方案报市政府", "方案经常务会审议", workdays=10)]))
        if co:
            services.add_task(session, office.supervisor, item, TaskInput(
                office.co_department.id, TaskRole.CO, responsible_person="陈丽", requirements="简化核验手续。"))
        steps = STATES[1:STATES.index(state) + 1]
        if "review" in steps:
            services.submit_item(session, office.supervisor, item)
        if "approved" in steps:
            services.approve_item(session, office.leader, item, "同意。")
        if "issued" in steps:
            services.issue_item(session, office.supervisor, item, paperwork)
        if "signed" in steps:
            services.sign_task(session, office.head, lead)
            if co:
                services.sign_task(session, office.co_head, item.tasks[1])
        if "reported" in steps:
            services.report_progress(session, office.head, lead, 40, "已完成审批环节梳理。")
        if "applied" in steps:
            for task, head in ((lead, office.head), *(((item.tasks[1], office.co_head),) if co else ())):
                services.apply_closure(session, head, task, "各项任务已完成。")
        if "closed" in steps:
            for task in item.tasks:
                services.review_closure(session, office.supervisor, task, True, "同意销号。")
        if "graded" in steps:
            services.grade_task(session, office.supervisor, lead, TaskGrade.EXCELLENT, 95, "按期高质量完成。")
        session.commit()
        return item

    return make
