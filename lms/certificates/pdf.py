"""The certificate as one A4 landscape page (fpdf2), with a QR code (segno) to its verification page.

Fonts come with the project (``fonts/``, SIL Open Font License), never from the system: Noto Sans
for Latin script and Noto Naskh Arabic for Urdu, shaped with HarfBuzz so Urdu names are joined and
run right to left. The same certificate always gives the same visible page: every date and text on
it comes from the certificate row, and the file's own dates are set to the issue date. Only its
status line changes: a revoked or expired certificate says so, and sends the reader to the
verification page.
"""

from __future__ import annotations

import copy
import threading
from io import BytesIO
from pathlib import Path

import segno
from fontTools import ttLib
from fpdf import FPDF
from fpdf.fonts import SubsetMap, TTFFont

from lms.certificates import codes, glyphs
from lms.certificates.view import CertificateView

FONTS = glyphs.FONTS
INK = (29, 35, 39)
BRAND = (11, 85, 99)
MUTED = (79, 91, 98)


#: The name's font sizes, largest first: a long name is set smaller, and at the smallest size wraps
#: onto more lines, so it is never cut or run off the page.
NAME_SIZES = (28, 24, 20, 17)


def _hours(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    return f"{hours} hours" if not rest else f"{hours} hours {rest} minutes"


# --- fonts, parsed once per process --------------------------------------------------------------
# ``FPDF.add_font`` parses the TTF file (its character map and every glyph's width) for each
# document, which was a third of a certificate's time. Here each font is parsed once into a
# template ``TTFFont``; a document gets a copy that shares the parsed, read-only parts (widths, glyph
# ids, HarfBuzz face) and has its own subset map and its own fontTools object over the same bytes
# (fpdf2 subsets that object in place when it writes the file). This relies on fpdf2's TTFFont
# internals, hence the upper bound on fpdf2 in pyproject.toml; tests/services/test_certificates.py
# checks the bytes are the ones ``add_font`` gives.
_templates: dict[Path, tuple[TTFFont, bytes]] = {}
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


def _add_font(pdf: FPDF, family: str, style: str, path: Path) -> None:
    """``pdf.add_font(family, style, path)``, without parsing the font again."""
    template, data = _template(path)
    fontkey = f"{family.lower()}{style}"
    font = copy.copy(template)  # TTFFont has __slots__: a shallow copy of every attribute
    font.i = len(pdf.fonts) + 1
    font.fontkey = fontkey
    font.emphasis = type(template.emphasis).coerce(style)
    font.ttfont = ttLib.TTFont(BytesIO(data), recalcTimestamp=False, lazy=True)
    font.cw = copy.copy(template.cw)
    font.glyph_ids = dict(template.glyph_ids)
    font.missing_glyphs = []
    font.biggest_size_pt = 0
    font.subset = SubsetMap(font)
    pdf.fonts[fontkey] = font


def _centred(pdf: FPDF, width: float, height: float, text: str) -> None:
    """Centred lines broken between words, each a ``cell``: what ``multi_cell(align="C")`` draws,
    without its line breaker, which measures the line again for every character (a third of a
    certificate's time went there)."""
    lines, line = [], ""
    for word in text.split(" "):
        candidate = f"{line} {word}" if line else word
        if line.strip() and pdf.get_string_width(candidate.rstrip()) > width - 2 * pdf.c_margin:
            lines.append(line.rstrip())
            line = word
        else:
            line = candidate
    lines.append(line.rstrip())
    for line in lines:
        pdf.cell(width, height, line.strip(), align="C", new_x="LEFT", new_y="NEXT")


def render(view: CertificateView) -> bytes:
    pdf = FPDF(orientation="L", unit="mm", format="A4")
    pdf.set_creation_date(view.issued_at)
    pdf.set_producer("Children's Champions LMS")
    pdf.set_title(f"{view.certificate_title}: {view.name}")
    pdf.set_author(view.issuer_name)
    pdf.set_auto_page_break(False)
    pdf.set_margins(18, 15, 18)
    _add_font(pdf, "sans", "", FONTS / "NotoSans-Regular.ttf")
    _add_font(pdf, "sans", "B", FONTS / "NotoSans-Bold.ttf")
    urdu = glyphs.needs_arabic_font(view.name)
    if urdu:  # embedded only when needed: subsetting a font is most of a PDF's cost
        _add_font(pdf, "naskh", "B", glyphs.ARABIC_BOLD)
        # each font falls back on the other: "Ali علی" has letters of both
        pdf.set_fallback_fonts(["naskh", "sans"], exact_match=False)
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin

    # a double frame
    pdf.set_draw_color(*BRAND)
    pdf.set_line_width(1.2)
    pdf.rect(8, 8, pdf.w - 16, pdf.h - 16)
    pdf.set_line_width(0.3)
    pdf.rect(11, 11, pdf.w - 22, pdf.h - 22)

    pdf.set_text_color(*BRAND)
    pdf.set_font("sans", "B", 13)
    pdf.set_y(20)
    pdf.cell(width, 7, view.issuer_name.upper(), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("sans", "B", 26)
    pdf.ln(4)
    _centred(pdf, width, 11, view.certificate_title)

    pdf.set_text_color(*INK)
    pdf.set_font("sans", "", 13)
    pdf.ln(3)
    pdf.cell(width, 7, "This certifies that", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font("naskh" if urdu else "sans", "B", NAME_SIZES[0])
    pdf.set_text_shaping(True)  # HarfBuzz: joined letters, right to left for Urdu
    _name(pdf, view.name, width)
    pdf.set_text_shaping(False)
    pdf.set_font("sans", "", 13)
    pdf.ln(1)
    _centred(
        pdf, width, 7,
        f"completed {_hours(view.minutes)} of training and passed every module quiz of the course",
    )  # fmt: skip
    pdf.set_font("sans", "B", 15)
    _centred(pdf, width, 8, view.course_title)

    pdf.set_font("sans", "", 8.5)
    pdf.set_text_color(*MUTED)
    pdf.ln(3)
    _centred(pdf, width - 60, 4.4, "   ·   ".join(view.modules))
    pdf.set_x(pdf.l_margin)

    # footer: signatory on the left, identifiers in the middle, QR code on the right
    bottom = pdf.h - 48
    pdf.set_text_color(*INK)
    pdf.set_draw_color(*INK)
    pdf.set_line_width(0.3)
    pdf.line(28, bottom + 14, 108, bottom + 14)
    pdf.set_xy(28, bottom + 15)
    pdf.set_font("sans", "B", 11)
    pdf.cell(80, 6, view.signatory_name, align="C", new_x="LEFT", new_y="NEXT")
    pdf.set_font("sans", "", 9)
    _centred(pdf, 80, 4.5, view.signatory_title)

    pdf.set_xy(115, bottom + 6)
    pdf.set_font("sans", "", 10)
    issued = f"Issued on {view.issued_at.strftime('%d %B %Y')}"
    if view.expires_at is not None:
        issued = (
            f"Issued on {view.issued_at.strftime('%d %B %Y')}, "
            f"valid until {view.expires_at.strftime('%d %B %Y')}"
        )
    lines = [
        issued,
        f"Serial {view.serial}",
        f"Verification code {codes.grouped(view.code)}",
        view.verify_url,
    ]
    for line in lines:
        pdf.set_x(115)
        pdf.cell(110, 5.5, line, align="C", new_x="LMARGIN", new_y="NEXT")
    notice = {
        "revoked": "REVOKED: see the verification page",
        "expired": "EXPIRED: see the verification page",
    }.get(view.status)
    if notice:
        pdf.set_x(115)
        pdf.set_text_color(163, 38, 27)
        pdf.set_font("sans", "B", 11)
        pdf.cell(110, 6, notice, align="C")

    _qr(pdf, view.verify_url, x=pdf.w - 18 - 34, y=bottom - 2, size=34)
    return bytes(pdf.output())


def _name(pdf: FPDF, name: str, width: float) -> None:
    """The name on one line at the largest size that fits; at the smallest, on as many as it needs."""
    for size in NAME_SIZES:
        pdf.set_font_size(size)
        if pdf.get_string_width(name) <= width:
            break
    line_height = pdf.font_size * 1.35  # mm; 28 pt gives the 13.3 mm line the page was laid out for
    pdf.multi_cell(width, line_height, name, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(max(0.0, 15 - line_height))


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
