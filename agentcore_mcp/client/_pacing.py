"""Pacing sends after throttling: botocore's adaptive retry mode, run on the event loop.

AgentCore answers a runtime's callers over its invocation rate with HTTP 200 and JSON-RPC -32003 (or 429
from the API front end). Resending each throttled request on its own backoff keeps the whole burst above
the limit; botocore's ``adaptive`` retry mode instead paces every send through a token bucket whose rate
follows CUBIC congestion control: cut to 70% of the measured rate on a throttle, grown back along a cubic
curve while answers succeed. This module uses botocore's own pieces (``CubicCalculator``, ``RateClocker``,
``TokenBucket``, the same constants) and replaces the bucket's blocking wait, which would stall the event
loop, with a sleep. Two changes (see :meth:`AdaptivePacer.record`) keep a burst from collapsing the rate:
botocore cuts again for every throttled answer of a burst already in flight, and from the rate measured
before the burst, so 200 concurrent calls against a 25/s limit fall to its 0.5/s floor and take about
three times as long as the limit allows. It is created at the first throttled answer: until then a
transport pays nothing for it.
"""

from __future__ import annotations

import importlib
import math
from typing import Any

import anyio

__all__ = ["AdaptivePacer", "PacingTimeout"]

_CLOCKER_BUCKET = 0.5  # seconds: botocore's RateClocker measures the rate over buckets this long


class PacingTimeout(Exception):
    """The wait for a send slot would pass the request's deadline."""


class AdaptivePacer:
    """A token bucket every send takes a token from; its rate adapts to throttled and successful answers.

    Waiting senders are served in arrival order (one waits on the bucket, the others on a fair lock).
    """

    _MAX_RATE_ADJUST_SCALE = 2.0  # botocore's ClientRateLimiter: never above twice the measured rate

    def __init__(self) -> None:
        bucket = importlib.import_module("botocore.retries.bucket")
        throttling = importlib.import_module("botocore.retries.throttling")
        adaptive = importlib.import_module("botocore.retries.adaptive")
        self._clock: Any = bucket.Clock()
        self._no_capacity: type[Exception] = importlib.import_module(
            "botocore.exceptions"
        ).CapacityNotAvailableError
        self._calculator: Any = throttling.CubicCalculator(
            starting_max_rate=0, start_time=self._clock.current_time()
        )
        self._bucket: Any = bucket.TokenBucket(max_rate=1, clock=self._clock)
        self._clocker: Any = adaptive.RateClocker(self._clock)
        self._turn = anyio.Lock()
        self.enabled = False  # pacing starts at the first throttle
        self.throttled = 0  # throttled answers seen
        self._first_throttle: float | None = None
        self._last_cut = -math.inf

    @property
    def rate(self) -> float:
        """The sends per second currently allowed."""
        return float(self._bucket.max_rate)

    async def acquire(self, deadline: float) -> None:
        """Wait for a send slot; raise :class:`PacingTimeout` when it would come after ``deadline``."""
        if not self.enabled:
            return
        async with self._turn:
            while True:
                try:
                    self._bucket.acquire(1, block=False)
                    return
                except self._no_capacity:
                    pass
                wait = (1 - self._bucket.available_capacity) / max(self._bucket.max_rate, 1e-3)
                if anyio.current_time() + wait >= deadline:
                    raise PacingTimeout(
                        f"throttled: the next send slot (sending {self.rate:.2g}/s) is after the deadline"
                    )
                await anyio.sleep(max(wait, 0.001))

    def now(self) -> float:
        """The pacer's clock: pass its value at sending to :meth:`record`."""
        return float(self._clock.current_time())

    def record(self, *, throttled: bool, sent_at: float) -> None:
        """Account for one answer to a request sent at ``sent_at``, as botocore's
        ``ClientRateLimiter.on_receiving_response`` does, with two changes that make a burst converge:

        * pacing starts once a rate was measured during the throttling (half a second after the first
          throttle: the clocker's bucket), not from the rate before the burst;
        * a throttle cuts the rate once per round, as TCP's congestion control does: answers to requests
          sent before the last cut say nothing about the new rate and are only counted.
        """
        measured = self._clocker.record()
        now = self._clock.current_time()
        if throttled:
            self.throttled += 1
            if self._first_throttle is None:
                self._first_throttle = now
            if not self.enabled and now < self._first_throttle + _CLOCKER_BUCKET:
                return  # no rate measured under throttling yet; resends back off meanwhile
            if self.enabled and sent_at < self._last_cut:
                return  # sent at the old rate
            rate = measured if not self.enabled else min(measured, self._bucket.max_rate)
            new_rate = self._calculator.error_received(rate, now)
            self.enabled = True
            self._last_cut = now
        else:
            new_rate = self._calculator.success_received(now)
        if not math.isfinite(new_rate):
            return
        self._bucket.max_rate = min(new_rate, self._MAX_RATE_ADJUST_SCALE * measured)
