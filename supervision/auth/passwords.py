"""The rules a new password must meet: long enough, letters and digits, not a common password, not the
user's own name, username, phone or e-mail.

The common-password list is Django's (20,000 passwords, see COMMON-PASSWORDS-LICENSE.txt beside it); the
similarity test follows Django's UserAttributeSimilarityValidator (difflib's quick ratio against each
attribute and each of its parts, 0.7), plus a plain "contains" test for parts of three characters or more.
"""

from __future__ import annotations

import functools
import gzip
import re
from collections.abc import Iterable
from difflib import SequenceMatcher
from pathlib import Path

from supervision.errors import ValidationError

COMMON_PASSWORDS_FILE = Path(__file__).with_name("common-passwords.txt.gz")
MAX_SIMILARITY = 0.7


@functools.cache
def common_passwords() -> frozenset[str]:
    with gzip.open(COMMON_PASSWORDS_FILE, "rt", encoding="utf-8") as lines:
        return frozenset(line.strip() for line in lines)


def is_common(password: str) -> bool:
    return password.lower().strip() in common_passwords()


def _too_long_to_compare(password: str, value: str) -> bool:
    """Django's length bound: a short value inside a much longer password does not make it similar."""
    return len(password) >= 10 * len(value) and len(value) < MAX_SIMILARITY / 2 * len(password)


def resembles(password: str, attributes: Iterable[str]) -> bool:
    """Whether the password contains or closely resembles any attribute (or part of one)."""
    password = password.lower()
    for value in attributes:
        value = (value or "").strip().lower()
        if not value:
            continue
        for part in {*re.split(r"[\W_]+", value), value}:
            if not part:
                continue
            if len(part) >= 3 and part in password:
                return True
            if not _too_long_to_compare(password, part) and \
                    SequenceMatcher(a=password, b=part).quick_ratio() >= MAX_SIMILARITY:
                return True
    return False


def check_password_rules(password: str, min_length: int, attributes: Iterable[str] = ()) -> None:
    """Raise ValidationError with the first rule ``password`` breaks. ``attributes``: the user's username,
    name, phone and e-mail."""
    if len(password) < min_length:
        raise ValidationError(f"密码至少 {min_length} 位。")
    if password.isdigit() or password.isalpha():
        raise ValidationError("密码须同时包含字母和数字。")
    if is_common(password):
        raise ValidationError("该密码过于常见，容易被猜中，请换一个。")
    if resembles(password, attributes):
        raise ValidationError("密码不能包含用户名、姓名、电话或邮箱，也不能与之过于相似。")
