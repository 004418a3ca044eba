"""AgentCore Identity's workload token reaches bedrock-agentcore's context inside tools; ids reach log records."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from bedrock_agentcore.runtime.context import BedrockAgentCoreContext

from agentcore_mcp import AgentCoreMCP, tool
from agentcore_mcp.server._identity import RequestContextFilter
from agentcore_mcp.server._local import serve_in_thread

from .helpers import legacy_request, post


@tool
def sync_token() -> dict[str, str | None]:
    return {
        "token": BedrockAgentCoreContext.get_workload_access_token(),
        "callback": BedrockAgentCoreContext.get_oauth2_callback_url(),
    }


@tool
async def async_token() -> dict[str, str | None]:
    logging.getLogger("agentcore_mcp.test").warning("inside the tool")
    return {
        "token": BedrockAgentCoreContext.get_workload_access_token(),
        "callback": BedrockAgentCoreContext.get_oauth2_callback_url(),
    }


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with serve_in_thread(AgentCoreMCP("id", tools=[sync_token, async_token])) as base:
        yield f"{base}/mcp"


def _call(url: str, name: str, headers: dict[str, str]) -> dict[str, str | None]:
    response = post(url, legacy_request("tools/call", {"name": name, "arguments": {}}), headers=headers)
    return response.json()["result"]["structuredContent"]  # type: ignore[no-any-return]


@pytest.mark.parametrize("name", ["sync_token", "async_token"])
def test_the_workload_token_and_callback_url_reach_bedrock_agentcore(url: str, name: str) -> None:
    got = _call(
        url,
        name,
        {
            "WorkloadAccessToken": "wat-old",
            "X-Amz-Bedrock-AgentCore-Identity-WAT": "wat-new",
            "OAuth2CallbackUrl": "https://example.com/callback",
        },
    )
    assert got == {"token": "wat-new", "callback": "https://example.com/callback"}
    assert _call(url, name, {"WorkloadAccessToken": "only-old"})["token"] == "only-old"


def test_tokens_do_not_leak_between_requests(url: str) -> None:
    assert _call(url, "async_token", {"WorkloadAccessToken": "first"})["token"] == "first"
    assert _call(url, "async_token", {})["token"] is None


def test_log_records_carry_the_request_ids(url: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.handler.addFilter(RequestContextFilter())
    with caplog.at_level(logging.WARNING, logger="agentcore_mcp.test"):
        post(
            url,
            legacy_request("tools/call", {"name": "async_token", "arguments": {}}, id=42),
            headers={"Mcp-Session-Id": "sess-1", "WorkloadAccessToken": "secret-token-value"},
        )
    record = next(r for r in caplog.records if r.getMessage() == "inside the tool")
    assert (record.mcp_session_id, record.mcp_request_id, record.mcp_method) == ("sess-1", "42", "tools/call")  # type: ignore[attr-defined]
    assert "secret-token-value" not in caplog.text
