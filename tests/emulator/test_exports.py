"""The emulator's in-process API is exactly what ``agentcore_mcp.emulator.__all__`` lists."""

import agentcore_mcp.emulator


def test_exported_members() -> None:
    assert set(agentcore_mcp.emulator.__all__) == {
        "DEFAULT_ACCOUNT_ID",
        "DEFAULT_REGION",
        "LOCAL_CREDENTIALS",
        "Credentials",
        "Emulator",
        "Faults",
        "HealthProbe",
        "JWTAuthorizer",
        "LocalIssuer",
        "RequestLimits",
        "Runtime",
        "Session",
        "invocations_path",
        "runtime_arn",
    }
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
