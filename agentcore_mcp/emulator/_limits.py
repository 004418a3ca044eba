"""How long one invocation may take: AgentCore's synchronous-request and streaming limits.

The quotas page lists a synchronous request timeout of 15 minutes and a streaming duration of 60 minutes
for InvokeAgentRuntime. How the platform fails a request past them is not documented; the emulator's
reading (inferred, docs/emulator.md): an answer that has not started when the synchronous limit passes is
refused with 424 ``RuntimeClientError``; a JSON answer that started but is not complete by then, or an
event stream still open at the streaming limit, is cut where it is (the caller sees the body end early,
without its final message).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["RequestLimits", "check_seconds"]


def check_seconds(owner: object, *names: str) -> None:
    """Raise ValueError naming the first of ``owner``'s ``names`` that is not a positive finite number."""
    for name in names:
        value = getattr(owner, name)
        if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
            raise ValueError(
                f"{type(owner).__name__}.{name} must be a positive number of seconds, got {value!r}"
            )


@dataclass(frozen=True)
class RequestLimits:
    """Seconds an invocation may run, counted from when the emulator has the whole request.

    Attributes:
        sync: until the answer has started, and until a JSON answer is complete (AgentCore: 900).
        stream: until an event-stream answer ends (AgentCore: 3600).
    """

    sync: float = 900.0
    stream: float = 3600.0

    def __post_init__(self) -> None:
        check_seconds(self, "sync", "stream")
