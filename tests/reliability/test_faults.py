"""Faults: tools that hang, raise or return invalid content; SIGTERM with calls in flight (a subprocess
server); slow clients and many concurrent SSE streams on real uvicorn."""

from __future__ import annotations

import json
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from agentcore_mcp import AgentCoreMCP
from agentcore_mcp.server._local import free_port, serve_in_thread

from . import harness
from .apps import PROBE, build_app
from .conftest import Runner
from .strategies import check_answer

ROOT = Path(__file__).resolve().parents[2]


def _result(
    run: Runner,
    app: AgentCoreMCP,
    name: str,
    arguments: dict[str, Any] | None = None,
    *,
    exposed: bool = False,
) -> dict[str, Any]:
    message = harness.legacy("tools/call", {"name": name, "arguments": arguments or {}})
    answer = run(harness.call, app, harness.post_scope(), json.dumps(message).encode())
    if not exposed:  # with expose_errors the exception text is meant to reach the client
        check_answer(answer, message, {})
    result: dict[str, Any] = answer.final()["result"]
    return result


def test_a_hanging_async_tool_times_out_and_is_cancelled(run: Runner, app: AgentCoreMCP) -> None:
    PROBE.reset()
    began = time.monotonic()
    result = _result(run, app, "hang")
    assert time.monotonic() - began < 2
    assert result == {
        "content": [{"type": "text", "text": "Tool 'hang' timed out after 0.2 seconds"}],
        "isError": True,
    }
    assert PROBE.cancelled.wait(2)


def test_a_hanging_sync_tool_is_answered_on_time_while_its_thread_finishes_alone(
    run: Runner, app: AgentCoreMCP
) -> None:
    began = time.monotonic()
    result = _result(run, app, "hang_sync")
    assert time.monotonic() - began < 1.5
    assert result["isError"] is True
    assert result["content"][0]["text"] == "Tool 'hang_sync' timed out after 0.2 seconds"
    assert _result(run, app, "add", {"a": 1, "b": 2})["structuredContent"] == {"result": 3}


def test_a_raising_tool_is_a_generic_tool_error_unless_errors_are_exposed(
    run: Runner, app: AgentCoreMCP
) -> None:
    assert _result(run, app, "boom") == {
        "content": [{"type": "text", "text": "Tool 'boom' failed"}],
        "isError": True,
    }
    assert _result(run, app, "refuse")["content"][0]["text"] == "refused on purpose"
    exposed = build_app(expose_errors=True)
    text = _result(run, exposed, "boom", exposed=True)["content"][0]["text"]
    assert text == "Tool 'boom' failed: SECRET-EXCEPTION-TEXT password=hunter2"


def test_invalid_content_is_a_tool_error(run: Runner, app: AgentCoreMCP) -> None:
    result = _result(run, app, "bad_image")
    assert result["isError"] is True
    assert result["content"][0]["text"] == "Tool 'bad_image' returned a result that could not be serialized"


def test_a_burst_of_sync_calls_larger_than_the_thread_pool_all_complete(
    run: Runner, app: AgentCoreMCP
) -> None:
    async def burst() -> list[harness.Answer]:
        answers: list[harness.Answer] = []

        async def one(i: int) -> None:
            body = harness.dumps(
                harness.legacy("tools/call", {"name": "add", "arguments": {"a": i, "b": 1}}, id=i)
            )
            answers.append(await harness.call(app, harness.post_scope(), body))

        with anyio.fail_after(30):
            async with anyio.create_task_group() as tg:
                for i in range(300):
                    tg.start_soon(one, i)
        return answers

    answers = run(burst)
    assert len(answers) == 300
    assert (
        sorted(a.final()["result"]["structuredContent"]["result"] - a.final()["id"] for a in answers)
        == [1] * 300
    )


# -- SIGTERM: a real server process ---------------------------------------------------------------------


@pytest.fixture
def server_process() -> Iterator[tuple[subprocess.Popen[bytes], str, queue.Queue[str]]]:
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "RELIABILITY_ANNOUNCE": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.reliability.apps", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            if httpx.get(f"{base}/ping", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    f"server did not start: {proc.stdout.read() if proc.stdout else ''!r}"
                ) from None
            time.sleep(0.05)
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for raw in proc.stdout:
            lines.put(raw.decode(errors="replace").strip())

    threading.Thread(target=pump, daemon=True).start()
    try:
        yield proc, base, lines
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)


def _wait_started(lines: queue.Queue[str], count: int) -> None:
    """Block until the server announced ``count`` slow calls started (10 s at most)."""
    deadline = time.monotonic() + 10
    seen = 0
    while seen < count:
        line = lines.get(timeout=max(0.01, deadline - time.monotonic()))
        seen += line == "slow started"


def _slow_call(base: str, seconds: float, i: int, out: dict[int, Any]) -> None:
    body = harness.legacy("tools/call", {"name": "slow", "arguments": {"seconds": seconds}}, id=i)
    try:
        response = httpx.post(f"{base}/mcp", json=body, headers={"Accept": harness.ACCEPT}, timeout=20)
        out[i] = (response.status_code, response.json()["result"]["content"][0]["text"])
    except (httpx.HTTPError, ValueError, KeyError) as exc:
        out[i] = ("error", type(exc).__name__)


def test_sigterm_lets_in_flight_calls_finish_and_refuses_new_connections(
    server_process: tuple[subprocess.Popen[bytes], str, queue.Queue[str]],
) -> None:
    proc, base, lines = server_process
    results: dict[int, Any] = {}
    threads = [threading.Thread(target=_slow_call, args=(base, 1.0, i, results)) for i in range(8)]
    for thread in threads:
        thread.start()
    _wait_started(lines, 8)
    proc.send_signal(signal.SIGTERM)
    refused_at = time.monotonic()
    refused = False
    while time.monotonic() - refused_at < 2:
        try:
            httpx.post(
                f"{base}/mcp", json=harness.legacy("ping"), headers={"Accept": harness.ACCEPT}, timeout=2
            )
        except httpx.ConnectError:
            refused = True
            break
        time.sleep(0.02)
    for thread in threads:
        thread.join(15)
    assert proc.wait(10) in (0, -signal.SIGTERM)
    assert refused, "new connections were still accepted after SIGTERM"
    assert results == {i: (200, "slept 1.0") for i in range(8)}


def test_sigterm_cuts_calls_longer_than_the_grace_period_and_exits(
    server_process: tuple[subprocess.Popen[bytes], str, queue.Queue[str]],
) -> None:
    proc, base, lines = server_process  # apps.main: timeout_graceful_shutdown=5
    results: dict[int, Any] = {}
    thread = threading.Thread(target=_slow_call, args=(base, 30.0, 0, results))
    thread.start()
    _wait_started(lines, 1)
    began = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    code = proc.wait(15)
    elapsed = time.monotonic() - began
    thread.join(15)
    assert code in (0, -signal.SIGTERM)
    assert 4 < elapsed < 10, elapsed
    assert results[0][0] in ("error", 500), results


# -- slow and many clients on real uvicorn ---------------------------------------------------------------


@pytest.fixture(scope="module")
def live() -> Iterator[str]:
    with serve_in_thread(build_app(keepalive=0.05), timeout_graceful_shutdown=2) as base:
        yield base


def _address(base: str) -> tuple[str, int]:
    host, port = base.removeprefix("http://").split(":")
    return host, int(port)


async def _pings(base: str, count: int) -> float:
    began = anyio.current_time()
    async with httpx.AsyncClient(timeout=10) as client:

        async def one(i: int) -> None:
            response = await client.post(
                f"{base}/mcp", json=harness.legacy("ping", id=i), headers={"Accept": harness.ACCEPT}
            )
            assert response.json() == {"jsonrpc": "2.0", "id": i, "result": {}}

        async with anyio.create_task_group() as tg:
            for i in range(count):
                tg.start_soon(one, i)
    return anyio.current_time() - began


def test_a_slow_body_upload_does_not_stall_other_clients(live: str) -> None:
    body = harness.dumps(harness.legacy("tools/call", {"name": "echo", "arguments": {"text": "x" * 1000}}))
    with socket.create_connection(_address(live), timeout=10) as slow:
        slow.sendall(
            b"POST /mcp HTTP/1.1\r\nHost: x\r\nAccept: application/json, text/event-stream\r\n"
            b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body) + body[:10]
        )
        elapsed = anyio.run(_pings, live, 50)
        assert elapsed < 5
        slow.sendall(body[10:])
        reply = b""
        while not reply.endswith(b"}}"):
            chunk = slow.recv(65536)
            assert chunk
            reply += chunk
        assert b'"isError":false' in reply


def test_a_client_that_does_not_read_a_large_answer_does_not_stall_others(live: str) -> None:
    body = harness.dumps(harness.legacy("tools/call", {"name": "huge", "arguments": {"size": 20_000_000}}))
    with socket.create_connection(_address(live), timeout=10) as slow:
        slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        slow.sendall(
            b"POST /mcp HTTP/1.1\r\nHost: x\r\nAccept: application/json, text/event-stream\r\n"
            b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body) + body
        )
        slow.recv(1024)  # the answer started; now stop reading
        elapsed = anyio.run(_pings, live, 50)
        assert elapsed < 5


def test_many_concurrent_sse_streams_all_complete(live: str) -> None:
    async def streams(count: int) -> list[list[Any]]:
        out: list[list[Any]] = []
        limits = httpx.Limits(max_connections=count)
        async with httpx.AsyncClient(timeout=30, limits=limits) as client:

            async def one(i: int) -> None:
                params = {
                    "name": "stream",
                    "arguments": {"events": 5, "pause": 0.05},
                    "_meta": {"progressToken": i},
                }
                response = await client.post(
                    f"{live}/mcp",
                    json=harness.legacy("tools/call", params, id=i),
                    headers={"Accept": harness.ACCEPT},
                )
                assert response.headers["content-type"] == "text/event-stream"
                out.append(harness.sse_messages(response.content))

            with anyio.fail_after(60):
                async with anyio.create_task_group() as tg:
                    for i in range(count):
                        tg.start_soon(one, i)
        return out

    results = anyio.run(streams, 200)
    assert len(results) == 200
    for events in results:
        assert [e.get("method") for e in events if "method" in e] == ["notifications/progress"] * 5
        assert events[-1]["result"]["content"][0]["text"] == "streamed 5"
