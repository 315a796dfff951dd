"""When a task's next progress report, next milestone and light fall due. Pure date arithmetic on the
rows and the office calendar; the services store the results on the task (``next_report_on``,
``next_milestone_on``, ``watch_on``) so that lists and the board read them from an index."""

from __future__ import annotations

from calendar import monthrange
from datetime import date, timedelta

from supervision.calendar import WorkCalendar
from supervision.deadlines import WARNING_WORKDAYS, Light
from supervision.models.tasks import ReportSchedule, Task, TaskItem, TaskStatus

DEFAULT_WEEKDAY = 5  # Friday
DEFAULT_MONTH_DAY = 25

# Tasks whose deadlines run (and are swept): issued and not yet applied for closure.
RUNNING = (TaskStatus.ASSIGNED, TaskStatus.RECEIVED)


def _scheduled_after(item: TaskItem, after: date, milestone_dates: list[date]) -> date | None:
    """The first scheduled report date strictly after ``after`` (before moving off a day off)."""
    if item.report_schedule == ReportSchedule.WEEKLY:
        weekday = item.report_weekday or DEFAULT_WEEKDAY
        ahead = (weekday - after.isoweekday()) % 7 or 7
        return after + timedelta(days=ahead)
    if item.report_schedule == ReportSchedule.MONTHLY:
        day = item.report_day or DEFAULT_MONTH_DAY
        if after.day < day:
            return after.replace(day=day)
        year, month = (after.year + 1, 1) if after.month == 12 else (after.year, after.month + 1)
        return date(year, month, min(day, monthrange(year, month)[1]))
    later = [d for d in milestone_dates if d > after]
    return min(later) if later else None


def next_report_on(item: TaskItem, task: Task, after: date, calendar: WorkCalendar) -> date | None:
    """The next report the task owes after ``after``: on a working day, and never past the final
    deadline (the 办结申请 answers that)."""
    scheduled = _scheduled_after(item, after, [m.due_on for m in task.milestones])
    if scheduled is None:
        return None
    if not calendar.is_workday(scheduled):
        scheduled = calendar.next_workday(scheduled)
    return scheduled if scheduled < task.due_on else None


def next_milestone_on(task: Task) -> date | None:
    dates = [m.due_on for m in task.milestones if m.done_on is None]
    return min(dates) if dates else None


def watch_on(task: Task) -> date | None:
    """The earliest deadline the unit must meet next, while the task runs."""
    if task.status not in RUNNING:
        return None
    dates = [d for d in (task.next_report_on, task.next_milestone_on, task.due_on) if d is not None]
    return min(dates)


def watch_label(task: Task) -> str:
    """Which deadline ``watch_on`` is: the next report, a milestone or the final deadline."""
    if task.watch_on is None:
        return ""
    if task.watch_on == task.next_report_on:
        return "进度反馈"
    if task.watch_on == task.next_milestone_on:
        return "节点"
    return "办结时限"


def light(calendar: WorkCalendar, due: date | None, today: date, warning_workdays: int = WARNING_WORKDAYS) -> Light:
    """Green on track, yellow within ``warning_workdays`` working days, red overdue."""
    if due is None:
        return Light.NONE
    if due < today:
        return Light.RED
    if calendar.workdays_between(today, due) <= warning_workdays:
        return Light.YELLOW
    return Light.GREEN
