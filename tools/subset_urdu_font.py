"""Regenerate the Urdu web font: Noto Nastaliq Urdu cut down to the characters the Urdu pages use.

    python tools/subset_urdu_font.py [--source NotoNastaliqUrdu-Regular.ttf]     (or: make fonts)

The characters: every msgstr of the Urdu catalogue and its fragments (lms/translations/ur/**/*.po),
every Urdu lesson, course and quiz translation (courses/**/*.ur.*, quizzes/**/*.ur.*), any Urdu in
templates/, and a base that a new translation is unlikely
to go beyond: the Urdu alphabet with the Arabic letter forms Pakistani keyboards type, the usual
diacritics, Urdu punctuation (، ؛ ؟ ۔ ٪ « »), the Urdu digits, the joiners and the spaces. Of these,
those in URDU_RANGE (Arabic script: Western digits, Latin letters and ASCII punctuation stay with the
system font) go into the subset, with every OpenType layout feature (Nastaliq's shaping lives in
ccmp, init, medi, fina, isol, rlig, curs, mark, mkmk ...) and without hinting (phones ignore it).

The source is Debian's fonts-noto-core (SIL Open Font License 1.1, see static/fonts/README.md):
``apt-get install fonts-noto-core``, or without installing it system-wide
``apt-get download fonts-noto-core && dpkg -x fonts-noto-core_*.deb /tmp/noto`` and pass
``--source /tmp/noto/usr/share/fonts/truetype/noto/NotoNastaliqUrdu-Regular.ttf``.
Needs fontTools and brotli (both in the test extras). tests/test_urdu_font.py fails when a
translation brings a character the subset lacks: run this again and commit the new font.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
import unicodedata
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FONTS = ROOT / "static" / "fonts"
SUBSET = FONTS / "NotoNastaliqUrdu-Regular.subset.woff2"
SOURCE_NAME = "NotoNastaliqUrdu-Regular.ttf"
SOURCES = [Path("/usr/share/fonts/truetype/noto") / SOURCE_NAME]

URDU_LETTERS = (
    "ءآأؤإئابپتٹثجچحخدڈذرڑزژسشصضطظعغفقکگلمنںوہھۂۃیےۓ"
    "ةكيهىۀ"  # Arabic forms that keyboards and pasted text bring
)
DIACRITICS = "".join(chr(c) for c in range(0x064B, 0x0656)) + "\u0656\u0658\u0670"
PUNCTUATION = "،؛؟۔٪٫٬«»"
#: Urdu (Extended Arabic-Indic) digits, and the Arabic-Indic ones an Arabic keyboard types
URDU_DIGITS = "".join(chr(c) for c in (*range(0x06F0, 0x06FA), *range(0x0660, 0x066A)))
JOINERS = "\u200c\u200d\u200e\u200f"
BASE = URDU_LETTERS + DIACRITICS + PUNCTUATION + URDU_DIGITS + JOINERS + " \u00a0"

#: What the font draws (its @font-face unicode-range in static/css/urdu.css): Arabic script, the
#: spaces between its words, Urdu quotation marks, the joiners, and ◌ (HarfBuzz's base for a stray
#: mark). Western digits and ASCII punctuation are not in it: they come from the system font, as on
#: English pages, so hours, dates and codes look the same in both languages and inside Latin text
#: (an e-mail address, a name) on an Urdu page.
URDU_RANGE = (
    (0x0020, 0x0020), (0x00A0, 0x00A0), (0x00AB, 0x00AB), (0x00BB, 0x00BB),
    (0x0600, 0x06FF), (0x0750, 0x077F), (0x08A0, 0x08FF), (0x200C, 0x200F), (0x25CC, 0x25CC),
    (0xFB50, 0xFDFF), (0xFE70, 0xFEFF),
)  # fmt: skip
ARABIC_BLOCKS = (
    (0x0600, 0x06FF),
    (0x0750, 0x077F),
    (0x08A0, 0x08FF),
    (0xFB50, 0xFDFF),
    (0xFE70, 0xFEFF),
)


def is_arabic_script(char: str) -> bool:
    return any(low <= ord(char) <= high for low, high in ARABIC_BLOCKS)


def needs_the_font(char: str) -> bool:
    """Whether the Urdu font, not the system's, draws ``char`` on an Urdu page."""
    return any(low <= ord(char) <= high for low, high in URDU_RANGE)


def css_unicode_range() -> str:
    """URDU_RANGE as CSS writes it."""
    return ", ".join(
        f"U+{low:04X}" if low == high else f"U+{low:04X}-{high:04X}" for low, high in URDU_RANGE
    )


def catalogue_texts(root: Path = ROOT) -> Iterable[str]:
    """Each msgstr (every plural form) of the Urdu catalogue and its fragments."""
    from babel.messages.pofile import read_po

    for po in sorted((root / "lms" / "translations" / "ur").rglob("*.po")):
        with po.open("rb") as source:
            catalogue = read_po(source, locale="ur")
        for message in catalogue:
            strings = (
                message.string if isinstance(message.string, tuple | list) else [message.string]
            )
            yield from (s for s in strings if s)


def content_texts(root: Path = ROOT) -> Iterable[str]:
    """The Urdu translations of lessons, courses and quizzes (``*.ur.md``, ``*.ur.yaml`` ...)."""
    for folder in ("courses", "quizzes"):
        for path in sorted((root / folder).rglob("*.ur.*")):
            yield path.read_text(encoding="utf-8")


def source_texts(root: Path = ROOT) -> Iterable[str]:
    """Arabic-script text written into the templates. (Urdu in the code, such as the language
    switch's اردو, is shown on English pages, which do not load the font.)"""
    for path in sorted((root / "templates").rglob("*.html")):
        text = path.read_text(encoding="utf-8")
        yield "".join(c for c in text if is_arabic_script(c))


def used_characters(root: Path = ROOT) -> set[str]:
    """Every character of the Urdu interface and content, as NFC (how the pages send it)."""
    chars: set[str] = set()
    for text in (*catalogue_texts(root), *content_texts(root), *source_texts(root)):
        chars |= set(unicodedata.normalize("NFC", text))
    return {c for c in chars if c.isprintable() or c in JOINERS}


def wanted_characters(root: Path = ROOT) -> set[str]:
    return {c for c in used_characters(root) | set(BASE) if needs_the_font(c)}


def find_source(explicit: Path | None) -> Path:
    for candidate in [explicit] if explicit else SOURCES:
        if candidate and candidate.is_file():
            return candidate
    raise SystemExit(
        f"{explicit or SOURCES[0]} not found. Install Debian's fonts-noto-core, or unpack it with\n"
        "  apt-get download fonts-noto-core && dpkg -x fonts-noto-core_*.deb /tmp/noto\n"
        f"and pass --source /tmp/noto/usr/share/fonts/truetype/noto/{SOURCE_NAME}"
    )


def subset(source: Path, out: Path, characters: set[str]) -> tuple[set[str], set[str]]:
    """Write the woff2 subset; return (characters kept, wanted characters the source lacks)."""
    from fontTools import subset as ftsubset
    from fontTools.ttLib import TTFont

    font = TTFont(source, recalcTimestamp=False)  # the same input gives the same bytes
    cmap = font.getBestCmap()
    kept = {c for c in characters if ord(c) in cmap}
    options = ftsubset.Options()
    options.layout_features = ["*"]  # Nastaliq's joining, stacking and mark placement
    options.layout_scripts = ["*"]
    options.hinting = False
    options.flavor = "woff2"
    options.notdef_outline = True
    options.glyph_names = False
    subsetter = ftsubset.Subsetter(options)
    subsetter.populate(unicodes=sorted({ord(c) for c in kept} | {0x25CC}))
    subsetter.subset(font)
    out.parent.mkdir(parents=True, exist_ok=True)
    font.flavor = "woff2"
    font.save(out)
    return kept, characters - kept


def _describe(chars: Iterable[str]) -> str:
    return ", ".join(f"U+{ord(c):04X} {unicodedata.name(c, '?')}" for c in sorted(chars))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, help=f"the full {SOURCE_NAME}")
    parser.add_argument("--out", type=Path, default=SUBSET)
    options = parser.parse_args(argv)
    source = find_source(options.source)
    kept, missing = subset(source, options.out, wanted_characters())
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    print(
        f"{options.out.relative_to(ROOT) if options.out.is_relative_to(ROOT) else options.out}: "
        f"{len(kept)} characters, {options.out.stat().st_size / 1024:.1f} KB "
        f"(from {source}, {source.stat().st_size / 1024:.0f} KB, sha256 {digest[:16]}...)"
    )
    if missing:
        print(f"not in the source font, drawn by a fallback: {_describe(missing)}", file=sys.stderr)
    print(f"its unicode-range in static/css/urdu.css: {css_unicode_range()}")
    readme = FONTS / "README.md"
    if readme.exists() and options.out == SUBSET:
        size = options.out.stat().st_size
        text = readme.read_text(encoding="utf-8")
        text = re.sub(r"(?m)^- Size: .*$", f"- Size: {size} bytes ({size / 1024:.1f} KB)", text)
        text = re.sub(r"(?m)^- Source sha256: .*$", f"- Source sha256: {digest}", text)
        readme.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
