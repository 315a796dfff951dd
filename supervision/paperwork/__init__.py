"""Official paperwork (.docx) in the GB/T 9704-2012 format.

Plain frozen dataclasses in (:mod:`.data`), bytes out (:mod:`.builders`); the page setup shared by
every document lives in :mod:`.layout`.  No Flask, no database: the caller loads the matter and
fills the dataclass, which is also why a department's documents cannot carry a complainant's
identity — their dataclasses have no field for it.
"""

from supervision.paperwork.builders import (
    BUILDERS,
    DOCUMENT_TITLES,
    build_admonition_notice,
    build_appeal_decision,
    build_assignment_slip,
    build_inquiry_notice,
    build_rectification_notice,
    build_reminder_notice,
    build_talk_record,
    build_talk_register,
    build_work_report,
)
from supervision.paperwork.data import (
    AdmonitionMethod,
    AdmonitionNotice,
    AppealDecision,
    AppealResult,
    AssignmentSlip,
    DocNumber,
    Exchange,
    InquiryNotice,
    Person,
    RectificationNotice,
    ReminderNotice,
    SupervisionLevel,
    TalkRecord,
    TalkRegister,
    TalkRegisterRow,
    Tally,
    WorkReport,
)
from supervision.paperwork.layout import Fonts, OfficeProfile, format_cn_date, format_doc_number

__all__ = [
    "BUILDERS",
    "DOCUMENT_TITLES",
    "AdmonitionMethod",
    "AdmonitionNotice",
    "AppealDecision",
    "AppealResult",
    "AssignmentSlip",
    "DocNumber",
    "Exchange",
    "Fonts",
    "InquiryNotice",
    "OfficeProfile",
    "Person",
    "RectificationNotice",
    "ReminderNotice",
    "SupervisionLevel",
    "TalkRecord",
    "TalkRegister",
    "TalkRegisterRow",
    "Tally",
    "WorkReport",
    "build_admonition_notice",
    "build_appeal_decision",
    "build_assignment_slip",
    "build_inquiry_notice",
    "build_rectification_notice",
    "build_reminder_notice",
    "build_talk_record",
    "build_talk_register",
    "build_work_report",
    "format_cn_date",
    "format_doc_number",
]
