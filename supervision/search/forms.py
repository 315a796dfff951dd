"""The search page's form (GET, no CSRF): one box and the filters."""

from __future__ import annotations

from wtforms import DateField, SelectField, StringField
from wtforms.validators import Optional

from supervision.ids import parse_id
from supervision.forms import BaseForm
from supervision.models.matters import MatterKind, MatterStatus
from supervision.models.org import User
from supervision.search.engine import MAX_QUERY_CHARS
from supervision.search.service import Scope

KIND_LABELS = {"matter": "事项", "notice": "整改通知书", "talk": "谈话函询", "clue": "问题线索", "task_item": "督查事项",
               "task": "督查任务"}
SORTS = [("relevance", "按相关度"), ("date", "按日期（新→旧）")]


def kind_choices(scope: Scope) -> list[tuple[str, str]]:
    choices = [("", "全部")]
    if "matter" in scope.kinds:
        choices += [("matter", "全部事项")] + [(f"matter.{k.value}", f"事项·{k.label}") for k in MatterKind]
    choices += [(k, KIND_LABELS[k]) for k in ("notice", "talk", "clue", "task_item", "task") if k in scope.kinds]
    return choices


def status_choices(scope: Scope) -> list[tuple[str, str]]:
    from supervision.models.rectification import NoticeStatus
    from supervision.models.clues import ClueStatus
    from supervision.models.talks import TalkStatus
    from supervision.models.tasks import ItemStatus as TaskItemStatus
    from supervision.models.tasks import TaskStatus

    choices = [("", "全部")]
    for kind, statuses in (("matter", MatterStatus), ("notice", NoticeStatus), ("talk", TalkStatus),
                           ("clue", ClueStatus), ("task_item", TaskItemStatus), ("task", TaskStatus)):
        if kind in scope.kinds:
            choices += [(f"{kind}:{s.value}", f"{KIND_LABELS[kind]}·{s.label}") for s in statuses]
    return choices


class SearchForm(BaseForm):
    class Meta:
        csrf = False

    q = StringField("检索词", render_kw={"maxlength": 10_000, "autofocus": True})  # longer input is cut
    kind = SelectField("类型", validators=[Optional()])
    status = SelectField("状态", validators=[Optional()])
    department = SelectField("单位", validators=[Optional()])
    date_from = DateField("日期自", validators=[Optional()])
    date_to = DateField("日期至", validators=[Optional()])
    sort = SelectField("排序", choices=SORTS, validators=[Optional()])

    def __init__(self, formdata, user: User, scope: Scope, **kwargs):
        super().__init__(formdata, **kwargs)
        from supervision.matters.forms import department_choices

        self.kind.choices = kind_choices(scope)
        self.status.choices = status_choices(scope)
        # A department head searches their own department only: no department to choose.
        self.department.choices = department_choices("全部") if scope.departments is None else [("", "本单位")]

    @property
    def text(self) -> str:
        return (self.q.data or "").strip()

    @property
    def cut(self) -> bool:
        """Whether the box held more than the engine reads (it reads the first MAX_QUERY_CHARS)."""
        return len(self.text) > MAX_QUERY_CHARS

    def criteria(self) -> dict:
        """The engine's filter arguments; a value not among the choices (typed into the URL) is ignored."""
        def valid(f) -> str:
            value = f.data or ""
            return value if value in {v for v, _ in f.choices} else ""

        kind, status = valid(self.kind), valid(self.status)
        department = valid(self.department)
        date_from = self.date_from.data if not self.date_from.errors else None
        date_to = self.date_to.data if not self.date_to.errors else None
        return {
            "kinds": [kind.partition(".")[0]] if kind else None,
            "matter_kinds": [kind.partition(".")[2]] if kind.startswith("matter.") else None,
            "statuses": [status] if status else None,
            "department": parse_id(department),
            "date_from": date_from, "date_to": date_to,
            "sort": "date" if self.sort.data == "date" else "relevance",
        }
