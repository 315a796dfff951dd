"""线索台账 (.xlsx): the clue register as the list page filters it — two sheets, the clues with their
disposal and result, and every 函询 with its 送达, deadline and reply. No reporter identity at all."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from supervision.clues import queries
from supervision.ledgers.xlsx import Column, Sheet
from supervision.models.clues import Clue, ClueInquiry
from supervision.models.org import User

CHUNK = 500

CLUE_COLUMNS = [
    Column("编号", 16), Column("收到日期", 11, "date"), Column("来源", 12), Column("来源说明", 20),
    Column("被反映人", 12), Column("单位", 24), Column("职务", 16), Column("干部层级", 9), Column("问题摘要", 50),
    Column("实名举报", 8), Column("状态", 12), Column("处置方式", 10), Column("提出人", 10), Column("提出日期", 11, "date"),
    Column("批准人", 10), Column("批准日期", 11, "date"), Column("审批意见", 24), Column("暂存至", 11, "date"),
    Column("函询次数", 8, "int"), Column("初核结论", 12), Column("移送接收单位", 18), Column("办结日期", 11, "date"),
    Column("办结结果", 12), Column("澄清正名", 8), Column("诬告陷害", 8),
]
INQUIRY_COLUMNS = [
    Column("线索编号", 16), Column("次数", 6, "int"), Column("被函询人", 10), Column("单位", 24), Column("职务", 16),
    Column("发出日期", 11, "date"), Column("送达日期", 11, "date"), Column("回复期限", 11, "date"),
    Column("回复日期", 11, "date"), Column("按期回复", 8), Column("签署意见", 16), Column("处理意见", 12),
]


def _yes(flag: bool) -> str:
    return "是" if flag else ""


def clue_sheets(session: Session, user: User, criteria: dict[str, str], today: date, context) -> list[Sheet]:
    statement = (select(Clue).where(*queries.conditions(**criteria)).order_by(*queries.LIST_ORDER)
                 .options(selectinload(Clue.people), selectinload(Clue.disposals), selectinload(Clue.inquiries),
                          selectinload(Clue.verification)))
    if not queries.permissions.can_view_clues(user):
        statement = statement.where(False)

    def clue_rows() -> Iterator[list]:
        for clue in session.scalars(statement.execution_options(yield_per=CHUNK)):
            decided = clue.approved_disposal or (clue.disposals[-1] if clue.disposals else None)
            v = clue.verification
            for n, person in enumerate(clue.people or [None]):
                yield [clue.serial, clue.received_on, clue.source.label, clue.source_note,
                       person.name if person else "", person.unit if person else "", person.post if person else "",
                       person.cadre_level.label if person else "", clue.summary if n == 0 else "（同上）",
                       _yes(clue.real_name), clue.status.label, decided.way.label if decided else "",
                       decided.proposed_by.display_name if decided else "",
                       decided.proposed_at.date() if decided else None,
                       decided.decided_by.display_name if decided and decided.decided_by else "",
                       decided.decided_at.date() if decided and decided.decided_at else None,
                       decided.decision_note if decided else "", clue.review_on, len(clue.inquiries),
                       v.result.label if v and v.result else "", v.receiving_body if v else "",
                       clue.concluded_at.date() if clue.concluded_at else None, clue.conclusion,
                       _yes(clue.cleared_at is not None), _yes(clue.false_accusation)]

    inquiry_statement = (select(ClueInquiry, Clue.serial).join(Clue, ClueInquiry.clue_id == Clue.id)
                         .where(*queries.conditions(**criteria)).order_by(*queries.LIST_ORDER, ClueInquiry.round))
    if not queries.permissions.can_view_clues(user):
        inquiry_statement = inquiry_statement.where(False)

    def inquiry_rows() -> Iterator[list]:
        for inquiry, serial in session.execute(inquiry_statement.execution_options(yield_per=CHUNK)):
            on_time = "" if inquiry.replied_on is None or inquiry.reply_due_on is None else (
                "否" if inquiry.replied_late() else "是")
            yield [serial, inquiry.round, inquiry.addressee_name or "（待补全）", inquiry.addressee_unit,
                   inquiry.addressee_post, inquiry.issued_at.date(), inquiry.served_on, inquiry.reply_due_on,
                   inquiry.replied_on, on_time, inquiry.countersigned_by,
                   inquiry.outcome.label if inquiry.outcome else ""]

    return [Sheet("线索台账", CLUE_COLUMNS, clue_rows(), context.preamble),
            Sheet("函询", INQUIRY_COLUMNS, inquiry_rows(), context.preamble)]
