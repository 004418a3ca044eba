"""Regression tests for the bugs the reliability work found (see docs/reliability.md, "Findings").

Each test states what should happen; all ten findings (F1-F10) are fixed and these keep them fixed.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from agentcore_mcp import AgentCoreMCP, RegistrationError, tool
from agentcore_mcp.server._local import serve_in_thread

from . import harness
from .apps import PROBE, build_app
from .conftest import Runner
from .strategies import check_answer, strict_json


def _tool_call(
    run: Runner, app: AgentCoreMCP, name: str, era: str
) -> tuple[harness.Answer, Any, dict[str, str]]:
    params: dict[str, Any] = {"name": name, "arguments": {}}
    if era == "modern":
        message, headers = harness.modern("tools/call", params)
    else:
        message, headers = harness.legacy("tools/call", params), {}
    answer = run(harness.call, app, harness.post_scope(headers), json.dumps(message).encode())
    return answer, message, headers


# F1: NaN and Infinity in a tool's result are written as the bare tokens NaN / Infinity: invalid JSON.
@pytest.mark.parametrize("era", ["legacy", "modern"])
@pytest.mark.parametrize("name", ["nan_value", "infinite_value"])
def test_f1_non_finite_floats_in_results_still_give_strict_json(
    run: Runner, app: AgentCoreMCP, name: str, era: str
) -> None:
    answer, message, headers = _tool_call(run, app, name, era)
    strict_json(answer.body)  # raises ValueError on NaN / Infinity
    check_answer(answer, message, headers)


# F2: a str result with a lone surrogate cannot be encoded; the exception escapes the app (HTTP 500).
# F3: a ToolResult whose structured content cannot be serialized escapes the same way.
@pytest.mark.parametrize("era", ["legacy", "modern"])
@pytest.mark.parametrize("name", ["lone_surrogate", "bad_tool_result"])
def test_f2_f3_results_that_fail_to_encode_become_tool_errors(
    run: Runner, app: AgentCoreMCP, name: str, era: str
) -> None:
    answer, message, headers = _tool_call(run, app, name, era)
    check_answer(answer, message, headers)
    result = answer.final()["result"]
    assert result["isError"] is True
    assert result["content"][0]["text"] == f"Tool {name!r} returned a result that could not be serialized"


# F4: a tool without a timeout that raises TimeoutError (socket timeouts do) gets -32603, because the
# timeout message formats ``None`` with ``:g``.
@pytest.mark.parametrize("era", ["legacy", "modern"])
def test_f4_a_timeout_error_raised_by_the_tool_is_a_tool_error(
    run: Runner, app: AgentCoreMCP, era: str
) -> None:
    answer, message, headers = _tool_call(run, app, "raise_timeout", era)
    check_answer(answer, message, headers)
    result = answer.final()["result"]
    assert result["isError"] is True
    assert result["content"][0]["text"] == "Tool 'raise_timeout' failed"


@pytest.fixture(scope="module")
def live() -> Iterator[tuple[str, int]]:
    with serve_in_thread(build_app(keepalive=0.05)) as base:
        host, port = base.removeprefix("http://").split(":")
        yield host, int(port)


def _post_raw(address: tuple[str, int], body: bytes, extra: bytes = b"") -> socket.socket:
    sock = socket.create_connection(address, timeout=10)
    sock.sendall(
        b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json, text/event-stream\r\n"
        b"Content-Type: application/json\r\n" + extra + b"Content-Length: %d\r\n\r\n" % len(body) + body
    )
    return sock


def _read_all(sock: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data or not data.endswith((b"}", b"\n\n", b"0\r\n\r\n")):
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


# F5: a tool that raises a BaseException that is not the request's own cancellation (SystemExit, or the
# CancelledError of a task someone else cancelled) escapes the app: uvicorn answers 500 text/plain.
@pytest.mark.parametrize("name", ["exits", "cancelled_inside"])
def test_f5_base_exceptions_from_a_tool_are_tool_errors_not_500(live: tuple[str, int], name: str) -> None:
    body = harness.dumps(harness.legacy("tools/call", {"name": name, "arguments": {}}))
    with _post_raw(live, body, b"Connection: close\r\n") as sock:
        data = _read_all(sock)
    status = int(data.split(b" ", 2)[1])
    assert status == 200, data[:200]
    payload = json.loads(data.partition(b"\r\n\r\n")[2])
    assert payload["result"]["isError"] is True


# F6: a client that disconnects mid-SSE does not free its handler: the tool is never cancelled (it runs
# until it ends by itself, forever for this one), and keep-alives keep being "sent" to nobody.
def test_f6_client_disconnect_mid_sse_cancels_the_tool(live: tuple[str, int]) -> None:
    PROBE.reset()
    body = harness.dumps(
        harness.legacy(
            "tools/call", {"name": "stream_forever", "arguments": {}, "_meta": {"progressToken": 1}}
        )
    )
    sock = _post_raw(live, body)
    first = sock.recv(4096)
    assert b"text/event-stream" in first
    assert PROBE.started.wait(5)
    sock.close()
    try:
        assert PROBE.cancelled.wait(5), "the tool was still running 5 s after its client disconnected"
    finally:
        PROBE.release.set()
        assert PROBE.finished.wait(5)


# F7: no limit on request header size: with httptools (the `fast` extra, uvicorn's default choice when
# installed) a 1 MB header, or 50,000 headers, are read whole and answered 200.
@pytest.mark.parametrize(
    "extra", [b"X-Big: " + b"a" * 1_000_000 + b"\r\n", b"".join(b"X-H%d: v\r\n" % i for i in range(50_000))]
)
def test_f7_oversized_request_headers_are_refused(live: tuple[str, int], extra: bytes) -> None:
    body = harness.dumps(harness.legacy("ping"))
    with _post_raw(live, body, extra + b"Connection: close\r\n") as sock:
        data = _read_all(sock)
    status = int(data.split(b" ", 2)[1]) if data else 0
    assert status in (0, 400, 431), data[:200]


# F8: an x-mcp-header annotation that is not an RFC 9110 token (here with CR/LF) registers and is published;
# the SDK's own server refuses such a tool, SDK clients drop it, and a careless client would put CR/LF in
# a header name. Registration should refuse it.
@pytest.mark.parametrize("token", ["X\r\nInjected: 1", "has space", "", "colon:name"])
def test_f8_invalid_x_mcp_header_is_refused_at_registration(token: str) -> None:
    def region(value: str) -> str:
        return value

    schema = {"type": "object", "properties": {"value": {"type": "string", "x-mcp-header": token}}}
    with pytest.raises(RegistrationError):
        AgentCoreMCP("x", tools=[tool(name="region", input_schema=schema)(region)])


# F9: session mode adopts any Mcp-Session-Id, however long or whatever its characters, stores it (up to
# 10,000 sessions) and echoes it in the answer's header. Session ids are visible ASCII (0x21-0x7E); AgentCore's
# fit in 256 characters. An id outside that should be refused (400), not adopted.
@pytest.mark.parametrize("session_id", ["a" * 100_000, "has space", "ctl\x01\x02", "caf\xe9"])
def test_f9_session_mode_refuses_session_ids_that_are_not_visible_ascii(run: Runner, session_id: str) -> None:
    app = build_app(sessions=True)
    body = harness.dumps(
        harness.legacy(
            "initialize",
            {
                "protocolVersion": "2025-11-25",
                "capabilities": {},
                "clientInfo": {"name": "t", "version": "0"},
            },
        )
    )
    scope = harness.post_scope()
    scope["headers"].append((b"mcp-session-id", session_id.encode("latin-1")))
    answer = run(harness.call, app, scope, body)
    assert answer.status in (400, 404, 431), (
        answer.status
    )  # 431: the 100 KB id trips the header-size limit first
    assert app.sessions is not None
    assert len(app.sessions) == 0


# F10: the httpx backend treats a request it can never send (h11 refuses a header with CR/LF:
# LocalProtocolError) as a transient failure and retries it four times with back-off (about 1-2 s) before
# answering; the lean backend refuses at once. A local protocol error should not be retried.
def test_f10_the_httpx_backend_does_not_retry_a_request_it_cannot_send(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from types import SimpleNamespace

    import anyio
    from mcp.shared.message import SessionMessage
    from mcp.types import JSONRPCRequest

    from agentcore_mcp import AgentCoreTransport

    async def exchange(url: str) -> Any:
        with anyio.fail_after(20):
            async with AgentCoreTransport(url, backend="httpx") as (read, write):
                request = JSONRPCRequest(jsonrpc="2.0", id=1, method="tools/list", params={})
                headers = {"X-Ok": "v\nX-Injected: 2"}
                await write.send(SessionMessage(request, metadata=SimpleNamespace(headers=headers)))  # type: ignore[arg-type]
                return await read.receive()

    caplog.set_level("INFO", logger="agentcore_mcp.client")
    with serve_in_thread(build_app()) as base:
        answer = anyio.run(exchange, f"{base}/mcp")
    assert answer.message.error is not None
    retries = [r.getMessage() for r in caplog.records if "retry" in r.getMessage()]
    assert retries == [], retries
