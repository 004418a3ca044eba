"""Whether a server's port can be bound, asked before it starts so a taken port is one clear line.

Shared by the library's ``serve`` (``AgentCoreMCP.run``) and the CLI's server commands.
"""

from __future__ import annotations

import errno
import socket

__all__ = ["bind_problem"]


def bind_problem(host: str, port: int, flag: str) -> str | None:
    """Why ``host:port`` cannot be bound, in one line naming ``flag`` (the setting to change), else None.

    The socket is bound the way uvicorn binds it (``SO_REUSEADDR``), so a port left in TIME_WAIT by a
    server that just stopped counts as free, as it does for uvicorn. Port 0 (any free port) is always free.
    """
    if port == 0:
        return None
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return f"port {port} on {host} is already in use (another server?): stop it or choose {flag}"
            return f"cannot bind {host}:{port}: {exc.strerror or exc}"
    return None
