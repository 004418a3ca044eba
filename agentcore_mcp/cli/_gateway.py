"""``agentcore-mcp gateway ...``: put MCP runtimes behind an AgentCore Gateway, and check they fit.

``check-names`` lists a server's tools (an app spec served on loopback for the check, or ``--target``) and
checks each ``<target>___<tool>`` name against Bedrock's tool-name rule
(:mod:`agentcore_mcp._gateway_names`). The registration actions (``create``, ``add-target``, ``sync``,
``list``) live in :mod:`agentcore_mcp.cli._gateway_admin`.
"""

from __future__ import annotations

import argparse
from typing import Any

from agentcore_mcp.cli._base import Command, Failed, HelpFormatter, add_command, print_json
from agentcore_mcp.cli._target import TARGET_HELP, add_client_options, describe_failure, transport_options

__all__ = ["register"]

DESCRIPTION = """\
AgentCore Gateway: one MCP endpoint in front of many targets, each tool listed as <target>___<tool>.

  gateway check-names NAME [APP]         do the tools fit under target NAME? (64 characters)
  gateway create NAME --role ARN         create a gateway, wait until READY
  gateway add-target GW NAME --runtime ARN   a runtime as an MCP-server target (IAM role)
  gateway remove-target GW NAME          take a target off the gateway
  gateway sync GW [NAME ...]             re-read targets' tools (SynchronizeGatewayTargets)
  gateway list [GW]                      gateways, or one gateway's targets
"""

CHECK_DESCRIPTION = f"""\
Check that every tool of a server keeps a valid name behind a gateway. The gateway lists a tool as
<target>___<tool>; Amazon Bedrock's Converse API takes tool names of at most 64 characters from
[a-zA-Z0-9_-] (ToolSpecification.name). Each tool that would break is named, with how far over it is.
Exit status 1 when any would break.

The server is APP (an app spec, served on loopback for the check) or, without APP, the --target.

{TARGET_HELP}"""

EXAMPLES = """\
agentcore-mcp gateway check-names tutorial examples/demo_server.py
agentcore-mcp gateway check-names tutorial --target "$ARN"
"""

COMMAND = Command(
    "gateway", "AgentCore Gateway: check names, create, add targets, sync, list", DESCRIPTION, EXAMPLES
)


def register(commands: Any) -> None:
    gateway = add_command(commands, COMMAND, run)
    actions = gateway.add_subparsers(dest="gateway_command", metavar="ACTION")
    actions.required = True
    check = actions.add_parser(
        "check-names",
        help="check the tools' <target>___<tool> names against the 64-character limit",
        description=CHECK_DESCRIPTION,
        epilog="examples:\n  agentcore-mcp gateway check-names tutorial examples/demo_server.py",
        formatter_class=HelpFormatter,
    )
    check.add_argument("target_name", metavar="NAME", help="the gateway target's name")
    check.add_argument("app", metavar="APP", nargs="?", help="an app spec to check (default: --target)")
    add_client_options(check)
    from agentcore_mcp.cli import _gateway_admin

    _gateway_admin.register(actions)


def run(args: argparse.Namespace) -> int:
    if args.gateway_command == "check-names":
        return check_names(args)
    from agentcore_mcp.cli import _gateway_admin

    return _gateway_admin.run(args)


def _tool_names(args: argparse.Namespace) -> list[str]:
    from agentcore_mcp.cli._session_client import list_tools, run_session

    if args.app is None:
        target, options = transport_options(args)
        try:
            tools = run_session(target, options, args.timeout, list_tools)
        except (Exception, TimeoutError) as exc:
            raise Failed(describe_failure(exc, args.timeout, args.target)) from exc
        return [str(tool["name"]) for tool in tools]
    from agentcore_mcp._loader import load_app
    from agentcore_mcp.server import serve_in_thread

    app = load_app(args.app)
    with serve_in_thread(app, host="127.0.0.1") as url:
        try:
            tools = run_session(url.rstrip("/") + "/mcp", {}, args.timeout, list_tools)
        except (Exception, TimeoutError) as exc:
            raise Failed(describe_failure(exc, args.timeout, args.target)) from exc
    return [str(tool["name"]) for tool in tools]


def check_names(args: argparse.Namespace) -> int:
    from agentcore_mcp._gateway_names import check_target_name, check_tool_names, gateway_tool_name

    bad_target = check_target_name(args.target_name)
    if bad_target is not None:
        raise ValueError(bad_target)
    names = _tool_names(args)
    problems = check_tool_names(args.target_name, names)
    if args.json:
        print_json(
            {
                "target": args.target_name,
                "tools": [gateway_tool_name(args.target_name, name) for name in names],
                "problems": [
                    {"tool": p.tool, "gatewayName": p.gateway_name, "overBy": p.over_by, "reason": p.reason}
                    for p in problems
                ],
            }
        )
    else:
        for problem in problems:
            print(problem)
        if not problems:
            print(f"all {len(names)} tool names fit under the target {args.target_name!r}")
    if problems:
        raise Failed(f"{len(problems)} of {len(names)} tool names would break under {args.target_name!r}")
    return 0
