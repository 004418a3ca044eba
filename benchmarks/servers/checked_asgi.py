"""A second limit: the bare app plus the checks the MCP specification requires of a ``tools/call``.

:mod:`benchmarks.servers.bare_asgi` answers without looking: it is the limit of the HTTP stack. This app
answers the same requests the way a conforming server must at the least, in one function with no layers,
no logging, no options and no error bodies beyond a status: it scans the headers (``Accept``,
``Content-Type``, ``Origin``, ``MCP-Protocol-Version``, and in the 2026-07-28 era ``Mcp-Method`` and
``Mcp-Name``), checks the JSON-RPC envelope (``jsonrpc``, the id's type, the method, the params object),
checks the modern ``_meta`` envelope against the headers, finds the tool, validates its arguments with a
pydantic-core validator, and builds and encodes the result (the progress request as an SSE stream). What a
real server does beyond this (a registry, error answers, logging ids, options) is the design's cost;
what this app costs over the bare one is the specification's. (The answer is written as the bare app writes
it, with its constants; the two stay separate functions so that neither limit pays a frame for sharing.)

Serve with ``uvicorn benchmarks.servers.checked_asgi:app``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from pydantic_core import SchemaValidator, core_schema, from_json, to_json

from agentcore_mcp import _wire as rpc
from benchmarks.servers.bare_asgi import _SERVER_INFO, _SSE_HEADERS, Message, _event

_META_VERSION = rpc.META_PROTOCOL_VERSION
_META_CAPABILITIES = rpc.META_CLIENT_CAPABILITIES
_LEGACY = frozenset(rpc.LEGACY_VERSIONS)
_MODERN = frozenset(rpc.MODERN_VERSIONS)
_ARGUMENTS = SchemaValidator(
    core_schema.typed_dict_schema(
        {
            "a": core_schema.typed_dict_field(core_schema.int_schema()),
            "b": core_schema.typed_dict_field(core_schema.int_schema()),
        }
    )
)
_TOOLS = {"add_numbers", "add_numbers_thread", "add_with_progress"}


async def _status(send: Callable[[Message], Awaitable[None]], status: int) -> None:
    await send({"type": "http.response.start", "status": status, "headers": []})
    await send({"type": "http.response.body", "body": b""})


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
    if scope["path"] != "/mcp" or scope["method"] != "POST":
        await _status(send, 404)
        return
    accept = content_type = origin = version = mcp_method = mcp_name = None
    for key, value in scope["headers"]:
        if key == b"accept":
            accept = value
        elif key == b"content-type":
            content_type = value
        elif key == b"origin":
            origin = value
        elif key == b"mcp-protocol-version":
            version = value.decode("latin-1")
        elif key == b"mcp-method":
            mcp_method = value.decode("latin-1")
        elif key == b"mcp-name":
            mcp_name = value.decode("latin-1")
    if accept is None or b"application/json" not in accept or b"text/event-stream" not in accept:
        await _status(send, 406)
        return
    if content_type is None or not content_type.startswith(b"application/json"):
        await _status(send, 415)
        return
    if origin is not None and not origin.startswith(b"http://localhost"):
        await _status(send, 403)
        return
    body = b""
    more = True
    while more:
        message = await receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
    request = from_json(body)
    request_id = request.get("id")
    params = request.get("params")
    method = request.get("method")
    if (
        type(request) is not dict
        or request.get("jsonrpc") != "2.0"
        or type(request_id) not in (int, str)
        or type(method) is not str
        or type(params) is not dict
    ):
        await _status(send, 400)
        return
    meta = params.get("_meta")
    modern = (type(meta) is dict and _META_VERSION in meta) or (
        version is not None and version not in _LEGACY
    )
    name = params.get("name")
    if modern:
        if (
            type(meta) is not dict
            or meta.get(_META_VERSION) != version
            or type(meta.get(_META_CAPABILITIES)) is not dict
            or version not in _MODERN
            or mcp_method != method
            or mcp_name != name
        ):
            await _status(send, 400)
            return
    elif version is not None and version not in _LEGACY:
        await _status(send, 400)
        return
    if method != "tools/call" or name not in _TOOLS:
        await _status(send, 404)
        return
    arguments = _ARGUMENTS.validate_python(params.get("arguments") or {})
    total = arguments["a"] + arguments["b"]
    result: dict[str, Any] = {
        "content": [{"type": "text", "text": to_json(total).decode()}],
        "structuredContent": {"result": total},
        "isError": False,
    }
    if modern:
        result["resultType"] = "complete"
        result["_meta"] = _SERVER_INFO
    answer = to_json({"jsonrpc": "2.0", "id": request_id, "result": result})
    token = meta.get("progressToken") if type(meta) is dict else None
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
