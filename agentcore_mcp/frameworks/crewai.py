"""CrewAI's native MCP tools on an AgentCore runtime.

CrewAI resolves an agent's ``mcps=[MCPServerHTTP(url=...)]`` with an ``MCPToolResolver``, which builds a
transport for the discovery and again for every tool call (``_create_transport``) and takes no transport of
its own; :func:`agentcore_tools` resolves the runtime's tools with a resolver whose transports are
:class:`~agentcore_mcp.client.AgentCoreTransport`\\ s on one runtime session, for ``Agent(tools=...)``.
Install: ``pip install "agentcore-mcp[client,crewai]"`` (CrewAI needs mcp < 2).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from crewai.mcp import MCPServerHTTP
from crewai.mcp.config import MCPServerConfig
from crewai.mcp.tool_resolver import MCPToolResolver
from crewai.mcp.transports.http import HTTPTransport
from crewai.tools import BaseTool
from crewai.utilities.logger import Logger
from typing_extensions import Self

from agentcore_mcp._session import RuntimeSession
from agentcore_mcp.client import AgentCoreTransport

__all__ = ["AgentCoreHTTPTransport", "agentcore_tools"]


class AgentCoreHTTPTransport(HTTPTransport):
    """CrewAI's ``HTTPTransport`` opening an :class:`AgentCoreTransport` in ``connect()``."""

    def __init__(self, target: str, transport: AgentCoreTransport) -> None:
        super().__init__(url=target)
        self.transport = transport

    async def connect(self) -> Self:
        if not self._connected:
            read, write = await self.transport.__aenter__()
            self._set_streams(read=read, write=write)  # type: ignore[arg-type]
        return self

    async def disconnect(self) -> None:
        if self._connected:
            self._clear_streams()
            await self.transport.__aexit__(None, None, None)


class _Resolver(MCPToolResolver):
    def __init__(self, target: str, session: RuntimeSession, options: Mapping[str, Any]) -> None:
        super().__init__(agent=None, logger=Logger())
        self.target, self.session, self.options = target, session, options

    def _create_transport(self, mcp_config: MCPServerConfig) -> tuple[HTTPTransport, str]:  # type: ignore[override]
        transport = AgentCoreTransport(self.target, session=self.session, **self.options)
        return AgentCoreHTTPTransport(self.target, transport), self._extract_server_name(mcp_config.url)  # type: ignore[union-attr]


def agentcore_tools(
    target: str, *, transport: Mapping[str, Any] | None = None, **server: Any
) -> tuple[list[BaseTool], RuntimeSession]:
    """The runtime's tools as CrewAI tools, every call (each on a connection of its own) on one session.

    Args:
        target: a runtime ARN or an MCP URL.
        transport: :class:`AgentCoreTransport`'s keyword arguments (``bearer_token``, ``client``, ...).
        **server: ``MCPServerHTTP``'s other keyword arguments (``tool_filter``, ``cache_tools_list``).

    Returns the tools and their runtime session; ``await session.stop()`` ends it.
    """
    settings = dict(transport or {})
    session: RuntimeSession = settings.pop("session", None) or RuntimeSession(
        settings.pop("runtime_session_id", None), user_id=settings.get("user_id")
    )
    config = MCPServerHTTP(url=target, **server)
    return _Resolver(target, session, settings).resolve([config]), session
