"""The official MCP Inspector in CLI mode (stdio) launches ``agentcore-mcp proxy``, as its users do:
``mcp-inspector --cli agentcore-mcp proxy TARGET --method tools/list``. Installed by ``make`` (npm)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from .conftest import ROOT, Emulated

INSPECTOR = ROOT / ".inspector" / "node_modules" / ".bin" / "mcp-inspector"
CALLS = [
    ("add_numbers", ["a=2", "b=3"], "5"),
    ("multiply_numbers", ["a=4", "b=-5"], "-20"),
    ("greet_user", ["name=Ada"], "Hello, Ada! Nice to meet you."),
    ("count_slowly", ["steps=2"], "counted to 2"),
]


@pytest.fixture(scope="module")
def inspector() -> Path:
    if not INSPECTOR.is_file():
        pytest.fail(
            f"The MCP Inspector is not installed at {INSPECTOR}: run `make .inspector/.installed` "
            "(npm install @modelcontextprotocol/inspector), as `make test` does.",
            pytrace=False,
        )
    return INSPECTOR


def inspect(inspector: Path, emulated: Emulated, target_args: list[str], *method: str) -> dict[str, object]:
    done = subprocess.run(
        [str(inspector), "--cli", *emulated.command(*target_args), *method],
        capture_output=True,
        env=emulated.env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()
    answer: dict[str, object] = json.loads(done.stdout)
    return answer


@pytest.mark.parametrize("auth", ["sigv4", "jwt"])
def test_the_inspector_lists_and_calls_every_demo_tool(
    inspector: Path, emulated: Emulated, auth: str
) -> None:
    target = emulated.sigv4_args() if auth == "sigv4" else emulated.jwt_args()
    listed = inspect(inspector, emulated, target, "--method", "tools/list")
    names = {tool["name"] for tool in listed["tools"]}  # type: ignore[attr-defined]
    assert {"add_numbers", "multiply_numbers", "greet_user", "count_slowly"} <= names
    for name, arguments, expected in CALLS:
        tool_args = [item for argument in arguments for item in ("--tool-arg", argument)]
        result = inspect(
            inspector, emulated, target, "--method", "tools/call", "--tool-name", name, *tool_args
        )
        assert result["content"] == [{"type": "text", "text": expected}], result
