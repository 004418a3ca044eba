"""The emulator's in-process API is exactly what docs/emulator.md's Reference table names, and ARNs are
well-formed."""

import re
from pathlib import Path

import agentcore_mcp.emulator

DOC = Path(__file__).resolve().parents[2] / "docs" / "emulator.md"


def _documented() -> set[str]:
    reference = DOC.read_text().split("## Reference", 1)[1]
    names: set[str] = set()
    for line in reference.splitlines():
        if line.startswith("| `"):
            names.update(re.findall(r"`([A-Za-z_]+)`", line.split("|")[1]))
    return names


def test_exported_members_are_the_documented_ones() -> None:
    assert set(agentcore_mcp.emulator.__all__) == _documented()
    for name in agentcore_mcp.emulator.__all__:
        assert getattr(agentcore_mcp.emulator, name) is not None


def test_runtime_arns_are_well_formed_and_round_trip_through_the_invocations_path() -> None:
    from urllib.parse import unquote

    arn = agentcore_mcp.emulator.runtime_arn("demo_mcp", region="eu-west-1", account_id="111122223333")
    prefix = "arn:aws:bedrock-agentcore:eu-west-1:111122223333:runtime/demo_mcp-"
    assert arn.startswith(prefix)
    assert len(arn) == len(prefix) + 10
    path = agentcore_mcp.emulator.invocations_path(arn)
    assert path.endswith("/invocations?qualifier=DEFAULT")
    assert ":" not in path.split("?")[0]
    assert unquote(path.split("/")[2]) == arn
