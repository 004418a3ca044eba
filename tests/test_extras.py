"""Each part checks its extra's packages on import: present, it works; absent, one error names the extra.

The fresh-venv tests install the wheel the way a user would (``pip install agentcore-mcp strands-agents``,
without the ``[client]`` extra), from PyPI for the third-party packages, and drive the library there.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import venv
from pathlib import Path

import pytest

from agentcore_mcp._extras import require, untyped_module
from agentcore_mcp.errors import AgentCoreMCPError, MissingExtraError

REPO = Path(__file__).resolve().parent.parent


def test_require_names_the_missing_packages_and_the_extra() -> None:
    with pytest.raises(MissingExtraError) as caught:
        require("agentcore_mcp.example", "client", "json", "agentcore_mcp_no_such_package")
    message = str(caught.value)
    assert "needs agentcore_mcp_no_such_package, which the 'client' extra installs" in message
    assert 'pip install "agentcore-mcp[client]"' in message
    assert isinstance(caught.value, ImportError)
    assert isinstance(caught.value, AgentCoreMCPError)


def test_require_passes_when_everything_is_importable() -> None:
    require("agentcore_mcp.example", "client", "json", "pydantic")


def test_untyped_module_imports_by_name() -> None:
    assert untyped_module("json").loads("[1]") == [1]


def _run(python: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(python), *args], capture_output=True, text=True, timeout=timeout, check=False, cwd="/"
    )


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--wheel-dir",
            str(out),
            str(REPO),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    (built,) = out.glob("*.whl")
    return built


def _fresh_venv(root: Path, *requirements: str) -> Path:
    venv.EnvBuilder(with_pip=True).create(root)
    python = root / "bin" / "python"
    done = _run(python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *requirements)
    assert done.returncode == 0, done.stdout + done.stderr
    return python


# A server (core dependencies only) on a free loopback port, and a Strands MCPClient calling it through
# AgentCoreTransport: what a user of `pip install agentcore-mcp strands-agents` writes.
STRANDS_SCRIPT = textwrap.dedent(
    """
    import socket, threading, time
    import uvicorn
    from strands.tools.mcp import MCPClient
    from agentcore_mcp import AgentCoreMCP, AgentCoreTransport, tool

    @tool
    def add_numbers(a: int, b: int) -> int:
        return a + b

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(AgentCoreMCP("x", tools=[add_numbers]), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    client = MCPClient(lambda: AgentCoreTransport(f"http://127.0.0.1:{port}/mcp"))
    with client:
        names = [t.tool_name for t in client.list_tools_sync()]
        result = client.call_tool_sync("call-1", "add_numbers", {"a": 2, "b": 3})
    print(names, result["content"][0]["text"])
    server.should_exit = True
    thread.join(5)
    try:
        import agentcore_mcp.emulator
    except ImportError as exc:
        print(type(exc).__name__, exc)
    """
)


def test_strands_without_the_client_extra_works_and_the_emulator_names_its_extra(
    wheel: Path, tmp_path: Path
) -> None:
    python = _fresh_venv(tmp_path / "venv", str(wheel), "strands-agents")
    done = _run(python, "-c", STRANDS_SCRIPT, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.strip().splitlines()
    assert lines[0] == "['add_numbers'] 5"
    assert lines[1].startswith("MissingExtraError ")
    assert 'pip install "agentcore-mcp[emulator]"' in lines[1]


def test_the_core_install_serves_and_the_client_names_its_extra(wheel: Path, tmp_path: Path) -> None:
    python = _fresh_venv(tmp_path / "venv", str(wheel))
    script = textwrap.dedent(
        """
        import agentcore_mcp
        app = agentcore_mcp.AgentCoreMCP("x")
        try:
            agentcore_mcp.AgentCoreTransport
        except ImportError as exc:
            print(type(exc).__name__, exc)
        """
    )
    done = _run(python, "-c", script, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("MissingExtraError ")
    assert 'pip install "agentcore-mcp[client]"' in done.stdout


# The emulator's two moto services (the control plane and S3) in a venv holding only the emulator extra:
# none of the packages moto's `server` extra would add for the services the emulator does not run.
EMULATOR_SCRIPT = textwrap.dedent(
    """
    import importlib.util
    import boto3
    from botocore.config import Config
    from agentcore_mcp.emulator import Emulator

    heavy = ("cfnlint", "sympy", "networkx", "docker", "aws_xray_sdk")
    print(sorted(name for name in heavy if importlib.util.find_spec(name)))
    with Emulator(region="us-west-2").serve() as url:
        keys = {"region_name": "us-west-2", "aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
        control = boto3.client("bedrock-agentcore-control", endpoint_url=url, **keys)
        print(control.list_agent_runtimes()["agentRuntimes"])
        s3 = boto3.client("s3", endpoint_url=url, config=Config(s3={"addressing_style": "path"}), **keys)
        s3.create_bucket(Bucket="code", CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
        s3.put_object(Bucket="code", Key="a.zip", Body=b"zip")
        print(s3.get_object(Bucket="code", Key="a.zip")["Body"].read())
    """
)


def test_the_emulator_extra_runs_its_moto_services_without_moto_servers_heavy_part(
    wheel: Path, tmp_path: Path
) -> None:
    python = _fresh_venv(tmp_path / "venv", f"{wheel}[emulator]")
    done = _run(python, "-c", EMULATOR_SCRIPT, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip().splitlines() == ["[]", "[]", "b'zip'"]
