"""Gateway registration helpers: the target request's shape and the waits' outcomes."""

from __future__ import annotations

from typing import Any

import pytest

from agentcore_mcp._gateways import runtime_target_configuration, wait_for
from agentcore_mcp.errors import DeployError


def test_a_runtime_target_is_an_mcp_server_signed_by_the_gateways_role() -> None:
    configuration, credentials = runtime_target_configuration(
        "https://x/runtimes/a/invocations", listing_mode="DYNAMIC"
    )
    assert configuration == {
        "mcp": {"mcpServer": {"endpoint": "https://x/runtimes/a/invocations", "listingMode": "DYNAMIC"}}
    }
    assert credentials == [
        {
            "credentialProviderType": "GATEWAY_IAM_ROLE",
            "credentialProvider": {"iamCredentialProvider": {"service": "bedrock-agentcore"}},
        }
    ]
    assert runtime_target_configuration("http://127.0.0.1:1/mcp", outbound="none")[1] == []
    with pytest.raises(ValueError, match="outbound"):
        runtime_target_configuration("http://127.0.0.1:1/mcp", outbound="oauth")


def test_wait_for_reports_each_status_and_returns_the_ready_record() -> None:
    statuses = iter(["CREATING", "CREATING", "READY"])
    seen: list[str] = []
    record = wait_for(
        lambda: {"status": next(statuses)},
        "gateway g",
        poll_interval=0.001,
        on_status=lambda s, _: seen.append(s),
    )
    assert record == {"status": "READY"}
    assert seen == ["CREATING", "CREATING", "READY"]


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ({"status": "FAILED", "statusReasons": ["bad role"]}, "gateway g is FAILED: bad role"),
        ({"status": "SYNCHRONIZE_UNSUCCESSFUL"}, "is SYNCHRONIZE_UNSUCCESSFUL: no reason given"),
    ],
)
def test_wait_for_raises_on_a_failed_status(record: dict[str, Any], message: str) -> None:
    with pytest.raises(DeployError, match=message):
        wait_for(lambda: record, "gateway g", poll_interval=0.001)


def test_wait_for_gives_up_after_its_timeout() -> None:
    with pytest.raises(DeployError, match="still CREATING"):
        wait_for(lambda: {"status": "CREATING"}, "gateway g", timeout=0.01, poll_interval=0.005)
