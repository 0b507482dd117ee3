"""Refusing passwords that are guessed first: a shipped list of common passwords plus a few rules.

Length limits live with the model (``PASSWORD_MIN``, ``PASSWORD_MAX``); this adds what length alone
lets through: ``aaaaaaaaaa``, ``1234567890``, ``qwertyuiop``, ``password12``, ten spaces. Each rule
gives its own reason, so the person knows what to change.
"""

from __future__ import annotations

import gzip
import re
from functools import cache
from pathlib import Path

from flask_babel import lazy_gettext as _l

_LIST = Path(__file__).with_name("data") / "common-passwords.txt.gz"
_RUNS = (
    "abcdefghijklmnopqrstuvwxyz",
    "0123456789",
    "qwertyuiopasdfghjklzxcvbnm",
    "qwertyuiop",
    "asdfghjkl",
    "zxcvbnm",
    "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",
)
_END = re.compile(r"[\d\W_]+$")
_START = re.compile(r"^[\d\W_]+")

ONLY_SPACES = _l("A password of only spaces is too easy to guess. Use words or other characters.")
ONE_CHARACTER = _l("A password of one character repeated is too easy to guess.")
RUN = _l(
    "A run of neighbouring letters, digits or keys (such as 1234567890 or qwertyuiop) is too easy "
    "to guess."
)
PATTERN = _l("A short pattern repeated (such as abcabcabca) is too easy to guess.")
COMMON = _l(
    "This password is on a list of commonly used passwords that attackers try first. Choose "
    "another: a short sentence of your own is easy to remember and hard to guess."
)
COMMON_PLUS = _l(
    "This is a commonly used password with a few digits or signs added; attackers try those "
    "first. Choose another: a short sentence of your own is easy to remember."
)


@cache
def common_passwords() -> frozenset[str]:
    with gzip.open(_LIST, "rt", encoding="utf-8") as lines:
        return frozenset(line.strip() for line in lines if line.strip())


def _is_run(text: str) -> bool:
    for run in _RUNS:
        cycle = run * 3
        if text in cycle or text in cycle[::-1]:
            return True
    return False


def _is_repeated_pattern(text: str) -> bool:
    for size in range(2, 5):
        unit = text[:size]
        if len(text) > size and (unit * (len(text) // size + 1)).startswith(text):
            return True
    return False


def weakness(password: str) -> str | None:
    """Why ``password`` is too easy to guess, or ``None`` if no rule refuses it."""
    if not password.strip():
        return str(ONLY_SPACES)
    lowered = password.lower()
    compact = "".join(lowered.split())
    if len(set(compact)) == 1:
        return str(ONE_CHARACTER)
    if _is_run(compact):
        return str(RUN)
    if _is_repeated_pattern(compact):
        return str(PATTERN)
    common = common_passwords()
    if lowered in common or compact in common:
        return str(COMMON)
    base = _START.sub("", _END.sub("", compact))
    if len(base) >= 4 and (base in common or _is_run(base)):
        return str(COMMON_PLUS)
    return None
