"""What a person's name, an organisation's name or a cohort's title may hold.

These are shown to other people, and a person's name is printed on their certificate, so they may
not hold characters that change how the text around them reads while being invisible themselves:
Unicode's bidirectional controls (``"Ali exe.png\u202e\u202c Khan"`` shows in a misleading order),
other format characters (category Cf: zero-width spaces, word joiners, byte-order marks) and
control characters. The zero-width non-joiner and joiner are Urdu spelling (they decide whether
two letters join), so they may stand between two Arabic-script letters, and nowhere else.

A name is printed exactly as it is stored: a character the certificate's fonts lack would vanish
from the PDF, so such a name is refused where it is typed (registration, profile, roster).
"""

from __future__ import annotations

import unicodedata

from flask_babel import lazy_gettext as _l

from lms.certificates import glyphs
from lms.services import ServiceError

#: Embeddings, overrides and isolates, the marks, and the Arabic letter mark.
BIDI_CONTROLS = frozenset(
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
)
JOINERS = frozenset("\u200c\u200d")

DIRECTION_CONTROL = _l(
    "Remove the invisible text-direction character %(character)s: it can make the text read in a "
    "misleading order."
)
INVISIBLE_CHARACTER = _l("Remove the invisible character %(character)s from this field.")
NOT_PRINTABLE = _l(
    "The certificate cannot print these characters: %(characters)s. Write the name in Latin "
    "(English) or Urdu letters, as it should appear on the certificate."
)


def describe(ch: str) -> str:
    """``U+202E (RIGHT-TO-LEFT OVERRIDE)``: how a message names a character nobody can see."""
    name = unicodedata.name(ch, "") or {"\x00": "NULL", "\t": "TAB"}.get(ch, "control character")
    return f"U+{ord(ch):04X} ({name})"


def _arabic(ch: str) -> bool:
    return unicodedata.name(ch, "").startswith("ARABIC")


def invisible_characters(text: str) -> list[str]:
    """The characters of ``text`` that change its reading without being seen (see the module)."""
    found = []
    for index, ch in enumerate(text):
        category = unicodedata.category(ch)
        if category not in ("Cc", "Cf", "Cs", "Co", "Cn") and ch not in BIDI_CONTROLS:
            continue
        between_arabic = 0 < index < len(text) - 1 and all(
            _arabic(text[i]) for i in (index - 1, index + 1)
        )
        if not (ch in JOINERS and between_arabic):
            found.append(ch)
    return found


def check_label(text: str, field: str | None = None) -> None:
    """Refuse a name, organisation or title holding invisible characters (``ServiceError``)."""
    found = invisible_characters(text)
    if found:
        first = found[0]
        template = DIRECTION_CONTROL if first in BIDI_CONTROLS else INVISIBLE_CHARACTER
        raise ServiceError(template % {"character": describe(first)}, field)


def check_printed_name(text: str, field: str | None = "full_name") -> None:
    """Refuse a person's name that the certificate could not print as typed (``ServiceError``)."""
    check_label(text, field)
    missing = glyphs.unprintable(text)
    if missing:
        shown = " ".join(dict.fromkeys(missing))  # each once, in the order typed
        raise ServiceError(NOT_PRINTABLE % {"characters": shown}, field)
