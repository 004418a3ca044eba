"""When a failed POST is sent again, and how long to wait first.

Resending must never run an MCP call twice, so the decision depends on what the failure proves:

* **Refused before it ran** — sent again for every method: HTTP 429 and 409, AgentCore's JSON-RPC
  -32003 (throttled) and -32005 ("Session operation in progress, please retry") in an HTTP 200 answer, and
  a connection that could not be made at all.
* **May have run** — HTTP 5xx and 424, a connection that broke before the answer: sent again only for
  methods without side effects (everything except ``tools/call``), and for notifications.
* **Never sent again**: timeouts (the server is slow, not failing), any answer the server produced itself
  (an SSE stream, a JSON-RPC result or error other than the two above), 4xx other than 409 and 429.

Waits grow exponentially with full jitter (``uniform(0, min(max_delay, base * 2**attempt))``); a
``Retry-After`` header in seconds is honoured up to ``max_delay``. Retries never outlast the request's
own timeout.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["REFUSED_CODES", "REFUSED_STATUSES", "UNSAFE_METHODS", "RetryPolicy"]

# Answers that prove the request was refused before any MCP handler ran.
REFUSED_STATUSES = frozenset({409, 429})
REFUSED_CODES = frozenset({-32003, -32005})
# Answers after which the request may have run.
MAYBE_RAN_STATUSES = frozenset({424, 500, 502, 503, 504})
# Methods that change the world: never resent once they may have run.
UNSAFE_METHODS = frozenset({"tools/call"})


@dataclass(frozen=True)
class RetryPolicy:
    """How many times to resend a refused or failed POST, and the backoff between tries.

    Attributes:
        attempts: resends after the first try (0 disables retries).
        base_delay: the first backoff ceiling, in seconds; it doubles on every resend.
        max_delay: the largest wait between two tries, in seconds.
    """

    attempts: int = 4
    base_delay: float = 0.2
    max_delay: float = 5.0

    def __post_init__(self) -> None:
        if self.attempts < 0 or self.base_delay < 0 or self.max_delay < 0:
            raise ValueError(f"retry settings must not be negative: {self!r}")

    def delay(self, attempt: int, headers: Mapping[str, str] | None = None) -> float:
        """Seconds to wait before resend number ``attempt`` (0-based)."""
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
