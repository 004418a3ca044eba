"""The limit: a bare ASGI callable that answers ``tools/call add_numbers`` with no MCP machinery at all.

It reads the body, parses the JSON-RPC with ``pydantic_core.from_json``, adds the two arguments and writes the
same JSON answer our server writes (with the modern ``resultType``/``serverInfo`` stamp when the request
carries the 2026-07-28 envelope) with ``pydantic_core.to_json``; a request with a progress token gets an SSE
stream: one progress notification, then the result. No MCP server in Python on the same uvicorn
stack can be faster; the benchmark reports how close the real servers get.

Serve with ``uvicorn benchmarks.servers.bare_asgi:app``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from pydantic_core import from_json, to_json

Message = MutableMapping[str, Any]
_META_VERSION = "io.modelcontextprotocol/protocolVersion"
_SSE_HEADERS = [(b"content-type", b"text/event-stream"), (b"cache-control", b"no-cache")]
_SERVER_INFO = {"io.modelcontextprotocol/serverInfo": {"name": "demo", "version": "1.0.0"}}


async def app(
    scope: MutableMapping[str, Any],
    receive: Callable[[], Awaitable[Message]],
    send: Callable[[Message], Awaitable[None]],
) -> None:
    if scope["type"] != "http":
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
        return
    body = b""
    more = True
    while more:
        message = await receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
    request = from_json(body)
    params = request["params"]
    arguments = params["arguments"]
    total = arguments["a"] + arguments["b"]
    result: dict[str, Any] = {
        "content": [{"type": "text", "text": str(total)}],
        "structuredContent": {"result": total},
        "isError": False,
    }
    meta = params.get("_meta")
    if meta and _META_VERSION in meta:
        result["resultType"] = "complete"
        result["_meta"] = _SERVER_INFO
    answer = to_json({"jsonrpc": "2.0", "id": request["id"], "result": result})
    token = meta.get("progressToken") if meta else None
    if token is not None:  # the SSE rows: a progress notification, then the result, as one event stream
        progress = {"progressToken": token, "progress": 1, "total": 1}
        notification = to_json({"jsonrpc": "2.0", "method": "notifications/progress", "params": progress})
        await send({"type": "http.response.start", "status": 200, "headers": _SSE_HEADERS})
        await send({"type": "http.response.body", "body": _event(notification), "more_body": True})
        await send({"type": "http.response.body", "body": _event(answer)})
        return
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(answer)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": answer})


def _event(data: bytes) -> bytes:
    return b"event: message\ndata: " + data + b"\n\n"
