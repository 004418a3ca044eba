"""``agentcore-mcp tools``: list the tools of an MCP server."""

from __future__ import annotations

import argparse
from typing import Any

from agentcore_mcp.cli._base import Command, Failed, add_command, print_json
from agentcore_mcp.cli._session_client import list_tools, run_session
from agentcore_mcp.cli._target import TARGET_HELP, add_client_options, describe_failure, transport_options

__all__ = ["register", "signature"]

DESCRIPTION = f"""\
List the tools of an MCP server: one line per tool (name, parameters, description), or the tools'
definitions as a JSON array with --json.

{TARGET_HELP}"""

EXAMPLES = """\
agentcore-mcp tools
agentcore-mcp tools --target arn:aws:bedrock-agentcore:us-west-2:123456789012:runtime/demo-AbC12
agentcore-mcp tools --target "$ARN" --token-command "./get-token.sh" --json
"""

COMMAND = Command("tools", "list the tools of an MCP server (a URL or a runtime ARN)", DESCRIPTION, EXAMPLES)


def register(commands: Any) -> None:
    tools = add_command(commands, COMMAND, run)
    add_client_options(tools)


def signature(tool: dict[str, Any]) -> str:
    """``name(a: integer, b?: string)``: the tool's parameters, optional ones marked with ``?``."""
    schema = tool.get("inputSchema") or {}
    required = set(schema.get("required") or ())
    params = []
    for name, spec in (schema.get("properties") or {}).items():
        kind = spec.get("type") if isinstance(spec, dict) else None
        if isinstance(kind, list):
            kind = "|".join(str(k) for k in kind)
        label = name if name in required else f"{name}?"
        params.append(f"{label}: {kind}" if kind else label)
    return f"{tool['name']}({', '.join(params)})"


def run(args: argparse.Namespace) -> int:
    target, options = transport_options(args)
    try:
        listed = run_session(target, options, args.timeout, list_tools)
    except (Exception, TimeoutError) as exc:
        raise Failed(describe_failure(exc, args.timeout, args.target)) from exc
    if args.json:
        print_json(listed)
        return 0
    for tool in listed:
        summary = (tool.get("description") or "").strip().splitlines()
        print(signature(tool) + (f"  {summary[0]}" if summary else ""))
    return 0
