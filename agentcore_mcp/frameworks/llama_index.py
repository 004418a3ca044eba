"""LlamaIndex's MCP client (llama-index-tools-mcp) on an AgentCore runtime, keeping one runtime session.

``BasicMCPClient`` opens a connection for each call it makes (``list_tools``, ``call_tool``, ...) in
``_run_session()``; to AgentCore's invocations URL each is a new runtime session, a cold microVM per call.
This subclass opens an :class:`~agentcore_mcp.client.AgentCoreTransport` there instead, every one on the
same runtime session: ``McpToolSpec(client=AgentCoreMCPClient(ARN))``.
Install: ``pip install "agentcore-mcp[client,llama-index]"``.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any, cast

from llama_index.tools.mcp import BasicMCPClient
from mcp import ClientSession

from agentcore_mcp._session import RuntimeSession
from agentcore_mcp.client import AgentCoreTransport

__all__ = ["AgentCoreMCPClient"]


class AgentCoreMCPClient(BasicMCPClient):
    """``BasicMCPClient`` whose every connection is an :class:`AgentCoreTransport` on one runtime session.

    Args:
        target: a runtime ARN or an MCP URL.
        sampling_callback: answers the server's sampling requests (as ``BasicMCPClient``'s).
        tool_call_logs_callback: receives the logs of each tool call (as ``BasicMCPClient``'s).
        **options: :class:`AgentCoreTransport`'s keyword arguments (``bearer_token``, ``client``, ...),
            ``session=`` a :class:`~agentcore_mcp._session.RuntimeSession` or ``runtime_session_id=``.

    Each call is a new MCP connection (as in ``BasicMCPClient``), so calls may run concurrently; all of them
    use :attr:`runtime_session`, one microVM; ``await client.runtime_session.stop()`` ends it.
    """

    def __init__(
        self,
        target: str,
        *,
        sampling_callback: Any = None,
        tool_call_logs_callback: Any = None,
        **options: Any,
    ) -> None:
        super().__init__(
            target, sampling_callback=sampling_callback, tool_call_logs_callback=tool_call_logs_callback
        )
        self.runtime_session: RuntimeSession = options.pop("session", None) or RuntimeSession(
            options.pop("runtime_session_id", None), user_id=options.get("user_id")
        )
        self.transport_options = options

    @contextlib.asynccontextmanager
    async def _run_session(self) -> AsyncIterator[ClientSession]:
        transport = AgentCoreTransport(
            self.command_or_url, session=self.runtime_session, **self.transport_options
        )
        # mcp 1.x types the write stream as anyio's MemoryObjectSendStream; the transport's has its methods
        async with (
            transport as (read, write),
            ClientSession(read, cast(Any, write), sampling_callback=self.sampling_callback) as session,
        ):
            await session.initialize()
            yield session
