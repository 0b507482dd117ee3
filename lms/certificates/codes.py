"""Verification codes: 75 random bits in Crockford base32, plus a check character.

Printed as four groups of four (``7KQM-2D9X-H4TR-PV3A``). Crockford's alphabet leaves out I, L, O
and U, so nothing looks alike; when a code is typed, case, spaces and dashes are ignored, O reads
as 0 and I or L as 1. The last character is a Luhn mod 32 check over the other fifteen, which
catches every single mistyped character and most swaps of neighbours before any lookup.
"""

from __future__ import annotations

import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}
_READ_AS = {"O": "0", "I": "1", "L": "1"}
RANDOM_CHARS = 15  #: 15 x 5 = 75 random bits
LENGTH = RANDOM_CHARS + 1


def check_character(body: str) -> str:
    """Luhn mod N over ``body`` (N = 32)."""
    factor, total, n = 2, 0, len(ALPHABET)
    for ch in reversed(body):
        addend = factor * _VALUE[ch]
        factor = 1 if factor == 2 else 2
        total += addend // n + addend % n
    return ALPHABET[(n - total % n) % n]


def new_code() -> str:
    body = "".join(secrets.choice(ALPHABET) for _ in range(RANDOM_CHARS))
    return body + check_character(body)


def read_typed(typed: str) -> str:
    """What a person typed, as the code's characters: case, spaces and dashes ignored, O read as 0
    and I or L as 1. The one rule for every typed code (certificates and cohort join codes)."""
    return "".join(_READ_AS.get(ch, ch) for ch in typed.upper() if ch not in " -\t\n")


def normalise(typed: str) -> str | None:
    """The code as stored, or ``None`` if what was typed cannot be a code."""
    cleaned = read_typed(typed)
    if len(cleaned) != LENGTH or any(ch not in _VALUE for ch in cleaned):
        return None
    if check_character(cleaned[:-1]) != cleaned[-1]:
        return None
    return cleaned


def grouped(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def serial(course_code: str, year: int, number: int) -> str:
    return f"{course_code}-{year}-{number:06d}"
