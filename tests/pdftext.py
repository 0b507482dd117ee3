"""Comparing the Urdu a PDF reader extracts from a certificate with the Urdu printed on it.

The letters come back as the characters typed (fpdf2 maps each shaped glyph to its cluster's
characters, so no presentation forms), but the glyphs Nastaliq draws without a character of their
own (dots, joins) come back as stray control or ASCII characters, and since every Nastaliq glyph is
placed on its own sloping baseline, a reader (pypdf here; pdfium does no better) breaks a line into
pieces it orders by position: part visual order, words split. So Urdu is compared by its letters
(NFKC, Arabic letters and marks) as a multiset: every letter is there, as many times. Latin text
comes back exactly.
"""

from __future__ import annotations

import unicodedata
from collections import Counter


def letters(text: str) -> str:
    """The Arabic-script letters and marks of ``text``, NFKC-normalised, nothing else."""
    return "".join(
        ch
        for ch in unicodedata.normalize("NFKC", text)
        if unicodedata.name(ch, "").startswith("ARABIC") and unicodedata.category(ch)[0] in "LM"
    )


def missing_urdu(extracted: str, expected: str) -> str:
    """The letters of ``expected`` that ``extracted`` lacks (each as often as it lacks it)."""
    return "".join((Counter(letters(expected)) - Counter(letters(extracted))).elements())


def same_urdu(extracted: str, expected: str) -> bool:
    """Whether ``extracted`` holds exactly the Arabic-script letters of ``expected``."""
    return Counter(letters(extracted)) == Counter(letters(expected))
