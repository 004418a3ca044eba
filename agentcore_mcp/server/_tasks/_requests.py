"""What every task request shares: the checks, the caller's identity, and one running task's state."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from agentcore_mcp import _wire as rpc
from agentcore_mcp.errors import ProtocolError
from agentcore_mcp.server._envelope import decode_header_value

if TYPE_CHECKING:
    from agentcore_mcp.server._call import Call
    from agentcore_mcp.server._tasks._store import TaskRecord

__all__ = [
    "NOT_FOUND",
    "REQUIRED",
    "TASK_ID",
    "Run",
    "TaskIds",
    "apply",
    "check",
    "declared",
    "owner_of",
    "progress_text",
    "require_extension",
]

REQUIRED: dict[str, Any] = {"requiredCapabilities": {"extensions": {rpc.TASKS_EXTENSION: {}}}}
# What new_task_id() makes, with room for ids of other implementations sharing a store; anything else is
# answered "not found" without a store read.
TASK_ID = re.compile(r"[A-Za-z0-9_\-]{1,128}")
NOT_FOUND = "Task not found"


class TaskIds(list[str]):
    """The task ids a listen stream was promised, remembering who asked (the list is sent as a plain list)."""

    def __init__(self, ids: Iterable[str], owner: str | None) -> None:
        super().__init__(ids)
        self.owner = owner


class Run:
    """A task running in this process: its asyncio task and the questions it waits on."""

    __slots__ = ("caps", "owner", "reported", "runner", "supervisor", "task_id", "used", "waiting")

    def __init__(self, task_id: str, call: Call) -> None:
        self.task_id = task_id
        self.reported = -1e9  # loop time of the last progress written to the record
        self.caps = call.client_capabilities
        self.owner = owner_of(call)
        self.runner: asyncio.Task[Any] | None = None
        self.supervisor: asyncio.Task[None] | None = None  # kept here so the loop cannot drop it
        self.waiting: dict[str, asyncio.Future[Any]] = {}
        self.used: set[str] = set()  # input keys asked so far (unique over the task's lifetime)

    def key(self, raw: str) -> str:
        """The input key for a question: its own key (or its kind, for an unnamed one), numbered if used."""
        base = raw[1:] if raw.startswith("\0") else raw
        candidate, n = base, 1
        while candidate in self.used:
            candidate, n = f"{base}-{n}", n + 1
        self.used.add(candidate)
        return candidate


def progress_text(progress: float, total: float | None, message: str | None) -> str:
    """A progress report as a status message: ``"3/10: copying"``; ``"3"`` with neither total nor message."""
    done = f"{progress:g}/{total:g}" if total is not None else f"{progress:g}"
    return f"{done}: {message}" if message else done


def apply(record: TaskRecord, outcome: Mapping[str, Any]) -> TaskRecord | None:
    if record.terminal:
        return None
    record.status = outcome["status"]
    record.error = outcome.get("error")
    record.status_message = outcome.get("statusMessage")
    record.input_requests = {}
    record.answers = {}
    return record


def declared(call: Call) -> bool:
    extensions = call.client_capabilities.get("extensions")
    return isinstance(extensions, dict) and rpc.TASKS_EXTENSION in extensions


def require_extension(call: Call) -> None:
    if not declared(call):
        raise ProtocolError(
            rpc.MISSING_CLIENT_CAPABILITY,
            f"Task requests need the {rpc.TASKS_EXTENSION} extension in the request's client capabilities",
            data=REQUIRED,
        )


def owner_of(call: Call) -> str | None:
    user = rpc.RUNTIME_USER_ID.encode()
    for name, value in call.headers.raw:
        if name == user:
            return value.decode("latin-1")
    return None


def check(params: Mapping[str, Any], call: Call) -> str:
    """The checks every task method shares: routing header, capability, a string ``taskId``."""
    task_id = params.get("taskId")
    if isinstance(task_id, str):
        sent = call.headers.name
        if sent is None:
            raise ProtocolError(rpc.HEADER_MISMATCH, "Mcp-Name header is required")
        if decode_header_value(sent) != task_id:
            raise ProtocolError(rpc.HEADER_MISMATCH, "Mcp-Name header does not match params.taskId")
    require_extension(call)
    if not isinstance(task_id, str):
        raise ProtocolError(rpc.INVALID_PARAMS, f"{call.method}: taskId must be a string")
    return task_id
