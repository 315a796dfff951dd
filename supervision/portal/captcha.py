"""A small arithmetic question served by the app itself (no third-party service, works offline).

The question and its answer are kept on the server (``PortalCaptcha``); the browser holds only a random
token. A question is good for one attempt: checking marks it answered, right or wrong, with a conditional
UPDATE, so a bot can neither try answers against the same question nor replay a solved one (also not
by sending the same request twice at once).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from supervision import clock
from supervision.models.portal import PortalCaptcha

DIGITS = "零一二三四五六七八九十"


def _number(n: int) -> str:
    """3 → 三, 12 → 十二, 20 → 二十 (numbers up to 20 are enough)."""
    if n <= 10:
        return DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else DIGITS[tens]) + "十" + (DIGITS[ones] if ones else "")


def digest(token: str) -> str:
    """What the server keeps of a browser's token: a database reader cannot answer as that browser."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_question() -> tuple[str, int]:
    a, b = secrets.randbelow(9) + 1, secrets.randbelow(9) + 1
    if secrets.randbelow(2):
        return f"{_number(a + b)}减{_number(b)}等于几？", a
    return f"{_number(a)}加{_number(b)}等于几？", a + b


def issue(session: Session) -> tuple[str, str]:
    """A new question: (the token for the browser, the question's text)."""
    question, answer = new_question()
    token = secrets.token_urlsafe(24)
    session.add(PortalCaptcha(token_digest=digest(token), question=question, answer=str(answer),
                              issued_at=clock.now()))
    return token, question


def check(session: Session, token: object, answer: str, max_age_seconds: int) -> bool:
    """Whether ``answer`` answers the question of ``token``; the question is used up either way. The
    caller commits at once, so the use is kept whatever the rest of the request does."""
    if not isinstance(token, str) or not token:
        return False
    now = clock.now()
    used = session.execute(
        update(PortalCaptcha)
        .where(PortalCaptcha.token_digest == digest(token), PortalCaptcha.answered_at.is_(None),
               PortalCaptcha.issued_at >= now - timedelta(seconds=max_age_seconds))
        .values(answered_at=now)
        .returning(PortalCaptcha.answer)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    if used is None:
        return False
    given = (answer or "").strip().translate(str.maketrans("０１２３４５６７８９", "0123456789"))
    return secrets.compare_digest(given, used)
