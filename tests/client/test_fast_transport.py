"""FastHttpTransport: httpx requests over the lean httptools connections, against real servers on loopback.

A small ASGI app under uvicorn (httptools) answers with what it received, streams server-sent events with
pauses, stalls, compresses, and notices clients that go away; raw asyncio servers misbehave on purpose.
"""

from __future__ import annotations

import asyncio
import gzip
import hashlib
import json
import socket
import ssl
import threading
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, suppress
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import anyio
import anyio.lowlevel
import httpx
import pytest

from agentcore_mcp.client import BearerAuth, FastHttpTransport
from agentcore_mcp.client.fast import _Pool
from agentcore_mcp.server._local import serve_in_thread

from .test_tls import self_signed

pytestmark = pytest.mark.mcp1

DISCONNECTED = threading.Event()


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return
    path = scope["path"]
    query = {k: v[0] for k, v in parse_qs(scope["query_string"].decode()).items()}
    if path == "/deny":  # answers at once, without reading the (streamed) body
        await send({"type": "http.response.start", "status": 401, "headers": [(b"content-length", b"6")]})
        await send({"type": "http.response.body", "body": b"denied"})
        return
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break

    async def answer(status: int, content: bytes, headers: list[tuple[bytes, bytes]] | None = None) -> None:
        head = [(b"content-length", str(len(content)).encode()), *(headers or [])]
        await send({"type": "http.response.start", "status": status, "headers": head})
        await send({"type": "http.response.body", "body": content})

    if path == "/echo":
        headers = {k.decode(): v.decode() for k, v in scope["headers"]}
        echo = {
            "method": scope["method"],
            "size": len(body),
            "sha256": hashlib.sha256(body).hexdigest(),
            "headers": headers,
        }
        await answer(200, json.dumps(echo).encode(), [(b"content-type", b"application/json")])
    elif path == "/status":
        status = int(query["code"])
        await send({"type": "http.response.start", "status": status, "headers": [(b"etag", b'"x"')]})
        await send({"type": "http.response.body", "body": b""})
    elif path == "/slow":
        await asyncio.sleep(float(query["delay"]))
        await answer(200, b"late")
    elif path == "/events":  # chunked: no content-length
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"text/event-stream")],
            }
        )
        count = int(query.get("count", "1000000"))
        for i in range(count):
            await send({"type": "http.response.body", "body": f"data: {i}\n\n".encode(), "more_body": True})
            await asyncio.sleep(float(query.get("gap", "0.2")))
        await send({"type": "http.response.body", "body": b""})
    elif path == "/forever":  # streams until the client goes away
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"text/event-stream")],
            }
        )
        await send({"type": "http.response.body", "body": b"data: first\n\n", "more_body": True})
        message = await receive()  # uvicorn answers with http.disconnect once the client is gone
        if message["type"] == "http.disconnect":
            DISCONNECTED.set()
    elif path == "/stall":
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"100")]})
        await send({"type": "http.response.body", "body": b"x" * 10, "more_body": True})
        await asyncio.sleep(5)
    elif path == "/gzip":
        await answer(200, gzip.compress(b"hello " * 1000), [(b"content-encoding", b"gzip")])
    elif path == "/cookies":
        await answer(200, b"", [(b"set-cookie", b"a=1"), (b"set-cookie", b"b=2")])
    elif path == "/big":
        await answer(200, b"z" * (3 << 20))
    else:
        await answer(404, b"no such path")


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    with serve_in_thread(app, http="httptools", timeout_keep_alive=1) as url:
        yield url


def pool_of(transport: FastHttpTransport) -> _Pool:
    (pool,) = transport._pools.values()
    return pool


@asynccontextmanager
async def client(**options: Any) -> AsyncIterator[tuple[httpx.AsyncClient, FastHttpTransport]]:
    transport = FastHttpTransport(limits=options.pop("limits", None))
    async with httpx.AsyncClient(transport=transport, **options) as http:
        yield http, transport


async def test_keep_alive_reuses_one_connection_across_methods_and_statuses(base: str) -> None:
    async with client() as (http, transport):
        for method in ("GET", "POST", "PUT", "DELETE"):
            response = await http.request(method, f"{base}/echo", content=b"abc")
            assert response.status_code == 200
            assert response.json()["method"] == method
        head = await http.head(f"{base}/echo")  # content-length, but no body
        assert head.status_code == 200
        assert int(head.headers["content-length"]) > 0
        assert head.content == b""
        for code in (204, 304):
            response = await http.get(f"{base}/status?code={code}")
            assert response.status_code == code
            assert response.content == b""
        assert (await http.get(f"{base}/nowhere")).status_code == 404
        assert (await http.get(f"{base}/echo")).json()["method"] == "GET"
        assert pool_of(transport).connections_opened == 1


async def test_an_idle_connection_the_server_closed_is_not_reused(base: str) -> None:
    # uvicorn closes connections idle for 1 s here; a request written to one would wait for the read timeout
    async with client(timeout=httpx.Timeout(3.0)) as (http, transport):
        assert (await http.get(f"{base}/echo")).status_code == 200
        await anyio.sleep(1.5)
        with anyio.fail_after(2.5):
            assert (await http.get(f"{base}/echo")).status_code == 200
        assert pool_of(transport).connections_opened == 2


async def test_an_idle_connection_past_the_keepalive_expiry_is_not_reused(base: str) -> None:
    async with client(limits=httpx.Limits(keepalive_expiry=0.2)) as (http, transport):
        assert (await http.get(f"{base}/echo")).status_code == 200
        assert (await http.get(f"{base}/echo")).status_code == 200
        await anyio.sleep(0.3)
        assert (await http.get(f"{base}/echo")).status_code == 200
        assert pool_of(transport).connections_opened == 2


async def test_server_sent_events_arrive_one_by_one_before_the_answer_ends(base: str) -> None:
    async with client() as (http, _):
        arrivals: list[tuple[float, bytes]] = []
        start = time.monotonic()
        async with http.stream("GET", f"{base}/events?count=4&gap=0.3") as response:
            assert response.headers.get("transfer-encoding") == "chunked"
            async for chunk in response.aiter_raw():
                arrivals.append((time.monotonic() - start, chunk))
        total = time.monotonic() - start
    assert b"".join(chunk for _, chunk in arrivals) == b"data: 0\n\ndata: 1\n\ndata: 2\n\ndata: 3\n\n"
    assert arrivals[0][0] < total - 0.6, f"the first event came at {arrivals[0][0]:.2f} s of {total:.2f} s"
    assert len(arrivals) >= 4


async def test_closing_a_stream_midway_drops_the_connection_and_the_server_sees_it(base: str) -> None:
    DISCONNECTED.clear()
    async with client() as (http, transport):
        async with http.stream("GET", f"{base}/forever") as response:
            async for chunk in response.aiter_raw():
                assert chunk == b"data: first\n\n"
                break
        assert await anyio.to_thread.run_sync(DISCONNECTED.wait, 5.0)
        assert (await http.get(f"{base}/echo")).status_code == 200  # on a new connection
        assert pool_of(transport).connections_opened == 2


async def test_request_bodies_in_memory_and_streamed(base: str) -> None:
    big = bytes(range(256)) * 8192  # 2 MB

    async def pieces() -> AsyncIterator[bytes]:
        for i in range(0, len(big), 100_000):
            yield big[i : i + 100_000]
            await anyio.lowlevel.checkpoint()

    async with client() as (http, transport):
        echo = (await http.post(f"{base}/echo", content=big)).json()
        assert (echo["size"], echo["sha256"]) == (len(big), hashlib.sha256(big).hexdigest())
        echo = (await http.post(f"{base}/echo", content=pieces())).json()
        assert echo["headers"]["transfer-encoding"] == "chunked"
        assert (echo["size"], echo["sha256"]) == (len(big), hashlib.sha256(big).hexdigest())
        echo = (await http.post(f"{base}/echo", json={"a": 1})).json()
        assert echo["size"] == len(b'{"a":1}')
        assert echo["headers"]["content-type"] == "application/json"
        assert pool_of(transport).connections_opened == 1


async def test_answers_whole_compressed_and_with_repeated_headers(base: str) -> None:
    async with client() as (http, _):
        assert (await http.get(f"{base}/big")).content == b"z" * (3 << 20)
        assert (await http.get(f"{base}/gzip")).text == "hello " * 1000  # httpx decodes
        cookies = await http.get(f"{base}/cookies")
        assert cookies.headers.get_list("set-cookie") == ["a=1", "b=2"]
        assert cookies.extensions["http_version"] == b"HTTP/1.1"
        assert cookies.reason_phrase == "OK"


async def test_auth_is_applied_by_httpx_before_the_transport(base: str) -> None:
    async with client(auth=BearerAuth("secret")) as (http, _):
        echo = (await http.post(f"{base}/echo", content=b"{}")).json()
    assert echo["headers"]["authorization"] == "Bearer secret"


async def test_a_silent_server_is_a_read_timeout_before_and_during_the_body(base: str) -> None:
    async with client(timeout=httpx.Timeout(5.0, read=0.3)) as (http, transport):
        with anyio.fail_after(3), pytest.raises(httpx.ReadTimeout):
            await http.get(f"{base}/slow?delay=2")
        with anyio.fail_after(3), pytest.raises(httpx.ReadTimeout):
            async with http.stream("GET", f"{base}/stall") as response:
                await response.aread()
        assert (await http.get(f"{base}/echo")).status_code == 200
        assert pool_of(transport).connections_opened == 3  # timed-out connections are not reused


async def test_waiting_for_a_free_connection_is_a_pool_timeout(base: str) -> None:
    limits = httpx.Limits(max_connections=1)
    async with client(limits=limits, timeout=httpx.Timeout(5.0, pool=0.2)) as (http, _):
        async with http.stream("GET", f"{base}/forever"):
            with anyio.fail_after(3), pytest.raises(httpx.PoolTimeout):
                await http.get(f"{base}/echo")
        assert (await http.get(f"{base}/echo")).status_code == 200  # the connection was given back


async def test_a_server_that_takes_no_data_is_a_write_timeout() -> None:
    async def never_read(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(10)
        writer.close()

    listener = await asyncio.start_server(never_read, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    try:
        async with client(timeout=httpx.Timeout(5.0, write=0.3)) as (http, _):
            with anyio.fail_after(4), pytest.raises(httpx.WriteTimeout):
                await http.post(f"http://127.0.0.1:{port}/", content=b"x" * (64 << 20))
    finally:
        listener.close()


async def test_connection_failures_map_to_httpx_exceptions() -> None:
    closed_port = socket.socket()
    closed_port.bind(("127.0.0.1", 0))
    port = closed_port.getsockname()[1]
    closed_port.close()
    async with client() as (http, _):
        with pytest.raises(httpx.ConnectError):
            await http.get(f"http://127.0.0.1:{port}/")

    async def hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.close()

    async def garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"NOT HTTP AT ALL\r\n\r\n")
        await writer.drain()
        await asyncio.sleep(1)
        writer.close()

    async def cut_short(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nonly this")
        await writer.drain()
        writer.close()

    for handler in (hang_up, garbage, cut_short):
        listener = await asyncio.start_server(handler, "127.0.0.1", 0)
        url = f"http://127.0.0.1:{listener.sockets[0].getsockname()[1]}/"
        try:
            async with client() as (http, _):
                with anyio.fail_after(3), pytest.raises(httpx.RemoteProtocolError):
                    await http.get(url)
        finally:
            listener.close()


async def test_a_connect_timeout_is_httpxs() -> None:
    # a listener whose accept queue is full: further connection attempts get no answer
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    waiting: list[socket.socket] = []
    try:
        for _ in range(8):
            pending = socket.socket()
            pending.setblocking(False)
            with suppress(BlockingIOError):
                pending.connect(("127.0.0.1", port))
            waiting.append(pending)
        async with client(timeout=httpx.Timeout(5.0, connect=0.3)) as (http, _):
            with anyio.fail_after(3), pytest.raises(httpx.ConnectTimeout):
                await http.get(f"http://127.0.0.1:{port}/")
    finally:
        for pending in waiting:
            pending.close()
        listener.close()


def test_tls_with_an_ssl_context(tmp_path: Path) -> None:
    cert_file, key_file = self_signed(tmp_path)
    with serve_in_thread(app, ssl_certfile=str(cert_file), ssl_keyfile=str(key_file)) as plain:
        url = plain.replace("http://", "https://") + "/echo"

        async def main() -> None:
            trusting = FastHttpTransport(verify=ssl.create_default_context(cafile=str(cert_file)))
            async with httpx.AsyncClient(transport=trusting) as http:
                for _ in range(3):
                    assert (await http.post(url, content=b"tls")).json()["size"] == 3
                assert pool_of(trusting).connections_opened == 1
            async with httpx.AsyncClient(transport=FastHttpTransport()) as http:  # certifi: not trusted
                with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
                    await http.get(url)

        asyncio.run(main())


async def test_aclose_closes_every_connection(base: str) -> None:
    transport = FastHttpTransport()
    async with httpx.AsyncClient(transport=transport) as http:
        await asyncio.gather(*(http.get(f"{base}/slow?delay=0.1") for _ in range(3)))
        idle = list(pool_of(transport)._idle)
        assert len(idle) == 3
        assert not any(connection.closed for connection in idle)
    assert all(connection.closed for connection in idle)
    with pytest.raises(RuntimeError, match="closed"):
        await transport.handle_async_request(httpx.Request("GET", f"{base}/echo"))


async def test_a_header_that_would_split_the_request_is_refused(base: str) -> None:
    async with client() as (http, transport):
        for bad in ({"x-a": "1\r\nx-injected: 2"}, {"x-a": "1\nx"}, {"x:b": "1"}):
            with pytest.raises(httpx.LocalProtocolError):
                await http.get(f"{base}/echo", headers=bad)
        echo = (await http.get(f"{base}/echo", headers={"x-a": "fine: yes"})).json()
        assert echo["headers"]["x-a"] == "fine: yes"
        assert "x-injected" not in echo["headers"]
        assert pool_of(transport).connections_opened == 1


async def test_the_httpx_backend_reads_answers_through_it(base: str) -> None:
    from agentcore_mcp.client import HttpxBackend
    from agentcore_mcp.client._backend import BufferedReply, Exchange

    async def answer(path: str, headers: dict[str, str]) -> AsyncIterator[tuple[float, Any]]:
        backend = HttpxBackend(f"{base}{path}", timeout=httpx.Timeout(5.0))
        try:
            assert isinstance(backend._direct, FastHttpTransport)
            start = time.monotonic()
            reply = await backend.send(Exchange(b"{}", headers))
            yield 0.0, reply
            async for chunk in reply.aiter_bytes():
                yield time.monotonic() - start, chunk
            await reply.aclose()
        finally:
            await backend.aclose()

    gzipped = [chunk async for _, chunk in answer("/gzip", {})]
    assert b"".join(gzipped[1:]) == b"hello " * 1000  # encoded: httpx decodes it
    plain = [chunk async for _, chunk in answer("/echo", {"x-a": "1"})]
    assert isinstance(plain[0], BufferedReply)  # complete and unencoded: no httpx.Response built
    assert json.loads(plain[1])["headers"]["x-a"] == "1"
    events = [item async for item in answer("/events?count=3&gap=0.3", {})][1:]
    assert b"".join(chunk for _, chunk in events) == b"data: 0\n\ndata: 1\n\ndata: 2\n\n"
    assert events[0][0] < 0.5  # the first event, long before the last


async def test_an_mcp_session_through_a_users_client_on_it() -> None:
    from mcp import ClientSession

    from agentcore_mcp.client import AgentCoreTransport
    from examples.demo_server import app as demo_app

    with serve_in_thread(demo_app) as demo:
        transport = FastHttpTransport()
        async with httpx.AsyncClient(transport=transport) as http:
            with anyio.fail_after(20):
                async with (
                    AgentCoreTransport(f"{demo}/mcp", http_client=http) as (read, write),
                    ClientSession(read, write) as session,
                ):
                    await session.initialize()
                    for a in range(5):
                        result = await session.call_tool("add_numbers", {"a": a, "b": 1})
                        assert result.content[0].text == str(a + 1)  # type: ignore[union-attr]
            assert pool_of(transport).connections_opened == 1


# -- regressions found in review -----------------------------------------------------------------------------


async def test_an_answer_before_the_streamed_body_ends_is_returned_and_the_connection_not_reused(
    base: str,
) -> None:
    async def trickle() -> AsyncIterator[bytes]:
        yield b"A" * 1000
        await asyncio.sleep(0.2)
        yield b"B" * 1000

    async with client() as (http, transport):
        first = asyncio.create_task(http.post(f"{base}/deny", content=trickle()))
        await asyncio.sleep(0.1)  # the 401 is in; the body is still going out
        second = await http.post(f"{base}/echo", content=b"second")  # must not share that connection
        assert second.status_code == 200
        assert second.json()["size"] == len(b"second")
        denied = await first
        assert denied.status_code == 401
        assert denied.text == "denied"
        assert all(not c.writing for c in pool_of(transport)._idle)


async def test_a_request_saying_connection_close_does_not_leave_its_connection_for_reuse() -> None:
    async def close_quietly(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        # honours the client's "Connection: close" without saying so, closing a moment after the answer
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
        await writer.drain()
        await asyncio.sleep(0.05)
        writer.close()

    listener = await asyncio.start_server(close_quietly, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    try:
        async with client() as (http, transport):
            url = f"http://127.0.0.1:{port}/"
            assert (await http.get(url, headers={"Connection": "close"})).text == "ok"
            assert pool_of(transport)._idle == []
            await asyncio.sleep(0.1)
            assert (await http.get(url)).text == "ok"  # on a new connection, not the closed one
            assert pool_of(transport).connections_opened == 2
    finally:
        listener.close()


async def test_aclose_with_a_request_in_flight_closes_its_connection_when_it_ends(base: str) -> None:
    transport = FastHttpTransport()
    http = httpx.AsyncClient(transport=transport)
    slow = asyncio.create_task(http.get(f"{base}/slow?delay=0.3"))
    await asyncio.sleep(0.1)
    pool = pool_of(transport)
    await http.aclose()
    answer = await slow
    assert answer.status_code == 200
    assert pool._idle == []  # not parked in a pool nobody can reach any more
    assert pool.closed


async def test_chunked_trailers_are_not_response_headers() -> None:
    async def trailers(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(
            b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\ntrailer: x-t\r\n\r\n"
            b"2\r\nok\r\n0\r\nx-t: v\r\n\r\n"
        )
        await writer.drain()
        writer.close()

    listener = await asyncio.start_server(trailers, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    try:
        async with client() as (http, _):
            answer = await http.get(f"http://127.0.0.1:{port}/")
            assert answer.text == "ok"
            assert "x-t" not in answer.headers
    finally:
        listener.close()
