"""Session recovery: when the platform has dropped the session, a new one, and the handshake replayed in it.

AgentCore ends a runtime session after its idle timeout (or its microVM's end); the server then no longer
knows the ``Mcp-Session-Id`` the client negotiated. One request noticing it renews both ids and replays the
legacy handshake as the client sent it; requests meanwhile wait, then resend in the new session.
"""

from __future__ import annotations

import contextvars
import logging
import math
import re
from typing import TYPE_CHECKING

import anyio

from agentcore_mcp.client._failure import Failure, http_failure, read_limited, snippet

if TYPE_CHECKING:
    from agentcore_mcp._session import RuntimeSession
    from agentcore_mcp.client._backend import Reply
    from agentcore_mcp.client._handshake import Handshake
    from agentcore_mcp.client._messages import Outgoing
    from agentcore_mcp.client._sender import Sender

__all__ = ["SessionRecovery"]

logger = logging.getLogger("agentcore_mcp.client")

_SESSION_GONE = re.compile(
    rb"session (not found|.*(expired|terminated))|no valid session|unknown session", re.I
)


class SessionRecovery:
    """Renews ``session`` and replays ``handshake`` through ``sender``, once however many requests noticed.

    ``generation`` counts the sessions begun; a request notes it before sending, so that an answer to the
    old session after a recovery resends in the new one instead of recovering again. While a recovery
    replays the handshake, ``recovering`` is the event requests wait for.
    """

    def __init__(self, sender: Sender, session: RuntimeSession, handshake: Handshake) -> None:
        self._sender = sender
        self._session = session
        self._handshake = handshake
        self.generation = 0
        self.recovering: anyio.Event | None = None
        self._lock = anyio.Lock()

    def session_gone(self, reply: Reply, body: bytes, generation: int) -> bool:
        """True when an error answer says the server no longer knows the session this request named."""
        if reply.status not in (400, 404):
            return False
        if generation != self.generation:
            return True  # another request already recovered; resend in the new session
        if self._session.mcp_session_id is None:
            return False
        if reply.status == 404 and not reply.headers.get("x-amzn-errortype"):
            # a 2026-07-28 server answers an unknown method with 404 and -32601: not a lost session
            return b"-32601" not in body[:4096]
        return _SESSION_GONE.search(body[:2048]) is not None

    async def recover(self, generation: int, status: int, body: bytes, context: contextvars.Context) -> None:
        """Start a new session (new ids) and replay the legacy handshake, once for all waiting requests.

        Raises:
            Failure: the replayed ``initialize`` was refused.
        """
        async with self._lock:
            if generation != self.generation:
                return
            self.recovering = anyio.Event()
            try:
                await self._renew(status, body, context)
            finally:
                self.recovering.set()
                self.recovering = None

    async def _renew(self, status: int, body: bytes, context: contextvars.Context) -> None:
        """Replace both ids and replay the handshake (the caller holds the lock)."""
        session = self._session
        old, old_mcp = session.runtime_session_id, session.mcp_session_id
        session.renew()
        self.generation += 1
        init = self._handshake.initialize
        logger.warning(
            "%s dropped session %s (Mcp-Session-Id %s): HTTP %d %s; continuing in new session %s%s",
            self._sender.backend.description,
            old,
            old_mcp,
            status,
            snippet(body, 200),
            session.runtime_session_id,
            ", replaying the initialize handshake" if init is not None else "",
        )
        if init is not None:
            await self._replay(init, context)

    async def _replay(self, init: Outgoing, context: contextvars.Context) -> None:
        target = self._sender.backend.description
        reply = await self._sender.post(init, None, context, math.inf)
        try:
            body = await read_limited(reply)
        finally:
            await reply.aclose()
        if reply.status >= 300:
            refused = http_failure(target, init, reply, body)
            raise Failure(
                refused.code,
                f"{target} dropped the session, and starting a new one failed: {refused.message}",
                refused.data,
            )
        if self._handshake.initialized is not None:
            note = await self._sender.post(
                self._handshake.initialized, self._handshake.version, context, math.inf
            )
            await note.aclose()
