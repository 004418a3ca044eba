"""The forwarding leg of an invocation: the platform's headers, the request limits, the caller's disconnect.

``Relay._relay`` sends the request on to the session's server with the headers the platform sets (session
ids, the user id, the workload access token, the allow-listed headers) and rewrites the answer's headers on
the way back; ``Relay._forward`` holds the answer to the synchronous and streaming limits and cancels the
upstream call when the caller goes away.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from contextlib import suppress

import anyio

from agentcore_mcp import _wire as wire
from agentcore_mcp.emulator._base import EmulatorBase, Receive, Scope, Send, header
from agentcore_mcp.emulator._forward import AsgiUpstream, Forwarded, HttpUpstream, Upstream, UpstreamFailed
from agentcore_mcp.emulator._headers import upstream_headers
from agentcore_mcp.emulator._microvms import Session
from agentcore_mcp.emulator._platform_errors import api_error
from agentcore_mcp.emulator._runtimes import Runtime

__all__ = ["Relay"]

logger = logging.getLogger("agentcore_mcp.emulator")

_RUNTIME_SESSION = wire.RUNTIME_SESSION_ID.encode()
_MCP_SESSION = wire.MCP_SESSION_ID.encode()
_PROTOCOL_VERSION = wire.MCP_PROTOCOL_VERSION.encode()


async def _end_body(send: Send) -> None:
    with suppress(OSError):
        await send({"type": "http.response.body", "body": b""})


class Relay(EmulatorBase):
    """Forwards an admitted invocation to its session's server and streams the answer back."""

    async def _relay(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        session: Session,
        user: str | None,
        body: bytes,
        request_id: str,
        echo: list[tuple[bytes, bytes]],
        release: Callable[[], None],
    ) -> Forwarded:
        """Forward with the platform's headers (``user`` as the user id); the answer comes back with the ids."""
        raw: list[tuple[bytes, bytes]] = scope["headers"]
        runtime = session.runtime
        token = None
        if self.workload_token:
            token = self._workload_token(session, user)
        forward_headers = upstream_headers(
            raw,
            host=f"bedrock-agentcore.{runtime.region}.amazonaws.com",
            runtime_session_id=session.runtime_session_id,
            user_id=user,
            mcp_session_id=session.mcp_session_id or None,
            request_id=request_id,
            allowlist=runtime.allowlist,
            allow_authorization=runtime.auth == "jwt" and "authorization" in runtime.allowlist,
            workload_token=token,
            body_length=len(body),
        )
        protocol = header(raw, _PROTOCOL_VERSION)

        def on_start(status: int, passed: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
            issued = next((v.decode("latin-1") for k, v in passed if k == _MCP_SESSION), None)
            if runtime.stateful and issued:
                self.sessions.adopt(session, issued)
            out = [(k, v) for k, v in passed if k != _MCP_SESSION]
            if protocol and not any(k == _PROTOCOL_VERSION for k, _ in out):
                out.append((_PROTOCOL_VERSION, protocol.encode()))
            if any(k == b"content-type" and v.startswith(b"text/event-stream") for k, v in out):
                out = [(k, v) for k, v in out if k != b"cache-control"]
                out += [(b"cache-control", b"no-cache"), (b"x-accel-buffering", b"no")]
            if session.mcp_session_id:
                out.append((_MCP_SESSION, session.mcp_session_id.encode()))
            out.append((_RUNTIME_SESSION, session.runtime_session_id.encode()))
            return out + echo

        return await self._forward(session, forward_headers, body, receive, send, on_start, release)

    async def _forward(
        self,
        session: Session,
        headers: list[tuple[bytes, bytes]],
        body: bytes,
        receive: Receive,
        send: Send,
        on_start: Callable[[int, list[tuple[bytes, bytes]]], list[tuple[bytes, bytes]]],
        on_end: Callable[[], None],
    ) -> Forwarded:
        """Forward under the request limits; cancel the upstream call when the caller disconnects."""
        result: Forwarded | None = None
        failure: UpstreamFailed | None = None
        began = anyio.current_time()
        started: list[int] = []
        limit = anyio.CancelScope(deadline=began + self.limits.sync)

        def timed_start(status: int, passed: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
            started.append(status)
            out = on_start(status, passed)
            if any(k == b"content-type" and v.startswith(b"text/event-stream") for k, v in out):
                limit.deadline = began + self.limits.stream
            return out

        async with anyio.create_task_group() as tg:

            async def watch() -> None:
                while True:
                    message = await receive()
                    if message["type"] == "http.disconnect":
                        tg.cancel_scope.cancel()
                        return

            tg.start_soon(watch)
            with limit:
                try:
                    result = await session.upstream.forward(headers, body, send, timed_start, on_end)
                except UpstreamFailed as exc:
                    failure = exc  # raised below, outside the task group (which would wrap it)
            tg.cancel_scope.cancel()
        if failure is not None:
            raise failure
        if limit.cancelled_caught and not started:
            raise api_error(
                "RuntimeClientError",
                f"Runtime did not answer within the synchronous request limit ({self.limits.sync:g}s).",
                424,
            )
        if limit.cancelled_caught:
            logger.warning(
                "invoke %s session=%s: the answer ran past the %s limit and was cut",
                session.runtime.name,
                session.runtime_session_id,
                "streaming" if limit.deadline > began + self.limits.sync else "synchronous request",
            )
            await _end_body(send)
            return Forwarded(started[0], "", True, broken=True)
        if result is None:  # the caller went away mid-answer
            return Forwarded(0, "", True, broken=True)
        return result

    def _workload_token(self, session: Session, user: str | None) -> str:
        """The session's workload access token for ``user`` (minted once, renewed after 50 minutes)."""
        cached = session.workload_tokens.get(user or "")
        now = time.time()
        if cached is None or now - cached[1] > 3000:
            token = self.identity.workload_token(session.runtime.name, user)
            cached = session.workload_tokens[user or ""] = (token, now)
        return cached[0]

    def _shared_upstream(self, runtime: Runtime) -> Upstream:
        upstream = self._shared.get(runtime.arn)
        if upstream is None:
            if isinstance(runtime.target, str):
                upstream = HttpUpstream(runtime.target, self._client)
            else:
                upstream = AsgiUpstream(runtime.target, runtime.mcp_path)
            self._shared[runtime.arn] = upstream
        return upstream
