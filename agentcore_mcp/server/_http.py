"""The HTTP edge of the server: header checks, bounded body reads, JSON and SSE answers, all on raw ASGI.

Nothing here keeps state between requests; each POST stands alone.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping
from typing import TYPE_CHECKING, Any

from pydantic_core import to_json

if TYPE_CHECKING:
    from agentcore_mcp.server._session_store import StreamLog

__all__ = [
    "Body",
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
# An answer body: whole, or in pieces sent one after another so a large cached part is never copied.
Body = bytes | tuple[bytes, ...]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

JSON_HEADERS = [(b"content-type", b"application/json")]
SSE_HEADERS = [
    (b"content-type", b"text/event-stream"),
    (b"cache-control", b"no-cache, no-transform"),
    (b"x-accel-buffering", b"no"),
]


# Event data from this size up is sent without copying it into one buffer with its framing.
BIG_EVENT = 64 * 1024
# Seconds a streamed answer runs before it gets keep-alive comments and a watcher for a vanished client.
WATCH_AFTER = 0.25


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
    body: Body,
    headers: list[tuple[bytes, bytes]] | None = None,
) -> None:
    """Send a complete answer with a ``content-length`` (a body in pieces goes out piece by piece)."""
    out = list(JSON_HEADERS if headers is None else headers)
    if isinstance(body, bytes):
        out.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": out})
        await send({"type": "http.response.body", "body": body})
        return
    out.append((b"content-length", str(sum(map(len, body))).encode()))
    await send({"type": "http.response.start", "status": status, "headers": out})
    for piece in body[:-1]:
        await send({"type": "http.response.body", "body": piece, "more_body": True})
    await send({"type": "http.response.body", "body": body[-1]})


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

    :meth:`send_message` is what the request :class:`~agentcore_mcp.server._context.Context` calls; the first
    call starts the stream, later ones add events; :meth:`finish` sends the final message either way. While
    a stream is open and quiet, a comment line goes out every ``keepalive`` seconds (AgentCore counts a
    silent stream as idle).

    In session mode a :class:`~agentcore_mcp.server._session_store.StreamLog` records every event with an id, the
    stream opens with a priming event (an id, a ``retry`` hint, no data), and :meth:`detach` may end the
    HTTP response early: the client then resumes the rest with ``GET`` and ``Last-Event-ID``.
    """

    __slots__ = (
        "_arming",
        "_keepalive",
        "_log",
        "_new_log",
        "_receive",
        "_retry_ms",
        "_send",
        "_task",
        "_ticker",
        "_watcher",
        "detached",
        "disconnected",
        "headers",
        "streaming",
    )

    def __init__(self, send: Send, keepalive: float | None = 15.0, receive: Receive | None = None) -> None:
        self._send = send
        self._receive = receive
        self._keepalive = keepalive
        self._ticker: asyncio.Task[None] | None = None
        self._watcher: asyncio.Task[None] | None = None
        self._task: asyncio.Task[Any] | None = None
        self._arming: asyncio.TimerHandle | None = None
        self.disconnected = False
        self._log: StreamLog | None = None
        self._new_log: Callable[[], StreamLog] | None = None
        self._retry_ms: int | None = None
        self.headers: list[tuple[bytes, bytes]] = []
        self.streaming = False
        self.detached = False

    def record(self, new_log: Callable[[], StreamLog], retry_ms: int | None) -> None:
        """Record this answer's events (session mode) in a log made when the stream starts; prime the stream
        when ``retry_ms`` is set."""
        self._new_log = new_log
        self._retry_ms = retry_ms

    async def _start_stream(self) -> None:
        self.streaming = True
        if self._new_log is not None:
            self._log = self._new_log()
        await self._send(
            {"type": "http.response.start", "status": 200, "headers": [*SSE_HEADERS, *self.headers]}
        )
        if self._log is not None and self._retry_ms is not None:
            # The priming event: an id to resume from, and how long to wait before reconnecting.
            event_id = self._log.append(b"")
            priming = f"id: {event_id}\nretry: {self._retry_ms}\ndata: \n\n".encode()
            await self._send({"type": "http.response.body", "body": priming, "more_body": True})
        if self._keepalive or self._receive is not None:
            # Most streams end within milliseconds (a progress event, then the answer): the keep-alive
            # ticker and the disconnect watcher, two tasks that cost more than the rest of such an answer,
            # start only once the stream has lasted WATCH_AFTER seconds.
            self._task = asyncio.current_task()
            delay = min(WATCH_AFTER, self._keepalive) if self._keepalive else WATCH_AFTER
            self._arming = asyncio.get_running_loop().call_later(delay, self._arm, delay)

    def _arm(self, waited: float) -> None:
        self._arming = None
        loop = asyncio.get_running_loop()
        if self._keepalive:
            self._ticker = loop.create_task(self._tick(self._keepalive - waited, self._keepalive))
        if self._receive is not None:
            # Once streaming, the handler may run for long: a client that goes away cancels it. (A JSON
            # answer costs no watcher; its handler is bounded by the tool's timeout.)
            self._watcher = loop.create_task(self._watch())

    async def _tick(self, first: float, interval: float) -> None:
        await asyncio.sleep(first)
        while True:
            if not self.detached:
                await self._send(
                    {"type": "http.response.body", "body": b": keep-alive\n\n", "more_body": True}
                )
            await asyncio.sleep(interval)

    async def _emit(self, data: Body, more: bool) -> None:
        """Record (session mode) and send one ``message`` event carrying ``data``."""
        head = b"event: message\ndata: "
        if self._log is not None:
            whole = data if isinstance(data, bytes) else b"".join(data)
            head = b"id: " + self._log.append(whole).encode() + b"\n" + head
        if self.detached:
            return
        if isinstance(data, bytes):
            if len(data) < BIG_EVENT:
                body = head + data + b"\n\n"
                await self._send({"type": "http.response.body", "body": body, "more_body": more})
                return
            data = (data,)
        # A large answer goes out as it is, between its framing, rather than copied into one more buffer.
        await self._send({"type": "http.response.body", "body": head, "more_body": True})
        for piece in data:
            await self._send({"type": "http.response.body", "body": piece, "more_body": True})
        await self._send({"type": "http.response.body", "body": b"\n\n", "more_body": more})

    async def send_message(self, message: dict[str, Any]) -> None:
        if not self.streaming:
            await self._start_stream()
        await self._emit(to_json(message, inf_nan_mode="null"), True)

    async def detach(self) -> bool:
        """End the HTTP response now; later events only reach the log (False outside session mode)."""
        if self._new_log is None or self.detached:
            return False
        if not self.streaming:
            await self._start_stream()
        self.detached = True
        self.close()
        await self._send({"type": "http.response.body", "body": b""})
        return True

    async def _watch(self) -> None:
        await self.wait_disconnect()
        self.disconnected = True
        if self._task is not None and not self.detached:
            self._task.cancel()

    async def wait_disconnect(self) -> None:
        """Return when the client closes the connection (the request body must have been read already)."""
        if self._receive is None:
            await asyncio.Event().wait()  # nothing to watch: wait forever (the caller cancels)
            return
        while (await self._receive())["type"] != "http.disconnect":
            pass

    def close(self) -> None:
        """Stop the keep-alive ticker and the disconnect watcher (idempotent)."""
        if self._arming is not None:
            self._arming.cancel()
            self._arming = None
        if self._ticker is not None:
            self._ticker.cancel()
            self._ticker = None
        if self._watcher is not None:
            self._watcher.cancel()
            self._watcher = None

    async def finish(self, status: int, body: Body) -> None:
        self.close()
        if self.streaming:
            await self._emit(body, False)
            if self._log is not None:
                self._log.finish()
        else:
            if self._log is not None:
                self._log.finish()
            await send_bytes(self._send, status, body, [*JSON_HEADERS, *self.headers])
