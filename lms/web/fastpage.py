"""Pages rendered once at start-up, with a few named slots filled per request.

A lesson page is the same for every learner except a handful of small parts (the navigation for their
role, the CSRF token, their time on the lesson, a flashed message). ``SlottedPage`` keeps the rendered
page as fixed chunks between slots, and the chunks already deflated. A request joins the chunks with
the slot values; for a gzip response only the slot values are compressed, and the pieces are joined
into one valid gzip stream: each piece is a raw deflate run ended by a sync flush (byte-aligned,
not final, back-references only inside itself), then an empty final block and the gzip trailer
(CRC-32 and length of the whole text). Any gzip reader reads it as one stream.
"""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Mapping

from markupsafe import Markup

_SLOT_RE = re.compile("\x00([a-z_]+)\x00")
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"  # deflate, no name, mtime 0, OS unknown
_FINAL_EMPTY_BLOCK = b"\x03\x00"


def slot(name: str) -> Markup:
    """The placeholder a template prints where a slot's value will go."""
    if not name.isidentifier():
        raise ValueError(f"bad slot name {name!r}")
    return Markup(f"\x00{name}\x00")  # noqa: S704 - a fixed marker around a checked name


def _deflate_piece(data: bytes, level: int) -> bytes:
    compressor = zlib.compressobj(level, zlib.DEFLATED, -15, 9)
    return compressor.compress(data) + compressor.flush(zlib.Z_SYNC_FLUSH)


class SlottedPage:
    def __init__(self, html: str, *, level: int = 9):
        parts = _SLOT_RE.split(html)
        #: fixed chunks (even positions) and slot names (odd positions)
        self.chunks = tuple(p.encode("utf-8") for p in parts[0::2])
        self.slots = tuple(parts[1::2])
        self._deflated = tuple(_deflate_piece(c, level) if c else b"" for c in self.chunks)
        self._crcs = tuple(zlib.crc32(c) for c in self.chunks)

    def _values(self, values: Mapping[str, str]) -> list[bytes]:
        return [values[name].encode("utf-8") for name in self.slots]

    def render(self, values: Mapping[str, str]) -> bytes:
        """The page as UTF-8 bytes. Slot values must already be HTML-safe."""
        out = [self.chunks[0]]
        for value, chunk in zip(self._values(values), self.chunks[1:], strict=True):
            out.append(value)
            out.append(chunk)
        return b"".join(out)

    def render_gzip(self, values: Mapping[str, str]) -> bytes:
        """The same bytes as ``render``, as one gzip stream."""
        dynamic = self._values(values)
        out = [_GZIP_HEADER, self._deflated[0]]
        crc = self._crcs[0]
        size = len(self.chunks[0])
        for index, value in enumerate(dynamic, 1):
            if value:
                out.append(_deflate_piece(value, 1))
                crc = zlib.crc32(value, crc)
                size += len(value)
            chunk = self.chunks[index]
            out.append(self._deflated[index])
            crc = zlib.crc32(chunk, crc)
            size += len(chunk)
        out.append(_FINAL_EMPTY_BLOCK)
        out.append(struct.pack("<II", crc & 0xFFFFFFFF, size & 0xFFFFFFFF))
        return b"".join(out)
