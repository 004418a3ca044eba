"""The OpenAI Agents SDK's MCP server on an AgentCore runtime.

The SDK's ``MCPServerStreamableHttp`` opens its streams in ``create_streams()`` from a URL, headers and an
httpx factory; this subclass opens an :class:`~agentcore_mcp.client.AgentCoreTransport` there instead, so
``Agent(mcp_servers=[AgentCoreMCPServer(ARN)])`` calls the runtime with SigV4, a bearer token or boto3.
Install: ``pip install "agentcore-mcp[client]" openai-agents``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from agents.mcp import MCPServerStreamableHttp

from agentcore_mcp._session import RuntimeSession
from agentcore_mcp.client import AgentCoreTransport

__all__ = ["AgentCoreMCPServer"]


class AgentCoreMCPServer(MCPServerStreamableHttp):
    """``MCPServerStreamableHttp`` over :class:`AgentCoreTransport`, keeping one runtime session.

    Args:
        target: a runtime ARN or an MCP URL.
        transport: :class:`AgentCoreTransport`'s keyword arguments (``bearer_token``, ``client``, ...).
        name: the server's name in traces (default ``agentcore: TARGET``).
        client_session_timeout_seconds: the MCP session's read timeout. None by default: the transport
            already bounds each request (its ``timeout=``, 900 s), and the SDK's 5 s would cut a slow
            tool or a cold microVM short.
        **options: ``MCPServerStreamableHttp``'s other keyword arguments (``cache_tools_list``, ...).

    Each connection the SDK opens (``connect()``, again after ``cleanup()``, or a second session for
    retrying a failed call) is a new transport on the same :attr:`runtime_session`, so the runtime keeps
    one microVM for this server; ``await server.runtime_session.stop()`` ends it.
    """

    def __init__(
        self,
        target: str,
        *,
        transport: Mapping[str, Any] | None = None,
        name: str | None = None,
        client_session_timeout_seconds: float | None = None,
        **options: Any,
    ) -> None:
        super().__init__(
            {"url": target},
            name=name or f"agentcore: {target}",
            client_session_timeout_seconds=client_session_timeout_seconds,
            **options,
        )
        settings = dict(transport or {})
        self.runtime_session: RuntimeSession = settings.pop("session", None) or RuntimeSession(
            settings.pop("runtime_session_id", None), user_id=settings.get("user_id")
        )
        self.transport_options = settings

    def create_streams(self) -> AgentCoreTransport:
        """A new transport on this server's runtime session (the SDK opens and closes it)."""
        return AgentCoreTransport(self.params["url"], session=self.runtime_session, **self.transport_options)
