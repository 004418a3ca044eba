"""StopRuntimeSession: the caller authenticated as for an invocation, the named session's microVM stopped.

200 ``{}`` with the session id echoed; 404 ResourceNotFoundException for a session that is not live; 400
ValidationException for a missing or malformed ``X-Amzn-Bedrock-AgentCore-Runtime-Session-Id``.
"""

from __future__ import annotations

import logging
import time
import uuid

from agentcore_mcp import _wire as wire
from agentcore_mcp.emulator._auth import Authentication
from agentcore_mcp.emulator._base import JSON, Receive, Scope, Send, header
from agentcore_mcp.emulator._platform_errors import Refusal, api_error, validation_error

__all__ = ["SessionStopping"]

logger = logging.getLogger("agentcore_mcp.emulator")

_RUNTIME_SESSION = wire.RUNTIME_SESSION_ID.encode()


class SessionStopping(Authentication):
    """StopRuntimeSession: the named session's microVM stopped, once the caller is authenticated."""

    async def _stop(self, scope: Scope, receive: Receive, send: Send, identifier: str) -> None:
        began = time.perf_counter()
        request_id = str(uuid.uuid4())
        raw: list[tuple[bytes, bytes]] = scope["headers"]
        try:
            body = await self._read_body(scope, receive)
            runtime, _ = await self._authorize(scope, body, identifier)
            rsid = header(raw, _RUNTIME_SESSION)
            if rsid is None:
                raise validation_error("runtimeSessionId", "Member must not be null")
            if not 33 <= len(rsid) <= 256:
                raise validation_error(
                    "runtimeSessionId", "Member must have length greater than or equal to 33"
                )
            stopped = await self.sessions.stop(runtime, rsid)
            if stopped is None:
                raise api_error(
                    "ResourceNotFoundException", f"Session {rsid} not found or already stopped", 404
                )
        except Refusal as refusal:
            await self._answer(
                send,
                refusal.status,
                [*refusal.headers, (b"x-amzn-requestid", request_id.encode())],
                refusal.body,
            )
            logger.info("stop %s → %d %s", identifier.rsplit("/", 1)[-1], refusal.status, refusal.reason)
            return
        except ConnectionError:
            return
        headers = [
            *JSON,
            (b"x-amzn-requestid", request_id.encode()),
            (_RUNTIME_SESSION, rsid.encode()),
        ]
        await self._answer(send, 200, headers, b"{}")
        logger.info(
            "stop %s session=%s → 200 (%.1f ms)", runtime.name, rsid, (time.perf_counter() - began) * 1000
        )
