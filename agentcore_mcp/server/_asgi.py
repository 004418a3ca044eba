"""The ASGI edge: routing and the HTTP checks; the edge's three helpers write every byte to ``send``.

One request, one way through: :meth:`Edge.__call__` routes (``/mcp``, ``/ping``, lifespan); a POST to the
MCP path has its headers scanned once into a :class:`~._request_headers.RequestHeaders`, is checked (header
count and size, ``Host`` when an allow-list is configured, ``Origin``, method, ``Accept``, ``Content-Type``,
body size), read, parsed as JSON and handed to the protocol layer with a :class:`~._responder.Responder`.
The protocol returns a :class:`~._protocol.Reply` (or a 200 answer's bytes); the responder writes it, as one
JSON body, or as the last event of the SSE stream that a handler's earlier messages started, through the
paced sender of ``_sending.py``. In session mode GET opens a session's stream and DELETE ends the session.
Nothing else in the package calls ``send``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from pydantic_core import from_json

from agentcore_mcp import _wire as rpc
from agentcore_mcp.server._http import (
    HEALTHY,
    PING_PATH,
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
from agentcore_mcp.server._protocol import Soon
from agentcore_mcp.server._request_headers import (
    LAST_EVENT_ID_HEADER,
    MAX_HEADER_BYTES,
    MAX_HEADER_COUNT,
    SEEN_MAX,
    SESSION_ID_HEADER,
    RequestHeaders,
)
from agentcore_mcp.server._responder import BIG_EVENT, SSE_HEADERS, WATCH_AFTER, Responder, StreamWatch
from agentcore_mcp.server._sending import CONTENT_JSON, PacedSend, ReaderStalled, refuse, send_bytes
from agentcore_mcp.server._session_store import valid_session_id
from agentcore_mcp.server._streams import priming, resume_point, session_events
from agentcore_mcp.server._warmup import Warmup

if TYPE_CHECKING:
    from agentcore_mcp.server._protocol import Protocol
    from agentcore_mcp.server._session_store import SessionStore, StreamLog

__all__ = ["Edge", "RequestHeaders", "Responder"]

logger = logging.getLogger("agentcore_mcp.server")

# Accept values seen, and whether they admit both answer types (bounded: the values are client input).
_ACCEPTED: dict[bytes | None, bool] = {}
_NOT_FOUND = b'{"error":"Not Found"}'
_CUT = "a client read nothing of its answer for %g s: answer cut, its request cancelled"
_JSON = rpc.JSON.encode()


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
            await refuse(send, *refused)
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
                await refuse(send, 413, f"Payload Too Large: the limit is {self.max_body_size} bytes")
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
                await send({"type": "http.response.start", "status": 200, "headers": [CONTENT_JSON, length]})
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
            if len(_ACCEPTED) < SEEN_MAX:
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
            await refuse(send, 406, "Not Acceptable: a GET stream needs Accept: text/event-stream")
            return
        if headers.session_id is None or not valid_session_id(headers.session_id):
            await refuse(send, 400, "Bad Request: a valid Mcp-Session-Id header is required")
            return
        session = store.open(headers.session_id)
        if session is None:
            await refuse(send, 404, "Session not found")
            return
        point = resume_point(session, headers.get(LAST_EVENT_ID_HEADER))
        if point is None:
            await refuse(send, 404, "Not Found: no stream to resume from that Last-Event-ID")
            return
        log, after, primed = point
        start = {
            "type": "http.response.start",
            "status": 200,
            "headers": [*SSE_HEADERS, (SESSION_ID_HEADER, session.id.encode())],
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
            await refuse(send, 400, "Bad Request: a valid Mcp-Session-Id header is required")
        elif store.end(headers.session_id):
            await send_bytes(send, 200, b"", [])
        else:
            await refuse(send, 404, "Session not found")


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
