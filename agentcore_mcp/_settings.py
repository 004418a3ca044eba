"""The ``AGENTCORE_MCP_*`` environment variables: every name once, and one reader per kind of value.

Each variable is documented where its setting is (docs/serving.md, docs/client.md, docs/cli.md, ...); this
module is where the code reads them, so a name is spelled once and every reader treats an empty value as
unset and a bad one as a :class:`ValueError` naming the variable. The AWS variables (``AWS_REGION``,
``AWS_PROFILE``, ``AWS_ENDPOINT_URL_*``) are botocore's to read, not ours.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Final, overload

__all__ = [
    "ALLOWED_HOSTS",
    "ALLOWED_ORIGINS",
    "ALLOW_INSECURE_BEARER",
    "BEARER_TOKEN",
    "CLIENT_SECRET",
    "HOST",
    "HTTP_TRANSPORT",
    "LOG_LEVEL",
    "PORT",
    "SEND_TIMEOUT",
    "STATE_KEYS",
    "TARGET",
    "THREADS",
    "TRACING",
    "flag",
    "items",
    "text",
    "whole_number",
]

# The server.
HOST: Final = "AGENTCORE_MCP_HOST"
PORT: Final = "AGENTCORE_MCP_PORT"
LOG_LEVEL: Final = "AGENTCORE_MCP_LOG_LEVEL"
THREADS: Final = "AGENTCORE_MCP_THREADS"
SEND_TIMEOUT: Final = "AGENTCORE_MCP_SEND_TIMEOUT"
STATE_KEYS: Final = "AGENTCORE_MCP_STATE_KEYS"
ALLOWED_HOSTS: Final = "AGENTCORE_MCP_ALLOWED_HOSTS"
ALLOWED_ORIGINS: Final = "AGENTCORE_MCP_ALLOWED_ORIGINS"
TRACING: Final = "AGENTCORE_MCP_TRACING"
# The client, the CLI and the proxy.
HTTP_TRANSPORT: Final = "AGENTCORE_MCP_HTTP_TRANSPORT"
ALLOW_INSECURE_BEARER: Final = "AGENTCORE_MCP_ALLOW_INSECURE_BEARER"
TARGET: Final = "AGENTCORE_MCP_TARGET"
BEARER_TOKEN: Final = "AGENTCORE_MCP_BEARER_TOKEN"
CLIENT_SECRET: Final = "AGENTCORE_MCP_CLIENT_SECRET"

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


@overload
def text(name: str) -> str | None: ...
@overload
def text(name: str, default: str) -> str: ...
def text(name: str, default: str | None = None) -> str | None:
    """The variable's value without surrounding whitespace; ``default`` when it is unset or empty."""
    value = os.environ.get(name, "").strip()
    return value or default


def items(name: str, given: Iterable[str] = ()) -> list[str]:
    """``given`` plus the variable's comma-separated items (blank items dropped)."""
    return [*given, *(item.strip() for item in os.environ.get(name, "").split(",") if item.strip())]


def flag(name: str) -> bool | None:
    """``1``/``true``/``yes``/``on`` is True, ``0``/``false``/``no``/``off`` False (any case); unset or empty None.

    Raises:
        ValueError: any other value.
    """
    value = text(name)
    if value is None:
        return None
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(f"{name} must be one of 1, true, yes, on, 0, false, no, off; got {value!r}")


def whole_number(name: str, default: int, *, what: str = "a whole number") -> int:
    """The variable as an ``int``; ``default`` when it is unset or empty.

    Raises:
        ValueError: not a whole number (the message says ``what`` it should be).
    """
    value = text(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{name} must be {what}, got {value!r}") from None
