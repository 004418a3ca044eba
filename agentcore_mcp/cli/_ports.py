"""A port that is already taken is found before a server starts, and reported as one line."""

from __future__ import annotations

import errno
import socket

from agentcore_mcp.cli._base import Failed

__all__ = ["ensure_free"]


def ensure_free(host: str, port: int, flag: str) -> None:
    """Raise :class:`Failed` (exit 1) when ``host:port`` cannot be bound; ``flag`` is the option to change.

    The socket is bound the way uvicorn binds it (``SO_REUSEADDR``), so a port left in TIME_WAIT by a
    server that just stopped counts as free, as it does for uvicorn.
    """
    if port == 0:
        return
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise Failed(
                    f"port {port} on {host} is already in use (another server?): stop it or choose {flag}"
                ) from None
            raise Failed(f"cannot bind {host}:{port}: {exc.strerror or exc}") from None
