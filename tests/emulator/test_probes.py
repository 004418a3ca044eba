"""Health probes: a server that fails AgentCore's probe makes callers get -32010, as on the platform.

The emulator probes every session's server (``POST /mcp`` with a JSON-RPC ping, no session ids); after
``failures`` failed probes in a row the session answers every caller HTTP 200 with JSON-RPC -32010
"Runtime health check failed or timed out", without reaching the server. Probe timings are scaled down.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from agentcore_mcp import _wire as wire
from agentcore_mcp.emulator import Emulator
from agentcore_mcp.emulator._probes import HEALTH_CHECK_FAILED, HealthProbe
from tests.emulator import probe_apps
from tests.emulator.conftest import ACCEPT, HERE, agentcore, initialize_body, invoke, legacy

FAST = HealthProbe(interval=0.1, timeout=0.3, failures=2)
BLOCKS_LOOP = f"{HERE / 'probe_apps.py'}:blocks_loop"
DEMO = str(HERE.parent.parent / "examples" / "demo_server.py")


def _sid() -> str:
    return f"probe-{uuid.uuid4()}"


def _wait_until_failed(emulator: Emulator, session_id: str, timeout: float = 10.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        session = emulator.session(session_id)
        if session is not None and session.health.failed is not None:
            return session.health.failed
        time.sleep(0.02)
    raise AssertionError(f"session {session_id} never failed its health probe")


def _is_health_failure(answer: Any, request_id: int) -> bool:
    error = answer.get("error", {})
    return bool(
        answer.get("id") == request_id
        and error.get("code") == wire.AC_RUNTIME_CLIENT_ERROR
        and error.get("message") == HEALTH_CHECK_FAILED
    )


@pytest.fixture
def served() -> Iterator[tuple[Emulator, str]]:
    emulator = Emulator(control_plane=False, credentials={"testing": "testing"}, health_probe=FAST)
    with emulator.serve() as url:
        yield emulator, url


def test_a_blocked_event_loop_fails_the_probe_and_callers_get_32010_via_boto3(
    served: tuple[Emulator, str],
) -> None:
    emulator, url = served
    runtime = emulator.add_runtime(BLOCKS_LOOP, name="blocks_loop", auth="sigv4", isolation="process")
    client = agentcore(url)
    session = _sid()
    answer, _ = invoke(client, runtime.arn, initialize_body(), runtimeSessionId=session)
    assert answer["statusCode"] == 200
    assert emulator.session(session) is not None
    blocked = threading.Thread(
        target=invoke,
        args=(client, runtime.arn, legacy("tools/call", {"name": "block", "arguments": {"seconds": 2}})),
        kwargs={"runtimeSessionId": session},
    )
    blocked.start()
    try:
        assert "no answer within 0.3s" in _wait_until_failed(emulator, session)
        answer, refused = invoke(
            client,
            runtime.arn,
            legacy("tools/call", {"name": "hello", "arguments": {}}, id=7),
            runtimeSessionId=session,
        )
        assert answer["statusCode"] == 200
        assert answer["runtimeSessionId"] == session
        assert _is_health_failure(refused, 7)
    finally:
        blocked.join(10)
    # a new session gets a fresh microVM that answers again
    _, fine = invoke(client, runtime.arn, legacy("tools/call", {"name": "hello", "arguments": {}}))
    assert fine["result"]["content"][0]["text"] == "hello"


def test_a_blocked_event_loop_fails_the_probe_and_callers_get_32010_via_bearer(
    served: tuple[Emulator, str],
) -> None:
    emulator, _ = served
    runtime = emulator.add_runtime(BLOCKS_LOOP, name="blocks_bearer", auth="jwt", isolation="process")
    url = emulator.invocations_url(runtime)
    session = _sid()
    headers = {
        "Authorization": f"Bearer {emulator.mint_token()}",
        "Content-Type": "application/json",
        "Accept": ACCEPT,
        "Mcp-Session-Id": session,
    }

    def post(body: dict[str, Any]) -> httpx.Response:
        return httpx.post(url, content=json.dumps(body), headers=headers, timeout=20)

    assert post(initialize_body()).status_code == 200
    blocked = threading.Thread(
        target=post, args=(legacy("tools/call", {"name": "block", "arguments": {"seconds": 2}}),)
    )
    blocked.start()
    try:
        _wait_until_failed(emulator, session)
        refused = post(legacy("tools/list", id=9))
        assert refused.status_code == 200
        assert refused.headers["mcp-session-id"] == session
        assert _is_health_failure(refused.json(), 9)
    finally:
        blocked.join(10)


def test_a_server_that_answers_the_probe_406_gets_32010_though_its_clients_were_served(
    served: tuple[Emulator, str],
) -> None:
    emulator, url = served
    runtime = emulator.add_runtime(probe_apps.refuses_probes, name="refuses_probes", auth="sigv4")
    client = agentcore(url)
    session = _sid()
    _answer, listed = invoke(client, runtime.arn, legacy("tools/list"), runtimeSessionId=session)
    assert "add_numbers" in {t["name"] for t in listed["result"]["tools"]}  # callers reach it
    assert _wait_until_failed(emulator, session) == "answered HTTP 406"
    _, refused = invoke(client, runtime.arn, legacy("tools/list", id=3), runtimeSessionId=session)
    assert _is_health_failure(refused, 3)


def test_the_demo_passes_every_probe_under_load() -> None:
    # probed 10 times a second, with a timeout closer to the platform's (the load shares two cores)
    probe = HealthProbe(interval=0.1, timeout=2.0, failures=2)
    emulator = Emulator(control_plane=False, credentials={"testing": "testing"}, health_probe=probe)
    with emulator.serve() as url:
        _load_the_demo(emulator, url)


def _load_the_demo(emulator: Emulator, url: str) -> None:
    runtime = emulator.add_runtime(DEMO, name="demo", auth="sigv4", isolation="process")
    client = agentcore(url, max_pool_connections=16)
    sessions = [_sid() for _ in range(4)]
    for session in sessions:
        invoke(client, runtime.arn, initialize_body(), runtimeSessionId=session)

    def call(n: int) -> Any:
        body = legacy("tools/call", {"name": "add_numbers", "arguments": {"a": n, "b": 1}}, id=n)
        return invoke(client, runtime.arn, body, runtimeSessionId=sessions[n % 4])[1]

    began = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        while time.monotonic() - began < 3.0:  # ~30 probe rounds per session
            answers = list(pool.map(call, range(64)))
            assert all("result" in a for a in answers), [a for a in answers if "result" not in a][:1]
    for session_id in sessions:
        session = emulator.session(session_id)
        assert session is not None
        assert session.health.failed is None
        assert session.health.failures == 0
        assert session.health.probes >= 10


def test_no_probes_when_turned_off() -> None:
    emulator = Emulator(control_plane=False, health_probe=None)
    runtime = emulator.add_runtime(probe_apps.refuses_probes, name="unprobed")
    with emulator.serve():
        session = _sid()
        headers = {"Content-Type": "application/json", "Accept": ACCEPT, "Mcp-Session-Id": session}
        target = emulator.invocations_url(runtime)
        body = json.dumps(legacy("tools/list"))
        assert httpx.post(target, content=body, headers=headers, timeout=10).status_code == 200
        time.sleep(0.3)
        found = emulator.session(session)
        assert found is not None
        assert found.health.probes == 0
        assert "result" in httpx.post(target, content=body, headers=headers, timeout=10).json()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"interval": 0}, "HealthProbe.interval must be a positive number of seconds"),
        ({"timeout": -1}, "HealthProbe.timeout must be a positive number of seconds"),
        ({"timeout": float("inf")}, "HealthProbe.timeout must be a positive number of seconds"),
        ({"failures": 0}, "HealthProbe.failures must be a positive integer"),
        ({"failures": 1.5}, "HealthProbe.failures must be a positive integer"),
    ],
)
def test_a_bad_probe_schedule_is_refused_with_what_is_wrong(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        HealthProbe(**options)
