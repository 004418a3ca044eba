"""``agentcore-mcp gateway``: the name check on an app spec, and registration against the emulator."""

from __future__ import annotations

from pathlib import Path

import pytest

from agentcore_mcp.cli import main

LONG_TOOL = "t" * 60


@pytest.fixture
def long_names(tmp_path: Path) -> Path:
    source = tmp_path / "long_names.py"
    source.write_text(
        "from agentcore_mcp import AgentCoreMCP\n"
        "app = AgentCoreMCP('long')\n"
        "@app.tool\n"
        "def add_numbers(a: int, b: int) -> int:\n"
        "    '''Add two numbers.'''\n"
        "    return a + b\n"
        f"@app.tool(name={LONG_TOOL!r})\n"
        "def long_one() -> str:\n"
        "    '''A tool with a long name.'''\n"
        "    return 'ok'\n"
    )
    return source


def test_check_names_refuses_the_tool_that_breaks_and_names_it(
    long_names: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["gateway", "check-names", "calculator", str(long_names)]) == 1
    out, err = capsys.readouterr()
    assert f"{LONG_TOOL}: 'calculator___{LONG_TOOL}' is 73 characters, 9 over" in out
    assert "add_numbers" not in out
    assert "1 of 2 tool names would break under 'calculator'" in err


def test_check_names_passes_a_server_whose_names_fit(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["gateway", "check-names", "tutorial", "examples/demo_server.py"]) == 0
    assert "all 3 tool names fit under the target 'tutorial'" in capsys.readouterr().out


def test_check_names_refuses_an_invalid_target_name_as_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["gateway", "check-names", "bad_name", "examples/demo_server.py"]) == 2
    assert "no underscores" in capsys.readouterr().err
