"""MCP servers the emulator tests run behind the emulator (also as per-session processes).

``app`` has the tutorial's demo tools plus tools that report what the server saw (its PID, the headers
the platform forwarded), stream progress on cue, or crash the process.
"""

from __future__ import annotations

import os
import threading

import anyio

from agentcore_mcp import AgentCoreMCP, Context, tool
from examples.demo_server import add_numbers, greet_user, multiply_numbers

# Set by a test (same process, shared isolation) to let ``stream_on_cue`` finish.
CUE = threading.Event()

SEEN_HEADERS = (
    "host",
    "mcp-session-id",
    "x-amzn-bedrock-agentcore-runtime-session-id",
    "x-amzn-bedrock-agentcore-runtime-request-id",
    "x-amzn-bedrock-agentcore-runtime-user-id",
    "x-amzn-trace-id",
    "traceparent",
    "workloadaccesstoken",
    "x-amz-bedrock-agentcore-identity-wat",
    "authorization",
    "x-team",
    "x-not-allowed",
    "x-amzn-bedrock-agentcore-runtime-custom-tenant",
    "x-amz-date",
    "user-agent",
    "origin",
)


@tool
def whoami(ctx: Context) -> dict[str, object]:
    """Report the server's process id, its environment marker and the headers the platform forwarded."""
    return {
        "pid": os.getpid(),
        "marker": os.environ.get("EMULATOR_TEST_MARKER"),
        "headers": {name: ctx.headers.get(name) for name in SEEN_HEADERS},
    }


@tool
async def stream_on_cue(ctx: Context) -> str:
    """Send one progress notification, then wait (at most 10 s) for the test's cue before answering."""
    await ctx.report_progress(1, 2, "first")
    if not await anyio.to_thread.run_sync(CUE.wait, 10.0):
        return "no cue within 10 s"
    await ctx.report_progress(2, 2, "second")
    return "done"


@tool
async def nap(seconds: float) -> str:
    """Sleep ``seconds`` without blocking the event loop, then answer (a long synchronous call)."""
    await anyio.sleep(seconds)
    return f"slept {seconds:g}s"


@tool
async def tick(ctx: Context, seconds: float) -> str:
    """Report progress every 0.2 s for ``seconds``, then answer (a long streamed call)."""
    steps = max(1, int(seconds / 0.2))
    for step in range(steps):
        await ctx.report_progress(step + 1, steps, "tick")
        await anyio.sleep(0.2)
    return "ticked"


@tool
def crash() -> str:
    """Kill this server process mid-request (as a crashing container does)."""
    os._exit(3)


@tool
def boom() -> str:
    """Raise an unexpected error (the server answers with a tool error, not a crash)."""
    raise RuntimeError("boom")


app = AgentCoreMCP(
    "emulator-tests",
    tools=[add_numbers, multiply_numbers, greet_user, whoami, stream_on_cue, nap, tick, crash, boom],
)
