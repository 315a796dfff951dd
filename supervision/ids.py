"""Ids and small numbers typed into URLs and forms: ASCII digits only (``"²".isdigit()`` is true, but
``int("²")`` fails) and within the database's INTEGER (a bigger number overflows SQLite and PostgreSQL)."""

from __future__ import annotations

MAX_ID = 2**31 - 1


def parse_id(raw: object) -> int | None:
    """The id written in ``raw``, or None when it is not one (empty, not ASCII digits, too large)."""
    text = str(raw).strip() if raw is not None else ""
    if not text or len(text) > 10 or not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if 0 < value <= MAX_ID else None
