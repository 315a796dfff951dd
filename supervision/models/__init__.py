"""All models, imported so that Alembic and the mapper registry see every table."""

from supervision.models.audit import AuditChainHead, AuditEntry
from supervision.models.base import Base
from supervision.models.counters import SerialCounter
from supervision.models.org import Department, DepartmentKind, Role, User

__all__ = ["AuditChainHead", "AuditEntry", "Base", "Department", "DepartmentKind", "Role",
           "SerialCounter", "User"]
