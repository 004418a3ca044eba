"""The httpx backend on each of its transports (httpx's own, aiohttp): what docs/client.md promises of the
HTTP underneath. Every test runs on both (the ``http_transport`` fixture).

A tiny asyncio HTTP/1.1 server answers every POST with the size of the body it received, and can close the
connection after each answer (while advertising keep-alive), hold answers back, or stream server-sent
events with pauses and notice a client that goes away.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import anyio
import httpx
import pytest

from agentcore_mcp.client._aiohttp import AiohttpTransport
from agentcore_mcp.client._backend import Exchange
from agentcore_mcp.client._httpx import HttpxBackend
from agentcore_mcp.errors import ConnectionFailed, TransportError, TransportTimeout

pytestmark = [pytest.mark.mcp1, pytest.mark.usefixtures("http_transport")]


@dataclass
class RawServer:
    close_after_answer: bool = False
    delay: float = 0.0
    silent: bool = False
    padding: int = 0  # bytes of padding in every answer
    content_type: bytes = b"application/json"
    events: int = 0  # answer with this many SSE events, 0.2 s apart (chunked), instead of JSON
    connections: int = 0
    sizes: list[int] = field(default_factory=list)
    heads: list[bytes] = field(default_factory=list)
    gone: asyncio.Event = field(default_factory=asyncio.Event)  # set when a client left mid-answer
    closed: asyncio.Event = field(default_factory=asyncio.Event)  # set when the server closed a connection
    # Set by the reader when it has read an event: the next one is sent only then (instead of 0.2 s later),
    # so that no two events can reach the client in one read however slow the machine.
    read_one: asyncio.Event | None = None
    hang_up: bool = False  # read the request, then close without answering
    cut_at: int = 0  # answer with a content-length of this many bytes more than are sent, then close

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                self.heads.append(head)
                length = 0
                for line in head.split(b"\r\n"):
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                body = await reader.readexactly(length)
                self.sizes.append(len(body))
                if self.hang_up:
                    break
                if self.cut_at:
                    writer.write(
                        b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                        + f"content-length: {self.cut_at + 10}\r\n\r\n".encode()
                        + b"x" * 10
                    )
                    await writer.drain()
                    await asyncio.sleep(0.1)
                    break
                if self.events:
                    await self.stream_events(writer)
                    continue
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
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()  # the FIN has gone out
            self.closed.set()

    async def stream_events(self, writer: asyncio.StreamWriter) -> None:
        writer.write(
            b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"
        )
        try:
            for i in range(self.events):
                if i and self.read_one is not None:
                    await self.read_one.wait()
                    self.read_one.clear()
                event = f"data: {i}\n\n".encode()
                writer.write(f"{len(event):x}\r\n".encode() + event + b"\r\n")
                await writer.drain()
                if self.read_one is None:
                    await asyncio.sleep(0.2)
            writer.write(b"0\r\n\r\n")
            await writer.drain()
        except ConnectionError:
            self.gone.set()
            raise


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


async def test_a_backend_that_owns_its_client_sends_through_the_chosen_transport(http_transport: str) -> None:
    backend = HttpxBackend("http://127.0.0.1:1/mcp")
    assert backend.sends_with is None
    assert backend.client is not None  # built on first use
    assert backend.sends_with == http_transport
    expected = AiohttpTransport if http_transport == "aiohttp" else httpx.AsyncHTTPTransport
    assert type(backend._direct) is expected
    for other in (
        HttpxBackend("http://127.0.0.1:1/mcp", auth=httpx.BasicAuth("a", "b")),
        HttpxBackend("http://127.0.0.1:1/mcp", http_client=httpx.AsyncClient()),
    ):
        assert other.client is not None
        assert other._direct is None
    await backend.aclose()


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
                server.closed.clear()
                assert await post(backend) == 2
                with anyio.fail_after(10):
                    await server.closed.wait()  # the server has closed it: its FIN is at the client's socket
                # a few loop passes for the client to read the FIN while the connection is idle in the pool
                await anyio.sleep(0.05)
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


async def test_server_sent_events_arrive_one_by_one_before_the_answer_ends() -> None:
    # The server sends each event only after the client has read the one before: a backend that held
    # chunks back until the answer ended would never read the first, and the wait below would time out.
    server = RawServer(events=3, read_one=asyncio.Event())
    read_one = server.read_one
    assert read_one is not None
    async with raw_server(server) as url:
        backend = HttpxBackend(url)
        try:
            with anyio.fail_after(20):
                reply = await backend.send(Exchange(b"{}", {}))
                arrivals: list[bytes] = []
                async for chunk in reply.aiter_bytes():
                    arrivals.append(chunk)
                    read_one.set()
                await reply.aclose()
        finally:
            await backend.aclose()
    assert arrivals == [b"data: 0\n\n", b"data: 1\n\n", b"data: 2\n\n"], "each event read as it arrives"


async def test_closing_an_answer_early_drops_the_connection_and_the_server_sees_it() -> None:
    server = RawServer(events=100)
    async with raw_server(server) as url:
        backend = HttpxBackend(url)
        try:
            reply = await backend.send(Exchange(b"{}", {}))
            async for chunk in reply.aiter_bytes():
                assert chunk == b"data: 0\n\n"
                break
            await reply.aclose()
            with anyio.fail_after(5):
                await server.gone.wait()
            server.events = 0
            assert await post(backend) == 2  # a new connection: the half-read one is not reused
        finally:
            await backend.aclose()
    assert server.connections == 2


async def test_a_refused_connection_is_connection_failed_before_anything_ran() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, never listening: connections to it are refused
        backend = HttpxBackend(f"http://127.0.0.1:{port}/mcp")
        try:
            with pytest.raises(ConnectionFailed, match="could not connect") as caught:
                await post(backend)
        finally:
            await backend.aclose()
    assert caught.value.may_have_run is False


async def test_a_header_that_would_split_the_request_is_refused_before_sending() -> None:
    server = RawServer()
    async with raw_server(server) as url:
        backend = HttpxBackend(url)
        try:
            with pytest.raises(TransportError, match="cannot be sent"):
                await backend.send(Exchange(b"{}", {"x-team": "blue\r\nx-injected: 1"}))
            assert await post(backend) == 2
        finally:
            await backend.aclose()
    assert all(b"x-injected" not in head for head in server.heads)


async def test_a_users_client_is_used_with_its_event_hooks_and_never_closed() -> None:
    seen: list[str] = []

    async def hook(request: httpx.Request) -> None:
        seen.append(request.headers["content-type"])

    server = RawServer()
    async with raw_server(server) as url, httpx.AsyncClient(event_hooks={"request": [hook]}) as http:
        backend = HttpxBackend(url, http_client=http)
        assert await post(backend) == 2
        await backend.aclose()
        assert not http.is_closed
    assert seen == ["application/json"]


async def test_a_server_that_hangs_up_after_the_request_may_have_run_it() -> None:
    server = RawServer(hang_up=True)
    async with raw_server(server) as url:
        backend = HttpxBackend(url)
        try:
            with pytest.raises(ConnectionFailed, match=r"the request to .* failed") as caught:
                await post(backend)
        finally:
            await backend.aclose()
    assert caught.value.may_have_run is True


async def test_an_answer_cut_short_is_a_broken_connection_not_a_timeout() -> None:
    server = RawServer(cut_at=100, content_type=b"application/octet-stream")
    async with raw_server(server) as url:
        backend = HttpxBackend(url)
        try:
            with pytest.raises(ConnectionFailed, match="broke mid-answer") as caught:
                await post(backend)
        finally:
            await backend.aclose()
    assert caught.value.may_have_run is True


async def test_a_percent_encoded_url_goes_out_as_written() -> None:
    # an invocations URL: the runtime ARN, percent-encoded, is in the path a SigV4 signature covers
    target = (
        "/runtimes/arn%3Aaws%3Abedrock-agentcore%3Aus-east-1%3A123456789012%3Aruntime%2Fdemo-a1B2c3D4e5"
        "/invocations?qualifier=DEFAULT&x=a%2Cb"
    )
    server = RawServer()
    async with raw_server(server) as url:
        backend = HttpxBackend(url.removesuffix("/mcp") + target)
        try:
            assert await post(backend) == 2
            assert await post(backend) == 2
        finally:
            await backend.aclose()
    assert [head.split(b"\r\n", 1)[0] for head in server.heads] == [f"POST {target} HTTP/1.1".encode()] * 2


def test_an_invocations_url_is_described_by_its_runtime_and_scheme() -> None:
    from agentcore_mcp.client._httpx import describe_url

    arn = "arn%3Aaws%3Abedrock-agentcore%3Aus-east-1%3A123456789012%3Aruntime%2Fdemo-abc"
    remote = f"https://bedrock-agentcore.us-east-1.amazonaws.com/runtimes/{arn}/invocations?qualifier=DEFAULT"
    local = f"http://127.0.0.1:9000/runtimes/{arn}/invocations"
    runtime = "runtime arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/demo-abc"
    assert describe_url(remote) == f"{runtime} (HTTPS at https://bedrock-agentcore.us-east-1.amazonaws.com)"
    assert describe_url(local) == f"{runtime} (HTTP at http://127.0.0.1:9000)"  # the emulator: not HTTPS
    assert describe_url("http://127.0.0.1:8000/mcp?x=1") == "http://127.0.0.1:8000/mcp"
