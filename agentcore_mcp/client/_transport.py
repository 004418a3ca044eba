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
from collections.abc import Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any, Literal

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream
from pydantic_core import to_json

from agentcore_mcp._session import RuntimeSession
from agentcore_mcp._wire import (
    INTERNAL_ERROR,
    INVALID_PARAMS,
    LEGACY_VERSIONS,
    MCP_PROTOCOL_VERSION,
    REQUEST_TIMEOUT,
    RUNTIME_USER_ID,
)
from agentcore_mcp.client._backend import Backend
from agentcore_mcp.client._failure import Failure, http_failure, read_limited, snippet
from agentcore_mcp.client._handshake import Handshake
from agentcore_mcp.client._messages import Outgoing, Unencodable
from agentcore_mcp.client._recovery import SessionRecovery
from agentcore_mcp.client._retry import RetryPolicy
from agentcore_mcp.client._routing import BackendOptions, make_backend
from agentcore_mcp.client._sender import Sender
from agentcore_mcp.client._sse import DEFAULT_MAX_EVENT_SIZE

if TYPE_CHECKING:
    import httpx
    import httpx2

    from agentcore_mcp.client._auth import TokenProvider
    from agentcore_mcp.client._delivery import Delivery
    from agentcore_mcp.client._messages import Sdk
    from agentcore_mcp.client._pacing import AdaptivePacer

__all__ = ["AgentCoreTransport"]

logger = logging.getLogger("agentcore_mcp.client")

DEFAULT_RETRY = RetryPolicy()


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
        auth: for the HTTPS backend: an ``httpx.Auth``, the mcp 2.x SDK's ``OAuthClientProvider`` (any
            ``httpx2.Auth``: it drives discovery, registration, PKCE, step-up over this transport's
            httpx), ``"sigv4"`` or ``"none"``; default: SigV4 for an ARN, none for a URL (unless
            ``bearer_token``).
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

    # The state of an open transport: set by __aenter__; these defaults until it is first opened.
    _sdk: Sdk | None = None
    _delivery: Delivery | None = None
    _task_group: anyio.abc.TaskGroup | None = None
    _requests: set[asyncio.Task[None]] | None = None  # request tasks, when run as asyncio tasks
    _streams: tuple[Any, ...] = ()

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
        auth: httpx.Auth | httpx2.Auth | Literal["sigv4", "none"] | None = None,
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
        self.session = _session_of(session, runtime_session_id, user_id)
        self.target = target
        self.timeout = timeout
        retry = _retry_policy(retries)  # before the backend is built: a bad policy is the error reported
        self.recover_sessions = recover_sessions
        self.max_event_size = max_event_size
        self._backend, self.agentcore = make_backend(
            target,
            BackendOptions(
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
            ),
        )
        self.session.bind_stopper(self._stop_session)
        self._sender = Sender(
            self._backend, self.session, agentcore=self.agentcore, retry=retry, trace=trace_context
        )
        self._handshake = Handshake()
        self._recovery = SessionRecovery(self._sender, self.session, self._handshake)
        self._in_flight: dict[Any, _InFlight] = {}

    def __repr__(self) -> str:
        return f"AgentCoreTransport({self._backend.description!r}, session={self.session!r})"

    @property
    def backend(self) -> Backend:
        """The backend that carries this transport's POSTs."""
        return self._backend

    @property
    def protocol_version(self) -> str | None:
        """The protocol version in use, once the client has negotiated or pinned one."""
        return self._handshake.version

    @property
    def retry(self) -> RetryPolicy:
        """When and how often a failed POST is sent again (``retries=``); assign a policy to change it."""
        return self._sender.retry

    @retry.setter
    def retry(self, policy: RetryPolicy) -> None:
        self._sender.retry = policy

    @property
    def pacer(self) -> AdaptivePacer | None:
        """The send pacer, once an answer was throttled (its ``rate`` and ``throttled`` count)."""
        return self._sender.pacer

    # -- lifecycle ---------------------------------------------------------------------------------------

    async def __aenter__(self) -> tuple[MemoryObjectReceiveStream[Any], _ContextSendStream]:
        if self._task_group is not None:
            raise RuntimeError("this transport is already open; open it again only after it has closed")
        from agentcore_mcp.client._delivery import Delivery
        from agentcore_mcp.client._messages import sdk

        self._sdk = sdk()
        read_send, read_receive = anyio.create_memory_object_stream[Any](0)
        write_send, write_receive = anyio.create_memory_object_stream[tuple[contextvars.Context, Any]](0)
        self._delivery = Delivery(
            self._sdk,
            read_send,
            target=self._backend.description,
            max_event_size=self.max_event_size,
            handshake=self._handshake,
        )
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
                    self._handshake.initialized = out
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
            failure = Failure(INVALID_PARAMS, f"{exc.method} was not sent to {target}: {exc.reason}")
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

    async def _deliver_error_safely(self, request_id: Any, failure: Failure) -> None:
        try:
            await self._deliver_error(request_id, failure)
        except Exception:  # e.g. an id that itself has no JSON form: nothing can carry the error
            logger.exception("could not answer request %r: %s", request_id, failure.message)

    async def _deliver_error(self, request_id: Any, failure: Failure) -> None:
        assert self._delivery is not None
        await self._delivery.error(request_id, failure)

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
        return self._handshake.version

    def _note_outgoing(self, out: Outgoing) -> str | None:
        """Track the negotiated version in wire order; the version header this request goes out with."""
        if out.method == "initialize":
            self._handshake.initialize = out
            self._handshake.version = None
            return None
        version = self._version_for(out)
        if version is not None:
            self._handshake.version = version
        return version

    def _cancel(self, out: Outgoing) -> bool:
        """A ``notifications/cancelled`` for a modern request aborts its POST; True: do not send it."""
        request_id = (out.params or {}).get("requestId")
        flight = self._in_flight.get(request_id)
        if flight is not None and flight.modern:
            flight.cancel()
            return True
        version = self._handshake.version
        return flight is None and version is not None and version not in LEGACY_VERSIONS

    # -- requests ---------------------------------------------------------------------------------------

    async def _run_request(
        self, out: Outgoing, version: str | None, context: contextvars.Context, flight: _InFlight
    ) -> None:
        failure: Failure | None = None
        answered = False
        # One cancel scope per request: the client's cancellation, and the request timeout as its deadline.
        scope = flight.scope
        if self.timeout is not None:
            scope.deadline = anyio.current_time() + self.timeout
        try:
            with scope:
                try:
                    answered = await self._request(out, version, context, scope.deadline)
                except Failure as exc:
                    failure = exc
                except (anyio.BrokenResourceError, anyio.ClosedResourceError):
                    logger.debug("the client went away before the answer to request %r arrived", out.id)
                    return
                except Exception as exc:  # a bug or an unexpected library error: still answer the id
                    logger.exception("request %r (%s) failed", out.id, out.method)
                    failure = Failure(INTERNAL_ERROR, f"the transport failed: {type(exc).__name__}: {exc}")
        finally:
            if self._in_flight.get(out.id) is flight:
                del self._in_flight[out.id]
        if answered or flight.cancelled:
            return
        if failure is None and scope.cancelled_caught:
            failure = self._timed_out(out)
        if failure is None:
            failure = Failure(INTERNAL_ERROR, "the transport ended the request without an answer")
        await self._deliver_error(out.id, failure)

    async def _request(
        self, out: Outgoing, version: str | None, context: contextvars.Context, deadline: float
    ) -> bool:
        """Send ``out`` (retrying, recovering the session) and deliver its answer; True once delivered.

        The caller's cancel scope ends it at ``deadline`` (the request timeout).
        """
        assert self._delivery is not None
        recovered = False
        while True:
            if (
                self._recovery.recovering is not None
            ):  # a recovery is replaying the handshake: wait for the new ids
                await self._recovery.recovering.wait()
            generation = self._recovery.generation
            reply = await self._sender.post(out, version, context, deadline)
            if reply.status >= 300 or reply.status == 202:
                body = await read_limited(reply)
                if (
                    not recovered
                    and self.recover_sessions
                    and self._recovery.session_gone(reply, body, generation)
                    and out.method not in ("initialize", "server/discover")
                ):
                    recovered = True
                    await self._recovery.recover(generation, reply.status, body, context)
                    continue
                raise http_failure(self._backend.description, out, reply, body)
            return await self._delivery.answer(out, reply)

    def _timed_out(self, out: Outgoing) -> Failure:
        assert self.timeout is not None
        return Failure(
            REQUEST_TIMEOUT,
            f"no answer to {out.method} from {self._backend.description} within {self.timeout:g} s "
            "(AgentCoreTransport timeout=)",
            {"timeout": self.timeout},
        )

    # -- notifications and responses to server requests --------------------------------------------------

    async def _run_notification(
        self, out: Outgoing, version: str | None, context: contextvars.Context
    ) -> None:
        try:
            with anyio.fail_after(math.inf if self.timeout is None else self.timeout) as scope:
                reply = await self._sender.post(out, version, context, scope.deadline)
                try:
                    if reply.status >= 300:
                        body = await read_limited(reply)
                        logger.warning(
                            "%s refused %s: HTTP %d %s",
                            self._backend.description,
                            out.method or "a response",
                            reply.status,
                            snippet(body, 300),
                        )
                finally:
                    await reply.aclose()
        except (Failure, TimeoutError) as exc:
            logger.warning(
                "could not send %s to %s: %s", out.method or "a response", self._backend.description, exc
            )


def _retry_policy(retries: RetryPolicy | int) -> RetryPolicy:
    """``retries=`` as a policy: an int sets ``attempts``; 0 turns every resend off, throttled ones too."""
    if isinstance(retries, RetryPolicy):
        return retries
    return RetryPolicy(attempts=retries) if retries else RetryPolicy(attempts=0, throttle_attempts=0)


def _session_of(
    session: RuntimeSession | None, runtime_session_id: str | None, user_id: str | None
) -> RuntimeSession:
    """The transport's runtime session: ``session`` (given ``user_id``, if one is passed) or a new one."""
    if session is not None and runtime_session_id is not None:
        raise ValueError("pass either session= or runtime_session_id=, not both")
    if session is None:
        return RuntimeSession(runtime_session_id, user_id=user_id)
    if user_id is not None:
        session.user_id = user_id
    return session


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
