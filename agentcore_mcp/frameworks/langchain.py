"""LangChain tools (langchain-mcp-adapters) on an AgentCore runtime, on one MCP session.

``MultiServerMCPClient(...).get_tools()`` opens a new MCP session for every tool call, and over
AgentCore's invocations URL each new session is a new runtime session: a cold microVM per call. The
library's other form, ``load_mcp_tools(session)`` on a ``ClientSession`` you keep open, calls every tool on
that one session; :func:`agentcore_tools` opens it on an :class:`~agentcore_mcp.client.AgentCoreTransport`:
``async with agentcore_tools(ARN) as tools: ...``. Install: ``pip install "agentcore-mcp[client,langchain]"``.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from typing import Any, cast

from langchain_core.tools import BaseTool
from langchain_mcp_adapters.tools import load_mcp_tools
from mcp import ClientSession

from agentcore_mcp.client import AgentCoreTransport

__all__ = ["agentcore_tools"]


@contextlib.asynccontextmanager
async def agentcore_tools(
    target: str | AgentCoreTransport,
    *,
    transport: Mapping[str, Any] | None = None,
    session_kwargs: Mapping[str, Any] | None = None,
    **load: Any,
) -> AsyncIterator[list[BaseTool]]:
    """The runtime's tools as LangChain tools, all called on one MCP session (one runtime session).

    Args:
        target: a runtime ARN or an MCP URL, or a ready :class:`AgentCoreTransport` (then no ``transport``).
        transport: :class:`AgentCoreTransport`'s keyword arguments (``bearer_token``, ``client``, ...).
        session_kwargs: ``ClientSession``'s keyword arguments (``logging_callback``, ...), as in
            langchain-mcp-adapters' connections.
        **load: ``load_mcp_tools``' keyword arguments (``tool_name_prefix``, ``server_name``, ...).

    The tools work while the block is open (run the agent inside it); leaving it closes the MCP session
    but not the runtime session: pass a ready transport to reuse it or to ``await transport.stop()`` it.
    """
    if isinstance(target, AgentCoreTransport) and transport:
        raise TypeError("transport options apply to a target, not to a ready AgentCoreTransport")
    opened = (
        target if isinstance(target, AgentCoreTransport) else AgentCoreTransport(target, **(transport or {}))
    )
    # mcp 1.x types the write stream as anyio's MemoryObjectSendStream; the transport's has its methods
    async with (
        opened as (read, write),
        ClientSession(read, cast(Any, write), **(session_kwargs or {})) as client,
    ):
        await client.initialize()
        yield await load_mcp_tools(client, **load)
