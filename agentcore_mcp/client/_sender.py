"""One message out as a POST: the headers it goes with, resends while they are safe, pacing once throttled.

What a failure proves decides whether the POST is sent again (see :mod:`._retry`); an answer the server
produced is returned as it is, for the transport to deliver. The first throttled answer starts a pacer
(see :mod:`._pacing`) that spreads this transport's sends from then on.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

import anyio
from pydantic_core import from_json

from agentcore_mcp._wire import (
    AC_THROTTLED,
    CONNECTION_CLOSED,
    INTERNAL_ERROR,
    MCP_PROTOCOL_VERSION,
    MCP_SESSION_ID,
    REQUEST_TIMEOUT,
    RUNTIME_SESSION_ID,
    RUNTIME_USER_ID,
)
from agentcore_mcp.client._backend import (
    Backend,
    BufferedReply,
    ConnectionFailed,
    Exchange,
    Reply,
    TransportError,
    TransportTimeout,
)
from agentcore_mcp.client._failure import Failure, platform_error
from agentcore_mcp.client._pacing import PacingTimeout
from agentcore_mcp.client._retry import (
    MAYBE_RAN_STATUSES,
    REFUSED_CODES,
    REFUSED_STATUSES,
    THROTTLED_CODES,
    THROTTLED_STATUSES,
    RetryPolicy,
)

if TYPE_CHECKING:
    from agentcore_mcp._session import RuntimeSession
    from agentcore_mcp.client._messages import Outgoing
    from agentcore_mcp.client._pacing import AdaptivePacer

__all__ = ["Sender"]

logger = logging.getLogger("agentcore_mcp.client")


@dataclass(frozen=True)
class _Resend:
    """Why a POST goes out again: the reason (for messages), and the answer that prompted it, if any."""

    reason: str
    throttled: bool = False
    headers: Mapping[str, str] | None = None  # of the last answer, for its Retry-After
    status: int | None = None


class Sender:
    """POSTs a transport's messages through ``backend`` in ``session``, resending under ``retry``.

    Args:
        backend: what carries each POST.
        session: the runtime session whose ids each POST names; answers update its ``Mcp-Session-Id``.
        agentcore: whether the target is an AgentCore runtime (which takes the runtime session headers).
        retry: when and how often a failed POST is sent again (the transport's ``retry``).
        trace: send the OpenTelemetry span current where the client wrote each message as ``traceparent``
            (when OpenTelemetry is installed).
    """

    def __init__(
        self, backend: Backend, session: RuntimeSession, *, agentcore: bool, retry: RetryPolicy, trace: bool
    ) -> None:
        self.backend = backend
        self.session = session
        self.agentcore = agentcore
        self.retry = retry
        self.pacer: AdaptivePacer | None = None  # the first throttled answer creates it
        self._trace = trace
        self._inject: Callable[[dict[str, str]], None] | None = None

    async def post(
        self, out: Outgoing, version: str | None, context: contextvars.Context, deadline: float
    ) -> Reply:
        """POST once, and again (with backoff) while the failure proves a resend is safe.

        Throttled answers spend ``retry.throttle_attempts``, every other resend ``retry.attempts``.

        Raises:
            Failure: no answer came (or none in time), or the platform's throttled or busy error persisted.
        """
        failures = 0  # resends after failures
        throttles = 0  # resends after throttled answers
        while True:
            if self.pacer is not None:  # throttled before: wait for a send slot
                await self._wait_for_slot(self.pacer, out, deadline)
            sent_at = self.pacer.now() if self.pacer is not None else 0.0
            exchange = Exchange(out.body, self.headers(out, version, context))
            try:
                reply = await self.backend.send(exchange)
            except ConnectionFailed as exc:
                if (
                    not self.retry.may_resend(out.method, ran=exc.may_have_run)
                    or failures >= self.retry.attempts
                ):
                    raise Failure(CONNECTION_CLOSED, f"{exc} (no answer to {out.method})") from exc
                resend = _Resend(str(exc))
            except TransportTimeout as exc:
                raise Failure(REQUEST_TIMEOUT, f"{exc} (no answer to {out.method})") from exc
            except TransportError as exc:
                raise Failure(INTERNAL_ERROR, str(exc)) from exc
            else:
                answered = await self._resend_after(
                    out, reply, sent_at, failures=failures, throttles=throttles
                )
                if answered is None:
                    return reply
                resend = answered
            spent = throttles if resend.throttled else failures
            delay = self._delay(out, resend, spent, deadline)
            if resend.throttled:
                throttles += 1
            else:
                failures += 1
            self._log_resend(out, resend, spent + 1, delay)
            await anyio.sleep(delay)

    async def _wait_for_slot(self, pacer: AdaptivePacer, out: Outgoing, deadline: float) -> None:
        """Wait for the pacer's next send slot; a slot past ``deadline`` ends the request as throttled."""
        try:
            await pacer.acquire(deadline)
        except PacingTimeout as exc:
            raise Failure(
                AC_THROTTLED, f"{exc}; {out.method} to {self.backend.description} not sent", {"status": 200}
            ) from None

    async def _resend_after(
        self, out: Outgoing, reply: Reply, sent_at: float, *, failures: int, throttles: int
    ) -> _Resend | None:
        """Why ``reply`` is to be sent again (closing it), or None: it is the answer to return.

        Raises:
            Failure: the platform's throttled or busy error, once its budget of resends is spent.
        """
        self._note_reply(reply)
        refused = _refusal(reply)
        throttled = refused is not None and _is_throttle(reply)
        self._pace(throttled, sent_at)
        ran = refused is None and reply.status in MAYBE_RAN_STATUSES
        spent, budget = (
            (throttles, self.retry.throttle_attempts) if throttled else (failures, self.retry.attempts)
        )
        if (refused is None and not ran) or spent >= budget:
            platform = platform_error(reply) if refused is not None else None
            if platform is not None:  # throttled or busy after every retry: the platform's error
                raise platform
            return None
        if ran and not self.retry.may_resend(out.method, ran=True):
            return None
        resend = _Resend(refused or f"HTTP {reply.status}", throttled, reply.headers, reply.status)
        await reply.aclose()
        return resend

    def _delay(self, out: Outgoing, resend: _Resend, spent: int, deadline: float) -> float:
        """The wait before the next resend; a resend that would pass ``deadline`` ends the request."""
        delay = self.retry.delay(spent, resend.headers)
        if anyio.current_time() + delay >= deadline:
            raise Failure(
                REQUEST_TIMEOUT,
                f"gave up on {out.method} to {self.backend.description}: {resend.reason}; "
                "the next retry would pass the request timeout",
                None if resend.status is None else {"status": resend.status},
            )
        return delay

    def _log_resend(self, out: Outgoing, resend: _Resend, attempt: int, delay: float) -> None:
        throttled = resend.throttled
        logger.info(
            "%s to %s: %s; %s %d/%d in %.2f s",
            out.method,
            self.backend.description,
            resend.reason,
            "throttled, resend" if throttled else "retry",
            attempt,
            self.retry.throttle_attempts if throttled else self.retry.attempts,
            delay,
            extra={"mcp_request_id": out.id, "throttled": throttled},
        )

    def _pace(self, throttled: bool, sent_at: float) -> None:
        """Feed an answer to the pacer, which the first throttled answer creates (see _pacing)."""
        if self.pacer is None:
            if not throttled:
                return
            from agentcore_mcp.client._pacing import AdaptivePacer

            self.pacer = AdaptivePacer()
        self.pacer.record(throttled=throttled, sent_at=sent_at)
        if throttled:
            logger.debug("throttled by %s; pacing sends at %.2f/s", self.backend.description, self.pacer.rate)

    def _note_reply(self, reply: Reply) -> None:
        mcp_session_id = reply.headers.get(MCP_SESSION_ID)
        if mcp_session_id and mcp_session_id != self.session.mcp_session_id:
            self.session.mcp_session_id = mcp_session_id

    # -- headers ------------------------------------------------------------------------------------------

    def headers(self, out: Outgoing, version: str | None, context: contextvars.Context) -> dict[str, str]:
        """The headers ``out`` goes with: the session's ids, the protocol version, the message's own, trace."""
        headers: dict[str, str] = {}
        session = self.session
        if self.agentcore:
            if session.stopped:
                old = session.runtime_session_id
                session.renew()
                logger.info("runtime session %s was stopped; starting %s", old, session.runtime_session_id)
            headers[RUNTIME_SESSION_ID] = session.runtime_session_id
            if session.user_id:
                headers[RUNTIME_USER_ID] = session.user_id
        if session.mcp_session_id:
            headers[MCP_SESSION_ID] = session.mcp_session_id
        if version is not None:
            headers[MCP_PROTOCOL_VERSION] = version
        if out.headers:
            for name, value in out.headers.items():
                headers[name.lower()] = value
        if self._trace:
            self._add_trace_context(headers, context)
        return headers

    def _add_trace_context(self, headers: dict[str, str], context: contextvars.Context) -> None:
        if self._inject is None:
            try:
                from opentelemetry import propagate
            except ImportError:
                self._trace = False
                return
            self._inject = propagate.inject
        carrier: dict[str, str] = {}
        context.run(self._inject, carrier)
        for name, value in carrier.items():
            headers.setdefault(name.lower(), value)


def _refusal(reply: Reply) -> str | None:
    """Why ``reply`` proves the request was refused before it ran (so it may be resent), or None."""
    if reply.status in REFUSED_STATUSES:
        return f"HTTP {reply.status} {reply.headers.get('x-amzn-errortype', '')}".rstrip()
    if reply.status == 200 and isinstance(reply, BufferedReply) and b'"error"' in reply.body[:4096]:
        try:
            parsed = from_json(reply.body)
        except ValueError:
            return None
        error = parsed.get("error") if isinstance(parsed, dict) else None
        if isinstance(error, dict) and error.get("code") in REFUSED_CODES:
            return f"JSON-RPC {error['code']} {error.get('message', '')}".rstrip()
    return None


def _is_throttle(reply: Reply) -> bool:
    """True for a throttled answer: HTTP 429, or AgentCore's answer to an MCP runtime's caller (HTTP 200,
    JSON-RPC -32003)."""
    if reply.status in THROTTLED_STATUSES:
        return True
    failure = platform_error(reply)
    return failure is not None and failure.code in THROTTLED_CODES
