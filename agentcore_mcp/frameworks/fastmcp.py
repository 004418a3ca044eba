"""A fastmcp ``ClientTransport`` over :class:`~agentcore_mcp.client.AgentCoreTransport`.

``fastmcp.Client`` and pydantic-ai's ``MCPToolset`` take a fastmcp transport, not a ``(read, write)`` pair:
``Client(AgentCoreClientTransport(ARN))``. Install: ``pip install "agentcore-mcp[client]" fastmcp``.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator
from typing import Any

from fastmcp.client.transports import ClientTransport
from fastmcp.client.transports.base import SessionKwargs, TransportOptions
from mcp import ClientSession
from typing_extensions import Unpack

from agentcore_mcp.client import AgentCoreTransport

__all__ = ["AgentCoreClientTransport"]


class AgentCoreClientTransport(ClientTransport):
    """Carries a fastmcp client's session over one :class:`AgentCoreTransport` and its runtime session.

    Args:
        target: a runtime ARN or an MCP URL, or a ready :class:`AgentCoreTransport` (then no options).
        **options: :class:`AgentCoreTransport`'s keyword arguments (``bearer_token=``, ``client=``, ...).

    Every connection (a client entered again, a toolset entered for each agent run) reopens the same
    transport, so it keeps the same runtime session and microVM; ``await transport.stop()`` ends it.
    One connection at a time: fastmcp's ``Client`` shares one connection between its concurrent users.
    """

    def __init__(self, target: str | AgentCoreTransport, **options: Any) -> None:
        if isinstance(target, AgentCoreTransport) and options:
            raise TypeError("options apply to a target, not to a ready AgentCoreTransport")
        self.transport = (
            target if isinstance(target, AgentCoreTransport) else AgentCoreTransport(target, **options)
        )

    @contextlib.asynccontextmanager
    async def connect_session(
        self, *, transport_options: TransportOptions | None = None, **session_kwargs: Unpack[SessionKwargs]
    ) -> AsyncGenerator[ClientSession, None]:
        session_class = (transport_options or TransportOptions()).session_class
        async with self.transport as (read, write), session_class(read, write, **session_kwargs) as session:
            yield session

    def get_session_id(self) -> str | None:
        """The runtime session id (the ``Mcp-Session-Id`` is the platform's and changes with it)."""
        return self.transport.session.runtime_session_id

    async def stop(self) -> None:
        """End the runtime session (StopRuntimeSession); the next connection starts a new one."""
        await self.transport.stop()

    def __repr__(self) -> str:
        return f"<AgentCoreClientTransport {self.transport!r}>"
