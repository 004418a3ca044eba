"""InvokeAgentRuntime: one invocation from the body read to the log line.

The body is read with the payload cap, the caller authenticated (``_auth.py``), the request validated as
the service model constrains it (400, 406), injected faults and the rate limit applied (HTTP 200, JSON-RPC
-32003), the session's microVM found or started (424 when it does not start), a failed health check
answered by the platform (-32010), and the rest relayed to the server (``_relay.py``).
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable

from pydantic_core import from_json

from agentcore_mcp import _wire as wire
from agentcore_mcp.emulator._auth import Authentication
from agentcore_mcp.emulator._base import Receive, Scope, Send, header, jsonrpc_id
from agentcore_mcp.emulator._forward import Forwarded, UpstreamFailed
from agentcore_mcp.emulator._headers import TRACE_ECHO, custom_header_too_long
from agentcore_mcp.emulator._microvms import Session, StartFailed
from agentcore_mcp.emulator._platform_errors import Refusal, api_error, jsonrpc_error, validation_error
from agentcore_mcp.emulator._probes import HEALTH_CHECK_FAILED
from agentcore_mcp.emulator._ratelimit import TokenBucket
from agentcore_mcp.emulator._relay import Relay
from agentcore_mcp.emulator._runtimes import Runtime
from agentcore_mcp.server import accepts_both

__all__ = ["Invocation"]

logger = logging.getLogger("agentcore_mcp.emulator")

_VISIBLE_ASCII = re.compile(r"[\x21-\x7e]+")
_THROTTLED = "Rate exceeded. Please retry later."
_CONFLICT = "Session operation in progress, please retry"
_RUNTIME_SESSION = wire.RUNTIME_SESSION_ID.encode()
_MCP_SESSION = wire.MCP_SESSION_ID.encode()


def _describe_call(raw: list[tuple[bytes, bytes]], body: bytes) -> str:
    method, name = header(raw, wire.MCP_METHOD.encode()), header(raw, wire.MCP_NAME.encode())
    if method is None and len(body) < 1_000_000:
        try:
            message = from_json(body)
        except ValueError:
            return "(not JSON)"
        if isinstance(message, dict):
            method = message.get("method") if isinstance(message.get("method"), str) else None
            params = message.get("params")
            if isinstance(params, dict) and isinstance(params.get("name"), str):
                name = params["name"]
        elif isinstance(message, list):
            method = f"(batch of {len(message)})"
    return " ".join(part for part in (method, name) if part)


class _Once:
    """Calls ``action`` the first time it is called, never again (a session is released once)."""

    def __init__(self, action: Callable[[], None]) -> None:
        self._action: Callable[[], None] | None = action

    def __call__(self) -> None:
        action, self._action = self._action, None
        if action is not None:
            action()


def _validate(raw: list[tuple[bytes, bytes]], runtime: Runtime, body: bytes) -> tuple[str | None, str | None]:
    """The request's session ids, once its members and headers pass the model's constraints (400, 406)."""
    rsid = header(raw, _RUNTIME_SESSION)
    if rsid is not None and not 33 <= len(rsid) <= 256:
        bound = "greater than or equal to 33" if len(rsid) < 33 else "less than or equal to 256"
        raise validation_error("runtimeSessionId", f"Member must have length {bound}")
    mcp_id = header(raw, _MCP_SESSION) or None
    if mcp_id is not None and len(mcp_id) > 1024:
        raise validation_error("mcpSessionId", "Member must have length less than or equal to 1024")
    for member, value in (("runtimeSessionId", rsid), ("mcpSessionId", mcp_id)):
        if value is not None and not _VISIBLE_ASCII.fullmatch(value):  # it is echoed in answer headers
            raise validation_error(member, "Member must contain only visible ASCII characters (0x21-0x7E)")
    too_long = custom_header_too_long(raw, runtime.allowlist)
    if too_long:
        raise api_error("ValidationException", f"The value of header {too_long} is longer than 4 KB", 400)
    if not accepts_both(b",".join(v for k, v in raw if k == b"accept")):
        raise jsonrpc_error(
            jsonrpc_id(body),
            wire.AC_NOT_ACCEPTABLE,
            "Not Acceptable: Client must accept both application/json and text/event-stream",
            status=406,
        )
    return rsid, mcp_id


class Invocation(Authentication, Relay):
    """InvokeAgentRuntime: authenticate, validate, admit, find or start the session, relay, log."""

    async def _invoke(self, scope: Scope, receive: Receive, send: Send, identifier: str) -> None:
        began = time.perf_counter()
        request_id = str(uuid.uuid4())
        raw: list[tuple[bytes, bytes]] = scope["headers"]
        label = identifier.rsplit("/", 1)[-1]
        call = ""
        session: Session | None = None
        echo = [(b"x-amzn-requestid", request_id.encode())]
        echo += [(k, v) for k, v in raw if k in TRACE_ECHO]
        try:
            body = await self._read_body(scope, receive)
            call = _describe_call(raw, body)
            runtime, user = await self._authorize(scope, body, identifier)
            label = runtime.name
            session, cold, forwarded = await self._run(
                scope, receive, send, runtime, user, body, request_id, echo
            )
        except Refusal as refusal:
            extra = list(echo)
            rsid = header(raw, _RUNTIME_SESSION)
            if rsid and refusal.status == 200:
                extra.append((_RUNTIME_SESSION, rsid.encode()))
            await self._answer(send, refusal.status, [*refusal.headers, *extra], refusal.body)
            logger.info(
                "invoke %s %s → %d %s (%.1f ms)",
                label,
                call or "-",
                refusal.status,
                refusal.reason,
                (time.perf_counter() - began) * 1000,
            )
            return
        except ConnectionError:
            logger.info("invoke %s: the caller disconnected before sending the whole request", label)
            return
        note = ""
        if cold is not None and session.pid is not None:
            note = f" [new microVM pid {session.pid}, ready in {cold * 1000:.0f} ms]"
        elif cold is not None:
            note = " [new session]"
        kind = "sse" if forwarded.streamed else (forwarded.content_type.split(";")[0] or "empty")
        logger.info(
            "invoke %s session=%s %s → %d %s %d B%s (%.1f ms)%s",
            label,
            session.runtime_session_id,
            call or "-",
            forwarded.status,
            kind,
            forwarded.size,
            " BROKEN" if forwarded.broken else "",
            (time.perf_counter() - began) * 1000,
            note,
        )

    async def _run(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        runtime: Runtime,
        user: str | None,
        body: bytes,
        request_id: str,
        echo: list[tuple[bytes, bytes]],
    ) -> tuple[Session, float | None, Forwarded]:
        """Validate, admit, find or start the session, then relay the server's answer."""
        raw: list[tuple[bytes, bytes]] = scope["headers"]
        rsid, mcp_id = _validate(raw, runtime, body)
        self._admit(runtime, body)
        try:
            session, cold = await self.sessions.acquire(
                runtime, rsid, mcp_id, lambda: self._shared_upstream(runtime), self._client
            )
        except StartFailed as exc:
            raise api_error("RuntimeClientError", str(exc), 424) from None
        release = _Once(lambda: self.sessions.release(session))
        try:
            if session.health.failed is not None:  # the platform answers without reaching the container
                ids = [(_MCP_SESSION, session.mcp_session_id.encode())] if session.mcp_session_id else []
                if rsid is None:  # otherwise the refusal carries the caller's own runtime session id
                    ids.append((_RUNTIME_SESSION, session.runtime_session_id.encode()))
                code = wire.AC_RUNTIME_CLIENT_ERROR
                raise jsonrpc_error(jsonrpc_id(body), code, HEALTH_CHECK_FAILED, headers=ids)
            forwarded = await self._relay(
                scope, receive, send, session, user, body, request_id, echo, release
            )
        except UpstreamFailed as exc:
            if session.process is not None and not session.alive:
                await self.sessions.end(session, "its process died")
            message = str(exc)
            if not message.startswith("Received error"):
                message = f"Runtime invocation failed: {message}. Check the runtime's logs."
            raise api_error("RuntimeClientError", message, 424) from None
        finally:
            release()
        return session, cold, forwarded

    def _admit(self, runtime: Runtime, body: bytes) -> None:
        """Injected faults, the rate limit, and runtimes that exist but cannot run locally."""
        fault = self.faults.take(runtime.arn)
        if fault is not None:
            if fault.kind == "throttle":
                raise jsonrpc_error(jsonrpc_id(body), wire.AC_THROTTLED, _THROTTLED)
            if fault.kind == "conflict":
                raise jsonrpc_error(jsonrpc_id(body), wire.AC_CONFLICT, _CONFLICT)
            raise api_error(fault.code, fault.message, fault.status)
        if runtime.rate_limit is not None:
            bucket = self._buckets.get(runtime.arn)
            if bucket is None:
                bucket = self._buckets[runtime.arn] = TokenBucket(runtime.rate_limit, runtime.burst)
            if not bucket.allow(self.clock()):
                raise jsonrpc_error(jsonrpc_id(body), wire.AC_THROTTLED, _THROTTLED)
        if runtime.problem:
            raise api_error("RuntimeClientError", runtime.problem, 424)
