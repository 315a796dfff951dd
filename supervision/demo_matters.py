"""Demo matters in every state (filled in by the matters area)."""

from __future__ import annotations


def load(session, departments) -> None:  # pragma: no cover - replaced as areas grow
    return None
