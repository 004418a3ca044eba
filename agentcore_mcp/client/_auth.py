"""httpx authentication for AgentCore: SigV4 signing with botocore, and OAuth bearer tokens.

Both are plain :class:`httpx.Auth` objects, so they work with any ``httpx.AsyncClient`` (or ``httpx.Client``),
not only with this library's transport. They do not work with ``httpx2`` clients (the mcp 2.x SDK's own
HTTP stack): hand this library's transport to the SDK instead.
"""

from __future__ import annotations

import importlib
import inspect
import ipaddress
import math
import threading
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Generator
from typing import Any, TypeAlias

import anyio
import httpx

from agentcore_mcp import _settings as settings

__all__ = ["ALLOW_INSECURE_BEARER_ENV", "BearerAuth", "SigV4Auth", "TokenProvider", "check_bearer_url"]

ALLOW_INSECURE_BEARER_ENV = settings.ALLOW_INSECURE_BEARER
"""Set to ``1`` (``true``, ``yes``, ``on``) to let bearer tokens go over plain HTTP to any host (test rigs)."""

TokenProvider: TypeAlias = "str | Callable[[], str] | Callable[[], Awaitable[str]]"
"""A bearer token, or a zero-argument function (sync or async) that returns one."""

# Headers that are not signed: hop-by-hop headers, ones a proxy or the HTTP stack may rewrite, and the
# ones botocore never signs (trace context may be changed in flight by design).
_UNSIGNED = frozenset(
    {
        "accept-encoding",
        "authorization",
        "baggage",
        "connection",
        "content-length",
        "expect",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "traceparent",
        "tracestate",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "user-agent",
        "x-amzn-trace-id",
    }
)


class SigV4Auth(httpx.Auth):
    """Sign each request with AWS Signature Version 4 (service ``bedrock-agentcore`` by default).

    Credentials come from, in order: ``credentials`` (botocore credentials, refreshable or not), ``session``
    (a ``boto3.Session`` or ``botocore.session.Session``: its profile and credential chain), or the default
    boto3 credential chain. Refreshable credentials (SSO, assumed roles, instance roles) are refreshed
    before they expire; on the async path the refresh runs in a worker thread, off the event loop.

    The body is part of the signature, so httpx reads it before signing (``requires_request_body``).
    """

    requires_request_body = True

    def __init__(
        self,
        region: str,
        *,
        credentials: Any = None,
        session: Any = None,
        service: str = "bedrock-agentcore",
    ) -> None:
        if not region:
            raise ValueError("SigV4Auth needs a region, e.g. 'us-west-2'")
        self.region = region
        self.service = service
        self._credentials = credentials
        self._session = session
        self._lock = threading.Lock()

    def _resolve_credentials(self) -> Any:
        with self._lock:
            if self._credentials is None:
                session = self._session or _module("boto3").Session()
                credentials = session.get_credentials()
                if credentials is None:
                    raise _module("botocore.exceptions").NoCredentialsError()
                self._credentials = credentials
            return self._credentials

    def _needs_io(self) -> bool:
        """True when getting frozen credentials may block (first resolution, or a due refresh)."""
        credentials = self._credentials
        if credentials is None:
            return True
        refresh_needed = getattr(credentials, "refresh_needed", None)
        return bool(refresh_needed()) if refresh_needed is not None else False

    def _frozen(self) -> Any:
        return self._resolve_credentials().get_frozen_credentials()

    def sign(self, request: httpx.Request, frozen: Any) -> None:
        """Add ``Authorization``, ``X-Amz-Date`` (and ``X-Amz-Security-Token``) to ``request``, in place.

        ``frozen`` is botocore's ``ReadOnlyCredentials`` (``get_frozen_credentials()``).
        """
        AWSRequest = _module("botocore.awsrequest").AWSRequest
        BotocoreSigV4 = _module("botocore.auth").SigV4Auth
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _UNSIGNED}
        aws_request = AWSRequest(
            method=request.method, url=str(request.url), headers=headers, data=request.content
        )
        BotocoreSigV4(frozen, self.service, self.region).add_auth(aws_request)
        for name in ("Authorization", "X-Amz-Date", "X-Amz-Security-Token"):
            value = aws_request.headers.get(name)
            if value is not None:
                request.headers[name] = value

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        self.sign(request, self._frozen())
        yield request

    async def sign_async(self, request: httpx.Request) -> None:
        """:meth:`sign` with the current credentials, resolving or refreshing them in a worker thread."""
        frozen = await anyio.to_thread.run_sync(self._frozen) if self._needs_io() else self._frozen()
        self.sign(request, frozen)

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        await self.sign_async(request)
        yield request


class BearerAuth(httpx.Auth):
    """Send ``Authorization: Bearer <token>``; with a token provider, a fresh token before the old one lapses.

    ``token`` is a string, or a zero-argument function (sync or async) returning one. A provider is called
    for the first request, and again:

    * before a JWT expires: its ``exp`` claim is read (the signature is not checked; the server does that)
      and the provider is called for the first request made within ``refresh_margin`` seconds (60) of that
      time (halfway through the life of a token that lives no longer than the margin), since AgentCore
      refuses tokens about to expire;
    * after a 401: the request is sent once more with the new token (when the token changed).

    Concurrent requests that need a new token share one call of the provider (single flight). An opaque
    token (not a JWT, or one without ``exp``) is reused until a 401. A leading ``"Bearer "`` in the token is
    accepted and not doubled. ``clock`` gives the current Unix time (tests pass a fake one).

    A request to a plain ``http://`` URL whose host is not loopback (``127.0.0.0/8``, ``::1``,
    ``localhost``) is refused with :class:`ValueError` before the token is fetched or anything is sent:
    anyone on the path would read the token. ``allow_insecure_http=True`` (or, when it is None,
    ``AGENTCORE_MCP_ALLOW_INSECURE_BEARER=1``) lifts that for test rigs.
    """

    def __init__(
        self,
        token: TokenProvider,
        *,
        refresh_margin: float = 60.0,
        clock: Callable[[], float] = time.time,
        allow_insecure_http: bool | None = None,
    ) -> None:
        if isinstance(token, str):
            if not token.strip():
                raise ValueError("the bearer token is empty")
            self._token: str | None = _strip_scheme(token)
            self._provider: Callable[[], Any] | None = None
        elif callable(token):
            self._token = None
            self._provider = token
        else:
            raise TypeError(f"bearer token must be a str or a callable returning one, got {token!r}")
        self.refresh_margin = refresh_margin
        self.allow_insecure_http = allow_insecure_http
        self._clock = clock
        self._renew_at = math.inf  # when the current token is due for renewal (a provider's JWTs only)
        self._generation = 0
        self._sync_lock = threading.Lock()
        self._async_lock: anyio.Lock | None = None

    def check_url(self, url: str | httpx.URL) -> None:
        """Refuse (ValueError) to send this token to ``url``: plain HTTP to a host that is not loopback."""
        check_bearer_url(url, allow=self.allow_insecure_http)

    @property
    def refreshes(self) -> int:
        """How many times the provider has been called."""
        return self._generation

    def _accept(self, value: Any) -> str:
        if not isinstance(value, str) or not value.strip():
            raise TypeError(f"the bearer token provider returned {value!r}, not a non-empty str")
        token = _strip_scheme(value)
        now = self._clock()
        expiry = jwt_expiry(token)
        if expiry is None:
            self._renew_at = math.inf
        else:
            lifetime = max(expiry - now, 0.0)
            # a token that lives no longer than the margin is renewed at half its life, not every request
            margin = self.refresh_margin if lifetime > self.refresh_margin else lifetime / 2
            self._renew_at = expiry - margin
        self._token = token
        self._generation += 1
        return token

    def _current(self, stale: int | None) -> str | None:
        """The token to send, or None when the provider must be called (first use, 401, renewal due)."""
        if self._token is None or (stale is not None and self._generation == stale):
            return None
        if self._provider is not None and self._clock() >= self._renew_at:
            return None
        return self._token

    def _call_sync(self) -> str:
        assert self._provider is not None
        value = self._provider()
        if inspect.isawaitable(value):
            if inspect.iscoroutine(value):
                value.close()
            raise TypeError("an async bearer token provider needs an async HTTP client (httpx.AsyncClient)")
        return self._accept(value)

    async def _call_async(self) -> str:
        assert self._provider is not None
        value = self._provider()
        if inspect.isawaitable(value):
            value = await value
        return self._accept(value)

    def _sync_token(self, stale: int | None) -> str:
        current = self._current(stale)
        if current is not None:
            return current
        with self._sync_lock:
            current = self._current(stale)  # another thread may have renewed it meanwhile
            return current if current is not None else self._call_sync()

    async def _async_token(self, stale: int | None) -> str:
        current = self._current(stale)  # the common case: no lock to take
        if current is not None:
            return current
        if self._async_lock is None:
            self._async_lock = anyio.Lock()
        async with self._async_lock:
            current = self._current(stale)  # a concurrent request may have renewed it meanwhile
            return current if current is not None else await self._call_async()

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        self.check_url(request.url)
        token = self._sync_token(None)
        generation = self._generation
        request.headers["Authorization"] = f"Bearer {token}"
        response = yield request
        if response.status_code == 401 and self._provider is not None:
            fresh = self._sync_token(generation)
            if fresh != token:
                request.headers["Authorization"] = f"Bearer {fresh}"
                yield request

    async def async_auth_flow(self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        self.check_url(request.url)
        token = await self._async_token(None)
        generation = self._generation
        request.headers["Authorization"] = f"Bearer {token}"
        response = yield request
        if response.status_code == 401 and self._provider is not None:
            fresh = await self._async_token(generation)
            if fresh != token:
                request.headers["Authorization"] = f"Bearer {fresh}"
                yield request


def check_bearer_url(url: str | httpx.URL, *, allow: bool | None = None) -> None:
    """Raise ValueError when a bearer token must not go to ``url``: ``http://`` to a non-loopback host.

    ``allow`` True lets it through; None defers to ``AGENTCORE_MCP_ALLOW_INSECURE_BEARER`` (``1``, ``true``,
    ``yes``, ``on``). HTTPS, and plain HTTP to ``127.0.0.0/8``, ``::1`` or ``localhost``, always pass.
    """
    parsed = httpx.URL(str(url))
    if parsed.scheme != "http" or _is_loopback(parsed.host):
        return
    if allow is None:
        allow = bool(settings.flag(ALLOW_INSECURE_BEARER_ENV))
    if not allow:
        raise ValueError(
            f"refusing to send a bearer token over plain HTTP to {url}: anyone on the path could read it. "
            f"Use https://, or for a test rig pass allow_insecure_http=True (BearerAuth, "
            f"AgentCoreTransport) or set {ALLOW_INSECURE_BEARER_ENV}=1"
        )


def _is_loopback(host: str) -> bool:
    host = host.rstrip(".").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:  # a name other than localhost: resolving it would not make it safe
        return False


def jwt_expiry(token: str) -> float | None:
    """The ``exp`` claim of a JWT as Unix time, read without checking the signature; None for other tokens."""
    if token.count(".") != 2:
        return None  # opaque: not worth a parse
    import jwt

    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.InvalidTokenError:
        return None
    exp = claims.get("exp")
    return float(exp) if isinstance(exp, (int, float)) and not isinstance(exp, bool) else None


def _module(name: str) -> Any:
    """Import a boto3/botocore module (imported by name: they ship no type information)."""
    return importlib.import_module(name)


def _strip_scheme(token: str) -> str:
    token = token.strip()
    return token[7:].strip() if token[:7].lower() == "bearer " else token
