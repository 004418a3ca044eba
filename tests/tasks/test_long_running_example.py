"""examples/long_running.py in its own server process behind the emulator, its "minute" scaled to 0.2 s.

The emulator's synchronous limit is 0.5 s: a five-page report (1 s) could not be a plain call, and
``build_report`` refuses to be one; as a task it completes. ``deploy_release`` waits for an approval.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agentcore_mcp import Tasks
from agentcore_mcp.emulator import Emulator, RequestLimits
from tests.emulator.conftest import ACCEPT, agentcore, read_answer

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "long_running.py"
MODERN = "2026-07-28"
SESSION = "long-running-example-0123456789-0123456789"


@pytest.fixture(scope="module")
def send() -> Iterator[Any]:
    emulator = Emulator(
        control_plane=False, credentials={"testing": "testing"}, limits=RequestLimits(sync=0.5, stream=1.0)
    )
    runtime = emulator.add_runtime(
        f"{EXAMPLE}:app",
        name="long_running",
        auth="sigv4",
        isolation="process",
        environment={"LONG_RUNNING_STEP_SECONDS": "0.2"},
    )
    with emulator.serve() as url:
        client = agentcore(url)

        def call(method: str, params: dict[str, Any], *, tasks: bool = True) -> Any:
            caps: dict[str, Any] = {"elicitation": {}}
            if tasks:
                caps["extensions"] = {Tasks.name: {}}
            meta = {
                "io.modelcontextprotocol/protocolVersion": MODERN,
                "io.modelcontextprotocol/clientCapabilities": caps,
            }
            body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": {**params, "_meta": meta}}
            members = {
                "agentRuntimeArn": runtime.arn,
                "payload": json.dumps(body).encode(),
                "contentType": "application/json",
                "accept": ACCEPT,
                "mcpProtocolVersion": MODERN,
                "mcpMethod": method,
                "runtimeSessionId": SESSION,  # every request on the same microVM
            }
            name = params.get("name") or params.get("taskId")
            if name is not None:
                members["mcpName"] = name
            try:
                return read_answer(client.invoke_agent_runtime(**members))
            except client.exceptions.ClientError as exc:
                return {
                    "http": exc.response["ResponseMetadata"]["HTTPStatusCode"],
                    "error": exc.response["Error"],
                }

        # The session's server process starts on its first request, which may take longer than the 0.5 s
        # limit on a loaded machine: warm it up first, as a real microVM is warm after its first request.
        deadline = time.monotonic() + 30
        while "result" not in call("server/discover", {}):
            assert time.monotonic() < deadline, "the example's server did not start"
            time.sleep(0.2)
        yield call


def wait(send: Any, task_id: str, statuses: tuple[str, ...]) -> dict[str, Any]:
    deadline = time.monotonic() + 20
    while True:
        task = send("tasks/get", {"taskId": task_id})["result"]
        if task["status"] in statuses:
            return task  # type: ignore[no-any-return]
        assert time.monotonic() < deadline, task
        time.sleep(0.1)


def test_the_report_runs_only_as_a_task_and_outlives_the_request_limit(send: Any) -> None:
    refused = send("tools/call", {"name": "build_report", "arguments": {"pages": 5}}, tasks=False)
    assert refused["http"] == 400  # -32021: it needs the tasks extension (botocore hides the body)
    assert refused["error"]["Code"] != "RuntimeClientError"
    created = send("tools/call", {"name": "build_report", "arguments": {"pages": 5}})["result"]
    assert created["resultType"] == "task"
    assert created["pollIntervalMs"] == 200  # no slower than a shortened step: a demo waits for no poll
    assert created["ttlMs"] == 4 * 3600 * 1000
    done = wait(send, created["taskId"], ("completed", "failed", "cancelled"))
    assert done["result"]["content"][0]["text"] == "Report over 5 pages"


def test_a_deploy_waits_for_approval(send: Any) -> None:
    created = send("tools/call", {"name": "deploy_release", "arguments": {"version": "v2"}})["result"]
    (key,) = wait(send, created["taskId"], ("input_required",))["inputRequests"]
    send(
        "tasks/update",
        {
            "taskId": created["taskId"],
            "inputResponses": {key: {"action": "accept", "content": {"approve": True}}},
        },
    )
    done = wait(send, created["taskId"], ("completed", "failed", "cancelled"))
    assert done["result"]["content"][0]["text"] == "v2 deployed"
