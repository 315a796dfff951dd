"""All models, imported so that Alembic and the mapper registry see every table."""

from supervision.models.audit import AuditChainHead, AuditEntry
from supervision.models.base import Base
from supervision.models.cache import SharedFigure
from supervision.models.clues import (
    Clue,
    ClueAttachment,
    ClueDisposal,
    ClueInquiry,
    CluePerson,
    ClueReporter,
    ClueReporterNotice,
    ClueVerification,
)
from supervision.models.calendar import CalendarOverride, LimitStep, PublishedYear, TimeLimitRule
from supervision.models.complainants import ComplainantNotice, ReviewRequest
from supervision.models.counters import SerialCounter
from supervision.models.documents import GeneratedDocument
from supervision.models.files import FileContent, PendingUpload
from supervision.models.escalation import Delivery, Escalation, Notification, NotificationItem
from supervision.models.matters import (
    Assignment,
    Attachment,
    Category,
    Complainant,
    Extension,
    Matter,
    MatterEvent,
    Reply,
)
from supervision.models.jobs import JobState, LedgerImportJob
from supervision.models.logins import LoginAttempt
from supervision.models.org import Department, DepartmentKind, Role, User
from supervision.models.tasks import (Task, TaskAttachment, TaskClosure, TaskInstruction, TaskItem, TaskMilestone,
                                      TaskReport)
from supervision.models.talks import Talk, TalkAttachment, TalkExchange, TalkLink, TalkParticipant
from supervision.models.portal import (CitizenRating, FigureRow, FigureSnapshot, PeriodKind, PortalCaptcha,
                                      PortalLookup)
from supervision.models.search import SearchChange, SearchLogPrune
from supervision.models.settings import OfficeSetting
from supervision.models.statistics import AssessmentIndicator, AssessmentWeight
from supervision.models.rectification import (
    RectificationEvent,
    RectificationEvidence,
    RectificationItem,
    RectificationNotice,
    RectificationReport,
)

__all__ = ["OfficeSetting", "AssessmentIndicator", "AssessmentWeight", "Assignment", "Attachment", "AuditChainHead", "AuditEntry", "SharedFigure",
           "Base", "CalendarOverride",
           "Category", "CitizenRating", "Clue", "ClueAttachment", "ClueDisposal", "ClueInquiry", "CluePerson",
           "ClueReporter", "ClueReporterNotice", "ClueVerification", "Complainant", "ComplainantNotice", "Delivery", "Department", "DepartmentKind",
           "Escalation", "Extension", "FigureRow", "FigureSnapshot", "FileContent", "GeneratedDocument", "JobState", "LedgerImportJob", "LimitStep", "LoginAttempt", "PendingUpload",
           "Matter", "MatterEvent", "Notification", "NotificationItem", "PeriodKind", "PublishedYear", "PortalCaptcha", "PortalLookup", "RectificationEvent",
           "RectificationEvidence", "RectificationItem", "RectificationNotice", "RectificationReport",
           "Reply", "ReviewRequest", "Role", "SearchChange", "SearchLogPrune", "SerialCounter", "Talk", "TalkAttachment", "Task", "TaskAttachment", "TaskClosure",
           "TaskInstruction", "TaskItem", "TaskMilestone", "TaskReport", "TalkExchange", "TalkLink",
           "TalkParticipant", "TimeLimitRule", "User"]
