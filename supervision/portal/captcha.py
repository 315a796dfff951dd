"""A small arithmetic question served by the app itself (no third-party service, works offline).

The answer is kept in the session and is good for one attempt only: checking removes it, right or
wrong, so a bot cannot try answers against the same question.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import MutableMapping

KEY = "portal_captcha"
DIGITS = "零一二三四五六七八九十"


def _number(n: int) -> str:
    """3 → 三, 12 → 十二, 20 → 二十 (numbers up to 20 are enough)."""
    if n <= 10:
        return DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else DIGITS[tens]) + "十" + (DIGITS[ones] if ones else "")


def issue(store: MutableMapping) -> str:
    """A new question (replacing any earlier one); returns its text."""
    a, b = secrets.randbelow(9) + 1, secrets.randbelow(9) + 1
    if secrets.randbelow(2):
        question, answer = f"{_number(a + b)}减{_number(b)}等于几？", a
    else:
        question, answer = f"{_number(a)}加{_number(b)}等于几？", a + b
    store[KEY] = {"q": question, "a": str(answer), "t": int(time.time())}
    return question


def current(store: MutableMapping) -> str | None:
    entry = store.get(KEY)
    return entry["q"] if entry else None


def check(store: MutableMapping, answer: str, max_age_seconds: int) -> bool:
    """Whether ``answer`` answers the question in ``store``; the question is used up either way."""
    entry = store.pop(KEY, None)
    if not entry or int(time.time()) - int(entry.get("t", 0)) > max_age_seconds:
        return False
    given = (answer or "").strip().translate(str.maketrans("０１２３４５６７８９", "0123456789"))
    return secrets.compare_digest(given, entry["a"])
