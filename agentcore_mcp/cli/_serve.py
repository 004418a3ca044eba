"""``agentcore-mcp serve APP``: serve an app as AgentCore Runtime runs it."""

from __future__ import annotations

import argparse
from typing import Any

from agentcore_mcp.cli._base import Command, add_app_argument, add_command
from agentcore_mcp.cli._ports import ensure_free

__all__ = ["register"]

DESCRIPTION = """\
Serve APP with uvicorn on HOST:PORT (AgentCore expects 0.0.0.0:8000, path /mcp). Defaults come from
AGENTCORE_MCP_HOST, AGENTCORE_MCP_PORT and AGENTCORE_MCP_LOG_LEVEL. Ctrl-C or SIGTERM stops it (exit
status 0); a port already in use is exit status 1.
"""

EXAMPLES = """\
agentcore-mcp serve examples/demo_server.py
agentcore-mcp serve my_tools.server:app --port 8080
"""

COMMAND = Command("serve", "serve APP as AgentCore runs it (0.0.0.0:8000/mcp)", DESCRIPTION, EXAMPLES)


def register(commands: Any) -> None:
    serve = add_command(commands, COMMAND, run, server=True)
    add_app_argument(serve, "serve")
    serve.add_argument("--host", help="address to bind (default 0.0.0.0)")
    serve.add_argument("--port", type=int, help="port to bind (default 8000)")
    serve.add_argument("--log-level", help="debug, info, warning, error or critical (default info)")


def run(args: argparse.Namespace) -> int:
    from agentcore_mcp._loader import load_app
    from agentcore_mcp.server import serve, settings_from_env

    app = load_app(args.app)
    host, port, level = settings_from_env(args.host, args.port, args.log_level)
    ensure_free(host, port, "--port (or AGENTCORE_MCP_PORT)")
    serve(app, host=host, port=port, log_level=level)
    return 0
