"""The peer: mcp 2.x ``MCPServer`` with the same tools as ours, stateless, any Host.

``app`` answers JSON (``json_response=True``); ``sse_app`` is the same server answering every POST as an SSE
stream (``json_response=False``), for the SSE rows. Serve with
``uvicorn benchmarks.servers.sdk_server:app`` (or ``:sse_app``).

Like for like: our demo declares ``add_numbers`` non-blocking (``@tool(sync_to_thread=False)``), so it runs on
the event loop; MCPServer's way to run a tool on the loop is ``async def`` (a plain ``def`` goes through
``anyio.to_thread``). ``add_numbers_thread`` is the plain-``def`` form, for the worker-thread rows.
"""

from __future__ import annotations

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.transport_security import TransportSecuritySettings


async def add_numbers(a: int, b: int) -> int:
    """Add two numbers together.

    Args:
        a: The first number.
        b: The second number.
    """
    return a + b


def add_numbers_thread(a: int, b: int) -> int:
    """Add two numbers together (a plain function: MCPServer runs it in a worker thread).

    Args:
        a: The first number.
        b: The second number.
    """
    return a + b


async def add_with_progress(a: int, b: int, ctx: Context) -> int:
    """Add two numbers, reporting progress once first (an SSE answer: the notification, then the result).

    Args:
        a: The first number.
        b: The second number.
    """
    await ctx.report_progress(1, 1)
    return a + b


def build(json_response: bool) -> MCPServer:
    # Log level warning, like every server in the benchmark: at its default (INFO) MCPServer logs a line
    # through rich for every stateless legacy request ("Terminating session: None"), which would measure
    # the logging.
    server = MCPServer("demo", version="1.0.0", log_level="WARNING")
    server.tool()(add_numbers)
    server.tool()(add_numbers_thread)
    server.tool()(add_with_progress)
    return server


# DNS-rebinding protection off: accept any Host (and Origin), as AgentCore's Host header requires.
_SECURITY = TransportSecuritySettings(enable_dns_rebinding_protection=False)
app = build(True).streamable_http_app(stateless_http=True, json_response=True, transport_security=_SECURITY)
sse_app = build(False).streamable_http_app(
    stateless_http=True, json_response=False, transport_security=_SECURITY
)
