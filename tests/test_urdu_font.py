"""The Urdu web font (static/fonts): a subset of Noto Nastaliq Urdu that draws every character the Urdu
catalogue and the Urdu content use, and still shapes Nastaliq (joining, stacking, marks).

A translation that brings a letter the subset lacks fails here until the subset is regenerated
(``make fonts``, static/fonts/README.md)."""

from __future__ import annotations

import io
import re
import unicodedata
from functools import cache

import pytest
import uharfbuzz as hb
from fontTools.ttLib import TTFont

from tools import subset_urdu_font as tool


@cache
def font() -> TTFont:
    return TTFont(tool.SUBSET)  # woff2: fontTools reads it with brotli


def _describe(chars) -> list[str]:
    return [f"U+{ord(c):04X} {unicodedata.name(c, '?')} ({c})" for c in sorted(chars)]


def test_the_subset_is_a_small_woff2():
    assert tool.SUBSET.read_bytes()[:4] == b"wOF2"
    assert tool.SUBSET.stat().st_size < 150 * 1024  # the whole font is 152 KB as woff2
    assert font()["name"].getDebugName(1) == "Noto Nastaliq Urdu"


def test_its_licence_and_source_are_beside_it():
    licence = (tool.FONTS / "OFL.txt").read_text(encoding="utf-8")
    assert "SIL Open Font License, Version 1.1" in licence and "Noto Nastaliq Urdu" in licence
    readme = (tool.FONTS / "README.md").read_text(encoding="utf-8")
    assert "fonts-noto-core" in readme and f"- Size: {tool.SUBSET.stat().st_size} bytes" in readme


def test_every_urdu_character_in_use_is_in_the_font():
    cmap = font().getBestCmap()
    used = {c for c in tool.used_characters() if tool.needs_the_font(c)}
    missing = {c for c in used if ord(c) not in cmap}
    assert not missing, (
        "the Urdu font lacks characters the translations use; run `make fonts` "
        f"(static/fonts/README.md): {_describe(missing)}"
    )


def test_the_base_alphabet_digits_and_punctuation_are_in_the_font():
    cmap = {chr(c) for c in font().getBestCmap()}
    assert [c for c in tool.BASE if c not in cmap and c != "\u00a0"] == []
    assert set("،؟۔۰۱۲۳۴۵۶۷۸۹ ") <= cmap


def test_the_font_draws_arabic_script_only_and_says_so_in_its_unicode_range():
    """Western digits and Latin come from the system font, as on English pages."""
    cmap = {chr(c) for c in font().getBestCmap()}
    assert not cmap & set("0123456789abcABC.,:()")
    assert all(tool.needs_the_font(c) for c in cmap)
    css = (tool.ROOT / "static" / "css" / "urdu.css").read_text(encoding="utf-8")
    declared = re.search(r"unicode-range:\s*([^;]+);", css).group(1)
    assert " ".join(declared.split()) == tool.css_unicode_range()


def test_the_characters_come_from_the_catalogue_and_the_content(tmp_path):
    po = tmp_path / "lms" / "translations" / "ur" / "fragments" / "x.po"
    po.parent.mkdir(parents=True)
    po.write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "Police"\nmsgstr "ۿ"\n\n'
        'msgid "%(num)d lesson"\nmsgid_plural "%(num)d lessons"\nmsgstr[0] "ݥ"\nmsgstr[1] "ݦ"\n',
        encoding="utf-8",
    )
    lesson = tmp_path / "courses" / "c" / "01-m" / "01-l.ur.md"
    lesson.parent.mkdir(parents=True)
    lesson.write_text("---\ntitle: ڿ\n---\n", encoding="utf-8")
    quiz = tmp_path / "quizzes" / "c" / "01-m.ur.yaml"
    quiz.parent.mkdir(parents=True)
    quiz.write_text("prompt: ۺ\n", encoding="utf-8")
    assert {"ۿ", "ݥ", "ݦ", "ڿ", "ۺ"} <= tool.used_characters(tmp_path)


@cache
def _shaper() -> hb.Font:
    data = io.BytesIO()
    copy = TTFont(tool.SUBSET)
    copy.flavor = None  # HarfBuzz reads TrueType, not woff2
    copy.save(data)
    return hb.Font(hb.Face(data.getvalue()))


def _shaped(text: str, features: dict | None = None) -> hb.Buffer:
    buffer = hb.Buffer()
    buffer.add_str(text)
    buffer.guess_segment_properties()
    hb.shape(_shaper(), buffer, features or {})
    return buffer


def _glyphs(text: str) -> list[int]:
    return [info.codepoint for info in _shaped(text).glyph_infos]


def _offsets(text: str, features: dict | None = None) -> list[int]:
    return [p.y_offset for p in _shaped(text, features).glyph_positions]


@pytest.mark.parametrize(
    "text", ["بچوں کے تحفظ", "تھانہ، ضمانت؟", "نابالغ ملزم۔", "جووینائل جسٹس سسٹم ایکٹ ۲۰۱۸"]
)
def test_urdu_shapes_with_no_missing_glyph(text):
    assert 0 not in _glyphs(text)


def test_the_layout_features_nastaliq_needs_were_kept():
    gsub = {r.FeatureTag for r in font()["GSUB"].table.FeatureList.FeatureRecord}
    gpos = {r.FeatureTag for r in font()["GPOS"].table.FeatureList.FeatureRecord}
    assert {"ccmp", "init", "medi", "fina", "isol", "rlig"} <= gsub
    assert {"curs", "mark", "mkmk"} <= gpos
    # joining: beh at the start and in the middle of a word is not the letter alone (HarfBuzz
    # gives right-to-left glyphs in visual order: the word's first letter comes last)
    alone, start, middle = _glyphs("ب")[0], _glyphs("بب")[-1], _glyphs("ببب")[1]
    assert len({alone, start, middle}) == 3
    # cursive attachment: Nastaliq's letters step down to the baseline along the word
    assert _offsets("ببب") != _offsets("ببب", {"curs": False})
