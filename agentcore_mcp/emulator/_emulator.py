"""``Emulator``: the InvokeAgentRuntime data plane (and StopRuntimeSession) as a plain ASGI app.

One request, one way through: route (data plane, local issuer, or moto's control plane) → body read with
the 100 MB cap → runtime lookup (404) → caller authentication as the runtime is configured (403/401) →
request validation (400, 406) → injected faults and the rate limit (HTTP 200, JSON-RPC -32003) → the
session's microVM, started when needed (424 when it does not start) → headers rewritten per the platform's
rules → the MCP server's answer streamed back with the session ids → one log line.

This module holds the configuration, the lifecycle and the routing; each operation is a mixin of its own
(``_invoke.py`` and ``_relay.py``, ``_stop.py``, ``_auth.py``, ``_oauth.py``) over ``_base.EmulatorBase``.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from urllib.parse import unquote

import anyio
from pydantic_core import to_json

from agentcore_mcp._loader import load_app
from agentcore_mcp.emulator._base import JSON, Receive, Scope, Send, header
from agentcore_mcp.emulator._consent import LocalProviders
from agentcore_mcp.emulator._control_plane import ControlPlane
from agentcore_mcp.emulator._faults import Faults
from agentcore_mcp.emulator._forward import AsgiUpstream, Upstream
from agentcore_mcp.emulator._gateway import GatewayPlane
from agentcore_mcp.emulator._identity import IdentityPlane
from agentcore_mcp.emulator._invoke import Invocation
from agentcore_mcp.emulator._issuer import JWTVerifier, LocalIssuer
from agentcore_mcp.emulator._limits import RequestLimits
from agentcore_mcp.emulator._microvms import Session, SessionManager
from agentcore_mcp.emulator._oauth import OAuthRoutes
from agentcore_mcp.emulator._platform_errors import Refusal, api_error
from agentcore_mcp.emulator._probes import HealthProbe, Prober
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
from agentcore_mcp.emulator._sigv4 import Credentials, SigV4Verifier, signing_scope
from agentcore_mcp.emulator._stop import SessionStopping
from agentcore_mcp.emulator._wrong_path import for_moto, wrong_path

__all__ = ["LOCAL_CREDENTIALS", "Emulator"]

logger = logging.getLogger("agentcore_mcp.emulator")

MAX_PAYLOAD = 100_000_000  # InvokeAgentRuntime's payload cap
_OPERATION = re.compile(
    r"/runtimes/(?P<id>.+)/(?P<op>invocations|stopruntimesession)(?P<prm>/\.well-known/oauth-protected-resource)?/?"
)
# The local credentials accepted besides the ones found in the environment (moto's convention).
LOCAL_CREDENTIALS = Credentials("testing", "testing")


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


def _is_url(target: Any) -> bool:
    return isinstance(target, str) and target.startswith(("http://", "https://"))


def _is_app_spec(target: Any) -> bool:
    """True for a file path or ``module:attr`` (a string that is not a URL)."""
    return isinstance(target, str) and not _is_url(target)


def _isolation_for(target: Any, isolation: Isolation | None) -> Isolation:
    """``isolation``, or the default for ``target`` (process for app specs, shared otherwise)."""
    if isolation is None:
        return "process" if _is_app_spec(target) else "shared"
    if isolation in ("process", "snapshot") and _is_url(target):
        raise ValueError(
            f"{isolation} isolation starts an app spec per session; a URL target is always shared"
        )
    return isolation


def _authorizer(
    auth: AuthScheme,
    discovery_url: str | None,
    audience: Iterable[str],
    clients: Iterable[str],
    scopes: Iterable[str],
) -> JWTAuthorizer | None:
    """A JWT runtime's authorizer (None for the other schemes)."""
    authorizer = JWTAuthorizer(discovery_url, tuple(audience), tuple(clients), tuple(scopes))
    return authorizer if auth == "jwt" else None


class Emulator(Invocation, SessionStopping, OAuthRoutes):
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
            isolation: ``"process"`` (a server process per runtime session; app specs only, and their
                default), ``"snapshot"`` (each session's process forked from a template that imported the
                app once, as Runtime V2) or ``"shared"`` (every session to one target; the default for URLs
                and app objects, an app spec is then imported into this process).
            auth: ``"none"``, ``"sigv4"`` (signature checked against the emulator's credentials) or
                ``"jwt"`` (bearer tokens from ``discovery_url``'s issuer, default the local issuer,
                checked against ``allowed_audience``/``allowed_clients``/``allowed_scopes``). Every
                other keyword is the :class:`Runtime` attribute of the same name.

        Raises:
            ValueError: an invalid combination (e.g. process isolation of an app object).
        """
        runtime = Runtime(
            target=target,
            isolation=_isolation_for(target, isolation),
            auth=auth,
            jwt=_authorizer(auth, discovery_url, allowed_audience, allowed_clients, allowed_scopes),
            arn=arn or runtime_arn(name, region=self.region, account_id=self.account_id),
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
        return self._register(runtime)

    def _register(self, runtime: Runtime) -> Runtime:
        """Register ``runtime``, first importing the app spec it serves in this process (shared isolation)."""
        if runtime.isolation == "shared" and _is_app_spec(runtime.target):
            self._shared[runtime.arn] = AsgiUpstream(load_app(runtime.target), runtime.mcp_path)
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
            host = header(scope["headers"], b"host") or "127.0.0.1"
            self.bind(f"{scope.get('scheme', 'http')}://{host}")
        raw_path: bytes = scope.get("raw_path") or scope["path"].encode()
        path = raw_path.decode("latin-1")
        method: str = scope["method"]
        headers: list[tuple[bytes, bytes]] = scope["headers"]
        signed = signing_scope(header(headers, b"authorization"))
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
                    send, 405, [(b"allow", b"POST"), *JSON], b'{"message":"Method Not Allowed"}'
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
            await self._answer(send, 200, JSON, b'{"status":"Healthy"}')
        elif path == "/" and method == "GET" and signed is None:
            await self._answer(send, 200, JSON, to_json(self._overview()))
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

    def _overview(self) -> dict[str, Any]:
        return {
            "service": "agentcore-mcp local AgentCore Runtime emulator",
            "endpointUrl": self.base_url,
            "controlPlane": self.control is not None,
            "runtimes": [{**r.describe(), "invocationsUrl": self.invocations_url(r)} for r in self.registry],
            "sessions": [s.describe() for s in self.sessions.sessions()],
            "issuer": self.issuer.issuer_url if self.issuer.bound else None,
        }

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
