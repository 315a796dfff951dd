"""The words of the notices to a clue's reporter (SPEC §12). Pure: no database, no Flask.

No paragraph names the reporter, the person concerned or what that person answered: the text is carried
by SMS. The result says only the kind of result, in the words the portal uses for a clue from a matter."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from supervision.paperwork.layout import format_cn_date

# The kind of result (``services.public_result_step``) in the reporter's words; the portal tells the
# reporter of a clue that came from a matter the same (portal.queries.CLUE_STATUS).
RESULT_WORDS = {
    "clue_closed": "经了解核实，已依规予以了结",
    "clue_dealt": "已依规依纪对有关人员作出处理",
    "clue_handed_over": "已按规定移送审查调查",
}


@dataclass(frozen=True)
class About:
    serial: str
    received_on: date
    office: str


def _subject(about: About) -> str:
    return f"您于{format_cn_date(about.received_on)}反映的有关问题"


def acceptance(about: About, accepted_on: date) -> tuple[str, ...]:
    return (f"{_subject(about)}，我们已收到，经审查，已于{format_cn_date(accepted_on)}作为问题线索受理，"
            f"由{about.office or '纪检监察机关'}依规依纪处置。",
            "处置结果将书面告知您。对您反映的问题和您的个人信息，我们将严格保密。")


def result(about: About, step: str) -> tuple[str, ...]:
    return (f"{_subject(about)}，经依规依纪处置，已办结：{RESULT_WORDS[step]}。",
            "感谢您对党风廉政建设的关心和支持。")
