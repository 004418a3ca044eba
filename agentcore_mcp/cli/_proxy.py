"""``agentcore-mcp proxy TARGET``: a local stdio MCP server that forwards everything to TARGET.

The options and the work are :mod:`agentcore_mcp.proxy._config`'s (``python -m agentcore_mcp.proxy`` is
the same command); this module only registers the command.
"""

from __future__ import annotations

import argparse
from typing import Any

from agentcore_mcp.cli._base import Command, add_command

DESCRIPTION = """\
A local stdio MCP server for desktop and IDE clients (Claude Desktop, Claude Code, VS Code, Cursor, the MCP
Inspector) that forwards every message, both ways, to TARGET: requests, responses, notifications (progress,
logs, list changes) and the server's own requests (elicitation, sampling, roots), in both protocol eras.
The runtime session is kept for the whole conversation and stopped when the client closes stdin or the
proxy gets SIGINT/SIGTERM (unless --keep-session). Nothing but MCP messages is written to stdout; logs go
to stderr or --log-file.

TARGET is one of:
  a runtime ARN          arn:aws:bedrock-agentcore:REGION:ACCOUNT:runtime/ID (SigV4, --profile)
  an invocations URL     https://bedrock-agentcore.REGION.amazonaws.com/runtimes/ARN/invocations
  any MCP URL            http://127.0.0.1:8000/mcp (Streamable HTTP; no auth unless asked)

A JWT (OAuth) runtime takes --bearer-token, --token-command, --oauth client-credentials (--client-id,
--client-secret, --discovery-url) or --oauth login (a browser login with PKCE; the refresh token is kept in
the OS keyring or a file only you can read). Tokens are renewed before they expire and after a 401.
"""

EXAMPLES = """\
agentcore-mcp proxy "$ARN" --profile dev
agentcore-mcp proxy "$INVOCATIONS_URL" --oauth login --client-id ID --discovery-url URL
agentcore-mcp proxy http://127.0.0.1:8000/mcp --read-only --tool-timeout 60
"""

COMMAND = Command(
    "proxy", "a local stdio MCP server forwarding to a runtime (for desktop clients)", DESCRIPTION, EXAMPLES
)


def register(commands: Any) -> None:
    from agentcore_mcp.proxy._config import add_arguments

    proxy = add_command(commands, COMMAND, run, server=True)
    add_arguments(proxy)


def run(args: argparse.Namespace) -> int:
    from agentcore_mcp.proxy._config import run as serve

    return serve(args)
