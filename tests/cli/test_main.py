"""``agentcore_mcp.cli.main()`` returns the exit code it documents; argparse's exits do not escape it."""

from __future__ import annotations

import pytest

from agentcore_mcp import __version__
from agentcore_mcp.cli import main


def test_help_returns_0_after_printing_the_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    assert capsys.readouterr().out.startswith("usage: agentcore-mcp")
    assert main(["call", "--help"]) == 0
    assert "Ctrl-C" in capsys.readouterr().out


def test_version_returns_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"agentcore-mcp {__version__}\n"


@pytest.mark.parametrize(
    ("argv", "reason"),
    [
        ([], "the following arguments are required: COMMAND"),
        (["call"], "the following arguments are required: TOOL"),
        (["no-such-command"], "invalid choice: 'no-such-command'"),
        (["tools", "--no-such-option"], "unrecognized arguments: --no-such-option"),
        (["call", "add_numbers", "--timeout", "soon"], "argument --timeout: invalid float value: 'soon'"),
    ],
)
def test_a_usage_error_argparse_finds_returns_2_with_the_usage_and_reason(
    capsys: pytest.CaptureFixture[str], argv: list[str], reason: str
) -> None:
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("usage: agentcore-mcp")
    assert reason in captured.err
