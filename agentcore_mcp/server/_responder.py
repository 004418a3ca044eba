"""Answering one POST: one JSON body, or an SSE stream once a handler sends a message first."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from time import monotonic
from typing import TYPE_CHECKING, Any

from pydantic_core import to_json

from agentcore_mcp import _wire as rpc
from agentcore_mcp.server._compression import MIN_GZIP_SIZE
from agentcore_mcp.server._http import Body, Receive
from agentcore_mcp.server._pieces import Pieces
from agentcore_mcp.server._request_headers import SESSION_ID_HEADER
from agentcore_mcp.server._sending import CONTENT_JSON, JSON_HEADERS, PacedSend, send_bytes
from agentcore_mcp.server._streams import KEEPALIVE, priming

if TYPE_CHECKING:
    from agentcore_mcp.server._protocol import Reply
    from agentcore_mcp.server._session_store import StreamLog

__all__ = [
    "BIG_EVENT",
    "GZIP_HEADERS",
    "SSE_HEADERS",
    "WATCH_AFTER",
    "Responder",
    "StreamWatch",
    "framed_page",
]

logger = logging.getLogger("agentcore_mcp.server")

# Event data from this size up is sent without copying it into one buffer with its framing.
BIG_EVENT = 64 * 1024
# Seconds a streamed answer runs before it gets keep-alive comments and a watcher for a vanished client.
WATCH_AFTER = 0.25
SSE_HEADERS = [
    (b"content-type", rpc.EVENT_STREAM.encode()),
    (b"cache-control", b"no-cache, no-transform"),
    (b"x-accel-buffering", b"no"),
]
GZIP_HEADERS = [(b"content-encoding", b"gzip"), (b"vary", b"accept-encoding")]
_EVENT_HEAD, _EVENT_TAIL = rpc.SSE_EVENT_HEAD, rpc.SSE_EVENT_TAIL


def framed_page(reply: Reply, gzip: bool) -> tuple[Body, bool]:
    """A list page with the request's id around it, and whether it is gzip-compressed."""
    page, encoded_id = reply.page, reply.page_id
    assert page is not None
    if gzip and len(page.body) >= MIN_GZIP_SIZE and len(encoded_id) < 60_000:
        gzipped = page.gzip()
        return (gzipped.head, gzipped.finish(b',"id":' + encoded_id + b"}")), True
    head = b'{"jsonrpc":"2.0","id":' + encoded_id + b',"result":'
    if len(page.body) >= BIG_EVENT:  # sent in pieces: the cached bytes are not copied per request
        return (head, page.body, b"}"), False
    return head + page.body + b"}", False


class StreamWatch:
    """Streamed answers that have not lasted their delay yet; one timer arms them as each one's time comes.

    A stream's keep-alive ticker and disconnect watcher start once it has lasted ``delay`` seconds (see
    :meth:`Responder._start_stream`). A timer per stream (a handle made, pushed on the loop's heap and
    cancelled again, for a stream that nearly always ends within milliseconds) cost as much as the rest of
    a short SSE answer; here a stream costs one dict entry, and one timer, set for the oldest stream's
    time, serves all of them. The watch serves one event loop at a time (a new loop takes it over once the
    old one is closed); a stream on another loop running meanwhile is refused (:meth:`add` returns False)
    and times itself.
    """

    __slots__ = ("_handle", "_loop", "delay", "pending")

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.pending: dict[Responder, float] = {}  # by start time (monotonic), oldest first
        self._handle: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def add(self, responder: Responder) -> bool:
        """Arm ``responder`` when its time comes (False: it runs on a loop this watch does not serve)."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            if self._loop is not None and not self._loop.is_closed():
                return False  # another loop serves this app meanwhile
            self._loop = loop  # first use, or the old loop is gone (tests run many): nothing carries over
            self.pending.clear()
            self._handle = None
        self.pending[responder] = monotonic()
        if self._handle is None:
            self._handle = loop.call_later(self.delay, self._sweep)
        return True

    def _sweep(self) -> None:
        self._handle = None
        now = monotonic()
        pending = self.pending
        while pending:
            responder, started = next(iter(pending.items()))
            waited = now - started
            if waited < self.delay - 0.001:  # (timers may fire a little early: within 1 ms is on time)
                assert self._loop is not None
                self._handle = self._loop.call_later(self.delay - waited, self._sweep)
                return
            del pending[responder]
            responder._arm(waited)


class Responder:
    """Answers one POST: as one JSON body, or as an SSE stream once the handler sends a message first.

    :meth:`send_message` is what the request's :class:`~agentcore_mcp.server._context.Context` calls; the
    first call starts the stream, later ones add events; :meth:`finish` sends the reply either way. While a
    stream is open and quiet, a comment line goes out every ``keepalive`` seconds (AgentCore counts a silent
    stream as idle).

    In session mode a :class:`~agentcore_mcp.server._session_store.StreamLog` records every event with an
    id, the stream opens with a priming event (an id, a ``retry`` hint, no data), and :meth:`detach` may end
    the HTTP response early: the client then resumes the rest with ``GET`` and ``Last-Event-ID``.
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
        "_timer",
        "_watch",
        "_watcher",
        "detached",
        "disconnected",
        "session_id",
        "streaming",
    )

    def __init__(
        self,
        send: PacedSend,
        keepalive: float | None = 15.0,
        receive: Receive | None = None,
        watch: StreamWatch | None = None,
    ) -> None:
        self._send = send
        self._receive = receive
        self._keepalive = keepalive
        self._watch = watch
        self._ticker: asyncio.Task[None] | None = None
        self._watcher: asyncio.Task[None] | None = None
        self._task: asyncio.Task[Any] | None = None
        self._arming = False  # waiting in the watch for its ticker and watcher
        self._timer: asyncio.TimerHandle | None = None  # or on a timer of its own (see StreamWatch)
        self.disconnected = False
        self._log: StreamLog | None = None
        self._new_log: Callable[[], StreamLog] | None = None
        self._retry_ms: int | None = None
        self.session_id: str | None = None  # echoed as Mcp-Session-Id (session mode)
        self.streaming = False
        self.detached = False

    def record(self, new_log: Callable[[], StreamLog], retry_ms: int | None) -> None:
        """Record this answer's events (session mode) in a log made when the stream starts; prime the stream
        when ``retry_ms`` is set."""
        self._new_log = new_log
        self._retry_ms = retry_ms

    def _headers(self, base: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
        if self.session_id is None:
            return base
        return [*base, (SESSION_ID_HEADER, self.session_id.encode())]

    async def _start_stream(self) -> None:
        await self._send.raw(self._begin())
        if self._log is not None and self._retry_ms is not None:
            # The priming event: an id to resume from, and how long to wait before reconnecting.
            event = priming(self._log.append(b""), self._retry_ms)
            await self._send({"type": "http.response.body", "body": event, "more_body": True})

    def _begin(self) -> dict[str, Any]:
        """Start streaming (the log, the watch) and return the response start to send: nothing has streamed
        yet, so nothing can have been cut and the start needs no pacing."""
        self.streaming = True
        if self._new_log is not None:
            self._log = self._new_log()
        if self._keepalive or self._receive is not None:
            # Most streams end within milliseconds (a progress event, then the answer): the keep-alive
            # ticker and the disconnect watcher, two tasks that cost more than the rest of such an answer,
            # start only once the stream has lasted WATCH_AFTER seconds (the watch arms them).
            task = self._task = asyncio.current_task()
            if self._send.owner is None:
                self._send.owner = task
            if self._watch is None:
                self._watch = StreamWatch(
                    min(WATCH_AFTER, self._keepalive) if self._keepalive else WATCH_AFTER
                )
            if self._watch.add(self):
                self._arming = True
            else:
                delay = self._watch.delay
                self._timer = asyncio.get_running_loop().call_later(delay, self._arm, delay)
        headers = SSE_HEADERS if self.session_id is None else self._headers(SSE_HEADERS)
        return {"type": "http.response.start", "status": 200, "headers": headers}

    def _arm(self, waited: float) -> None:
        self._arming = False
        self._timer = None
        loop = asyncio.get_running_loop()
        if self._keepalive:
            self._ticker = loop.create_task(self._tick(self._keepalive - waited, self._keepalive))
        if self._receive is not None:
            # Once streaming, the handler may run for long: a client that goes away cancels it. (A JSON
            # answer costs no watcher; its handler is bounded by the tool's timeout.)
            self._watcher = loop.create_task(self._watch_client())

    async def _tick(self, first: float, interval: float) -> None:
        await asyncio.sleep(first)
        while True:
            if not self.detached:
                await self._send({"type": "http.response.body", "body": KEEPALIVE, "more_body": True})
            await asyncio.sleep(interval)

    async def _emit(self, data: Body | Pieces, more: bool) -> None:
        """Record (session mode) and send one ``message`` event carrying ``data``."""
        event_id = None
        if self._log is not None:
            if not isinstance(data, bytes):
                data = b"".join(data)  # the log keeps it whole for resumption: send that copy, encoded once
            event_id = self._log.append(data)
        if self.detached:
            return
        if isinstance(data, bytes):
            if len(data) < BIG_EVENT:
                event = rpc.sse_event(data, event_id)
                await self._send({"type": "http.response.body", "body": event, "more_body": more})
                return
            data = (data,)
        # A large answer goes out as it is, between its framing, rather than copied into one more buffer.
        head = rpc.sse_event(b"", event_id)[: -len(rpc.SSE_EVENT_TAIL)]
        await self._send({"type": "http.response.body", "body": head, "more_body": True})
        for piece in data:
            await self._send({"type": "http.response.body", "body": piece, "more_body": True})
        await self._send({"type": "http.response.body", "body": rpc.SSE_EVENT_TAIL, "more_body": more})

    async def send_message(self, message: dict[str, Any]) -> None:
        if not self.streaming:
            if self._new_log is None:  # no log, so no priming event: the start alone
                await self._send.raw(self._begin())
            else:
                await self._start_stream()
        data = to_json(message, inf_nan_mode="null")
        if self._log is None and not self.detached and len(data) < BIG_EVENT:
            # The usual event (no log to keep, small), framed and paced here without _emit's frame nor
            # PacedSend.__call__'s: what that does with a small body, inline.
            message = {
                "type": "http.response.body",
                "body": _EVENT_HEAD + data + _EVENT_TAIL,
                "more_body": True,
            }
            paced = self._send
            if paced.cut:
                paced._refuse()
            elif paced.streaming:
                await paced._write(message)
            else:
                paced._stream()
                await paced.raw(message)
            return
        await self._emit(data, True)

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

    async def _watch_client(self) -> None:
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
        if self._arming:
            self._arming = False
            assert self._watch is not None
            self._watch.pending.pop(self, None)
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._ticker is not None:
            self._ticker.cancel()
            self._ticker = None
        if self._watcher is not None:
            self._watcher.cancel()
            self._watcher = None

    async def finish(self, reply: Reply | bytes, gzip: bool = False) -> None:
        """Send ``reply`` (``bytes``: a 200 answer with that JSON body): the stream's last event when
        streaming, else a whole JSON (or 202) answer.

        Call :meth:`close` first (the ticker and watcher must not write after the answer).
        """
        page = None
        if isinstance(reply, bytes):
            body: Body | Pieces | None = reply
            status = 200
        else:
            body, status, page = reply.body, reply.status, reply.page
        if type(body) is bytes and self._log is None and len(body) < BIG_EVENT:
            # The usual answers, written without send_bytes' and _emit's frames: one small JSON body
            # straight to the server's send (it needs no pacing), or the last event of a short stream.
            if not self.streaming:
                length = (b"content-length", b"%d" % len(body))
                headers = (
                    [CONTENT_JSON, length]
                    if self.session_id is None
                    else [*self._headers(JSON_HEADERS), length]
                )
                raw = self._send.raw
                await raw({"type": "http.response.start", "status": status, "headers": headers})
                await raw({"type": "http.response.body", "body": body})
                return
            if not self.detached:
                event = _EVENT_HEAD + body + _EVENT_TAIL
                message = {"type": "http.response.body", "body": event, "more_body": False}
                paced = self._send
                if paced.streaming and not paced.cut:  # (as PacedSend.__call__ would: a paced write)
                    await paced._write(message)
                else:
                    await paced(message)
                return
        compressed = False
        if page is not None:
            assert not isinstance(reply, bytes)
            body, compressed = framed_page(reply, gzip and not self.streaming)
        if self.streaming:
            assert body is not None  # a streamed request has an id, so its reply has a body
            await self._emit(body, False)
            if self._log is not None:
                self._log.finish()
            return
        if self._log is not None:
            self._log.finish()
        if body is None:
            await send_bytes(self._send, 202, b"", self._headers([]))
            return
        headers = JSON_HEADERS if self.session_id is None else self._headers(JSON_HEADERS)
        await send_bytes(self._send, status, body, [*headers, *GZIP_HEADERS] if compressed else headers)
