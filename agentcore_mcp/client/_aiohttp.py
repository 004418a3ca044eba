"""The HTTPS backend's aiohttp transport (the ``fast`` extra): httpx-aiohttp, its failures as httpx's.

``httpx_aiohttp.AiohttpTransport`` sends an ``httpx.Request`` with aiohttp's connection pool and HTTP/1.1
parser, which cost about a third less CPU per call than httpcore's. What it does not do the way the rest of
the HTTPS backend expects is fixed here, around it:

* failures: it turns most aiohttp errors into ``httpx.ConnectTimeout`` (a refused connection, a certificate
  that does not verify, a server that closed the connection after the request was sent, alike) and lets
  others (a malformed answer, a header with CR/LF) through as aiohttp's or ``ValueError``. Here each is
  raised as the httpx error httpx's own transport raises for the same failure, so the backend tells the
  caller the same thing (could not connect, TLS, timed out, the request may have run, cannot be sent);
* the session: no cookie jar (httpx's transport keeps no cookies either), no ``Accept-Encoding`` of its
  own (it would advertise codings httpx may not decode), no proxies or ``.netrc`` from the environment, and
  TLS with the context it is given (the process's shared one, see :mod:`~agentcore_mcp.client._tls`).

* the URL: aiohttp re-encodes the URL it is handed (``yarl`` turns ``%3A`` into ``:``), which would change
  the bytes a SigV4 signature covers (an invocations URL has the runtime ARN, percent-encoded, in its path).
  The backend's own URLs are sent as written: a client middleware (aiohttp's extension point) puts back
  the request target aiohttp re-encoded.

Nothing here parses HTTP, pools connections or speaks TLS: aiohttp does.
"""

from __future__ import annotations

import asyncio
import importlib.util
import ssl
from collections.abc import AsyncIterator, Iterable
from typing import TYPE_CHECKING, Literal, NoReturn

import httpx

from agentcore_mcp import _settings as settings

if TYPE_CHECKING:
    from aiohttp import ClientRequest, ClientResponse, ClientSession
    from aiohttp.client_middlewares import ClientHandlerType

__all__ = ["CHOICES", "ENV", "AiohttpTransport", "choice", "installed", "on_asyncio", "sends_as_given"]

ENV = settings.HTTP_TRANSPORT
CHOICES = ("auto", "httpx", "aiohttp")
Choice = Literal["auto", "httpx", "aiohttp"]


def installed() -> bool:
    """True when httpx-aiohttp can be imported (the ``fast`` extra); the import itself is left for later."""
    return importlib.util.find_spec("httpx_aiohttp") is not None


def choice(requested: str | None) -> Choice:
    """The transport asked for: ``requested``, else ``$AGENTCORE_MCP_HTTP_TRANSPORT``, else ``"auto"``.

    Raises:
        ValueError: a value not in :data:`CHOICES`, or ``"aiohttp"`` without httpx-aiohttp installed.
    """
    where = "http_transport=" if requested is not None else f"${ENV}"
    value = requested if requested is not None else settings.text(ENV, "auto").lower()
    if value == "auto":
        return "auto"
    if value == "httpx":
        return "httpx"
    if value == "aiohttp":
        if not installed():
            raise ValueError(
                f"{where} asks for aiohttp, which needs httpx-aiohttp: pip install 'agentcore-mcp[fast]'"
            )
        return "aiohttp"
    raise ValueError(f"{where} must be one of {', '.join(CHOICES)}, got {value!r}")


def on_asyncio() -> bool:
    """True inside a running asyncio loop (aiohttp runs on nothing else; under trio httpx is used)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def sends_as_given(url: str) -> bool:
    """True when aiohttp, left alone, sends ``url``'s path and query as written (``yarl`` requotes them)."""
    from yarl import URL

    try:
        return str(URL(url)) == url
    except ValueError:
        return False


class AiohttpTransport(httpx.AsyncBaseTransport):
    """httpx-aiohttp's transport on a session made for this backend, raising httpx's errors as httpx would.

    Args:
        limits: ``max_connections`` bounds the connections open at once (more requests wait);
            ``keepalive_expiry`` is how long an idle one is kept.
        verify: the TLS context every connection uses.
        urls: URLs whose request target goes out byte for byte as written (others as aiohttp encodes them).
    """

    def __init__(self, *, limits: httpx.Limits, verify: ssl.SSLContext, urls: Iterable[str] = ()) -> None:
        from httpx_aiohttp import AiohttpTransport as Inner
        from yarl import URL

        self._limits = limits
        self._verify = verify
        # aiohttp's form of each URL it would re-encode -> the URL as httpx writes it (and SigV4 signs it)
        written = [str(httpx.URL(url)) for url in urls]
        self._as_written = {str(URL(url)): url for url in written if not sends_as_given(url)}
        # The session is made by the inner transport on its first request, inside the running loop that
        # aiohttp binds it to (a transport is built before any loop may exist).
        self._inner = Inner(verify=verify, limits=limits, trust_env=False, client=self._session)

    def _session(self) -> ClientSession:
        import aiohttp

        # httpx's None is aiohttp's 0 for "no limit"; an idle connection is kept as long as httpx would
        # keep it (aiohttp's default, 15 s, where httpx would keep it for ever: 0 would mean never).
        expiry = self._limits.keepalive_expiry
        connector = aiohttp.TCPConnector(
            limit=self._limits.max_connections or 0, ssl=self._verify, keepalive_timeout=expiry or 15.0
        )
        return aiohttp.ClientSession(
            connector=connector,
            cookie_jar=aiohttp.DummyCookieJar(),
            skip_auto_headers=("Accept-Encoding",),
            trust_env=False,
            middlewares=(self._as_given,) if self._as_written else (),
        )

    async def _as_given(self, request: ClientRequest, handler: ClientHandlerType) -> ClientResponse:
        """Send ``request`` to its URL as written, when aiohttp has re-encoded one of ours."""
        from yarl import URL

        written = self._as_written.get(str(request.url))
        if written is not None:
            request.url = URL(written, encoded=True)  # what the request line is written from
        return await handler(request)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            response = await self._inner.handle_async_request(request)
        except Exception as exc:
            _reraise(exc)
        response.stream = _Body(response.stream)
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()


class _Body(httpx.AsyncByteStream):
    """An answer's body as aiohttp reads it, its failures raised as httpx's."""

    def __init__(self, inner: httpx.SyncByteStream | httpx.AsyncByteStream) -> None:
        assert isinstance(inner, httpx.AsyncByteStream)
        self._inner = inner

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._inner:
                yield chunk
        except Exception as exc:
            _reraise(exc)

    async def aclose(self) -> None:
        try:
            await self._inner.aclose()
        except Exception as exc:
            _reraise(exc)


def _reraise(exc: Exception) -> NoReturn:
    """Raise the httpx error for ``exc`` (from it), or ``exc`` itself when it needs none."""
    error = as_httpx_error(exc)
    if error is exc:
        raise exc
    raise error from exc


def as_httpx_error(exc: Exception) -> Exception:
    """The httpx error httpx's own transport raises for the failure behind ``exc`` (other errors as they are).

    httpx-aiohttp raises its mapped httpx error ``from`` aiohttp's, so the aiohttp error is looked for
    first in ``__cause__``: that one says what happened.
    """
    import aiohttp

    original = exc.__cause__ if isinstance(exc, httpx.HTTPError) and exc.__cause__ is not None else exc
    text = str(original) or type(original).__name__
    if isinstance(original, aiohttp.ClientSSLError):
        return httpx.ConnectError(text)  # the ssl.SSLError stays in the chain: the backend looks for it
    if isinstance(original, aiohttp.ConnectionTimeoutError):
        return httpx.ConnectTimeout(text)
    if isinstance(original, aiohttp.ServerTimeoutError):  # sock_read: silent longer than the read timeout
        return httpx.ReadTimeout(text)
    if isinstance(original, aiohttp.ClientConnectorError):  # refused, unreachable, no such host
        return httpx.ConnectError(text)
    if isinstance(original, aiohttp.ServerDisconnectedError | aiohttp.ClientResponseError):
        # closed before a whole answer arrived, or an answer that is not HTTP: the request may have run
        return httpx.RemoteProtocolError(text)
    if isinstance(original, aiohttp.InvalidURL | aiohttp.NonHttpUrlClientError):
        return httpx.UnsupportedProtocol(text)
    if isinstance(original, aiohttp.ClientError):  # reset, broken mid-body, ...: the request may have run
        return httpx.ReadError(text)
    if isinstance(original, ValueError):
        # aiohttp refuses to write a header with a control character (CR/LF would split the request)
        return httpx.LocalProtocolError(text)
    return exc
