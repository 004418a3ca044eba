"""The emulator under faults, with process isolation: a session's server killed mid-call (SIGKILL), hung at
start, exiting or raising at import, and the emulator itself restarted under load.

Each case checks that every caller is answered (AgentCore's ``424 RuntimeClientError`` where the platform
gives one, never a hang or a 5xx), that the emulator keeps serving, and that nothing leaks: no process
left below this one, no pipe or other descriptor left open beyond the HTTP pool's keep-alive sockets.
"""

from __future__ import annotations

import os
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from agentcore_mcp.emulator import Emulator, Runtime
from agentcore_mcp.server._local import free_port
from benchmarks.emulator_soak import descendants, fd_kinds

from .conftest import write_tally

APPS = Path(__file__).parent / "emulator_apps"
SESSION_HEADER = "x-amzn-bedrock-agentcore-runtime-session-id"
HEADERS = {"accept": "application/json, text/event-stream", "content-type": "application/json"}
ME = os.getpid()


def _call(name: str, arguments: dict[str, Any], id: int = 1) -> dict[str, Any]:
    return {
        "jsonrpc": "2.0",
        "id": id,
        "method": "tools/call",
        "params": {"name": name, "arguments": arguments},
    }


def invoke(
    url: str, session: str, name: str, arguments: dict[str, Any], timeout: float = 60
) -> httpx.Response:
    return httpx.post(
        url, json=_call(name, arguments), headers={**HEADERS, SESSION_HEADER: session}, timeout=timeout
    )


def new_session() -> str:
    return str(uuid.uuid4())


def wait_for(condition: Callable[[], bool], limit: float = 30.0, what: str = "the condition") -> None:
    """Poll ``condition`` every 20 ms for at most ``limit`` seconds (a bound on a wait, not a timing)."""
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


# Processes below this one that earlier tests in the same pytest run left (a zombie not yet reaped by its
# Popen, say): set once before this module's first emulator, and not this module's to judge.
INHERITED: set[int] = set()


def children() -> list[int]:
    """Processes below this one that this module's emulators started (``INHERITED`` left out)."""
    return [pid for pid in descendants(ME) if pid not in INHERITED]


def descriptors() -> dict[str, int]:
    """This process's open descriptors by kind, sockets left out (the HTTP pools keep some alive)."""
    return {k: v for k, v in fd_kinds(ME).items() if k != "socket"}


def assert_platform_424(answer: httpx.Response, words: str) -> None:
    assert answer.status_code == 424, (answer.status_code, answer.text[:300])
    assert answer.headers.get("x-amzn-errortype") == "RuntimeClientError"
    assert words in answer.json()["message"], answer.json()


def assert_no_growth(before: dict[str, int], after: dict[str, int]) -> None:
    grown = {
        kind: (before.get(kind, 0), count) for kind, count in after.items() if count > before.get(kind, 0)
    }
    assert not grown, f"descriptors left open (before, after): {grown}"


@pytest.fixture(scope="module", autouse=True)
def warmed_up() -> None:
    """Serve once before any baseline: the first ``serve()`` of a process opens a pipe pair it keeps."""
    INHERITED.update(descendants(ME))
    emulator = Emulator(control_plane=False, workload_token=False)
    runtime = emulator.add_runtime(str(APPS / "slow_tools.py"), name="warm", isolation="process")
    with emulator.serve():
        _pid(emulator.invocations_url(runtime), new_session())
    wait_for(lambda: children() == [], 30, "the warm-up process to be gone")


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    before_children, before_fds = children(), descriptors()
    emulator = Emulator(control_plane=False, reap_interval=0.2, workload_token=False)
    yield emulator
    # Whatever the test did, the emulator's shutdown (serve() exiting) left no process and no pipe behind.
    wait_for(lambda: children() == before_children, 30, "the session processes to be gone")
    assert_no_growth(before_fds, descriptors())


def _overview(base: str) -> dict[str, Any]:
    answer: dict[str, Any] = httpx.get(base + "/", timeout=10).json()
    return answer


def _pid(url: str, session: str) -> int:
    answer = invoke(url, session, "pid", {})
    assert answer.status_code == 200, answer.text[:300]
    assert answer.headers[SESSION_HEADER] == session
    return int(answer.json()["result"]["content"][0]["text"])


def test_a_server_killed_mid_call_answers_every_caller_424_and_the_session_restarts(
    emulator: Emulator,
) -> None:
    runtime = emulator.add_runtime(str(APPS / "slow_tools.py"), name="killed", isolation="process")
    with emulator.serve() as base:
        url = emulator.invocations_url(runtime)
        session = new_session()
        victim = _pid(url, session)
        assert victim in children()
        answers: list[httpx.Response] = []
        callers = [
            threading.Thread(target=lambda: answers.append(invoke(url, session, "slow", {"seconds": 60})))
            for _ in range(4)
        ]
        for caller in callers:
            caller.start()
        found = emulator.session(session)
        assert found is not None
        wait_for(lambda: found.in_flight == 4, what="four calls in flight")
        os.kill(victim, signal.SIGKILL)
        for caller in callers:
            caller.join(30)
            assert not caller.is_alive(), "a caller was never answered"
        assert len(answers) == 4
        for answer in answers:
            assert_platform_424(answer, "Runtime invocation failed")
        wait_for(lambda: victim not in children(), what="the killed process to be reaped")
        # The same session id gets a fresh microVM and works.
        assert _pid(url, session) not in (victim, ME)
        assert [s["runtimeSessionId"] for s in _overview(base)["sessions"]] == [session]


def test_a_server_hung_at_start_is_424_for_every_waiting_caller_and_its_process_is_killed(
    emulator: Emulator,
) -> None:
    runtime = emulator.add_runtime(
        str(APPS / "hangs_at_start.py"), name="hung", isolation="process", start_timeout=1.0
    )
    with emulator.serve() as base:
        url = emulator.invocations_url(runtime)
        shared, others = new_session(), [new_session(), new_session()]
        answers: list[httpx.Response] = []
        callers = [
            threading.Thread(target=lambda s=s: answers.append(invoke(url, s, "pid", {})))
            for s in [shared, shared, shared, *others]
        ]
        for caller in callers:
            caller.start()
        for caller in callers:
            caller.join(60)
            assert not caller.is_alive(), "a caller was never answered"
        assert len(answers) == 5
        for answer in answers:
            assert_platform_424(answer, "Runtime initialization time exceeded")
        assert _overview(base)["sessions"] == []
        wait_for(lambda: children() == [], what="the hung processes to be killed")


@pytest.mark.parametrize(
    ("app", "words"),
    [
        ("exits_at_import.py", "exited during initialization with code"),
        ("crashes_at_import.py", "exited during initialization with code"),
    ],
)
def test_a_server_that_exits_at_import_is_424_and_the_emulator_keeps_serving(
    emulator: Emulator, app: str, words: str
) -> None:
    broken = emulator.add_runtime(str(APPS / app), name="broken", isolation="process")
    working = emulator.add_runtime(str(APPS / "slow_tools.py"), name="working", isolation="process")
    with emulator.serve() as base:
        for _ in range(3):  # every attempt starts afresh and fails the same way; none leaves a process
            assert_platform_424(invoke(emulator.invocations_url(broken), new_session(), "pid", {}), words)
        assert children() == []
        assert _pid(emulator.invocations_url(working), new_session()) in children()
        assert len(_overview(base)["sessions"]) == 1


def _load(url_of: Callable[[], str], stop: threading.Event, outcomes: list[str], session: str) -> None:
    """One caller: call ``pid`` (and now and then ``slow``) on its session until ``stop``; record outcomes."""
    n = 0
    while not stop.is_set():
        n += 1
        name, arguments = ("slow", {"seconds": 0.3}) if n % 3 == 0 else ("pid", {})
        try:
            answer = invoke(url_of(), session, name, arguments, timeout=30)
        except httpx.TransportError as exc:  # the emulator is down: refused, or the connection dropped
            outcomes.append(f"transport {type(exc).__name__}")
            time.sleep(0.05)
            continue
        if answer.status_code == 200 and "result" in answer.json():
            outcomes.append("200")
        elif answer.status_code == 424 and answer.headers.get("x-amzn-errortype") == "RuntimeClientError":
            outcomes.append("424")
        else:
            outcomes.append(f"unexpected {answer.status_code} {answer.text[:200]}")


def test_the_emulator_restarted_under_load_answers_every_caller_and_leaks_nothing() -> None:
    before_children, before_fds = children(), descriptors()
    port = free_port("127.0.0.1")
    app = str(APPS / "slow_tools.py")
    current: dict[str, Any] = {}

    def url() -> str:
        emulator: Emulator = current["emulator"]
        runtime: Runtime = current["runtime"]
        return emulator.invocations_url(runtime)

    def start() -> Any:
        emulator = Emulator(control_plane=False, reap_interval=0.2, workload_token=False)
        runtime = emulator.add_runtime(app, name="restarted", isolation="process", arn=current.get("arn"))
        current.update(emulator=emulator, runtime=runtime, arn=runtime.arn)
        serving = emulator.serve(port=port)
        serving.__enter__()
        return serving

    stop = threading.Event()
    outcomes: list[list[str]] = [[] for _ in range(4)]
    serving = start()
    callers = [threading.Thread(target=_load, args=(url, stop, outcomes[i], new_session())) for i in range(4)]
    for caller in callers:
        caller.start()
    wait_for(lambda: all(o.count("200") >= 2 for o in outcomes), 120, "every caller served")
    serving.__exit__(None, None, None)  # shut down with calls in flight
    wait_for(lambda: children() == before_children, 30, "the first emulator's processes to be gone")
    marks = [len(o) for o in outcomes]
    wait_for(
        lambda: all(len(o) > m for o, m in zip(outcomes, marks, strict=True)),
        30,
        "calls to the stopped emulator",
    )
    serving = start()
    marks = [len(o) for o in outcomes]
    wait_for(
        lambda: all(o[m:].count("200") >= 2 for o, m in zip(outcomes, marks, strict=True)),
        120,
        "service after the restart",
    )
    stop.set()
    for caller in callers:
        caller.join(60)
        assert not caller.is_alive(), "a caller hung"
    serving.__exit__(None, None, None)
    wait_for(lambda: children() == before_children, 30, "the second emulator's processes to be gone")
    assert_no_growth(before_fds, descriptors())
    counts: dict[str, int] = {}
    for outcome in (outcome for o in outcomes for outcome in o):
        counts[outcome] = counts.get(outcome, 0) + 1
    write_tally("emulator_restart", sum(counts.values()), counts)
    seen = set(counts)
    assert not [s for s in seen if s.startswith("unexpected")], seen
    assert "200" in seen
