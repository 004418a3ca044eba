"""The HTTP edge of the server: header checks, bounded body reads, JSON and SSE answers, all on raw ASGI.

Nothing here keeps state between requests; each POST stands alone.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from pydantic_core import to_json

__all__ = [
    "Receive",
    "Responder",
    "Scope",
    "Send",
    "accepts_both",
    "origin_allowed",
    "read_body",
    "send_bytes",
]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

JSON_HEADERS = [(b"content-type", b"application/json")]
SSE_HEADERS = [
    (b"content-type", b"text/event-stream"),
    (b"cache-control", b"no-cache, no-transform"),
    (b"x-accel-buffering", b"no"),
]


class BodyTooLarge(Exception):
    """The request body is over the configured limit."""


async def read_body(receive: Receive, limit: int, content_length: int | None) -> bytes:
    """Read the whole request body, refusing (without buffering past it) a body over ``limit`` bytes.

    Raises:
        BodyTooLarge: the declared or the actual length is over the limit.
        ConnectionError: the client went away before the body was complete.
    """
    if content_length is not None and content_length > limit:
        raise BodyTooLarge
    message = await receive()
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


async def send_bytes(
    send: Send,
    status: int,
    body: bytes,
    headers: list[tuple[bytes, bytes]] | None = None,
) -> None:
    """Send a complete answer with a ``content-length``."""
    out = list(JSON_HEADERS if headers is None else headers)
    out.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": out})
    await send({"type": "http.response.body", "body": body})


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


class Responder:
    """Answers one POST: as one JSON body, or as an SSE stream once the handler sends a message first.

    :meth:`send_message` is what the request :class:`~agentcore_mcp.server.context.Context` calls; the first
    call starts the stream, later ones add events; :meth:`finish` sends the final message either way. While
    a stream is open and quiet, a comment line goes out every ``keepalive`` seconds (AgentCore counts a
    silent stream as idle).
    """

    __slots__ = ("_keepalive", "_send", "_ticker", "streaming")

    def __init__(self, send: Send, keepalive: float | None = 15.0) -> None:
        self._send = send
        self._keepalive = keepalive
        self._ticker: asyncio.Task[None] | None = None
        self.streaming = False

    async def _start_stream(self) -> None:
        self.streaming = True
        await self._send({"type": "http.response.start", "status": 200, "headers": SSE_HEADERS})
        if self._keepalive:
            self._ticker = asyncio.get_running_loop().create_task(self._tick(self._keepalive))

    async def _tick(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)
            await self._send({"type": "http.response.body", "body": b": keep-alive\n\n", "more_body": True})

    async def send_message(self, message: dict[str, Any]) -> None:
        if not self.streaming:
            await self._start_stream()
        event = b"event: message\ndata: " + to_json(message) + b"\n\n"
        await self._send({"type": "http.response.body", "body": event, "more_body": True})

    def close(self) -> None:
        """Stop the keep-alive ticker (idempotent)."""
        if self._ticker is not None:
            self._ticker.cancel()
            self._ticker = None

    async def finish(self, status: int, body: bytes) -> None:
        self.close()
        if self.streaming:
            await self._send(
                {"type": "http.response.body", "body": b"event: message\ndata: " + body + b"\n\n"}
            )
        else:
            await send_bytes(self._send, status, body)
