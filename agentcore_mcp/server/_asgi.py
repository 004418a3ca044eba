"""The ASGI edge: routing, the HTTP checks, the header scan, gzip, and every byte written to ``send``.

One request, one way through: :meth:`Edge.__call__` routes (``/mcp``, ``/ping``, lifespan); a POST to the
MCP path has its headers scanned once into :class:`RequestHeaders`, is checked (header count and size,
``Host`` when an allow-list is configured, ``Origin``, method, ``Accept``, ``Content-Type``, body size), read, parsed as JSON and handed to the protocol
layer with a :class:`Responder`. The protocol returns a :class:`~._protocol.Reply` (or a 200 answer's
bytes); the responder writes it, as one JSON body, or as the last event of the SSE stream that a handler's
earlier messages started. In session mode GET opens a session's stream and DELETE ends the session. Nothing
else in the package calls ``send``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Generator, MutableMapping
from dataclasses import dataclass, field
from time import monotonic
from typing import TYPE_CHECKING, Any

from pydantic_core import from_json, to_json

from agentcore_mcp import _wire as rpc
from agentcore_mcp.server._compression import MIN_GZIP_SIZE, accepts_gzip
from agentcore_mcp.server._http import (
    HEALTHY,
    PING_PATH,
    Body,
    BodyTooLarge,
    HostCheck,
    Receive,
    Scope,
    Send,
    accepts_both,
    accepts_event_stream,
    origin_allowed,
    read_body,
)
from agentcore_mcp.server._options import send_timeout_from_env
from agentcore_mcp.server._pieces import Pieces
from agentcore_mcp.server._protocol import Soon
from agentcore_mcp.server._session_store import valid_session_id
from agentcore_mcp.server._streams import KEEPALIVE, priming, resume_point, session_events
from agentcore_mcp.server._warmup import Warmup

if TYPE_CHECKING:
    from agentcore_mcp.server._protocol import Protocol, Reply
    from agentcore_mcp.server._session_store import SessionStore, StreamLog

__all__ = ["Edge", "RequestHeaders", "Responder"]

logger = logging.getLogger("agentcore_mcp.server")

# A body larger than this goes out in pieces of this size: uvicorn's flow control acts between ASGI sends
# (a send waits while the transport is above its high-water mark), so pieces are what let a slow reader
# hold the answer back instead of the whole answer being copied into the transport's buffer at once.
SEND_PIECE = 64 * 1024


_timeout = getattr(asyncio, "timeout", None)  # Python 3.11+


class ReaderStalled(Exception):
    """The client stopped reading: one write waited longer than the send timeout (the answer is cut)."""


class PacedSend:
    """The ``send`` of one request: bodies in pieces that wait for the client, and a deadline on each wait.

    A body over :data:`SEND_PIECE` bytes is sent piece by piece, so a client that reads slowly holds the
    rest of the answer in the handler rather than in the connection's buffer. Once the answer streams
    (after the first piece or ``more_body`` message) every write waits at most ``timeout`` seconds; a
    write that waits longer cuts the answer: the write raises :class:`ReaderStalled` in the request's own
    task (which unwinds its handler) and, from any other task (a keep-alive ticker), cancels the request's
    task. Later writes are dropped. ``timeout`` None: never cut.

    ``raw`` is the server's own ``send``: a small whole answer that does not stream needs none of this and
    is written to it directly.
    """

    __slots__ = ("_timeout", "cut", "owner", "raw", "streaming")

    def __init__(self, send: Send, timeout: float | None) -> None:
        self.raw = send
        self._timeout = timeout
        # The request's task, taken when the answer starts streaming (always in that task): most answers
        # never stream, and asking asyncio for the current task costs more than the rest of this object.
        self.owner: asyncio.Task[Any] | None = None
        self.cut = False
        self.streaming = False

    def _stream(self) -> None:
        self.streaming = True
        if self.owner is None:
            self.owner = asyncio.current_task()

    async def __call__(self, message: MutableMapping[str, Any]) -> None:
        if self.cut:
            self._refuse()
            return
        if message["type"] != "http.response.body":
            await self.raw(message)
            return
        body: bytes = message.get("body", b"")
        more: bool = message.get("more_body", False)
        if len(body) <= SEND_PIECE:
            if self.streaming:
                await self._write(message)
            else:
                if more:
                    self._stream()
                await self.raw(message)
            return
        self._stream()
        view = memoryview(body)
        for start in range(0, len(body), SEND_PIECE):
            last = start + SEND_PIECE >= len(body)
            piece = bytes(view[start : start + SEND_PIECE])
            await self._write({"type": "http.response.body", "body": piece, "more_body": more or not last})

    async def _write(self, message: MutableMapping[str, Any]) -> None:
        if self._timeout is None:
            await self.raw(message)
            return
        # The server's send is stepped once by hand: a write the transport takes at once (nearly all of
        # them) finishes in that step, and only one that has to wait for the client pays for a deadline
        # (a timer scheduled and cancelled per write cost more than the rest of a short SSE answer).
        steps = self.raw(message).__await__()
        try:
            waiting = steps.send(None)
        except StopIteration:
            return
        try:
            if _timeout is not None:
                async with _timeout(self._timeout):
                    await _Resumed(steps, waiting)
            else:  # Python 3.10: a task per write, only once a write waits
                await asyncio.wait_for(_Resumed(steps, waiting), self._timeout)
        except (TimeoutError, asyncio.TimeoutError):
            self.cut = True
            self._refuse()

    def _refuse(self) -> None:
        if asyncio.current_task() is self.owner:
            raise ReaderStalled(f"the client read nothing for {self._timeout:g} s")
        if self.owner is not None:
            self.owner.cancel()


class _Resumed:
    """The rest of an awaitable already stepped once (``first`` is what that step yielded to the task)."""

    __slots__ = ("_first", "_steps")

    def __init__(self, steps: Generator[Any, Any, Any], first: Any) -> None:
        self._steps = steps
        self._first = first

    def __await__(self) -> Generator[Any, Any, Any]:
        steps, request = self._steps, self._first
        while True:
            try:
                sent = yield request
            except GeneratorExit:
                steps.close()
                raise
            except BaseException as exc:  # a cancellation (the deadline's included) goes to the send
                try:
                    request = steps.throw(exc)
                except StopIteration as done:
                    return done.value
            else:
                try:
                    request = steps.send(sent)
                except StopIteration as done:
                    return done.value


# httptools reads any header block whole; refuse what no MCP client sends (AgentCore caps a custom header
# value at 4 KB and allow-lists at most 20).
MAX_HEADER_COUNT = 100
MAX_HEADER_BYTES = 64 * 1024
# Event data from this size up is sent without copying it into one buffer with its framing.
BIG_EVENT = 64 * 1024
# Seconds a streamed answer runs before it gets keep-alive comments and a watcher for a vanished client.
WATCH_AFTER = 0.25

_CONTENT_JSON = (b"content-type", rpc.JSON.encode())
JSON_HEADERS = [_CONTENT_JSON]
SSE_HEADERS = [
    (b"content-type", rpc.EVENT_STREAM.encode()),
    (b"cache-control", b"no-cache, no-transform"),
    (b"x-accel-buffering", b"no"),
]
GZIP_HEADERS = [(b"content-encoding", b"gzip"), (b"vary", b"accept-encoding")]
# Accept values seen, and whether they admit both answer types (bounded: the values are client input).
_ACCEPTED: dict[bytes | None, bool] = {}
_ACCEPTED_MAX = 256
_NOT_FOUND = b'{"error":"Not Found"}'
_CUT = "a client read nothing of its answer for %g s: answer cut, its request cancelled"

_JSON = rpc.JSON.encode()
_EVENT_HEAD, _EVENT_TAIL = rpc.SSE_EVENT_HEAD, rpc.SSE_EVENT_TAIL
_SESSION_ID = rpc.MCP_SESSION_ID.encode()
_PROTOCOL_VERSION = rpc.MCP_PROTOCOL_VERSION.encode()
_METHOD = rpc.MCP_METHOD.encode()
_NAME = rpc.MCP_NAME.encode()
_PARAM_PREFIX = rpc.MCP_PARAM_PREFIX.encode()
_LAST_EVENT_ID = rpc.LAST_EVENT_ID.encode()
_IDENTITY = frozenset(
    h.encode() for h in (rpc.IDENTITY_WAT, rpc.WORKLOAD_ACCESS_TOKEN, rpc.OAUTH2_CALLBACK_URL)
)
# What the header scan keeps, by header name.
_K_ACCEPT, _K_CONTENT_TYPE, _K_LENGTH, _K_VERSION, _K_METHOD, _K_NAME, _K_SESSION, _K_ORIGIN = range(8)
_K_ENCODING, _K_IDENTITY = 8, 9
_SCANNED: dict[bytes, int] = {
    b"accept": _K_ACCEPT,
    b"content-type": _K_CONTENT_TYPE,
    b"content-length": _K_LENGTH,
    _PROTOCOL_VERSION: _K_VERSION,
    _METHOD: _K_METHOD,
    _NAME: _K_NAME,
    _SESSION_ID: _K_SESSION,
    b"origin": _K_ORIGIN,
    b"accept-encoding": _K_ENCODING,
    **dict.fromkeys(_IDENTITY, _K_IDENTITY),
}
# Accept-Encoding values seen, and whether they admit gzip (bounded like _ACCEPTED).
_GZIP: dict[bytes, bool] = {}


class RequestHeaders:
    """The headers of one request, scanned once: the routing headers for the protocol, the rest for checks."""

    __slots__ = (
        "accept",
        "content_type",
        "dup",
        "gzip",
        "identity",
        "length",
        "method",
        "name",
        "origin",
        "raw",
        "session_id",
        "size",
        "version",
    )

    def __init__(self, raw: list[tuple[bytes, bytes]]) -> None:
        self.raw = raw
        self.gzip = False  # Accept-Encoding admits gzip
        self.session_id: str | None = None
        self.identity = False  # AgentCore Identity headers are present
        self.version: str | None = None
        self.method: str | None = None
        self.name: str | None = None
        self.dup: str | None = None  # the first routing header that appeared twice
        size = 0  # bytes of names and values
        accept = content_type = length = origin = None
        kinds = _SCANNED.get  # one look-up per header names what it is (most headers: nothing to keep)
        for key, value in raw:
            size += len(key) + len(value)
            kind = kinds(key)
            if kind is None:
                continue
            if kind == _K_ACCEPT:
                accept = value if accept is None else accept + b"," + value
            elif kind == _K_CONTENT_TYPE:
                content_type = value
            elif kind == _K_LENGTH:
                length = value
            elif kind == _K_VERSION:
                if self.version is not None:
                    self.dup = rpc.MCP_PROTOCOL_VERSION_SPELLED
                self.version = value.decode("latin-1").strip()
            elif kind == _K_METHOD:
                if self.method is not None:
                    self.dup = rpc.MCP_METHOD_SPELLED
                self.method = value.decode("latin-1").strip()
            elif kind == _K_NAME:
                if self.name is not None:
                    self.dup = rpc.MCP_NAME_SPELLED
                self.name = value.decode("latin-1").strip()
            elif kind == _K_SESSION:
                self.session_id = value.decode("latin-1").strip()
            elif kind == _K_ORIGIN:
                origin = value
            elif kind == _K_ENCODING:
                if not self.gzip:
                    gzip = _GZIP.get(value)
                    if gzip is None:
                        gzip = accepts_gzip(value)
                        if len(_GZIP) < _ACCEPTED_MAX:
                            _GZIP[value] = gzip
                    self.gzip = gzip
            else:
                self.identity = True
        self.size = size
        self.accept: bytes | None = accept  # repeated Accept headers joined
        self.content_type: bytes | None = content_type
        self.length: bytes | None = length
        self.origin: bytes | None = origin

    def params(self) -> dict[str, str]:
        """``Mcp-Param-*`` headers by lower-cased token; a repeated one maps to ``"\\0dup"``."""
        out: dict[str, str] = {}
        start = len(_PARAM_PREFIX)
        for k, v in self.raw:
            if k.startswith(_PARAM_PREFIX):
                token = k[start:].decode("latin-1").lower()
                out[token] = "\0dup" if token in out else v.decode("latin-1")
        return out

    def get(self, name: bytes) -> str | None:
        """The first value of header ``name`` (lower case), or None."""
        return next((v.decode("latin-1") for k, v in self.raw if k == name), None)


@dataclass(eq=False)
class Edge:
    """The ASGI application behind :class:`~agentcore_mcp.AgentCoreMCP`.

    Attributes:
        protocol: answers each parsed message.
        path: the MCP endpoint (``/mcp``; the same with a trailing slash works too).
        origins: allowed ``Origin`` values, lower case, without a trailing slash (``b"*"``: any).
        allow_localhost: allow localhost origins on any port.
        hosts: the ``Host`` allow-list, or None (the default): any ``Host`` (a pod IP, a custom domain).
        max_body_size: the largest request body, in bytes.
        keepalive: seconds between comment lines on a quiet open stream (None: never).
        sessions: session mode's store (GET and DELETE are served), or None.
        sse_retry_ms: the ``retry`` hint of a GET stream's priming event.
        on_shutdown: called at ASGI lifespan shutdown, before it completes.
        warmup: Runtime V2's warm-up hook, answered on its path (``POST``), or None.
        send_timeout: seconds one write of an answer may wait for the client to read before the answer is
            cut (None: never; :class:`~._options.Limits` has the default).
    """

    protocol: Protocol
    path: str
    origins: frozenset[bytes]
    allow_localhost: bool
    max_body_size: int
    keepalive: float | None
    sessions: SessionStore | None
    sse_retry_ms: int
    on_shutdown: Callable[[], None]
    send_timeout: float | None = field(default_factory=send_timeout_from_env)  # tests build edges alone
    hosts: HostCheck | None = None
    warmup: Warmup | None = None
    paths: tuple[str, ...] = field(init=False)
    _watch: StreamWatch = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.paths = (self.path, self.path + "/") if self.path != "/" else ("/",)
        self._watch = StreamWatch(min(WATCH_AFTER, self.keepalive) if self.keepalive else WATCH_AFTER)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._not_http(scope, receive, send)
            return
        path: str = scope["path"]
        root = scope.get("root_path")
        if root and path.startswith(root):
            path = path[len(root) :]
        if path not in self.paths:
            if self.warmup is not None and path.rstrip("/") == self.warmup.path and scope["method"] == "POST":
                status, body = await self.warmup.run()
                await send_bytes(send, status, body)
                return
            await _elsewhere(path, scope["method"], send)
            return
        # The MCP endpoint. Its steps are inline rather than a coroutine of their own: every request comes
        # this way, and a coroutine frame is one of the larger costs of a request that does little.
        raw: list[tuple[bytes, bytes]] = scope["headers"]
        headers = RequestHeaders(raw) if len(raw) <= MAX_HEADER_COUNT else None
        method = scope["method"]
        # Refusals, small answers and the start of a stream need no pacing: the server's own send.
        refused = self._refusal(headers, method)
        if refused is not None:
            await _refuse(send, *refused)
            return
        assert headers is not None
        paced = None
        try:
            if method != "POST":
                paced = PacedSend(send, self.send_timeout)
                await self._not_post(method, headers, receive, paced)
                return
            limit = self.max_body_size
            try:
                if headers.length is not None and int(headers.length) > limit:
                    raise BodyTooLarge
                first = await receive()
                body = first.get("body", b"")
                # A small request's whole body is in its first message: read_body's frame only for more.
                if first["type"] != "http.request" or first.get("more_body", False) or len(body) > limit:
                    body = await read_body(receive, limit, None, first)
            except BodyTooLarge:
                await _refuse(send, 413, f"Payload Too Large: the limit is {self.max_body_size} bytes")
                return
            except ConnectionError:
                return  # the client is gone; nobody to answer
            try:
                message = from_json(body)
            except ValueError as exc:
                await send_bytes(send, 400, rpc.error_body(None, rpc.PARSE_ERROR, f"Parse error: {exc}"))
                return
            now = self.protocol.answer_now(message, headers)
            if type(now) is bytes and len(now) < BIG_EVENT:  # the commonest answer, written here
                length = (b"content-length", b"%d" % len(now))
                await send({"type": "http.response.start", "status": 200, "headers": [_CONTENT_JSON, length]})
                await send({"type": "http.response.body", "body": now})
                return
            paced = PacedSend(send, self.send_timeout)
            responder = Responder(paced, self.keepalive, receive, self._watch)
            if now is not None and not isinstance(now, Soon):  # answered, not as small JSON bytes
                await responder.finish(now, headers.gzip)
                return
            try:
                if now is None:
                    reply = await self.protocol.handle(message, headers, responder)
                else:  # a tools/call admitted by the lane, to run with the stream
                    reply = await self.protocol.answer_soon(now, headers, responder)
            except asyncio.CancelledError:
                if not responder.disconnected:
                    raise
                # The client left mid-stream and the watcher cancelled the handler: nobody to answer.
                _withdraw_cancellation()
                logger.info("client disconnected mid-stream; its request was cancelled")
                return
            finally:
                if responder.streaming:  # only a stream has a ticker, a watcher or a timer to stop
                    responder.close()
            await responder.finish(reply, headers.gzip)
        except (ReaderStalled, asyncio.CancelledError):
            if paced is None or not paced.cut:
                raise
            _withdraw_cancellation()
            # The answer is incomplete: the ASGI server closes the connection.
            logger.warning(_CUT, self.send_timeout)

    async def _not_http(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
        else:  # websocket: not part of MCP
            await send({"type": "websocket.close", "code": 1003})

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                self.on_shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return

    # -- the MCP endpoint ----------------------------------------------------------------------------------

    def _refusal(self, headers: RequestHeaders | None, method: str) -> tuple[int, str] | None:
        """The HTTP status and message that refuse this request before its body is read, or None."""
        if headers is None:
            return 431, f"Request Header Fields Too Large: more than {MAX_HEADER_COUNT} headers"
        if headers.size > MAX_HEADER_BYTES:
            return 431, f"Request Header Fields Too Large: more than {MAX_HEADER_BYTES} bytes"
        if self.hosts is not None:  # an opt-in check: the header is looked up only then
            host = headers.get(b"host")
            if not self.hosts.allows(host):
                logger.warning(
                    "refused a request for Host %r (not an AgentCore endpoint or allowed host)", host
                )
                return 421, "Misdirected Request: Host not allowed"
        if headers.origin is not None and not origin_allowed(
            headers.origin, self.origins, self.allow_localhost
        ):
            return 403, "Forbidden: Origin not allowed"
        if method != "POST":
            return None  # GET, DELETE and the 405 have rules of their own
        # A client sends the same Accept value on every request: its verdict is remembered (boundedly).
        accept = headers.accept
        accepted = _ACCEPTED.get(accept)
        if accepted is None:
            accepted = accepts_both(accept)
            if len(_ACCEPTED) < _ACCEPTED_MAX:
                _ACCEPTED[accept] = accepted
        if not accepted:
            return 406, "Not Acceptable: Accept must list application/json and text/event-stream"
        content_type = headers.content_type
        if content_type is None or (content_type != _JSON and not content_type.lower().startswith(_JSON)):
            return 415, "Unsupported Media Type: Content-Type must be application/json"
        length = headers.length
        if length is not None and not length.isdigit() and not length.strip().isdigit():
            return 400, "Bad Request: invalid Content-Length"
        return None

    async def _not_post(self, method: str, headers: RequestHeaders, receive: Receive, send: Send) -> None:
        """GET and DELETE in session mode; 405 for any other method."""
        if self.sessions is not None and method == "GET":
            await self._get_stream(self.sessions, headers, receive, send)
        elif self.sessions is not None and method == "DELETE":
            await self._delete_session(self.sessions, headers, send)
        else:
            allow = b"GET, POST, DELETE" if self.sessions is not None else b"POST"
            await send_bytes(send, 405, b"", [(b"allow", allow)])

    # -- session mode: GET and DELETE ----------------------------------------------------------------------

    async def _get_stream(
        self, store: SessionStore, headers: RequestHeaders, receive: Receive, send: Send
    ) -> None:
        """``GET /mcp``: the session's standalone stream, or, with ``Last-Event-ID``, the rest of a lost stream."""
        if not accepts_event_stream(headers.accept):
            await _refuse(send, 406, "Not Acceptable: a GET stream needs Accept: text/event-stream")
            return
        if headers.session_id is None or not valid_session_id(headers.session_id):
            await _refuse(send, 400, "Bad Request: a valid Mcp-Session-Id header is required")
            return
        session = store.open(headers.session_id)
        if session is None:
            await _refuse(send, 404, "Session not found")
            return
        point = resume_point(session, headers.get(_LAST_EVENT_ID))
        if point is None:
            await _refuse(send, 404, "Not Found: no stream to resume from that Last-Event-ID")
            return
        log, after, primed = point
        start = {
            "type": "http.response.start",
            "status": 200,
            "headers": [*SSE_HEADERS, (_SESSION_ID, session.id.encode())],
        }
        await send(start)
        if primed:
            marker = log.append(b"")
            await send(
                {"type": "http.response.body", "body": priming(marker, self.sse_retry_ms), "more_body": True}
            )
            after = log.next_seq - 1
        await self._relay(log, after, receive, send)

    async def _relay(self, log: StreamLog, after: int, receive: Receive, send: Send) -> None:
        gone = asyncio.Event()

        async def watch() -> None:
            while (await receive())["type"] != "http.disconnect":
                pass
            gone.set()

        watcher = asyncio.get_running_loop().create_task(watch())
        try:
            async for chunk in session_events(log, after, self.keepalive, gone):
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            if not gone.is_set():
                await send({"type": "http.response.body", "body": b""})
        finally:
            watcher.cancel()

    async def _delete_session(self, store: SessionStore, headers: RequestHeaders, send: Send) -> None:
        """``DELETE /mcp``: end the session; later requests with its id get 404."""
        if headers.session_id is None or not valid_session_id(headers.session_id):
            await _refuse(send, 400, "Bad Request: a valid Mcp-Session-Id header is required")
        elif store.end(headers.session_id):
            await send_bytes(send, 200, b"", [])
        else:
            await _refuse(send, 404, "Session not found")


async def send_bytes(
    send: Send, status: int, body: Body | Pieces, headers: list[tuple[bytes, bytes]] | None = None
) -> None:
    """Send a complete answer with a ``content-length`` (a body in pieces goes out piece by piece; one
    encoded as it is written goes out without a length, so chunked)."""
    out = list(JSON_HEADERS if headers is None else headers)
    if isinstance(body, Pieces):
        await send({"type": "http.response.start", "status": status, "headers": out})
        for piece in body:
            await send({"type": "http.response.body", "body": piece, "more_body": True})
        await send({"type": "http.response.body", "body": b""})
        return
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


async def _elsewhere(path: str, method: str, send: Send) -> None:
    """A request for a path other than the MCP endpoint's: the health check, else 404."""
    if path == PING_PATH and method in ("GET", "HEAD"):
        await send_bytes(send, 200, HEALTHY)
    else:
        await send_bytes(send, 404, _NOT_FOUND)


def _withdraw_cancellation() -> None:
    """Take back the current task's cancellation, which was handled here (Python 3.11+; 3.10 keeps none)."""
    uncancel = getattr(asyncio.current_task(), "uncancel", None)
    if uncancel is not None:
        uncancel()


async def _refuse(send: Send, status: int, message: str) -> None:
    await send_bytes(send, status, rpc.error_body(None, rpc.INVALID_REQUEST, message))


def _framed_page(reply: Reply, gzip: bool) -> tuple[Body, bool]:
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
        return [*base, (_SESSION_ID, self.session_id.encode())]

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
                    [_CONTENT_JSON, length]
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
            body, compressed = _framed_page(reply, gzip and not self.streaming)
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
