"""``agentcore-mcp init``: a new project whose own tests pass, whose code is lint-clean, and that refuses
to overwrite work."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from agentcore_mcp._scaffold import FILES, ScaffoldError, create_project, names_for
from agentcore_mcp.cli import main

BIN = Path(sys.executable).parent
REPO = Path(__file__).resolve().parents[1]


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
    assert main(["init", "weather-tools", "--directory", str(target), "--source", "index"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"created weather-tools in {target}/ (package weather_tools)")
    assert "\nagentcore-mcp from the package index\n" in out
    assert '.venv/bin/pip install -e ".[dev]"' in out
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
    # The first deploy is the code zip (no Docker); the image route comes after it.
    zip_route, image_route = readme.split("## Or: a container image")
    deploy_line = next(line for line in zip_route.splitlines() if "bin/agentcore-mcp deploy" in line)
    assert "--image" not in zip_route
    assert "docker build" not in zip_route.lower()
    assert "docker login" not in zip_route.lower()
    assert deploy_line.strip().startswith(".venv/bin/agentcore-mcp deploy weather_tools --region")
    assert "--image $REPO:0.1.0" in image_route
    assert "agentcore-mcp deploy weather_tools --role ROLE_ARN   # no Docker" in out
    assert "{{" not in "".join(p.read_text() for p in target.rglob("*") if p.is_file())


def test_a_new_project_builds_into_a_code_zip_that_serves_its_server(tmp_path: Path) -> None:
    import zipfile

    from agentcore_mcp._codezip import build_code_zip

    target = tmp_path / "weather-tools"
    create_project("weather-tools", target)
    built = build_code_zip(target)
    assert built.app == "weather_tools.server"
    assert built.path == target / "dist" / "weather-tools-PYTHON_3_13-arm64.zip"
    assert ("weather-tools", "0.1.0") in built.packages
    assert ("agentcore-mcp", __import__("agentcore_mcp").__version__) in built.packages
    with zipfile.ZipFile(built.path) as archive:
        assert "weather_tools/server.py" in archive.namelist()
        assert "main(['serve', 'weather_tools.server'])" in archive.read("main.py").decode()
    assert "dist/" in (target / ".gitignore").read_text().splitlines()


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


# -- where the project gets agentcore-mcp ------------------------------------------------------------


@pytest.fixture(scope="module")
def library_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            str(REPO),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    (wheel,) = out.glob("*.whl")
    return wheel


def test_init_from_a_wheel_puts_it_in_wheels_where_pip_and_the_dockerfile_find_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], library_wheel: Path
) -> None:
    from tests.examples.dockerfile import load, problems

    target = tmp_path / "local-tools"
    assert main(["init", "local-tools", "-d", str(target), "--source", str(library_wheel)]) == 0
    out = capsys.readouterr().out
    assert '.venv/bin/pip install --find-links wheels -e ".[dev]"' in out
    assert (target / "wheels" / library_wheel.name).is_file()
    assert 'install --find-links wheels -e ".[dev]"' in (target / "README.md").read_text()
    dockerfile = load(target / "Dockerfile")
    assert problems(dockerfile) == []
    build = " ".join(i.value for i in dockerfile.stages[0].instructions)
    assert "wheels ./wheels" in build
    assert "--find-links wheels" in build
    assert "!wheels/" in (target / ".dockerignore").read_text()
    # pip finds agentcore-mcp by name in wheels/, without any index
    installed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--no-index",
            "--find-links",
            "wheels",
            "--target",
            str(tmp_path / "site"),
            "agentcore-mcp>=0.1.0",
        ],
        cwd=target,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert installed.returncode == 0, installed.stderr
    assert (tmp_path / "site" / "agentcore_mcp" / "cli" / "__init__.py").is_file()
    tests = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:asyncio"],
        cwd=target,
        env={"PYTHONPATH": f"{target}{os.pathsep}{tmp_path / 'site'}", "PATH": str(BIN)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert tests.returncode == 0, tests.stdout + tests.stderr


def test_init_by_default_makes_a_project_that_installs_without_agentcore_mcp_on_the_index(
    tmp_path: Path,
) -> None:
    import tomllib

    # The CLI as a user runs it, from this checkout, with no --source: the index has no agentcore-mcp.
    done = subprocess.run(
        [sys.executable, "-m", "agentcore_mcp.cli", "init", "my_tools"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    target = tmp_path / "my_tools"
    said = (
        f"agentcore-mcp from wheels/, a wheel built from {REPO} (this agentcore-mcp runs from that checkout"
    )
    assert said in done.stdout
    install = '.venv/bin/pip install --find-links wheels -e ".[dev]"'
    assert install in done.stdout
    assert install in (target / "README.md").read_text()
    # Every requirement of the project's, and agentcore-mcp's own, found without any index.
    project = tomllib.loads((target / "pyproject.toml").read_text())["project"]
    offline = [
        sys.executable,
        "-m",
        "pip",
        "install",
        "-q",
        "--no-deps",
        "--no-index",
        "--find-links",
        "wheels",
    ]
    for requirement in project["dependencies"]:
        installed = subprocess.run(
            [*offline, "--target", str(tmp_path / "site"), requirement],
            cwd=target,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert installed.returncode == 0, installed.stderr
    assert (tmp_path / "site" / "agentcore_mcp" / "_version.py").read_text() == (
        REPO / "agentcore_mcp" / "_version.py"
    ).read_text()


def test_init_from_a_checkout_builds_the_wheel_and_installed_finds_the_checkout(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # This environment's agentcore-mcp is an editable install of this checkout (PEP 610 direct_url.json).
    target = tmp_path / "from-checkout"
    assert main(["init", "from-checkout", "-d", str(target), "--source", "installed"]) == 0
    (wheel,) = (target / "wheels").glob("agentcore_mcp-*.whl")
    assert wheel.stat().st_size > 10_000
    capsys.readouterr()
    assert main(["init", "bad", "-d", str(tmp_path / "bad"), "--source", str(tmp_path / "nowhere")]) == 1
    assert "is not a wheel (.whl), a source directory" in capsys.readouterr().err
    assert not (tmp_path / "bad").exists()


def test_init_from_a_vcs_url_writes_a_direct_reference_and_git_in_the_build_stage(tmp_path: Path) -> None:
    import tomllib

    from tests.examples.dockerfile import load, problems

    url = "git+https://github.com/agentcore-mcp/agentcore-mcp.git@v0.1.0"
    project = create_project("vcs-tools", tmp_path / "vcs", source=url)
    config = tomllib.loads((project.directory / "pyproject.toml").read_text())
    assert config["project"]["dependencies"] == [f"agentcore-mcp @ {url}"]
    assert config["project"]["optional-dependencies"]["fast"] == [f"agentcore-mcp[fast] @ {url}"]
    assert config["tool"]["hatch"]["metadata"]["allow-direct-references"] is True
    dockerfile = load(project.directory / "Dockerfile")
    assert problems(dockerfile) == []
    assert "install -y --no-install-recommends git" in " ".join(
        i.value for i in dockerfile.stages[0].all("RUN")
    )
    assert not (project.directory / "wheels").exists()


def test_the_quickstart_shows_the_server_init_writes(tmp_path: Path) -> None:
    target = tmp_path / "weather-tools"
    assert main(["init", "weather-tools", "--directory", str(target)]) == 0
    server = (target / "weather_tools" / "server.py").read_text()
    page = (REPO / "docs" / "quickstart.md").read_text()
    shown = page.split("The tools live in `weather_tools/server.py`:", 1)[1].split("```python\n", 1)[1]
    shown = shown.split("```", 1)[0]
    assert shown in server, "docs/quickstart.md's server.py block differs from what `init` writes"
