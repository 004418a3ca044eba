"""The server's advanced settings, in small frozen groups; the everyday ones are plain ``AgentCoreMCP`` arguments.

Each group is validated when it is made, so a bad value fails at construction with the field's name, not at
the first request.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from agentcore_mcp import _settings as settings

__all__ = [
    "CachingHints",
    "Limits",
    "SessionMode",
    "StateSealing",
    "env_list",
    "send_timeout_from_env",
]

DEFAULT_MAX_BODY = 100_000_000  # AgentCore's InvokeAgentRuntime payload cap


@dataclass(frozen=True)
class CachingHints:
    """The 2026-07-28 caching hints: ``ttlMs`` per kind of result, and the ``cacheScope`` on all of them."""

    list_ttl_ms: int = 0
    read_ttl_ms: int = 0
    discover_ttl_ms: int = 0
    scope: Literal["private", "public"] = "private"

    def __post_init__(self) -> None:
        if self.scope not in ("private", "public"):
            raise ValueError(f"cache_scope must be 'private' or 'public', got {self.scope!r}")
        for name in ("list_ttl_ms", "read_ttl_ms", "discover_ttl_ms"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must not be negative, got {getattr(self, name)!r}")


@dataclass(frozen=True)
class SessionMode:
    """Session mode for the handshake era (``Mcp-Session-Id``, the GET stream, resumption, DELETE)."""

    idle_timeout: float = 900.0  # seconds; AgentCore's default idle timeout
    sse_retry_ms: int = 1000  # the ``retry`` hint of priming events


@dataclass(frozen=True)
class StateSealing:
    """How 2026-07-28 ``requestState`` is sealed: the keys (first seals, all open) and its lifetime.

    ``keys=None`` reads ``AGENTCORE_MCP_STATE_KEYS``, else uses an ephemeral key with a warning.
    """

    keys: tuple[str, ...] | None = None
    ttl: float = 600.0

    def __post_init__(self) -> None:
        if self.keys is not None:
            object.__setattr__(self, "keys", tuple(self.keys))  # any iterable of strings is accepted


DEFAULT_SEND_TIMEOUT = 30.0
"""Seconds one write of an answer may wait for the client to read (``AGENTCORE_MCP_SEND_TIMEOUT``)."""


def send_timeout_from_env() -> float | None:
    """``AGENTCORE_MCP_SEND_TIMEOUT`` in seconds (``0`` or ``none``: never cut), else the default.

    Raises:
        ValueError: the variable holds something else.
    """
    raw = settings.text(settings.SEND_TIMEOUT)
    if raw is None:
        return DEFAULT_SEND_TIMEOUT
    if raw.lower() in ("0", "none"):
        return None
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"AGENTCORE_MCP_SEND_TIMEOUT must be a number of seconds, got {raw!r}") from None
    if not value >= 0 or value == float("inf"):  # NaN fails every comparison
        raise ValueError(
            f"AGENTCORE_MCP_SEND_TIMEOUT must be a finite, non-negative number of seconds, got {raw!r}"
        )
    return value


@dataclass(frozen=True)
class Limits:
    """Bounds on what one request may cost: body size, list page size, how long input is awaited, and how
    long a client may leave its answer unread.

    ``send_timeout``: seconds one write of an answer may wait for the client to read before the answer is
    cut and its request cancelled (None: never); by default ``AGENTCORE_MCP_SEND_TIMEOUT``, else 30.
    """

    max_body_size: int = DEFAULT_MAX_BODY
    page_size: int | None = None  # items per list page (None: one page)
    input_timeout: float = 300.0  # seconds a handshake-era ctx.elicit/sample/list_roots waits for the answer
    send_timeout: float | None = field(default_factory=send_timeout_from_env)

    def __post_init__(self) -> None:
        if self.page_size is not None and self.page_size < 1:
            raise ValueError(f"page_size must be a positive integer, got {self.page_size!r}")
        if self.max_body_size < 0:
            raise ValueError(f"max_body_size must not be negative, got {self.max_body_size!r}")
        if self.send_timeout is not None and not 0 < self.send_timeout < float("inf"):
            raise ValueError(
                f"send_timeout must be a positive number of seconds or None, got {self.send_timeout!r}"
            )


def env_list(name: str, given: Iterable[str] = ()) -> list[str]:
    """``given`` plus the comma-separated items of environment variable ``name``."""
    return settings.items(name, given)
