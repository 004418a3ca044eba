"""The example and the scaffolded Dockerfiles: linted without a Docker engine, and their CMD run from the
layout the image build produces (wheels installed into a target directory, nothing else importable)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from agentcore_mcp._scaffold import create_project
from agentcore_mcp.server._local import free_port
from tests.examples.dockerfile import Dockerfile, load, parse, problems

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "Dockerfile"
# What the runtime image does not contain: the client side, dev and test tools, the emulator's parts.
NOT_IN_THE_IMAGE = (
    "mcp",
    "mcp_types",
    "httpx",
    "httpx2",
    "boto3",
    "botocore",
    "moto",
    "jwt",
    "pytest",
    "hypothesis",
    "bedrock_agentcore",
)
ACCEPT = "application/json, text/event-stream"


def pip(*args: str, cwd: Path = REPO) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pip", *args, "--quiet", "--disable-pip-version-check"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def build_wheel(source: Path, out: Path) -> Path:
    """``pip wheel --no-deps`` of a project, offline (hatchling from this environment)."""
    before = set(out.glob("*.whl"))
    pip("wheel", "--no-deps", "--no-build-isolation", "--wheel-dir", str(out), str(source))
    (wheel,) = set(out.glob("*.whl")) - before
    return wheel


@pytest.fixture(scope="module")
def library_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_wheel(REPO, tmp_path_factory.mktemp("wheels"))


def install(wheels: list[Path], target: Path) -> None:
    """What the runtime stage's ``pip install --no-index --find-links /wheels --compile`` leaves behind."""
    pip("install", "--no-deps", "--no-index", "--compile", "--target", str(target), *map(str, wheels))


def blocker(directory: Path) -> Path:
    """A ``sitecustomize`` that makes the packages the image lacks unimportable."""
    directory.mkdir()
    (directory / "sitecustomize.py").write_text(
        "import sys\n"
        "from importlib.abc import MetaPathFinder\n"
        f"BLOCKED = {NOT_IN_THE_IMAGE!r}\n"
        "class NotInTheImage(MetaPathFinder):\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in BLOCKED:\n"
        "            raise ModuleNotFoundError(f'{name} is not in the image', name=name)\n"
        "        return None\n"
        "sys.meta_path.insert(0, NotInTheImage())\n"
    )
    return directory


def copy_context(dockerfile: Dockerfile, context: Path, root: Path) -> Path:
    """Apply the final stage's COPY-from-context instructions under ``root``; the WORKDIR."""
    workdir = root
    for instruction in dockerfile.final.instructions:
        if instruction.keyword == "WORKDIR":
            workdir = root / instruction.value.lstrip("/")
            workdir.mkdir(parents=True, exist_ok=True)
        elif instruction.keyword == "COPY" and "--from" not in instruction.value:
            *sources, destination = instruction.value.split()
            into = (
                workdir / destination if not destination.startswith("/") else root / destination.lstrip("/")
            )
            into.mkdir(parents=True, exist_ok=True)
            for source in sources:
                shutil.copy(context / source, into)
    return workdir


@pytest.fixture
def layout_env(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    site = tmp_path / "site-packages"
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "PYTHONPATH": f"{blocker(tmp_path / 'blocker')}{os.pathsep}{site}",
    }
    return site, env


def run_cmd(dockerfile: Dockerfile, site: Path, workdir: Path, env: dict[str, str]) -> None:
    """Run the image's CMD as the container would (its ENV, its WORKDIR), on a free loopback port, and
    talk MCP to it: /ping, then tools/list."""
    command = dockerfile.cmd()
    script = site / "bin" / command[0]
    assert script.is_file(), f"{command[0]} is not installed by the wheels"
    port = free_port()
    full_env = {**dockerfile.env(dockerfile.final), **env}
    full_env.update(AGENTCORE_MCP_HOST="127.0.0.1", AGENTCORE_MCP_PORT=str(port))  # loopback only here
    log = workdir.parent / "server.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, str(script), *command[1:]],
            cwd=workdir,
            env=full_env,
            stdout=output,
            stderr=output,
        )
    try:
        deadline = time.monotonic() + 30  # AgentCore's own start limit
        while True:
            assert process.poll() is None, f"the CMD exited ({process.returncode}):\n{log.read_text()}"
            try:
                if httpx.get(f"http://127.0.0.1:{port}/ping", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"no /ping answer within 30 s:\n{log.read_text()}"
            time.sleep(0.05)
        answer = httpx.post(
            f"http://127.0.0.1:{port}/mcp",
            json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
            headers={"Accept": ACCEPT, "MCP-Protocol-Version": "2025-11-25"},
            timeout=10,
        )
        assert answer.status_code == 200, answer.text
        assert "add_numbers" in {tool["name"] for tool in answer.json()["result"]["tools"]}
    finally:
        process.terminate()
        assert process.wait(timeout=30) == 0, log.read_text()
    imported = subprocess.run(
        [sys.executable, "-c", "import agentcore_mcp; print(agentcore_mcp.__file__)"],
        cwd=workdir,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert Path(imported.stdout.strip()).is_relative_to(site), "the server ran from the source tree"


def dockerignore_keeps(ignore: Path, dockerfile: Dockerfile) -> list[str]:
    """COPY sources that an ignore-everything ``.dockerignore`` fails to let back in."""
    rules = [
        line.strip() for line in ignore.read_text().splitlines() if line.strip() and not line.startswith("#")
    ]
    if "*" not in rules:
        return []
    kept = {rule[1:].rstrip("/") for rule in rules if rule.startswith("!")}
    missing = []
    for stage in dockerfile.stages:
        for instruction in stage.all("COPY"):
            if "--from" in instruction.value:
                continue
            *sources, _ = instruction.value.split()
            missing += [source for source in sources if source.rstrip("/") not in kept]
    return missing


# -- the example image ---------------------------------------------------------------------------------


def test_the_example_dockerfile_passes_the_lint_rules() -> None:
    dockerfile = load(EXAMPLE)
    assert problems(dockerfile) == []
    assert dockerfile.directives["syntax"] == "docker/dockerfile:1"
    assert [stage.platform for stage in dockerfile.stages] == ["linux/arm64", "linux/arm64"]
    assert dockerfile.expand(dockerfile.final.base) == "python:3.12-slim"
    env = dockerfile.env(dockerfile.final)
    assert (env["AGENTCORE_MCP_HOST"], env["AGENTCORE_MCP_PORT"]) == ("0.0.0.0", "8000")
    assert env["DOCKER_CONTAINER"] == "1"  # bedrock-agentcore: no local workload-identity setup
    assert dockerfile.final.all("USER")[-1].value == "10001"
    install_step = " ".join(i.value for i in dockerfile.final.all("RUN"))
    assert '--compile "agentcore-mcp[fast]"' in install_step  # uvloop + httptools, bytecode now
    assert "python -m compileall -q /app" in install_step
    assert "dev" not in install_step
    build_step = " ".join(i.value for i in dockerfile.stages[0].all("RUN"))
    assert '".[fast]"' in build_step
    assert "\nfast = [" in (REPO / "pyproject.toml").read_text()
    assert dockerignore_keeps(EXAMPLE.with_name("Dockerfile.dockerignore"), dockerfile) == []


def test_the_example_cmd_serves_the_demo_from_the_built_layout(
    library_wheel: Path, layout_env: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    site, env = layout_env
    install([library_wheel], site)
    assert list((site / "agentcore_mcp" / "__pycache__").glob("*.pyc")), "no bytecode compiled at install"
    dockerfile = load(EXAMPLE)
    workdir = copy_context(dockerfile, REPO, tmp_path / "root")
    assert sorted(p.name for p in workdir.iterdir()) == ["demo_server.py"]
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(workdir)], check=True, timeout=60)
    run_cmd(dockerfile, site, workdir, env)


# -- the scaffolded image ------------------------------------------------------------------------------


@pytest.fixture
def project(tmp_path: Path) -> Path:
    directory = tmp_path / "orders-tools"
    create_project("orders-tools", directory)
    return directory


def test_the_scaffolded_dockerfile_passes_the_lint_rules(project: Path) -> None:
    dockerfile = load(project / "Dockerfile")
    assert problems(dockerfile) == []
    assert dockerfile.cmd() == ["agentcore-mcp", "serve", "orders_tools.server:app"]
    install_step = " ".join(i.value for i in dockerfile.final.all("RUN"))
    assert '--compile "orders-tools[fast]"' in install_step
    assert "\nfast = [" in (project / "pyproject.toml").read_text()
    assert dockerignore_keeps(project / ".dockerignore", dockerfile) == []


def test_the_scaffolded_cmd_serves_the_project_from_its_built_layout(
    project: Path, library_wheel: Path, layout_env: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    site, env = layout_env
    project_wheel = build_wheel(project, tmp_path / "wheels")
    install([library_wheel, project_wheel], site)
    assert list((site / "orders_tools" / "__pycache__").glob("server*.pyc"))
    dockerfile = load(project / "Dockerfile")
    workdir = copy_context(dockerfile, project, tmp_path / "root")
    run_cmd(dockerfile, site, workdir, env)


def test_the_wheel_ships_the_scaffold_templates_and_init_runs_from_it(
    library_wheel: Path, layout_env: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    site, env = layout_env
    install([library_wheel], site)
    assert len(list((site / "agentcore_mcp" / "_scaffold" / "templates").glob("*.tmpl"))) == 8
    done = subprocess.run(
        [
            sys.executable,
            str(site / "bin" / "agentcore-mcp"),
            "init",
            "from-wheel",
            "-d",
            str(tmp_path / "p"),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "p" / "from_wheel" / "server.py").is_file()


# -- the checker itself --------------------------------------------------------------------------------


def test_the_lint_rules_catch_what_they_are_for() -> None:
    bad = parse(
        "FROM python AS build\n"
        "ADD app.py /app/\n"
        "COPY app.py app/\n"
        "FROM --platform=linux/amd64 ubuntu:latest\n"
        "WORKDIR app\n"
        "RUN curl -s https://example.com/x | sh && pip install requests && apt-get install -y gcc\n"
        "USER root\n"
        "EXPOSE 8080\n"
        "CMD agentcore-mcp serve app.py\n"
    )
    found = "\n".join(problems(bad))
    for rule in (
        "--platform=linux/arm64 is required",
        "DL3006",
        "DL3007",
        "expected a python:*-slim base image",
        "DL3020",
        "DL3045",
        "DL3000",
        "DL4006",
        "DL3042",
        "--no-index --find-links",
        "DL3015",
        "nothing is downloaded",
        "DL3002",
        "EXPOSE 8000",
        "DL3025",
    ):
        assert rule in found, rule
