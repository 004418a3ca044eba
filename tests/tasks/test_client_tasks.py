"""``agentcore_mcp.client.tasks_extension``: the official mcp 2.x ``Client`` following tasks to their end.

Against the real server on loopback, and against a scripted session for what our server never answers
(a task waiting for input this client cannot give, a server suggesting a busy-loop poll interval).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Mapping
from typing import Any

import anyio
import pytest
from mcp.client import Client
from mcp.client.extension import ClaimContext
from mcp.shared.exceptions import MCPError

from agentcore_mcp import AgentCoreMCP, MemoryTaskStore, ProtocolError, Tasks, tool
from agentcore_mcp.client import tasks_extension
from agentcore_mcp.client._task_follow import poll_interval
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
    polling = anyio.Event()

    def update(task: Mapping[str, Any]) -> None:
        seen.append(task)
        polling.set()  # the handle has reached the client: the call is now polling

    with serve_in_thread(app(store)) as base, anyio.fail_after(20):
        extension = tasks_extension(update)
        async with (
            Client(f"{base}/mcp", mode="auto", extensions=[extension]) as client,
            anyio.create_task_group() as group,
        ):
            group.start_soon(client.call_tool, "crawl", {"seconds": 30})
            await polling.wait()
            group.cancel_scope.cancel()
    assert [task["status"] for task in seen] == ["working", "cancelled"]
    record = await store.get(seen[0]["taskId"])
    assert record is not None
    assert record.status == "cancelled"


class HoldingStore(MemoryTaskStore):
    """Stores a task, then holds the tools/call's answer (its handle) back for ``hold`` seconds."""

    def __init__(self, hold: float) -> None:
        super().__init__()
        self.hold = hold
        self.created = threading.Event()

    async def create(self, record: Any) -> None:
        await super().create(record)
        self.created.set()
        await asyncio.sleep(self.hold)


async def test_interrupt_while_the_tools_call_is_in_flight_cancels_the_task_its_answer_brings() -> None:
    store = HoldingStore(hold=1.0)
    seen: list[Mapping[str, Any]] = []
    extension: Any = tasks_extension(seen.append)
    with serve_in_thread(app(store)) as base, anyio.fail_after(20):
        async with (
            Client(f"{base}/mcp", mode="auto", extensions=[extension]) as client,
            anyio.create_task_group() as group,
        ):

            async def call() -> None:
                with pytest.raises(TaskFailed) as failed:
                    await client.call_tool("crawl", {"seconds": 30})
                assert "stopped by the client (interrupt())" in str(failed.value)

            group.start_soon(call)
            await anyio.to_thread.run_sync(store.created.wait)  # the task exists; its handle is held back
            assert seen == []
            extension.interrupt()
    assert [task["status"] for task in seen] == ["working", "cancelled"]
    record = await store.get(seen[0]["taskId"])
    assert record is not None
    assert record.status == "cancelled"


class ScriptedSession:
    """Answers tasks/get with the next scripted task (the last one repeats); records every method sent."""

    def __init__(self, *answers: Any) -> None:
        self.answers: list[Any] = list(answers)
        self.sent: list[str] = []

    async def send_request(self, request: Any, model: Any, *_: Any) -> Any:
        self.sent.append(request.method)
        if isinstance(self.answers[0], MCPError):
            raise self.answers[0]
        if request.method == "tasks/cancel":
            self.answers = [{**self.answers[0], "status": "cancelled"}]
            return model.model_validate({})
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        return model.model_validate({"resultType": "complete", **answer})


async def _resolve(
    session: ScriptedSession, created: dict[str, Any], seen: list[Mapping[str, Any]], extension: Any = None
) -> Any:
    extension = extension or tasks_extension(seen.append)
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


RESULT = {"content": [{"type": "text", "text": "ok"}]}


@pytest.mark.parametrize("status", ["completed", "failed"])
async def test_a_handle_already_terminal_is_read_once(status: str) -> None:
    created = {"resultType": "task", "taskId": "t3", "status": status}
    ended = {"taskId": "t3", "status": status}
    ended.update(
        {"result": RESULT} if status == "completed" else {"error": {"code": -32603, "message": "no"}}
    )
    session = ScriptedSession(ended)
    seen: list[Mapping[str, Any]] = []
    with anyio.fail_after(10):
        if status == "completed":
            assert (await _resolve(session, created, seen)).content[0].text == "ok"
        else:
            with pytest.raises(TaskFailed) as failed:
                await _resolve(session, created, seen)
            assert failed.value.error == {"code": -32603, "message": "no"}
            assert str(failed.value) == "task t3 failed: no (JSON-RPC error -32603)"
    assert session.sent == ["tasks/get"]


async def test_a_completed_task_without_a_result_is_an_error_saying_so() -> None:
    created = {"resultType": "task", "taskId": "t4", "status": "working", "pollIntervalMs": 1}
    session = ScriptedSession({"taskId": "t4", "status": "completed"})
    with anyio.fail_after(10), pytest.raises(TaskFailed, match=r"^task t4 completed without a result$"):
        await _resolve(session, created, [])
    assert session.sent == ["tasks/get"]


async def test_a_task_the_server_no_longer_has_is_task_failed() -> None:
    created = {"resultType": "task", "taskId": "t5", "status": "working", "pollIntervalMs": 1}
    session = ScriptedSession(MCPError(-32602, "Task not found"))
    with anyio.fail_after(10), pytest.raises(TaskFailed) as failed:
        await _resolve(session, created, [])
    assert str(failed.value) == (
        "task t5 is gone from the server (expired, or not found there): Task not found (JSON-RPC error -32602)"
    )
    assert failed.value.error == {"code": -32602, "message": "Task not found"}
    assert failed.value.status == "working"  # the last status seen
    assert session.sent == ["tasks/get"]  # nothing left to cancel


async def test_the_timeout_bounds_the_polling_and_cancels_the_task() -> None:
    created = {"resultType": "task", "taskId": "t6", "status": "working", "pollIntervalMs": 1}
    session = ScriptedSession({"taskId": "t6", "status": "working"})
    seen: list[Mapping[str, Any]] = []
    with anyio.fail_after(10), pytest.raises(TimeoutError, match=r"task t6 not done within 0\.3 s"):
        await _resolve(session, created, seen, tasks_extension(seen.append, timeout=0.3))
    assert session.sent[-2:] == ["tasks/cancel", "tasks/get"]
    assert seen[-1]["status"] == "cancelled"
    with pytest.raises(ValueError, match="timeout positive"):
        tasks_extension(timeout=0)


async def test_a_handle_arriving_after_interrupt_is_cancelled_at_once() -> None:
    created = {"resultType": "task", "taskId": "t7", "status": "working", "pollIntervalMs": 1}
    session = ScriptedSession({"taskId": "t7", "status": "working"})
    seen: list[Mapping[str, Any]] = []
    extension: Any = tasks_extension(seen.append)
    extension.interrupt()
    with anyio.fail_after(10), pytest.raises(TaskFailed, match="stopped by the client"):
        await _resolve(session, created, seen, extension)
    assert session.sent == ["tasks/cancel", "tasks/get"]
    assert [task["status"] for task in seen] == ["working", "cancelled"]


def test_the_poll_interval_is_the_servers_within_bounds() -> None:
    assert poll_interval({"pollIntervalMs": 250}, 10.0) == 0.25
    assert poll_interval({"pollIntervalMs": 1}, 10.0) == 0.1  # never a busy loop
    assert poll_interval({"pollIntervalMs": 3_600_000}, 10.0) == 10.0  # changes still seen within 10 s
    assert poll_interval({}, 10.0) == 1.0
    assert poll_interval({"pollIntervalMs": None}, 5.0) == 1.0
