"""The certificate in English, in Urdu and in both: its wording from the catalogue, Urdu shaped in
Nastaliq right to left, a name in either script, and where the ink falls on the rendered page.
Extracted Urdu is compared by its letters (``tests.pdftext`` says why).
"""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pypdf
import pypdfium2 as pdfium
import pytest
import uharfbuzz as hb

from lms.certificates import glyphs
from lms.certificates.pdf import LANGUAGES, render, wording
from lms.certificates.view import CertificateView
from lms.config import ROOT
from tests.catalogues import app_config, urdu_translations  # noqa: F401 - fixtures
from tests.pdftext import missing_urdu, same_urdu

MM = 72 / 25.4  #: points per millimetre
URDU_NAME = "آمنہ خان"
URDU_COURSE = "بچوں کے تحفظ اور حفاظت سے آگاہی"
RESULTS = ROOT / "test-results"


def view(name: str = "Amina Khan", **changes) -> CertificateView:
    fields = dict(
        name=name,
        certificate_title="Certificate of Completion in Child Protection and Safety Awareness",
        course_title="Child Protection and Safety Awareness",
        minutes=1050,
        modules=("Understanding child abuse and the practitioner's role",
                 "Child safety assessment tools", "Child protection law in Pakistan"),
        issued_at=datetime(2026, 3, 2, tzinfo=UTC),
        serial="CPSA-2026-000123",
        code="ABCDEFGHJKMNPQRS",
        issuer_name="Children's Champions Programme",
        signatory_name="Dr Sadia Malik",
        signatory_title="Programme Director",
        verify_url="http://127.0.0.1:5000/verify/ABCD-EFGH-JKMN-PQRS",
        course_title_ur=URDU_COURSE,
    )  # fmt: skip
    return CertificateView(**{**fields, **changes})


def text_of(data: bytes) -> str:
    return pypdf.PdfReader(io.BytesIO(data)).pages[0].extract_text()


# --- wording ------------------------------------------------------------------------------------
def test_the_urdu_wording_comes_from_the_catalogue_with_babel_dates(app):
    side = wording(view(expires_at=datetime(2029, 3, 2, tzinfo=UTC)), "ur")
    assert side.rtl
    assert side.title == "سندِ تکمیل"
    assert side.certifies == "تصدیق کی جاتی ہے کہ"
    assert side.completed == (
        "نے 17 گھنٹے 30 منٹ کی تربیت مکمل کی اور درج ذیل کورس کے ہر ماڈیول کا کوئز پاس کیا"
    )
    assert side.course == URDU_COURSE
    assert side.issued == "تاریخِ اجرا: 02 مارچ 2026، 02 مارچ 2029 تک کارآمد"
    assert side.serial == "سیریل نمبر: CPSA-2026-000123"
    assert side.code == "تصدیقی کوڈ: ABCD-EFGH-JKMN-PQRS"
    assert side.notice is None
    # Western digits only, as CLDR has them for Urdu and Pakistani forms print them
    every = " ".join(str(v) for v in vars(side).values())
    assert not [ch for ch in every if "\u0660" <= ch <= "\u0669" or "\u06f0" <= ch <= "\u06f9"]


def test_the_english_wording_is_the_snapshot_and_the_catalogue(app):
    side = wording(view(minutes=60, status="revoked"), "en")
    assert not side.rtl
    assert side.title == "Certificate of Completion in Child Protection and Safety Awareness"
    assert side.completed.startswith("completed 1 hour of training")
    assert side.issued == "Issued on 02 March 2026"
    assert side.notice == "REVOKED: see the verification page"
    assert wording(view(status="expired"), "ur").notice == "میعاد ختم: تصدیقی صفحہ دیکھیں"


def test_without_an_urdu_course_title_the_urdu_side_prints_the_english_one(app):
    assert (
        wording(view(course_title_ur=None), "ur").course == "Child Protection and Safety Awareness"
    )
    text = text_of(render(view(course_title_ur=None), "ur"))
    assert "Child Protection and Safety Awareness" in text


# --- the text on the page -----------------------------------------------------------------------
@pytest.mark.parametrize("name", ["Amina Khan", URDU_NAME])
def test_the_urdu_pdf_holds_the_urdu_wording_and_the_name(app, name):
    data = render(view(name), "ur")
    text = text_of(data)
    side = wording(view(name), "ur")
    printed = (side.title, side.certifies, name, side.completed, side.course, side.issued,
               side.serial, side.code)  # fmt: skip
    for line in printed:
        assert missing_urdu(text, line) == "", line
    # every Urdu letter on the page, and nothing else in Arabic script
    assert same_urdu(text, " ".join(printed))
    if name.isascii():
        assert name in text
    for latin in ("CPSA-2026-000123", "ABCD-EFGH-JKMN-PQRS", view().verify_url, "Dr Sadia Malik"):
        assert latin in text
    assert "This certifies that" not in text  # no English wording on the Urdu page
    assert pypdf.PdfReader(io.BytesIO(data)).metadata.title == f"سندِ تکمیل: {name}"


def test_the_bilingual_pdf_holds_both_wordings_once_each(app):
    text = text_of(render(view(URDU_NAME), "both"))
    english, urdu = wording(view(), "en"), wording(view(), "ur")
    for line in ("This certifies that", "Child Protection and Safety Awareness", english.issued):
        assert line in " ".join(text.split()), line
    assert "completed 17 hours 30 minutes of training" in " ".join(text.split())
    for line in (urdu.title, urdu.certifies, urdu.completed, urdu.course, urdu.issued):
        assert missing_urdu(text, line) == "", line
    assert missing_urdu(text, URDU_NAME) == ""
    assert text.count("ABCD-EFGH-JKMN-PQRS") == 3  # the English code, the Urdu code, the address


def test_every_version_is_one_landscape_page_and_says_its_language(app):
    for language in LANGUAGES:
        reader = pypdf.PdfReader(io.BytesIO(render(view(), language)))
        assert len(reader.pages) == 1
        assert reader.pages[0].mediabox.width > reader.pages[0].mediabox.height
        assert reader.trailer["/Root"]["/Lang"] == ("ur" if language == "ur" else "en")
    with pytest.raises(ValueError, match="language must be one of"):
        render(view(), "fr")


def test_each_version_is_deterministic(app):
    for language in LANGUAGES:
        assert render(view(URDU_NAME), language) == render(view(URDU_NAME), language)


def embedded_fonts(data: bytes) -> set[str]:
    page = pypdf.PdfReader(io.BytesIO(data)).pages[0]
    fonts = page["/Resources"]["/Font"]
    return {str(fonts[key].get_object()["/BaseFont"]).split("+")[-1] for key in fonts}


def test_only_the_fonts_a_version_needs_are_embedded(app):
    assert embedded_fonts(render(view(), "en")) == {"NotoSans", "NotoSansBold"}
    assert "NotoNastaliqUrduBold" in embedded_fonts(render(view(URDU_NAME), "en"))
    urdu = embedded_fonts(render(view(), "ur"))
    assert {"NotoNastaliqUrdu", "NotoNastaliqUrduBold"} <= urdu
    assert not any("Naskh" in font for font in urdu)


# --- names in either script ---------------------------------------------------------------------
def glyph_ids(path, text: str) -> list[int]:
    """The glyphs HarfBuzz shapes ``text`` into with the font at ``path`` (0: a missing glyph)."""
    font = hb.Font(hb.Face(path.read_bytes()))
    buffer = hb.Buffer()
    buffer.add_str(text)
    buffer.guess_segment_properties()
    hb.shape(font, buffer, {})
    return [info.codepoint for info in buffer.glyph_infos]


@pytest.mark.parametrize(
    ("name", "family", "path"),
    [
        (URDU_NAME, "nastaliq", glyphs.NASTALIQ_BOLD),
        ("محمد عبداللہ چودھری", "nastaliq", glyphs.NASTALIQ_BOLD),
        ("ثناء‌اللہ ۂ ۓ", "nastaliq", glyphs.NASTALIQ_BOLD),  # a non-joiner and Urdu's hamza forms
        ("ګل‌بشرې ښکلې خټک", "naskh", glyphs.ARABIC_BOLD),  # Pashto letters Nastaliq lacks
    ],
)
def test_a_name_in_arabic_script_is_set_in_a_font_that_has_every_glyph(app, name, family, path):
    assert glyphs.unprintable(name) == []
    assert glyphs.arabic_family(name) == family
    arabic = "".join(ch for ch in name if glyphs.needs_arabic_font(ch))
    assert 0 not in glyph_ids(path, arabic)  # no missing-glyph boxes
    for language in LANGUAGES:
        text = text_of(render(view(name), language))
        assert missing_urdu(text, name) == "", language
    # the name is the only Arabic script on the English page: its letters exactly
    assert same_urdu(text_of(render(view(name), "en")), name)


def test_a_latin_name_needs_no_arabic_font():
    assert not glyphs.needs_arabic_font("Zoë Łódź-Khan")
    assert 0 not in glyph_ids(glyphs.LATIN_BOLD, "Zoë Łódź-Khan")


# --- the rendered page --------------------------------------------------------------------------
def page_image(data: bytes, name: str):
    """The page as a greyscale image at 4 pixels a millimetre, saved in test-results/ to look at."""
    image = pdfium.PdfDocument(data)[0].render(scale=4 / MM).to_pil().convert("L")
    RESULTS.mkdir(exist_ok=True)
    image.save(RESULTS / f"{name}.png")
    return image


def ink(image, left: float, top: float, right: float, bottom: float) -> float:
    """The share of dark pixels in a rectangle given in millimetres from the top left."""
    box = image.crop((round(left * 4), round(top * 4), round(right * 4), round(bottom * 4)))
    histogram = box.histogram()
    return sum(histogram[:128]) / sum(histogram)


def test_the_urdu_page_has_ink_where_its_texts_are(app):
    image = page_image(render(view(URDU_NAME), "ur"), "certificate-ur")
    assert ink(image, 100, 35, 197, 60) > 0.02  # the title, centred
    assert ink(image, 100, 60, 197, 120) > 0.02  # "this certifies that", the name, the sentence
    assert ink(image, 18, 160, 52, 194) > 0.3  # the QR code, on the left on the Urdu page
    assert ink(image, 245, 160, 279, 172) == 0  # and not on the right
    assert ink(image, 189, 176, 269, 190) > 0.01  # the signatory, on the right
    assert ink(image, 11.5, 11.5, 18, 198.5) == 0  # nothing runs into the margin


def test_the_english_page_mirrors_it(app):
    image = page_image(render(view(URDU_NAME), "en"), "certificate-en")
    assert ink(image, 245, 160, 279, 194) > 0.3  # the QR code on the right
    assert ink(image, 18, 160, 52, 172) == 0
    assert ink(image, 28, 176, 108, 190) > 0.01  # the signatory on the left


def test_the_bilingual_page_has_both_columns(app):
    image = page_image(render(view(URDU_NAME), "both"), "certificate-both")
    assert ink(image, 18, 30, 142, 55) > 0.02  # the English title, left
    assert ink(image, 155, 30, 279, 55) > 0.01  # the Urdu title, right
    assert ink(image, 145, 30, 152, 55) == 0  # the gutter between them
    assert ink(image, 249, 160, 279, 190) > 0.3  # the QR code
    assert ink(image, 11.5, 11.5, 18, 198.5) == 0


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(
    "name",
    [
        ("Muhammad Abdullah Khan Yousafzai " * 3 + "of Mingora, Swat District")[:120],
        ("محمد عبداللہ خان یوسفزئی ولد محمد اسلم خان، مینگورہ، ضلع سوات، خیبر پختونخوا " * 2)[:120],
    ],
    ids=["latin", "urdu"],
)
def test_a_long_name_keeps_every_text_inside_the_frames(app, language, name):
    data = render(view(name, status="revoked", expires_at=datetime(2029, 3, 2, tzinfo=UTC)),
                  language)  # fmt: skip
    image = page_image(data, f"certificate-{language}-long-{name.isascii() and 'latin' or 'urdu'}")
    # between the two frame lines, and between the inner frame and the margins: white
    for band in ((9, 9, 288, 10.6), (9, 199.4, 288, 201), (9, 9, 10.6, 201), (286.4, 9, 288, 201)):
        assert ink(image, *band) == 0, band
    assert ink(image, 11.5, 11.5, 17, 198.5) == 0 and ink(image, 280, 11.5, 285.5, 198.5) == 0


# --- no text over another -----------------------------------------------------------------------
def test_the_measured_reach_of_nastaliq_is_where_its_ink_falls(app):
    """The layout spaces lines by ``_ink``: check it against the rendered page, on words whose
    letters climb far above the baseline."""
    from lms.certificates import pdf as pdf_module

    for word in ("سندِ تکمیل", "تصدیقی کوڈ", "گھنٹے", "بچوں"):
        page = pdf_module._Page(view(), "ur")
        page.set(wording(view(), "ur"), "B", 40)
        above, below = pdf_module._ink(page.pdf, word)
        assert above > 0.75 * page.pdf.font_size  # Nastaliq reaches above Latin capitals
        pdf_module._paragraph(page.pdf, word, 20, 50, 250)
        image = pdfium.PdfDocument(bytes(page.pdf.output()))[0].render(scale=4 / MM).to_pil()
        top, bottom = (v / 4 for v in image.convert("L").point(lambda p: p < 128).getbbox()[1::2])
        # the ink starts where measured, and ends within what was measured (which is never
        # less than a Latin descender)
        assert abs(top - 50) < 0.5 and bottom < 50 + above + below + 0.5, word


def drawn(monkeypatch, certificate: CertificateView, language: str) -> list[tuple]:
    """(left, top, right, bottom, text) of every paragraph the page draws, in millimetres; and
    checks each text with Urdu letters is set (and so measured) in an Arabic-script font."""
    from lms.certificates import pdf as pdf_module

    boxes, real = [], pdf_module._paragraph

    def spy(pdf, text, x, top, width, *, gap=1.0, draw=True):
        assert not pdf.current_font.fontkey.startswith("sans") or not glyphs.needs_arabic_font(
            text
        ), text
        bottom = real(pdf, text, x, top, width, gap=gap, draw=draw)
        if draw:
            boxes.append((x, top, x + width, bottom, text))
        return bottom

    monkeypatch.setattr(pdf_module, "_paragraph", spy)
    render(certificate, language)
    return boxes


QR_CODES = {"en": (245, 160, 279, 194), "ur": (18, 160, 52, 194), "both": (249, 160, 279, 190)}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(
    "name",
    [URDU_NAME, "Amina Khan", ("محمد عبداللہ خان یوسفزئی ولد محمد اسلم خان، مینگورہ " * 3)[:120]],
    ids=["urdu", "latin", "long-urdu"],
)
@pytest.mark.parametrize("expires", [False, True], ids=["valid", "expired"])
def test_no_text_is_drawn_over_another(app, monkeypatch, language, name, expires):
    certificate = (
        view(name, status="expired", expires_at=datetime(2029, 3, 2, tzinfo=UTC))
        if expires
        else view(name)
    )
    boxes = [*drawn(monkeypatch, certificate, language), (*QR_CODES[language], "the QR code")]
    for number, (left, top, right, bottom, text) in enumerate(boxes):
        assert top > 11 and bottom < 199, text  # inside the inner frame
        for other in boxes[number + 1 :]:
            apart = right <= other[0] or other[2] <= left or bottom <= other[1] or other[3] <= top
            assert apart, (text, other[4])


# --- the modules' titles in Urdu ------------------------------------------------------------------
def cpsa_view(name: str = URDU_NAME, **changes) -> CertificateView:
    """The shipped CPSA course's seven modules as a certificate issued today records them, with
    their Urdu lines from course.yaml (what ``lms.certificates.view.view_of`` computes)."""
    from lms.certificates.view import module_line, modules_in
    from lms.content import load_catalog

    course = load_catalog(ROOT).course("cpsa")
    lines = tuple(module_line(m) for m in course.modules)
    return view(name, modules=lines, modules_ur=modules_in(course, lines, "ur"), **changes)


def test_the_module_lines_take_the_urdu_titles_the_content_has_now(app):
    urdu = cpsa_view().modules_ur
    assert urdu[0] == "ماڈیول 1: بچوں سے بدسلوکی کو سمجھنا اور کارکن کا کردار"
    assert len(urdu) == 7 and all("Module" not in line for line in urdu)
    from lms.certificates.view import modules_in
    from lms.content import load_catalog

    course = load_catalog(ROOT).course("cpsa")
    # a line the content no longer has (renamed since it was issued) stays as issued
    kept = modules_in(
        course, ("Module 1: An older title", "Module 2: Child safety assessment tools"), "ur"
    )
    assert kept == ("Module 1: An older title", "ماڈیول 2: بچوں کی حفاظت کی جانچ کے ٹولز")


def test_the_urdu_pdf_prints_the_modules_in_urdu(app):
    certificate = cpsa_view()
    text = text_of(render(certificate, "ur"))
    for line in certificate.modules_ur:
        assert missing_urdu(text, line) == "", line
    assert "Understanding child abuse" not in text
    page_image(render(certificate, "ur"), "certificate-ur-modules")


def test_the_bilingual_pdf_prints_the_modules_in_both_languages(app):
    certificate = cpsa_view()
    data = render(certificate, "both")
    text = " ".join(text_of(data).split())
    assert "Understanding child abuse and the practitioner's role" in text
    for line in certificate.modules_ur:
        assert missing_urdu(text, line) == "", line
    image = page_image(data, "certificate-both-modules")
    assert ink(image, 145, 100, 152, 150) == 0  # the gutter between the modules stays clear


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("expires", [False, True], ids=["valid", "expired"])
def test_no_text_is_drawn_over_another_with_seven_urdu_modules(app, monkeypatch, language, expires):
    name = ("محمد عبداللہ خان یوسفزئی ولد محمد اسلم خان، مینگورہ " * 3)[:120]
    certificate = (
        cpsa_view(name, status="expired", expires_at=datetime(2029, 3, 2, tzinfo=UTC))
        if expires
        else cpsa_view(name)
    )
    boxes = [*drawn(monkeypatch, certificate, language), (*QR_CODES[language], "the QR code")]
    for number, (left, top, right, bottom, text) in enumerate(boxes):
        assert top > 11 and bottom < 199, text
        for other in boxes[number + 1 :]:
            apart = right <= other[0] or other[2] <= left or bottom <= other[1] or other[3] <= top
            assert apart, (text, other[4])
