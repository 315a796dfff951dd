"""Password checks at the login form, kept to throttle guessing per typed name and per address.

The name is stored as typed (lowercased), whether or not such a user exists, so a throttled name and a
throttled address answer alike for existing and unknown users.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from supervision import clock
from supervision.models.base import Base


class LoginAttempt(Base):
    __tablename__ = "login_attempt"
    __table_args__ = (
        Index("ix_login_attempt_username_attempted_at", "username", "attempted_at"),
        Index("ix_login_attempt_ip_address_attempted_at", "ip_address", "attempted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(40))  # lowercased as typed; need not exist
    ip_address: Mapped[str] = mapped_column(String(45), default="")
    attempted_at: Mapped[datetime] = mapped_column(default=clock.now)
    succeeded: Mapped[bool] = mapped_column(default=False)
    # A failure stops counting once the same name logs in from the same address, or an admin lifts the limit.
    cleared_at: Mapped[datetime | None]
