"""What the client negotiated, as the transport saw it go out and come back.

The writer records the legacy handshake's two messages as the client sends them and tracks the protocol
version in wire order; the read side takes the version an ``initialize`` answer settles; session recovery
replays the handshake in a new session.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agentcore_mcp.client._messages import Outgoing

__all__ = ["Handshake"]


@dataclass
class Handshake:
    """What the client negotiated: its ``initialize`` and ``notifications/initialized`` as sent (the legacy
    handshake, replayed in a new session), and the protocol version in use (None: not yet known)."""

    initialize: Outgoing | None = None
    initialized: Outgoing | None = None
    version: str | None = None
