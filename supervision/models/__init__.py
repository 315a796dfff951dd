"""All models, imported so that Alembic and the mapper registry see every table."""

from supervision.models.audit import AuditChainHead, AuditEntry
from supervision.models.base import Base
from supervision.models.calendar import CalendarOverride, LimitStep, TimeLimitRule
from supervision.models.counters import SerialCounter
from supervision.models.documents import GeneratedDocument
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
from supervision.models.org import Department, DepartmentKind, Role, User

__all__ = ["Assignment", "Attachment", "AuditChainHead", "AuditEntry", "Base", "CalendarOverride", "Category",
           "Complainant", "Department", "DepartmentKind", "Extension", "GeneratedDocument", "LimitStep", "Matter", "MatterEvent",
           "Reply", "Role", "SerialCounter", "TimeLimitRule", "User"]
