"""The proxy's options, observed at both ends: what the local client gets and what the runtime saw."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import Emulated
from .raw import RawProxy, call

pytestmark = pytest.mark.mcp1


@pytest.fixture
def start(emulated: Emulated) -> Iterator[object]:
    started: list[RawProxy] = []

    def start(*args: str, handshake: bool = True) -> RawProxy:
        proxy = RawProxy(emulated.command(*args), emulated.env)
        started.append(proxy)
        if handshake:
            proxy.handshake()
        return proxy

    yield start
    for proxy in started:
        proxy.kill()
        assert "Traceback" not in proxy.stderr


def whoami(proxy: RawProxy, request_id: int = 1) -> dict[str, object]:
    proxy.send(call(request_id, "whoami", {}, _meta={"mine": "kept"}))
    structured: dict[str, object] = proxy.answer(request_id)["result"]["structuredContent"]
    return structured


def test_read_only_lists_only_read_only_tools_and_refuses_the_others(
    emulated: Emulated, start: object
) -> None:
    proxy = start(*emulated.sigv4_args("--read-only"))  # type: ignore[operator]
    proxy.send({"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
    assert [t["name"] for t in proxy.answer(1)["result"]["tools"]] == ["look_up"]
    proxy.send(call(2, "add_numbers", {"a": 1, "b": 2}))
    refused = proxy.answer(2)["error"]
    assert refused["code"] == -32602
    assert "--read-only" in refused["message"]
    proxy.send(call(3, "look_up", {"key": "k"}))
    assert proxy.answer(3)["result"]["content"][0]["text"] == "value of k"


def test_read_only_refuses_a_call_made_before_any_listing(emulated: Emulated, start: object) -> None:
    proxy = start(*emulated.sigv4_args("--read-only"))  # type: ignore[operator]
    proxy.send(call(1, "nap", {"seconds": 0}))
    assert proxy.answer(1)["error"]["code"] == -32602
    proxy.send(call(2, "look_up", {"key": "k"}))
    assert proxy.answer(2)["result"]["content"][0]["text"] == "value of k"
    proxy.send(call(3, "no_such_tool", {}))
    assert proxy.answer(3)["error"]["code"] == -32602


def test_tool_timeout_answers_and_cancels_and_the_late_answer_is_dropped(
    emulated: Emulated, start: object
) -> None:
    proxy = start(*emulated.sigv4_args("--tool-timeout", "0.5"))  # type: ignore[operator]
    started = time.monotonic()
    proxy.send(call(1, "nap", {"seconds": 2}))
    error = proxy.answer(1)["error"]
    assert error["code"] == -32001
    assert "--tool-timeout" in error["message"]
    assert time.monotonic() - started < 1.9
    proxy.send(call(2, "nap", {"seconds": 2.5}))  # outlives the first nap, whose answer would come first
    second = proxy.receive(timeout=10)
    assert second["id"] == 2  # the timed-out call's answer (due after 2 s) never reached the client
    proxy.send(call(3, "add_numbers", {"a": 1, "b": 1}))
    assert proxy.answer(3)["result"]["structuredContent"] == {"result": 2}


def test_meta_header_and_session_id_reach_the_runtime(emulated: Emulated, start: object) -> None:
    session_id = "proxy-options-" + "c" * 30
    proxy = start(  # type: ignore[operator]
        *emulated.sigv4_args(
            "--meta",
            "team=blue",
            "--meta",
            "mine=overridden",
            "--header",
            "X-Amzn-Bedrock-AgentCore-Runtime-Custom-Team=red",
            "--session-id",
            session_id,
        )
    )
    seen = whoami(proxy)
    assert seen["meta"] == {"team": "blue", "mine": "kept"}  # the client's own _meta keys win
    assert seen["team"] == "red"
    assert seen["runtime_session_id"] == session_id


def test_logs_go_to_the_log_file_and_never_to_stdout(
    emulated: Emulated, start: object, tmp_path: Path
) -> None:
    log = tmp_path / "proxy.log"
    proxy = start(*emulated.sigv4_args("--log-file", str(log), "--log-level", "debug"))  # type: ignore[operator]
    whoami(proxy)
    proxy.close_stdin()
    assert proxy.rest() == []
    assert proxy.wait() == 0
    assert "stopped runtime session" in log.read_text()
    assert proxy.stderr == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--bearer-token", "t", "--token-command", "echo t"], "choose one way to authenticate"),
        (["--oauth", "login", "--client-id", "c"], "--oauth login needs --discovery-url"),
        (["--oauth", "client-credentials", "--client-id", "c", "--token-url", "http://x"], "--client-secret"),
        (["--oauth", "login"], "--oauth needs --client-id"),
        (["--session-id", "short"], "runtime session id"),
        (["--header", "novalue"], "expected NAME=VALUE"),
        (["--tool-timeout", "-1"], "positive number"),
    ],
)
def test_bad_options_exit_2_with_one_clear_line(emulated: Emulated, args: list[str], message: str) -> None:
    done = subprocess.run(
        emulated.command(emulated.sigv4, *args),
        input=b"",
        capture_output=True,
        env=emulated.env,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stdout == b""
    assert message in done.stderr.decode()
    assert b"Traceback" not in done.stderr
