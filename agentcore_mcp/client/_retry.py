"""When a failed POST is sent again, and how long to wait first.

Resending must never run an MCP call twice, so the decision depends on what the failure proves:

* **Refused before it ran** — sent again for every method: HTTP 429 and 409, AgentCore's JSON-RPC
  -32003 (throttled) and -32005 ("Session operation in progress, please retry") in an HTTP 200 answer, and
  a connection that could not be made at all.
* **May have run** — HTTP 5xx and 424, a connection that broke before the answer: sent again only for
  methods without side effects (everything except ``tools/call``), and for notifications.
* **Never sent again**: timeouts (the server is slow, not failing), any answer the server produced itself
  (an SSE stream, a JSON-RPC result or error other than the two above), 4xx other than 409 and 429.

Throttled answers (HTTP 429, JSON-RPC -32003) are the platform pacing its caller, not a failure: their
resends have a budget of their own (``throttle_attempts``), so a burst past a runtime's rate limit, which
the transport's pacer spreads out, does not use up the resends meant for failures. Every other resend
(-32005 and 409, connections, 5xx and 424) spends ``attempts``: a request that keeps failing is tried at
most ``1 + attempts`` times, however many throttled answers came in between.

Waits grow exponentially with full jitter (``uniform(0, min(max_delay, base * 2**n))``, ``n`` counting
the resends of that budget); a ``Retry-After`` header in seconds is honoured up to ``max_delay``. Retries
never outlast the request's own timeout.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass

from agentcore_mcp._wire import AC_CONFLICT, AC_THROTTLED

__all__ = [
    "REFUSED_CODES",
    "REFUSED_STATUSES",
    "THROTTLED_CODES",
    "THROTTLED_STATUSES",
    "UNSAFE_METHODS",
    "RetryPolicy",
]

# Answers that prove the request was refused before any MCP handler ran.
REFUSED_STATUSES = frozenset({409, 429})
REFUSED_CODES = frozenset({AC_THROTTLED, AC_CONFLICT})
# The refusals that are throttling: resent on the throttle budget.
THROTTLED_STATUSES = frozenset({429})
THROTTLED_CODES = frozenset({AC_THROTTLED})
# Answers after which the request may have run.
MAYBE_RAN_STATUSES = frozenset({424, 500, 502, 503, 504})
# Methods that change the world: never resent once they may have run.
UNSAFE_METHODS = frozenset({"tools/call"})


@dataclass(frozen=True)
class RetryPolicy:
    """How many times to resend a refused or failed POST, and the backoff between tries.

    A request is tried at most ``1 + attempts`` times when it fails (connection errors, 5xx, 424, 409,
    -32005), and besides that resent up to ``throttle_attempts`` times after throttled answers (429,
    -32003); never past the request's timeout.

    Attributes:
        attempts: resends after failures (0: none).
        base_delay: the first backoff ceiling, in seconds; it doubles on every resend of the same budget.
        max_delay: the largest wait between two tries, in seconds.
        throttle_attempts: resends after throttled answers, counted apart from ``attempts`` (0: none).
    """

    attempts: int = 4
    base_delay: float = 0.2
    max_delay: float = 5.0
    throttle_attempts: int = 20

    def __post_init__(self) -> None:
        if min(self.attempts, self.throttle_attempts, self.base_delay, self.max_delay) < 0:
            raise ValueError(f"retry settings must not be negative: {self!r}")

    def delay(self, attempt: int, headers: Mapping[str, str] | None = None) -> float:
        """Seconds to wait before resend number ``attempt`` (0-based) of one budget."""
        if headers is not None:
            retry_after = headers.get("retry-after")
            if retry_after is not None:
                try:
                    return min(self.max_delay, max(0.0, float(retry_after)))
                except ValueError:
                    pass  # an HTTP date: fall back to the backoff
        return random.uniform(0.0, min(self.max_delay, self.base_delay * (2**attempt)))

    @staticmethod
    def may_resend(method: str | None, *, ran: bool) -> bool:
        """Whether a request for ``method`` may be sent again; ``ran``: it may have run on the server."""
        return not ran or method not in UNSAFE_METHODS
