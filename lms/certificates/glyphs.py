"""Which characters the certificate can print: the cmaps of its fonts, read once per process.

Latin script prints in Noto Sans; Urdu in Noto Nastaliq Urdu, the script's book hand; an
Arabic-script name with a letter Nastaliq lacks (Pashto, Sindhi) in Noto Naskh Arabic, which has
them all (``pdf``). A character no font has would vanish from the page without a word, so names are
checked here where they are typed. fontTools (which fpdf2 uses to read fonts) reads only the cmap
tables: about 15 ms, on the first check, not at start-up.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

FONTS = Path(__file__).parent / "fonts"
LATIN = FONTS / "NotoSans-Regular.ttf"
LATIN_BOLD = FONTS / "NotoSans-Bold.ttf"
ARABIC_BOLD = FONTS / "NotoNaskhArabic-Bold.ttf"
NASTALIQ = FONTS / "NotoNastaliqUrdu-Regular.ttf"
NASTALIQ_BOLD = FONTS / "NotoNastaliqUrdu-Bold.ttf"


@cache
def _codepoints(path: Path) -> frozenset[int]:
    from fontTools.ttLib import TTFont

    with TTFont(path, lazy=True) as font:
        return frozenset(font.getBestCmap())


def needs_arabic_font(text: str) -> bool:
    """Whether some character of ``text`` is missing from Noto Sans (Urdu, Arabic)."""
    latin = _codepoints(LATIN_BOLD)
    return any(ord(ch) not in latin for ch in text)


def arabic_family(text: str) -> str:
    """``nastaliq`` when Noto Nastaliq Urdu has every character of ``text`` that Noto Sans lacks,
    else ``naskh``: one word is never split between two Arabic fonts (they could not join)."""
    latin, nastaliq = _codepoints(LATIN_BOLD), _codepoints(NASTALIQ_BOLD)
    return (
        "nastaliq" if all(ord(ch) in nastaliq for ch in text if ord(ch) not in latin) else "naskh"
    )


def unprintable(text: str) -> list[str]:
    """The characters of ``text`` that no font of the certificate has, in order."""
    latin, arabic = _codepoints(LATIN_BOLD), _codepoints(ARABIC_BOLD)
    nastaliq = _codepoints(NASTALIQ_BOLD)
    return [
        ch
        for ch in text
        if ord(ch) not in latin and ord(ch) not in arabic and ord(ch) not in nastaliq
    ]
