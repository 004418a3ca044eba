"""The seam between the transport core and the ways of reaching a runtime: one POST in, one answer out.

A backend is tiny: :meth:`Backend.send` posts one JSON-RPC body with the given headers and returns the
answer's status, headers and a byte stream; :meth:`Backend.stop_session` ends a runtime session. Two ship
with the library: :class:`~agentcore_mcp.client._httpx.HttpxBackend` (HTTPS with SigV4, a bearer token, or
nothing) and :class:`~agentcore_mcp.client._boto3.Boto3Backend` (``invoke_agent_runtime``).

Backends report failures to get an answer at all with :class:`TransportError` subclasses, saying whether the
request may have reached the server; any HTTP answer, error statuses included, is returned, not raised.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Protocol

from agentcore_mcp.errors import ConnectionFailed, TransportError, TransportTimeout

__all__ = [
    "Backend",
    "ConnectionFailed",
    "Exchange",
    "Reply",
    "TransportError",
    "TransportTimeout",
]


@dataclass
class Exchange:
    """One POST to send: the JSON-RPC body and the per-request headers (lower-case names).

    ``headers`` carries the MCP routing headers (``mcp-session-id``, ``mcp-protocol-version``,
    ``mcp-method``, ``mcp-name``, ``mcp-param-*``), AgentCore's (runtime session and user ids) and trace
    context; the backend adds ``accept``, ``content-type`` and its authentication.
    """

    body: bytes
    headers: dict[str, str]


class Reply(Protocol):
    """An HTTP answer whose body is read incrementally."""

    status: int
    headers: Mapping[str, str]  # case-insensitive lookups by lower-case name must work

    def aiter_bytes(self) -> AsyncIterator[bytes]:
        """The body, chunk by chunk, as it arrives."""
        ...

    async def aread(self) -> bytes:
        """The whole (remaining) body."""
        ...

    async def aclose(self) -> None:
        """Release the connection (closing a stream early tells the server the client went away)."""
        ...


class Backend(Protocol):
    """How a transport reaches one MCP endpoint."""

    description: str  # for messages: "https://host/mcp" or "runtime arn:... via boto3"
    supports_stop: bool

    async def send(self, exchange: Exchange) -> Reply:
        """POST ``exchange``; return the answer (any status) or raise :class:`TransportError`."""
        ...

    async def stop_session(self, runtime_session_id: str) -> None:
        """End the runtime session on the platform (StopRuntimeSession)."""
        ...

    async def aclose(self) -> None:
        """Release what the backend owns (connection pools it created; never a client it was given)."""
        ...


@dataclass
class BufferedReply:
    """A :class:`Reply` whose body is already in memory."""

    status: int
    headers: Mapping[str, str]
    body: bytes

    async def aiter_bytes(self) -> AsyncIterator[bytes]:
        if self.body:
            yield self.body

    async def aread(self) -> bytes:
        return self.body

    async def aclose(self) -> None:
        return None
