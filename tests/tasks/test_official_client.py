"""The official mcp 2.x ``Client`` drives our tasks end to end, through its own extension seam.

mcp 2.3 ships no Tasks client, but its ``ClientExtension``/``ResultClaim`` seam lets a client claim the
``resultType: "task"`` shape and resolve it (here: poll ``tasks/get`` until terminal), so ``call_tool``
returns the final ``CallToolResult`` transparently. The SDK sets ``Mcp-Name`` from the request type's
``name_param`` (SEP-2663 routing). Directly on loopback, and through the emulator on our
``AgentCoreTransport`` (one runtime session, so every poll reaches the microVM running the tool) with the
synchronous limit scaled down below the tool's run time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any, Literal

import anyio
import pytest
from mcp.client import Client
from mcp.client.extension import ClaimContext, ClientExtension, ResultClaim
from mcp_types import CallToolResult, Request, RequestParams, Result
from pydantic import ConfigDict, TypeAdapter

from agentcore_mcp import AgentCoreMCP, MemoryTaskStore, Tasks, tool
from agentcore_mcp.client import AgentCoreTransport
from agentcore_mcp.emulator import Emulator, RequestLimits
from agentcore_mcp.server._local import serve_in_thread

TERMINAL = ("completed", "failed", "cancelled")


class CreateTaskResult(Result):
    model_config = ConfigDict(extra="allow")
    result_type: Literal["task"] = "task"
    task_id: str
    status: str
    poll_interval_ms: int | None = None


class TaskIdParams(RequestParams):
    task_id: str


class GetTaskRequest(Request[TaskIdParams, Literal["tasks/get"]]):
    method: Literal["tasks/get"] = "tasks/get"
    name_param = "taskId"


class CancelTaskRequest(Request[TaskIdParams, Literal["tasks/cancel"]]):
    method: Literal["tasks/cancel"] = "tasks/cancel"
    name_param = "taskId"


DETAILED: TypeAdapter[dict[str, Any]] = TypeAdapter(dict[str, Any])


class TasksExtension(ClientExtension):
    """Claims task handles and polls them to their end; records what it saw."""

    identifier = "io.modelcontextprotocol/tasks"

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.task_ids: list[str] = []

    def claims(self) -> list[ResultClaim[Any]]:
        return [ResultClaim(result_type="task", model=CreateTaskResult, resolve=self.resolve)]

    async def resolve(self, created: CreateTaskResult, ctx: ClaimContext) -> CallToolResult:
        self.seen.append(created.status)
        self.task_ids.append(created.task_id)
        params = TaskIdParams(task_id=created.task_id)
        try:
            while True:
                await asyncio.sleep((created.poll_interval_ms or 100) / 1000)
                task = await ctx.session.send_request(GetTaskRequest(params=params), DETAILED)
                self.seen.append(task["status"])
                if task["status"] in TERMINAL:
                    assert task["status"] == "completed", task
                    return CallToolResult.model_validate(task["result"])
        except (
            BaseException
        ):  # the caller gave up: cancel the task on the server too (as docs/long-running.md)
            with anyio.CancelScope(shield=True), anyio.move_on_after(5):
                await ctx.session.send_request(CancelTaskRequest(params=params), DETAILED)
                self.seen.append("cancel sent")
            raise


@tool(task="optional")
async def crawl(seconds: float) -> str:
    """Crawl for a while."""
    await asyncio.sleep(seconds)
    return f"crawled for {seconds:g}s"


def app(store: MemoryTaskStore) -> AgentCoreMCP:
    return AgentCoreMCP("tasks-interop", tools=[crawl], extensions=[Tasks(store, poll_interval=0.05)])


def _text(result: CallToolResult) -> str:
    return "".join(block.text for block in result.content if block.type == "text")


async def test_the_official_client_resolves_a_task_transparently() -> None:
    store = MemoryTaskStore()
    extension = TasksExtension()
    with serve_in_thread(app(store)) as base, anyio.fail_after(20):
        async with Client(f"{base}/mcp", mode="2026-07-28", extensions=[extension]) as client:
            result = await client.call_tool("crawl", {"seconds": 0.3})
    assert _text(result) == "crawled for 0.3s"
    assert extension.seen[0] == "working"
    assert extension.seen[-1] == "completed"
    assert len(store) == 1  # it really ran as a task


async def test_a_client_without_the_extension_gets_a_plain_call() -> None:
    store = MemoryTaskStore()
    with serve_in_thread(app(store)) as base, anyio.fail_after(20):
        async with Client(f"{base}/mcp", mode="2026-07-28") as client:
            result = await client.call_tool("crawl", {"seconds": 0})
    assert _text(result) == "crawled for 0s"
    assert len(store) == 0


async def test_a_caller_giving_up_cancels_the_task_on_the_server() -> None:
    store = MemoryTaskStore()
    extension = TasksExtension()
    with serve_in_thread(app(store)) as base, anyio.fail_after(20):
        async with Client(f"{base}/mcp", mode="2026-07-28", extensions=[extension]) as client:
            with anyio.move_on_after(0.5):  # as Ctrl-C would
                await client.call_tool("crawl", {"seconds": 30})
        assert extension.seen[-1] == "cancel sent"
        (task_id,) = extension.task_ids
        record = await store.get(task_id)
        assert record is not None
        assert record.status == "cancelled"


@pytest.fixture
def emulated() -> Iterator[tuple[Emulator, Any, MemoryTaskStore]]:
    store = MemoryTaskStore()
    emulator = Emulator(
        control_plane=False, credentials={"testing": "testing"}, limits=RequestLimits(sync=0.5, stream=1.0)
    )
    runtime = emulator.add_runtime(app(store), name="tasks_interop", auth="sigv4")
    with emulator.serve() as url:
        emulator.endpoint = url  # type: ignore[attr-defined]
        yield emulator, runtime, store


async def test_through_agentcore_transport_a_tool_past_the_request_limit_completes_as_a_task(
    emulated: tuple[Emulator, Any, MemoryTaskStore], monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator, runtime, store = emulated
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    extension = TasksExtension()
    endpoint = emulator.endpoint  # type: ignore[attr-defined]
    with anyio.fail_after(30):
        transport = AgentCoreTransport(runtime.arn, endpoint_url=endpoint, region="us-east-1")
        async with Client(transport, mode="2026-07-28", extensions=[extension]) as client:
            result = await client.call_tool("crawl", {"seconds": 1.5})  # three times the sync limit
    assert _text(result) == "crawled for 1.5s"
    assert extension.seen.count("working") >= 2  # several polls, each inside the limit
    assert len(store) == 1
    (session,) = emulator.sessions.sessions()  # every request, the call and each poll, on one microVM
    assert session.runtime_session_id == transport.session.runtime_session_id
