"""Names as the certificate prints them: invisible characters refused, every character printable,
and a long name printed whole (wrapped or set smaller, never cut or run off the page)."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pypdf
import pytest

from lms.certificates import glyphs
from lms.certificates.pdf import render
from lms.certificates.view import CertificateView
from lms.services import ServiceError, names

MM_PER_POINT = 25.4 / 72


def view(name: str) -> CertificateView:
    return CertificateView(
        name=name,
        certificate_title="Certificate of Completion in Child Protection and Safety Awareness",
        course_title="Child Protection and Safety Awareness",
        minutes=1050,
        modules=tuple(f"Module {n}: Understanding child abuse and the practitioner's role"
                      for n in range(1, 8)),
        issued_at=datetime(2026, 3, 2, tzinfo=UTC),
        serial="CPSA-2026-000123",
        code="ABCDEFGHJKMNPQRS",
        issuer_name="Children's Champions Programme",
        signatory_name="Dr Sadia Malik",
        signatory_title="Programme Director",
        verify_url="http://127.0.0.1:5000/verify/ABCD-EFGH-JKMN-PQRS",
    )  # fmt: skip


def printed_lines(name: str) -> list[tuple[float, float, str]]:
    """(x, y, text) of every text run on the page, in millimetres from the bottom left."""
    page = pypdf.PdfReader(io.BytesIO(render(view(name)))).pages[0]
    runs = []

    def visit(text, cm, tm, font, size):
        if text.strip():
            runs.append((tm[4] * MM_PER_POINT, tm[5] * MM_PER_POINT, text))

    page.extract_text(visitor_text=visit)
    return runs


@pytest.mark.parametrize(
    "name",
    [
        "Muhammad Abdullah Khan Yousafzai " * 3 + "of Mingora, Swat District",  # 120 characters
        "Wwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwwww",  # one long word
        "Amina Khan",
    ],
)
def test_a_long_name_prints_whole_inside_the_page(name):
    text = pypdf.PdfReader(io.BytesIO(render(view(name)))).pages[0].extract_text()
    # every character, in order (a word longer than the line breaks inside, so compare unspaced)
    assert "".join(name.split()) in "".join(text.split())
    page_width = 297
    for x, _, run in printed_lines(name):
        if run.strip() and run.strip() in name:
            assert 11 < x < page_width - 11, (x, run)  # inside the inner frame


def test_a_long_name_wraps_below_the_line_above_and_above_the_footer():
    long_name = "Muhammad Abdullah Khan Yousafzai " * 3 + "of Mingora, Swat District"
    runs = printed_lines(long_name)
    name_rows = [y for _, y, run in runs if run.strip() and run.strip() in long_name]
    assert len(name_rows) >= 2  # wrapped
    certifies = next(y for _, y, run in runs if "This certifies that" in run)
    signatory = next(y for _, y, run in runs if "Dr Sadia Malik" in run)
    modules = min(y for _, y, run in runs if "Module" in run or "practitioner" in run)
    assert certifies > max(name_rows) and min(name_rows) > modules > signatory + 10


def test_a_mixed_script_name_prints_both_scripts():
    text = pypdf.PdfReader(io.BytesIO(render(view("Ali علی Khan")))).pages[0].extract_text()
    assert "Ali" in text and "Khan" in text and "علی" in text


def test_the_fonts_cover_latin_and_urdu_names_but_not_everything():
    assert glyphs.unprintable("Amina Khan Zoë Łódź آمنہ خان") == []
    assert glyphs.unprintable("测试 🙂 Ünïcødé") == ["测", "试", "🙂"]
    assert not glyphs.needs_arabic_font("Zoë") and glyphs.needs_arabic_font("آمنہ")


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("Ali exe.png\u202e\u202c Khan", "U+202E (RIGHT-TO-LEFT OVERRIDE)"),
        ("Ali\u2067Khan\u2069", "U+2067 (RIGHT-TO-LEFT ISOLATE)"),
        ("Ali\u200fKhan", "U+200F (RIGHT-TO-LEFT MARK)"),
        ("Ali\u200bKhan", "U+200B (ZERO WIDTH SPACE)"),
        ("Ali\u00adKhan", "U+00AD (SOFT HYPHEN)"),
        ("Ali\ufeff", "U+FEFF"),
        ("Ali\x00", "U+0000 (NULL)"),
        ("Ali \U000e0041", "U+E0041"),  # a tag character
        ("测试", "测 试"),
    ],
)
def test_printed_names_refuse_invisible_and_unprintable_characters(name, shown):
    with pytest.raises(ServiceError) as refused:
        names.check_printed_name(name)
    assert shown in refused.value.message
    assert refused.value.field == "full_name"


def test_labels_refuse_invisible_characters_but_may_use_any_script():
    names.check_label("沙希尔 Sahil")  # an organisation's name is not printed on the certificate
    with pytest.raises(ServiceError, match="misleading order"):
        names.check_label("Sahil\u202d", "name")


def test_a_joiner_stands_only_between_arabic_letters():
    assert names.invisible_characters("نور\u200cخان") == []
    assert names.invisible_characters("Ali\u200dKhan") == ["\u200d"]
    assert names.invisible_characters("\u200cخان") == ["\u200c"]
    assert names.invisible_characters("خان\u200c") == ["\u200c"]
