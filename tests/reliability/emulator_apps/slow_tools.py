"""A server with a tool that takes a while (to be killed mid-call) and one that answers at once."""

import asyncio
import os

from agentcore_mcp import AgentCoreMCP, tool


@tool
async def slow(seconds: float) -> int:
    """Sleep, then return the process id."""
    await asyncio.sleep(seconds)
    return os.getpid()


@tool
def pid() -> int:
    """The process id of this session's server."""
    return os.getpid()


app = AgentCoreMCP("slow-tools", tools=[slow, pid])
