"""gzip for large cached list answers: the encoding itself, the HTTP negotiation, the official clients."""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Iterator
from typing import Any

import anyio
import httpx
import pytest
from mcp.client import Client, ClientSession
from mcp.client.streamable_http import streamable_http_client

from agentcore_mcp import AgentCoreMCP
from agentcore_mcp.server._compression import MIN_GZIP_SIZE, GzipPrefix, accepts_gzip
from agentcore_mcp.server._http import Receive, Scope, Send
from agentcore_mcp.server._local import serve_in_thread

from .helpers import ACCEPT, legacy_request, modern_request

# -- the encoding ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "tail", [b"", b',"id":1}', b',"id":"' + b"x" * 1000 + b'"}', bytes(range(256)) * 255]
)
def test_prefix_plus_finish_is_the_gzip_of_the_whole(tail: bytes) -> None:
    data = json.dumps(
        {"tools": [{"name": f"t{i}", "description": "d" * (i % 50)} for i in range(500)]}
    ).encode()
    prefix = GzipPrefix(data)
    body = prefix.head + prefix.finish(tail)
    assert gzip.decompress(body) == data + tail
    stream = zlib.decompressobj(16 + zlib.MAX_WBITS)  # a strict single-member reader ends exactly there
    assert stream.decompress(body) == data + tail
    assert stream.eof
    assert stream.unused_data == b""
    assert len(prefix.head) < len(data) / 4  # compressed once, for real


def test_a_tail_over_one_stored_block_is_refused() -> None:
    with pytest.raises(ValueError, match="65535"):
        GzipPrefix(b"{}").finish(b"x" * 65_536)


@pytest.mark.parametrize(
    ("header", "accepted"),
    [
        (b"gzip", True),
        (b"gzip, deflate, br, zstd", True),
        (b"x-gzip", True),
        (b"GZip ; q=0.5", True),
        (b"deflate", False),
        (b"identity", False),
        (b"", False),
        (b"gzip;q=0", False),
        (b"gzip;q=0.000", False),
        (b"gzip;q=oops", False),
        (b"*", True),
        (b"*;q=0", False),
        (b"br, *;q=0.1", True),
        (b"gzip;q=0, *", False),
    ],
)
def test_accept_encoding_negotiation(header: bytes, accepted: bool) -> None:
    assert accepts_gzip(header) is accepted


# -- over HTTP ---------------------------------------------------------------------------------------------


def _many_tools(count: int) -> AgentCoreMCP:
    app = AgentCoreMCP("many")
    for i in range(count):

        def fn(order_id: str, quantity: int = 1) -> str:
            return order_id

        app.add_tool(fn, name=f"tool_{i:03}", description=f"Tool {i}: looks an order up by its id.")
    return app


class _Recorder:
    """ASGI middleware keeping the response headers of every answer."""

    def __init__(self, app: AgentCoreMCP) -> None:
        self.app = app
        self.encodings: list[str | None] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def recording(message: Any) -> None:
            if message["type"] == "http.response.start":
                found = dict(message["headers"]).get(b"content-encoding")
                self.encodings.append(found.decode() if found else None)
            await send(message)

        await self.app(scope, receive, recording)


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[str, _Recorder]]:
    recorder = _Recorder(_many_tools(200))
    with serve_in_thread(recorder) as base:  # type: ignore[arg-type]
        yield f"{base}/mcp", recorder


def _raw_post(
    url: str, body: Any, encoding: str | None, headers: dict[str, str] | None = None
) -> httpx.Response:
    sent = {"Accept": ACCEPT, "Content-Type": "application/json", **(headers or {})}
    with httpx.Client(timeout=10) as client:
        del client.headers["accept-encoding"]
        if encoding is not None:
            sent["Accept-Encoding"] = encoding
        request = client.build_request("POST", url, content=json.dumps(body).encode(), headers=sent)
        response = client.send(request, stream=True)
        response.read()
        return response


@pytest.mark.parametrize("request_id", [7, "req-α", 2**40])
def test_a_large_list_goes_out_gzipped_to_a_client_that_accepts_it(
    served: tuple[str, _Recorder], request_id: Any
) -> None:
    url, _ = served
    request = legacy_request("tools/list")
    request["id"] = request_id
    zipped = _raw_post(url, request, "gzip, deflate")
    plain = _raw_post(url, request, None)
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.headers["vary"] == "accept-encoding"
    assert "content-encoding" not in plain.headers
    assert json.loads(zipped.content) == json.loads(plain.content)
    assert json.loads(zipped.content)["id"] == request_id
    assert len(json.loads(zipped.content)["result"]["tools"]) == 200
    assert int(zipped.headers["content-length"]) < len(plain.content) / 4


def test_identity_or_a_refused_gzip_gets_the_plain_answer(served: tuple[str, _Recorder]) -> None:
    url, _ = served
    for encoding in ("identity", "gzip;q=0", "br"):
        response = _raw_post(url, legacy_request("tools/list"), encoding)
        assert "content-encoding" not in response.headers
        assert len(response.json()["result"]["tools"]) == 200


def test_the_modern_page_is_gzipped_too(served: tuple[str, _Recorder]) -> None:
    url, _ = served
    body, headers = modern_request("tools/list")
    response = _raw_post(url, body, "gzip", headers)
    assert response.headers["content-encoding"] == "gzip"
    result = response.json()["result"]
    assert len(result["tools"]) == 200
    assert result["resultType"] == "complete"


def test_small_answers_and_tool_results_are_never_encoded() -> None:
    app = _many_tools(3)
    with serve_in_thread(app) as base:
        listed = _raw_post(f"{base}/mcp", legacy_request("tools/list"), "gzip")
        assert len(listed.content) < MIN_GZIP_SIZE
        assert "content-encoding" not in listed.headers
        call = legacy_request("tools/call", {"name": "tool_000", "arguments": {"order_id": "x" * 20_000}})
        answered = _raw_post(f"{base}/mcp", call, "gzip")
        assert "content-encoding" not in answered.headers
        assert answered.json()["result"]["content"][0]["text"] == "x" * 20_000


@pytest.mark.parametrize("mode", ["legacy", "2026-07-28"])
async def test_the_official_client_gets_and_reads_the_gzipped_list(
    served: tuple[str, _Recorder], mode: str
) -> None:
    url, recorder = served
    recorder.encodings.clear()
    with anyio.fail_after(20):
        async with Client(url, mode=mode) as client:  # type: ignore[arg-type]
            listed = await client.list_tools()
    assert [t.name for t in listed.tools] == [f"tool_{i:03}" for i in range(200)]
    assert "gzip" in recorder.encodings  # the SDK's HTTP client asked for it, and decoded it


async def test_client_session_after_initialize_reads_the_gzipped_list(served: tuple[str, _Recorder]) -> None:
    url, recorder = served
    recorder.encodings.clear()
    with anyio.fail_after(20):
        async with streamable_http_client(url) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            listed = await session.list_tools()
    assert len(listed.tools) == 200
    assert "gzip" in recorder.encodings
