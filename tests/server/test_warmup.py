"""Runtime V2's warm-up hook served by the app: once, off the event loop, a failure answered 500.

Real uvicorn on loopback and real HTTP: the platform's hook is one POST to the container.
"""

from __future__ import annotations

import threading
import time

import httpx
import pytest

from agentcore_mcp import AgentCoreMCP, tool
from agentcore_mcp.errors import RegistrationError
from agentcore_mcp.server._local import serve_in_thread


@tool
def add_numbers(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


def test_the_hook_runs_the_warmup_once_and_keeps_answering_probes_meanwhile() -> None:
    app = AgentCoreMCP("warm", tools=[add_numbers])
    runs: list[str] = []
    started = threading.Event()

    @app.warmup
    def prepare() -> None:  # sync: runs in a worker thread
        started.set()
        runs.append(threading.current_thread().name)
        time.sleep(1.5)

    assert prepare.__name__ == "prepare"  # the decorator returns the function
    with serve_in_thread(app) as base, httpx.Client(base_url=base, timeout=10) as client:
        answer: dict[str, httpx.Response] = {}
        hook = threading.Thread(target=lambda: answer.update(first=client.post("/warmup")))
        hook.start()
        assert started.wait(5)
        began = time.perf_counter()
        probe = client.get("/ping")
        listed = client.post(
            "/mcp",
            json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
            headers={"Accept": "application/json, text/event-stream", "MCP-Protocol-Version": "2025-11-25"},
        )
        assert time.perf_counter() - began < 1.0, "the probe waited for the warm-up"
        assert probe.status_code == 200
        assert listed.status_code == 200
        hook.join(10)
        assert answer["first"].status_code == 200
        assert answer["first"].json()["status"] == "Ready"
        again = client.post("/warmup")
        assert again.status_code == 200
        assert len(runs) == 1, "a second POST ran the warm-up again"
        assert client.get("/warmup").status_code == 404  # the hook is a POST


def test_an_async_warmup_on_its_own_path() -> None:
    app = AgentCoreMCP("warm")
    calls = 0

    @app.warmup(path="/prepare")
    async def prepare() -> None:
        nonlocal calls
        calls += 1

    with serve_in_thread(app) as base:
        assert httpx.post(f"{base}/prepare").status_code == 200
        assert httpx.post(f"{base}/warmup").status_code == 404
    assert calls == 1


@pytest.mark.parametrize("expose", [False, True])
def test_a_failing_warmup_answers_500_and_says_only_what_the_app_allows(expose: bool) -> None:
    app = AgentCoreMCP("warm", expose_errors=expose)
    attempts = 0

    @app.warmup
    def prepare() -> None:
        nonlocal attempts
        attempts += 1
        raise RuntimeError("model file /secret/path missing")

    with serve_in_thread(app) as base:
        failed = httpx.post(f"{base}/warmup")
        assert failed.status_code == 500
        body = failed.json()
        assert body["status"] == "Failed"
        assert "RuntimeError" in body["error"]
        assert ("/secret/path" in body["error"]) is expose
        assert "Traceback" not in failed.text
        # The platform does not retry; a new POST (a new deploy) tries again.
        assert httpx.post(f"{base}/warmup").status_code == 500
    assert attempts == 2


def test_one_warmup_per_app_and_not_on_a_path_the_server_answers() -> None:
    app = AgentCoreMCP("warm")
    app.warmup(lambda: None)
    with pytest.raises(RegistrationError, match="already registered"):
        app.warmup(lambda: None)
    other = AgentCoreMCP("other")
    with pytest.raises(RegistrationError, match="cannot be /mcp"):
        other.warmup(path="/mcp")(lambda: None)
    with pytest.raises(RegistrationError, match="cannot be /ping"):
        other.warmup(path="/ping/")(lambda: None)
