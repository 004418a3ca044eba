"""``agentcore-mcp init``: a new project whose own tests pass, whose code is lint-clean, and that refuses
to overwrite work."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from agentcore_mcp._scaffold import FILES, ScaffoldError, create_project, names_for
from agentcore_mcp.cli import main

BIN = Path(sys.executable).parent


def test_names_follow_the_project_name() -> None:
    assert names_for("weather-tools") == ("weather_tools", "weather_tools")
    assert names_for("Inventory_2") == ("inventory_2", "inventory_2")
    for bad in ("2fast", "has space", "", "x" * 49, "dots.no"):
        with pytest.raises(ValueError, match="a project name is a letter"):
            names_for(bad)


def test_init_writes_the_project_and_says_what_is_next(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "weather-tools"
    assert main(["init", "weather-tools", "--directory", str(target)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"created weather-tools in {target}/ (package weather_tools)")
    written = sorted(str(p.relative_to(target)) for p in target.rglob("*") if p.is_file())
    assert written == sorted(dest.format(package="weather_tools") for dest in FILES.values())
    assert "agentcore-mcp serve weather_tools.server:app" in out
    server = (target / "weather_tools" / "server.py").read_text()
    assert 'AgentCoreMCP(\n    "weather-tools"' in server
    dockerfile = (target / "Dockerfile").read_text()
    assert 'CMD ["agentcore-mcp", "serve", "weather_tools.server:app"]' in dockerfile
    assert '"weather-tools[fast]"' in dockerfile
    readme = (target / "README.md").read_text()
    assert "agentcore-mcp deploy weather_tools" in readme
    assert "{{" not in "".join(p.read_text() for p in target.rglob("*") if p.is_file())


def test_the_new_projects_own_tests_pass_and_its_code_is_lint_clean(tmp_path: Path) -> None:
    target = tmp_path / "demo-tools"
    create_project("demo-tools", target)
    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-W", "error", "-p", "no:asyncio"],
        cwd=target,
        env={"PYTHONPATH": str(target), "PATH": str(BIN)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert tests.returncode == 0, tests.stdout + tests.stderr
    assert "5 passed" in tests.stdout
    lint = subprocess.run(
        [str(BIN / "ruff"), "check", "--no-cache", "--isolated", "--select", "E,F,W,I,B,UP", "."],
        cwd=target,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert lint.returncode == 0, lint.stdout
    types = subprocess.run(
        [str(BIN / "mypy"), "--strict", "--no-incremental", "--cache-dir", str(tmp_path / ".mypy"), "."],
        cwd=target,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert types.returncode == 0, types.stdout


def test_init_refuses_a_non_empty_directory_unless_forced(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "taken"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    assert main(["init", "taken", "-d", str(target)]) == 1
    err = capsys.readouterr().err
    assert err == f"agentcore-mcp init: {target} exists and is not empty (use --force to write into it)\n"
    assert sorted(p.name for p in target.iterdir()) == ["notes.txt"]
    assert main(["init", "taken", "-d", str(target), "--force"]) == 0
    assert (target / "notes.txt").read_text() == "mine"
    assert (target / "taken" / "server.py").is_file()
    with pytest.raises(ScaffoldError, match="is not a directory"):
        create_project("x", target / "notes.txt")


def test_a_bad_project_name_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init", "9lives", "-d", str(tmp_path / "x")]) == 2
    assert "a project name is a letter" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()
