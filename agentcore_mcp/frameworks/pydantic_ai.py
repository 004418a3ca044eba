"""pydantic-ai's ``MCPToolset`` on an AgentCore runtime.

``MCPToolset`` builds a fastmcp client and infers its transport from a URL, a path or a server; it cannot
infer one from an :class:`~agentcore_mcp.client.AgentCoreTransport` ("Could not infer a valid transport"),
but takes a fastmcp ``ClientTransport``:
``MCPToolset(AgentCoreClientTransport(ARN))``, which :func:`agentcore_toolset` spells in one call.
Install: ``pip install "agentcore-mcp[client]" "pydantic-ai-slim[mcp]"``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic_ai.mcp import MCPToolset

from agentcore_mcp.client import AgentCoreTransport
from agentcore_mcp.frameworks.fastmcp import AgentCoreClientTransport

__all__ = ["AgentCoreClientTransport", "agentcore_toolset"]


def agentcore_toolset(
    target: str | AgentCoreTransport, *, transport: Mapping[str, Any] | None = None, **toolset: Any
) -> MCPToolset[Any]:
    """An ``MCPToolset`` whose every connection (one per agent run) reuses one runtime session.

    Args:
        target: a runtime ARN or an MCP URL, or a ready :class:`AgentCoreTransport`.
        transport: :class:`AgentCoreTransport`'s keyword arguments (``bearer_token``, ``client``, ...).
        **toolset: ``MCPToolset``'s keyword arguments (``id``, ``tool_error_behavior``, ...).

    ``toolset.client.transport`` is the :class:`AgentCoreClientTransport`; its ``stop()`` ends the session.
    """
    return MCPToolset(AgentCoreClientTransport(target, **(transport or {})), **toolset)
