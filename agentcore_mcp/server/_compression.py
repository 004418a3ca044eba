"""gzip for large cached answers: the constant part compressed once, each request's own tail appended.

A cached list page (``tools/list`` of a server with many tools can be hundreds of KB) is the same bytes for
every request except the JSON-RPC id. The answer is therefore written as
``{"jsonrpc":"2.0","result":<page>,"id":<id>}`` (member order carries no meaning in JSON) and its gzip form
as: the gzip header, the page's prefix deflated once and flushed to a byte boundary (``Z_SYNC_FLUSH``), then
per request the tail ``,"id":<id>}`` as a final *stored* block (RFC 1951 3.2.4) and the gzip trailer, whose
CRC-32 continues from the prefix's (``zlib.crc32(tail, crc)``). Per request that costs a few hundred
nanoseconds and no compression at all.
"""

from __future__ import annotations

import struct
import zlib

__all__ = ["MIN_GZIP_SIZE", "GzipPrefix", "accepts_gzip"]

# Pages smaller than this go out as they are: the bytes saved would not pay for the encoding.
MIN_GZIP_SIZE = 8 * 1024

# RFC 1952 member header: magic, deflate, no flags, no mtime, no extra flags, OS unknown.
_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"
_MAX_STORED = 0xFFFF  # the longest stored block


def accepts_gzip(value: bytes) -> bool:
    """True when an ``Accept-Encoding`` header admits gzip (``gzip``, ``x-gzip`` or ``*``, without ``q=0``)."""
    wildcard = False
    for item in value.lower().split(b","):
        coding, _, params = item.partition(b";")
        coding = coding.strip()
        if coding not in (b"gzip", b"x-gzip", b"*"):
            continue
        refused = False
        for param in params.split(b";"):
            name, _, q = param.partition(b"=")
            if name.strip() == b"q":
                try:
                    refused = float(q.strip()) == 0.0
                except ValueError:
                    refused = True  # a malformed weight: do not guess
        if coding != b"*":
            return not refused  # gzip named outright, accepted or refused, wins over a wildcard
        wildcard = not refused
    return wildcard


class GzipPrefix:
    """The start of a gzip member: the header and ``data`` deflated once, ending on a byte boundary."""

    __slots__ = ("_crc", "_size", "head")

    def __init__(self, data: bytes, level: int = 6) -> None:
        deflate = zlib.compressobj(level, zlib.DEFLATED, -zlib.MAX_WBITS)
        self.head = _HEADER + deflate.compress(data) + deflate.flush(zlib.Z_SYNC_FLUSH)
        self._crc = zlib.crc32(data)
        self._size = len(data)

    def finish(self, tail: bytes) -> bytes:
        """The rest of the member: ``tail`` (at most 65,535 bytes) as the final stored block, then the trailer.

        ``head + finish(tail)`` is the gzip of ``data + tail``.
        """
        length = len(tail)
        if length > _MAX_STORED:
            raise ValueError("a stored block holds at most 65535 bytes")
        crc = zlib.crc32(tail, self._crc)
        # BFINAL=1, BTYPE=00 (stored), padded to the byte; LEN and its one's complement, little-endian.
        return (
            b"\x01"
            + struct.pack("<HH", length, length ^ 0xFFFF)
            + tail
            + struct.pack("<II", crc, (self._size + length) & 0xFFFFFFFF)
        )
