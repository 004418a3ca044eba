"""Google ADK's ``McpToolset`` on an AgentCore runtime.

``McpToolset`` hands its connection parameters to an ``MCPSessionManager``, which opens each MCP client in
``_create_client()`` (stdio, SSE or streamable HTTP from a URL); :class:`AgentCoreToolset` gives the toolset
a session manager that opens an :class:`~agentcore_mcp.client.AgentCoreTransport` there instead, so
``Agent(tools=[AgentCoreToolset(ARN)])`` calls the runtime with SigV4, a bearer token or boto3.
Install: ``pip install "agentcore-mcp[client,google-adk]"``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
from google.adk.tools.mcp_tool import McpToolset, StreamableHTTPConnectionParams
from google.adk.tools.mcp_tool.mcp_session_manager import MCPSessionManager

from agentcore_mcp._session import RuntimeSession
from agentcore_mcp.client import AgentCoreTransport

__all__ = ["AgentCoreSessionManager", "AgentCoreToolset"]


class AgentCoreSessionManager(MCPSessionManager):
    """ADK's ``MCPSessionManager`` opening every MCP client as an :class:`AgentCoreTransport`.

    Each session it opens (one per header set, again after a disconnect, or in another event loop) is a
    new transport on the same :attr:`runtime_session`, so the runtime keeps one microVM for the toolset.
    """

    def __init__(self, params: StreamableHTTPConnectionParams, transport: Mapping[str, Any], **options: Any):
        super().__init__(params, **options)
        settings = dict(transport)
        self.runtime_session: RuntimeSession = settings.pop("session", None) or RuntimeSession(
            settings.pop("runtime_session_id", None), user_id=settings.get("user_id")
        )
        self.transport_options = settings
        self.target = params.url

    def _create_client(
        self,
        merged_headers: dict[str, str] | None = None,
        mtls_transport: httpx.AsyncBaseTransport | None = None,
        *,
        session_key: str | None = None,
    ) -> AgentCoreTransport:
        # The transport signs or authorizes each request itself; ADK's headers (its header_provider and
        # auth scheme) are for URLs it calls, and an AgentCore runtime is not a Google mTLS endpoint.
        return AgentCoreTransport(self.target, session=self.runtime_session, **self.transport_options)

    async def _get_mtls_transport(self) -> None:
        # ADK probes Google's default credentials for mTLS before each new session: not for AgentCore.
        return None


class AgentCoreToolset(McpToolset):
    """``McpToolset`` over :class:`AgentCoreTransport`, keeping one runtime session.

    Args:
        target: a runtime ARN or an MCP URL.
        transport: :class:`AgentCoreTransport`'s keyword arguments (``bearer_token``, ``client``, ...).
        timeout: seconds for a connection's bring-up (the MCP handshake), a cold microVM's start included;
            ADK's default of 5 s would cut one short. The transport bounds each request (its ``timeout=``).
        **options: ``McpToolset``'s other keyword arguments (``tool_filter``, ``tool_name_prefix``, ...).

    ``toolset.runtime_session`` is the session every connection uses; ``await
    toolset.runtime_session.stop()`` ends it (``await toolset.close()`` closes the connections only).
    """

    def __init__(
        self,
        target: str,
        *,
        transport: Mapping[str, Any] | None = None,
        timeout: float = 60.0,
        **options: Any,
    ) -> None:
        params = StreamableHTTPConnectionParams(url=target, timeout=timeout)
        super().__init__(connection_params=params, **options)
        self._mcp_session_manager = AgentCoreSessionManager(
            params,
            transport or {},
            errlog=self._errlog,
            sampling_callback=self._sampling_callback,
            sampling_capabilities=self._sampling_capabilities,
            elicitation_callback=self._elicitation_callback,
        )

    @property
    def runtime_session(self) -> RuntimeSession:
        """The runtime session of every connection this toolset opens."""
        manager = self._mcp_session_manager
        assert isinstance(manager, AgentCoreSessionManager)
        return manager.runtime_session
