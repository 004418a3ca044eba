"""The mutable state the protocol layer works with, made once per server and owned by the facade."""

from __future__ import annotations

from agentcore_mcp.server._input import PendingRequests
from agentcore_mcp.server._options import SessionMode, StateSealing
from agentcore_mcp.server._session_store import SessionStore
from agentcore_mcp.server._state import StateSealer, check_env_keys
from agentcore_mcp.server._subscriptions import SubscriptionHub

__all__ = ["Stores"]


class Stores:
    """Sessions (session mode only), handshake-era requests awaiting the client, listen streams, the sealer.

    Args:
        sessions: session mode's settings, or None for a stateless server.
        sealing: how MRTR ``requestState`` is sealed; the sealer is made on first use, so a missing key
            warns only when the state is needed.
        input_timeout: seconds a handshake-era question to the client waits for its answer.
    """

    __slots__ = ("_sealer", "_sealing", "pending", "sessions", "subscriptions")

    def __init__(self, *, sessions: SessionMode | None, sealing: StateSealing, input_timeout: float) -> None:
        self.sessions = SessionStore(sessions.idle_timeout) if sessions is not None else None
        self.pending = PendingRequests(input_timeout)
        self.subscriptions = SubscriptionHub()
        self._sealing = sealing
        self._sealer: StateSealer | None = None
        if not sealing.keys:
            check_env_keys()  # a bad AGENTCORE_MCP_STATE_KEYS fails here, at start-up

    @property
    def sealer(self) -> StateSealer:
        """The sealer of MRTR ``requestState`` (created on first use)."""
        if self._sealer is None:
            keys = [k.encode() for k in self._sealing.keys] if self._sealing.keys else None
            self._sealer = StateSealer(keys, ttl_seconds=self._sealing.ttl)
        return self._sealer
