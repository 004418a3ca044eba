"""``agentcore-mcp session new | stop``: runtime sessions (each one a microVM on AgentCore)."""

from __future__ import annotations

import argparse
from typing import Any

from agentcore_mcp.cli._base import Command, Failed, HelpFormatter, add_command, print_json
from agentcore_mcp.cli._target import TARGET_HELP, add_client_options, describe_failure, transport_options

__all__ = ["register"]

DESCRIPTION = """\
Runtime sessions: each runtime session gets its own microVM on AgentCore. Reuse one across commands with
--session-id (tools, call), and end it with `session stop` when the conversation is over.

  agentcore-mcp session new                          print a fresh, valid runtime session id
  agentcore-mcp session stop ID --target ARN         StopRuntimeSession (boto3, or --bearer-token)
"""

STOP_DESCRIPTION = f"""\
End a runtime session: its microVM stops, and the next request with that id starts a new one. Stopping a
session that has already ended succeeds.

{TARGET_HELP}"""

EXAMPLES = """\
SESSION=$(agentcore-mcp session new)
agentcore-mcp session stop "$SESSION" --target "$ARN"
"""

COMMAND = Command("session", "runtime sessions: new, stop", DESCRIPTION, EXAMPLES)


def register(commands: Any) -> None:
    session = add_command(commands, COMMAND, run)
    actions = session.add_subparsers(dest="session_command", metavar="ACTION")
    actions.required = True
    actions.add_parser(
        "new",
        help="print a fresh runtime session id",
        description="Print a fresh, valid runtime session id.",
        epilog="example:\n  agentcore-mcp session new",
        formatter_class=HelpFormatter,
    )
    stop = actions.add_parser(
        "stop",
        help="end a runtime session (StopRuntimeSession)",
        description=STOP_DESCRIPTION,
        epilog='example:\n  agentcore-mcp session stop "$SESSION" --target "$ARN"',
        formatter_class=HelpFormatter,
    )
    stop.add_argument("stop_session_id", metavar="SESSION_ID", help="the runtime session id")
    add_client_options(stop, session_id=False)


def run(args: argparse.Namespace) -> int:
    from agentcore_mcp import new_session_id

    if args.session_command == "new":
        print(new_session_id())
        return 0
    import anyio

    from agentcore_mcp import AgentCoreTransport

    args.session_id = args.stop_session_id
    target, options = transport_options(args)
    transport = AgentCoreTransport(target, **options)
    if not transport.agentcore:
        raise ValueError(f"{target!r} is a plain MCP URL: it has no runtime session to stop")

    async def stop() -> None:
        with anyio.fail_after(args.timeout):
            await transport.stop()

    try:
        anyio.run(stop)
    except (Exception, TimeoutError) as exc:
        raise Failed(describe_failure(exc, args.timeout, args.target)) from exc
    if args.json:
        print_json({"runtimeSessionId": args.stop_session_id, "stopped": True})
    else:
        print(f"stopped runtime session {args.stop_session_id}")
    return 0
