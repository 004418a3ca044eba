"""Fault injection: make the next invocations fail the way AgentCore sometimes does.

Each call queues faults; every invocation (of any runtime, or of the runtime named by ``arn``) takes the
oldest matching one. Thread-safe, so tests can arm faults from the test thread while the emulator serves
in its own.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from typing import Literal

__all__ = ["Fault", "Faults"]

FaultKind = Literal["throttle", "conflict", "runtime_error", "api_error"]


@dataclass(frozen=True)
class Fault:
    """One queued failure: its kind, and for ``api_error`` the AWS error code, HTTP status and message."""

    kind: FaultKind
    arn: str | None = None
    code: str = ""
    status: int = 0
    message: str = ""


class Faults:
    """The fault queue of one emulator (``emulator.faults``)."""

    def __init__(self) -> None:
        self._queue: deque[Fault] = deque()
        self._lock = threading.Lock()

    def _add(self, fault: Fault, times: int) -> None:
        if times < 1:
            raise ValueError(f"times must be at least 1, got {times}")
        with self._lock:
            self._queue.extend([fault] * times)

    def throttle(self, times: int = 1, *, arn: str | None = None) -> None:
        """Answer the next invocations as a throttled MCP runtime does: HTTP 200, JSON-RPC -32003."""
        self._add(Fault("throttle", arn), times)

    def conflict(self, times: int = 1, *, arn: str | None = None) -> None:
        """Answer -32005 "Session operation in progress, please retry" (HTTP 200)."""
        self._add(Fault("conflict", arn), times)

    def runtime_error(self, times: int = 1, *, arn: str | None = None, message: str | None = None) -> None:
        """Answer 424 RuntimeClientError, as when the server crashed or answered 5xx."""
        text = (
            message
            or "Received error (500) from runtime. Please check your CloudWatch logs for more information."
        )
        self._add(Fault("runtime_error", arn, "RuntimeClientError", 424, text), times)

    def api_error(
        self,
        code: str,
        status: int,
        message: str = "injected fault",
        *,
        times: int = 1,
        arn: str | None = None,
    ) -> None:
        """Answer an AWS API error, e.g. ``("ThrottlingException", 429)`` (botocore may retry those)."""
        self._add(Fault("api_error", arn, code, status, message), times)

    def take(self, arn: str) -> Fault | None:
        """Pop the oldest fault that applies to ``arn`` (None when none is queued)."""
        with self._lock:
            for fault in self._queue:
                if fault.arn in (None, arn):
                    self._queue.remove(fault)
                    return fault
        return None

    def pending(self) -> int:
        with self._lock:
            return len(self._queue)

    def clear(self) -> None:
        with self._lock:
            self._queue.clear()
