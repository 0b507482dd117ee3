"""Which characters the certificate can print: the cmaps of its fonts, read once per process.

A name prints in bold, in Noto Sans with Noto Naskh Arabic for what Noto Sans lacks (``pdf``). A
character neither font has would vanish from the page without a word, so names are checked here
where they are typed. fontTools (which fpdf2 uses to read fonts) reads only the cmap tables: about
15 ms, on the first check, not at start-up.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

FONTS = Path(__file__).parent / "fonts"
LATIN_BOLD = FONTS / "NotoSans-Bold.ttf"
ARABIC_BOLD = FONTS / "NotoNaskhArabic-Bold.ttf"


@cache
def _codepoints(path: Path) -> frozenset[int]:
    from fontTools.ttLib import TTFont

    with TTFont(path, lazy=True) as font:
        return frozenset(font.getBestCmap())


def needs_arabic_font(text: str) -> bool:
    """Whether some character of ``text`` is missing from Noto Sans (Urdu, Arabic)."""
    latin = _codepoints(LATIN_BOLD)
    return any(ord(ch) not in latin for ch in text)


def unprintable(text: str) -> list[str]:
    """The characters of ``text`` that neither font of the certificate has, in order."""
    latin, arabic = _codepoints(LATIN_BOLD), _codepoints(ARABIC_BOLD)
    return [ch for ch in text if ord(ch) not in latin and ord(ch) not in arabic]
