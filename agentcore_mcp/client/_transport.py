"""The MCP client transport for AgentCore: the SDK's message streams in, HTTP exchanges out, and back.

``AgentCoreTransport`` is an async context manager yielding ``(read_stream, write_stream)`` of the installed
mcp SDK's ``SessionMessage`` objects, the shape every MCP client takes: mcp 2.x ``Client(transport)`` and
``ClientSession(read, write)``, mcp 1.x ``ClientSession(read, write)``, Strands ``MCPClient(lambda: ...)``.

Each request the client writes becomes one POST (concurrently with others); its answer, one JSON body or an
SSE stream of notifications ending in the response, is fed back as it arrives. Every request id gets a
response or a JSON-RPC error that says what went wrong; a request is never left hanging.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import unquote, urlsplit

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream
from pydantic_core import from_json, to_json

from agentcore_mcp._session import RuntimeSession
from agentcore_mcp._wire import (
    AC_STATUS_CODES,
    AC_THROTTLED,
    AC_VALIDATION,
    CONNECTION_CLOSED,
    INTERNAL_ERROR,
    INVALID_PARAMS,
    INVALID_REQUEST,
    LEGACY_VERSIONS,
    MCP_PROTOCOL_VERSION,
    MCP_SESSION_ID,
    PARSE_ERROR,
    REQUEST_TIMEOUT,
    RUNTIME_SESSION_ID,
    RUNTIME_USER_ID,
)
from agentcore_mcp.client._arn import (
    RuntimeArn,
    configured_endpoint,
    invocations_url,
    is_runtime_arn,
    stop_session_url,
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
from agentcore_mcp.client._gateway import GatewayArn, gateway_region, gateway_url, is_gateway_arn
from agentcore_mcp.client._messages import Outgoing, Unencodable
from agentcore_mcp.client._pacing import PacingTimeout
from agentcore_mcp.client._retry import (
    MAYBE_RAN_STATUSES,
    REFUSED_CODES,
    REFUSED_STATUSES,
    THROTTLED_CODES,
    THROTTLED_STATUSES,
    RetryPolicy,
)
from agentcore_mcp.client._sse import DEFAULT_MAX_EVENT_SIZE, SSEDecoder, SSEError

if TYPE_CHECKING:
    import httpx

    from agentcore_mcp.client._auth import TokenProvider
    from agentcore_mcp.client._messages import Sdk
    from agentcore_mcp.client._pacing import AdaptivePacer

__all__ = ["AgentCoreTransport"]

logger = logging.getLogger("agentcore_mcp.client")

DEFAULT_RETRY = RetryPolicy()
_INVOCATIONS_PATH = re.compile(r"/runtimes/([^/]+)/invocations/?$")
_SESSION_GONE = re.compile(
    rb"session (not found|.*(expired|terminated))|no valid session|unknown session", re.I
)


class _Failure(Exception):
    """A request ends with this JSON-RPC error (raised inside the request task, delivered once)."""

    def __init__(self, code: int, message: str, data: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = dict(data) if data else None


class _ContextSendStream:
    """The write stream handed to the client: remembers each sender's contextvars (for trace context)."""

    __slots__ = ("_inner",)

    def __init__(self, inner: MemoryObjectSendStream[tuple[contextvars.Context, Any]]) -> None:
        self._inner = inner

    async def send(self, item: Any, /) -> None:
        await self._inner.send((contextvars.copy_context(), item))

    def close(self) -> None:
        self._inner.close()

    async def aclose(self) -> None:
        await self._inner.aclose()

    async def __aenter__(self) -> _ContextSendStream:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


@dataclass
class _InFlight:
    scope: anyio.CancelScope  # cancelled by notifications/cancelled, or at the request timeout (its deadline)
    modern: bool
    cancelled: bool = False  # by the client (or a request reusing its id), not by the timeout

    def cancel(self) -> None:
        self.cancelled = True
        self.scope.cancel()


class AgentCoreTransport:
    """An MCP client transport to an AgentCore runtime (by ARN) or to any Streamable HTTP MCP URL.

    Args:
        target: a runtime ARN (``arn:aws:bedrock-agentcore:REGION:ACCOUNT:runtime/ID``; the region comes
            from it) or an MCP URL (``http://127.0.0.1:8000/mcp``, an invocations URL, the emulator).
        qualifier: the runtime endpoint for an ARN target (``DEFAULT``).
        client: a ready boto3 ``bedrock-agentcore`` client (your profile, region, ``endpoint_url``, config
            and retries); selects the boto3 backend (``backend="boto3"`` without it creates one).
        endpoint_url: the data-plane endpoint for an ARN target (e.g. the local emulator), for either backend.
        region: overrides the ARN's region (signing, and the client this transport creates).
        bearer_token: an OAuth access token, or a sync or async zero-argument function returning one
            (called again before a JWT expires and after a 401); selects the HTTPS backend (OAuth runtimes
            cannot be called via boto3). Refused (ValueError, here) over plain ``http://`` to a host that
            is not loopback (``127.0.0.0/8``, ``::1``, ``localhost``), unless ``allow_insecure_http``.
        allow_insecure_http: let ``bearer_token`` go over plain HTTP to any host (test rigs); None:
            ``AGENTCORE_MCP_ALLOW_INSECURE_BEARER=1`` decides. A ``BearerAuth`` passed as ``auth=`` has its own.
        auth: for the HTTPS backend: an ``httpx.Auth``, ``"sigv4"`` or ``"none"``; default: SigV4 for an ARN,
            none for a URL (unless ``bearer_token``).
        http_client: an ``httpx.AsyncClient`` to send with (you keep owning it); selects the HTTPS backend.
        boto3_session: a ``boto3.Session`` whose credentials sign requests (either backend).
        backend: ``"auto"`` (for an ARN: boto3 when ``client`` is given, else HTTPS signed with SigV4 or
            sent with ``bearer_token``; for a URL: HTTP(S)), ``"boto3"``, ``"http"`` (HTTP(S) with httpx;
            ``"httpx"`` is the same), or a :class:`~agentcore_mcp.client._backend.Backend` object.
        session: a :class:`~agentcore_mcp._session.RuntimeSession` to share between transports.
        runtime_session_id: the runtime session id to use (validated); generated when omitted.
        user_id: sent as ``X-Amzn-Bedrock-AgentCore-Runtime-User-Id``.
        headers: static extra headers for every POST (e.g. allow-listed custom headers).
        timeout: seconds one request may take from sending to its final response, retries included
            (default 900, the platform's limit for a synchronous call; None: no limit).
        read_timeout: seconds the server may stay silent while answering (SSE keep-alives count).
        connect_timeout: seconds to establish a connection.
        retries: a :class:`~agentcore_mcp.client._retry.RetryPolicy`, or the number of resends after
            failures (throttled answers keep their own budget; ``0`` turns every resend off).
        recover_sessions: start a new session (and replay the handshake) when the platform has dropped it.
        trace_context: send the current OpenTelemetry span as ``traceparent`` (when OpenTelemetry is installed).
        max_event_size: the largest SSE event accepted, in bytes (10 MB, the platform's chunk limit).
        max_connections: requests in flight at once on backends this transport creates (more wait).

    Raises:
        ValueError: an unparseable ARN, an invalid runtime session id, or options that contradict each other.
    """

    def __init__(
        self,
        target: str,
        *,
        qualifier: str | None = "DEFAULT",
        client: Any = None,
        endpoint_url: str | None = None,
        region: str | None = None,
        bearer_token: TokenProvider | None = None,
        allow_insecure_http: bool | None = None,
        auth: httpx.Auth | Literal["sigv4", "none"] | None = None,
        http_client: httpx.AsyncClient | None = None,
        boto3_session: Any = None,
        backend: Literal["auto", "boto3", "http", "httpx"] | Backend = "auto",
        session: RuntimeSession | None = None,
        runtime_session_id: str | None = None,
        user_id: str | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = 900.0,
        read_timeout: float = 300.0,
        connect_timeout: float = 10.0,
        retries: RetryPolicy | int = DEFAULT_RETRY,
        recover_sessions: bool = True,
        trace_context: bool = True,
        max_event_size: int | None = DEFAULT_MAX_EVENT_SIZE,
        max_connections: int = 100,
    ) -> None:
        _check_headers({**(headers or {}), **({RUNTIME_USER_ID: user_id} if user_id is not None else {})})
        if session is not None and runtime_session_id is not None:
            raise ValueError("pass either session= or runtime_session_id=, not both")
        self.session = session or RuntimeSession(runtime_session_id, user_id=user_id)
        if session is not None and user_id is not None:
            session.user_id = user_id
        self.target = target
        self.timeout = timeout
        self.retry = _retry_policy(retries)
        self.recover_sessions = recover_sessions
        self.max_event_size = max_event_size
        self._trace = trace_context
        self._inject: Callable[[dict[str, str]], None] | None = None
        self._backend, self.agentcore = _make_backend(
            target,
            qualifier=qualifier,
            client=client,
            endpoint_url=endpoint_url,
            region=region,
            bearer_token=bearer_token,
            allow_insecure_http=allow_insecure_http,
            auth=auth,
            http_client=http_client,
            boto3_session=boto3_session,
            backend=backend,
            headers=headers,
            read_timeout=read_timeout,
            connect_timeout=connect_timeout,
            max_connections=max_connections,
        )
        self.session.bind_stopper(self._stop_session)
        self._sdk: Sdk | None = None
        self._protocol_version: str | None = None
        self._initialize: Outgoing | None = None
        self._initialized: Outgoing | None = None
        self._generation = 0
        self._recovery_lock = anyio.Lock()
        self._recovering: anyio.Event | None = None
        self._in_flight: dict[Any, _InFlight] = {}
        self._pacer: AdaptivePacer | None = None
        self._task_group: anyio.abc.TaskGroup | None = None
        self._requests: set[asyncio.Task[None]] | None = None  # request tasks, when run as asyncio tasks
        self._read_send: MemoryObjectSendStream[Any] | None = None
        self._streams: tuple[Any, ...] = ()

    def __repr__(self) -> str:
        return f"AgentCoreTransport({self._backend.description!r}, session={self.session!r})"

    @property
    def backend(self) -> Backend:
        """The backend that carries this transport's POSTs."""
        return self._backend

    @property
    def protocol_version(self) -> str | None:
        """The protocol version in use, once the client has negotiated or pinned one."""
        return self._protocol_version

    # -- lifecycle ---------------------------------------------------------------------------------------

    async def __aenter__(self) -> tuple[MemoryObjectReceiveStream[Any], _ContextSendStream]:
        if self._task_group is not None:
            raise RuntimeError("this transport is already open; open it again only after it has closed")
        from agentcore_mcp.client._messages import sdk

        self._sdk = sdk()
        read_send, read_receive = anyio.create_memory_object_stream[Any](0)
        write_send, write_receive = anyio.create_memory_object_stream[tuple[contextvars.Context, Any]](0)
        self._read_send = read_send
        self._streams = (read_send, read_receive, write_send, write_receive)
        task_group = anyio.create_task_group()
        await task_group.__aenter__()
        self._task_group = task_group
        # On asyncio, requests run as plain tasks (a quarter of the cost of a task group's child); they
        # catch their own errors, so nothing but cancellation at close needs the group's supervision.
        self._requests = set() if _on_asyncio() else None
        task_group.start_soon(self._writer, write_receive)
        return read_receive, _ContextSendStream(write_send)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool | None:
        task_group, self._task_group = self._task_group, None
        assert task_group is not None
        task_group.cancel_scope.cancel()
        requests, self._requests = self._requests, None
        for task in requests or ():
            task.cancel()
        try:
            # The caller's exception is not handed to our task group: it would come back wrapped in an
            # ExceptionGroup (one more layer than the SDK's own client adds). It propagates unchanged
            # once this method returns; our own tasks catch their errors, so the group raises none.
            await task_group.__aexit__(None, None, None)
        finally:
            if requests:
                with anyio.CancelScope(shield=True):
                    await asyncio.wait(requests)
            for stream in self._streams:
                stream.close()
            self._streams = ()
            self._in_flight.clear()
            with anyio.CancelScope(shield=True):
                await self._backend.aclose()
        return None

    async def stop(self) -> None:
        """End the runtime session on the platform (StopRuntimeSession); the next request starts a new one.

        A no-op for a plain MCP URL, which has no runtime session. Closing the transport does not stop the
        session (and never sends an HTTP DELETE): stop it when the conversation is over.
        """
        await self.session.stop()

    async def _stop_session(self, session: RuntimeSession) -> None:
        if not self.agentcore or not self._backend.supports_stop:
            session.stopped = True
            return
        runtime_session_id = session.runtime_session_id
        try:
            await self._backend.stop_session(runtime_session_id)
        finally:
            if self._task_group is None:
                await self._backend.aclose()
        session.stopped = True
        logger.info("stopped runtime session %s of %s", runtime_session_id, self._backend.description)

    # -- the write side: one task per message -----------------------------------------------------------

    async def _writer(
        self, write_receive: MemoryObjectReceiveStream[tuple[contextvars.Context, Any]]
    ) -> None:
        assert self._sdk is not None
        assert self._task_group is not None
        async with write_receive:
            async for context, item in write_receive:
                try:
                    out = self._sdk.outgoing(item)
                except Unencodable as exc:
                    await self._not_sent(exc, context)
                    continue
                except Exception:
                    logger.exception("could not serialise a message from the MCP client; dropped")
                    continue
                if out.is_request:
                    version = self._note_outgoing(out)
                    modern = version is not None and version not in LEGACY_VERSIONS
                    flight = _InFlight(anyio.CancelScope(), modern)
                    superseded = self._in_flight.get(out.id)
                    if superseded is not None:
                        superseded.cancel()
                    self._in_flight[out.id] = flight
                    if self._requests is not None:
                        task = asyncio.get_running_loop().create_task(
                            self._run_request(out, version, context, flight)
                        )
                        self._requests.add(task)
                        task.add_done_callback(self._request_done)
                    else:
                        self._task_group.start_soon(self._run_request, out, version, context, flight)
                    continue
                if out.method == "notifications/cancelled" and self._cancel(out):
                    continue
                if out.method == "notifications/initialized":
                    self._initialized = out
                # In line, like the SDK's own HTTP transport: what the client writes after a notification
                # (requests after `initialized`) reaches the server after it.
                await self._run_notification(out, self._version_for(out), context)

    async def _not_sent(self, exc: Unencodable, context: contextvars.Context) -> None:
        """Answer for a message that has no JSON form, so that nothing waits for it.

        A request gets its JSON-RPC error (-32602) at once; a response to a server request reaches the
        server as an error response instead; a notification, which nobody waits for, is logged.
        """
        assert self._task_group is not None
        target = self._backend.description
        if exc.method is not None and exc.id is not None:
            failure = _Failure(INVALID_PARAMS, f"{exc.method} was not sent to {target}: {exc.reason}")
            # From a task, as request errors are: the client may be writing its next message before it
            # reads this answer, and the read stream holds none.
            self._task_group.start_soon(self._deliver_error_safely, exc.id, failure)
        elif exc.id is not None:
            logger.warning(
                "the response to server request %r was not sent to %s: %s", exc.id, target, exc.reason
            )
            error = {
                "code": INTERNAL_ERROR,
                "message": f"the client's response could not be encoded as JSON: {exc.reason}",
            }
            try:
                body = to_json({"jsonrpc": "2.0", "id": exc.id, "error": error})
            except ValueError:
                logger.warning("the id %r cannot be encoded either; server request left unanswered", exc.id)
                return
            out = Outgoing(body=body, id=exc.id, method=None, params=None, headers=exc.headers)
            await self._run_notification(out, self._version_for(out), context)
        else:
            logger.warning("%s was not sent to %s: %s", exc.method or "a message", target, exc.reason)

    async def _deliver_error_safely(self, request_id: Any, failure: _Failure) -> None:
        try:
            await self._deliver_error(request_id, failure)
        except Exception:  # e.g. an id that itself has no JSON form: nothing can carry the error
            logger.exception("could not answer request %r: %s", request_id, failure.message)

    def _request_done(self, task: asyncio.Task[None]) -> None:
        if self._requests is not None:
            self._requests.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("a request task failed", exc_info=task.exception())

    def _version_for(self, out: Outgoing) -> str | None:
        if out.headers:
            for name, value in out.headers.items():
                if name.lower() == MCP_PROTOCOL_VERSION:
                    return value
        return self._protocol_version

    def _note_outgoing(self, out: Outgoing) -> str | None:
        """Track the negotiated version in wire order; the version header this request goes out with."""
        if out.method == "initialize":
            self._initialize = out
            self._protocol_version = None
            return None
        version = self._version_for(out)
        if version is not None:
            self._protocol_version = version
        return version

    def _cancel(self, out: Outgoing) -> bool:
        """A ``notifications/cancelled`` for a modern request aborts its POST; True: do not send it."""
        request_id = (out.params or {}).get("requestId")
        flight = self._in_flight.get(request_id)
        if flight is not None and flight.modern:
            flight.cancel()
            return True
        version = self._protocol_version
        return flight is None and version is not None and version not in LEGACY_VERSIONS

    # -- requests ---------------------------------------------------------------------------------------

    async def _run_request(
        self, out: Outgoing, version: str | None, context: contextvars.Context, flight: _InFlight
    ) -> None:
        failure: _Failure | None = None
        answered = False
        # One cancel scope per request: the client's cancellation, and the request timeout as its deadline.
        scope = flight.scope
        if self.timeout is not None:
            scope.deadline = anyio.current_time() + self.timeout
        try:
            with scope:
                try:
                    answered = await self._request(out, version, context, scope.deadline)
                except _Failure as exc:
                    failure = exc
                except (anyio.BrokenResourceError, anyio.ClosedResourceError):
                    logger.debug("the client went away before the answer to request %r arrived", out.id)
                    return
                except Exception as exc:  # a bug or an unexpected library error: still answer the id
                    logger.exception("request %r (%s) failed", out.id, out.method)
                    failure = _Failure(INTERNAL_ERROR, f"the transport failed: {type(exc).__name__}: {exc}")
        finally:
            if self._in_flight.get(out.id) is flight:
                del self._in_flight[out.id]
        if answered or flight.cancelled:
            return
        if failure is None and scope.cancelled_caught:
            failure = self._timed_out(out)
        if failure is None:
            failure = _Failure(INTERNAL_ERROR, "the transport ended the request without an answer")
        await self._deliver_error(out.id, failure)

    async def _request(
        self, out: Outgoing, version: str | None, context: contextvars.Context, deadline: float
    ) -> bool:
        """Send ``out`` (retrying, recovering the session) and deliver its answer; True once delivered.

        The caller's cancel scope ends it at ``deadline`` (the request timeout).
        """
        recovered = False
        while True:
            if self._recovering is not None:  # a recovery is replaying the handshake: wait for the new ids
                await self._recovering.wait()
            generation = self._generation
            reply = await self._post(out, version, context, deadline)
            if reply.status >= 300 or reply.status == 202:
                body = await _read_limited(reply)
                if (
                    not recovered
                    and self.recover_sessions
                    and self._session_gone(reply, body, generation)
                    and out.method not in ("initialize", "server/discover")
                ):
                    recovered = True
                    await self._recover(generation, reply.status, body, context)
                    continue
                raise self._http_failure(out, reply, body)
            return await self._deliver_answer(out, reply)

    def _timed_out(self, out: Outgoing) -> _Failure:
        assert self.timeout is not None
        return _Failure(
            REQUEST_TIMEOUT,
            f"no answer to {out.method} from {self._backend.description} within {self.timeout:g} s "
            "(AgentCoreTransport timeout=)",
            {"timeout": self.timeout},
        )

    def _headers(self, out: Outgoing, version: str | None, context: contextvars.Context) -> dict[str, str]:
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

    async def _post(
        self, out: Outgoing, version: str | None, context: contextvars.Context, deadline: float
    ) -> Reply:
        """POST once, and again (with backoff) while the failure proves a resend is safe.

        Throttled answers spend ``retry.throttle_attempts``, every other resend ``retry.attempts``.
        """
        failures = 0  # resends after failures
        throttles = 0  # resends after throttled answers
        while True:
            if self._pacer is not None:  # throttled before: wait for a send slot
                try:
                    await self._pacer.acquire(deadline)
                except PacingTimeout as exc:
                    raise _Failure(
                        AC_THROTTLED,
                        f"{exc}; {out.method} to {self._backend.description} not sent",
                        {"status": 200},
                    ) from None
            sent_at = self._pacer.now() if self._pacer is not None else 0.0
            exchange = Exchange(out.body, self._headers(out, version, context))
            reason: str
            headers: Mapping[str, str] | None = None
            status: int | None = None  # of the last answer, when there was one
            throttled = False
            try:
                reply = await self._backend.send(exchange)
            except ConnectionFailed as exc:
                if (
                    not self.retry.may_resend(out.method, ran=exc.may_have_run)
                    or failures >= self.retry.attempts
                ):
                    raise _Failure(CONNECTION_CLOSED, f"{exc} (no answer to {out.method})") from exc
                reason = str(exc)
            except TransportTimeout as exc:
                raise _Failure(REQUEST_TIMEOUT, f"{exc} (no answer to {out.method})") from exc
            except TransportError as exc:
                raise _Failure(INTERNAL_ERROR, str(exc)) from exc
            else:
                self._note_reply(reply)
                refused = _refusal(reply)
                throttled = refused is not None and _is_throttle(reply)
                self._pace(throttled, sent_at)
                ran = refused is None and reply.status in MAYBE_RAN_STATUSES
                spent, budget = (
                    (throttles, self.retry.throttle_attempts)
                    if throttled
                    else (failures, self.retry.attempts)
                )
                if (refused is None and not ran) or spent >= budget:
                    platform = _platform_error(reply) if refused is not None else None
                    if platform is not None:  # throttled or busy after every retry: the platform's error
                        raise platform
                    return reply
                if ran and not self.retry.may_resend(out.method, ran=True):
                    return reply
                reason = refused or f"HTTP {reply.status}"
                headers = reply.headers
                status = reply.status
                await reply.aclose()
            delay = self.retry.delay(throttles if throttled else failures, headers)
            if anyio.current_time() + delay >= deadline:
                raise _Failure(
                    REQUEST_TIMEOUT,
                    f"gave up on {out.method} to {self._backend.description}: {reason}; "
                    "the next retry would pass the request timeout",
                    None if status is None else {"status": status},
                )
            if throttled:
                throttles += 1
            else:
                failures += 1
            logger.info(
                "%s to %s: %s; %s %d/%d in %.2f s",
                out.method,
                self._backend.description,
                reason,
                "throttled, resend" if throttled else "retry",
                throttles if throttled else failures,
                self.retry.throttle_attempts if throttled else self.retry.attempts,
                delay,
                extra={"mcp_request_id": out.id, "throttled": throttled},
            )
            await anyio.sleep(delay)

    def _pace(self, throttled: bool, sent_at: float) -> None:
        """Feed an answer to the pacer, which the first throttled answer creates (see _pacing)."""
        if self._pacer is None:
            if not throttled:
                return
            from agentcore_mcp.client._pacing import AdaptivePacer

            self._pacer = AdaptivePacer()
        self._pacer.record(throttled=throttled, sent_at=sent_at)
        if throttled:
            logger.debug(
                "throttled by %s; pacing sends at %.2f/s", self._backend.description, self._pacer.rate
            )

    @property
    def pacer(self) -> AdaptivePacer | None:
        """The send pacer, once an answer was throttled (its ``rate`` and ``throttled`` count)."""
        return self._pacer

    def _note_reply(self, reply: Reply) -> None:
        mcp_session_id = reply.headers.get(MCP_SESSION_ID)
        if mcp_session_id and mcp_session_id != self.session.mcp_session_id:
            self.session.mcp_session_id = mcp_session_id

    async def _deliver_answer(self, out: Outgoing, reply: Reply) -> bool:
        content_type = reply.headers.get("content-type", "").lower()
        try:
            if content_type.startswith("text/event-stream"):
                return await self._deliver_stream(out, reply)
            body = await reply.aread()
        except TransportTimeout as exc:
            raise _Failure(REQUEST_TIMEOUT, f"{exc} (answering {out.method})") from exc
        except ConnectionFailed as exc:
            raise _Failure(
                CONNECTION_CLOSED,
                f"{exc}: the answer to {out.method} from {self._backend.description} broke off",
            ) from exc
        finally:
            await reply.aclose()
        if not content_type.startswith("application/json"):
            raise _Failure(
                INVALID_REQUEST,
                f"{self._backend.description} answered {out.method} with HTTP {reply.status} and content type "
                f"{content_type or 'none'!r}, not JSON or an SSE stream",
                {"status": reply.status, "body": _snippet(body)},
            )
        message = self._parse(body, out, "JSON answer")
        await self._deliver_final(out, message)
        return True

    async def _deliver_stream(self, out: Outgoing, reply: Reply) -> bool:
        decoder = SSEDecoder(self.max_event_size)
        try:
            async for chunk in reply.aiter_bytes():
                for event in decoder.feed(chunk):
                    if event.event != "message" or not event.data:
                        continue  # priming events and other event types carry no JSON-RPC message
                    message = self._parse(event.data.encode(), out, "SSE event")
                    envelope = self._envelope(message)
                    if hasattr(envelope, "method"):
                        await self._deliver(message)
                    else:
                        await self._deliver_final(out, message)
                        return True
        except SSEError as exc:
            raise _Failure(
                PARSE_ERROR,
                f"malformed SSE stream from {self._backend.description} answering {out.method}: {exc}",
            ) from exc
        except TransportTimeout as exc:
            raise _Failure(REQUEST_TIMEOUT, f"{exc} (streaming the answer to {out.method})") from exc
        except ConnectionFailed as exc:
            raise _Failure(
                CONNECTION_CLOSED,
                f"the SSE stream from {self._backend.description} broke off before the response to "
                f"{out.method}: {exc}",
            ) from exc
        partial = " (it stopped mid-event)" if decoder.has_partial_event else ""
        raise _Failure(
            CONNECTION_CLOSED,
            f"the SSE stream from {self._backend.description} ended before the response to {out.method}"
            f"{partial}: the server closed the connection",
        )

    def _envelope(self, message: Any) -> Any:
        assert self._sdk is not None
        return self._sdk.envelope(message)

    def _parse(self, data: bytes, out: Outgoing, what: str) -> Any:
        assert self._sdk is not None
        try:
            return self._sdk.parse(data)
        except ValueError as exc:
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise _Failure(
                PARSE_ERROR,
                f"malformed {what} from {self._backend.description} answering {out.method}: "
                f"not a JSON-RPC message ({first})",
                {"body": _snippet(data)},
            ) from exc

    async def _deliver_final(self, out: Outgoing, message: Any) -> None:
        envelope = self._envelope(message)
        if getattr(envelope, "id", None) != out.id:
            if getattr(envelope, "id", None) is not None:
                logger.warning(
                    "%s answered request %r with id %r", self._backend.description, out.id, envelope.id
                )
            envelope.id = out.id
        if out.method == "initialize":
            result = getattr(envelope, "result", None)
            if isinstance(result, dict) and isinstance(result.get("protocolVersion"), str):
                self._protocol_version = result["protocolVersion"]
        await self._deliver(message)

    async def _deliver(self, message: Any) -> None:
        assert self._read_send is not None
        await self._read_send.send(message)

    async def _deliver_error(self, request_id: Any, failure: _Failure) -> None:
        """Answer ``request_id`` with ``failure``; its message ends ``[HTTP status, JSON-RPC code]``.

        The SDK raises the message alone (``str(MCPError)``), so what a caller prints says which answer
        the request got, not only why.
        """
        assert self._sdk is not None
        data = {"transport": "agentcore-mcp", "target": self._backend.description, **(failure.data or {})}
        status = data.get("status")
        tag = f"JSON-RPC {failure.code}" if status is None else f"HTTP {status}, JSON-RPC {failure.code}"
        message = self._sdk.error(request_id, failure.code, f"{failure.message} [{tag}]", data)
        try:
            if self._read_send is not None:
                await self._read_send.send(message)
        except (anyio.BrokenResourceError, anyio.ClosedResourceError):
            logger.debug("client gone before request %r could be answered: %s", request_id, failure.message)

    def _http_failure(self, out: Outgoing, reply: Reply, body: bytes) -> _Failure:
        """The error for an HTTP error answer: the server's own JSON-RPC error if it sent one."""
        status = reply.status
        if status == 202:
            return _Failure(
                INVALID_REQUEST, f"{self._backend.description} answered the request {out.method} with 202"
            )
        if status < 400:
            location = reply.headers.get("location", "")
            return _Failure(
                INVALID_REQUEST,
                f"{self._backend.description} redirected {out.method} (HTTP {status}) to {location or 'nowhere'}; "
                "redirects are not followed: use that URL as the target if it is the intended server",
                {"status": status, "location": location},
            )
        error_type = reply.headers.get("x-amzn-errortype", "").split(":", 1)[0]
        detail = ""
        try:
            parsed = from_json(body) if body else None
        except ValueError:
            parsed = None
        if isinstance(parsed, dict):
            error = parsed.get("error")
            if isinstance(error, dict) and isinstance(error.get("code"), int) and not error_type:
                # The server's own error data stays the error's data (clients act on it, e.g. the
                # ``supported`` versions of an unsupported-version error); ours only fills the gaps.
                server_data = error.get("data")
                extra: dict[str, Any] = dict(server_data) if isinstance(server_data, dict) else {}
                if server_data is not None and not isinstance(server_data, dict):
                    extra["data"] = server_data
                extra.setdefault("status", status)
                return _Failure(error["code"], str(error.get("message", "")), extra)
            detail = str(parsed.get("message") or parsed.get("Message") or "")
        if not detail and body:
            detail = _snippet(body)
        code = AC_STATUS_CODES.get(status, INTERNAL_ERROR if status >= 500 else INVALID_REQUEST)
        if error_type == "ValidationException":
            code = AC_VALIDATION
        label = error_type or f"HTTP {status}"  # the status itself ends every message: see _deliver_error
        message = f"{self._backend.description} refused {out.method}: {label}" + (
            f": {detail}" if detail else ""
        )
        data: dict[str, Any] = {"status": status}
        if error_type:
            data["errorType"] = error_type
        challenge = reply.headers.get("www-authenticate")
        if challenge:
            data["wwwAuthenticate"] = challenge
            message += f" (WWW-Authenticate: {challenge})"
        return _Failure(code, message, data)

    # -- session recovery --------------------------------------------------------------------------------

    def _session_gone(self, reply: Reply, body: bytes, generation: int) -> bool:
        """True when an error answer says the server no longer knows the session this request named."""
        if reply.status not in (400, 404):
            return False
        if generation != self._generation:
            return True  # another request already recovered; resend in the new session
        if self.session.mcp_session_id is None:
            return False
        if reply.status == 404 and not reply.headers.get("x-amzn-errortype"):
            # a 2026-07-28 server answers an unknown method with 404 and -32601: not a lost session
            return b"-32601" not in body[:4096]
        return _SESSION_GONE.search(body[:2048]) is not None

    async def _recover(self, generation: int, status: int, body: bytes, context: contextvars.Context) -> None:
        """Start a new session (new ids) and replay the legacy handshake, once for all waiting requests."""
        async with self._recovery_lock:
            if generation != self._generation:
                return
            self._recovering = anyio.Event()
            try:
                await self._renew_session(status, body, context)
            finally:
                self._recovering.set()
                self._recovering = None

    async def _renew_session(self, status: int, body: bytes, context: contextvars.Context) -> None:
        """Replace both ids and replay the handshake (the caller holds the recovery lock)."""
        old = self.session.runtime_session_id
        old_mcp = self.session.mcp_session_id
        self.session.renew()
        self._generation += 1
        handshake = self._initialize is not None
        logger.warning(
            "%s dropped session %s (Mcp-Session-Id %s): HTTP %d %s; continuing in new session %s%s",
            self._backend.description,
            old,
            old_mcp,
            status,
            _snippet(body, 200),
            self.session.runtime_session_id,
            ", replaying the initialize handshake" if handshake else "",
        )
        if self._initialize is not None:
            init = self._initialize
            reply = await self._post(init, None, context, math.inf)
            try:
                body = await _read_limited(reply)
            finally:
                await reply.aclose()
            if reply.status >= 300:
                refused = self._http_failure(init, reply, body)
                raise _Failure(
                    refused.code,
                    f"{self._backend.description} dropped the session, and starting a new one failed: "
                    f"{refused.message}",
                    refused.data,
                )
            if self._initialized is not None:
                note = await self._post(self._initialized, self._protocol_version, context, math.inf)
                await note.aclose()

    # -- notifications and responses to server requests --------------------------------------------------

    async def _run_notification(
        self, out: Outgoing, version: str | None, context: contextvars.Context
    ) -> None:
        try:
            with anyio.fail_after(math.inf if self.timeout is None else self.timeout) as scope:
                reply = await self._post(out, version, context, scope.deadline)
                try:
                    if reply.status >= 300:
                        body = await _read_limited(reply)
                        logger.warning(
                            "%s refused %s: HTTP %d %s",
                            self._backend.description,
                            out.method or "a response",
                            reply.status,
                            _snippet(body, 300),
                        )
                finally:
                    await reply.aclose()
        except (_Failure, TimeoutError) as exc:
            logger.warning(
                "could not send %s to %s: %s", out.method or "a response", self._backend.description, exc
            )


def _retry_policy(retries: RetryPolicy | int) -> RetryPolicy:
    """``retries=`` as a policy: an int sets ``attempts``; 0 turns every resend off, throttled ones too."""
    if isinstance(retries, RetryPolicy):
        return retries
    return RetryPolicy(attempts=retries) if retries else RetryPolicy(attempts=0, throttle_attempts=0)


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
    failure = _platform_error(reply)
    return failure is not None and failure.code in THROTTLED_CODES


def _platform_error(reply: Reply) -> _Failure | None:
    """The JSON-RPC error AgentCore answered with HTTP 200 (throttled, session busy), as a failure."""
    if not isinstance(reply, BufferedReply):
        return None
    try:
        parsed = from_json(reply.body)
    except ValueError:
        return None
    error = parsed.get("error") if isinstance(parsed, dict) else None
    if not isinstance(error, dict) or error.get("code") not in REFUSED_CODES:
        return None
    data: dict[str, Any] = {"status": reply.status}
    if "data" in error:
        data["data"] = error["data"]
    return _Failure(error["code"], str(error.get("message", "")), data)


async def _read_limited(reply: Reply, limit: int = 1 << 20) -> bytes:
    """Up to ``limit`` bytes of an error answer's body (best effort: a broken body reads as what arrived)."""
    chunks: list[bytes] = []
    size = 0
    try:
        async for chunk in reply.aiter_bytes():
            chunks.append(chunk)
            size += len(chunk)
            if size >= limit:
                break
    except TransportError:
        pass
    return b"".join(chunks)[:limit]


def _check_headers(headers: Mapping[str, Any]) -> None:
    """Refuse, naming it, a header that cannot go out on every request: not a string, CR/LF/NUL (it would
    split the request), a colon in the name, or a character outside ASCII (HTTP clients encode headers as
    ASCII; such a header would fail every request rather than this call)."""
    for name, value in headers.items():
        if not isinstance(value, str) or any(c in f"{name}{value}" for c in "\r\n\0") or ":" in name:
            raise ValueError(f"the header {name!r}: {value!r} cannot be sent over HTTP")
        if not name.isascii() or not value.isascii():
            raise ValueError(
                f"the header {name!r}: {value!r} has characters outside ASCII, which HTTP headers cannot "
                "carry; percent-encode or base64-encode the value"
            )


def _snippet(body: bytes, limit: int = 500) -> str:
    text = body[:limit].decode(errors="replace").strip()
    return text + ("…" if len(body) > limit else "")


def _make_backend(
    target: str,
    *,
    qualifier: str | None,
    client: Any,
    endpoint_url: str | None,
    region: str | None,
    bearer_token: TokenProvider | None,
    allow_insecure_http: bool | None,
    auth: Any,
    http_client: Any,
    boto3_session: Any,
    backend: Any,
    headers: Mapping[str, str] | None,
    read_timeout: float,
    connect_timeout: float,
    max_connections: int,
) -> tuple[Backend, bool]:
    """Choose and build the backend for ``target``; also whether the target is an AgentCore runtime."""
    if not isinstance(target, str) or not target.strip():
        raise ValueError(f"target must be a runtime ARN or an MCP URL, got {target!r}")
    if not isinstance(backend, str):
        return backend, is_runtime_arn(target) or _INVOCATIONS_PATH.search(urlsplit(target).path) is not None
    _check_choice(backend, bearer_token=bearer_token, client=client, auth=auth)
    if is_gateway_arn(target) or gateway_region(target) is not None:
        # A gateway is an MCP URL; an IAM gateway takes SigV4 (the default), a JWT one a bearer token.
        if is_gateway_arn(target):
            region = region or GatewayArn.parse(target).region
            target, endpoint_url = gateway_url(target, endpoint_url=endpoint_url), None
        if auth is None and bearer_token is None:
            auth = "sigv4"
    if is_runtime_arn(target):
        arn = RuntimeArn.parse(target)
        # The default for an ARN is HTTPS signed with botocore's SigV4 signer: the same InvokeAgentRuntime
        # call boto3 makes, without botocore's per-call pipeline and a worker thread per call (see
        # docs/performance.md, client section). A boto3 client passed as client= selects boto3.
        if backend == "boto3" or (backend == "auto" and client is not None):
            if bearer_token is not None or http_client is not None or auth is not None:
                raise ValueError("bearer_token=, auth= and http_client= need backend='http', not 'boto3'")
            from agentcore_mcp.client._boto3 import Boto3Backend

            boto3_backend = Boto3Backend(
                arn,
                qualifier=qualifier,
                client=client,
                session=boto3_session,
                region=region,
                endpoint_url=endpoint_url,
                connect_timeout=connect_timeout,
                read_timeout=read_timeout,
                max_pool_connections=max_connections,
                headers=headers,
            )
            return boto3_backend, True
        if client is not None:
            raise ValueError("client= is a boto3 client; it needs backend='boto3'")
        route = _arn_route(
            arn, qualifier=qualifier, endpoint_url=endpoint_url, region=region, boto3_session=boto3_session
        )
    else:
        if client is not None or backend == "boto3":
            raise ValueError("the boto3 backend needs a runtime ARN as the target, not a URL")
        route = _url_route(target, endpoint_url=endpoint_url, region=region)

    import httpx

    from agentcore_mcp.client._httpx import HttpxBackend

    resolved = _resolve_auth(
        target,
        route,
        bearer_token=bearer_token,
        auth=auth,
        boto3_session=boto3_session,
        allow_insecure_http=allow_insecure_http,
    )
    from agentcore_mcp.client._auth import BearerAuth

    if isinstance(resolved, BearerAuth):
        resolved.check_url(route.url)  # a usage error now, not a refusal on the first request
    http_backend = HttpxBackend(
        route.url,
        auth=resolved,
        http_client=http_client,
        headers=headers,
        timeout=httpx.Timeout(read_timeout, connect=connect_timeout),
        stop_url=route.stop_url,
        max_connections=max_connections,
    )
    return http_backend, route.agentcore


def _check_choice(backend: str, *, bearer_token: TokenProvider | None, client: Any, auth: Any) -> None:
    """Refuse a ``backend=`` name not listed, and options that exclude each other whatever the target."""
    if backend not in ("auto", "boto3", "http", "httpx"):
        raise ValueError(
            f"backend must be 'auto', 'boto3', 'http', 'httpx' or a Backend object, got {backend!r}"
        )
    if bearer_token is not None and client is not None:
        raise ValueError(
            "bearer_token= and client= exclude each other: OAuth runtimes cannot be called via boto3"
        )
    if bearer_token is not None and auth is not None:
        raise ValueError("pass either bearer_token= or auth=, not both")


@dataclass(frozen=True)
class _Route:
    """Where the HTTPS backend sends: the MCP URL, the StopRuntimeSession URL (None: not a runtime),
    the region SigV4 would sign for (None: unknown), and whether the target is an AgentCore runtime."""

    url: str
    stop_url: str | None
    signing_region: str | None
    agentcore: bool


def _arn_route(
    arn: RuntimeArn,
    *,
    qualifier: str | None,
    endpoint_url: str | None,
    region: str | None,
    boto3_session: Any,
) -> _Route:
    """The invocations URL of ``arn``, at ``endpoint_url`` or wherever boto3 would send it."""
    if endpoint_url is None:  # where boto3 would send it (AWS_ENDPOINT_URL_BEDROCK_AGENTCORE, config file)
        endpoint_url = configured_endpoint(region or arn.region, boto3_session)
    return _Route(
        url=invocations_url(arn, qualifier=qualifier, endpoint_url=endpoint_url),
        stop_url=stop_session_url(arn, qualifier=qualifier, endpoint_url=endpoint_url),
        signing_region=region or arn.region,
        agentcore=True,
    )


def _url_route(target: str, *, endpoint_url: str | None, region: str | None) -> _Route:
    """``target`` itself; for an invocations URL, also its StopRuntimeSession URL and the ARN's region."""
    if endpoint_url is not None:
        raise ValueError("endpoint_url= applies to an ARN target; for a URL target, put the host in the URL")
    parts = urlsplit(target)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"not a runtime ARN or an http(s) URL: {target!r}")
    match = _INVOCATIONS_PATH.search(parts.path)
    if match is None:
        return _Route(
            url=target, stop_url=None, signing_region=region or gateway_region(target), agentcore=False
        )
    stop_url = target[: target.index(match.group(0))] + f"/runtimes/{match.group(1)}/stopruntimesession"
    if parts.query:
        stop_url += f"?{parts.query}"
    signing_region = region
    if signing_region is None:
        try:
            signing_region = RuntimeArn.parse(unquote(match.group(1))).region
        except ValueError:
            signing_region = None
    return _Route(url=target, stop_url=stop_url, signing_region=signing_region, agentcore=True)


def _resolve_auth(
    target: str,
    route: _Route,
    *,
    bearer_token: TokenProvider | None,
    auth: Any,
    boto3_session: Any,
    allow_insecure_http: bool | None = None,
) -> httpx.Auth | None:
    """The ``httpx.Auth`` the HTTPS backend runs: bearer, yours, SigV4 (the default for an ARN) or none."""
    import httpx

    from agentcore_mcp.client._auth import BearerAuth, SigV4Auth

    if bearer_token is not None:
        return BearerAuth(bearer_token, allow_insecure_http=allow_insecure_http)
    if isinstance(auth, httpx.Auth):
        return auth
    if auth == "none":
        return None
    if auth == "sigv4" or (auth is None and is_runtime_arn(target)):
        if route.signing_region is None:
            raise ValueError("SigV4 signing needs a region: pass region=")
        return SigV4Auth(route.signing_region, session=boto3_session)
    if auth is None:
        return None
    raise ValueError(f"auth must be an httpx.Auth, 'sigv4' or 'none', got {auth!r}")


def _on_asyncio() -> bool:
    """True when the running event loop is asyncio's (False under trio, where the anyio paths are taken).

    Asked of asyncio itself rather than sniffio, which only the ``[client]`` extra installs: a user who has
    mcp, httpx and boto3 from elsewhere (``pip install agentcore-mcp strands-agents``) must not need it.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True
