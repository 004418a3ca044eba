"""Drive an ASGI app in process, message by message, and check every answer is well formed.

The fuzz tests send thousands of requests; going through raw ASGI (no sockets, no HTTP client) keeps each
one well under a millisecond while still checking what a server owes the ASGI server: exactly one
``http.response.start`` before any body, nothing after the last body message, header names lower-case
and header values free of CR, LF and NUL.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import anyio

ACCEPT = "application/json, text/event-stream"
MODERN = "2026-07-28"
NAMED = {"tools/call": "name", "prompts/get": "name", "resources/read": "uri"}

Message = MutableMapping[str, Any]
ASGIApp = Callable[
    [MutableMapping[str, Any], Callable[[], Awaitable[Message]], Callable[[Message], Awaitable[None]]],
    Awaitable[None],
]


class ProtocolViolation(AssertionError):
    """The app broke the ASGI HTTP message sequence or sent an unsafe header."""


@dataclass
class Answer:
    """One HTTP answer as the app produced it."""

    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    chunks: int = 1
    complete: bool = True  # the app sent its final body message (more_body False)
    raised: BaseException | None = None

    def header(self, name: str) -> str | None:
        key = name.lower().encode()
        for k, v in self.headers:
            if k == key:
                return v.decode("latin-1")
        return None

    @property
    def content_type(self) -> str:
        return (self.header("content-type") or "").split(";")[0].strip()

    def messages(self) -> list[Any]:
        """The JSON-RPC messages in the body: one JSON document, or the data of every SSE event."""
        if self.content_type == "text/event-stream":
            return sse_messages(self.body)
        if not self.body:
            return []
        return [json.loads(self.body)]

    def final(self) -> Any:
        """The last JSON-RPC message (the response, for an SSE answer)."""
        found = self.messages()
        if not found:
            raise AssertionError(f"HTTP {self.status} with no JSON-RPC message: {self.body[:200]!r}")
        return found[-1]

    def error_code(self) -> int | None:
        final = self.final()
        error = final.get("error") if isinstance(final, dict) else None
        return error.get("code") if isinstance(error, dict) else None


def sse_messages(body: bytes) -> list[Any]:
    """The JSON data of every ``event: message`` in an SSE body (comments and priming events skipped)."""
    out: list[Any] = []
    text = body.decode("utf-8")
    for block in text.replace("\r\n", "\n").split("\n\n"):
        data = [line[5:].removeprefix(" ") for line in block.split("\n") if line.startswith("data:")]
        joined = "\n".join(data)
        if joined.strip():
            out.append(json.loads(joined))
    return out


def check_header(name: bytes, value: bytes) -> None:
    if name != name.lower():
        raise ProtocolViolation(f"header name not lower-case: {name!r}")
    for bad in (b"\r", b"\n", b"\0"):
        if bad in name or bad in value:
            raise ProtocolViolation(f"header {name!r} carries {bad!r}: {value[:100]!r}")


def http_scope(
    method: str = "POST",
    path: str = "/mcp",
    headers: Iterable[tuple[str | bytes, str | bytes]] = (),
    *,
    client: tuple[str, int] = ("127.0.0.1", 50000),
) -> dict[str, Any]:
    raw = [
        (
            (k if isinstance(k, bytes) else k.encode("latin-1")).lower(),
            v if isinstance(v, bytes) else v.encode("utf-8"),
        )
        for k, v in headers
    ]
    return {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode("latin-1", "replace"),
        "query_string": b"",
        "root_path": "",
        "headers": raw,
        "client": client,
        "server": ("127.0.0.1", 8000),
    }


async def call(
    app: ASGIApp,
    scope: Mapping[str, Any],
    body: bytes | Sequence[bytes] = b"",
    *,
    limit: float = 10.0,
) -> Answer:
    """Send one request (``body`` whole, or as chunks) and collect the answer, checking the ASGI sequence.

    After the body, ``receive`` blocks until the answer is complete, then reports ``http.disconnect`` (as
    uvicorn does once the response is sent).
    """
    chunks = [body] if isinstance(body, bytes) else list(body) or [b""]
    inbox: list[Message] = [
        {"type": "http.request", "body": c, "more_body": i < len(chunks) - 1} for i, c in enumerate(chunks)
    ]
    done = anyio.Event()
    started: Message | None = None
    parts: list[bytes] = []
    finished = False
    count = 0

    async def receive() -> Message:
        if inbox:
            return inbox.pop(0)
        await done.wait()
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        nonlocal started, finished, count
        if finished:
            raise ProtocolViolation(f"message after the response was complete: {message.get('type')}")
        if message["type"] == "http.response.start":
            if started is not None:
                raise ProtocolViolation("http.response.start sent twice")
            for name, value in message.get("headers", []):
                check_header(bytes(name), bytes(value))
            started = message
        elif message["type"] == "http.response.body":
            if started is None:
                raise ProtocolViolation("http.response.body before http.response.start")
            parts.append(bytes(message.get("body", b"")))
            count += 1
            if not message.get("more_body", False):
                finished = True
                done.set()
        else:
            raise ProtocolViolation(f"unexpected message {message['type']!r}")

    raised: BaseException | None = None
    with anyio.fail_after(limit):
        try:
            await app(dict(scope), receive, send)
        except Exception as exc:  # the ASGI server would answer 500 (if nothing was sent yet)
            raised = exc
    done.set()
    if started is None:
        return Answer(500, [], b"", 0, complete=False, raised=raised)
    return Answer(
        int(started["status"]),
        [(bytes(k), bytes(v)) for k, v in started.get("headers", [])],
        b"".join(parts),
        count,
        complete=finished,
        raised=raised,
    )


def post_scope(headers: Mapping[str, str] | Iterable[tuple[str, str]] = (), **kw: Any) -> dict[str, Any]:
    """A POST /mcp scope with the standard Accept and Content-Type plus ``headers``."""
    items = list(headers.items()) if isinstance(headers, Mapping) else list(headers)
    names = {k.lower() for k, _ in items}
    base = []
    if "accept" not in names:
        base.append(("accept", ACCEPT))
    if "content-type" not in names:
        base.append(("content-type", "application/json"))
    return http_scope("POST", headers=[*base, *items], **kw)


def modern_meta(**extra: Any) -> dict[str, Any]:
    return {
        "io.modelcontextprotocol/protocolVersion": MODERN,
        "io.modelcontextprotocol/clientCapabilities": {},
        **extra,
    }


def modern(
    method: str, params: dict[str, Any] | None = None, *, id: Any = 1
) -> tuple[dict[str, Any], dict[str, str]]:
    """A 2026-07-28 request body and the routing headers that go with it."""
    given = dict(params or {})
    given["_meta"] = {**modern_meta(), **given.get("_meta", {})}
    headers = {"mcp-protocol-version": MODERN, "mcp-method": method}
    target = given.get(NAMED.get(method, ""))
    if isinstance(target, str):
        headers["mcp-name"] = encode_header_value(target)
    return {"jsonrpc": "2.0", "id": id, "method": method, "params": given}, headers


def legacy(method: str, params: dict[str, Any] | None = None, *, id: Any = 1) -> dict[str, Any]:
    body: dict[str, Any] = {"jsonrpc": "2.0", "id": id, "method": method}
    if params is not None:
        body["params"] = params
    return body


def encode_header_value(value: str) -> str:
    """The 2026-07-28 header encoding: printable ASCII as is, anything else ``=?base64?...?=``."""
    import base64

    if value and all(0x20 <= ord(c) <= 0x7E for c in value) and value == value.strip():
        return value
    return "=?base64?" + base64.b64encode(value.encode("utf-8")).decode("ascii") + "?="


def dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, allow_nan=False).encode("utf-8", "surrogatepass")


@dataclass
class Tally:
    """Outcomes by (HTTP status, JSON-RPC error code or a label), for the figures in docs/reliability.md."""

    counts: dict[str, int] = field(default_factory=dict)

    def add(self, answer: Answer) -> None:
        if answer.status == 202:
            label = "202 accepted"
        elif answer.status in (405, 404) and not answer.body.startswith(b'{"jsonrpc"'):
            label = f"{answer.status} plain"
        else:
            try:
                final = answer.final()
            except (AssertionError, ValueError):
                label = f"{answer.status} unparsable"
            else:
                error = final.get("error") if isinstance(final, dict) else None
                if isinstance(error, dict):
                    label = f"{answer.status} {error.get('code')}"
                elif isinstance(final, dict) and isinstance(final.get("result"), dict):
                    is_error = final["result"].get("isError") is True
                    label = f"{answer.status} result" + (" (isError)" if is_error else "")
                else:
                    label = f"{answer.status} other"
        self.counts[label] = self.counts.get(label, 0) + 1

    @property
    def total(self) -> int:
        return sum(self.counts.values())


async def call_then_leave(
    app: ASGIApp,
    scope: Mapping[str, Any],
    body: bytes = b"",
    *,
    leave_after: float = 0.02,
    limit: float = 10.0,
) -> Answer:
    """Like :func:`call`, for answers that may never end (a GET stream): the client leaves (``receive``
    reports ``http.disconnect``) ``leave_after`` seconds after the request, or when the answer ends.

    Checks the same ASGI sequence; what the app sends after the client left is dropped, as uvicorn drops
    it. ``Answer.complete`` says whether the app ended the answer itself.
    """
    inbox: list[Message] = [{"type": "http.request", "body": body, "more_body": False}]
    ended = anyio.Event()
    left = False
    started: Message | None = None
    parts: list[bytes] = []
    finished = False
    count = 0

    async def receive() -> Message:
        nonlocal left
        if inbox:
            return inbox.pop(0)
        with anyio.move_on_after(leave_after):
            await ended.wait()
        left = True
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        nonlocal started, finished, count
        if finished:
            raise ProtocolViolation(f"message after the response was complete: {message.get('type')}")
        if message["type"] == "http.response.start":
            if started is not None:
                raise ProtocolViolation("http.response.start sent twice")
            for name, value in message.get("headers", []):
                check_header(bytes(name), bytes(value))
            started = message
        elif message["type"] == "http.response.body":
            if started is None:
                raise ProtocolViolation("http.response.body before http.response.start")
            if left:
                return
            parts.append(bytes(message.get("body", b"")))
            count += 1
            if not message.get("more_body", False):
                finished = True
                ended.set()
        else:
            raise ProtocolViolation(f"unexpected message {message['type']!r}")

    raised: BaseException | None = None
    with anyio.fail_after(limit):
        try:
            await app(dict(scope), receive, send)
        except Exception as exc:
            raised = exc
    ended.set()
    if started is None:
        return Answer(500, [], b"", 0, complete=False, raised=raised)
    return Answer(
        int(started["status"]),
        [(bytes(k), bytes(v)) for k, v in started.get("headers", [])],
        b"".join(parts),
        count,
        complete=finished,
        raised=raised,
    )


def sse_events(body: bytes) -> list[tuple[str | None, str | None, bytes]]:
    """Every SSE event of a body as (id, event type, data); comments (keep-alives) skipped.

    Raises AssertionError when the body does not end on an event boundary or a line is not SSE.
    """
    assert not body or body.endswith(b"\n\n"), f"an SSE body cut inside an event: {body[-80:]!r}"
    out: list[tuple[str | None, str | None, bytes]] = []
    for block in body.decode("utf-8").split("\n\n")[:-1]:
        event_id: str | None = None
        kind: str | None = None
        data: list[str] = []
        lines = [line for line in block.split("\n") if not line.startswith(":")]
        if not lines:
            continue
        for line in lines:
            name, sep, value = line.partition(":")
            assert sep, f"not an SSE field line: {line[:80]!r}"
            value = value.removeprefix(" ")
            if name == "id":
                event_id = value
            elif name == "event":
                kind = value
            elif name == "data":
                data.append(value)
            else:
                assert name == "retry", f"unknown SSE field {line[:80]!r}"
                assert value.isdigit(), f"a retry that is not a number: {line[:80]!r}"
        out.append((event_id, kind, "\n".join(data).encode()))
    return out
