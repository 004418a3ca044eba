"""HTTP request helpers for the ASGI edge (and the emulator): the ASGI types, a bounded body reader, and
the ``Accept`` and ``Origin`` tests. Nothing here writes an answer or keeps state.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

__all__ = [
    "Body",
    "BodyTooLarge",
    "Receive",
    "Scope",
    "Send",
    "accepts_both",
    "accepts_event_stream",
    "origin_allowed",
    "read_body",
]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
# An answer body: whole, or in pieces sent one after another so a large cached part is never copied.
Body = bytes | tuple[bytes, ...]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


class BodyTooLarge(Exception):
    """The request body is over the configured limit."""


async def read_body(
    receive: Receive, limit: int, content_length: int | None, first: Message | None = None
) -> bytes:
    """Read the whole request body, refusing (without buffering past it) a body over ``limit`` bytes.

    ``first``: the request's first message when the caller has received it already.

    Raises:
        BodyTooLarge: the declared or the actual length is over the limit.
        ConnectionError: the client went away before the body was complete.
    """
    if content_length is not None and content_length > limit:
        raise BodyTooLarge
    message = await receive() if first is None else first
    if message["type"] == "http.disconnect":
        raise ConnectionError("client disconnected")
    body: bytes = message.get("body", b"")
    if not message.get("more_body", False):
        if len(body) > limit:
            raise BodyTooLarge
        return body
    chunks = [body]
    size = len(body)
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ConnectionError("client disconnected")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def accepts_both(accept: bytes | None) -> bool:
    """True when an ``Accept`` header admits both JSON and an event stream, as Streamable HTTP requires.

    Wildcards count: ``*/*`` admits both, ``application/*`` admits JSON only.
    """
    if not accept:
        return False
    value = accept.lower()
    if b"*/*" in value:
        return True
    json_ok = b"application/json" in value or b"application/*" in value
    sse_ok = b"text/event-stream" in value or b"text/*" in value
    return json_ok and sse_ok


def accepts_event_stream(accept: bytes | None) -> bool:
    """True when an ``Accept`` header admits an event stream (what a GET stream needs)."""
    return accept is not None and (b"text/event-stream" in accept.lower() or b"*/*" in accept)


def origin_allowed(origin: bytes, allowed: frozenset[bytes], allow_localhost: bool) -> bool:
    """True when an ``Origin`` header names an allowed origin (exact match, or any localhost port)."""
    value = origin.lower().rstrip(b"/")
    if value in allowed or b"*" in allowed:
        return True
    if not allow_localhost:
        return False
    for prefix in (
        b"http://localhost",
        b"https://localhost",
        b"http://127.0.0.1",
        b"https://127.0.0.1",
        b"http://[::1]",
        b"https://[::1]",
    ):
        if value == prefix or (value.startswith(prefix + b":") and value[len(prefix) + 1 :].isdigit()):
            return True
    return False
