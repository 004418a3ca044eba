"""A port that is already taken is found before a server starts, and reported as one line."""

from __future__ import annotations

from agentcore_mcp._ports import bind_problem
from agentcore_mcp.cli._base import Failed

__all__ = ["ensure_free"]


def ensure_free(host: str, port: int, flag: str) -> None:
    """Raise :class:`Failed` (exit 1) when ``host:port`` cannot be bound; ``flag`` is the option to change."""
    problem = bind_problem(host, port, flag)
    if problem is not None:
        raise Failed(problem)
