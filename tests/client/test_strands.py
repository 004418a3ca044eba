"""Strands Agents' MCPClient on AgentCoreTransport through the emulator (no model, no LLM: tools only).

Strands supports mcp 1.x, so this runs in the mcp 1.x environment (``make test-mcp1``).
"""

from __future__ import annotations

import pytest
from strands.tools.mcp import MCPClient

from agentcore_mcp.client import AgentCoreTransport, RetryPolicy

from .conftest import Emulated

pytestmark = pytest.mark.mcp1

FAST = RetryPolicy(attempts=4, base_delay=0.01, max_delay=0.05)


def check(client: MCPClient) -> None:
    tools = client.list_tools_sync()
    assert {t.tool_name for t in tools} == {"add_numbers", "multiply_numbers", "greet_user"}
    result = client.call_tool_sync("call-1", "add_numbers", {"a": 20, "b": 22})
    assert result["status"] == "success"
    assert result["content"] == [{"text": "42"}]
    greeting = client.call_tool_sync("call-2", "greet_user", {"name": "Ada"})
    assert greeting["content"] == [{"text": "Hello, Ada! Nice to meet you."}]


def test_strands_over_boto3(emulated: Emulated) -> None:
    client = emulated.boto3_client()
    with MCPClient(
        lambda: AgentCoreTransport(emulated.sigv4, client=client, retries=FAST), startup_timeout=30
    ) as mcp:
        check(mcp)


def test_strands_over_https_with_sigv4(emulated: Emulated) -> None:
    session = emulated.boto3_session()
    factory = lambda: AgentCoreTransport(  # noqa: E731
        emulated.sigv4,
        backend="httpx",
        endpoint_url=emulated.endpoint_url,
        boto3_session=session,
        retries=FAST,
    )
    with MCPClient(factory, startup_timeout=30) as mcp:
        check(mcp)


def test_strands_over_https_with_a_bearer_token_provider(emulated: Emulated) -> None:
    calls: list[int] = []

    def token() -> str:
        calls.append(1)
        return emulated.token()

    url = emulated.url(emulated.jwt)
    with MCPClient(
        lambda: AgentCoreTransport(url, bearer_token=token, retries=FAST), startup_timeout=30
    ) as mcp:
        check(mcp)
    assert calls == [1]


def test_a_tool_error_comes_back_as_an_error_result(emulated: Emulated) -> None:
    client = emulated.boto3_client()
    with MCPClient(
        lambda: AgentCoreTransport(emulated.sigv4, client=client, retries=FAST), startup_timeout=30
    ) as mcp:
        result = mcp.call_tool_sync("call-3", "add_numbers", {"a": "not a number", "b": 1})
    assert result["status"] == "error"
