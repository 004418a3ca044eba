"""What every command module shares: the registration helper, the help formatter, errors and output.

A command module declares each command it owns as a :class:`Command` (its name, summary, description and
examples: the only place its name is written) and defines ``register(commands)``, which calls
:func:`add_command` once per command; :func:`add_command` attaches the handler and the examples and
formats the help at one width.
"""

from __future__ import annotations

import argparse
import json
import logging
import shutil
import sys
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "PROFILE_HELP",
    "Command",
    "Failed",
    "Handler",
    "HelpFormatter",
    "add_app_argument",
    "add_command",
    "add_list_option",
    "configure_logging",
    "error",
    "pairs",
    "print_json",
]

Handler = Callable[[argparse.Namespace], int]

#: ``--profile``'s help wherever a command takes one.
PROFILE_HELP = "the AWS profile (default: AWS_PROFILE or the default chain)"

#: Help is wrapped at this width, or the terminal's when it is narrower: descriptions and options alike.
WIDTH = 100


class Failed(Exception):
    """The command's work failed (exit status 1); the message is the one line printed."""


class HelpFormatter(argparse.HelpFormatter):
    """argparse's formatter at one width, for descriptions too; indented lines are kept as written.

    A description is paragraphs separated by blank lines. Prose paragraphs are re-wrapped at the width;
    a paragraph whose lines are indented, or that ends with a colon-headed list (``examples:``), is a
    table or a command line and is printed verbatim.
    """

    def __init__(self, prog: str) -> None:
        width = min(WIDTH, max(shutil.get_terminal_size((WIDTH, 24)).columns - 2, 40))
        super().__init__(prog, width=width, max_help_position=32)

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        paragraphs = text.strip("\n").split("\n\n")
        out = []
        for paragraph in paragraphs:
            lines = paragraph.splitlines()
            verbatim = any(line.startswith(" ") for line in lines) or lines[0].rstrip().endswith(":")
            if verbatim:
                out.append("\n".join(indent + line for line in lines))
            else:
                out.append(
                    textwrap.fill(
                        " ".join(paragraph.split()),
                        width,
                        initial_indent=indent,
                        subsequent_indent=indent,
                        break_on_hyphens=False,
                        break_long_words=False,
                    )
                )
        return "\n\n".join(out)


@dataclass(frozen=True)
class Command:
    """What ``--help`` says about one command.

    ``summary`` is its line in ``agentcore-mcp --help``; ``description`` opens its own ``--help``;
    ``examples`` is the text under ``examples:`` at the end of it, one command line a line (an indented
    line continues the one before), printed as written and indented by two spaces; there is at least one.
    """

    name: str
    summary: str
    description: str
    examples: str

    def __post_init__(self) -> None:
        if not self.examples.strip():
            raise ValueError(f"the command {self.name!r} needs at least one example")

    @property
    def epilog(self) -> str:
        lines = self.examples.strip("\n").splitlines()
        return "examples:\n" + "\n".join(f"  {line}" for line in lines)


def add_command(
    commands: Any, command: Command, handler: Handler, *, server: bool = False
) -> argparse.ArgumentParser:
    """Add ``command`` to the ``commands`` subparsers, run by ``handler``; returns its parser.

    ``server`` marks a command that serves until stopped (Ctrl-C or SIGTERM ends it with status 0).
    """
    parser: argparse.ArgumentParser = commands.add_parser(
        command.name,
        help=command.summary,
        description=command.description,
        epilog=command.epilog,
        formatter_class=HelpFormatter,
    )
    parser.set_defaults(handler=handler, server=server)
    return parser


def add_app_argument(parser: argparse.ArgumentParser, verb: str) -> None:
    """Add the positional ``APP``, an app spec (see ``agentcore-mcp --help``): "the app to VERB"."""
    parser.add_argument("app", metavar="APP", help=f"the app to {verb} (file.py[:attr] or module[:attr])")


def add_list_option(group: Any, flag: str, metavar: str | None, help: str) -> None:
    """Add ``flag`` to ``group`` (a parser or an argument group) as an option that may be repeated.

    Its values, in the order given, are a list; an empty one when the option is absent.
    """
    group.add_argument(flag, action="append", default=[], metavar=metavar, help=help)


def configure_logging(level: str) -> None:
    """Show the library's log lines at ``level`` and keep chatty dependencies at warnings."""
    numeric = getattr(logging, level.upper(), None)
    if not isinstance(numeric, int):
        raise ValueError(f"unknown log level {level!r}")
    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=logging.WARNING, format="%(asctime)s %(levelname)-7s %(message)s", datefmt="%H:%M:%S"
        )
    logging.getLogger("agentcore_mcp").setLevel(numeric)
    for noisy in ("httpx", "werkzeug", "botocore", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def pairs(values: Sequence[str], what: str) -> dict[str, str]:
    """``KEY=VALUE`` strings as a dict (ValueError, a usage error, names ``what`` and the bad value)."""
    out: dict[str, str] = {}
    for value in values:
        key, sep, rest = value.partition("=")
        if not sep or not key:
            raise ValueError(f"{what} must look like KEY=VALUE, got {value!r}")
        out[key] = rest
    return out


def print_json(value: Any) -> None:
    print(json.dumps(value, indent=2, ensure_ascii=False))


def error(command: str, exc: BaseException) -> None:
    """The one line on stderr for a failed command."""
    message = " ".join(str(exc).split()) or type(exc).__name__
    print(f"agentcore-mcp {command}: {message}", file=sys.stderr)
