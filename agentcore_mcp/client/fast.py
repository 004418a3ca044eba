"""A lean HTTP/1.1 backend: keep-alive connections on asyncio, responses parsed by httptools.

An MCP call is one small POST and one small answer; httpx spends about half a millisecond of Python on
each, more than the MCP client session and the server together. This backend does only what the transport
needs: POST with a ``Content-Length`` to one origin (http or https), keep-alive connection reuse, JSON
answers read whole and SSE answers streamed as they arrive, ``httpx.Auth`` flows (SigV4, bearer tokens)
run on a lightweight ``httpx.Request``. It costs a tenth of httpx per call.

What it leaves to :class:`~agentcore_mcp.client.http.HttpxBackend` (the transport falls back to it):
proxies (``HTTPS_PROXY`` and friends), a caller's own ``httpx.AsyncClient``, event loops other than
asyncio, environments without httptools (the ``fast`` extra). It never follows redirects (neither does
the transport on httpx) and sends no ``Accept-Encoding`` (an answer compressed anyway is still decoded).
"""

from __future__ import annotations

import asyncio
import collections
import os
import ssl
import time
import zlib
from collections.abc import AsyncIterator, Mapping
from typing import Any
from urllib.parse import urlsplit
from urllib.request import getproxies, proxy_bypass

import anyio
import httpx

from .backend import BackendError, BackendTimeout, BufferedReply, ConnectionFailed, Exchange, Reply
from .http import ACCEPT, USER_AGENT, HttpxBackend, describe_url

__all__ = ["FastHttpBackend", "fast_path_available"]

KEEPALIVE_EXPIRY = 4.0  # seconds an idle connection is reused (uvicorn closes idle ones after 5)
MAX_IDLE = 32


def fast_path_available(url: str) -> bool:
    """True when :class:`FastHttpBackend` can carry requests to ``url`` (httptools present, no proxy)."""
    try:
        import httptools  # noqa: F401
    except ImportError:
        return False
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False
    proxies = getproxies()
    proxy = proxies.get(parts.scheme) or proxies.get("all")
    return not proxy or bool(proxy_bypass(parts.hostname))


class _Reply:
    """One answer as it arrives: status and headers first, then body chunks (or a failure)."""

    __slots__ = (
        "_connection",
        "_decoder",
        "_waiter",
        "chunks",
        "complete",
        "error",
        "fields",
        "headers",
        "headers_done",
        "received",
        "status",
    )

    def __init__(self, connection: _Connection) -> None:
        self._connection = connection
        self.status = 0
        self.fields: dict[str, str] = {}  # written while parsing; the first value of a repeated header wins
        self.headers: Mapping[str, str] = self.fields
        self.headers_done = False
        self.chunks: collections.deque[bytes] = collections.deque()
        self.complete = False
        self.error: BaseException | None = None
        self.received = 0
        self._waiter: asyncio.Future[None] | None = None
        self._decoder: Any = None

    # -- called by the connection -------------------------------------------------------------------

    def add_body(self, data: bytes) -> None:
        if self._decoder is not None:
            data = self._decoder.decompress(data)
        if data:
            self.chunks.append(data)

    def finish(self) -> None:
        if self._decoder is not None:
            tail = self._decoder.flush()
            if tail:
                self.chunks.append(tail)
        self.complete = True

    def fail(self, error: BaseException) -> None:
        if not self.complete and self.error is None:
            self.error = error

    def wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def start_body(self) -> None:
        encoding = self.headers.get("content-encoding", "identity").lower()
        if encoding in ("gzip", "x-gzip"):
            self._decoder = zlib.decompressobj(zlib.MAX_WBITS | 16)
        elif encoding == "deflate":
            self._decoder = zlib.decompressobj()

    # -- used by the transport (the Reply protocol) -------------------------------------------------

    async def wait(self, read_timeout: float | None) -> None:
        """Until something new arrived (or the answer ended or failed)."""
        self._waiter = asyncio.get_running_loop().create_future()
        try:
            with anyio.fail_after(read_timeout):
                await self._waiter
        except TimeoutError:
            self._connection.abort()
            raise BackendTimeout(
                f"the server went silent for more than {read_timeout:g} s (read_timeout=)"
            ) from None
        finally:
            self._waiter = None

    async def aiter_bytes(self) -> AsyncIterator[bytes]:
        while True:
            if self.chunks:
                yield self.chunks.popleft()
            elif self.complete:
                return
            elif self.error is not None:
                raise self.error
            else:
                await self.wait(self._connection.read_timeout)

    async def aread(self) -> bytes:
        return b"".join([chunk async for chunk in self.aiter_bytes()])

    async def aclose(self) -> None:
        if not self.complete:
            self._connection.abort()  # the rest of this answer is unwanted: the server sees a disconnect


class _Connection(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection; httptools calls the ``on_*`` methods while parsing."""

    def __init__(self, pool: FastHttpBackend) -> None:
        import httptools

        self._pool = pool
        self._parser = httptools.HttpResponseParser(self)
        self._parser_error: type[Exception] = httptools.HttpParserError
        self.transport: asyncio.Transport | None = None
        self.reply: _Reply | None = None
        self.closed = False
        self.idle_since = time.monotonic()
        self.uses = 0
        self.read_timeout = pool.read_timeout
        self.permit: asyncio.Semaphore | None = None  # held while a request is in flight on this connection

    def end_use(self) -> None:
        """Give back the connection-limit permit of the request in flight (once)."""
        permit, self.permit = self.permit, None
        if permit is not None:
            permit.release()

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        reply = self.reply
        if reply is None:  # nothing was asked: a server speaking out of turn
            self.abort()
            return
        reply.received += len(data)
        try:
            self._parser.feed_data(data)
        except self._parser_error as exc:
            reply.fail(ConnectionFailed(f"malformed HTTP answer: {exc}", may_have_run=True))
            self.abort()
        reply.wake()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self.end_use()
        reply = self.reply
        if reply is None:
            return
        self.reply = None
        delimited_by_close = (
            "content-length" not in reply.headers
            and "chunked" not in reply.headers.get("transfer-encoding", "").lower()
        )
        if reply.headers_done and not reply.complete and delimited_by_close:
            reply.finish()  # a body delimited by the connection closing
            reply.wake()
            return
        detail = f": {exc}" if exc else ""
        if reply.received == 0:
            message = f"the connection closed before any answer{detail}"
        else:
            message = f"the connection broke mid-answer{detail}"
        reply.fail(ConnectionFailed(message, may_have_run=True))
        reply.wake()

    # httptools callbacks
    def on_header(self, name: bytes, value: bytes) -> None:
        assert self.reply is not None
        self.reply.fields.setdefault(name.decode("latin-1").lower(), value.decode("latin-1"))

    def on_headers_complete(self) -> None:
        reply = self.reply
        assert reply is not None
        reply.status = self._parser.get_status_code()
        reply.headers_done = True
        reply.start_body()

    def on_body(self, body: bytes) -> None:
        assert self.reply is not None
        self.reply.add_body(body)

    def on_message_complete(self) -> None:
        reply = self.reply
        assert reply is not None
        reply.finish()
        self.reply = None
        self.end_use()
        if self._parser.should_keep_alive() and not self.closed:
            self._pool.release(self)
        else:
            self.abort()

    def abort(self) -> None:
        self.closed = True
        self.end_use()
        if self.transport is not None:
            self.transport.close()


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
        self._host = parts.hostname
        self._tls = parts.scheme == "https"
        self._port = parts.port or (443 if self._tls else 80)
        default_port = parts.port is None or parts.port == (443 if self._tls else 80)
        host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
        self._host_header = (host if default_port else f"{host}:{self._port}").encode("idna")
        self._ssl = ssl_context
        self._headers = {"accept": ACCEPT, "content-type": "application/json", "user-agent": USER_AGENT}
        self._headers.update({k.lower(): v for k, v in (headers or {}).items()})
        self._idle: list[_Connection] = []
        self._fallback: HttpxBackend | None = None
        self.max_connections = max_connections
        self.connections_opened = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._limit: asyncio.Semaphore | None = None

    # -- the Backend protocol -------------------------------------------------------------------------

    async def send(self, exchange: Exchange) -> Reply:
        try:
            asyncio.get_running_loop()
        except RuntimeError:  # not asyncio (trio): httpx runs anywhere anyio does
            return await self._httpx().send(exchange)
        return await self._post(self.url, {**self._headers, **exchange.headers}, exchange.body)

    async def stop_session(self, runtime_session_id: str) -> None:
        if self.stop_url is None:
            raise BackendError(f"{self.description} is not an AgentCore runtime; there is no session to stop")
        from pydantic_core import to_json

        from agentcore_mcp.session import new_session_id

        headers = {
            **self._headers,
            "accept": "application/json",
            "x-amzn-bedrock-agentcore-runtime-session-id": runtime_session_id,
        }
        reply = await self._post(self.stop_url, headers, to_json({"clientToken": new_session_id()}))
        body = await reply.aread()
        if reply.status >= 300:
            raise BackendError(
                f"StopRuntimeSession failed with HTTP {reply.status}: {body[:500].decode(errors='replace')}"
            )

    async def aclose(self) -> None:
        idle, self._idle = self._idle, []
        for connection in idle:
            connection.abort()
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
        limit = self._limit_for_loop()
        await limit.acquire()
        try:
            connection = await self._acquire()
        except BaseException:
            limit.release()
            raise
        connection.permit = limit
        assert connection.transport is not None
        reply = _Reply(connection)
        connection.reply = reply
        connection.uses += 1
        try:
            connection.transport.write(self._head(target, headers, len(body)) + body)
            while not reply.headers_done:
                if reply.error is not None:
                    raise reply.error
                await reply.wait(self.read_timeout)
        except BaseException:
            connection.abort()
            raise
        if reply.complete:
            return BufferedReply(reply.status, reply.headers, b"".join(reply.chunks))
        return reply

    def _head(self, target: bytes, headers: Mapping[str, str], length: int) -> bytes:
        lines = [b"POST ", target, b" HTTP/1.1\r\nhost: ", self._host_header, b"\r\n"]
        for name, value in headers.items():
            if name in ("host", "content-length", "transfer-encoding", "connection"):
                continue
            if "\r" in value or "\n" in value or "\r" in name or "\n" in name or ":" in name:
                raise BackendError(f"the header {name!r} has a value that cannot be sent: {value[:100]!r}")
            try:
                lines += [name.encode("latin-1"), b": ", value.encode("latin-1"), b"\r\n"]
            except UnicodeEncodeError:
                raise BackendError(
                    f"the header {name!r} has characters HTTP/1.1 cannot carry: {value[:100]!r}"
                ) from None
        lines.append(b"content-length: %d\r\n\r\n" % length)
        return b"".join(lines)

    async def _acquire(self) -> _Connection:
        now = time.monotonic()
        while self._idle:
            connection = self._idle.pop()
            if not connection.closed and now - connection.idle_since < KEEPALIVE_EXPIRY:
                return connection
            connection.abort()
        loop = asyncio.get_running_loop()
        try:
            with anyio.fail_after(self.connect_timeout):
                _, protocol = await loop.create_connection(
                    lambda: _Connection(self),
                    self._host,
                    self._port,
                    ssl=self._ssl_context() if self._tls else None,
                    server_hostname=self._host if self._tls else None,
                )
        except TimeoutError:
            raise ConnectionFailed(
                f"could not connect to {self.description} within {self.connect_timeout:g} s",
                may_have_run=False,
            ) from None
        except ssl.SSLError as exc:  # a certificate problem does not go away by retrying
            raise BackendError(f"TLS with {self.description} failed: {exc}") from exc
        except OSError as exc:
            raise ConnectionFailed(
                f"could not connect to {self.description}: {type(exc).__name__}: {exc}", may_have_run=False
            ) from exc
        self.connections_opened += 1
        return protocol

    def _limit_for_loop(self) -> asyncio.Semaphore:
        """The connection limit of the running loop (a new loop starts with a new pool)."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop or self._limit is None:
            self._loop = loop
            self._idle = []
            self._limit = asyncio.Semaphore(self.max_connections)
        return self._limit

    def release(self, connection: _Connection) -> None:
        connection.idle_since = time.monotonic()
        if len(self._idle) >= MAX_IDLE:
            connection.abort()
        else:
            self._idle.append(connection)

    def _ssl_context(self) -> ssl.SSLContext:
        if self._ssl is None:
            cafile = os.environ.get("SSL_CERT_FILE")
            if cafile is None:
                try:
                    import certifi

                    cafile = certifi.where()
                except ImportError:
                    cafile = None
            self._ssl = ssl.create_default_context(cafile=cafile)
        return self._ssl


def _target(url: str) -> bytes:
    """The request target (path and query, exactly as written) of ``url``."""
    parts = urlsplit(url)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    return target.encode("ascii")
