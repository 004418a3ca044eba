"""The server part's namespace: what other parts (the emulator, the CLI) use of it.

Tools, apps and what they return are public from :mod:`agentcore_mcp` itself. Listed here besides them: the
serving helpers and the one request-body reader that any ASGI front end of ours (the emulator) reuses. They
load on first use, so importing the server (the serving path) imports no uvicorn until it serves.
"""

from typing import TYPE_CHECKING

from agentcore_mcp._extras import lazy_attributes as _lazy_attributes

if TYPE_CHECKING:
    from agentcore_mcp.server._http import BodyTooLarge, accepts_both, read_body
    from agentcore_mcp.server._local import free_port, serve_in_thread
    from agentcore_mcp.server._serve import serve, settings_from_env

_LAZY = {
    "BodyTooLarge": "agentcore_mcp.server._http",
    "accepts_both": "agentcore_mcp.server._http",
    "read_body": "agentcore_mcp.server._http",
    "free_port": "agentcore_mcp.server._local",
    "serve_in_thread": "agentcore_mcp.server._local",
    "serve": "agentcore_mcp.server._serve",
    "settings_from_env": "agentcore_mcp.server._serve",
}


__getattr__ = _lazy_attributes(globals(), _LAZY)


__all__ = [
    "BodyTooLarge",
    "accepts_both",
    "free_port",
    "read_body",
    "serve",
    "serve_in_thread",
    "settings_from_env",
]
