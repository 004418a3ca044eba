"""examples/sdk_server.py: our tools on the official SDK's MCPServer, served for AgentCore and called with
the CLI, directly and through the emulator with boto3."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from agentcore_mcp._loader import load_app
from agentcore_mcp.cli import main
from agentcore_mcp.emulator import Emulator
from agentcore_mcp.server._local import serve_in_thread

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "sdk_server.py"

pytestmark = pytest.mark.mcp2


@pytest.fixture(scope="module")
def sdk_url() -> Iterator[str]:
    with serve_in_thread(load_app(str(EXAMPLE))) as base:
        yield f"{base}/mcp"


def test_the_sdk_server_lists_and_calls_our_tools(sdk_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tools", "--target", sdk_url]) == 0
    listed = capsys.readouterr().out
    for name in ("add_numbers", "multiply_numbers", "greet_user"):
        assert name in listed
    assert main(["call", "multiply_numbers", "a=6", "b=7", "--target", sdk_url]) == 0
    assert capsys.readouterr().out == "42\n"


def test_the_sdk_server_answers_through_the_emulator_with_the_platforms_session_id(
    sdk_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    emulator = Emulator(control_plane=False, credentials={"testing": "testing"})
    runtime = emulator.add_runtime(sdk_url, name="sdk_mcp", auth="sigv4")
    with emulator.serve() as url:
        code = main(["call", "greet_user", "name=Ada", "--target", runtime.arn, "--endpoint-url", url])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert captured.out == "Hello, Ada! Nice to meet you.\n"
