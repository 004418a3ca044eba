"""Code runtimes in the emulator: what `agentcore-mcp deploy` built and put in moto's S3 is what runs.

End to end and real: `agentcore-mcp init` writes a project, `agentcore-mcp deploy` (no image) builds its
code zip for arm64 with pip, uploads it to the emulator's S3 (moto) and creates the runtime with
`codeConfiguration`; `agentcore-mcp call` then reaches a process started from the unpacked zip. The zip's
aarch64 pydantic-core cannot load on an x86_64 machine, so there the same version is installed for the host
(a warning says so); everything else is the zip's own code.
"""

from __future__ import annotations

import io
import json
import logging
import platform
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from agentcore_mcp.cli import main
from agentcore_mcp.emulator import Emulator
from tests.test_deploy import settle_moto_updates

REGION = "us-east-1"
ROLE = "arn:aws:iam::123456789012:role/AgentCoreRuntime"
BUCKET = "agentcore-mcp-code-123456789012-us-east-1"


@pytest.fixture(scope="module")
def emulator_url() -> Iterator[tuple[Emulator, str]]:
    emulator = Emulator(region=REGION)
    with emulator.serve() as url:
        yield emulator, url


@pytest.fixture
def local_aws(emulator_url: tuple[Emulator, str], monkeypatch: pytest.MonkeyPatch) -> tuple[Emulator, str]:
    emulator, url = emulator_url
    settle_moto_updates(monkeypatch)
    for name, value in {
        "AWS_ENDPOINT_URL_BEDROCK_AGENTCORE": url,
        "AWS_ENDPOINT_URL_BEDROCK_AGENTCORE_CONTROL": url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL_S3", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    return emulator, url


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _deploy(capsys: pytest.CaptureFixture[str], project: Path) -> tuple[dict[str, Any], str]:
    code, out, err = _cli(
        capsys,
        "deploy",
        "my_tools",
        "--source",
        str(project),
        "--role",
        ROLE,
        "--json",
        "--poll-interval",
        "0.1",
    )
    assert code == 0, err
    return json.loads(out), err


def _call(capsys: pytest.CaptureFixture[str], arn: str) -> str:
    code, out, err = _cli(capsys, "call", "add_numbers", "a=2", "b=3", "--target", arn)
    assert code == 0, err
    return out.strip()


def _s3(url: str) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(s3={"addressing_style": "path"}),
    )


def test_deploy_from_source_runs_the_zip_in_moto_s3_not_the_working_tree(
    local_aws: tuple[Emulator, str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    _, url = local_aws
    project = tmp_path / "my_tools"
    assert _cli(capsys, "init", "my_tools", "--directory", str(project))[0] == 0

    first, err = _deploy(capsys, project)
    for stage in ("resolve:", "build:", "upload:", "creating runtime my_tools", "READY (", "ready:"):
        assert stage in err, (stage, err)
    assert "manylinux2014_aarch64, CPython 3.13" in err
    zipped = first["codeZip"]
    assert zipped["uploaded"] is True
    assert zipped["architecture"] == "arm64"
    assert f"sha256 {zipped['sha256']}" in err
    assert zipped["key"] == f"agentcore-mcp/my_tools/{zipped['sha256']}.zip"
    assert f"created bucket s3://{BUCKET}" in err

    # The runtime names the zip, and the zip in moto's S3 is the one built here.
    control = boto3.client(
        "bedrock-agentcore-control",
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    described = control.get_agent_runtime(agentRuntimeId=first["agentRuntimeId"])
    code_config = described["agentRuntimeArtifact"]["codeConfiguration"]
    assert code_config == {
        "code": {"s3": {"bucket": BUCKET, "prefix": zipped["key"]}},
        "runtime": "PYTHON_3_13",
        "entryPoint": ["main.py"],
    }
    stored = _s3(url).get_object(Bucket=BUCKET, Key=zipped["key"])["Body"].read()
    assert stored == Path(zipped["path"]).read_bytes()
    with zipfile.ZipFile(io.BytesIO(stored)) as archive:
        assert "my_tools/server.py" in archive.namelist()

    arn = first["agentRuntimeArn"]
    with caplog.at_level(logging.INFO, logger="agentcore_mcp.emulator"):
        assert _call(capsys, arn) == "5"
    if platform.machine() != "aarch64":
        assert "pydantic_core==" in caplog.text
        assert "built for another platform; running the zip's own code" in caplog.text

    # A change to the working tree is not what the runtime runs ...
    server = project / "my_tools" / "server.py"
    server.write_text(server.read_text().replace("return a + b", "return a + b + 100"))
    assert _call(capsys, arn) == "5"

    # ... until the next deploy, which builds and uploads a new zip and a new version.
    second, _ = _deploy(capsys, project)
    assert second["codeZip"]["uploaded"] is True
    assert second["codeZip"]["sha256"] != zipped["sha256"]
    assert second["agentRuntimeVersion"] == "2"
    assert _call(capsys, arn) == "105"

    # An unchanged project builds the same bytes, which are not uploaded again.
    third, err = _deploy(capsys, project)
    assert third["codeZip"]["sha256"] == second["codeZip"]["sha256"]
    assert third["codeZip"]["uploaded"] is False
    assert "upload: skipped" in err


def test_deploy_to_an_endpoint_then_rollback_each_answered_by_its_versions_code(
    local_aws: tuple[Emulator, str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)  # the zip of a single file goes to ./dist
    source = tmp_path / "tools_server.py"
    demo = (Path(__file__).resolve().parents[2] / "examples" / "demo_server.py").read_text()
    assert "return a + b\n" in demo

    def deploy_version(body: str) -> dict[str, Any]:
        source.write_text(demo.replace("return a + b\n", f"return {body}\n"))
        code, out, err = _cli(
            capsys,
            "deploy",
            "rolling",
            "--source",
            str(source),
            "--role",
            ROLE,
            "--endpoint",
            "live",
            "--json",
            "--poll-interval",
            "0.1",
        )
        assert code == 0, err
        assert "endpoint: live -> version" in err
        return dict(json.loads(out))

    def add(qualifier: str) -> str:
        code, out, err = _cli(
            capsys, "call", "add_numbers", "a=2", "b=3", "--target", arn, "--qualifier", qualifier
        )
        assert code == 0, err
        return out.strip()

    first = deploy_version("a + b")
    arn = first["agentRuntimeArn"]
    assert first["endpoint"] == {"name": "live", "version": "1"}
    assert add("live") == "5"
    second = deploy_version("a + b + 100")
    assert second["endpoint"] == {"name": "live", "version": "2"}
    assert (add("live"), add("DEFAULT")) == ("105", "105")

    code, out, err = _cli(
        capsys, "rollback", "rolling", "--endpoint", "live", "--json", "--poll-interval", "0.1"
    )
    assert code == 0, err
    assert json.loads(out) == {"endpoint": "live", "fromVersion": "2", "toVersion": "1", "status": "READY"}
    assert add("live") == "5"  # v1's code, from v1's zip
    assert add("DEFAULT") == "105"  # DEFAULT follows the latest version
    assert add("1") == "5"  # a version number is a qualifier too

    code, _, err = _cli(capsys, "rollback", "rolling", "--endpoint", "live")
    assert code == 2
    assert "serves version 1; there is no older version" in err
    code, _, err = _cli(capsys, "rollback", "rolling", "--endpoint", "DEFAULT")
    assert code == 2
    assert "DEFAULT always follows the latest version" in err
    code, _, err = _cli(capsys, "call", "add_numbers", "a=2", "b=3", "--target", arn, "--qualifier", "nope")
    assert code == 1
    assert "No endpoint or agent found with qualifier 'nope'" in err


WARM_SERVER = '''\
"""A server whose warm-up hook leaves a line in $WARM_LOG, and fails when $WARM_FAIL is set."""

import os

from agentcore_mcp import AgentCoreMCP, tool


@tool
def add_numbers(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


app = AgentCoreMCP("warm", tools=[add_numbers])


@app.warmup
def prepare() -> None:
    with open(os.environ["WARM_LOG"], "a") as log:
        log.write(f"{os.getpid()}\\n")
    if os.environ.get("WARM_FAIL"):
        raise RuntimeError("the index is missing")
'''


def test_a_v2_deploy_runs_the_warmup_hook_once_before_sessions_and_a_failing_hook_fails_it(
    emulator_url: tuple[Emulator, str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, url = emulator_url
    for name, value in {
        "AWS_ENDPOINT_URL_BEDROCK_AGENTCORE": url,
        "AWS_ENDPOINT_URL_BEDROCK_AGENTCORE_CONTROL": url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    source = tmp_path / "warm_server.py"
    source.write_text(WARM_SERVER)
    log = tmp_path / "warm.log"
    argv = ["deploy", "warm", "--source", str(source), "--role", ROLE, "--platform-version", "V2"]
    argv += ["--warmup-path", "/warmup", "--env", f"WARM_LOG={log}", "--poll-interval", "0.1", "--json"]

    code, out, err = _cli(capsys, *argv)
    assert code == 0, err
    deployed = json.loads(out)
    assert log.read_text().count("\n") == 1  # the hook ran before READY
    described = boto3.client(
        "bedrock-agentcore-control",
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    ).get_agent_runtime(agentRuntimeId=deployed["agentRuntimeId"])
    assert described["platformVersion"] == "V2"
    assert described["hooksConfiguration"] == {
        "build": {"warmup": {"action": {"httpPost": {"path": "/warmup"}}}}
    }
    for _ in range(2):  # two sessions, two processes: the hook is not called again
        assert _call(capsys, deployed["agentRuntimeArn"]) == "5"
    assert log.read_text().count("\n") == 1

    code, _, err = _cli(capsys, *argv, "--env", "WARM_FAIL=1")
    assert code == 1
    assert "UPDATE_FAILED: The warm-up hook POST /warmup answered HTTP 500" in err
    assert "the warm-up failed (RuntimeError)" in err
    assert log.read_text().count("\n") == 2  # once per version, no retry
