"""examples/strands_agent.py: a Strands agent lists and calls the demo tools on a runtime behind the local
emulator, over boto3 (SigV4) and with a bearer token, with no model.

Strands supports mcp 1.x only, so this runs in the mcp 1.x environment (``make test-mcp1``); ``conftest.py``
leaves it uncollected where Strands is not installed.
"""

from __future__ import annotations

import pytest

from agentcore_mcp.emulator import Emulator
from examples import strands_agent
from examples.demo_server import app

pytestmark = pytest.mark.mcp1

EXPECTED = [
    "tools: add_numbers, greet_user, multiply_numbers",
    "add_numbers(2, 3) = 5",
    "greet_user('Ada') = Hello, Ada! Nice to meet you.",
    "agent.tool.multiply_numbers(6, 7) = 42",
]


def test_the_example_runs_against_the_local_emulator_over_boto3(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    assert strands_agent.main([]) == 0
    assert capsys.readouterr().out.splitlines() == EXPECTED


def test_the_example_calls_an_oauth_runtime_with_a_bearer_token(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    emulator = Emulator(control_plane=False, region=strands_agent.REGION)
    runtime = emulator.add_runtime(app, name="strands_oauth", auth="jwt", allowed_clients=["strands-example"])
    with emulator.serve():
        url = str(emulator.invocations_url(runtime))
        token = str(emulator.mint_token(client_id="strands-example"))
        assert strands_agent.main([url, "--bearer-token", token]) == 0
    assert capsys.readouterr().out.splitlines() == EXPECTED


def test_a_failed_tool_call_raises() -> None:
    with pytest.raises(RuntimeError, match="tool call failed"):
        strands_agent.text({"status": "error", "content": [{"text": "boom"}]})
