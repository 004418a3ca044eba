"""A lean HTTP/1.1 client: keep-alive connections on asyncio, responses parsed by httptools.

An MCP call is one small POST and one small answer; httpx spends about half a millisecond of Python on
each, more than the MCP client session and the server together. This module carries requests with a tenth
of that, in two shapes sharing one connection pool (:class:`_Pool`, :class:`_Connection`):

* :class:`FastHttpBackend`, what the transport uses when it can: POST with a ``Content-Length`` to one
  origin (http or https), JSON answers read whole and SSE answers streamed as they arrive, ``httpx.Auth``
  flows (SigV4, bearer tokens) run on a lightweight ``httpx.Request``;
* :class:`FastHttpTransport`, an ``httpx`` transport (``httpx.AsyncClient(transport=FastHttpTransport())``):
  any method, streamed request and response bodies, httpx's timeouts and exceptions. The httpx backend's
  own clients send through it.

What the backend leaves to :class:`~agentcore_mcp.client._httpx.HttpxBackend` (the transport falls back to
it): proxies (``HTTPS_PROXY`` and friends), a caller's own ``httpx.AsyncClient``, event loops other than
asyncio, environments without httptools (the ``fast`` extra). Neither follows redirects (neither does the
transport on httpx). The backend sends no ``Accept-Encoding`` (an answer compressed anyway is still decoded);
the httpx transport hands bodies to httpx as they came, and httpx decodes them.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import os
import ssl
import time
import zlib
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx

from agentcore_mcp.client._backend import (
    BufferedReply,
    ConnectionFailed,
    Exchange,
    Reply,
    TransportError,
    TransportTimeout,
)
from agentcore_mcp.client._httpx import (
    ACCEPT,
    USER_AGENT,
    HttpxBackend,
    PoolTransport,
    _describe,
    describe_url,
    proxied,
)
from agentcore_mcp.client.aio import on_asyncio, wait_until

__all__ = ["FastHttpBackend", "FastHttpTransport", "fast_path_available", "httptools_available"]

KEEPALIVE_EXPIRY = 4.0  # seconds an idle connection is reused (uvicorn closes idle ones after 5)
MAX_IDLE = 32
_READ_AHEAD = 1 << 20  # answer bytes held unread before the socket is no longer read (resumed at a quarter)


def httptools_available() -> bool:
    """True when httptools (the ``fast`` extra) can be imported."""
    try:
        import httptools  # noqa: F401
    except ImportError:
        return False
    return True


def fast_path_available(url: str) -> bool:
    """True when :class:`FastHttpBackend` can carry requests to ``url`` (httptools present, no proxy)."""
    if not httptools_available():
        return False
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    return not proxied(url)


# -- the shared core: one answer, one connection, a pool per origin -------------------------------------------
#
# Failures are httpx's exceptions (the transport hands them on; the backend turns them into TransportErrors).


class _Reply:
    """One answer as it arrives: status and headers first, then body chunks (or a failure)."""

    __slots__ = (
        "_waiter",
        "buffered",
        "chunks",
        "close_after",
        "complete",
        "connection",
        "error",
        "head_only",
        "headers_done",
        "raw_headers",
        "read_timeout",
        "reason",
        "received",
        "status",
        "until_eof",
    )

    def __init__(self, connection: _Connection, read_timeout: float | None, head_only: bool = False) -> None:
        self.connection = connection
        self.read_timeout = read_timeout
        self.head_only = head_only  # the answer to HEAD: no body, whatever the headers say
        self.close_after = False  # the request said "Connection: close": the connection ends with it
        self.status = 0
        self.reason = b""
        self.raw_headers: list[tuple[bytes, bytes]] = []
        self.headers_done = False
        self.until_eof = False  # the body ends when the connection closes (no length, not chunked)
        self.chunks: collections.deque[bytes] = collections.deque()
        self.buffered = 0
        self.complete = False
        self.error: Exception | None = None
        self.received = 0
        self._waiter: asyncio.Future[None] | None = None

    def fail(self, error: Exception) -> None:
        if not self.complete and self.error is None:
            self.error = error

    def wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def wait(self) -> None:
        """Until something new arrived (or the answer ended or failed); silence past the read timeout aborts."""
        self._waiter = asyncio.get_running_loop().create_future()
        timeout = self.read_timeout
        try:
            await wait_until(self._waiter, timeout)
        except TimeoutError:
            self.connection.abort()
            raise httpx.ReadTimeout(f"the server went silent for more than {timeout:g} s") from None
        finally:
            self._waiter = None

    async def wait_headers(self) -> None:
        while not self.headers_done:
            if self.error is not None:
                raise self.error
            await self.wait()

    def take(self) -> bytes:
        """The oldest unread chunk (resuming reading the socket once most of the read-ahead is read)."""
        chunk = self.chunks.popleft()
        self.buffered -= len(chunk)
        connection = self.connection
        if connection.reading_paused and self.buffered <= _READ_AHEAD // 4:
            connection.resume()
        return chunk

    async def aiter_raw(self) -> AsyncIterator[bytes]:
        while True:
            if self.chunks:
                yield self.take()
            elif self.complete:
                return
            elif self.error is not None:
                raise self.error
            else:
                await self.wait()

    def discard(self) -> None:
        """The rest of this answer is unwanted: drop the connection (the server sees a disconnect)."""
        if not self.complete:
            self.connection.abort()


class _Connection(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection; httptools calls the ``on_*`` methods while parsing."""

    def __init__(self, pool: _Pool) -> None:
        import httptools

        self._pool = pool
        self._new_parser: Callable[[Any], Any] = httptools.HttpResponseParser
        self._parser = httptools.HttpResponseParser(self)
        self._parser_error: type[Exception] = httptools.HttpParserError
        self.transport: asyncio.Transport | None = None
        self.reply: _Reply | None = None
        self.closed = False
        self.idle_since = time.monotonic()
        self.uses = 0
        self.permit: asyncio.Semaphore | None = None  # held while a request is in flight on this connection
        self.reading_paused = False
        self.writing_paused = False
        self.writing = False  # a request body is still going out
        self._drained: asyncio.Future[None] | None = None
        self._reset_parser = False

    def end_use(self) -> None:
        """Give back the connection-limit permit of the request in flight (once)."""
        permit, self.permit = self.permit, None
        if permit is not None:
            permit.release()

    def start(self, reply: _Reply, data: bytes) -> None:
        """Send a request (its head, and its body when it is in memory) whose answer is ``reply``."""
        assert self.transport is not None
        self.reply = reply
        self.uses += 1
        self.transport.write(data)

    async def write(self, data: bytes, timeout: float | None) -> None:
        """Send more of a request body, waiting (up to ``timeout``) while the server takes no data."""
        if self.closed or self.transport is None:
            raise httpx.WriteError("the connection closed while the request was sent")
        self.transport.write(data)
        if self.writing_paused:
            self._drained = asyncio.get_running_loop().create_future()
            try:
                await wait_until(self._drained, timeout)
            except TimeoutError:
                self.abort()
                raise httpx.WriteTimeout(f"the server took no data for {timeout:g} s") from None
            if self.closed:
                raise httpx.WriteError("the connection closed while the request was sent")

    def resume(self) -> None:
        self.reading_paused = False
        if self.transport is not None and not self.closed:
            self.transport.resume_reading()

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def pause_writing(self) -> None:
        self.writing_paused = True

    def resume_writing(self) -> None:
        self.writing_paused = False
        drained, self._drained = self._drained, None
        if drained is not None and not drained.done():
            drained.set_result(None)

    def data_received(self, data: bytes) -> None:
        reply = self.reply
        if reply is None:  # nothing was asked: a server speaking out of turn
            self.abort()
            return
        reply.received += len(data)
        try:
            self._parser.feed_data(data)
        except self._parser_error as exc:
            reply.fail(httpx.RemoteProtocolError(f"malformed HTTP answer: {exc}"))
            self.abort()
        if self._reset_parser:  # a HEAD answer ended with its headers; the parser still expects a body
            self._reset_parser = False
            self._parser = self._new_parser(self)
        if (
            reply.buffered > _READ_AHEAD
            and not reply.complete
            and not self.reading_paused
            and not self.closed
        ):
            self.reading_paused = True  # the reader is slower than the server: stop reading the socket
            assert self.transport is not None
            self.transport.pause_reading()
        reply.wake()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.end_use()
        self.resume_writing()
        reply = self.reply
        if reply is None:
            return
        self.reply = None
        if reply.headers_done and not reply.complete and reply.until_eof:
            reply.complete = True  # a body delimited by the connection closing
            reply.wake()
            return
        detail = f": {_describe(exc)}" if exc else ""
        if reply.received == 0:
            error: Exception = httpx.RemoteProtocolError(f"the connection closed before any answer{detail}")
        elif exc is None:
            error = httpx.RemoteProtocolError("the connection closed mid-answer")
        else:
            error = httpx.ReadError(f"the connection broke mid-answer{detail}")
        reply.fail(error)
        reply.wake()

    # httptools callbacks
    def on_status(self, status: bytes) -> None:
        assert self.reply is not None
        self.reply.reason += status

    def on_header(self, name: bytes, value: bytes) -> None:
        reply = self.reply
        assert reply is not None
        if not reply.headers_done:  # (after them: the trailer fields of a chunked body)
            reply.raw_headers.append((name, value))

    def on_headers_complete(self) -> None:
        reply = self.reply
        assert reply is not None
        status = self._parser.get_status_code()
        if status < 200:  # 100 Continue, 103 Early Hints: the answer follows
            reply.raw_headers = []
            reply.reason = b""
            return
        reply.status = status
        reply.headers_done = True
        if reply.head_only:
            self._reset_parser = True
            self.on_message_complete()
            return
        until_eof = True
        for name, value in reply.raw_headers:
            lowered = name.lower()
            if lowered == b"content-length" or (
                lowered == b"transfer-encoding" and b"chunked" in value.lower()
            ):
                until_eof = False
        reply.until_eof = until_eof and status not in (204, 304)

    def on_body(self, body: bytes) -> None:
        reply = self.reply
        if reply is None:  # (after a HEAD answer)
            return
        reply.chunks.append(body)
        reply.buffered += len(body)

    def on_message_complete(self) -> None:
        reply = self.reply
        if reply is None or not reply.headers_done:  # the end of a 1xx answer (or of a HEAD answer, again)
            return
        reply.complete = True
        self.reply = None
        self.end_use()
        if (
            self._parser.should_keep_alive()
            and not reply.close_after
            and not self.writing  # answered before the body was sent: the connection cannot be reused
            and not self.closed
            and not self.reading_paused
        ):
            self._pool.release(self)
        else:
            self.abort()

    def abort(self) -> None:
        self.closed = True
        self.end_use()
        if self.transport is not None:
            self.transport.close()


class _Pool:
    """Keep-alive connections to one origin, at most ``max_connections`` of them busy at once."""

    def __init__(
        self,
        host: str,
        port: int,
        ssl_context: Callable[[], ssl.SSLContext] | None,
        *,
        max_connections: int,
        keepalive_expiry: float = KEEPALIVE_EXPIRY,
        max_idle: int = MAX_IDLE,
    ) -> None:
        self.host = host
        self.port = port
        self._ssl = ssl_context
        self.max_connections = max_connections
        self.keepalive_expiry = keepalive_expiry
        self.max_idle = max_idle
        self.connections_opened = 0
        self.closed = False
        self._idle: list[_Connection] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._limit: asyncio.Semaphore | None = None

    async def acquire(self, connect_timeout: float | None, pool_timeout: float | None = None) -> _Connection:
        """A live connection, its permit held (give it back with ``end_use``, or by finishing the answer)."""
        limit = self._limit_for_loop()
        if limit.locked() and pool_timeout is not None:
            try:
                await asyncio.wait_for(limit.acquire(), pool_timeout)
            except (TimeoutError, asyncio.TimeoutError):
                raise httpx.PoolTimeout(
                    f"no free connection to {self.host}:{self.port} within {pool_timeout:g} s"
                ) from None
        else:
            await limit.acquire()
        try:
            connection = self._idle_connection() or await self._connect(connect_timeout)
        except BaseException:
            limit.release()
            raise
        connection.permit = limit
        return connection

    def _idle_connection(self) -> _Connection | None:
        now = time.monotonic()
        idle = self._idle
        while idle:
            connection = idle.pop()
            transport = connection.transport
            if (
                not connection.closed
                and now - connection.idle_since < self.keepalive_expiry
                and transport is not None
                and not transport.is_closing()
            ):
                return connection
            connection.abort()
        return None

    async def _connect(self, timeout: float | None) -> _Connection:
        loop = asyncio.get_running_loop()
        context = self._ssl() if self._ssl is not None else None
        try:
            _, protocol = await asyncio.wait_for(
                loop.create_connection(
                    lambda: _Connection(self),
                    self.host,
                    self.port,
                    ssl=context,
                    server_hostname=self.host if context is not None else None,
                ),
                timeout,
            )
        except (TimeoutError, asyncio.TimeoutError):
            raise httpx.ConnectTimeout(f"no connection within {timeout:g} s") from None
        except OSError as exc:  # ssl.SSLError is one
            raise httpx.ConnectError(_describe(exc)) from exc
        self.connections_opened += 1
        return protocol

    def _limit_for_loop(self) -> asyncio.Semaphore:
        """The connection limit of the running loop (a new loop starts with a new pool)."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop or self._limit is None:
            self._loop = loop
            stale, self._idle = self._idle, []
            for connection in stale:  # sockets of an earlier loop (which may be closed by now)
                with contextlib.suppress(Exception):
                    connection.abort()
            self._limit = asyncio.Semaphore(self.max_connections)
        return self._limit

    def release(self, connection: _Connection) -> None:
        connection.idle_since = time.monotonic()
        if self.closed or len(self._idle) >= self.max_idle:
            connection.abort()
        else:
            self._idle.append(connection)

    def close(self) -> None:
        """Close the idle connections now, and every busy one as its answer ends."""
        self.closed = True
        idle, self._idle = self._idle, []
        for connection in idle:
            connection.abort()


def _default_ssl_context() -> ssl.SSLContext:
    cafile = os.environ.get("SSL_CERT_FILE")
    if cafile is None:
        try:
            import certifi

            cafile = certifi.where()
        except ImportError:
            cafile = None
    return ssl.create_default_context(cafile=cafile)


# -- the lean backend -----------------------------------------------------------------------------------------


def _header_map(raw: list[tuple[bytes, bytes]]) -> dict[str, str]:
    """Lower-case names to values; a repeated header's values joined with ", " (as httpx reads them)."""
    fields: dict[str, str] = {}
    for name, value in raw:
        key, text = name.decode("latin-1").lower(), value.decode("latin-1")
        fields[key] = f"{fields[key]}, {text}" if key in fields else text
    return fields


def _decoder(headers: Mapping[str, str]) -> Any:
    encoding = headers.get("content-encoding", "identity").lower()
    if encoding in ("gzip", "x-gzip"):
        return zlib.decompressobj(zlib.MAX_WBITS | 16)
    if encoding == "deflate":
        return zlib.decompressobj()
    return None


class _StreamedReply:
    """An answer still arriving, as a :class:`~agentcore_mcp.client._backend.Reply` (decoded, TransportErrors)."""

    __slots__ = ("_decoder", "_reply", "headers", "status")

    def __init__(self, reply: _Reply, headers: Mapping[str, str]) -> None:
        self._reply = reply
        self.status = reply.status
        self.headers = headers
        self._decoder = _decoder(headers)

    async def aiter_bytes(self) -> AsyncIterator[bytes]:
        decoder = self._decoder
        try:
            async for chunk in self._reply.aiter_raw():
                data = chunk if decoder is None else decoder.decompress(chunk)
                if data:
                    yield data
        except httpx.TimeoutException as exc:
            raise TransportTimeout(f"{exc} (read_timeout=)") from None
        except httpx.TransportError as exc:
            raise ConnectionFailed(str(exc), may_have_run=True) from exc
        if decoder is not None:
            tail = decoder.flush()
            if tail:
                yield tail

    async def aread(self) -> bytes:
        return b"".join([chunk async for chunk in self.aiter_bytes()])

    async def aclose(self) -> None:
        self._reply.discard()


class FastHttpBackend:
    """POSTs to one MCP endpoint over pooled keep-alive HTTP/1.1 connections (see the module docs).

    Args:
        url: the MCP endpoint (http or https).
        auth: an ``httpx.Auth`` (SigV4, bearer), or None.
        headers: static headers added to every request.
        connect_timeout / read_timeout: seconds to connect, and of silence while an answer arrives.
        stop_url: where StopRuntimeSession is POSTed (same origin), or None.
        ssl_context: the TLS settings for https (default: certifi's trust store, or ``SSL_CERT_FILE``).
        max_connections: requests in flight at once (more wait for a free connection).
    """

    def __init__(
        self,
        url: str,
        *,
        auth: httpx.Auth | None = None,
        headers: Mapping[str, str] | None = None,
        connect_timeout: float = 10.0,
        read_timeout: float | None = 300.0,
        stop_url: str | None = None,
        ssl_context: ssl.SSLContext | None = None,
        max_connections: int = 100,
    ) -> None:
        if max_connections < 1:
            raise ValueError(f"max_connections must be at least 1, got {max_connections}")
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {url!r}")
        self.url = url
        self.description = describe_url(url)
        self.auth = auth
        self.stop_url = stop_url
        self.supports_stop = stop_url is not None
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        tls = parts.scheme == "https"
        port = parts.port or (443 if tls else 80)
        default_port = parts.port is None or parts.port == (443 if tls else 80)
        host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
        self._host_header = (host if default_port else f"{host}:{port}").encode("idna")
        self._ssl = ssl_context
        self._pool = _Pool(
            parts.hostname, port, self._ssl_context if tls else None, max_connections=max_connections
        )
        self._headers = {"accept": ACCEPT, "content-type": "application/json", "user-agent": USER_AGENT}
        self._headers.update({k.lower(): v for k, v in (headers or {}).items()})
        self._fallback: HttpxBackend | None = None
        self.max_connections = max_connections

    @property
    def connections_opened(self) -> int:
        return self._pool.connections_opened

    # -- the Backend protocol -------------------------------------------------------------------------

    async def send(self, exchange: Exchange) -> Reply:
        if not on_asyncio():  # (trio): httpx runs anywhere anyio does
            return await self._httpx().send(exchange)
        return await self._post(self.url, {**self._headers, **exchange.headers}, exchange.body)

    async def stop_session(self, runtime_session_id: str) -> None:
        if self.stop_url is None:
            raise TransportError(
                f"{self.description} is not an AgentCore runtime; there is no session to stop"
            )
        from pydantic_core import to_json

        from agentcore_mcp._session import new_session_id

        headers = {
            **self._headers,
            "accept": "application/json",
            "x-amzn-bedrock-agentcore-runtime-session-id": runtime_session_id,
        }
        reply = await self._post(self.stop_url, headers, to_json({"clientToken": new_session_id()}))
        body = await reply.aread()
        if reply.status >= 300:
            raise TransportError(
                f"StopRuntimeSession failed with HTTP {reply.status}: {body[:500].decode(errors='replace')}"
            )

    async def aclose(self) -> None:
        self._pool.close()
        if self._fallback is not None:
            await self._fallback.aclose()

    # -- internals ------------------------------------------------------------------------------------

    def _httpx(self) -> HttpxBackend:
        if self._fallback is None:
            self._fallback = HttpxBackend(
                self.url,
                auth=self.auth,
                headers=self._headers,
                timeout=httpx.Timeout(self.read_timeout, connect=self.connect_timeout),
                stop_url=self.stop_url,
            )
        return self._fallback

    async def _post(self, url: str, headers: dict[str, str], body: bytes) -> Reply:
        if self.auth is None:
            return await self._exchange(_target(url), headers, body)
        request = httpx.Request("POST", url, headers=headers, content=body)
        flow = self.auth.async_auth_flow(request)
        try:
            request = await flow.__anext__()
            while True:
                signed = {name.lower(): value for name, value in request.headers.items()}
                reply = await self._exchange(request.url.raw_path, signed, request.content)
                if reply.status != 401:
                    return reply
                # only a 401 can make an auth flow retry; its body is small
                data = await reply.aread()
                response = httpx.Response(reply.status, headers=reply.headers, content=data, request=request)
                try:
                    request = await flow.asend(response)
                except StopAsyncIteration:
                    return BufferedReply(reply.status, reply.headers, data)
        finally:
            await flow.aclose()

    async def _exchange(self, target: bytes, headers: Mapping[str, str], body: bytes) -> Reply:
        try:
            connection = await self._pool.acquire(self.connect_timeout)
        except httpx.ConnectTimeout:
            raise ConnectionFailed(
                f"could not connect to {self.description} within {self.connect_timeout:g} s",
                may_have_run=False,
            ) from None
        except httpx.ConnectError as exc:
            cause = exc.__cause__
            if isinstance(cause, ssl.SSLError):  # a certificate problem does not go away by retrying
                raise TransportError(f"TLS with {self.description} failed: {cause}") from cause
            raise ConnectionFailed(
                f"could not connect to {self.description}: {exc}", may_have_run=False
            ) from (cause or exc)
        reply = _Reply(connection, self.read_timeout)
        try:
            try:
                connection.start(reply, self._head(target, headers, len(body)) + body)
                await reply.wait_headers()
            except BaseException:
                connection.abort()
                raise
        except httpx.TimeoutException as exc:
            raise TransportTimeout(f"{exc} (read_timeout=)") from None
        except httpx.TransportError as exc:
            raise ConnectionFailed(str(exc), may_have_run=True) from exc
        fields = _header_map(reply.raw_headers)
        if reply.complete:
            data = b"".join(reply.chunks)
            decoder = _decoder(fields)
            if decoder is not None:
                data = decoder.decompress(data) + decoder.flush()
            return BufferedReply(reply.status, fields, data)
        return _StreamedReply(reply, fields)

    def _head(self, target: bytes, headers: Mapping[str, str], length: int) -> bytes:
        lines = [b"POST ", target, b" HTTP/1.1\r\nhost: ", self._host_header, b"\r\n"]
        for name, value in headers.items():
            if name in ("host", "content-length", "transfer-encoding", "connection"):
                continue
            if "\r" in value or "\n" in value or "\r" in name or "\n" in name or ":" in name:
                raise TransportError(f"the header {name!r} has a value that cannot be sent: {value[:100]!r}")
            try:
                lines += [name.encode("latin-1"), b": ", value.encode("latin-1"), b"\r\n"]
            except UnicodeEncodeError:
                raise TransportError(
                    f"the header {name!r} has characters HTTP/1.1 cannot carry: {value[:100]!r}"
                ) from None
        lines.append(b"content-length: %d\r\n\r\n" % length)
        return b"".join(lines)

    def _ssl_context(self) -> ssl.SSLContext:
        if self._ssl is None:
            self._ssl = _default_ssl_context()
        return self._ssl


def _target(url: str) -> bytes:
    """The request target (path and query, exactly as written) of ``url``."""
    parts = urlsplit(url)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    return target.encode("ascii")


# -- the httpx transport --------------------------------------------------------------------------------------


class FastHttpTransport(httpx.AsyncBaseTransport):
    """An ``httpx`` transport on this module's HTTP/1.1 connections (needs httptools: the ``fast`` extra).

    ``httpx.AsyncClient(transport=FastHttpTransport())`` sends any request (bodies in memory or streamed)
    over keep-alive connections per origin, http or https, and streams answers as they arrive. It honours
    the request's timeouts (connect, read, write, pool) and raises httpx's exceptions. HTTP/1.1 only, and
    no proxies (give httpx its own transport for those). Under an event loop other than asyncio (trio) it
    hands requests to httpcore's pool instead.

    Args:
        verify: True (certifi's trust store, or ``SSL_CERT_FILE``), False (no verification), a CA bundle
            path, or an ``ssl.SSLContext``.
        limits: ``max_connections`` (requests in flight at once, per origin; more wait, up to the pool
            timeout), ``max_keepalive_connections`` (idle ones kept, per origin) and ``keepalive_expiry``
            (seconds an idle one is reused; at most 4, below the 5 s after which uvicorn closes them).
    """

    def __init__(
        self, *, verify: ssl.SSLContext | str | bool = True, limits: httpx.Limits | None = None
    ) -> None:
        if not httptools_available():
            raise RuntimeError("FastHttpTransport needs httptools: pip install 'agentcore-mcp[fast]'")
        self._limits = limits or httpx.Limits(max_connections=100, max_keepalive_connections=20)
        self._verify = verify
        self._ssl: ssl.SSLContext | None = verify if isinstance(verify, ssl.SSLContext) else None
        self._pools: dict[tuple[bytes, bytes, int], _Pool] = {}
        self._fallback: PoolTransport | None = None
        self._closed = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if not on_asyncio():
            if self._fallback is None:
                self._fallback = PoolTransport(limits=self._limits, verify=self._ssl_context())
            return await self._fallback.handle_async_request(request)
        reply = await self.exchange(request)
        return httpx.Response(
            reply.status,
            headers=reply.raw_headers,
            stream=_ReplyStream(reply),
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": reply.reason},
        )

    async def send_for_backend(self, request: httpx.Request) -> Reply | httpx.Response:
        """The httpx backend's path: an unencoded answer as a backend :class:`Reply` (no ``httpx.Response``
        built), else the ``httpx.Response`` (httpx decodes it).
        """
        if not on_asyncio():
            return await self.handle_async_request(request)
        reply = await self.exchange(request)
        fields = _header_map(reply.raw_headers)
        if "content-encoding" in fields:
            return httpx.Response(
                reply.status,
                headers=reply.raw_headers,
                stream=_ReplyStream(reply),
                extensions={"http_version": b"HTTP/1.1", "reason_phrase": reply.reason},
            )
        if reply.complete:
            return BufferedReply(reply.status, fields, b"".join(reply.chunks))
        return _StreamedReply(reply, fields)

    async def exchange(self, request: httpx.Request) -> _Reply:
        """Send ``request``; its answer once the headers are in (asyncio only; the httpx backend's path)."""
        url = request.url
        scheme = url.raw_scheme
        if scheme not in (b"http", b"https"):
            raise httpx.UnsupportedProtocol(
                f"the URL scheme {scheme.decode(errors='replace')!r} is not http(s)"
            )
        port = url.port or (443 if scheme == b"https" else 80)
        pool = self._pools.get((scheme, url.raw_host, port))
        if pool is None:
            pool = self._pool(scheme, url.raw_host, port)
        timeouts = request.extensions.get("timeout", {})
        read_timeout = timeouts.get("read")
        head, chunked, close_after = _request_head(request)
        try:
            body: bytes | None = request.content
        except httpx.RequestNotRead:
            body = None
        connection = await pool.acquire(timeouts.get("connect"), timeouts.get("pool"))
        reply = _Reply(connection, read_timeout, head_only=request.method == "HEAD")
        reply.close_after = close_after
        try:
            if body is not None and len(body) < 1 << 16:
                connection.start(reply, head + body)
            else:
                connection.start(reply, head)
                connection.writing = True
                try:
                    await self._write_body(connection, request, body, chunked, timeouts.get("write"))
                except httpx.WriteError:
                    if not reply.headers_done:
                        raise
                    # The server answered before taking the whole body (a 401, a 413): that answer counts.
                finally:
                    connection.writing = False
            await reply.wait_headers()
        except BaseException:
            connection.abort()
            raise
        return reply

    @staticmethod
    async def _write_body(
        connection: _Connection,
        request: httpx.Request,
        body: bytes | None,
        chunked: bool,
        timeout: float | None,
    ) -> None:
        if body is not None:
            await connection.write(body, timeout)
            return
        async for chunk in request.stream:  # type: ignore[union-attr]
            if chunk:
                await connection.write(b"%x\r\n%b\r\n" % (len(chunk), chunk) if chunked else chunk, timeout)
        if chunked:
            await connection.write(b"0\r\n\r\n", timeout)

    def _pool(self, scheme: bytes, host: bytes, port: int) -> _Pool:
        if self._closed:
            raise RuntimeError("the transport is closed")
        name = host.decode("ascii")
        limits = self._limits
        pool = _Pool(
            name,
            port,
            self._ssl_context if scheme == b"https" else None,
            max_connections=limits.max_connections or 1 << 30,
            keepalive_expiry=min(limits.keepalive_expiry or KEEPALIVE_EXPIRY, KEEPALIVE_EXPIRY),
            max_idle=MAX_IDLE
            if limits.max_keepalive_connections is None
            else limits.max_keepalive_connections,
        )
        self._pools[(scheme, host, port)] = pool
        return pool

    def _ssl_context(self) -> ssl.SSLContext:
        if self._ssl is None:
            verify = self._verify
            if verify is True:
                self._ssl = _default_ssl_context()
            elif verify is False:
                self._ssl = ssl.create_default_context()
                self._ssl.check_hostname = False
                self._ssl.verify_mode = ssl.CERT_NONE
            else:
                assert isinstance(verify, str)
                self._ssl = ssl.create_default_context(cafile=verify)
        return self._ssl

    async def aclose(self) -> None:
        self._closed = True
        pools, self._pools = self._pools, {}
        for pool in pools.values():
            pool.close()
        if self._fallback is not None:
            await self._fallback.aclose()


def _request_head(request: httpx.Request) -> tuple[bytes, bool, bool]:
    """The request line and headers, whether the body goes out chunked, and whether the request asks for
    the connection to close after it (``Connection: close``)."""
    raw = request.headers.raw
    lines = [request.method.encode("ascii"), b" ", request.url.raw_path, b" HTTP/1.1\r\n"]
    chunked = close = False
    for name, value in raw:
        if len(name) == 17 and name.lower() == b"transfer-encoding":
            chunked = b"chunked" in value.lower()
        elif len(name) == 10 and name.lower() == b"connection":
            close = close or b"close" in value.lower()
        lines += (name, b": ", value, b"\r\n")
    lines.append(b"\r\n")
    head = b"".join(lines)
    # a CR, LF or NUL in a name or value, or a colon in a name, would change what the server reads
    breaks = len(raw) + 2
    if head.count(b"\n") != breaks or head.count(b"\r") != breaks or b"\0" in head:
        raise httpx.LocalProtocolError("a header name or value has a line break or NUL in it")
    for name, _ in raw:
        if b":" in name:
            raise httpx.LocalProtocolError(f"the header name {name!r} has a colon in it")
    return head, chunked, close


class _ReplyStream(httpx.AsyncByteStream):
    """An answer's body as httpx reads it: chunks as they arrive; closing it early drops the connection."""

    __slots__ = ("_reply",)

    def __init__(self, reply: _Reply) -> None:
        self._reply = reply

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._reply.aiter_raw()

    async def aclose(self) -> None:
        self._reply.discard()
