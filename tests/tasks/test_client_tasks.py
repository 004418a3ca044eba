"""``agentcore_mcp.client.tasks_extension``: the official mcp 2.x ``Client`` following tasks to their end.

Against the real server on loopback, and against a scripted session for what our server never answers
(a task waiting for input this client cannot give, a server suggesting a busy-loop poll interval).
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import anyio
import pytest
from mcp.client import Client
from mcp.client.extension import ClaimContext

from agentcore_mcp import AgentCoreMCP, MemoryTaskStore, ProtocolError, Tasks, tool
from agentcore_mcp.client import tasks_extension
from agentcore_mcp.client._tasks import poll_interval
from agentcore_mcp.errors import TaskFailed
from agentcore_mcp.server._local import serve_in_thread

pytestmark = pytest.mark.mcp2


@tool(task="optional")
async def crawl(seconds: float) -> str:
    await asyncio.sleep(seconds)
    return f"crawled for {seconds:g}s"


@tool(task="required")
async def explode() -> str:
    raise ProtocolError(-32603, "the crawler broke")


def app(store: MemoryTaskStore) -> AgentCoreMCP:
    return AgentCoreMCP("client-tasks", tools=[crawl, explode], extensions=[Tasks(store, poll_interval=0.05)])


async def test_call_tool_returns_the_tasks_result_and_reports_each_change_once() -> None:
    store = MemoryTaskStore()
    seen: list[Mapping[str, Any]] = []
    with serve_in_thread(app(store)) as base, anyio.fail_after(20):
        async with Client(f"{base}/mcp", mode="auto", extensions=[tasks_extension(seen.append)]) as client:
            result = await client.call_tool("crawl", {"seconds": 0.4})
    assert [block.text for block in result.content if block.type == "text"] == ["crawled for 0.4s"]
    assert [task["status"] for task in seen] == ["working", "completed"]  # ~8 polls, two changes
    assert len({task["taskId"] for task in seen}) == 1
    assert len(store) == 1


async def test_a_failed_task_raises_task_failed_with_its_error() -> None:
    with serve_in_thread(app(MemoryTaskStore())) as base, anyio.fail_after(20):
        async with Client(f"{base}/mcp", mode="auto", extensions=[tasks_extension()]) as client:
            with pytest.raises(TaskFailed) as failed:
                await client.call_tool("explode", {})
    assert failed.value.status == "failed"
    assert failed.value.error == {"code": -32603, "message": "the crawler broke"}
    assert (
        str(failed.value) == f"task {failed.value.task_id} failed: the crawler broke (JSON-RPC error -32603)"
    )


async def test_a_caller_giving_up_cancels_the_task_and_waits_for_the_cancelled_status() -> None:
    store = MemoryTaskStore()
    seen: list[Mapping[str, Any]] = []
    with serve_in_thread(app(store)) as base, anyio.fail_after(20):
        async with Client(f"{base}/mcp", mode="auto", extensions=[tasks_extension(seen.append)]) as client:
            with anyio.move_on_after(0.4):
                await client.call_tool("crawl", {"seconds": 30})
    assert [task["status"] for task in seen] == ["working", "cancelled"]
    record = await store.get(seen[0]["taskId"])
    assert record is not None
    assert record.status == "cancelled"


class ScriptedSession:
    """Answers tasks/get with the next scripted task (the last one repeats); records every method sent."""

    def __init__(self, *answers: dict[str, Any]) -> None:
        self.answers = list(answers)
        self.sent: list[str] = []

    async def send_request(self, request: Any, model: Any, *_: Any) -> Any:
        self.sent.append(request.method)
        if request.method == "tasks/cancel":
            self.answers = [{**self.answers[0], "status": "cancelled"}]
            return model.model_validate({})
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        return model.model_validate({"resultType": "complete", **answer})


async def _resolve(session: ScriptedSession, created: dict[str, Any], seen: list[Mapping[str, Any]]) -> Any:
    extension: Any = tasks_extension(seen.append)
    (claim,) = extension.claims()
    context = ClaimContext(session=session, tool_name="t", read_timeout_seconds=None)  # type: ignore[arg-type]
    return await claim.resolve(claim.model.model_validate(created), context)


async def test_input_required_is_reported_and_the_task_cancelled() -> None:
    created = {"resultType": "task", "taskId": "t1", "status": "working", "pollIntervalMs": 1}
    asking = {
        "taskId": "t1",
        "status": "input_required",
        "inputRequests": {"ok": {"method": "elicitation/create", "params": {"message": "Deploy 1.2?"}}},
    }
    session = ScriptedSession(asking)
    seen: list[Mapping[str, Any]] = []
    with anyio.fail_after(10), pytest.raises(TaskFailed) as failed:
        await _resolve(session, created, seen)
    assert failed.value.status == "input_required"
    assert str(failed.value) == (
        "task t1 asks for elicitation/create 'ok': Deploy 1.2?, which this client does not answer; "
        "the task is cancelled"
    )
    assert session.sent == ["tasks/get", "tasks/cancel", "tasks/get"]
    assert [task["status"] for task in seen] == ["working", "input_required", "cancelled"]


async def test_a_status_message_change_is_a_change_and_a_repeat_is_not() -> None:
    created = {"resultType": "task", "taskId": "t2", "status": "working", "pollIntervalMs": 1}
    same = {"taskId": "t2", "status": "working"}
    session = ScriptedSession(
        same,
        same,
        {**same, "statusMessage": "page 2 of 3"},
        {**same, "statusMessage": "page 2 of 3"},
        {"taskId": "t2", "status": "completed", "result": {"content": [{"type": "text", "text": "ok"}]}},
    )
    seen: list[Mapping[str, Any]] = []
    with anyio.fail_after(10):
        result = await _resolve(session, created, seen)
    assert result.content[0].text == "ok"
    assert [(t["status"], t.get("statusMessage")) for t in seen] == [
        ("working", None),
        ("working", "page 2 of 3"),
        ("completed", None),
    ]


def test_the_poll_interval_is_the_servers_within_bounds() -> None:
    assert poll_interval({"pollIntervalMs": 250}, 10.0) == 0.25
    assert poll_interval({"pollIntervalMs": 1}, 10.0) == 0.1  # never a busy loop
    assert poll_interval({"pollIntervalMs": 3_600_000}, 10.0) == 10.0  # changes still seen within 10 s
    assert poll_interval({}, 10.0) == 1.0
    assert poll_interval({"pollIntervalMs": None}, 5.0) == 1.0
