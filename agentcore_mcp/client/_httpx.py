"""The HTTPS backend: POST to an MCP URL (a local server, the emulator, an AgentCore invocations URL) with httpx.

Authentication is any :class:`httpx.Auth`: :class:`~agentcore_mcp.client._auth.SigV4Auth` for IAM runtimes,
:class:`~agentcore_mcp.client._auth.BearerAuth` for OAuth (custom JWT) runtimes, or none for a plain server.
"""

from __future__ import annotations

import asyncio
import re
import ssl
from collections.abc import AsyncIterator, Awaitable, Iterable, Mapping
from importlib.metadata import version
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import unquote, urlsplit
from urllib.request import getproxies, proxy_bypass

import httpcore
import httpx
from pydantic_core import to_json

from agentcore_mcp._session import new_session_id
from agentcore_mcp.client._backend import (
    BufferedReply,
    ConnectionFailed,
    Exchange,
    Reply,
    TransportError,
    TransportTimeout,
)
from agentcore_mcp.client.aio import on_asyncio, wait_until

if TYPE_CHECKING:
    from agentcore_mcp.client.fast import FastHttpTransport

__all__ = ["HttpxBackend", "describe_url"]

T = TypeVar("T")

ACCEPT = "application/json, text/event-stream"
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
        except httpx.TimeoutException as exc:
            raise TransportTimeout(f"the server went silent mid-answer ({type(exc).__name__})") from exc
        except httpx.HTTPError as exc:
            raise ConnectionFailed(
                f"the connection broke mid-answer: {_describe(exc)}", may_have_run=True
            ) from exc

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
    ) -> None:
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
        # Our own client, no auth and no proxy for the URL: requests go straight to the client's transport
        # (the same httpx/httpcore connection pool), skipping the client's auth, redirect and cookie layers.
        self._direct_ok = http_client is None and auth is None and not proxied(url)
        self._direct: httpx.AsyncBaseTransport | None = None
        self._fast: FastHttpTransport | None = None  # _direct, when it is a FastHttpTransport
        self._client = http_client or self._new_client()
        self._headers = {"accept": ACCEPT, "content-type": "application/json", "user-agent": USER_AGENT}
        self._headers.update({k.lower(): v for k, v in (headers or {}).items()})

    def _new_client(self) -> httpx.AsyncClient:
        limits = httpx.Limits(max_connections=self._max_connections, max_keepalive_connections=20)
        transport: httpx.AsyncBaseTransport
        from agentcore_mcp.client.fast import FastHttpTransport, httptools_available

        if httptools_available():  # the `fast` extra: our httptools connections (httpcore's under trio)
            transport = FastHttpTransport(limits=limits)
        else:
            transport = PoolTransport(limits=limits)
        self._direct = transport if self._direct_ok else None
        self._fast = transport if self._direct_ok and isinstance(transport, FastHttpTransport) else None
        return httpx.AsyncClient(
            timeout=self._timeout, limits=limits, follow_redirects=False, transport=transport
        )

    @property
    def client(self) -> httpx.AsyncClient:
        """The ``httpx.AsyncClient`` in use (one this backend owns is re-created after :meth:`aclose`)."""
        if self._owns_client and self._client.is_closed:
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
        fast = self._fast
        if fast is not None and not self._client.is_closed:
            # our own FastHttpTransport: an unencoded answer comes back as a Reply, no httpx.Response built
            answer = await self._guard(fast.send_for_backend(request))
            if not isinstance(answer, httpx.Response):
                return answer
            response = answer
        else:
            response = await self._send(request)
        if response.status_code == 200 and response.headers.get("content-type", "").startswith(
            "application/json"
        ):
            # The common case: read the small JSON body here, so the caller's parse does no more I/O.
            try:
                if self._direct is not None and "content-encoding" not in response.headers:
                    # our own transport's stream, nothing to decode: skip httpx's decoder and chunker layers
                    try:
                        body = b"".join([chunk async for chunk in response.stream])  # type: ignore[union-attr]
                    finally:
                        await response.aclose()
                else:
                    body = await response.aread()
            except httpx.TimeoutException as exc:
                raise TransportTimeout(f"the server went silent mid-answer ({type(exc).__name__})") from exc
            except httpx.HTTPError as exc:
                raise ConnectionFailed(
                    f"the connection broke mid-answer: {_describe(exc)}", may_have_run=True
                ) from exc
            return BufferedReply(response.status_code, response.headers, body)
        return _HttpxReply(response)

    async def _send(self, request: httpx.Request) -> httpx.Response:
        auth: Any = self.auth if self.auth is not None else httpx.USE_CLIENT_DEFAULT
        client = self.client
        if self._direct is not None:
            return await self._guard(self._direct.handle_async_request(request))
        return await self._guard(client.send(request, auth=auth, stream=True))

    async def _guard(self, sending: Awaitable[T]) -> T:
        """Await ``sending`` (one request, until its answer's headers), httpx's exceptions as TransportErrors."""
        try:
            return await sending
        except httpx.ConnectError as exc:
            if isinstance(exc.__context__, ssl.SSLError) or "CERTIFICATE_VERIFY_FAILED" in str(exc):
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
                "accept": "application/json",
                "x-amzn-bedrock-agentcore-runtime-session-id": runtime_session_id,
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
        if self._owns_client and not self._client.is_closed:
            await self._client.aclose()


# -- the connection pool of clients this backend creates ----------------------------------------------------
#
# httpx's own AsyncHTTPTransport runs httpcore over anyio streams: every read and write opens a timeout
# cancel scope, the request head and body go out in two sends, and each idle connection in the pool is
# polled with select() (a dict of all its socket attributes built first) every time the pool hands out or
# takes back a connection. PoolTransport is the same httpcore pool (HTTP/1.1 by h11, keep-alive, limits,
# TLS, timeouts) over asyncio protocol streams instead: a read waits on a future, writes are buffered until
# the response is read (one send per request), and "is this idle connection readable" is an attribute.
# Other event loops (trio) get httpcore's anyio streams.


class PoolTransport(httpx.AsyncBaseTransport):
    """An ``httpx`` transport: an ``httpcore`` HTTP/1.1 connection pool over asyncio protocol streams."""

    def __init__(self, *, limits: httpx.Limits, verify: ssl.SSLContext | bool = True) -> None:
        ssl_context = (
            verify if isinstance(verify, ssl.SSLContext) else httpx.create_ssl_context(verify=verify)
        )
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            http1=True,
            http2=False,
            network_backend=_AsyncioNetwork(),
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        core_request = httpcore.Request(
            method=request.method,
            url=httpcore.URL(scheme=url.raw_scheme, host=url.raw_host, port=url.port, target=url.raw_path),
            headers=request.headers.raw,
            content=request.stream,
            extensions=request.extensions,
        )
        try:
            response = await self._pool.handle_async_request(core_request)
        except httpcore.TimeoutException as exc:  # (subclasses first: httpx has one class per httpcore class)
            raise _as_httpx(exc) from exc
        except (httpcore.NetworkError, httpcore.ProtocolError, httpcore.UnsupportedProtocol) as exc:
            raise _as_httpx(exc) from exc
        return httpx.Response(
            status_code=response.status,
            headers=response.headers,
            stream=_ResponseStream(response.stream),
            extensions=response.extensions,
        )

    async def aclose(self) -> None:
        await self._pool.aclose()


def _as_httpx(exc: Exception) -> httpx.HTTPError:
    """The httpx exception of the same name as an httpcore one (httpx's own mapping does the same)."""
    for cls in type(exc).__mro__:
        mapped = getattr(httpx, cls.__name__, None)
        if isinstance(mapped, type) and issubclass(mapped, httpx.HTTPError):
            return mapped(str(exc))
    return httpx.TransportError(str(exc))


class _ResponseStream(httpx.AsyncByteStream):
    __slots__ = ("_stream",)

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self._stream:
                yield chunk
        except (httpcore.TimeoutException, httpcore.NetworkError, httpcore.ProtocolError) as exc:
            raise _as_httpx(exc) from exc

    async def aclose(self) -> None:
        await self._stream.aclose()


class _Protocol(asyncio.Protocol):
    """The receiving half of one connection: bytes in a buffer, a future to wake the one reader."""

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.eof = False
        self.error: Exception | None = None
        self.waiter: asyncio.Future[None] | None = None
        self.paused = False
        self.reading_paused = False
        self.drained: asyncio.Future[None] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport: Any = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if len(self.buffer) > _READ_AHEAD and not self.reading_paused:
            self.reading_paused = True  # the reader is slower than the server: stop reading the socket
            self.transport.pause_reading()
        self._wake()

    def eof_received(self) -> bool:
        self.eof = True
        self._wake()
        return False  # close the transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.eof = True
        self.error = exc
        self._wake()
        self.resume_writing()

    def pause_writing(self) -> None:
        self.paused = True

    def resume_writing(self) -> None:
        self.paused = False
        drained, self.drained = self.drained, None
        if drained is not None and not drained.done():
            drained.set_result(None)

    def _wake(self) -> None:
        waiter, self.waiter = self.waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)


_FLUSH_AT = 1 << 16  # buffered request bytes sent before the response is read
_READ_AHEAD = 1 << 20  # received bytes held before the socket is no longer read


class _AsyncioStream(httpcore.AsyncNetworkStream):
    """One connection as httpcore sees it (writes are sent when the response is read, or at 64 KB)."""

    def __init__(self, transport: asyncio.Transport, protocol: _Protocol) -> None:
        self._transport = transport
        self._protocol = protocol
        self._pending: list[bytes] = []
        self._pending_size = 0

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        protocol = self._protocol
        if self._pending:
            await self._flush(timeout)
        if not protocol.buffer and not protocol.eof:
            protocol.waiter = asyncio.get_running_loop().create_future()
            try:
                await wait_until(protocol.waiter, timeout)
            except TimeoutError as exc:
                raise httpcore.ReadTimeout(f"no data for {timeout:g} s") from exc
            finally:
                protocol.waiter = None
        buffer = protocol.buffer
        if buffer:
            if len(buffer) <= max_bytes:
                data = bytes(buffer)
                buffer.clear()
            else:
                data = bytes(buffer[:max_bytes])
                del buffer[:max_bytes]
            if protocol.reading_paused and len(buffer) <= _READ_AHEAD // 4:
                protocol.reading_paused = False
                protocol.transport.resume_reading()
            return data
        if protocol.error is not None:
            raise httpcore.ReadError(_describe(protocol.error))
        return b""

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        self._pending.append(buffer)
        self._pending_size += len(buffer)
        if self._pending_size >= _FLUSH_AT:
            await self._flush(timeout)

    async def _flush(self, timeout: float | None) -> None:
        data = b"".join(self._pending) if len(self._pending) > 1 else self._pending[0]
        self._pending.clear()
        self._pending_size = 0
        protocol = self._protocol
        if self._transport.is_closing() or (protocol.eof and protocol.error is not None):
            raise httpcore.WriteError(
                _describe(protocol.error) if protocol.error else "the connection is closed"
            )
        self._transport.write(data)
        if protocol.paused:
            protocol.drained = asyncio.get_running_loop().create_future()
            try:
                await wait_until(protocol.drained, timeout)
            except TimeoutError as exc:
                raise httpcore.WriteTimeout(f"the server took no data for {timeout:g} s") from exc
            if protocol.error is not None:
                raise httpcore.WriteError(_describe(protocol.error))

    async def aclose(self) -> None:
        self._pending.clear()
        self._transport.close()

    async def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        try:
            transport = await loop.start_tls(
                self._transport,
                self._protocol,
                ssl_context,
                server_hostname=server_hostname,
                ssl_handshake_timeout=timeout,
            )
        except (TimeoutError, asyncio.TimeoutError) as exc:
            self._transport.close()
            raise httpcore.ConnectTimeout(_describe(exc)) from exc
        except (OSError, ConnectionError) as exc:  # ssl.SSLError is an OSError
            self._transport.close()
            raise httpcore.ConnectError(_describe(exc)) from exc
        if transport is None:  # the connection closed during the handshake
            raise httpcore.ConnectError("the connection closed during the TLS handshake")
        self._protocol.transport = transport  # flow control now goes through the TLS layer
        return _AsyncioStream(transport, self._protocol)

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable":  # idle and readable: the server closed it or sent something unasked
            return bool(self._protocol.buffer) or self._protocol.eof
        if info == "ssl_object":
            return self._transport.get_extra_info("ssl_object")
        if info == "client_addr":
            return self._transport.get_extra_info("sockname")
        if info == "server_addr":
            return self._transport.get_extra_info("peername")
        if info == "socket":
            return self._transport.get_extra_info("socket")
        return None


class _AsyncioNetwork(httpcore.AsyncNetworkBackend):
    """httpcore's network backend on asyncio protocols; anyio streams under other event loops."""

    def __init__(self) -> None:
        self._other = httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        if not on_asyncio():
            return await self._other.connect_tcp(host, port, timeout, local_address, socket_options)
        loop = asyncio.get_running_loop()
        try:
            transport, protocol = await asyncio.wait_for(
                loop.create_connection(
                    _Protocol, host, port, local_addr=None if local_address is None else (local_address, 0)
                ),
                timeout,
            )
        except (TimeoutError, asyncio.TimeoutError) as exc:
            raise httpcore.ConnectTimeout(_describe(exc)) from exc
        except OSError as exc:
            raise httpcore.ConnectError(_describe(exc)) from exc
        if socket_options:
            sock = transport.get_extra_info("socket")
            for option in socket_options:
                sock.setsockopt(*option)
        return _AsyncioStream(transport, protocol)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        return await self._other.connect_unix_socket(path, timeout, socket_options)

    async def sleep(self, seconds: float) -> None:
        await self._other.sleep(seconds)


def proxied(url: str) -> bool:
    """True when the environment names a proxy for ``url`` (httpx would route it there)."""
    parts = urlsplit(url)
    proxies = getproxies()
    proxy = proxies.get(parts.scheme) or proxies.get("all")
    return bool(proxy) and not (parts.hostname and proxy_bypass(parts.hostname))


def describe_url(url: str) -> str:
    """``runtime ARN (HTTPS at host)`` for an invocations URL, else the URL without its query."""
    base = url.split("?", 1)[0]
    match = re.search(r"^(https?://[^/]+).*/runtimes/([^/]+)/invocations/?$", base)
    if match is None:
        return base
    return f"runtime {unquote(match.group(2))} (HTTPS at {match.group(1)})"


def _describe(exc: BaseException) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
