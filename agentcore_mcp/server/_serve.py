"""Serving an ASGI app with uvicorn the way AgentCore Runtime expects (``0.0.0.0:8000``, path ``/mcp``)."""

from __future__ import annotations

import logging
from typing import Any

from agentcore_mcp import _settings as settings
from agentcore_mcp._ports import bind_problem

__all__ = ["serve", "settings_from_env"]

logger = logging.getLogger("agentcore_mcp.server")

_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")


def settings_from_env(
    host: str | None = None, port: int | None = None, log_level: str | None = None
) -> tuple[str, int, str]:
    """Resolve host, port and log level: explicit arguments, then the environment, then the defaults.

    Raises:
        ValueError: ``AGENTCORE_MCP_PORT`` or ``AGENTCORE_MCP_LOG_LEVEL`` holds an unusable value.
    """
    host = host or settings.text(settings.HOST, "0.0.0.0")
    if port is None:
        port = settings.whole_number(settings.PORT, 8000, what="a port number")
    if not 0 <= port <= 65535:
        raise ValueError(f"port must be between 0 and 65535, got {port}")
    level = (log_level or settings.text(settings.LOG_LEVEL, "info")).lower()
    if level not in _LEVELS:
        raise ValueError(f"log level must be one of {', '.join(_LEVELS)}, got {level!r}")
    return host, port, level


def serve(
    app: Any,
    *,
    host: str | None = None,
    port: int | None = None,
    log_level: str | None = None,
    **uvicorn_options: Any,
) -> None:
    """Run ``app`` under uvicorn until SIGTERM/SIGINT; in-flight requests get a grace period to finish.

    A port that cannot be bound is one error log line and ``SystemExit(1)`` before anything says it is
    serving (uvicorn alone logs its own errno after our banner and exits 3).
    """
    import uvicorn

    host, port, level = settings_from_env(host, port, log_level)
    path = getattr(app, "path", "/mcp")
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    numeric = logging.DEBUG if level == "trace" else getattr(logging, level.upper())
    if not logging.getLogger().handlers:  # the application configured nothing: log like uvicorn does
        logging.basicConfig(level=logging.WARNING, format="%(levelname)-9s %(name)s: %(message)s")
    logging.getLogger("agentcore_mcp").setLevel(numeric)
    options: dict[str, Any] = {
        "log_level": level,
        "timeout_graceful_shutdown": 30,
        "lifespan": "on",
        "server_header": False,
        # MCP has no WebSocket transport; uvicorn's default ("auto") imports websockets at start (~4 ms).
        "ws": "none",
    }
    options.update(uvicorn_options)
    problem = bind_problem(host, port, "another port (port= or AGENTCORE_MCP_PORT)")
    if problem is not None:
        logger.error("%s", problem)
        raise SystemExit(1)
    config = uvicorn.Config(app, host=host, port=port, **options)
    server = uvicorn.Server(config)
    logger.info("serving MCP on http://%s:%d%s (bound to %s)", shown, port, path, host)
    server.run()
