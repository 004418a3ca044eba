"""``Emulator``: the InvokeAgentRuntime data plane (and StopRuntimeSession) as a plain ASGI app.

One request, one way through: route (data plane, local issuer, or moto's control plane) → body read with
the 100 MB cap → runtime lookup (404) → caller authentication as the runtime is configured (403/401) →
request validation (400, 406) → injected faults and the rate limit (HTTP 200, JSON-RPC -32003) → the
session's microVM, started when needed (424 when it does not start) → headers rewritten per the platform's
rules → the MCP server's answer streamed back with the session ids → one log line.
"""

from __future__ import annotations

import base64
import logging
import re
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from typing import Any
from urllib.parse import parse_qs, quote, unquote

import anyio
from pydantic_core import from_json, to_json

from agentcore_mcp import _wire as wire
from agentcore_mcp.emulator._consent import LocalProviders
from agentcore_mcp.emulator._control_plane import ControlPlane
from agentcore_mcp.emulator._faults import Faults
from agentcore_mcp.emulator._forward import AsgiUpstream, Forwarded, HttpUpstream, Upstream, UpstreamFailed
from agentcore_mcp.emulator._gateway import GatewayPlane
from agentcore_mcp.emulator._headers import TRACE_ECHO, custom_header_too_long, upstream_headers
from agentcore_mcp.emulator._identity import IdentityPlane
from agentcore_mcp.emulator._issuer import JWTVerifier, LocalIssuer, TokenRejected
from agentcore_mcp.emulator._limits import RequestLimits
from agentcore_mcp.emulator._microvms import Session, SessionManager, StartFailed
from agentcore_mcp.emulator._platform_errors import Refusal, api_error, jsonrpc_error, validation_error
from agentcore_mcp.emulator._probes import HEALTH_CHECK_FAILED, HealthProbe, Prober
from agentcore_mcp.emulator._ratelimit import TokenBucket
from agentcore_mcp.emulator._runtimes import (
    DEFAULT_ACCOUNT_ID,
    DEFAULT_IDLE_TIMEOUT,
    DEFAULT_MAX_LIFETIME,
    DEFAULT_REGION,
    DEFAULT_START_TIMEOUT,
    AuthScheme,
    Isolation,
    JWTAuthorizer,
    Runtime,
    RuntimeRegistry,
    invocations_path,
    runtime_arn,
)
from agentcore_mcp.emulator._sigv4 import (
    Credentials,
    SignatureRejected,
    SigV4Verifier,
    signed_header_names,
    signing_scope,
)
from agentcore_mcp.emulator._wrong_path import for_moto, wrong_path
from agentcore_mcp.server import BodyTooLarge, accepts_both, read_body

__all__ = ["Emulator"]

logger = logging.getLogger("agentcore_mcp.emulator")

MAX_PAYLOAD = 100_000_000  # InvokeAgentRuntime's payload cap
_OPERATION = re.compile(
    r"/runtimes/(?P<id>.+)/(?P<op>invocations|stopruntimesession)(?P<prm>/\.well-known/oauth-protected-resource)?/?"
)
_JSON = [(b"content-type", b"application/json")]
_MISMATCH = (
    "Authorization method mismatch. The agent is configured for a different authorization method than "
    "what was used in your request."
)
_VISIBLE_ASCII = re.compile(r"[\x21-\x7e]+")
_THROTTLED = "Rate exceeded. Please retry later."
_CONFLICT = "Session operation in progress, please retry"
_RUNTIME_SESSION = wire.RUNTIME_SESSION_ID.encode()
_MCP_SESSION = wire.MCP_SESSION_ID.encode()
_PROTOCOL_VERSION = wire.MCP_PROTOCOL_VERSION.encode()
_USER_ID = wire.RUNTIME_USER_ID.encode()
_FOR_USER = "bedrock-agentcore:InvokeAgentRuntimeForUser"
# The local credentials accepted besides the ones found in the environment (moto's convention).
LOCAL_CREDENTIALS = Credentials("testing", "testing")

Scope = Mapping[str, Any]
Receive = Callable[[], Any]
Send = Callable[[dict[str, Any]], Any]


def _default_credentials() -> dict[str, Credentials]:
    found = {LOCAL_CREDENTIALS.access_key: LOCAL_CREDENTIALS}
    try:
        import importlib

        botocore_session: Any = importlib.import_module("botocore.session")
        creds = botocore_session.get_session().get_credentials()
    except Exception:  # a broken AWS config must not stop a local emulator
        creds = None
    if creds is not None:
        frozen = creds.get_frozen_credentials()
        found[frozen.access_key] = Credentials(frozen.access_key, frozen.secret_key, frozen.token)
    return found


def _header(raw: Iterable[tuple[bytes, bytes]], name: bytes) -> str | None:
    for key, value in raw:
        if key == name:
            return value.decode("latin-1")
    return None


def _basic_client_id(raw: Iterable[tuple[bytes, bytes]]) -> str | None:
    """The client id of an HTTP Basic ``Authorization`` header (RFC 6749 §2.3.1), or None."""
    basic = _header(raw, b"authorization") or ""
    if not basic.lower().startswith("basic "):
        return None
    try:
        return base64.b64decode(basic[6:]).decode().split(":", 1)[0] or None
    except ValueError:
        return None


def _jsonrpc_id(body: bytes) -> Any:
    try:
        message = from_json(body)
    except ValueError:
        return None
    return message.get("id") if isinstance(message, dict) else None


def _describe_call(raw: list[tuple[bytes, bytes]], body: bytes) -> str:
    method, name = _header(raw, wire.MCP_METHOD.encode()), _header(raw, wire.MCP_NAME.encode())
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


async def _end_body(send: Send) -> None:
    with suppress(OSError):
        await send({"type": "http.response.body", "body": b""})


def _isolation_for(target: Any, isolation: Isolation | None, is_url: bool) -> Isolation:
    """``isolation``, or the default for ``target`` (process for app specs, shared otherwise)."""
    if isolation is None:
        return "process" if isinstance(target, str) and not is_url else "shared"
    if isolation in ("process", "snapshot") and is_url:
        raise ValueError(
            f"{isolation} isolation starts an app spec per session; a URL target is always shared"
        )
    return isolation


def _validate(raw: list[tuple[bytes, bytes]], runtime: Runtime, body: bytes) -> tuple[str | None, str | None]:
    """The request's session ids, once its members and headers pass the model's constraints (400, 406)."""
    rsid = _header(raw, _RUNTIME_SESSION)
    if rsid is not None and not 33 <= len(rsid) <= 256:
        bound = "greater than or equal to 33" if len(rsid) < 33 else "less than or equal to 256"
        raise validation_error("runtimeSessionId", f"Member must have length {bound}")
    mcp_id = _header(raw, _MCP_SESSION) or None
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
            _jsonrpc_id(body),
            wire.AC_NOT_ACCEPTABLE,
            "Not Acceptable: Client must accept both application/json and text/event-stream",
            status=406,
        )
    return rsid, mcp_id


class Emulator:
    """A local AgentCore Runtime: InvokeAgentRuntime and StopRuntimeSession for MCP runtimes, as ASGI.

    Real boto3 (``endpoint_url=`` the emulator's URL) and plain HTTPS MCP clients (a bearer token, the
    invocations URL) talk to it as they would to AgentCore. See :mod:`agentcore_mcp.emulator` for a tour.

    Args:
        region: the region of runtimes added with :meth:`add_runtime` (SigV4 scopes must match it).
        account_id: the account of those runtimes.
        credentials: access key id -> secret key (or :class:`Credentials`) accepted for SigV4. Default:
            the credentials botocore finds in the environment, plus ``testing``/``testing``.
        control_plane: serve moto's ``bedrock-agentcore-control`` (and any other moto service) on the same
            URL; runtimes created there are invocable.
        workload_token: inject a workload access token header for servers that use AgentCore Identity.
        clock: monotonic seconds for idle timeouts, lifetimes and rate limits (tests pass a fake clock).
        reap_interval: seconds between sweeps that stop timed-out sessions' processes.
        max_body_size: the payload cap (AgentCore: 100,000,000 bytes).
        health_probe: how each session's server is probed (:class:`HealthProbe`); a session that fails
            it answers callers -32010 until it ends. None: no probes.
        limits: the synchronous-request and streaming limits (:class:`RequestLimits`; AgentCore: 15 and
            60 minutes).
        invoke_for_user: every accepted access key holds ``bedrock-agentcore:InvokeAgentRuntimeForUser``
            (one key alone: ``Credentials(..., invoke_for_user=True)``). Only such callers of a SigV4
            runtime may name a user in ``X-Amzn-Bedrock-AgentCore-Runtime-User-Id``, and only in a signed
            header; otherwise 403 AccessDeniedException. A JWT runtime's user is always the verified
            token's ``sub``.
        oauth2_providers: names of the OAuth2 credential providers AgentCore Identity's data plane knows
            (``emulator.identity``: GetWorkloadAccessToken*, GetResourceOauth2Token, whose
            ``USER_FEDERATION`` consent page approves on visit; moto has no credential providers).
    """

    def __init__(
        self,
        *,
        region: str = DEFAULT_REGION,
        account_id: str = DEFAULT_ACCOUNT_ID,
        credentials: Mapping[str, str | Credentials] | None = None,
        control_plane: bool = True,
        workload_token: bool = True,
        clock: Callable[[], float] = time.monotonic,
        reap_interval: float = 5.0,
        max_body_size: int = MAX_PAYLOAD,
        health_probe: HealthProbe | None = HealthProbe(),  # noqa: B008 (frozen, shared safely)
        limits: RequestLimits = RequestLimits(),  # noqa: B008 (frozen, shared safely)
        invoke_for_user: bool = False,
        oauth2_providers: Iterable[str] = (),
    ) -> None:
        self.region = region
        self.account_id = account_id
        if credentials is None:
            creds = _default_credentials()
        else:
            creds = {
                key: value if isinstance(value, Credentials) else Credentials(key, value)
                for key, value in credentials.items()
            }
        self.sigv4 = SigV4Verifier(creds)
        self.issuer = LocalIssuer()
        self.jwt = JWTVerifier(self.issuer)
        self.registry = RuntimeRegistry()
        self.sessions = SessionManager(clock)
        self.faults = Faults()
        self.control: ControlPlane | None = ControlPlane() if control_plane else None
        if self.control is not None:
            self.registry.fallback = self.control.resolve
        self.gateways = GatewayPlane(self) if self.control is not None else None
        self.workload_token = workload_token
        self.clock = clock
        self.reap_interval = reap_interval
        self.max_body_size = max_body_size
        self.health_probe = health_probe
        self.limits = limits
        self.invoke_for_user = invoke_for_user
        self.identity = IdentityPlane(
            self.issuer,
            LocalProviders(self.issuer.mint, oauth2_providers),
            region=region,
            base_url=lambda: self.base_url,
            read_body=self._read_body,
            check_signature=self._check_signature,
        )
        self._prober: Any = None
        self.base_url: str | None = None
        self._shared: dict[str, Upstream] = {}
        self._buckets: dict[str, TokenBucket] = {}
        self._client: Any = None
        self._reaper: Any = None
        self._started = False
        self._lifespans: dict[int, Any] = {}

    # -- configuration -------------------------------------------------------------------------------

    def add_runtime(
        self,
        target: Any,
        *,
        arn: str | None = None,
        name: str = "local_mcp",
        auth: AuthScheme = "none",
        isolation: Isolation | None = None,
        discovery_url: str | None = None,
        allowed_audience: Iterable[str] = (),
        allowed_clients: Iterable[str] = (),
        allowed_scopes: Iterable[str] = (),
        header_allowlist: Iterable[str] = (),
        idle_timeout: float = DEFAULT_IDLE_TIMEOUT,
        max_lifetime: float = DEFAULT_MAX_LIFETIME,
        start_timeout: float = DEFAULT_START_TIMEOUT,
        rate_limit: float | None = None,
        burst: int | None = None,
        environment: Mapping[str, str] | None = None,
        qualifiers: Iterable[str] = (),
        mcp_path: str = "/mcp",
        stateful: bool = False,
    ) -> Runtime:
        """Register an MCP runtime; returns it (``runtime.arn`` goes in the invocations URL).

        Args:
            target: an ``http(s)://host:port/mcp`` URL, an ASGI app object, or an app spec
                (``examples/demo_server.py``, ``package.module:app``).
            arn: the runtime ARN; default a well-formed one from ``name``, the region and the account.
            isolation: ``"process"`` gives each runtime session its own server process (app specs only;
                the default for them); ``"snapshot"`` forks each session's process from a template that
                imported the app once (Runtime V2: import-time state is shared by every session); ``"shared"`` sends every session to one target (the default for
                URLs and app objects; an app spec is then imported into this process).
            auth: ``"none"``, ``"sigv4"`` (signature checked against the emulator's credentials) or
                ``"jwt"`` (bearer tokens from ``discovery_url``'s issuer, default the local issuer,
                checked against ``allowed_audience``/``allowed_clients``/``allowed_scopes``).
            header_allowlist: extra request headers the server receives (``Authorization`` on JWT only).
            idle_timeout, max_lifetime, start_timeout: session lifecycle limits in seconds.
            rate_limit: invocations per second before throttling (-32003), bursts of ``burst``.
            environment: environment variables for process-isolated servers.
            qualifiers: endpoint names accepted besides ``DEFAULT``.
            stateful: the server keeps MCP sessions (``stateless_http=False``, our ``sessions=True``):
                the emulator sends no made-up ``Mcp-Session-Id``, passes the server's back to the caller,
                and routes requests carrying it to that session's process.

        Raises:
            ValueError: an invalid combination (e.g. process isolation of an app object).
        """
        is_url = isinstance(target, str) and target.startswith(("http://", "https://"))
        isolation = _isolation_for(target, isolation, is_url)
        jwt = JWTAuthorizer(discovery_url, *map(tuple, (allowed_audience, allowed_clients, allowed_scopes)))
        runtime = Runtime(
            arn=arn or runtime_arn(name, region=self.region, account_id=self.account_id),
            target=target,
            isolation=isolation,
            auth=auth,
            jwt=jwt if auth == "jwt" else None,
            header_allowlist=tuple(header_allowlist),
            idle_timeout=idle_timeout,
            max_lifetime=max_lifetime,
            start_timeout=start_timeout,
            rate_limit=rate_limit,
            burst=burst,
            environment=dict(environment or {}),
            qualifiers=frozenset(qualifiers),
            mcp_path=mcp_path,
            stateful=stateful,
        )
        if isolation == "shared" and isinstance(target, str) and not is_url:
            from agentcore_mcp._loader import load_app

            self._shared[runtime.arn] = AsgiUpstream(load_app(target), mcp_path)
        return self.registry.add(runtime)

    def remove_runtime(self, arn: str) -> None:
        """Unregister a runtime (its live sessions end on their next request)."""
        self.registry.remove(arn)
        self._shared.pop(arn, None)

    def map_image(self, container_uri: str, target: Any, *, isolation: Isolation = "shared") -> None:
        """Serve control-plane runtimes whose image is ``container_uri`` (``"*"``: any image) with ``target``."""
        if self.control is None:
            raise RuntimeError("this emulator has no control plane (control_plane=False)")
        self.control.images[container_uri] = (target, isolation)

    @property
    def runtimes(self) -> list[Runtime]:
        """The runtimes added with :meth:`add_runtime` (control-plane runtimes are resolved on demand)."""
        return list(self.registry)

    def bind(self, base_url: str) -> None:
        """Tell the emulator the URL it is served at (``serve()`` and the CLI do this)."""
        self.base_url = base_url.rstrip("/")
        self.issuer.bind(self.base_url)

    def invocations_url(self, arn: str | Runtime, qualifier: str | None = "DEFAULT") -> str:
        """The full InvokeAgentRuntime URL for ``arn``, the one bearer-token MCP clients use."""
        if self.base_url is None:
            raise RuntimeError(
                "the emulator is not served yet: use `with emulator.serve() as url:` or bind()"
            )
        arn = arn.arn if isinstance(arn, Runtime) else arn
        return self.base_url + invocations_path(arn, qualifier)

    def mint_token(self, **claims: Any) -> str:
        """A bearer token from the local issuer (see :meth:`LocalIssuer.mint` for the options)."""
        return self.issuer.mint(**claims)

    def expire_session(self, session_id: str) -> None:
        """Time a session out now (thread-safe): its next request gets a fresh microVM."""
        self.sessions.expire(session_id)

    def session(self, session_id: str) -> Session | None:
        """The live session with this runtime session id or Mcp-Session-Id, or None."""
        return self.sessions.find(session_id)

    @contextmanager
    def serve(
        self, host: str = "127.0.0.1", port: int | None = None, **uvicorn_options: Any
    ) -> Iterator[str]:
        """Serve on loopback with uvicorn in a background thread; yields the base URL (the endpoint_url)."""
        from agentcore_mcp.server import free_port, serve_in_thread

        port = port or free_port(host)
        self.bind(f"http://{host}:{port}")
        options: dict[str, Any] = {"timeout_graceful_shutdown": 5, "server_header": False}
        options.update(uvicorn_options)
        with serve_in_thread(self, host=host, port=port, **options) as url:
            yield url

    # -- lifecycle -----------------------------------------------------------------------------------

    async def startup(self) -> None:
        """Start the control plane, the HTTP client and the session reaper (lifespan startup)."""
        if self._started:
            return
        self._started = True
        import asyncio

        import httpx

        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(connect=10.0, read=3600.0, write=60.0, pool=30.0)
        )
        if self.control is not None:
            await anyio.to_thread.run_sync(self.control.start)
        self._reaper = asyncio.get_running_loop().create_task(self._reap_forever())
        if self.health_probe is not None:
            prober = Prober(self.health_probe, self.sessions.sessions)
            self._prober = asyncio.get_running_loop().create_task(prober.run_forever())

    async def shutdown(self) -> None:
        """Stop every session's process, the reaper, the HTTP client and the control plane."""
        if not self._started:
            return
        self._started = False
        for task in (self._reaper, self._prober):
            if task is not None:
                task.cancel()
        self._reaper = self._prober = None
        await self.sessions.close()
        if self._client is not None:
            await self._client.aclose()
            self._client = None
        if self.control is not None:
            await anyio.to_thread.run_sync(self.control.stop)

    async def _reap_forever(self) -> None:
        while True:
            await anyio.sleep(self.reap_interval)
            try:
                await self.sessions.reap()
            except Exception:  # keep sweeping; a failed stop is logged and retried next time
                logger.exception("session sweep failed")

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self.startup()
                except Exception as exc:
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.shutdown()
                await send({"type": "lifespan.shutdown.complete"})
                return

    # -- ASGI ----------------------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            await send({"type": "websocket.close", "code": 1003})
            return
        await self.startup()
        if self.base_url is None:
            host = _header(scope["headers"], b"host") or "127.0.0.1"
            self.bind(f"{scope.get('scheme', 'http')}://{host}")
        raw_path: bytes = scope.get("raw_path") or scope["path"].encode()
        path = raw_path.decode("latin-1")
        method: str = scope["method"]
        headers: list[tuple[bytes, bytes]] = scope["headers"]
        signed = signing_scope(_header(headers, b"authorization"))
        if signed is not None and signed[3] != "bedrock-agentcore" and self.control is not None:
            await self._proxy_control(scope, receive, send)
            return
        match = _OPERATION.fullmatch(path)
        if match is not None:
            identifier = unquote(match["id"])
            if match["prm"]:
                await self._protected_resource(scope, send, identifier)
            elif method != "POST":
                await self._answer(
                    send, 405, [(b"allow", b"POST"), *_JSON], b'{"message":"Method Not Allowed"}'
                )
            elif match["op"] == "invocations":
                await self._invoke(scope, receive, send, identifier)
            else:
                await self._stop(scope, receive, send, identifier)
        elif self.identity.handles(method, path):
            await self.identity(scope, receive, send)
        elif path.startswith("/oidc/"):
            await self._oidc(scope, receive, send, path[len("/oidc") :])
        elif path == "/ping" and method in ("GET", "HEAD"):
            await self._answer(send, 200, _JSON, b'{"status":"Healthy"}')
        elif path == "/" and method == "GET" and signed is None:
            await self._answer(send, 200, _JSON, to_json(self._overview()))
        elif self.gateways is not None and self.gateways.handles(method, path):
            await self.gateways(scope, receive, send)
        elif not for_moto(headers, path, scope.get("query_string", b"")):
            await self._wrong_path(scope, receive, send, method, path)
        elif self.control is not None:
            await self._proxy_control(scope, receive, send)
        else:
            refusal = api_error("UnknownOperationException", f"No operation for {method} {path}", 404)
            await self._answer(send, refusal.status, refusal.headers, refusal.body)

    async def _wrong_path(self, scope: Scope, receive: Receive, send: Send, method: str, path: str) -> None:
        try:
            body = await self._read_body(scope, receive)
        except Refusal as refusal:
            await self._answer(send, refusal.status, refusal.headers, refusal.body)
            return
        except ConnectionError:
            return
        assert self.base_url is not None
        urls = [self.invocations_url(runtime) for runtime in self.registry]
        answer = wrong_path(method, path, body, self.base_url, urls)
        await self._answer(send, answer.status, answer.headers, answer.body)

    @staticmethod
    async def _answer(send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> None:
        out = [*headers, (b"content-length", str(len(body)).encode())]
        try:
            await send({"type": "http.response.start", "status": status, "headers": out})
            await send({"type": "http.response.body", "body": body})
        except OSError:
            pass

    def _overview(self) -> dict[str, Any]:
        return {
            "service": "agentcore-mcp local AgentCore Runtime emulator",
            "endpointUrl": self.base_url,
            "controlPlane": self.control is not None,
            "runtimes": [{**r.describe(), "invocationsUrl": self.invocations_url(r)} for r in self.registry],
            "sessions": [s.describe() for s in self.sessions.sessions()],
            "issuer": self.issuer.issuer_url if self.issuer.bound else None,
        }

    async def _read_body(self, scope: Scope, receive: Receive) -> bytes:
        """The whole body, with the payload cap (400 ValidationException past it) and no buffering past it."""
        declared = _header(scope["headers"], b"content-length")
        length = int(declared) if declared is not None and declared.isdigit() else None
        try:
            return await read_body(receive, self.max_body_size, length)
        except BodyTooLarge:
            raise validation_error(
                "payload", f"Member must have length less than or equal to {self.max_body_size}"
            ) from None

    # -- InvokeAgentRuntime --------------------------------------------------------------------------

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
            rsid = _header(raw, _RUNTIME_SESSION)
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

    async def _authorize(self, scope: Scope, body: bytes, identifier: str) -> tuple[Runtime, str | None]:
        """The runtime the request names once its caller is authenticated, and the caller's user.

        The user is who the platform says the request is for (what the server sees as
        ``X-Amzn-Bedrock-AgentCore-Runtime-User-Id`` and what the workload token is minted for): on a JWT
        runtime the verified token's ``sub``, whatever header was sent; on a SigV4 runtime the header,
        from a caller allowed to act for users (:meth:`_check_user`); on an open runtime the header.
        """
        raw: list[tuple[bytes, bytes]] = scope["headers"]
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        qualifier = (query.get("qualifier") or ["DEFAULT"])[0]
        account_id = (query.get("accountId") or [None])[0]
        authorization = _header(raw, b"authorization") or ""
        signed = signing_scope(authorization)
        region = signed[2] if signed else self.region
        runtime = self.registry.resolve(identifier, account_id, region, qualifier)
        if runtime is None:
            if signed is not None:
                self._check_signature(scope, body, region)
            raise api_error(
                "ResourceNotFoundException",
                f"No endpoint or agent found with qualifier '{qualifier}' for agent '{identifier}'",
                404,
            )
        user = (_header(raw, _USER_ID) or "").strip(" \t") or None
        access_key = None
        if runtime.auth == "sigv4":
            if authorization.lower().startswith("bearer "):
                raise api_error("AccessDeniedException", _MISMATCH, 403)
            access_key = self._check_signature(scope, body, runtime.region)
        elif runtime.auth == "jwt":
            if signed is not None:
                raise api_error("AccessDeniedException", _MISMATCH, 403)
            claims = await self._check_token(authorization, runtime, qualifier, body)
            # The platform exchanges the validated token (its iss and sub) for the workload token
            # ("Get workload access token", devguide: GetWorkloadAccessTokenForJWT); a header naming
            # someone else is ignored, never believed (inferred: AWS does not say whether it refuses it).
            subject = claims.get("sub")
            user = subject if isinstance(subject, str) and subject else None
        if qualifier not in runtime.qualifiers:
            raise api_error(
                "ResourceNotFoundException",
                f"No endpoint or agent found with qualifier '{qualifier}' for agent '{identifier}'",
                404,
            )
        if access_key is not None and user is not None:
            self._check_user(access_key, authorization, runtime)
        return runtime, user

    def _check_user(self, access_key: str, authorization: str, runtime: Runtime) -> None:
        """A SigV4 caller names a user only with InvokeAgentRuntimeForUser, and only in a signed header.

        "Authenticate and authorize with Inbound Auth and Outbound Auth" (devguide): invoking with
        ``X-Amzn-Bedrock-AgentCore-Runtime-User-Id`` requires ``bedrock-agentcore:InvokeAgentRuntimeForUser``
        besides ``InvokeAgentRuntime``, and only trusted principals should set it. IAM's denial is a 403
        AccessDeniedException (its wording here is AWS's usual one; the caller's ARN is not known
        locally). An unsigned header could have been added by anyone on the way, so it names no one.
        """
        creds = self.sigv4.credentials[access_key]
        if not (self.invoke_for_user or creds.invoke_for_user):
            raise api_error(
                "AccessDeniedException",
                f"User with access key {access_key} is not authorized to perform: {_FOR_USER} on resource: "
                f"{runtime.arn} because no identity-based policy allows the {_FOR_USER} action",
                403,
            )
        if wire.RUNTIME_USER_ID not in signed_header_names(authorization):
            raise api_error(
                "AccessDeniedException",
                f"{wire.RUNTIME_USER_ID} must be one of the request's SignedHeaders to name a user",
                403,
            )

    def _check_signature(self, scope: Scope, body: bytes, region: str) -> str:
        """The access key that signed the request (403 with AWS's error code when the signature fails)."""
        raw: list[tuple[bytes, bytes]] = scope["headers"]
        try:
            return self.sigv4.verify(
                method=scope["method"],
                host=_header(raw, b"host") or "",
                raw_path=scope.get("raw_path") or scope["path"].encode(),
                query=scope.get("query_string", b""),
                headers=raw,
                body=body,
                region=region,
            )
        except SignatureRejected as exc:
            raise api_error(exc.code, exc.message, 403) from None

    async def _check_token(
        self, authorization: str, runtime: Runtime, qualifier: str, body: bytes
    ) -> dict[str, Any]:
        """The claims of the request's bearer token, verified against the runtime's authorizer (else 401)."""
        metadata = self._protected_resource_url(runtime.arn, qualifier)
        if not authorization.lower().startswith("bearer ") or not authorization[7:].strip():
            challenge = f'Bearer resource_metadata="{metadata}"'
            raise jsonrpc_error(
                _jsonrpc_id(body),
                wire.AC_UNAUTHORIZED,
                "Missing Bearer token",
                status=401,
                headers=[(b"www-authenticate", challenge.encode())],
            )
        assert runtime.jwt is not None
        try:
            return await self.jwt.verify(authorization[7:].strip(), runtime.jwt, self._client)
        except TokenRejected as exc:
            reason = str(exc).replace('"', "'")
            challenge = (
                f'Bearer error="invalid_token", error_description="{reason}", resource_metadata="{metadata}"'
            )
            raise jsonrpc_error(
                _jsonrpc_id(body),
                wire.AC_UNAUTHORIZED,
                str(exc),
                status=401,
                headers=[(b"www-authenticate", challenge.encode())],
            ) from None

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
                raise jsonrpc_error(_jsonrpc_id(body), code, HEALTH_CHECK_FAILED, headers=ids)
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
                raise jsonrpc_error(_jsonrpc_id(body), wire.AC_THROTTLED, _THROTTLED)
            if fault.kind == "conflict":
                raise jsonrpc_error(_jsonrpc_id(body), wire.AC_CONFLICT, _CONFLICT)
            raise api_error(fault.code, fault.message, fault.status)
        if runtime.rate_limit is not None:
            bucket = self._buckets.get(runtime.arn)
            if bucket is None:
                bucket = self._buckets[runtime.arn] = TokenBucket(runtime.rate_limit, runtime.burst)
            if not bucket.allow(self.clock()):
                raise jsonrpc_error(_jsonrpc_id(body), wire.AC_THROTTLED, _THROTTLED)
        if runtime.problem:
            raise api_error("RuntimeClientError", runtime.problem, 424)

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
        protocol = _header(raw, _PROTOCOL_VERSION)

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

    # -- StopRuntimeSession --------------------------------------------------------------------------

    async def _stop(self, scope: Scope, receive: Receive, send: Send, identifier: str) -> None:
        began = time.perf_counter()
        request_id = str(uuid.uuid4())
        raw: list[tuple[bytes, bytes]] = scope["headers"]
        try:
            body = await self._read_body(scope, receive)
            runtime, _ = await self._authorize(scope, body, identifier)
            rsid = _header(raw, _RUNTIME_SESSION)
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
            *_JSON,
            (b"x-amzn-requestid", request_id.encode()),
            (_RUNTIME_SESSION, rsid.encode()),
        ]
        await self._answer(send, 200, headers, b"{}")
        logger.info(
            "stop %s session=%s → 200 (%.1f ms)", runtime.name, rsid, (time.perf_counter() - began) * 1000
        )

    # -- OAuth documents -----------------------------------------------------------------------------

    def _protected_resource_url(self, arn: str, qualifier: str) -> str:
        path = f"/runtimes/{quote(arn, safe='')}/invocations/.well-known/oauth-protected-resource"
        return f"{self.base_url}{path}?qualifier={quote(qualifier, safe='')}"

    async def _protected_resource(self, scope: Scope, send: Send, identifier: str) -> None:
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        qualifier = (query.get("qualifier") or ["DEFAULT"])[0]
        runtime = self.registry.resolve(identifier, (query.get("accountId") or [None])[0], self.region)
        if runtime is None or runtime.auth != "jwt" or runtime.jwt is None:
            refusal = api_error(
                "ResourceNotFoundException", f"No OAuth-protected runtime '{identifier}'", 404
            )
            await self._answer(send, refusal.status, refusal.headers, refusal.body)
            return
        discovery = runtime.jwt.discovery_url or self.issuer.discovery_url
        issuer = discovery.removesuffix("/.well-known/openid-configuration")
        document = {
            "resource": f"{self.base_url}{invocations_path(runtime.arn, qualifier)}",
            "authorization_servers": [issuer],
            "bearer_methods_supported": ["header"],
        }
        if runtime.jwt.allowed_scopes:
            document["scopes_supported"] = list(runtime.jwt.allowed_scopes)
        await self._answer(send, 200, _JSON, to_json(document))

    async def _oidc(self, scope: Scope, receive: Receive, send: Send, path: str) -> None:
        if path == "/.well-known/openid-configuration":
            await self._answer(send, 200, _JSON, to_json(self.issuer.discovery()))
        elif path == "/.well-known/jwks.json":
            await self._answer(send, 200, _JSON, to_json(self.issuer.jwks()))
        elif path == "/authorize" and scope["method"] == "GET":
            query = {k: v[0] for k, v in parse_qs(scope.get("query_string", b"").decode("latin-1")).items()}
            status, text = self.issuer.authorize(query)
            if status == 302:
                await self._answer(send, 302, [(b"location", text.encode("latin-1"))], b"")
            else:
                error = {"error": "invalid_request", "error_description": text}
                await self._answer(send, status, _JSON, to_json(error))
        elif path == "/token" and scope["method"] == "POST":
            try:
                body = await self._read_body(scope, receive)
            except (Refusal, ConnectionError):
                await self._answer(send, 400, _JSON, b'{"error":"invalid_request"}')
                return
            form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
            status, answer = self.issuer.token_grant(form, _basic_client_id(scope["headers"]))
            await self._answer(send, status, [*_JSON, (b"cache-control", b"no-store")], to_json(answer))
        else:
            await self._answer(send, 404, _JSON, b'{"error":"not_found"}')

    # -- control plane -------------------------------------------------------------------------------

    async def _proxy_control(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Forward a control-plane (or any other moto-mocked) request to moto's server."""
        import httpx

        assert self.control is not None
        url = self.control.start() if self.control.url is None else self.control.url
        try:
            body = await self._read_body(scope, receive)
        except Refusal as refusal:
            await self._answer(send, refusal.status, refusal.headers, refusal.body)
            return
        except ConnectionError:
            return
        raw_path = (scope.get("raw_path") or scope["path"].encode()).decode("latin-1")
        query = scope.get("query_string", b"").decode("latin-1")
        target = f"{url}{raw_path}" + (f"?{query}" if query else "")
        headers = [
            (k, v)
            for k, v in scope["headers"]
            if k not in (b"content-length", b"connection", b"transfer-encoding")
        ]
        try:
            response = await self._client.request(
                scope["method"], httpx.URL(target), headers=headers, content=body
            )
        except httpx.HTTPError as exc:
            failure = api_error("InternalServerException", f"the local control plane failed: {exc}", 500)
            await self._answer(send, failure.status, failure.headers, failure.body)
            return
        passed = [
            (k.lower(), v)
            for k, v in response.headers.raw
            if k.lower()
            not in (
                b"content-length",
                b"transfer-encoding",
                b"connection",
                b"server",
                b"date",
                b"content-encoding",
            )
        ]
        await self._answer(send, response.status_code, passed, response.content)
        logger.debug("control plane %s %s → %d", scope["method"], raw_path, response.status_code)
