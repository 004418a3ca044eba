"""A large answer encoded as it is written: the JSON of a result whose text is huge, in bounded pieces.

Encoding a result whole makes a second copy of its text before a byte is written, and keeps it until the
client has read the last byte: a client that stops reading a 5 MB answer costs the server 5 MB more than
the tool's own result, for as long as it stalls. Here the result is encoded with each huge string replaced
by a placeholder (one ``to_json`` call, so every type and option encodes as for a small answer), and the
strings are encoded slice by slice only as the edge writes them; the server then holds at most about one
piece beyond what the tool returned.

Only the places where MCP puts bulk data are looked at (cheap enough for every answer): the blocks of a
result's ``content`` (tool results) or ``contents`` (resource reads), and an embedded resource's
``text``/``blob``. When one of those is huge, the huge strings of ``structuredContent`` (a typed tool's
output, which MCP repeats beside its text) are placed too. A huge value anywhere else, or a huge structure
of small values, is encoded whole, as before.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

from pydantic_core import to_json

__all__ = ["HUGE", "Pieces", "pieces_of"]

HUGE = 512 * 1024
"""A string of more characters than this is encoded as it is written."""
SLICE = 32 * 1024  # characters encoded at once: at most 192 KB of JSON (every character escaped as \\u00XX)
_CHECK = 1024 * 1024  # characters checked for valid Unicode at once (a bounded transient copy)
# The placeholder's text, unique to this process, so no string a tool returns can be taken for it.
_MARK = "\x00agentcore-mcp-piece-" + os.urandom(8).hex() + "-"


class Pieces:
    """A JSON message in pieces: encoded parts of the message between huge strings encoded lazily.

    Iterating yields ``bytes`` in order: each huge string in slices of at most about ``6 * SLICE`` bytes, and
    the rest of the message (encoded once, when made) as it lies between them; the huge strings are encoded
    anew by each iteration, with nothing cached. ``len()`` is not known before the end: the edge sends it
    without a ``content-length``.
    """

    __slots__ = ("_parts",)

    def __init__(self, parts: list[bytes | str]) -> None:
        self._parts = parts  # encoded JSON (bytes) and huge strings still to encode (str)

    def __iter__(self) -> Iterator[bytes]:
        pending = b""  # encoded parts and quotes, sent with the next slice rather than on their own
        for part in self._parts:
            if isinstance(part, bytes):
                pending += part
                continue
            pending += b'"'
            for start in range(0, len(part), SLICE):
                yield pending + to_json(part[start : start + SLICE])[1:-1]
                pending = b""
            pending += b'"'
        yield pending

    def join(self) -> bytes:
        """The whole message as one ``bytes`` (what a stream that keeps its events records)."""
        return b"".join(self)


def pieces_of(message: dict[str, Any], result: Any) -> Pieces | None:
    """``message`` (a JSON-RPC answer whose ``"result"`` is ``result``) in pieces, when ``result`` carries a
    huge string where MCP puts bulk data; None when it does not (encode it whole, as usual).

    ``message`` and ``result`` are not changed: the placeholders go into shallow copies.

    Raises:
        UnicodeEncodeError: a huge string is not valid Unicode (a lone surrogate); nothing was sent yet.
    """
    if type(result) is not dict:
        return None
    blocks = result.get("content")
    key = "content"
    if blocks is None:
        blocks = result.get("contents")
        key = "contents"
    if type(blocks) is not list:
        return None
    # Every answer is looked at: the usual blocks (small strings at the top level) without _has_huge's frame.
    for block in blocks:
        if type(block) is not dict:
            continue
        for value in block.values():
            if (type(value) is str and len(value) > HUGE) or type(value) is dict:
                break
        else:
            continue
        break
    else:
        return None
    if not _has_huge(blocks):
        return None
    huge: list[str] = []
    walk = _Walk(huge)
    placed = {**result, key: [walk.placed(block, 0) for block in blocks]}
    structured = result.get("structuredContent")
    if structured is not None:  # a typed tool's output is there too, as data: its huge strings as well
        placed["structuredContent"] = walk.placed(structured, 0)
    skeleton = to_json({**message, "result": placed}, inf_nan_mode="null")
    for text in huge:
        _check_unicode(text)
    parts = _split(skeleton, huge)
    return None if parts is None else Pieces(parts)


def _has_huge(blocks: list[Any]) -> bool:
    for block in blocks:
        if type(block) is dict:
            for value in block.values():
                if (type(value) is str and len(value) > HUGE) or (type(value) is dict and _has_huge([value])):
                    return True
    return False


class _Walk:
    """Placeholders for the huge strings of arbitrary JSON-like data, within a budget of containers.

    Only copies of dicts and lists are made (the data is not changed); past ``budget`` containers, or
    ``MAX_DEPTH`` levels, the rest is left to be encoded whole (a huge structure of small values is not what
    this is for, and walking it would cost more than encoding it).
    """

    MAX_DEPTH = 16

    def __init__(self, huge: list[str], budget: int = 10_000) -> None:
        self.huge = huge
        self.budget = budget

    def placed(self, value: Any, depth: int) -> Any:
        kind = type(value)
        if kind is str:
            if len(value) <= HUGE:
                return value
            self.huge.append(value)
            return f"{_MARK}{len(self.huge) - 1}\x00"
        if (kind is not dict and kind is not list) or depth >= self.MAX_DEPTH or self.budget <= 0:
            return value
        self.budget -= 1
        if kind is dict:
            return {name: self.placed(item, depth + 1) for name, item in value.items()}
        return [self.placed(item, depth + 1) for item in value]


def _split(skeleton: bytes, huge: list[str]) -> list[bytes | str] | None:
    """The encoded skeleton cut at each placeholder (quotes included), with the huge strings between; None
    when a placeholder is not found exactly once (then the answer is encoded whole instead)."""
    found: list[tuple[int, int, str]] = []
    for index, text in enumerate(huge):
        mark = to_json(f"{_MARK}{index}\x00")
        at = skeleton.find(mark)
        if at < 0 or skeleton.find(mark, at + 1) >= 0:
            return None
        found.append((at, len(mark), text))
    found.sort()  # placeholders go out in the skeleton's order, whatever order the walk met them in
    parts: list[bytes | str] = []
    start = 0
    for at, size, text in found:
        parts += [skeleton[start:at], text]
        start = at + size
    parts.append(skeleton[start:])
    return parts


def _check_unicode(text: str) -> None:
    if text.isascii():
        return
    for start in range(0, len(text), _CHECK):
        text[start : start + _CHECK].encode("utf-8")
