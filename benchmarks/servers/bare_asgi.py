"""The limit: a bare ASGI callable that answers ``tools/call add_numbers`` with no MCP machinery at all.

It reads the body, parses the JSON-RPC with ``pydantic_core.from_json``, adds the two arguments and writes the
same JSON answer our server writes (with the modern ``resultType``/``serverInfo`` stamp when the request
carries the 2026-07-28 envelope) with ``pydantic_core.to_json``. No MCP server in Python on the same uvicorn
stack can be faster; the benchmark reports how close the real servers get.

Serve with ``uvicorn benchmarks.servers.bare_asgi:app``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from pydantic_core import from_json, to_json

Message = MutableMapping[str, Any]
_META_VERSION = "io.modelcontextprotocol/protocolVersion"
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
