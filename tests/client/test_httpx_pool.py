"""The httpx backend's own connection pools, against a raw server.

Every test runs on both engines a backend's own client can have: FastHttpTransport (httptools, the ``fast``
extra) and PoolTransport (httpcore over asyncio protocol streams, without httptools).

A tiny asyncio HTTP/1.1 server answers every POST with the size of the body it received, and can close the
connection after each answer (while advertising keep-alive) or hold answers back.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import anyio
import httpx
import pytest

from agentcore_mcp.client import _httpx as http_module
from agentcore_mcp.client import fast as fast_module
from agentcore_mcp.client._backend import Exchange, TransportTimeout
from agentcore_mcp.client._httpx import HttpxBackend, PoolTransport
from agentcore_mcp.client.fast import FastHttpTransport

pytestmark = pytest.mark.mcp1


@pytest.fixture(autouse=True, params=["httptools", "httpcore"])
def engine(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "httpcore":
        monkeypatch.setattr(fast_module, "httptools_available", lambda: False)
    return str(request.param)


@dataclass
class RawServer:
    close_after_answer: bool = False
    delay: float = 0.0
    silent: bool = False
    padding: int = 0  # bytes of padding in every answer
    content_type: bytes = b"application/json"
    connections: int = 0
    sizes: list[int] = field(default_factory=list)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                body = await reader.readexactly(length)
                self.sizes.append(len(body))
                if self.silent:
                    await asyncio.sleep(30)
                if self.delay:
                    await asyncio.sleep(self.delay)
                result = {"size": len(body), "padding": "p" * self.padding}
                answer = json.dumps({"jsonrpc": "2.0", "id": 1, "result": result}).encode()
                writer.write(
                    b"HTTP/1.1 200 OK\r\ncontent-type: "
                    + self.content_type
                    + b"\r\n"
                    + f"content-length: {len(answer)}\r\n\r\n".encode()
                    + answer
                )
                await writer.drain()
                if self.close_after_answer:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@asynccontextmanager
async def raw_server(server: RawServer) -> AsyncIterator[str]:
    listener = await asyncio.start_server(server.handle, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}/mcp"
    finally:
        listener.close()


async def post(backend: HttpxBackend, body: bytes = b"{}") -> int:
    reply = await backend.send(Exchange(body, {}))
    assert reply.status == 200
    size = json.loads(await reply.aread())["result"]["size"]
    await reply.aclose()
    assert isinstance(size, int)
    return size


async def test_a_backend_that_owns_its_client_sends_through_its_pool(engine: str) -> None:
    backend = HttpxBackend("http://127.0.0.1:1/mcp")
    assert isinstance(backend._direct, FastHttpTransport if engine == "httptools" else PoolTransport)
    assert HttpxBackend("http://127.0.0.1:1/mcp", auth=httpx.BasicAuth("a", "b"))._direct is None
    assert HttpxBackend("http://127.0.0.1:1/mcp", http_client=httpx.AsyncClient())._direct is None


async def test_connections_are_kept_alive_and_reused() -> None:
    server = RawServer()
    async with raw_server(server) as url:
        backend = HttpxBackend(url)
        try:
            for _ in range(5):
                assert await post(backend) == 2
        finally:
            await backend.aclose()
    assert server.connections == 1


async def test_an_idle_connection_the_server_closed_is_not_reused() -> None:
    server = RawServer(close_after_answer=True)
    async with raw_server(server) as url:
        backend = HttpxBackend(url)
        try:
            for _ in range(3):
                assert await post(backend) == 2
                await anyio.sleep(0.05)  # the server's FIN arrives while the connection is idle in the pool
        finally:
            await backend.aclose()
    assert server.connections == 3


async def test_a_large_body_goes_out_whole() -> None:
    server = RawServer()
    body = b'{"x":"' + b"a" * (8 << 20) + b'"}'
    async with raw_server(server) as url:
        backend = HttpxBackend(url)
        try:
            assert await post(backend, body) == len(body)
            assert await post(backend) == 2  # the connection is still in a clean state
        finally:
            await backend.aclose()


async def test_a_large_answer_arrives_whole() -> None:
    # 6 MB streamed to a reader that waits first: more than the read-ahead arrives, so reading the socket
    # is paused, then resumed as the reader catches up
    server = RawServer(padding=6 << 20, content_type=b"application/octet-stream")
    async with raw_server(server) as url:
        backend = HttpxBackend(url)
        try:
            for _ in range(2):
                reply = await backend.send(Exchange(b"{}", {}))
                await anyio.sleep(0.2)
                answer = json.loads(await reply.aread())
                await reply.aclose()
                assert answer["result"]["padding"] == "p" * (6 << 20)
        finally:
            await backend.aclose()
    assert server.connections == 1


async def test_concurrent_posts_use_their_own_connections_at_once() -> None:
    server = RawServer(delay=0.4)
    async with raw_server(server) as url:
        backend = HttpxBackend(url)
        try:
            start = anyio.current_time()
            async with anyio.create_task_group() as tg:
                for _ in range(8):
                    tg.start_soon(post, backend)
            elapsed = anyio.current_time() - start
        finally:
            await backend.aclose()
    assert server.connections == 8
    assert elapsed < 1.6, f"8 POSTs held 0.4 s each took {elapsed:.2f} s"


async def test_a_silent_server_hits_the_read_timeout() -> None:
    server = RawServer(silent=True)
    async with raw_server(server) as url:
        backend = HttpxBackend(url, timeout=httpx.Timeout(0.3, connect=5.0))
        try:
            with anyio.fail_after(5), pytest.raises(TransportTimeout):
                await post(backend)
        finally:
            await backend.aclose()


async def test_other_event_loops_get_httpcores_anyio_streams(
    engine: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(http_module, "on_asyncio", lambda: False)
    monkeypatch.setattr(fast_module, "on_asyncio", lambda: False)
    server = RawServer()
    async with raw_server(server) as url:
        backend = HttpxBackend(url)
        try:
            assert await post(backend, b"[1]") == 3
            assert await post(backend) == 2
            pool = backend._direct
            if engine == "httptools":  # FastHttpTransport hands requests to a PoolTransport
                assert isinstance(pool, FastHttpTransport)
                pool = pool._fallback
            assert isinstance(pool, PoolTransport)
            (connection,) = pool._pool.connections
            stream = connection._connection._network_stream  # type: ignore[attr-defined]
            assert type(stream).__name__ == "AnyIOStream"
        finally:
            await backend.aclose()
    assert server.connections == 1
