"""Property tests over the HTTP surface: methods, paths, headers (odd, repeated, hostile), content types,
chunked bodies; in process (raw ASGI) and a smaller budget against real uvicorn on loopback."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agentcore_mcp import AgentCoreMCP
from agentcore_mcp.server._local import serve_in_thread

from . import harness
from .apps import build_app
from .conftest import Runner, fuzz_settings
from .strategies import check_answer, header_names, header_values, messages

PING = harness.dumps(harness.legacy("ping"))


@st.composite
def requests(draw: st.DrawFn) -> tuple[str, str, list[tuple[str, str]], list[bytes], Any, dict[str, str]]:
    message, routing, _ = draw(messages())
    method = draw(
        st.sampled_from(["POST"] * 6 + ["GET", "DELETE", "PUT", "HEAD", "OPTIONS", "PATCH", "TRACE"])
    )
    path = draw(st.sampled_from(["/mcp"] * 6 + ["/mcp/", "/MCP", "/mcp//", "/ping", "/", "/mcp/x", "/%00"]))
    headers: list[tuple[str, str]] = list(routing.items())
    if draw(st.booleans()):
        headers.append(("accept", draw(st.one_of(header_values, st.just(harness.ACCEPT)))))
    else:
        headers.append(("accept", harness.ACCEPT))
    if draw(st.integers(0, 4)) == 0:
        headers.append(("content-type", draw(header_values)))
    else:
        headers.append(
            (
                "content-type",
                draw(
                    st.sampled_from(
                        ["application/json", "application/json; charset=utf-8", "APPLICATION/JSON"]
                    )
                ),
            )
        )
    headers += draw(st.lists(st.tuples(header_names, header_values), max_size=4))
    if draw(st.integers(0, 5)) == 0 and headers:  # repeat a header
        headers.append(draw(st.sampled_from(headers)))
    body = json.dumps(message).encode()
    pieces = draw(st.integers(1, 4))
    step = max(1, len(body) // pieces)
    chunks = [body[i : i + step] for i in range(0, len(body), step)] or [b""]
    return method, path, headers, chunks, message, routing


def _routing(headers: list[tuple[str, str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in headers:
        if k.lower() in ("mcp-protocol-version", "mcp-method", "mcp-name"):
            out[k.lower()] = v
    return out


@fuzz_settings(1000)
@given(case=requests())
def test_any_http_request_gets_a_well_formed_answer(run: Runner, app: AgentCoreMCP, case: Any) -> None:
    method, path, headers, chunks, message, _ = case
    scope = harness.http_scope(method, path, headers)
    answer = run(harness.call, app, scope, chunks)
    assert answer.raised is None
    assert answer.status < 500
    if path.rstrip("/") != "/mcp" or path == "/mcp//":
        assert answer.status in (200, 404)  # /ping, or not found
        return
    names = [k.lower() for k, _ in headers]
    origin = next((v for k, v in headers if k.lower() == "origin"), None)
    if answer.status == 403:
        assert origin is not None
    if method != "POST":
        assert answer.status in (403, 405)
        return
    # Repeated routing headers and content-length lies make the body/era reading ambiguous: check shape only.
    plain = len(names) == len(set(names)) and "content-length" not in names
    check_answer(answer, message if plain else None, _routing(headers) if plain else None)


@pytest.fixture(scope="module")
def live_url() -> Iterator[str]:
    with serve_in_thread(build_app()) as base:
        yield base


def _raw_exchange(base: str, request: bytes) -> tuple[int, dict[str, str], bytes]:
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    fields = {}
    for line in lines[1:]:
        k, _, v = line.partition(b":")
        fields[k.decode("latin-1").lower()] = v.decode("latin-1").strip()
    if fields.get("transfer-encoding") == "chunked":
        out = b""
        while body:
            size_line, _, rest = body.partition(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            if size == 0:
                break
            out += rest[:size]
            body = rest[size + 2 :]
        body = out
    return status, fields, body


@fuzz_settings(100)
@given(case=requests())
def test_real_uvicorn_answers_fuzzed_requests_and_keeps_serving(live_url: str, case: Any) -> None:
    method, path, headers, chunks, _message, _ = case
    body = b"".join(chunks)
    lines = [
        f"{method} {path} HTTP/1.1",
        "Host: 127.0.0.1",
        f"Content-Length: {len(body)}",
        "Connection: close",
    ]
    lines += [f"{k}: {v}" for k, v in headers if k.lower() != "content-length"]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8") + body
    status, fields, payload = _raw_exchange(live_url, request)
    assert status < 500, (status, payload[:300])
    if method != "HEAD" and status != 202 and fields.get("content-type", "").startswith("application/json"):
        json.loads(payload)
    ping = _raw_exchange(
        live_url,
        b"POST /mcp HTTP/1.1\r\nHost: x\r\nAccept: application/json, text/event-stream\r\n"
        b"Content-Type: application/json\r\nConnection: close\r\nContent-Length: %d\r\n\r\n"
        % len(PING)
        + PING,
    )
    assert ping[0] == 200
