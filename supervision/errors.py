"""Domain errors that services raise and views turn into a Chinese message."""

from __future__ import annotations


class DomainError(Exception):
    """A rule of the procedure refused the request; ``str(error)`` is shown to the user."""


class WorkflowError(DomainError):
    """The move is not legal from the object's current state."""


class PermissionDenied(DomainError):
    """The actor may not do this."""


class ValidationError(DomainError):
    """The input breaks a rule the form could not check."""


class StaleObjectError(DomainError):
    """Someone else changed the object since the form was loaded."""

    def __init__(self, message: str = "该事项已被他人修改，请刷新页面查看最新内容后重试。") -> None:
        super().__init__(message)


class NonWorkdayError(ValidationError):
    """A date a person typed falls on a non-working day; ``next_workday`` is the day the form offers."""

    def __init__(self, message: str, day, next_workday) -> None:
        super().__init__(message)
        self.day, self.next_workday = day, next_workday
