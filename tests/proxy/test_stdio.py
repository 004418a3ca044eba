"""Bad input on stdin and every way a session ends, on raw pipes to the real proxy process.

Every line the proxy writes must parse as JSON (RawProxy checks as it reads), no traceback reaches
stdout or stderr, the exit status is 0, and the runtime session is stopped.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import Emulated
from .raw import INITIALIZE, INITIALIZED, RawProxy, call

pytestmark = pytest.mark.mcp1


@pytest.fixture
def session_id(request: pytest.FixtureRequest) -> str:
    return ("raw-" + request.node.name.replace("_", "-").replace("[", "-").replace("]", ""))[:60].ljust(
        40, "x"
    )


@pytest.fixture
def raw(emulated: Emulated, session_id: str) -> Iterator[RawProxy]:
    proxy = RawProxy(
        emulated.command(*emulated.sigv4_args("--session-id", session_id, "--max-message-bytes", "100000")),
        emulated.env,
    )
    yield proxy
    proxy.kill()
    assert "Traceback" not in proxy.stderr


GARBAGE = [
    (b"not json\n", -32700),
    (b"{\n", -32700),
    (b"\xff\xfe\x00garbage\n", -32700),
    (b"42\n", -32600),
    (b'"a string"\n', -32600),
    (b"[]\n", -32600),
    (b'[{"jsonrpc": "2.0", "id": 1, "method": "ping"}]\n', -32600),
    (b'{"jsonrpc": "2.0"}\n', -32600),
    (b'{"jsonrpc": "1.0", "id": 5, "method": "ping"}\n', -32600),
    (b'{"id": 6, "method": "ping"}\n', -32600),
]


@pytest.mark.parametrize(("line", "code"), GARBAGE)
def test_garbage_lines_get_a_jsonrpc_error_and_the_session_goes_on(
    raw: RawProxy, line: bytes, code: int
) -> None:
    raw.handshake()
    raw.send(line)
    error = raw.receive()
    assert error["jsonrpc"] == "2.0"
    assert error["id"] in (None, 5, 6)
    assert error["error"]["code"] == code
    raw.send(call(1, "add_numbers", {"a": 1, "b": 2}))
    assert raw.answer(1)["result"]["structuredContent"] == {"result": 3}


def test_a_malformed_response_from_the_client_is_dropped_not_answered(raw: RawProxy) -> None:
    raw.handshake()
    raw.send({"jsonrpc": "2.0", "id": 99, "result": "not an object"})
    raw.send(call(1, "add_numbers", {"a": 1, "b": 2}))
    assert raw.receive()["id"] == 1  # nothing came back for the response


def test_blank_lines_are_ignored(raw: RawProxy) -> None:
    raw.send(b"\n   \n\r\n")
    raw.handshake()
    raw.send(call(1, "add_numbers", {"a": 1, "b": 2}))
    assert raw.answer(1)["result"]["structuredContent"] == {"result": 3}


@pytest.mark.parametrize("size", [100_001, 300_000, 5_000_000])
def test_an_oversized_line_is_refused_and_dropped_not_buffered(raw: RawProxy, size: int) -> None:
    raw.handshake()
    raw.send(
        b'{"jsonrpc": "2.0", "id": 9, "method": "tools/call", "params": {"x": "' + b"y" * size + b'"}}\n'
    )
    error = raw.receive()
    assert error["id"] is None
    assert error["error"]["code"] == -32700
    assert "exceeds the proxy's limit of 100000 bytes" in error["error"]["message"]
    raw.send(call(1, "greet_user", {"name": "Bo"}))
    assert raw.answer(1)["result"]["content"][0]["text"] == "Hello, Bo! Nice to meet you."


def test_a_line_just_under_the_limit_is_forwarded(raw: RawProxy) -> None:
    raw.handshake()
    message = (
        b'{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"greet_user","arguments":{"name":"'
    )
    tail = b'"}}}'
    name = b"z" * (100_000 - len(message) - len(tail))
    raw.send(message + name + tail + b"\n")
    assert raw.answer(1)["result"]["content"][0]["text"].startswith("Hello, zzz")


def test_eof_waits_for_the_answers_in_flight_then_stops_the_session(
    raw: RawProxy, emulated: Emulated, session_id: str
) -> None:
    raw.handshake()
    raw.send(call(1, "nap", {"seconds": 0.5}))
    raw.send(call(2, "add_numbers", {"a": 1, "b": 2}))
    raw.close_stdin()
    answers = {m["id"]: m for m in raw.rest()}
    assert answers[1]["result"]["content"][0]["text"] == "slept 0.5"
    assert answers[2]["result"]["structuredContent"] == {"result": 3}
    assert raw.wait() == 0
    assert emulated.emulator.session(session_id) is None


def test_a_final_line_without_newline_before_eof_is_answered(raw: RawProxy) -> None:
    raw.handshake()
    raw.send(
        b'{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"add_numbers","arguments":{"a":4,"b":4}}}'
    )
    raw.close_stdin()
    assert raw.rest()[0]["result"]["structuredContent"] == {"result": 8}
    assert raw.wait() == 0


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_answers_every_request_in_flight_and_stops_the_session(
    raw: RawProxy, emulated: Emulated, session_id: str, signum: int
) -> None:
    raw.handshake()
    raw.send(call(1, "nap", {"seconds": 30}))
    raw.send(call(2, "nap", {"seconds": 30}))
    time.sleep(0.5)  # both calls reach the runtime
    assert emulated.emulator.session(session_id) is not None
    started = time.monotonic()
    raw.signal(signum)
    answers = {m["id"]: m for m in raw.rest()}
    assert set(answers) == {1, 2}
    for answer in answers.values():
        assert answer["error"]["code"] == -32000
        assert "shutting down" in answer["error"]["message"]
    assert raw.wait() == 0
    assert time.monotonic() - started < 10
    assert emulated.emulator.session(session_id) is None


def test_a_client_that_vanishes_mid_call_leaves_no_session_behind(emulated: Emulated) -> None:
    session_id = "raw-vanishing-client-" + "v" * 24
    process = subprocess.Popen(
        emulated.command(*emulated.sigv4_args("--session-id", session_id)),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=emulated.env,
    )
    assert process.stdin is not None
    assert process.stdout is not None
    for message in (INITIALIZE, INITIALIZED, call(1, "nap", {"seconds": 1})):
        process.stdin.write(json.dumps(message).encode() + b"\n")
    process.stdin.flush()
    assert b'"id":"init"' in process.stdout.readline()
    time.sleep(0.3)  # the call is in flight
    process.stdout.close()  # the client is gone: nobody reads the answer ...
    process.stdin.close()  # ... and nothing more comes
    assert process.wait(30) == 0
    assert process.stderr is not None
    stderr = process.stderr.read()
    assert b"Traceback" not in stderr
    assert emulated.emulator.session(session_id) is None


def test_stray_output_of_a_token_command_never_reaches_stdout(emulated: Emulated, tmp_path: Path) -> None:
    # the command prints its token on its own stdout (captured) and chatter on stderr; a library print()
    # inside the proxy would go to fd 1, which the proxy points at stderr while it serves
    script = tmp_path / "token.sh"
    script.write_text(f"#!/bin/sh\necho 'fetching a token...' >&2\necho {emulated.token()}\n")
    script.chmod(0o755)
    proxy = RawProxy(
        emulated.command(emulated.url(emulated.jwt), "--token-command", str(script)), emulated.env
    )
    try:
        proxy.handshake()  # every stdout line parsed as JSON by RawProxy
        proxy.send(call(1, "add_numbers", {"a": 1, "b": 1}))
        assert proxy.answer(1)["result"]["structuredContent"] == {"result": 2}
        proxy.close_stdin()
        assert proxy.rest() == []
        assert proxy.wait() == 0
    finally:
        proxy.kill()
    assert "fetching a token..." in proxy.stderr


def test_a_print_inside_the_proxy_goes_to_stderr_not_onto_the_wire(
    emulated: Emulated, tmp_path: Path
) -> None:
    launcher = tmp_path / "launcher.py"
    launcher.write_text(
        "import asyncio, sys\n"
        "from agentcore_mcp.client import AgentCoreTransport\n"
        "from agentcore_mcp.proxy import StdioProxy\n"
        "class Loud(AgentCoreTransport):\n"
        "    async def __aenter__(self):\n"
        "        print('a stray print', flush=True)  # while the proxy serves stdio\n"
        "        return await super().__aenter__()\n"
        "sys.exit(asyncio.run(StdioProxy(Loud(sys.argv[1], bearer_token=sys.argv[2])).run()))\n"
    )
    proxy = RawProxy(
        [sys.executable, str(launcher), emulated.url(emulated.jwt), emulated.token()], emulated.env
    )
    try:
        proxy.handshake()  # RawProxy parses every stdout line as JSON
        proxy.send(call(1, "add_numbers", {"a": 2, "b": 2}))
        assert proxy.answer(1)["result"]["structuredContent"] == {"result": 4}
        proxy.close_stdin()
        assert proxy.rest() == []
        assert proxy.wait() == 0
    finally:
        proxy.kill()
    assert "a stray print" in proxy.stderr
