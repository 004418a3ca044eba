"""Stateful MCP servers for the emulator's stateful runtimes: ours with ``sessions=True``.

``ours`` issues its own ``Mcp-Session-Id`` at ``initialize`` and asks the client for input mid-call over
the open session (elicitation in the handshake era). ``whereami`` reports the process and the session id
the server saw, so a test can tell which microVM served a request.
"""

from __future__ import annotations

import os

from agentcore_mcp import AgentCoreMCP, Context, StateSealing, tool


@tool
async def ask_name(ctx: Context) -> str:
    """Ask the client for a name (elicitation), then greet it."""
    answer = await ctx.elicit("Name?", {"type": "object", "properties": {"name": {"type": "string"}}})
    return f"hi {(answer.content or {}).get('name')}"


@tool
def whereami(ctx: Context) -> dict[str, object]:
    """This process's id and the Mcp-Session-Id the server saw."""
    return {"pid": os.getpid(), "session": ctx.session_id}


ours = AgentCoreMCP(
    "stateful-ours", tools=[ask_name, whereami], sessions=True, sealing=StateSealing(keys=("k" * 32,))
)
