"""The certificate as one A4 landscape page (fpdf2), with a QR code (segno) to its verification page,
in English, in Urdu, or in both side by side (``LANGUAGES``).

Fonts come with the project (``fonts/``, SIL Open Font License), never from the system: Noto Sans
for Latin script, Noto Nastaliq Urdu for Urdu (Noto Naskh Arabic for a name with Arabic-script
letters Nastaliq lacks, ``glyphs``), shaped with HarfBuzz so Urdu is joined, positioned along its
sloping Nastaliq baseline and runs right to left. The fixed texts come from the translation
catalogue, in each side's language (``wording``), and dates are formatted by Babel for it (Western
digits, as CLDR has for Urdu). Nastaliq reaches far above and below its baseline, so each paragraph
is spaced by how far its shaped glyphs actually reach (``_ink``), not by the font size: lines never
overlap, whatever the letters.

The same certificate always gives the same visible page: every date and text on it comes from the
certificate row (the Urdu course title from the course's content), and the file's own dates are set
to the issue date. Only its status line changes: a revoked or expired certificate says so, and sends
the reader to the verification page.
"""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

import segno
import uharfbuzz as hb
from babel.dates import format_date
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from fontTools import ttLib
from fpdf import FPDF
from fpdf.fonts import SubsetMap, TTFFont

from lms.certificates import codes, glyphs
from lms.certificates.view import CertificateView

FONTS = glyphs.FONTS
INK = (29, 35, 39)
BRAND = (11, 85, 99)
MUTED = (79, 91, 98)
ALERT = (163, 38, 27)
#: the versions of the certificate: English, Urdu, and both on one page (English left, Urdu right)
LANGUAGES = ("en", "ur", "both")
DATE_PATTERN = "dd MMMM y"  #: 01 March 2026, 01 مارچ 2026

FOOTER_TOP = 210 - 48 - 6  #: the body ends above this (mm from the top of the page)
FRAME_BOTTOM = 210 - 14  #: the footer's texts end above this, inside the inner frame
#: the body's sizes, its texts' and the spaces between them, largest first
BODY_SCALES = (1.0, 0.92, 0.84, 0.76)
#: The name's font sizes, largest first: a long name is set smaller, and at the smallest size wraps
#: onto more lines, so it is never cut or run off the page.
NAME_SIZES = (28, 24, 20, 17)


@dataclass(frozen=True)
class Wording:
    """One language's texts on the page."""

    locale: str
    title: str
    certifies: str
    completed: str
    course: str
    issued: str
    serial: str
    code: str
    notice: str | None  #: a revoked or expired certificate says so

    @property
    def rtl(self) -> bool:
        return self.locale == "ur"


def _hours(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    whole = ngettext("%(num)d hour", "%(num)d hours", hours)
    if not rest:
        return whole
    # TRANSLATORS: training time, e.g. "17 hours 30 minutes"
    return _("%(hours)s %(minutes)s", hours=whole,
             minutes=ngettext("%(num)d minute", "%(num)d minutes", rest))  # fmt: skip


def wording(view: CertificateView, locale: str) -> Wording:
    """The page's texts in ``locale`` (``en`` or ``ur``): the fixed ones from the catalogue."""
    with force_locale(locale):
        day = lambda moment: format_date(moment, DATE_PATTERN, locale=locale)  # noqa: E731
        if view.expires_at is None:
            issued = _("Issued on %(date)s", date=day(view.issued_at))
        else:
            issued = _("Issued on %(issued)s, valid until %(expires)s",
                       issued=day(view.issued_at), expires=day(view.expires_at))  # fmt: skip
        notice = {
            "revoked": _("REVOKED: see the verification page"),
            "expired": _("EXPIRED: see the verification page"),
        }.get(view.status)
        english = locale == "en"
        return Wording(
            locale=locale,
            title=view.certificate_title if english else _("Certificate of Completion"),
            certifies=_("This certifies that"),
            # TRANSLATORS: follows the learner's name; the course's title is printed below it
            completed=_(
                "completed %(hours)s of training and passed every module quiz of the course",
                hours=_hours(view.minutes),
            ),
            course=view.course_title if english else (view.course_title_ur or view.course_title),
            issued=issued,
            serial=_("Serial %(serial)s", serial=view.serial),
            code=_("Verification code %(code)s", code=codes.grouped(view.code)),
            notice=notice,
        )


# --- fonts, parsed once per process --------------------------------------------------------------
# ``FPDF.add_font`` parses the TTF file (its character map and every glyph's width) for each
# document, which was a third of a certificate's time. Here each font is parsed once into a
# template ``TTFFont``; a document gets a copy that shares the parsed, read-only parts (widths, glyph
# ids, HarfBuzz face) and has its own subset map and its own fontTools object over the same bytes
# (fpdf2 subsets that object in place when it writes the file). This relies on fpdf2's TTFFont
# internals, hence the upper bound on fpdf2 in pyproject.toml; tests/services/test_certificates.py
# checks the bytes are the ones ``add_font`` gives.
_templates: dict[Path, tuple[TTFFont, bytes]] = {}
#: fpdf2 drops these when it subsets a font for the file, but fontTools (4.68) first decompiles
#: them, which for Noto Nastaliq Urdu's thousands of contextual lookups took a second a PDF
LAYOUT_TABLES = ("GDEF", "GSUB", "GPOS")
_templates_lock = threading.Lock()


def _template(path: Path) -> tuple[TTFFont, bytes]:
    with _templates_lock:
        if path not in _templates:
            scratch = FPDF()
            scratch.add_font("template", "", path)
            font = scratch.fonts["template"]
            font.hbfont  # noqa: B018 - load the HarfBuzz face now, so every copy shares it
            if font.color_font is not None:  # it would point at the scratch document
                raise RuntimeError(f"{path.name}: colour fonts are not shared between documents")
            _templates[path] = (font, path.read_bytes())
        return _templates[path]


def lean(ttfont: ttLib.TTFont) -> ttLib.TTFont:
    """A document's own fontTools copy of a font, made cheaper to subset into the file: without
    the layout tables (HarfBuzz shapes from the template's face, and fpdf2 drops them from the
    file) and without recomputing each glyph's bounding box (fontTools would decompile and
    recompile every Nastaliq outline for it; the file keeps the font's own, larger, box)."""
    for tag in LAYOUT_TABLES:
        if tag in ttfont:
            del ttfont[tag]
    ttfont.recalcBBoxes = False
    return ttfont


def _add_font(pdf: FPDF, family: str, style: str, path: Path) -> None:
    """``pdf.add_font(family, style, path)``, without parsing the font again."""
    template, data = _template(path)
    fontkey = f"{family.lower()}{style}"
    font = copy.copy(template)  # TTFFont has __slots__: a shallow copy of every attribute
    font.i = len(pdf.fonts) + 1
    font.fontkey = fontkey
    font.emphasis = type(template.emphasis).coerce(style)
    font.ttfont = lean(ttLib.TTFont(BytesIO(data), recalcTimestamp=False, lazy=True))
    font.cw = copy.copy(template.cw)
    font.glyph_ids = dict(template.glyph_ids)
    font.missing_glyphs = []
    font.biggest_size_pt = 0
    font.subset = SubsetMap(font)
    pdf.fonts[fontkey] = font


class _Document(FPDF):
    """fpdf2's document, remembering each word's width in each font: a paragraph is measured
    before it is drawn, and ``get_string_width`` shapes its text with HarfBuzz every time."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.widths: dict[tuple, float] = {}

    def word_width(self, word: str) -> float:
        shaping = self.text_shaping and self.text_shaping["direction"]
        key = (self.font_family, self.font_style, self.font_size_pt, shaping, word)
        if key not in self.widths:
            font = self.current_font
            if shaping and word and all(ord(ch) in font.cmap for ch in word):
                # HarfBuzz itself: what fpdf2's get_string_width does, without its bidi and
                # fallback passes (a word in one font and one direction needs neither)
                buffer = hb.Buffer()
                buffer.add_str(word)
                buffer.guess_segment_properties()
                hb.shape(font.hbfont, buffer, {})
                advance = sum(p.x_advance for p in buffer.glyph_positions)
                self.widths[key] = advance * self.font_size / font.hbfont.face.upem
            else:
                self.widths[key] = self.get_string_width(word) if word else 0.0
        return self.widths[key]


def _greedy(widths: list[float], space: float, width: float) -> list[int]:
    """Where lines start, filling each with words as long as they fit in ``width``."""
    starts, line = [0], 0.0
    for index, word in enumerate(widths):
        if index > starts[-1] and line + space + word > width and line > 0:
            starts.append(index)
            line = word
        else:
            line += (space if index > starts[-1] else 0.0) + word
    return starts


def _pieces(pdf: _Document, word: str, width: float) -> list[str]:
    """A word longer than the line, cut between characters into pieces that fit."""
    pieces, piece = [], ""
    for ch in word:
        if piece and pdf.get_string_width(piece + ch) > width:
            pieces.append(piece)
            piece = ""
        piece += ch
    return [*pieces, piece]


def _lines(pdf: _Document, text: str, width: float) -> list[str]:
    """``text`` broken between words into as few lines as fit ``width`` in the current font, and
    as even as can be (no word left alone on the last line): the narrowest width that needs no
    more lines, found by halving. Words are measured once each (``multi_cell``'s line breaker
    measures the line again for every character: a third of a certificate's time went there)."""
    width -= 2 * pdf.c_margin
    words = []
    for word in text.split(" "):  # "a   ·   b" has empty words: its spaces are kept
        words.extend(_pieces(pdf, word, width) if pdf.word_width(word) > width else [word])
    widths = [pdf.word_width(word) for word in words]
    space = pdf.word_width(" ")
    starts = _greedy(widths, space, width)
    if len(starts) > 1:
        low, high = width / len(starts), width
        while high - low > 1:
            middle = (low + high) / 2
            if len(_greedy(widths, space, middle)) == len(starts):
                high = middle
            else:
                low = middle
        starts = _greedy(widths, space, high)
    ends = [*starts[1:], len(words)]
    return [" ".join(words[a:b]).strip() for a, b in zip(starts, ends, strict=True)]


def _ink(pdf: FPDF, text: str) -> tuple[float, float]:
    """How far ``text``'s glyphs reach above and below the baseline (mm), shaped by HarfBuzz as
    they are drawn: a Nastaliq line may reach twice its font size above the baseline. Never less
    than Noto Sans's capitals and descenders, so Latin lines are evenly spaced."""
    font = pdf.current_font
    buffer = hb.Buffer()
    buffer.add_str(text)
    buffer.guess_segment_properties()
    hb.shape(font.hbfont, buffer, {})
    top, bottom = 0.0, 0.0
    for info, position in zip(buffer.glyph_infos, buffer.glyph_positions, strict=True):
        extents = font.hbfont.get_glyph_extents(info.codepoint)
        if extents is not None and extents.height:
            top = max(top, position.y_offset + extents.y_bearing)
            bottom = min(bottom, position.y_offset + extents.y_bearing + extents.height)
    scale = pdf.font_size / font.hbfont.face.upem
    return max(top * scale, 0.75 * pdf.font_size), max(-bottom * scale, 0.25 * pdf.font_size)


def _paragraph(
    pdf: FPDF, text: str, x: float, top: float, width: float, *, gap: float = 1.0,
    draw: bool = True,
) -> float:  # fmt: skip
    """``text`` centred in lines between ``x`` and ``x + width``, its highest glyph at ``top``;
    returns where its lowest glyph ends (with ``draw=False``, only measures)."""
    lines = _lines(pdf, text, width)
    reaches = [_ink(pdf, line) for line in lines]
    above, below = max(r[0] for r in reaches), max(r[1] for r in reaches)
    pitch = above + below + gap
    if draw:
        font = (pdf.font_family, pdf.font_style, pdf.font_size_pt)
        for number, line in enumerate(lines):
            baseline = top + above + number * pitch
            # ``cell`` puts the baseline at y + h/2 + 0.3 * font size: with h = font size, 0.8
            pdf.set_xy(x, baseline - 0.8 * pdf.font_size)
            pdf.cell(width, pdf.font_size, line, align="C")
            pdf.set_font(*font)  # a line with fallback text leaves the last fallback font set
    return top + len(lines) * pitch - gap


class _Page:
    """The document, its fonts, and the font and direction each text is set in."""

    def __init__(self, view: CertificateView, language: str):
        pdf = self.pdf = _Document(orientation="L", unit="mm", format="A4")
        pdf.set_creation_date(view.issued_at)
        pdf.set_producer("Children's Champions LMS")
        pdf.set_author(view.issuer_name)
        pdf.set_lang("ur" if language == "ur" else "en")
        pdf.set_auto_page_break(False)
        pdf.set_margins(18, 15, 18)
        # embedded only when needed: subsetting a font is most of a PDF's cost
        _add_font(pdf, "sans", "", glyphs.LATIN)
        _add_font(pdf, "sans", "B", glyphs.LATIN_BOLD)
        families = ["sans"]
        if language != "en":
            _add_font(pdf, "nastaliq", "", glyphs.NASTALIQ)
            _add_font(pdf, "nastaliq", "B", glyphs.NASTALIQ_BOLD)
            families.append("nastaliq")
        self.name_family = "sans"
        if glyphs.needs_arabic_font(view.name):
            self.name_family = glyphs.arabic_family(view.name)
            if self.name_family not in families:
                path = (
                    glyphs.NASTALIQ_BOLD if self.name_family == "nastaliq" else glyphs.ARABIC_BOLD
                )
                _add_font(pdf, self.name_family, "B", path)
                families.insert(1, self.name_family)
        # each font falls back on the others: "Ali علی" has letters of both scripts
        pdf.set_fallback_fonts(families, exact_match=False)
        pdf.add_page()
        self.scale = 1.0  #: of the body's font sizes and spaces (``BODY_SCALES``)

    def set(self, side: Wording | None, style: str, size: float):
        """The font for a text of ``side`` (None: Latin text, the same on every side), and the
        direction: HarfBuzz shaping right to left for Urdu, none for English (it costs time)."""
        pdf = self.pdf
        size *= self.scale
        if side is not None and side.rtl:
            pdf.set_font("nastaliq", style, size)
            pdf.set_text_shaping(use_shaping_engine=True, direction="rtl", language="urd")
        else:
            pdf.set_font("sans", style, size)
            pdf.set_text_shaping(False)
        return self

    def name(self, name: str, x: float, top: float, width: float, draw: bool = True) -> float:
        """The name on one line at the largest size that fits; at the smallest, on as many as it
        needs. It reads in its own direction, by its first letter, on every side (what
        ``dir="auto"`` does on the pages): "Ali علی Khan" left to right, "علی Ali" right to left."""
        pdf = self.pdf
        pdf.set_font(self.name_family, "B", NAME_SIZES[0])
        pdf.set_text_shaping(self.name_family != "sans")  # HarfBuzz, the direction found by it
        for size in NAME_SIZES:
            pdf.set_font_size(size * self.scale)
            if pdf.get_string_width(name) <= width - 2 * pdf.c_margin:
                break
        return _paragraph(pdf, name, x, top, width, gap=2, draw=draw)


def render(view: CertificateView, language: str = "en") -> bytes:
    """The certificate's PDF in ``language`` (one of ``LANGUAGES``)."""
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}")
    page = _Page(view, language)
    pdf = page.pdf
    sides = [wording(view, code) for code in (("en", "ur") if language == "both" else (language,))]
    pdf.set_title(f"{sides[0].title}: {view.name}")

    # a double frame
    pdf.set_draw_color(*BRAND)
    pdf.set_line_width(1.2)
    pdf.rect(8, 8, pdf.w - 16, pdf.h - 16)
    pdf.set_line_width(0.3)
    pdf.rect(11, 11, pdf.w - 22, pdf.h - 22)

    pdf.set_text_color(*BRAND)
    page.set(None, "B", 13)
    width = pdf.w - pdf.l_margin - pdf.r_margin
    top = _paragraph(pdf, view.issuer_name.upper(), pdf.l_margin, 20, width) + 6
    body, footer = (_both_body, _both_footer) if language == "both" else (_one_body, _one_footer)
    for scale in BODY_SCALES:  # smaller when a long name would reach the footer
        page.scale = scale
        free = FOOTER_TOP - top - body(page, view, sides, 0, draw=False)
        if free >= 0:
            break
    # the body a little above the middle of the space between the issuer and the footer
    body(page, view, sides, top + max(0.0, min(free * 0.35, 12)), draw=True)
    page.scale = 1.0
    footer(page, view, sides)
    return bytes(pdf.output())


def _one_body(page: _Page, view: CertificateView, sides: list[Wording], y: float,
              draw: bool) -> float:  # fmt: skip
    """One language, every text centred."""
    pdf = page.pdf
    (side,) = sides
    x, width = pdf.l_margin, pdf.w - pdf.l_margin - pdf.r_margin
    urdu = side.rtl

    def text(style: str, size: float, value: str, top: float, width: float = width) -> float:
        page.set(side, style, size)
        return _paragraph(pdf, value, x + (pdf.w - 2 * x - width) / 2, top, width, draw=draw)

    pdf.set_text_color(*BRAND)
    y = text("B", 27 if urdu else 26, side.title, y)
    pdf.set_text_color(*INK)
    gap = 5 * page.scale
    y = text("", 15 if urdu else 13, side.certifies, y + gap)
    y = page.name(view.name, x, y + gap, width, draw=draw)
    y = text("", 14 if urdu else 13, side.completed, y + gap)
    y = text("B", 17 if urdu else 15, side.course, y + gap / 2)
    return _modules(page, view, x + 30, y + gap, width - 60, draw, side)


def _one_footer(page: _Page, view: CertificateView, sides: list[Wording]) -> None:
    """The signatory, the identifiers and the QR code; mirrored for Urdu (the QR code left)."""
    pdf = page.pdf
    (side,) = sides
    bottom = pdf.h - 48
    signatory_x, ids_x, qr_x = (189, 72, 18) if side.rtl else (28, 115, pdf.w - 18 - 34)
    _signatory(page, view, signatory_x, 80, bottom + 14)

    def ids(top: float, draw: bool) -> float:
        y = _ids(page, side, ids_x, top, 110, 10, draw)
        page.set(None, "", 10)
        y = _paragraph(pdf, view.verify_url, ids_x, y + 0.5, 110, draw=draw)
        if side.notice:
            pdf.set_text_color(*ALERT)
            y = _paragraph(page.set(side, "B", 11).pdf, side.notice, ids_x, y + 2, 110, draw=draw)
        return y

    ids(min(bottom + 4, FRAME_BOTTOM - ids(0, draw=False)), draw=True)
    _qr(pdf, view.verify_url, x=qr_x, y=bottom - 2, size=34)


#: the two columns of the bilingual page: English left, Urdu right (x, width)
COLUMNS = ((18, 124), (297 - 18 - 124, 124))


def _row(page: _Page, sides: list[Wording], top: float, style: str, sizes: tuple[float, float],
         texts: tuple[str, str], draw: bool) -> float:  # fmt: skip
    """Two texts side by side, each centred in the row's height; returns the row's bottom."""
    pdf, heights = page.pdf, []
    for side, size, text, (x, width) in zip(sides, sizes, texts, COLUMNS, strict=True):
        page.set(side, style, size)
        heights.append(_paragraph(pdf, text, x, 0, width, draw=False))
    tallest = max(heights)
    if draw:
        for side, size, text, (x, width), height in zip(
            sides, sizes, texts, COLUMNS, heights, strict=True
        ):
            page.set(side, style, size)
            _paragraph(pdf, text, x, top + (tallest - height) / 2, width)
    return top + tallest


def _both_body(page: _Page, view: CertificateView, sides: list[Wording], y: float,
               draw: bool) -> float:  # fmt: skip
    """English on the left, Urdu on the right, row by row; the name once."""
    pdf = page.pdf
    english, urdu = sides
    pdf.set_text_color(*BRAND)
    y = _row(page, sides, y, "B", (19, 25), (english.title, urdu.title), draw)
    pdf.set_text_color(*INK)
    gap = 5 * page.scale
    y = _row(page, sides, y + gap, "", (12.5, 14), (english.certifies, urdu.certifies), draw)
    x, width = pdf.l_margin, pdf.w - pdf.l_margin - pdf.r_margin
    y = page.name(view.name, x, y + gap, width, draw=draw)
    y = _row(page, sides, y + gap, "", (12, 13), (english.completed, urdu.completed), draw)
    y = _row(page, sides, y + gap * 0.6, "B", (14, 16), (english.course, urdu.course), draw)
    return _both_modules(page, view, sides, y + gap, draw)


def _both_footer(page: _Page, view: CertificateView, sides: list[Wording]) -> None:
    """The signatory; the identifiers in English and in Urdu; the address and the QR code once."""
    pdf = page.pdf
    bottom = pdf.h - 48
    _signatory(page, view, 22, 70, bottom + 14)
    blocks = ((96, 72), (172, 72))

    def ids(top: float, draw: bool) -> float:
        ends = [
            _ids(page, side, x, top, width, size, draw)
            for side, (x, width), size in zip(sides, blocks, (9, 9.5), strict=True)
        ]
        page.set(None, "", 9)
        y = _paragraph(pdf, view.verify_url, 96, max(ends) + 0.5, 148, draw=draw)
        if sides[0].notice:
            pdf.set_text_color(*ALERT)
            y = max(
                _paragraph(page.set(side, "B", 10).pdf, side.notice, x, y + 2, width, draw=draw)
                for side, (x, width) in zip(sides, blocks, strict=True)
            )
        return y

    ids(min(bottom, FRAME_BOTTOM - ids(0, draw=False)), draw=True)
    _qr(pdf, view.verify_url, x=pdf.w - 18 - 30, y=bottom - 2, size=30)


def _modules(page: _Page, view: CertificateView, x: float, top: float, width: float,
             draw: bool, side: Wording | None = None) -> float:  # fmt: skip
    """The modules' titles, small: on an Urdu side in Urdu where the course's content translates
    them (``view.modules_ur``), else as issued (English, the certificate's snapshot)."""
    page.pdf.set_text_color(*MUTED)
    urdu = side is not None and side.rtl and view.modules_ur is not None
    page.set(side if urdu else None, "", 10 if urdu else 8.5)
    lines = view.modules_ur if urdu else view.modules
    listed = "\u00a0\u00a0\u00a0·   ".join(lines)  # a dot never starts a line
    return _paragraph(page.pdf, listed, x, top, width, gap=0.6, draw=draw)


def _both_modules(page: _Page, view: CertificateView, sides: list[Wording], top: float,
                  draw: bool) -> float:  # fmt: skip
    """The bilingual page's modules: English left and Urdu right when the content translates
    them, else once across the page as issued."""
    pdf = page.pdf
    if view.modules_ur is None:
        x, width = pdf.l_margin, pdf.w - pdf.l_margin - pdf.r_margin
        return _modules(page, view, x + 30, top, width - 60, draw)
    bottoms = [
        _modules(page, view, x, top, width, draw, side)
        for side, (x, width) in zip(sides, COLUMNS, strict=True)
    ]
    return max(bottoms)


def _signatory(page: _Page, view: CertificateView, x: float, width: float, line_y: float) -> None:
    pdf = page.pdf
    pdf.set_text_color(*INK)
    pdf.set_draw_color(*INK)
    pdf.set_line_width(0.3)
    pdf.line(x, line_y, x + width, line_y)
    y = _paragraph(page.set(None, "B", 11).pdf, view.signatory_name, x, line_y + 2, width)
    _paragraph(page.set(None, "", 9).pdf, view.signatory_title, x, y + 1.2, width, gap=0.6)


def _ids(page: _Page, side: Wording, x: float, top: float, width: float, size: float,
         draw: bool) -> float:  # fmt: skip
    """Issue date, serial and verification code, in the side's language; returns the bottom."""
    page.pdf.set_text_color(*INK)
    page.set(side, "", size)
    y = top
    for line in (side.issued, side.serial, side.code):
        y = _paragraph(page.pdf, line, x, y, width, gap=0.6, draw=draw) + (0.6 if side.rtl else 1.2)
    return y


def _qr(pdf: FPDF, url: str, *, x: float, y: float, size: float) -> None:
    """Draw the QR code as vector squares (sharp at any print size, no image files)."""
    qr = segno.make(url, error="m", micro=False)
    matrix = list(qr.matrix_iter(scale=1, border=2))
    module = size / len(matrix)
    pdf.set_fill_color(255, 255, 255)
    pdf.rect(x, y, size, size, style="F")
    pdf.set_fill_color(0, 0, 0)
    for row, cells in enumerate(matrix):
        start = None
        for col, dark in enumerate([*cells, False]):
            if dark and start is None:
                start = col
            elif not dark and start is not None:
                pdf.rect(
                    x + start * module, y + row * module, (col - start) * module, module, style="F"
                )
                start = None
