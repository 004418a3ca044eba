"""Forwarding one invocation to an MCP server and streaming its answer back as it is produced.

Two upstream kinds: an HTTP URL (a server on loopback, or a session's own server process), reached with
httpx and streamed chunk by chunk; and an in-process ASGI app, called directly with a scope of its own so
that SSE events reach the caller as the app sends them. Either way, an upstream that cannot be reached,
fails before answering, or answers 5xx is reported as :class:`UpstreamFailed` (the caller answers 424
RuntimeClientError); one that breaks after the answer started ends the stream early.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import anyio

from agentcore_mcp import _wire as rpc

__all__ = ["AsgiUpstream", "Forwarded", "HttpUpstream", "Upstream", "UpstreamFailed"]

Headers = list[tuple[bytes, bytes]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
StartHook = Callable[[int, Headers], Headers]
EndHook = Callable[[], None]

# Headers of the upstream answer that reach the caller (others are the platform's to set).
PASSED_RESPONSE_HEADERS = frozenset(
    {
        b"content-type",
        b"content-length",
        b"content-encoding",
        b"cache-control",
        rpc.MCP_PROTOCOL_VERSION.encode(),
        rpc.MCP_SESSION_ID.encode(),  # the caller gets the platform's, or a stateful server's own (the emulator decides)
        b"allow",
    }
)


class UpstreamFailed(Exception):
    """The MCP server did not produce a usable answer (unreachable, crashed, or HTTP 5xx)."""


@dataclass
class Forwarded:
    """What happened on the way back: the status sent, its content type, and whether the stream broke."""

    status: int
    content_type: str
    streamed: bool
    broken: bool = False
    size: int = 0


class Upstream:
    """Where an invocation goes; :meth:`forward` sends it and streams the answer through ``send``."""

    description = "upstream"

    async def forward(
        self, headers: Headers, body: bytes, send: Send, on_start: StartHook, on_end: EndHook
    ) -> Forwarded:
        """Send the request; stream the answer through ``send``.

        ``on_start(status, headers)`` returns the response headers to send; ``on_end()`` (idempotent; it may be
        called more than once) runs before the caller can have seen the whole answer.
        """
        raise NotImplementedError

    async def aclose(self) -> None:
        return None


def _content_type(headers: Headers) -> str:
    for key, value in headers:
        if key.lower() == b"content-type":
            return value.decode("latin-1")
    return ""


async def _safe_send(send: Send, message: dict[str, Any]) -> bool:
    try:
        await send(message)
    except OSError:  # the caller went away
        return False
    return True


async def _end(send: Send, on_end: EndHook) -> None:
    on_end()
    await _safe_send(send, {"type": "http.response.body", "body": b""})


class HttpUpstream(Upstream):
    """An MCP server reached over HTTP at ``url`` (e.g. ``http://127.0.0.1:8000/mcp``)."""

    def __init__(self, url: str, client: Any) -> None:
        self.url = url
        self.client = client
        self.description = url

    async def forward(
        self, headers: Headers, body: bytes, send: Send, on_start: StartHook, on_end: EndHook
    ) -> Forwarded:
        import httpx

        request = self.client.build_request("POST", self.url, headers=headers, content=body)
        for name in ("user-agent", "accept-encoding", "connection"):
            if name not in {k.decode().lower() for k, _ in headers} and name in request.headers:
                del request.headers[name]
        try:
            response = await self.client.send(request, stream=True)
        except httpx.HTTPError as exc:
            raise UpstreamFailed(f"the runtime could not be reached ({type(exc).__name__}: {exc})") from None
        try:
            if response.status_code >= 500:
                raise UpstreamFailed(f"Received error ({response.status_code}) from runtime")
            raw = [(k.lower(), v) for k, v in response.headers.raw if k.lower() in PASSED_RESPONSE_HEADERS]
            content_type = response.headers.get("content-type", "")
            streamed = content_type.startswith("text/event-stream")
            out = on_start(response.status_code, raw)
            if not await _safe_send(
                send, {"type": "http.response.start", "status": response.status_code, "headers": out}
            ):
                return Forwarded(response.status_code, content_type, streamed, broken=True)
            size = 0
            length = response.headers.get("content-length")
            expected = int(length) if length and length.isdigit() else None
            try:
                async for chunk in response.aiter_raw():
                    size += len(chunk)
                    if expected is not None and size >= expected:
                        on_end()  # the caller has the whole answer once this chunk is out
                    if not await _safe_send(
                        send, {"type": "http.response.body", "body": chunk, "more_body": True}
                    ):
                        return Forwarded(response.status_code, content_type, streamed, broken=True, size=size)
            except httpx.HTTPError:
                await _end(send, on_end)
                return Forwarded(response.status_code, content_type, streamed, broken=True, size=size)
            await _end(send, on_end)
            return Forwarded(response.status_code, content_type, streamed, size=size)
        finally:
            await response.aclose()


class AsgiUpstream(Upstream):
    """An MCP server that is an ASGI app in this process, called at ``path`` (``/mcp``)."""

    def __init__(self, app: Any, path: str = "/mcp", host: str = "localhost") -> None:
        self.app = app
        self.path = path
        self.host = host
        self.description = f"in-process {type(app).__name__}"

    async def forward(
        self, headers: Headers, body: bytes, send: Send, on_start: StartHook, on_end: EndHook
    ) -> Forwarded:
        path, _, query = self.path.partition("?")
        scope: dict[str, Any] = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "https",
            "path": path,
            "raw_path": path.encode(),
            "query_string": query.encode(),
            "root_path": "",
            "headers": headers,
            "client": ("127.0.0.1", 0),
            "server": (self.host, 443),
            "state": {},
        }
        done = anyio.Event()
        delivered = False

        async def receive() -> dict[str, Any]:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            await done.wait()
            return {"type": "http.disconnect"}

        relay = _AsgiRelay(send, on_start, on_end)
        try:
            await self.app(scope, receive, relay.app_send)
        except Exception as exc:
            if relay.status is None or relay.failed:
                raise UpstreamFailed(
                    f"the runtime failed before answering ({type(exc).__name__}: {exc})"
                ) from None
            if not relay.ended:
                await _end(send, on_end)
            return Forwarded(relay.status, relay.content_type, True, broken=True, size=relay.size)
        finally:
            done.set()
        if relay.failed:
            raise UpstreamFailed(relay.failed)
        if relay.status is None:
            raise UpstreamFailed("the runtime returned without answering")
        if not relay.ended:
            await _end(send, on_end)
        streamed = relay.content_type.startswith("text/event-stream")
        return Forwarded(relay.status, relay.content_type, streamed, broken=relay.broken, size=relay.size)


class _AsgiRelay:
    """Passes an in-process app's answer to the caller as it is sent, noting what went by."""

    def __init__(self, send: Send, on_start: StartHook, on_end: EndHook) -> None:
        self.send, self.on_start, self.on_end = send, on_start, on_end
        self.status: int | None = None
        self.failed: str | None = None
        self.content_type = ""
        self.size = 0
        self.ended = False
        self.broken = False

    async def app_send(self, message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            await self._start(int(message["status"]), message.get("headers", []))
        elif message["type"] == "http.response.body":
            if self.failed or self.broken or self.ended:
                return
            chunk = message.get("body", b"")
            self.size += len(chunk)
            more = bool(message.get("more_body", False))
            if not more:
                self.on_end()
            if not await _safe_send(
                self.send, {"type": "http.response.body", "body": chunk, "more_body": more}
            ):
                self.broken = True
            if not more:
                self.ended = True

    async def _start(self, status: int, headers: Any) -> None:
        self.status = status
        if status >= 500:
            self.failed = f"Received error ({status}) from runtime"
            return
        raw = [(bytes(k).lower(), bytes(v)) for k, v in headers]
        self.content_type = _content_type(raw)
        passed = [(k, v) for k, v in raw if k in PASSED_RESPONSE_HEADERS]
        start = {"type": "http.response.start", "status": status, "headers": self.on_start(status, passed)}
        if not await _safe_send(self.send, start):
            self.broken = True
