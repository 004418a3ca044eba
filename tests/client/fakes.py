"""Fake remote services for client tests: the demo server behind a scriptable, recording ASGI front.

Tests queue what the next requests get (an HTTP status, an SSE stream that stops or breaks, a delay) and
read what the transport actually sent. Everything runs on real uvicorn on loopback.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import anyio

from agentcore_mcp.server._local import serve_in_thread

Scope = dict[str, Any]


@dataclass
class Seen:
    """One request as the server received it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        import json

        return json.loads(self.body) if self.body else None


@dataclass
class Action:
    """What to answer instead of the demo server (``None`` fields: pass through)."""

    status: int | None = None
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    chunks: list[bytes] | None = None  # an SSE body, sent chunk by chunk
    then: str = "end"  # after the chunks: "end" (close cleanly), "break" (abort the connection), "hang"
    delay: float = 0.0  # seconds to wait before answering (then pass through when status is None)
    match: str | None = None  # only for requests whose JSON-RPC method is this


class Front:
    """An ASGI app: answers queued :class:`Action` s, else forwards to ``app``; records every request."""

    def __init__(self, app: Any, *, session_id: str | None = None) -> None:
        self.app = app
        self.session_id = session_id  # when set, every answer carries this Mcp-Session-Id
        self.seen: list[Seen] = []
        self._actions: deque[Action] = deque()
        self._lock = threading.Lock()
        self.in_flight = 0  # requests being answered now
        self.max_in_flight = 0  # the most that were at once

    def queue(self, *actions: Action) -> None:
        with self._lock:
            self._actions.extend(actions)

    def clear(self) -> None:
        with self._lock:
            self._actions.clear()

    def pending(self) -> int:
        with self._lock:
            return len(self._actions)

    def _take(self, method: str | None) -> Action | None:
        with self._lock:
            for action in self._actions:
                if action.match is None or action.match == method:
                    self._actions.remove(action)
                    return action
        return None

    def posts(self, method: str | None = None) -> list[Seen]:
        return [s for s in self.seen if s.method == "POST" and (method is None or _rpc_method(s) == method)]

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await self._answer(scope, receive, send)
        finally:
            self.in_flight -= 1

    async def _answer(self, scope: Scope, receive: Any, send: Any) -> None:
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        seen = Seen(scope["method"], scope["path"], headers, body)
        self.seen.append(seen)
        action = self._take(_rpc_method(seen))
        if action is not None and action.delay:
            await anyio.sleep(action.delay)
        if action is None or action.status is None:
            await self.app(scope, _replay(body), self._wrap(send))
            return
        out = [(k.encode(), v.encode()) for k, v in action.headers]
        if self.session_id:
            out.append((b"mcp-session-id", self.session_id.encode()))
        await send({"type": "http.response.start", "status": action.status, "headers": out})
        if action.chunks is None:
            await send({"type": "http.response.body", "body": action.body})
            return
        for chunk in action.chunks:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        if action.then == "break":
            raise RuntimeError("fake server: connection dropped mid-stream")
        if action.then == "hang":
            await anyio.sleep_forever()
        await send({"type": "http.response.body", "body": b""})

    def _wrap(self, send: Any) -> Any:
        if not self.session_id:
            return send
        session_id = self.session_id.encode()

        async def wrapped(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message = {
                    **message,
                    "headers": [*message.get("headers", []), (b"mcp-session-id", session_id)],
                }
            await send(message)

        return wrapped


def _rpc_method(seen: Seen) -> str | None:
    try:
        value = seen.json()
    except ValueError:
        return None
    return value.get("method") if isinstance(value, dict) else None


def _replay(body: bytes) -> Any:
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await anyio.sleep_forever()
        raise AssertionError("unreachable")

    return receive


@contextmanager
def serve(front: Front) -> Iterator[str]:
    """Serve ``front`` on loopback; yields its MCP URL."""
    with serve_in_thread(front, timeout_graceful_shutdown=0.5) as base:
        yield f"{base}/mcp"


def sse(*messages: bytes) -> list[bytes]:
    """SSE chunks carrying ``messages`` (JSON-RPC bodies) as ``message`` events."""
    return [b"event: message\ndata: " + m + b"\n\n" for m in messages]
