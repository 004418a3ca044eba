"""An MCP server whose ``crash`` tool dies mid-stream (the process exits after a progress event)."""

from __future__ import annotations

import os

import anyio

from agentcore_mcp import AgentCoreMCP, Context, tool


@tool
async def crash(ctx: Context) -> str:
    """Report progress, then kill the server process."""
    await ctx.report_progress(1, 2, "half way")
    await anyio.sleep(0.2)
    os._exit(1)


@tool
def add_numbers(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


app = AgentCoreMCP("crashing", tools=[crash, add_numbers])
