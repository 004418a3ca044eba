"""A session-keeping MCP server, as some servers behind AgentCore are: it accepts the platform's
``Mcp-Session-Id`` on ``initialize`` and answers 404 "Session not found" for any session it did not
initialize (so a fresh microVM does not know the old session). Served per session by the emulator.
"""

from __future__ import annotations

import json
from typing import Any

from agentcore_mcp import AgentCoreMCP, tool


@tool
def add_numbers(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


inner = AgentCoreMCP("stateful", tools=[add_numbers])
known: set[str] = set()


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        await inner(scope, receive, send)
        return
    body = b""
    more = True
    while more:
        message = await receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
    headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
    session_id = headers.get("mcp-session-id", "")
    method = json.loads(body).get("method") if body else None
    if method == "initialize" and session_id:
        known.add(session_id)
    elif session_id not in known:
        payload = b'{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Session not found"}}'
        await send(
            {
                "type": "http.response.start",
                "status": 404,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": payload})
        return
    sent = False

    async def replay() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    await inner(scope, replay, send)
