"""A token bucket per runtime: AgentCore throttles invocations above a rate (about 25/s by default)."""

from __future__ import annotations

import math
import threading

__all__ = ["TokenBucket"]


class TokenBucket:
    """Allows ``rate`` events per second on average and bursts of up to ``burst`` at once."""

    def __init__(self, rate: float, burst: int | None = None) -> None:
        self.rate = rate
        self.capacity = float(burst if burst is not None else max(1, math.ceil(rate)))
        self._tokens = self.capacity
        self._last: float | None = None
        self._lock = threading.Lock()

    def allow(self, now: float) -> bool:
        """Take one token at time ``now`` (monotonic seconds); False when the bucket is empty."""
        with self._lock:
            if self._last is not None:
                self._tokens = min(self.capacity, self._tokens + (now - self._last) * self.rate)
            self._last = now
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return True
            return False
