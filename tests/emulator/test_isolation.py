"""``isolation="process"``: each runtime session is a server process of its own, like a microVM."""

from __future__ import annotations

import os
import uuid
from typing import Any

import pytest

from agentcore_mcp.emulator import Emulator
from tests.emulator.conftest import APP_SPEC, HERE, FakeClock, agentcore, invoke, legacy


def _session_id() -> str:
    return f"session-{uuid.uuid4()}"  # 44 characters


def _whoami(client: Any, arn: str, session: str) -> int:
    body = legacy("tools/call", {"name": "whoami", "arguments": {}})
    answer, called = invoke(client, arn, body, runtimeSessionId=session, mcpSessionId=session)
    assert answer["runtimeSessionId"] == session
    assert called["result"]["structuredContent"]["marker"] == "from-the-runtime"
    pid: int = called["result"]["structuredContent"]["pid"]
    return pid


def test_sessions_get_their_own_process_and_keep_it_until_idle_expiry_or_stop(
    emulator: Emulator, clock: FakeClock
) -> None:
    runtime = emulator.add_runtime(
        APP_SPEC, name="isolated", idle_timeout=60, environment={"EMULATOR_TEST_MARKER": "from-the-runtime"}
    )
    assert runtime.isolation == "process"
    with emulator.serve() as url:
        client = agentcore(url)
        one, two = _session_id(), _session_id()
        pid_one = _whoami(client, runtime.arn, one)
        pid_two = _whoami(client, runtime.arn, two)
        assert len({pid_one, pid_two, os.getpid()}) == 3  # two sessions, two processes, neither is ours
        session = emulator.session(one)
        assert session is not None
        assert session.pid == pid_one

        clock.advance(59)
        assert _whoami(client, runtime.arn, one) == pid_one  # same session, same process

        clock.advance(61)  # idle past the timeout: the id gets a fresh microVM
        pid_three = _whoami(client, runtime.arn, one)
        assert pid_three != pid_one
        assert session.process is not None
        assert session.process.exited.is_set()  # the old microVM's process is gone

        client.stop_runtime_session(agentRuntimeArn=runtime.arn, runtimeSessionId=one)
        assert _whoami(client, runtime.arn, one) not in (pid_one, pid_three)
        assert _whoami(client, runtime.arn, two) != pid_two  # idle for 120 s by now, too


def test_max_lifetime_ends_a_busy_session(emulator: Emulator, clock: FakeClock) -> None:
    runtime = emulator.add_runtime(
        APP_SPEC,
        name="short_lived",
        idle_timeout=600,
        max_lifetime=1000,
        environment={"EMULATOR_TEST_MARKER": "from-the-runtime"},
    )
    with emulator.serve() as url:
        client = agentcore(url)
        session = _session_id()
        first = _whoami(client, runtime.arn, session)
        pids = []
        for _ in range(4):
            clock.advance(300)  # never idle for long, but 1200 s old at the end
            pids.append(_whoami(client, runtime.arn, session))
        assert pids[:3] == [first] * 3
        assert pids[3] != first


def test_expire_session_gives_the_id_a_fresh_process(emulator: Emulator) -> None:
    runtime = emulator.add_runtime(
        APP_SPEC, name="expiring", environment={"EMULATOR_TEST_MARKER": "from-the-runtime"}
    )
    with emulator.serve() as url:
        client = agentcore(url)
        session = _session_id()
        first = _whoami(client, runtime.arn, session)
        emulator.expire_session(session)
        assert _whoami(client, runtime.arn, session) != first


def test_a_process_that_dies_mid_request_is_a_424_and_the_next_request_gets_a_new_one(
    emulator: Emulator,
) -> None:
    runtime = emulator.add_runtime(
        APP_SPEC, name="crashy", environment={"EMULATOR_TEST_MARKER": "from-the-runtime"}
    )
    with emulator.serve() as url:
        client = agentcore(url)
        session = _session_id()
        first = _whoami(client, runtime.arn, session)
        with pytest.raises(client.exceptions.RuntimeClientError) as caught:
            invoke(
                client,
                runtime.arn,
                legacy("tools/call", {"name": "crash", "arguments": {}}),
                runtimeSessionId=session,
            )
        assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 424
        assert _whoami(client, runtime.arn, session) != first


def test_a_server_not_ready_within_the_start_timeout_is_a_424(emulator: Emulator) -> None:
    runtime = emulator.add_runtime(str(HERE / "hangs_on_start.py"), name="slow_start", start_timeout=1.5)
    with emulator.serve() as url:
        client = agentcore(url)
        with pytest.raises(client.exceptions.RuntimeClientError) as caught:
            invoke(client, runtime.arn, legacy("tools/list"))
        assert "Runtime initialization time exceeded" in str(caught.value)
        assert emulator.sessions.sessions() == []


def test_a_server_that_fails_to_load_is_a_424_naming_the_exit(emulator: Emulator) -> None:
    runtime = emulator.add_runtime(str(HERE / "no_such_app.py"), name="missing")
    with emulator.serve() as url:
        client = agentcore(url)
        with pytest.raises(client.exceptions.RuntimeClientError) as caught:
            invoke(client, runtime.arn, legacy("tools/list"))
        assert "exited during initialization" in str(caught.value)


def test_the_sweep_stops_an_idle_sessions_process_without_waiting_for_a_request(clock: FakeClock) -> None:
    emulator = Emulator(
        control_plane=False, clock=clock, credentials={"testing": "testing"}, reap_interval=0.05
    )
    runtime = emulator.add_runtime(
        APP_SPEC, name="swept", idle_timeout=60, environment={"EMULATOR_TEST_MARKER": "from-the-runtime"}
    )
    with emulator.serve() as url:
        session_id = _session_id()
        _whoami(agentcore(url), runtime.arn, session_id)
        session = emulator.session(session_id)
        assert session is not None
        assert not session.closed.is_set()
        clock.advance(61)
        assert session.closed.wait(10), "the sweep did not end the idle session"
        assert session.ended == "idle for more than 60s"
        assert session.process is not None
        assert session.process.exit_code is not None
        assert emulator.session(session_id) is None


def test_concurrent_first_requests_of_one_session_share_one_process(emulator: Emulator) -> None:
    from concurrent.futures import ThreadPoolExecutor

    runtime = emulator.add_runtime(
        APP_SPEC, name="racy", environment={"EMULATOR_TEST_MARKER": "from-the-runtime"}
    )
    with emulator.serve() as url:
        session = _session_id()
        clients = [agentcore(url) for _ in range(4)]
        with ThreadPoolExecutor(4) as pool:
            pids = list(pool.map(lambda client: _whoami(client, runtime.arn, session), clients))
        assert len(set(pids)) == 1
        assert len(emulator.sessions.sessions()) == 1
