"""Declarative base with a naming convention, so migrations name every constraint."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import MetaData
from sqlalchemy import Enum as SAEnum
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from supervision import clock

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class LabelledEnum(StrEnum):
    """A lowercase English value stored in the database, with its Chinese label beside it.

    Members are written ``ADMIN = "admin", "系统管理员"``; ``Role.ADMIN.label`` gives the label.
    """

    label: str

    def __new__(cls, value: str, label: str = ""):
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label or value
        return member

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        return [(member.value, member.label) for member in cls]


def enum_column(enum_cls: type[StrEnum], name: str) -> SAEnum:
    """A portable enum: VARCHAR plus a named CHECK constraint (no native PostgreSQL type)."""
    return SAEnum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(m.value) for m in enum_cls) + 4,
        values_callable=lambda cls: [m.value for m in cls],
        validate_strings=True,
    )


class CreatedAtMixin:
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


def text_length(column) -> int:
    """The declared length of a String column: forms read it so the limit lives in one place."""
    length = column.info.get("max_length") or getattr(column.type, "length", None)
    if length is None:
        raise TypeError(f"{column} has no declared length (give Text columns info={{'max_length': n}})")
    return length


def long_text(max_length: int, **kwargs):
    """A TEXT column whose limit the forms enforce (the database does not need one)."""
    from sqlalchemy import Text

    return mapped_column(Text, info={"max_length": max_length}, **kwargs)
