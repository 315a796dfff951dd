"""Index documents built from database rows: what each record puts into the search index.

The rule of the whole module (docs/domain.md §1, whistleblower protection): a document's ``title`` and ``body``
are *stored* and shown in result snippets to every viewer the document is scoped to (the office and
the departments in ``department_ids``), so they hold only what all of those may read on the record's
own page. What only the office may read (complaint content, complainant identity, follow-up notes,
and each department's own part of a matter) goes to the engine's ``identity`` field, which is
searched only for office staff and never stored or shown.

Each kind of record is a :class:`Source` in :data:`SOURCES`: how to count and page through its rows,
how to turn a batch of ids into documents, and which ORM objects touch it (for the change log).
A new area adds one ``Source``; the change log, ``flask search reindex`` and ``flask search check`` pick
it up from there.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload, selectinload

BATCH = 500


@dataclass(frozen=True)
class Source:
    kind: str  # the prefix of the document id: "matter:12"
    label: str  # 中文, for the kind filter and the results
    model: type  # the root row; its primary key is the document's number
    build: Callable[[Session, list[int]], list[dict]]  # documents of these ids (missing ids: no document)
    # ORM classes whose change means "reindex that root": class -> function(obj) -> root id or a
    # (Parent class, parent id) pair resolved to a root id in the flushing transaction (see changes.py)
    touched_by: dict[type, Callable[[Any], Any]]
    # which parent rows resolve to a root id: (Parent class) -> column of the root id
    parents: dict[type, Any]


def document_version(doc: dict) -> str:
    """A digest of everything the document holds: ``check`` then finds any drift between the index and
    the database, whichever table changed (a reply, a complainant's phone number, a department's name),
    not only what bumps the root row's version counter. (The identity text it covers is in the index's
    postings anyway; the digest reveals nothing more.)"""
    payload = json.dumps({k: v for k, v in doc.items() if k != "version"}, sort_keys=True,
                         ensure_ascii=False, default=_plain)
    return hashlib.sha1(payload.encode("utf-8")).hexdigest()[:20]


def _plain(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return str(value)


def _finish(doc: dict) -> dict:
    doc["version"] = document_version(doc)
    return doc


def _join(*parts: str | None, sep: str = "\n") -> str:
    return sep.join(p.strip() for p in parts if p and p.strip())


def _labelled(label: str, value: str | None) -> str:
    return f"{label}：{value.strip()}" if value and value.strip() else ""


def _in_batches(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), BATCH):
        yield ids[start:start + BATCH]


# --- matters ---------------------------------------------------------------------------------------
def matter_documents(session: Session, ids: list[int]) -> list[dict]:
    from supervision.models.matters import Assignment, Complainant, Matter

    matters = session.scalars(
        select(Matter).where(Matter.id.in_(ids)).options(
            joinedload(Matter.category), joinedload(Matter.respondent_department),
            selectinload(Matter.assignments).joinedload(Assignment.department),
            selectinload(Matter.assignments).selectinload(Assignment.replies),
        )).unique().all()
    complainants = {c.matter_id: c for c in session.scalars(select(Complainant).where(Complainant.matter_id.in_(ids)))}
    return [matter_document(m, complainants.get(m.id)) for m in matters]


def matter_document(matter, complainant=None) -> dict:
    """Body: what every department addressed by the matter reads on its page — the summary, never the
    complainant's words. Each department's own part (requirements, report, return reason, review) is
    shown to that department only (``permissions.can_view_assignment``), so it cannot be in a text
    shared by all of them: it goes, with the content and the complainant, to the office-only field."""
    from supervision.permissions import PENDING_RESPONDENT, department_respondent, department_title

    # 被反映单位/人员 as the departments read them (approved by the office); as received, office only.
    respondent = department_respondent(matter)
    facts = _join(
        matter.category.name if matter.category else "",
        _labelled("被反映单位", respondent.unit if respondent.unit != PENDING_RESPONDENT else ""),
        _labelled("被反映人员", respondent.person if respondent.person != PENDING_RESPONDENT else ""),
        _labelled("检查地点", matter.place),
        _labelled("检查人员", matter.inspectors),
        sep=" · ",
    )
    body = _join(facts, matter.summary, matter.problems, _labelled("处理说明", matter.decision_reason),
                 _labelled("对外答复", matter.public_reply),
                 matter.serial)  # last: shown with the title anyway; here so that 00017 alone finds it
    # The stored title is the 交办标题 (what every department reads); the title as received (a
    # citizen's words) is searchable by the office only.
    title = department_title(matter)
    office_only = [matter.title if matter.title != title else "", matter.content, matter.followup_note,
                   *(text for text in (matter.respondent_unit, matter.respondent_person) if text not in respondent)]
    if complainant is not None:
        office_only += [complainant.name, complainant.phone, complainant.id_number, complainant.address,
                        complainant.work_unit]
    for assignment in matter.assignments:
        office_only += [assignment.department.name, assignment.requirements, assignment.return_reason,
                        assignment.avoidance_override]
        office_only += [text for r in assignment.replies for text in (r.result, r.public_reply, r.review_note)]
    return _finish({
        "id": f"matter:{matter.id}", "kind": "matter", "number": matter.serial, "title": title,
        "body": body, "identity": [v for v in office_only if v],
        "department_ids": sorted(matter.department_ids()),
        "status": f"matter:{matter.status.value}", "matter_kind": matter.kind.value,
        "created": matter.received_on,
    })


def _matter_source() -> Source:
    from supervision.models.matters import Assignment, Complainant, Matter, Reply

    return Source(
        kind="matter", label="事项", model=Matter, build=matter_documents,
        touched_by={
            Matter: lambda o: o.id,
            Complainant: lambda o: o.matter_id,
            Assignment: lambda o: o.matter_id,
            Reply: lambda o: (Assignment, o.assignment_id),
        },
        parents={Assignment: Assignment.matter_id},
    )


# --- rectification notices -------------------------------------------------------------------------
def notice_documents(session: Session, ids: list[int]) -> list[dict]:
    from supervision.models.rectification import RectificationItem, RectificationNotice

    notices = session.scalars(
        select(RectificationNotice).where(RectificationNotice.id.in_(ids), RectificationNotice.number.is_not(None))
        .options(joinedload(RectificationNotice.department),
                 selectinload(RectificationNotice.items).selectinload(RectificationItem.reports))).unique().all()
    return [notice_document(n) for n in notices]


def notice_document(notice) -> dict:
    """Everything on a notice is addressed to its department: the problems, requirements, reports."""
    items = []
    for item in notice.items:
        items.append(_join(f"{item.position}. {item.problem}",
                           *(_join(_labelled("整改情况", r.content), _labelled("验收意见", r.verify_note))
                             for r in item.reports)))
    body = _join(
        _join(notice.department.name, notice.source.label, sep=" · "),
        _labelled("依据", notice.basis), *items, _labelled("整改要求", notice.requirements), notice.number,
    )
    return _finish({
        "id": f"notice:{notice.id}", "kind": "notice", "number": notice.number or "",
        "title": f"整改通知书（{notice.department.name}）", "body": body,
        "department_ids": [notice.department_id], "status": f"notice:{notice.status.value}",
        "created": notice.issued_on,
    })


def _notice_source() -> Source:
    from supervision.models.rectification import (RectificationItem, RectificationNotice,
                                                  RectificationReport)

    return Source(
        kind="notice", label="整改通知书", model=RectificationNotice, build=notice_documents,
        touched_by={
            RectificationNotice: lambda o: o.id,
            RectificationItem: lambda o: o.notice_id,
            RectificationReport: lambda o: (RectificationItem, o.item_id),
        },
        parents={RectificationItem: RectificationItem.notice_id},
    )


# --- talks -----------------------------------------------------------------------------------------
def talk_documents(session: Session, ids: list[int]) -> list[dict]:
    from supervision.models.talks import Talk

    talks = session.scalars(select(Talk).where(Talk.id.in_(ids)).options(
        selectinload(Talk.participants), selectinload(Talk.exchanges))).all()
    return [talk_document(t) for t in talks]


def talk_document(talk) -> dict:
    """Talk records are the office's alone (supervisors and leaders): the document carries no
    department, so no department-scoped search can match it, whatever the kind filter says."""
    people = "、".join(f"{p.role.label}{p.name}" for p in talk.participants)
    body = _join(
        _join(talk.subject_unit, talk.subject_post, sep=" · "),
        _labelled("事由", talk.reason), _labelled("谈话地点", talk.place), people,
        *(_join(_labelled("问", e.question), _labelled("答", e.answer)) for e in talk.exchanges),
        _labelled("表态", talk.statement), _labelled("整改措施", talk.commitments),
        _labelled("函询回复", talk.reply_text), _labelled("跟踪情况", talk.follow_up_note), talk.serial,
    )
    return _finish({
        "id": f"talk:{talk.id}", "kind": "talk", "number": talk.serial,
        "title": f"{talk.kind.label}：{talk.subject_name}", "body": body,
        "department_ids": [], "status": f"talk:{talk.status.value}",
        "created": talk.proposed_at,
    })


def _talk_source() -> Source:
    from supervision.models.talks import Talk, TalkExchange, TalkParticipant

    return Source(
        kind="talk", label="谈话函询", model=Talk, build=talk_documents,
        touched_by={
            Talk: lambda o: o.id,
            TalkParticipant: lambda o: o.talk_id,
            TalkExchange: lambda o: o.talk_id,
        },
        parents={},
    )


# --- 问题线索 (clues) ----------------------------------------------------------------------------------
def clue_documents(session: Session, ids: list[int]) -> list[dict]:
    from supervision.models.clues import Clue, ClueReporter

    clues = session.scalars(select(Clue).where(Clue.id.in_(ids)).options(
        selectinload(Clue.people), selectinload(Clue.verification))).all()
    reporters = {r.clue_id: r for r in session.scalars(select(ClueReporter).where(ClueReporter.clue_id.in_(ids)))}
    return [clue_document(c, reporters.get(c.id)) for c in clues]


def clue_document(clue, reporter=None) -> dict:
    """Clues are the office's alone (SPEC §12): no department is in ``department_ids`` and only office
    staff's scope has the kind "clue". The reporter of a directly registered clue is identity: searched
    by who may see identity, never stored (a clue from a matter has its reporter in the matter's document)."""
    people = "；".join(_join(p.name, p.unit, p.post, p.cadre_level.label, sep=" ") for p in clue.people)
    verification = clue.verification
    body = _join(
        _join(clue.source.label, clue.source_note, sep=" · "), people, clue.summary,
        _labelled("结论", clue.conclusion), _labelled("说明", clue.conclusion_note),
        _labelled("初核报告", verification.report if verification else ""),
        _labelled("澄清正名", clue.clearance_note), clue.serial,
    )
    office_only = []
    if reporter is not None:
        office_only += [reporter.name, reporter.phone, reporter.id_number, reporter.address, reporter.work_unit]
    return _finish({
        "id": f"clue:{clue.id}", "kind": "clue", "number": clue.serial,
        "title": f"问题线索：{clue.people_names}" if clue.people else "问题线索", "body": body,
        "identity": [v for v in office_only if v], "department_ids": [],
        "status": f"clue:{clue.status.value}", "created": clue.received_on,
    })


def _clue_source() -> Source:
    from supervision.models.clues import Clue, CluePerson, ClueReporter, ClueVerification

    return Source(
        kind="clue", label="问题线索", model=Clue, build=clue_documents,
        touched_by={
            Clue: lambda o: o.id,
            CluePerson: lambda o: o.clue_id,
            ClueReporter: lambda o: o.clue_id,
            ClueVerification: lambda o: o.clue_id,
        },
        parents={},
    )


# --- 督查事项: items (office only) and each unit's task (that unit and the office) ------------------------
def task_item_documents(session: Session, ids: list[int]) -> list[dict]:
    from supervision.models.tasks import Task, TaskItem

    items = session.scalars(select(TaskItem).where(TaskItem.id.in_(ids)).options(
        joinedload(TaskItem.leader), selectinload(TaskItem.tasks).joinedload(Task.department))).unique().all()
    return [task_item_document(item) for item in items]


def task_item_document(item) -> dict:
    """The item as the office registered it. Units read an item only through their own task, so the item's
    document is the office's alone (no department): a unit finds its task's document instead."""
    from supervision.models.tasks import TaskStatus

    units = "、".join(dict.fromkeys(t.department.name for t in item.tasks if t.status != TaskStatus.CANCELLED))
    body = _join(
        _join(item.source_kind.label, item.source_number, item.leader.display_name if item.leader else "",
              sep=" · "),
        item.content, _labelled("批示或纪要原文", item.source_text), _labelled("预期成果", item.expected_result),
        _labelled("责任单位", units), _labelled("督查通知", item.notice_number), item.serial,
    )
    return _finish({
        "id": f"task_item:{item.id}", "kind": "task_item", "number": item.serial, "title": item.title,
        "body": body, "department_ids": [], "status": f"task_item:{item.status.value}",
        "created": item.registered_at,
    })


def task_documents(session: Session, ids: list[int]) -> list[dict]:
    from supervision.models.tasks import Task, TaskReport

    tasks = session.scalars(select(Task).where(Task.id.in_(ids)).options(
        joinedload(Task.item), joinedload(Task.department), selectinload(Task.milestones),
        selectinload(Task.closures), selectinload(Task.reports).selectinload(TaskReport.instructions))).unique().all()
    return [task_document(task) for task in tasks]


def task_document(task) -> dict:
    """One unit's task: what that unit reads on its task's page (the requirements, milestones, its reports,
    the leaders' 批示 on them, its closure applications and the office's answers). Scoped to the unit once
    the task went out to it (``permissions.UNIT_VISIBLE_TASK_STATUSES``); before that, the office's alone."""
    from supervision.permissions import UNIT_VISIBLE_TASK_STATUSES

    item = task.item
    reports = [_join(_labelled(f"进度反馈（{r.percent}%）", r.content), _labelled("存在问题", r.difficulties),
                     *(_labelled("领导批示", i.text) for i in r.instructions)) for r in task.reports]
    body = _join(
        _join(task.department.name, task.role.label, task.responsible_person, sep=" · "),
        _labelled("工作要求", task.requirements),
        *(_join(_labelled("节点", m.title), m.expected_result, sep="：") for m in task.milestones),
        *reports,
        *(_join(_labelled("办结情况", c.summary), _labelled("复核意见", c.note)) for c in task.closures),
        _labelled("评价", task.grade_note), item.serial,
    )
    return _finish({
        "id": f"task:{task.id}", "kind": "task", "number": item.serial,
        "title": f"{item.title}（{task.department.name}·{'子任务' if task.parent_id else task.role.label}）",
        "body": body,
        "department_ids": [task.department_id] if task.status in UNIT_VISIBLE_TASK_STATUSES else [],
        "status": f"task:{task.status.value}", "created": task.created_at,
    })


def _task_item_source() -> Source:
    from supervision.models.tasks import Task, TaskItem

    return Source(kind="task_item", label="督查事项", model=TaskItem, build=task_item_documents,
                  touched_by={TaskItem: lambda o: o.id, Task: lambda o: o.item_id}, parents={})


def _task_source() -> Source:
    from supervision.models.tasks import Task, TaskClosure, TaskInstruction, TaskMilestone, TaskReport

    return Source(
        kind="task", label="督查任务", model=Task, build=task_documents,
        touched_by={Task: lambda o: o.id, TaskMilestone: lambda o: o.task_id, TaskReport: lambda o: o.task_id,
                    TaskInstruction: lambda o: o.task_id, TaskClosure: lambda o: o.task_id},
        parents={})


# --- all sources -----------------------------------------------------------------------------------
_sources: dict[str, Source] | None = None


def sources() -> dict[str, Source]:
    """Every indexed kind, by id prefix. (Built on first use: the models import the whole app.)"""
    global _sources
    if _sources is None:
        _sources = {s.kind: s for s in (_matter_source(), _notice_source(), _talk_source(), _clue_source(),
                                        _task_item_source(), _task_source())}
    return _sources


def split_key(key: str) -> tuple[str, int] | None:
    kind, _, number = key.partition(":")
    return (kind, int(number)) if kind in sources() and number.isdigit() else None


def documents_for(session: Session, keys: Iterable[str]) -> tuple[list[dict], list[str]]:
    """The current documents of these ids, and the ids that no longer have a row (to delete)."""
    wanted: dict[str, list[int]] = {}
    for key in keys:
        parsed = split_key(key)
        if parsed:
            wanted.setdefault(parsed[0], []).append(parsed[1])
    docs: list[dict] = []
    for kind, ids in wanted.items():
        for batch in _in_batches(sorted(set(ids))):
            docs.extend(sources()[kind].build(session, batch))
    found = {d["id"] for d in docs}
    gone = sorted(f"{kind}:{i}" for kind, ids in wanted.items() for i in set(ids) if f"{kind}:{i}" not in found)
    return docs, gone


def count_documents(session: Session) -> int:
    return sum(session.scalar(select(func.count()).select_from(s.model)) or 0 for s in sources().values())


def all_documents(session: Session) -> Iterator[dict]:
    """Every document, batch by batch (ids first, then one query per batch: memory stays flat)."""
    for source in sources().values():
        ids = list(session.scalars(select(source.model.id).order_by(source.model.id)))
        for batch in _in_batches(ids):
            yield from source.build(session, batch)
            session.expunge_all()


def expected_versions(session: Session) -> dict[str, str]:
    """``{id: version}`` of what the index should hold now, for ``SearchIndex.check``."""
    return {doc["id"]: doc["version"] for doc in all_documents(session)}
