"""The Tasks extension's client side on mcp 2.x: the claim model, the requests, and the follow loop.

Imported only by :func:`agentcore_mcp.client.tasks_extension` (it imports mcp 2.x, which an mcp 1.x
environment lacks); the contract is that function's docstring.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import anyio
from mcp.client.extension import ClaimContext, ClientExtension, ResultClaim
from mcp.shared.exceptions import MCPError
from mcp_types import CallToolResult, Request, RequestParams, Result
from pydantic import ConfigDict

from agentcore_mcp import _wire as rpc
from agentcore_mcp.errors import TaskFailed

__all__ = [
    "DEFAULT_POLL_INTERVAL",
    "MIN_POLL_INTERVAL",
    "TERMINAL",
    "Extension",
    "TaskWatcher",
    "describe_input_requests",
    "poll_interval",
]

logger = logging.getLogger("agentcore_mcp.client")

#: The statuses a task never leaves.
TERMINAL = rpc.TASK_TERMINAL

#: Polls are never closer than this, whatever the server suggests (a server asking for 1 ms is a busy loop).
MIN_POLL_INTERVAL = 0.1
#: The interval when the server suggests none (SEP-2663 makes ``pollIntervalMs`` optional on ``tasks/get``).
DEFAULT_POLL_INTERVAL = 1.0

TaskWatcher = Callable[[Mapping[str, Any]], None]
"""Called with the task (its wire JSON: ``taskId``, ``status``, ``statusMessage``, ...) on every change."""


def poll_interval(task: Mapping[str, Any], maximum: float) -> float:
    """Seconds until the next ``tasks/get``: the task's ``pollIntervalMs``, within [0.1 s, ``maximum``]."""
    suggested = task.get("pollIntervalMs")
    seconds = suggested / 1000 if isinstance(suggested, (int, float)) and suggested > 0 else None
    return min(max(seconds or DEFAULT_POLL_INTERVAL, MIN_POLL_INTERVAL), maximum)


def describe_input_requests(task: Mapping[str, Any]) -> str:
    """What an ``input_required`` task asks, in one line: each question's kind and message."""
    requests = task.get("inputRequests")
    if not isinstance(requests, Mapping) or not requests:
        return "input"
    parts = []
    for key, request in requests.items():
        method = request.get("method") if isinstance(request, Mapping) else None
        params = request.get("params") if isinstance(request, Mapping) else None
        message = params.get("message") if isinstance(params, Mapping) else None
        what = f"{method or 'a question'} {key!r}"
        parts.append(f"{what}: {message}" if isinstance(message, str) and message else what)
    return "; ".join(parts)


class CreatedTask(Result):
    """The ``resultType: "task"`` answer of a ``tools/call``; every Task field kept (``extra``)."""

    model_config = ConfigDict(extra="allow")
    result_type: Literal["task"] = "task"
    task_id: str
    status: str


class TaskIdParams(RequestParams):
    task_id: str


class GetTask(Request[TaskIdParams, Literal["tasks/get"]]):
    method: Literal["tasks/get"] = "tasks/get"
    name_param = "taskId"  # the SDK mirrors it into Mcp-Name, which the server checks (-32020)


class CancelTask(Request[TaskIdParams, Literal["tasks/cancel"]]):
    method: Literal["tasks/cancel"] = "tasks/cancel"
    name_param = "taskId"


class Answer(Result):
    """A tasks/get or tasks/cancel answer, every field kept as sent."""

    model_config = ConfigDict(extra="allow")


def wire(model: Result) -> dict[str, Any]:
    dumped: dict[str, Any] = model.model_dump(mode="json", by_alias=True, exclude_none=True)
    return dumped


@dataclass(eq=False)
class Extension(ClientExtension):
    """What :func:`~agentcore_mcp.client.tasks_extension` returns: the claim, and the tasks it follows."""

    identifier = rpc.TASKS_EXTENSION

    on_update: TaskWatcher | None
    max_poll: float
    cancel_timeout: float
    timeout: float | None
    interrupted: bool = False
    following: set[_Follow] = field(default_factory=set)

    def claims(self) -> list[ResultClaim[Any]]:
        return [ResultClaim(result_type="task", model=CreatedTask, resolve=self.resolve)]

    def interrupt(self) -> None:
        """Cancel every task followed now or handed over later (see tasks_extension's contract)."""
        self.interrupted = True
        for follow in list(self.following):
            follow.scope.cancel()

    async def resolve(self, created: CreatedTask, ctx: ClaimContext) -> CallToolResult:
        follow = _Follow(self, ctx, wire(created))
        return await follow.run()


class _Follow:
    """One task followed to its end (see tasks_extension's contract)."""

    def __init__(self, owner: Extension, ctx: ClaimContext, task: dict[str, Any]) -> None:
        self.owner = owner
        self.session = ctx.session
        self.timeout = ctx.read_timeout_seconds
        self.task = task
        self.params = TaskIdParams(task_id=task["taskId"])
        self.last: tuple[Any, Any] | None = None
        self.scope = anyio.CancelScope()  # cancelled by Extension.interrupt
        self.gone = False  # the server answered tasks/get with -32602: nothing left to cancel

    def seen(self, task: dict[str, Any]) -> None:
        self.task = task
        change = (task.get("status"), task.get("statusMessage"))
        if change != self.last:
            self.last = change
            if self.owner.on_update is not None:
                self.owner.on_update(task)

    async def get(self) -> None:
        try:
            answer = await self.session.send_request(GetTask(params=self.params), Answer, self.timeout)
        except MCPError as exc:
            if exc.code != rpc.INVALID_PARAMS:
                raise
            self.gone = True
            error = exc.error.model_dump(mode="json", exclude_none=True)
            raise TaskFailed(
                {**self.task, "error": error},
                f"task {self.params.task_id} is gone from the server (expired, or not found there): "
                f"{exc.message} (JSON-RPC error {exc.code})",
            ) from None
        task = wire(answer)
        task.setdefault("taskId", self.params.task_id)
        self.seen(task)

    async def run(self) -> CallToolResult:
        self.seen(self.task)
        self.owner.following.add(self)
        if self.owner.interrupted:  # interrupted while this task's tools/call was in flight
            self.scope.cancel()
        deadline = anyio.move_on_after(self.owner.timeout if self.owner.timeout is not None else math.inf)
        try:
            with self.scope, deadline:
                if self.task.get("status") in TERMINAL:
                    await self.get()  # the handle has neither result nor error
                while self.task.get("status") not in TERMINAL:
                    if self.task.get("status") == "input_required":
                        raise TaskFailed(
                            self.task,
                            f"task {self.params.task_id} asks for {describe_input_requests(self.task)}, "
                            "which this client does not answer; the task is cancelled",
                        )
                    await anyio.sleep(poll_interval(self.task, self.owner.max_poll))
                    await self.get()
        except BaseException:
            await self.cancel()
            raise
        finally:
            self.owner.following.discard(self)
        if self.scope.cancelled_caught or deadline.cancelled_caught:
            await self.cancel()
            if deadline.cancelled_caught:
                raise TimeoutError(
                    f"task {self.params.task_id} not done within {self.owner.timeout:g} s "
                    f"(timeout=); it is {self.task.get('status')} after tasks/cancel"
                )
            raise TaskFailed(
                self.task,
                f"task {self.params.task_id} stopped by the client (interrupt()); "
                f"it is {self.task.get('status')} after tasks/cancel",
            )
        if self.task["status"] == "completed":
            if not isinstance(self.task.get("result"), Mapping):
                raise TaskFailed(self.task, f"task {self.params.task_id} completed without a result")
            return CallToolResult.model_validate(self.task["result"])
        raise TaskFailed(self.task)

    async def cancel(self) -> None:
        """Ask the server to stop the task and wait (bounded) until it says it has, whatever cancels us."""
        if self.gone or self.task.get("status") in TERMINAL:
            return
        with anyio.CancelScope(shield=True), anyio.move_on_after(self.owner.cancel_timeout):
            try:
                await self.session.send_request(CancelTask(params=self.params), Answer, self.timeout)
                await self.get()
                while self.task.get("status") not in TERMINAL:
                    await anyio.sleep(min(poll_interval(self.task, self.owner.max_poll), 0.25))
                    await self.get()
            except Exception as exc:  # the connection may be what failed: keep the original error
                logger.warning("could not cancel task %s: %s", self.params.task_id, exc)
