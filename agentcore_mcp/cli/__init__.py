"""``agentcore-mcp``: the AgentCore tutorial's four steps as commands.

    agentcore-mcp init NAME              scaffold a server project (server, tests, README, Dockerfile)
    agentcore-mcp serve APP              serve APP on 0.0.0.0:8000/mcp, as AgentCore runs it
    agentcore-mcp dev APP                APP plus the emulator, with commands that work as printed
    agentcore-mcp emulator ...           a local InvokeAgentRuntime endpoint (and moto's control plane)
    agentcore-mcp tools / call TOOL k=v  list or call tools at a URL or a runtime ARN (boto3 or bearer)
    agentcore-mcp deploy NAME ...        build and upload a code zip (or take --image), create or update an
                                         MCP runtime, wait until READY
    agentcore-mcp rollback NAME -e E     point a runtime endpoint back at an earlier version
    agentcore-mcp destroy NAME           delete a runtime
    agentcore-mcp session stop ID        end a runtime session (StopRuntimeSession)

``main(argv)`` returns the exit code, and never raises SystemExit: 0 on success (``--help`` included, and
a clean stop of a server, Ctrl-C included), 2 on a usage error (bad arguments, found before anything is
sent), 1 when the work itself failed (an unreachable server, a busy port, a refused call, a tool error, a
failed task, a failed deploy), 130 when Ctrl-C stopped a client command (``call`` cancels its task first).
Errors are one line on stderr.

Each command lives in its own module (``_serve.py``, ``_call.py``, ...), listed in ``_commands.py``; see
``_base.add_command`` for how a module registers one.
"""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
import threading
from collections.abc import Sequence

from agentcore_mcp.cli._base import Failed, HelpFormatter, error
from agentcore_mcp.cli._commands import COMMANDS

__all__ = ["main"]

DESCRIPTION = """\
Host MCP tools on Amazon Bedrock AgentCore Runtime, and run the AgentCore path on your machine.

APP names an ASGI app: a file (examples/demo_server.py), a file and attribute (server.py:app), or a module
(package.module or package.module:app). Without an attribute, the module's `app` is used, else its only
AgentCoreMCP instance.
"""

EPILOG = """\
examples:
  agentcore-mcp dev examples/demo_server.py
  agentcore-mcp call add_numbers a=2 b=3 --target http://127.0.0.1:8000/mcp
  agentcore-mcp COMMAND --help"""


def parser() -> argparse.ArgumentParser:
    """The whole command line: every module in ``COMMANDS`` registered in order."""
    from agentcore_mcp import __version__

    root = argparse.ArgumentParser(
        prog="agentcore-mcp", description=DESCRIPTION, epilog=EPILOG, formatter_class=HelpFormatter
    )
    root.add_argument("--version", action="version", version=f"agentcore-mcp {__version__}")
    commands = root.add_subparsers(dest="command", metavar="COMMAND")
    commands.required = True
    for name in COMMANDS:
        importlib.import_module(f"{__name__}.{name}").register(commands)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the process exit code (0 ok, 1 failure, 2 usage error, 130 after Ctrl-C).

    It never raises SystemExit: ``--help`` and ``--version`` print and return 0, an argument argparse
    refuses prints the usage and the reason and returns 2.
    """
    root = parser()
    try:
        args, extra = root.parse_known_args(argv)
        if extra:
            # `call TOOL a=1 --target URL b=2`: argparse stops collecting KEY=VALUE pairs at the first option.
            if args.command == "call" and not any(item.startswith("-") for item in extra):
                args.arguments.extend(extra)
            else:
                root.error(f"unrecognized arguments: {' '.join(extra)}")
    except SystemExit as exc:  # argparse exits for --help (0) and for usage errors (2)
        return exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 2
    from agentcore_mcp.errors import AgentCoreMCPError, AppLoadError

    if args.server and threading.current_thread() is threading.main_thread() and os.name == "posix":
        # uvicorn re-raises the signal that stopped it; make SIGTERM end as cleanly as Ctrl-C does.
        signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        code: int = args.handler(args)
    except KeyboardInterrupt:
        return 0 if args.server else 130
    except (ValueError, AppLoadError) as exc:  # found before anything was sent (InvalidRuntimeSpec too)
        error(args.command, exc)
        return 2
    except (Failed, AgentCoreMCPError) as exc:
        error(args.command, exc)
        return 1
    return code


if __name__ == "__main__":
    sys.exit(main())
