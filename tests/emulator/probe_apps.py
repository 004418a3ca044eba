"""MCP servers that fail AgentCore's health probe in the two ways seen on the platform.

``blocks_loop``: our server with an ``async def`` tool that calls ``time.sleep`` (the event loop stops, so
probes time out while the tool runs). ``refuses_probes``: the tests app behind a check that answers 406 to
any request without an ``Mcp-Session-Id`` (clients' requests always carry one through the platform; the
probe's do not).
"""

from __future__ import annotations

import time
from typing import Any

from agentcore_mcp import AgentCoreMCP, tool
from tests.emulator.apps import app as tests_app


@tool
async def block(seconds: float) -> str:
    """Block the event loop for ``seconds`` (the mistake: a sync call inside an async tool)."""
    time.sleep(seconds)  # noqa: ASYNC251 (the point of this tool)
    return f"blocked {seconds:g}s"


@tool
def hello() -> str:
    """Answer at once."""
    return "hello"


blocks_loop = AgentCoreMCP("blocks-loop", tools=[block, hello])


async def refuses_probes(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The tests app, but 406 to any POST without an Mcp-Session-Id header."""
    if scope["type"] == "http" and not any(k == b"mcp-session-id" for k, _ in scope["headers"]):
        body = b'{"jsonrpc":"2.0","id":null,"error":{"code":-32000,"message":"Not Acceptable"}}'
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 406, "headers": headers})
        await send({"type": "http.response.body", "body": body})
        return
    await tests_app(scope, receive, send)
