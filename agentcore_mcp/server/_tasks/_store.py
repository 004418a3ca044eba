"""Where tasks live: the record of one task, the store interface, and the bounded in-memory default.

A task record is the whole observable state of one task (the Tasks extension's ``DetailedTask``) plus what
the server needs to run it: who owns it, which process runs it, answers delivered by ``tasks/update`` that
the run has not taken yet, and a version number for optimistic concurrency. Every change is a conditional
replace: read the record, change a copy, write it back only if nobody wrote in between
(:meth:`TaskStore.update` retries on a conflict). So two processes sharing a store (two AgentCore sessions of
one runtime, each its own microVM, on :class:`~agentcore_mcp.server._tasks._dynamodb.DynamoDBTaskStore`)
never lose each other's writes, and a terminal status is never overwritten.

Contracts every store keeps:

* :meth:`TaskStore.create` returns only once a :meth:`TaskStore.get` anywhere would find the record (the
  extension's "durably created before ``CreateTaskResult``" rule);
* a record whose TTL has passed reads as absent, whether or not it is physically gone yet;
* :meth:`TaskStore.put` fails with :class:`Conflict` when the stored version is not the expected one.
"""

from __future__ import annotations

import secrets
import threading
import time
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any, Literal

from pydantic_core import from_json, to_json

__all__ = [
    "TERMINAL",
    "Conflict",
    "MemoryTaskStore",
    "StoreFull",
    "TaskRecord",
    "TaskStatus",
    "TaskStore",
    "new_task_id",
]

TaskStatus = Literal["working", "input_required", "completed", "failed", "cancelled"]
TERMINAL: frozenset[str] = frozenset({"completed", "failed", "cancelled"})


def new_task_id() -> str:
    """A task id: 192 random bits, URL-safe base64 (32 characters, safe in an ``Mcp-Name`` header).

    Ids double as bearer handles to a task's state, so they must not be guessable (SEP-2663, Security).
    """
    return secrets.token_urlsafe(24)


def iso8601(epoch: float) -> str:
    """``2026-12-01T20:30:00.123Z``: the extension's timestamp form (UTC, millisecond precision)."""
    moment = datetime.fromtimestamp(epoch, tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class Conflict(Exception):
    """A conditional write lost: the record changed (or appeared, or vanished) since it was read."""


class StoreFull(Exception):
    """The store cannot take this record within its bounds (too many live tasks, or too many bytes)."""


@dataclass
class TaskRecord:
    """One task: its wire state and the bookkeeping to run it.

    Attributes:
        task_id: the id handed to the client.
        owner: the runtime user id the task is bound to (None when the platform sent none).
        status: ``working``, ``input_required``, ``completed``, ``failed`` or ``cancelled``.
        created_at, updated_at: epoch seconds.
        ttl_ms: lifetime from creation in milliseconds (None: unlimited); the record reads as absent after.
        poll_interval_ms: the polling interval suggested to clients.
        status_message: optional human-readable words about the status.
        input_requests: outstanding server-to-client requests by key (status ``input_required``).
        answers: ``tasks/update`` answers delivered for outstanding keys, not yet taken by the run.
        asked: every input key used so far (keys are never reused over a task's lifetime).
        result: the final ``CallToolResult`` (status ``completed``).
        error: the JSON-RPC error object (status ``failed``).
        worker: the id of the process running the task.
        lease_until: epoch seconds until which that process vouches it is alive (shared stores; None: not
            leased). A task still unfinished past its lease lost its process and is failed when next read.
        version: bumped by every successful write (optimistic concurrency).
    """

    task_id: str
    owner: str | None
    status: TaskStatus
    created_at: float
    updated_at: float
    ttl_ms: int | None
    poll_interval_ms: int
    status_message: str | None = None
    input_requests: dict[str, Any] = field(default_factory=dict)
    answers: dict[str, Any] = field(default_factory=dict)
    asked: list[str] = field(default_factory=list)
    result: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    worker: str | None = None
    lease_until: float | None = None
    version: int = 0

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL

    @property
    def expires_at(self) -> float | None:
        """Epoch seconds after which the record reads as absent (None: never)."""
        return None if self.ttl_ms is None else self.created_at + self.ttl_ms / 1000

    def expired(self, now: float | None = None) -> bool:
        expires = self.expires_at
        return expires is not None and (time.time() if now is None else now) >= expires

    def task(self) -> dict[str, Any]:
        """The wire ``Task`` (no payload): the body of ``CreateTaskResult`` without ``resultType``."""
        body: dict[str, Any] = {
            "taskId": self.task_id,
            "status": self.status,
            "createdAt": iso8601(self.created_at),
            "lastUpdatedAt": iso8601(self.updated_at),
            "ttlMs": self.ttl_ms,
            "pollIntervalMs": self.poll_interval_ms,
        }
        if self.status_message is not None:
            body["statusMessage"] = self.status_message
        return body

    def detailed(self) -> dict[str, Any]:
        """The wire ``DetailedTask``: the Task plus ``inputRequests``, ``result`` or ``error`` by status."""
        body = self.task()
        if self.status == "input_required":
            body["inputRequests"] = dict(self.input_requests)
        elif self.status == "completed" and self.result is not None:
            body["result"] = self.result
        elif self.status == "failed" and self.error is not None:
            body["error"] = self.error
        return body

    def to_json(self) -> str:
        """The record as one JSON document (what durable stores keep); NaN and infinities become null."""
        return to_json(
            {
                "taskId": self.task_id,
                "owner": self.owner,
                "status": self.status,
                "createdAt": self.created_at,
                "updatedAt": self.updated_at,
                "ttlMs": self.ttl_ms,
                "pollIntervalMs": self.poll_interval_ms,
                "statusMessage": self.status_message,
                "inputRequests": self.input_requests,
                "answers": self.answers,
                "asked": self.asked,
                "result": self.result,
                "error": self.error,
                "worker": self.worker,
                "leaseUntil": self.lease_until,
                "version": self.version,
            },
            inf_nan_mode="null",
        ).decode()

    @classmethod
    def from_json(cls, text: str) -> TaskRecord:
        d = from_json(text)
        return cls(
            task_id=d["taskId"],
            owner=d.get("owner"),
            status=d["status"],
            created_at=d["createdAt"],
            updated_at=d["updatedAt"],
            ttl_ms=d.get("ttlMs"),
            poll_interval_ms=d["pollIntervalMs"],
            status_message=d.get("statusMessage"),
            input_requests=d.get("inputRequests") or {},
            answers=d.get("answers") or {},
            asked=d.get("asked") or [],
            result=d.get("result"),
            error=d.get("error"),
            worker=d.get("worker"),
            lease_until=d.get("leaseUntil"),
            version=d.get("version", 0),
        )

    def copy(self) -> TaskRecord:
        """A deep enough copy to change without touching this one (payloads are replaced, never mutated)."""
        return replace(
            self,
            input_requests=dict(self.input_requests),
            answers=dict(self.answers),
            asked=list(self.asked),
        )


Change = Callable[[TaskRecord], "TaskRecord | None"]
"""Given a copy of the current record, return the new record, or None to leave it as it is."""


class TaskStore(ABC):
    """Keeps task records. Implementations: :class:`MemoryTaskStore` (one process), DynamoDB (shared)."""

    #: How many times :meth:`update` re-reads and retries after a lost conditional write.
    retries = 16
    #: Whether other processes read and write the same records (then a running task's process watches its
    #: record for answers and cancels given elsewhere, and renews a lease on it).
    shared = True

    @abstractmethod
    async def create(self, record: TaskRecord) -> None:
        """Store a new record (its ``version`` becomes 1); returns once it is readable everywhere.

        Raises:
            Conflict: a record with that id exists.
            StoreFull: the store's bounds leave no room for it.
        """

    @abstractmethod
    async def get(self, task_id: str) -> TaskRecord | None:
        """The current record, or None when there is none or its TTL has passed (a strongly consistent read)."""

    @abstractmethod
    async def put(self, record: TaskRecord, expected_version: int) -> None:
        """Replace the record if the stored one has ``expected_version``; ``record.version`` becomes that + 1.

        Raises:
            Conflict: the stored version differs, or the record is gone.
            StoreFull: the new record does not fit the store's bounds.
        """

    async def update(self, task_id: str, change: Change) -> TaskRecord | None:
        """Apply ``change`` to the current record with a conditional write, retrying on conflicts.

        Returns the record as stored afterwards (unchanged when ``change`` returned None), or None when the
        task does not exist.
        """
        for _ in range(self.retries):
            current = await self.get(task_id)
            if current is None:
                return None
            changed = change(current.copy())
            if changed is None:
                return current
            changed.updated_at = max(time.time(), current.updated_at)
            try:
                await self.put(changed, current.version)
            except Conflict:
                continue
            return changed
        raise Conflict(f"task {task_id}: {self.retries} writes in a row lost to concurrent updates")

    def close(self) -> None:  # noqa: B027 - an optional hook, not an abstract one
        """Release what the store holds (connections); the default holds nothing."""


class MemoryTaskStore(TaskStore):
    """Task records in this process's memory, bounded in count and bytes, expired by TTL.

    For one server process (an AgentCore session's microVM): records die with the process. When a new
    record or a bigger one would cross a bound, expired records go first, then finished (terminal) tasks,
    in the order they finished; tasks still running are never evicted, so when only they remain the
    write fails with :class:`StoreFull`.

    Args:
        max_tasks: the most records kept at once.
        max_bytes: the most bytes kept at once (records measured as their JSON form).
    """

    shared = False

    def __init__(self, *, max_tasks: int = 1000, max_bytes: int = 64 * 1024 * 1024) -> None:
        if max_tasks < 1 or max_bytes < 1:
            raise ValueError("max_tasks and max_bytes must be positive")
        self.max_tasks = max_tasks
        self.max_bytes = max_bytes
        # Records are kept as JSON (callers never alias them) with what eviction needs beside them, so making
        # room never parses a record. Finished tasks also sit in _finished in the order they finished.
        self._records: dict[str, _Entry] = {}
        self._finished: OrderedDict[str, None] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._records)

    @property
    def bytes(self) -> int:
        """The bytes the kept records take."""
        return self._bytes

    async def create(self, record: TaskRecord) -> None:
        with self._lock:
            if record.task_id in self._records:
                raise Conflict(f"task {record.task_id} exists")
            record.version = 1
            self._store(record)

    async def get(self, task_id: str) -> TaskRecord | None:
        with self._lock:
            entry = self._records.get(task_id)
            if entry is None:
                return None
            if entry.expired(time.time()):
                self._drop(task_id)
                return None
            return TaskRecord.from_json(entry.text)

    async def put(self, record: TaskRecord, expected_version: int) -> None:
        with self._lock:
            entry = self._records.get(record.task_id)
            if entry is None:
                raise Conflict(f"task {record.task_id} is gone")
            if entry.version != expected_version or entry.expired(time.time()):
                raise Conflict(f"task {record.task_id} changed")
            record.version = expected_version + 1
            try:
                self._store(record)
            except BaseException:
                record.version = expected_version
                raise

    # -- internals (called with the lock held) ----------------------------------------------------------

    def _drop(self, task_id: str) -> None:
        entry = self._records.pop(task_id, None)
        if entry is not None:
            self._bytes -= entry.size
            self._finished.pop(task_id, None)

    def _store(self, record: TaskRecord) -> None:
        entry = _Entry(record)
        if entry.size > self.max_bytes:
            raise StoreFull(f"a task record of {entry.size} bytes exceeds the store's {self.max_bytes} bytes")
        old = self._records.get(record.task_id)
        self._make_room(
            need_tasks=0 if old else 1, need_bytes=entry.size - (old.size if old else 0), keep=record.task_id
        )
        self._drop(record.task_id)
        self._records[record.task_id] = entry
        self._bytes += entry.size
        if record.terminal:
            self._finished[record.task_id] = None

    def _make_room(self, *, need_tasks: int, need_bytes: int, keep: str) -> None:
        def fits() -> bool:
            return (
                len(self._records) + need_tasks <= self.max_tasks
                and self._bytes + need_bytes <= self.max_bytes
            )

        if fits():
            return
        now = time.time()
        for tid in [tid for tid, entry in self._records.items() if tid != keep and entry.expired(now)]:
            self._drop(tid)
        while not fits():
            oldest = next((tid for tid in self._finished if tid != keep), None)
            if oldest is None:
                raise StoreFull(
                    f"the task store is full ({len(self._records)} tasks, {self._bytes} bytes; limits "
                    f"{self.max_tasks} tasks, {self.max_bytes} bytes) and every kept task is still running"
                )
            self._drop(oldest)


class _Entry:
    """One kept record: its JSON, and what eviction and conditional writes read without parsing it."""

    __slots__ = ("expires_at", "size", "text", "version")

    def __init__(self, record: TaskRecord) -> None:
        self.text = record.to_json()
        self.size = len(self.text)
        self.version = record.version
        self.expires_at = record.expires_at

    def expired(self, now: float) -> bool:
        return self.expires_at is not None and now >= self.expires_at
