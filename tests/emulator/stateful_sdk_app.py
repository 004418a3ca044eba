"""The official mcp 2.x SDK server in stateful mode (``stateless_http=False``), behind the emulator.

It issues its own ``Mcp-Session-Id`` and answers 404 to any id it did not issue, so it works through a
platform only if the platform passes its id back instead of making one up. ``host="0.0.0.0"`` turns off
the SDK's Host allow-list, which would refuse AgentCore's Host header (a documented trip-up).
"""

from __future__ import annotations

import os

from mcp.server.mcpserver import Context, MCPServer
from pydantic import BaseModel


class Name(BaseModel):
    name: str


server = MCPServer("stateful-sdk")


@server.tool()
async def ask_name(ctx: Context) -> str:
    """Ask the client for a name (elicitation), then greet it."""
    answer = await ctx.elicit("Name?", Name)
    return f"hi {answer.data.name if answer.action == 'accept' and answer.data else None}"


@server.tool()
def whereami() -> str:
    """This process's id."""
    return str(os.getpid())


app = server.streamable_http_app(stateless_http=False, host="0.0.0.0")
