"""``isolation="snapshot"``: sessions forked from one process that imported the app, as Runtime V2 does.

Import-time state is shared by every session (a deliberately unsafe app shows it); our server's
ephemeral requestState key is made per session; a session starts much faster than with
``isolation="process"`` (median of 20).
"""

from __future__ import annotations

import os
import statistics
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from agentcore_mcp.emulator import Emulator
from tests.emulator.conftest import HERE, agentcore, invoke, legacy

UNSAFE = f"{HERE / 'snapshot_apps.py'}:app"


@pytest.fixture
def served() -> Iterator[tuple[Emulator, str]]:
    emulator = Emulator(control_plane=False, credentials={"testing": "testing"})
    with emulator.serve() as url:
        yield emulator, url


def _call(client: Any, arn: str, name: str, session: str | None = None) -> Any:
    members = {"runtimeSessionId": session or f"snapshot-{uuid.uuid4()}"}
    _, answer = invoke(client, arn, legacy("tools/call", {"name": name, "arguments": {}}), **members)
    result = answer["result"]
    structured = result.get("structuredContent")
    if isinstance(structured, dict) and set(structured) != {"result"}:
        return structured
    return result["content"][0]["text"]


def test_sessions_from_one_snapshot_share_import_time_state(served: tuple[Emulator, str]) -> None:
    emulator, url = served
    snapshot = emulator.add_runtime(UNSAFE, name="snapshot", isolation="snapshot")
    fresh = emulator.add_runtime(UNSAFE, name="fresh", isolation="process")
    client = agentcore(url)
    one, two = (_call(client, snapshot.arn, "import_state") for _ in range(2))
    assert one["pid"] != two["pid"]  # two microVMs
    assert one["pid"] != os.getpid()
    assert one["token"] == two["token"]  # made once, at import, before the snapshot
    assert one["draw"] == two["draw"]
    assert one["import_pid"] == two["import_pid"] not in (one["pid"], two["pid"])
    assert one["fresh_token"] != two["fresh_token"]  # made in the handler: differs
    three, four = (_call(client, fresh.arn, "import_state") for _ in range(2))
    assert three["token"] != four["token"]  # each process imported the app itself
    assert three["import_pid"] == three["pid"]


def test_our_server_seals_with_a_key_of_its_own_in_each_session(served: tuple[Emulator, str]) -> None:
    emulator, url = served
    runtime = emulator.add_runtime(UNSAFE, name="keys", isolation="snapshot")
    client = agentcore(url)
    keys = {_call(client, runtime.arn, "state_key_id") for _ in range(2)}
    assert len(keys) == 2


def test_a_session_of_a_snapshot_ends_like_any_microvm(served: tuple[Emulator, str]) -> None:
    emulator, url = served
    runtime = emulator.add_runtime(UNSAFE, name="stopped", isolation="snapshot")
    client = agentcore(url)
    session = f"snapshot-{uuid.uuid4()}"
    pid = _call(client, runtime.arn, "import_state", session)["pid"]
    assert (
        client.stop_runtime_session(agentRuntimeArn=runtime.arn, runtimeSessionId=session)["statusCode"]
        == 200
    )
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.02)
    else:
        raise AssertionError(f"the stopped session's process {pid} is still running")
    again = _call(client, runtime.arn, "import_state", session)
    assert again["pid"] != pid  # the same id gets a fresh microVM


def _median_start(emulator: Emulator, client: Any, arn: str) -> tuple[float, float]:
    """Medians of 20 new sessions: the microVM's start (ready to serve), and the first call's answer."""
    _call(client, arn, "import_state")  # the first session also starts the template
    ready, answered = [], []
    for _ in range(20):
        session = f"snapshot-{uuid.uuid4()}"
        began = time.perf_counter()
        _call(client, arn, "import_state", session)
        answered.append(time.perf_counter() - began)
        live = emulator.session(session)
        assert live is not None
        ready.append(live.start_seconds)
    return statistics.median(ready), statistics.median(answered)


def test_a_snapshot_session_starts_far_faster_than_a_process(served: tuple[Emulator, str]) -> None:
    emulator, url = served
    snapshot = emulator.add_runtime(UNSAFE, name="fast", isolation="snapshot")
    process = emulator.add_runtime(UNSAFE, name="slow", isolation="process")
    client = agentcore(url)
    (forked, forked_answer), (started, started_answer) = (
        _median_start(emulator, client, snapshot.arn),
        _median_start(emulator, client, process.arn),
    )
    print(
        f"\nmedian of 20 new sessions: microVM ready: snapshot {forked * 1000:.0f} ms, process "
        f"{started * 1000:.0f} ms; first answer: snapshot {forked_answer * 1000:.0f} ms, process "
        f"{started_answer * 1000:.0f} ms"
    )
    assert forked < started / 10  # a fork, not an interpreter start and an import
    assert forked_answer < started_answer
