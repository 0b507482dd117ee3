"""Pages rendered once with slots: the gzip stream assembled from pieces is one valid stream."""

from __future__ import annotations

import gzip
import zlib

from hypothesis import given
from hypothesis import strategies as st

from lms.web.fastpage import Piece, SlottedPage, slot

TEMPLATE = (
    f"<html><head>{slot('csrf')}</head><body>{slot('nav')}"
    + "<p>text</p>" * 500
    + (f"{slot('flashes')}</body></html>")
)


def test_slots_are_found_in_order():
    page = SlottedPage(TEMPLATE)
    assert page.slots == ("csrf", "nav", "flashes")


def test_render_fills_slots():
    page = SlottedPage(TEMPLATE)
    html = page.render({"csrf": "TOKEN", "nav": "<nav>x</nav>", "flashes": ""}).decode()
    assert html.startswith("<html><head>TOKEN</head><body><nav>x</nav><p>text</p>")
    assert "\x00" not in html


@given(
    csrf=st.text(max_size=200),
    nav=st.text(max_size=2000),
    flashes=st.text(max_size=50),
)
def test_gzip_stream_decodes_to_the_plain_page(csrf, nav, flashes):
    page = SlottedPage(TEMPLATE)
    values = {"csrf": csrf, "nav": nav, "flashes": flashes}
    body = page.render_gzip(values)
    assert gzip.decompress(body) == page.render(values)
    # A streaming reader that stops at the end of the stream agrees (as browsers read it).
    reader = zlib.decompressobj(16 + zlib.MAX_WBITS)
    assert reader.decompress(body) == page.render(values)
    assert reader.eof and reader.unused_data == b""


def test_fixed_parts_are_compressed_once_and_the_page_is_small():
    page = SlottedPage(TEMPLATE)
    body = page.render_gzip({"csrf": "T" * 90, "nav": "<nav></nav>", "flashes": ""})
    assert (
        len(body) < len(page.render({"csrf": "T" * 90, "nav": "<nav></nav>", "flashes": ""})) / 10
    )


@given(
    head=st.text(max_size=300),
    csrf=st.text(max_size=200),
    tail=st.text(max_size=300),
)
def test_pieces_compressed_ahead_join_the_stream(head, csrf, tail):
    page = SlottedPage(TEMPLATE.replace(slot("nav"), slot("head") + slot("nav") + slot("tail")))
    values = {"head": Piece.of(head), "nav": csrf, "tail": Piece.of(tail), "csrf": csrf}
    values["flashes"] = ""
    plain = page.render(values)
    assert plain.startswith(f"<html><head>{csrf}</head><body>{head}{csrf}{tail}<p>".encode())
    assert gzip.decompress(page.render_gzip(values)) == plain


def test_a_value_longer_than_one_stored_block_is_split():
    page = SlottedPage(TEMPLATE)
    values = {"csrf": "é" * 40_000, "nav": "n" * 70_000, "flashes": ""}  # 80 kB and 70 kB
    assert gzip.decompress(page.render_gzip(values)) == page.render(values)
