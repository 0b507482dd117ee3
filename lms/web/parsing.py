"""Reading what a request sends: ids and whole numbers, typed text, JSON bodies.

Every place where request text becomes a number, or typed text goes to the database, reads it
through here, so that bad input is a 4xx with a clear message and never a 500 from Python, the
driver or the database:

- numbers are ASCII digits only (``"²".isdigit()`` is true and ``int("٣")`` is 3, neither is a
  number a form sends) and stay inside the database's integer range;
- typed text holds no control characters (PostgreSQL refuses a NUL) and no lone surrogates;
- a JSON body nests at most ``JSON_MAX_DEPTH`` deep (Python's parser gives up with a
  ``RecursionError`` near a thousand).
"""

from __future__ import annotations

import re

from flask.json.provider import DefaultJSONProvider
from werkzeug.routing import BaseConverter, ValidationError

#: The largest value of the database's INTEGER (PostgreSQL's int4): every id and number column.
DB_INT_MAX = 2**31 - 1
_DIGITS = re.compile(r"-?[0-9]+")


def whole_number(text: object, *, low: int = -DB_INT_MAX, high: int = DB_INT_MAX) -> int | None:
    """``text`` as an int from ``low`` to ``high``, or ``None``.

    Only ASCII digits with an optional leading minus: no spaces, signs, underscores, superscripts
    or other scripts' digits, which ``int()`` accepts or ``str.isdigit`` lets through.
    """
    if not is_digits(text) or len(text) > 20:
        return None
    value = int(text)
    return value if low <= value <= high else None


def is_digits(text: object) -> bool:
    """Whether ``text`` is written as a whole number: ASCII digits, an optional leading minus."""
    return isinstance(text, str) and _DIGITS.fullmatch(text) is not None


def parse_id(text: object) -> int | None:
    """A row id typed in a URL or a form field name (``status-12``), or ``None``."""
    return whole_number(text, low=1, high=DB_INT_MAX)


class IdConverter(BaseConverter):
    """``<int:name>`` in every route: ASCII digits, within the database's integer range.

    Anything else (``99999999999999999999``, ``²``, ``٣``, ``-1``) matches no route: a 404.
    """

    regex = r"[0-9]{1,20}"
    part_isolating = True

    def to_python(self, value: str) -> int:
        number = parse_id(value)
        if number is None:
            raise ValidationError()
        return number

    def to_url(self, value) -> str:
        return str(int(value))


_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff]")  # Cc, and lone surrogates (Cs)
_CONTROLS_BUT_LINES = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def control_characters(text: str, *, multiline: bool = False) -> list[str]:
    """The control characters (Unicode category Cc) and lone surrogates in ``text``; a multi-line
    field may hold tabs and line breaks."""
    return (_CONTROLS_BUT_LINES if multiline else _CONTROLS).findall(text)


# --- JSON bodies ----------------------------------------------------------------------------------
JSON_MAX_DEPTH = 32


class JSONTooDeep(ValueError):
    """Raised instead of Python's ``RecursionError``; ``request.get_json`` reads it as bad JSON."""


def json_depth_over(text: str | bytes, limit: int) -> bool:
    """Whether arrays and objects in ``text`` nest more than ``limit`` deep.

    Fast for ordinary bodies: a body with at most ``limit`` opening brackets cannot nest deeper,
    and counting them is one pass in C. Only a body with more is scanned (outside strings).
    """
    if isinstance(text, bytes | bytearray):
        text = bytes(text).decode("utf-8", "replace")
    if text.count("[") + text.count("{") <= limit:
        return False
    depth, in_string, escaped = 0, False, False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            if depth > limit:
                return True
        elif ch in "]}":
            depth -= 1
    return False


class BoundedJSONProvider(DefaultJSONProvider):
    """Flask's JSON, refusing bodies nested deeper than ``JSON_MAX_DEPTH`` (``get_json`` then
    answers 400, or ``None`` with ``silent=True``)."""

    def loads(self, s: str | bytes, **kwargs):
        if json_depth_over(s, JSON_MAX_DEPTH):
            raise JSONTooDeep(f"JSON nested more than {JSON_MAX_DEPTH} deep")
        return super().loads(s, **kwargs)
