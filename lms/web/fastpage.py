"""Pages rendered once at start-up, with a few named slots filled per request.

A lesson page is the same for every learner except a handful of small parts (the navigation for their
role, the CSRF token, their time on the lesson, a flashed message). ``SlottedPage`` keeps the rendered
page as fixed chunks between slots, and the chunks already deflated. A request joins the chunks with
the slot values; for a gzip response nothing is compressed per request: the pieces are joined into
one valid gzip stream. Each fixed piece is a raw deflate run ended by a sync flush (byte-aligned, not
final, back-references only inside itself); a slot value is either such a piece prepared ahead of
time (``Piece``: the navigation of each role) or short text sent as a stored block (the CSRF token,
a number of minutes); then an empty final block and the gzip trailer (CRC-32 and length of the whole
text). Any gzip reader reads it as one stream.
"""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Mapping
from dataclasses import dataclass

from markupsafe import Markup

_SLOT_RE = re.compile("\x00([a-z_]+)\x00")
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"  # deflate, no name, mtime 0, OS unknown
_FINAL_EMPTY_BLOCK = b"\x03\x00"
_STORED_MAX = 0xFFFF


def slot(name: str) -> Markup:
    """The placeholder a template prints where a slot's value will go."""
    if not name.isidentifier():
        raise ValueError(f"bad slot name {name!r}")
    return Markup(f"\x00{name}\x00")  # noqa: S704 - a fixed marker around a checked name


def _deflate_piece(data: bytes, level: int) -> bytes:
    compressor = zlib.compressobj(level, zlib.DEFLATED, -15, 9)
    return compressor.compress(data) + compressor.flush(zlib.Z_SYNC_FLUSH)


def _stored(data: bytes) -> bytes:
    """``data`` as stored (uncompressed) deflate blocks, none final."""
    if len(data) <= _STORED_MAX:
        return b"\x00" + struct.pack("<HH", len(data), len(data) ^ 0xFFFF) + data
    out = []
    for start in range(0, len(data), _STORED_MAX):
        part = data[start : start + _STORED_MAX]
        out.append(b"\x00" + struct.pack("<HH", len(part), len(part) ^ 0xFFFF) + part)
    return b"".join(out)


@dataclass(frozen=True)
class Piece:
    """A fixed slot value (already HTML-safe), deflated ahead of time."""

    raw: bytes
    deflated: bytes

    @classmethod
    def of(cls, html: str, *, level: int = 9) -> Piece:
        raw = html.encode("utf-8")
        return cls(raw, _deflate_piece(raw, level) if raw else b"")


class SlottedPage:
    def __init__(self, html: str, *, level: int = 9):
        parts = _SLOT_RE.split(html)
        #: fixed chunks (even positions) and slot names (odd positions)
        self.chunks = tuple(p.encode("utf-8") for p in parts[0::2])
        self.slots = tuple(parts[1::2])
        self._deflated = tuple(_deflate_piece(c, level) if c else b"" for c in self.chunks)

    def render(self, values: Mapping[str, str | Piece]) -> bytes:
        """The page as UTF-8 bytes. Slot values must already be HTML-safe."""
        out = [self.chunks[0]]
        for name, chunk in zip(self.slots, self.chunks[1:], strict=True):
            value = values[name]
            out.append(value.raw if isinstance(value, Piece) else value.encode("utf-8"))
            out.append(chunk)
        return b"".join(out)

    def render_gzip(self, values: Mapping[str, str | Piece]) -> bytes:
        """The same bytes as ``render``, as one gzip stream."""
        chunks, deflated = self.chunks, self._deflated
        out = [_GZIP_HEADER, deflated[0]]
        crc = zlib.crc32(chunks[0])
        size = len(chunks[0])
        for index, name in enumerate(self.slots, 1):
            value = values[name]
            if isinstance(value, Piece):
                raw = value.raw
                out.append(value.deflated)
            else:
                raw = value.encode("utf-8")
                if raw:
                    out.append(_stored(raw))
            crc = zlib.crc32(raw, crc)
            size += len(raw)
            chunk = chunks[index]
            out.append(deflated[index])
            crc = zlib.crc32(chunk, crc)
            size += len(chunk)
        out.append(_FINAL_EMPTY_BLOCK)
        out.append(struct.pack("<II", crc & 0xFFFFFFFF, size & 0xFFFFFFFF))
        return b"".join(out)
