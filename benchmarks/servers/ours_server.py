"""Our server as the benchmark loads it: the tutorial's demo app plus the tools of the other rows.

``add_numbers`` is the demo's own (declared non-blocking: it runs on the event loop);
``add_numbers_thread`` is the same function as a plain ``@tool`` (run in the worker pool: the default for a
``def``); ``add_with_progress`` reports progress once before answering, so the answer is an SSE stream.
Serve with ``uvicorn benchmarks.servers.ours_server:app``.
"""

from __future__ import annotations

from agentcore_mcp import Context, tool
from examples.demo_server import app


@tool
def add_numbers_thread(a: int, b: int) -> int:
    """Add two numbers together (in a worker thread).

    Args:
        a: The first number.
        b: The second number.
    """
    return a + b


@tool
async def add_with_progress(a: int, b: int, ctx: Context) -> int:
    """Add two numbers, reporting progress once first.

    Args:
        a: The first number.
        b: The second number.
    """
    await ctx.report_progress(1, 1)
    return a + b


app.add_tool(add_numbers_thread)
app.add_tool(add_with_progress)

__all__ = ["app"]
