"""``agentcore-mcp gateway``: the name check on an app spec, and registration against the emulator."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from agentcore_mcp.cli import main
from agentcore_mcp.emulator import Emulator
from examples.demo_server import app as demo_app

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


@pytest.fixture
def local(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Emulator, str]]:
    """The emulator (both planes on one URL) with the tutorial's server as a SigV4 runtime."""
    for name, value in (
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_REGION", "us-east-1"),
        ("AWS_DEFAULT_REGION", "us-east-1"),
    ):
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL_BEDROCK_AGENTCORE"):
        monkeypatch.delenv(name, raising=False)
    emulator = Emulator(credentials={"testing": "testing"}, health_probe=None)
    with emulator.serve() as url:
        emulator.add_runtime(demo_app, name="tutorial", auth="sigv4")
        yield emulator, url


def test_the_gateway_group_registers_a_runtime_and_the_cli_calls_it_through_the_gateway(
    local: tuple[Emulator, str], capsys: pytest.CaptureFixture[str]
) -> None:
    emulator, url = local
    (runtime,) = emulator.runtimes
    aws = ["--endpoint-url", url, "--poll-interval", "0.05"]
    assert main(["gateway", "create", "tools", "--role", "arn:aws:iam::123456789012:role/gw", *aws]) == 0
    out, err = capsys.readouterr()
    assert "inbound AWS_IAM" in err
    assert "READY" in err
    gateway_url = out.split("gateway URL:", 1)[1].split()[0]
    assert gateway_url.startswith(f"{url}/gateways/")
    assert gateway_url.endswith("/mcp")

    assert main(["gateway", "add-target", "tools", "calc", "--runtime", runtime.arn, *aws]) == 0
    out, err = capsys.readouterr()
    assert "outbound the gateway's IAM role (SigV4)" in err
    assert "READY" in err
    assert "tools are listed as calc___<tool>" in out

    assert main(["tools", "--target", gateway_url]) == 0
    listed = capsys.readouterr().out
    assert "calc___add_numbers(a: integer, b: integer)" in listed
    assert main(["call", "calc___add_numbers", "a=40", "b=2", "--target", gateway_url]) == 0
    assert capsys.readouterr().out.strip() == "42"

    assert main(["gateway", "sync", "tools", *aws]) == 0
    out, err = capsys.readouterr()
    assert out.startswith("calc  READY  synchronized ")
    assert main(["gateway", "list", *aws]) == 0
    assert f"tools  READY  AWS_IAM  {gateway_url}" in capsys.readouterr().out
    assert main(["gateway", "list", "tools", *aws]) == 0
    assert capsys.readouterr().out.startswith("calc  READY  ")

    assert main(["gateway", "remove-target", "tools", "calc", *aws]) == 0
    assert capsys.readouterr().out.startswith("removed target calc (")
    assert main(["tools", "--target", gateway_url]) == 0
    assert "calc___" not in capsys.readouterr().out


def test_the_gateway_arn_works_as_a_target_too(
    local: tuple[Emulator, str], capsys: pytest.CaptureFixture[str]
) -> None:
    emulator, url = local
    (runtime,) = emulator.runtimes
    aws = ["--endpoint-url", url, "--poll-interval", "0.05", "--json"]
    assert main(["gateway", "create", "tools", "--role", "arn:aws:iam::123456789012:role/gw", *aws]) == 0
    gateway = json.loads(capsys.readouterr().out)
    assert main(["gateway", "add-target", "tools", "calc", "--runtime", runtime.arn, *aws]) == 0
    capsys.readouterr()
    target = ["--target", gateway["gatewayArn"], "--endpoint-url", url]
    assert main(["call", "calc___greet_user", "name=Ada", *target]) == 0
    assert capsys.readouterr().out.strip() == "Hello, Ada! Nice to meet you."


def test_add_target_refuses_a_target_name_that_pushes_a_tool_past_64_characters(
    local: tuple[Emulator, str], capsys: pytest.CaptureFixture[str]
) -> None:
    emulator, url = local
    (runtime,) = emulator.runtimes
    aws = ["--endpoint-url", url, "--poll-interval", "0.05"]
    assert main(["gateway", "create", "tools", "--role", "arn:aws:iam::123456789012:role/gw", *aws]) == 0
    long_name = "n" * 50
    assert main(["gateway", "add-target", "tools", long_name, "--runtime", runtime.arn, *aws]) == 1
    err = capsys.readouterr().err
    assert f"multiply_numbers: '{long_name}___multiply_numbers' is 69 characters, 5 over" in err
    assert "3 of 3 tool names would break" not in err  # add_numbers and greet_user fit (64 and 63)


def test_add_target_with_an_oauth_provider_reaches_a_jwt_runtime(
    local: tuple[Emulator, str], capsys: pytest.CaptureFixture[str]
) -> None:
    emulator, url = local
    jwt = emulator.add_runtime(demo_app, name="tutorial_jwt", auth="jwt", allowed_clients=["tutorial-m2m"])
    provider = "arn:aws:bedrock-agentcore:us-east-1:123456789012:token-vault/default/oauth2credentialprovider/tutorial-m2m"
    aws = ["--endpoint-url", url, "--poll-interval", "0.05"]
    assert main(["gateway", "create", "tools", "--role", "arn:aws:iam::123456789012:role/gw", *aws]) == 0
    gateway_url = capsys.readouterr().out.split("gateway URL:", 1)[1].split()[0]
    add = ["gateway", "add-target", "tools", "calc", "--runtime", jwt.arn, *aws]
    assert main([*add, "--scope", "calc/invoke"]) == 2  # a scope without a provider is a usage error
    capsys.readouterr()
    assert main([*add, "--oauth-provider", provider, "--scope", "calc/invoke"]) == 0
    err = capsys.readouterr().err
    assert "name check: skipped (OAuth outbound" in err
    assert f"outbound OAuth (client credentials from {provider})" in err
    assert main(["call", "calc___add_numbers", "a=40", "b=2", "--target", gateway_url]) == 0
    assert capsys.readouterr().out.strip() == "42"
