"""The HTTPS backend: POST to an MCP URL (a local server, the emulator, an AgentCore invocations URL) with httpx.

Authentication is any :class:`httpx.Auth`: :class:`~agentcore_mcp.client._auth.SigV4Auth` for IAM runtimes,
:class:`~agentcore_mcp.client._auth.BearerAuth` for OAuth (custom JWT) runtimes, or none for a plain server.

A backend that creates its own client does so on first use, with the process's one TLS context (see
:mod:`~agentcore_mcp.client._tls`); for a plain ``http://`` endpoint, with one that loads no trust store.
That client sends through aiohttp (httpx-aiohttp, the ``fast`` extra; see :mod:`~agentcore_mcp.client._aiohttp`)
when it is installed and can carry the requests, else through httpx's own transport.
"""

from __future__ import annotations

import re
import ssl
from collections.abc import AsyncIterator, Awaitable, Mapping
from importlib.metadata import version
from typing import TYPE_CHECKING, Any, Literal, TypeVar
from urllib.parse import unquote, urlsplit
from urllib.request import getproxies, proxy_bypass

import httpx
from pydantic_core import to_json

from agentcore_mcp._session import new_session_id
from agentcore_mcp._wire import ACCEPT, JSON, RUNTIME_SESSION_ID
from agentcore_mcp.client import _aiohttp
from agentcore_mcp.client._auth import SigV4Auth
from agentcore_mcp.client._backend import BufferedReply, ConnectionFailed, TransportError, TransportTimeout
from agentcore_mcp.client._tls import no_tls_context, verifying_context

if TYPE_CHECKING:
    from agentcore_mcp.client._backend import Exchange, Reply

__all__ = ["HttpxBackend", "describe_url"]

T = TypeVar("T")

USER_AGENT = f"agentcore-mcp/{version('agentcore-mcp')} httpx/{httpx.__version__}"


class _HttpxReply:
    """A streamed :class:`httpx.Response` seen as a :class:`~agentcore_mcp.client._backend.Reply`."""

    __slots__ = ("_response", "headers", "status")

    def __init__(self, response: httpx.Response) -> None:
        self._response = response
        self.status = response.status_code
        self.headers: Mapping[str, str] = response.headers

    async def aiter_bytes(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._response.aiter_bytes():
                yield chunk
        except httpx.HTTPError as exc:
            raise _broken_answer(exc) from exc

    async def aread(self) -> bytes:
        chunks = [chunk async for chunk in self.aiter_bytes()]
        return b"".join(chunks)

    async def aclose(self) -> None:
        await self._response.aclose()


class HttpxBackend:
    """POSTs to ``url`` with an ``httpx.AsyncClient`` (its own, or the one you pass and keep owning).

    Args:
        url: the MCP endpoint.
        auth: an ``httpx.Auth`` (None: the client's own auth, if any).
        http_client: a configured ``httpx.AsyncClient`` (proxies, TLS, limits, event hooks); not closed here.
        headers: static headers added to every request (e.g. allow-listed custom headers).
        timeout: httpx timeouts for clients this backend creates.
        stop_url: where StopRuntimeSession is POSTed (None: this endpoint cannot stop sessions).
        max_connections: connections of a client this backend creates.
        http_transport: what a client this backend creates sends through: ``"aiohttp"``
            (httpx-aiohttp, the ``fast`` extra), ``"httpx"`` (httpx's own), or ``"auto"``: aiohttp when
            installed. None: ``$AGENTCORE_MCP_HTTP_TRANSPORT``, else ``"auto"``. Either way httpx's
            transport carries what aiohttp cannot: a URL the environment proxies, and a client built
            outside asyncio (trio). Ignored with ``http_client=``.

    Raises:
        ValueError: without ``http_client=``, an ``http_transport`` (or environment value) not listed, or
            ``"aiohttp"`` without httpx-aiohttp installed.
    """

    def __init__(
        self,
        url: str,
        *,
        auth: httpx.Auth | None = None,
        http_client: httpx.AsyncClient | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: httpx.Timeout | None = None,
        stop_url: str | None = None,
        max_connections: int = 100,
        http_transport: Literal["auto", "httpx", "aiohttp"] | None = None,
    ) -> None:
        # A client of yours is used as it is, so the choice (and its check that aiohttp is installed) is moot.
        self._choice: _aiohttp.Choice = _aiohttp.choice(http_transport) if http_client is None else "httpx"
        self._sends_with: str | None = None
        self.url = url
        self._url = httpx.URL(url)
        self.description = describe_url(url)
        self.auth = auth
        self.stop_url = stop_url
        self.supports_stop = stop_url is not None
        self._owns_client = http_client is None
        self._timeout = timeout or httpx.Timeout(300.0, connect=10.0)
        self._extensions = {"timeout": self._timeout.as_dict()}
        self._max_connections = max_connections
        # Our own client, no proxy for the URL, no auth or SigV4: requests go straight to the client's
        # transport (see _new_client).
        self._signer = auth if isinstance(auth, SigV4Auth) else None
        self._direct_ok = (
            http_client is None and (auth is None or self._signer is not None) and not proxied(url)
        )
        self._direct: httpx.AsyncBaseTransport | None = None
        # Ours is built on first use: a transport constructed only to check its options (as the CLI does
        # before the one it sends with) then costs no client and no TLS context.
        self._client = http_client
        self._headers = {"accept": ACCEPT, "content-type": JSON, "user-agent": USER_AGENT}
        self._headers.update({k.lower(): v for k, v in (headers or {}).items()})

    def _new_client(self) -> httpx.AsyncClient:
        limits = httpx.Limits(max_connections=self._max_connections, max_keepalive_connections=20)
        if self._direct_ok:
            # No auth, or SigV4 (which needs no answer to act on): requests go straight to the transport,
            # signed here if need be, skipping the client's auth, redirect and cookie layers. It carries only
            # requests to url and stop_url, so when both are plain HTTP it never needs a trust store.
            plain = all(urlsplit(u).scheme == "http" for u in self._urls())
            self._direct = self._new_transport(limits, no_tls_context() if plain else verifying_context())
            return httpx.AsyncClient(
                timeout=self._timeout, limits=limits, follow_redirects=False, transport=self._direct
            )
        if not proxied(self.url) and self._aiohttp_fits():
            # An auth flow (a bearer token, your httpx.Auth) over aiohttp. The flow's requests may go
            # elsewhere, over TLS, so this client always verifies.
            transport = self._new_transport(limits, verifying_context())
            return httpx.AsyncClient(
                timeout=self._timeout, limits=limits, follow_redirects=False, transport=transport
            )
        # httpx mounts the environment's proxies itself (only without transport=); an HTTPS proxy or an
        # auth flow may need TLS whatever the endpoint's scheme, so this client always verifies.
        self._sends_with = "httpx"
        return httpx.AsyncClient(
            timeout=self._timeout, limits=limits, follow_redirects=False, verify=verifying_context()
        )

    def _urls(self) -> list[str]:
        return [u for u in (self.url, self.stop_url) if u is not None]

    def _aiohttp_fits(self) -> bool:
        """True when aiohttp is to send: chosen (or ``auto`` and it is installed), and on asyncio."""
        return (
            self._choice != "httpx"
            and (self._choice == "aiohttp" or _aiohttp.installed())
            and _aiohttp.on_asyncio()
        )

    def _new_transport(self, limits: httpx.Limits, verify: ssl.SSLContext) -> httpx.AsyncBaseTransport:
        if self._aiohttp_fits():
            self._sends_with = "aiohttp"
            return _aiohttp.AiohttpTransport(limits=limits, verify=verify, urls=self._urls())
        self._sends_with = "httpx"
        return httpx.AsyncHTTPTransport(limits=limits, verify=verify)

    @property
    def sends_with(self) -> str | None:
        """What this backend's requests go through: ``"aiohttp"``, ``"httpx"`` (httpx's own transport),
        ``"http_client"`` (yours), or None before a client of its own is built (on first use)."""
        return "http_client" if not self._owns_client else self._sends_with

    @property
    def client(self) -> httpx.AsyncClient:
        """The ``httpx.AsyncClient`` in use (one this backend owns is created on first use, again after
        :meth:`aclose`)."""
        if self._client is None or (self._owns_client and self._client.is_closed):
            self._client = self._new_client()
        return self._client

    async def send(self, exchange: Exchange) -> Reply:
        headers = {**self._headers, **exchange.headers}
        if self._owns_client:
            # Skips build_request's URL and header merging (a tenth of a millisecond per call): the client
            # is ours, so it has no defaults to merge but its timeouts.
            request = httpx.Request(
                "POST", self._url, headers=headers, content=exchange.body, extensions=self._extensions
            )
        else:
            request = self.client.build_request("POST", self.url, content=exchange.body, headers=headers)
        response = await self._send(request)
        if response.status_code == 200 and response.headers.get("content-type", "").startswith(JSON):
            # The common case: read the small JSON body here, so the caller's parse does no more I/O.
            try:
                body = await response.aread()
            except httpx.HTTPError as exc:
                raise _broken_answer(exc) from exc
            return BufferedReply(response.status_code, response.headers, body)
        return _HttpxReply(response)

    async def _send(self, request: httpx.Request) -> httpx.Response:
        auth: Any = self.auth if self.auth is not None else httpx.USE_CLIENT_DEFAULT
        client = self.client
        if self._direct is not None:
            if self._signer is not None:
                await self._signer.sign_async(request)
            return await self._guard(self._direct.handle_async_request(request))
        return await self._guard(client.send(request, auth=auth, stream=True))

    async def _guard(self, sending: Awaitable[T]) -> T:
        """Await ``sending`` (one request, until its answer's headers), httpx's exceptions as TransportErrors."""
        try:
            return await sending
        except httpx.ConnectError as exc:
            if _tls_failed(exc) or "CERTIFICATE_VERIFY_FAILED" in str(exc):
                # a certificate problem does not go away by retrying
                raise TransportError(f"TLS with {self.description} failed: {_describe(exc)}") from exc
            raise ConnectionFailed(
                f"could not connect to {self.description}: {_describe(exc)}", may_have_run=False
            ) from exc
        except (httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise ConnectionFailed(
                f"could not connect to {self.description}: {_describe(exc)}", may_have_run=False
            ) from exc
        except httpx.TimeoutException as exc:
            raise TransportTimeout(
                f"no answer from {self.description} in time ({type(exc).__name__})"
            ) from exc
        except httpx.LocalProtocolError as exc:
            # The request itself cannot be sent (e.g. CR/LF in a header): retrying cannot help.
            raise TransportError(
                f"the request to {self.description} cannot be sent: {_describe(exc)}"
            ) from exc
        except httpx.HTTPError as exc:
            raise ConnectionFailed(
                f"the request to {self.description} failed: {_describe(exc)}", may_have_run=True
            ) from exc

    async def stop_session(self, runtime_session_id: str) -> None:
        if self.stop_url is None:
            raise TransportError(
                f"{self.description} is not an AgentCore runtime; there is no session to stop"
            )
        request = self.client.build_request(
            "POST",
            self.stop_url,
            content=to_json({"clientToken": new_session_id()}),
            headers={
                **self._headers,
                "accept": JSON,
                RUNTIME_SESSION_ID: runtime_session_id,
            },
        )
        response = await self._send(request)
        try:
            body = await response.aread()
        finally:
            await response.aclose()
        if response.status_code >= 300:
            raise TransportError(
                f"StopRuntimeSession failed with HTTP {response.status_code}: {body[:500].decode(errors='replace')}"
            )

    async def aclose(self) -> None:
        if self._owns_client and self._client is not None and not self._client.is_closed:
            await self._client.aclose()


def proxied(url: str) -> bool:
    """True when the environment names a proxy for ``url`` (httpx would route it there)."""
    parts = urlsplit(url)
    proxies = getproxies()
    proxy = proxies.get(parts.scheme) or proxies.get("all")
    return bool(proxy) and not (parts.hostname and proxy_bypass(parts.hostname))


def describe_url(url: str) -> str:
    """``runtime ARN (HTTPS at host)`` for an invocations URL (``HTTP at`` for a local one), else the URL
    without its query."""
    base = url.split("?", 1)[0]
    match = re.search(r"^(https?://[^/]+).*/runtimes/([^/]+)/invocations/?$", base)
    if match is None:
        return base
    scheme = "HTTPS" if match.group(1).startswith("https:") else "HTTP"
    return f"runtime {unquote(match.group(2))} ({scheme} at {match.group(1)})"


def _tls_failed(exc: BaseException) -> bool:
    """True when an ``ssl.SSLError`` caused ``exc`` (at any depth of its chain: aiohttp's is two deep)."""
    seen: BaseException | None = exc
    for _ in range(5):
        seen = seen.__cause__ or seen.__context__ if seen is not None else None
        if seen is None:
            return False
        if isinstance(seen, ssl.SSLError):
            return True
    return False


def _broken_answer(exc: httpx.HTTPError) -> TransportError:
    """The error for an answer whose body failed after its headers arrived: the request may have run."""
    if isinstance(exc, httpx.TimeoutException):
        return TransportTimeout(f"the server went silent mid-answer ({type(exc).__name__})")
    return ConnectionFailed(f"the connection broke mid-answer: {_describe(exc)}", may_have_run=True)


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
