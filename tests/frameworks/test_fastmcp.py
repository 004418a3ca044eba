"""fastmcp's Client on AgentCoreClientTransport through the emulator's ARNs: one runtime session per run."""

from __future__ import annotations

import pytest
from fastmcp import Client
from fastmcp.client.client import CallToolResult
from fastmcp.exceptions import ToolError
from mcp.types import TextContent

from agentcore_mcp.client import AgentCoreTransport, RetryPolicy
from agentcore_mcp.frameworks.fastmcp import AgentCoreClientTransport

from .conftest import TOOLS, Emulated, runtime_sessions

FAST = RetryPolicy(attempts=4, base_delay=0.01, max_delay=0.05)


def text(result: CallToolResult) -> str:
    return "".join(block.text for block in result.content if isinstance(block, TextContent))


async def use(client: Client) -> None:
    """List the tools and call each demo tool, entering the client twice (as a framework does per run)."""
    async with client:
        assert {tool.name for tool in await client.list_tools()} == TOOLS
        assert text(await client.call_tool("add_numbers", {"a": 20, "b": 22})) == "42"
    async with client:
        assert text(await client.call_tool("multiply_numbers", {"a": 6, "b": 7})) == "42"
        assert text(await client.call_tool("greet_user", {"name": "Ada"})) == "Hello, Ada! Nice to meet you."


async def test_sigv4_runtime_by_arn(emulated: Emulated, caplog: pytest.LogCaptureFixture) -> None:
    transport = AgentCoreClientTransport(
        emulated.sigv4,
        endpoint_url=emulated.endpoint_url,
        boto3_session=emulated.boto3_session(),
        retries=FAST,
    )
    await use(Client(transport))
    assert runtime_sessions(caplog, "demo_sigv4") == {transport.get_session_id()}


async def test_jwt_runtime_by_arn(emulated: Emulated, caplog: pytest.LogCaptureFixture) -> None:
    transport = AgentCoreClientTransport(
        emulated.jwt, endpoint_url=emulated.endpoint_url, bearer_token=emulated.token, retries=FAST
    )
    await use(Client(transport))
    assert runtime_sessions(caplog, "demo_oauth") == {transport.get_session_id()}


async def test_a_ready_transport_and_stop(emulated: Emulated, caplog: pytest.LogCaptureFixture) -> None:
    ready = AgentCoreTransport(emulated.sigv4, client=emulated.boto3_client(), retries=FAST)
    transport = AgentCoreClientTransport(ready)
    async with Client(transport) as client:
        with pytest.raises(ToolError):
            await client.call_tool("add_numbers", {"a": "not a number", "b": 1})
    first = transport.get_session_id()
    await transport.stop()
    assert emulated.emulator.session(first) is None
    with pytest.raises(TypeError, match="ready AgentCoreTransport"):
        AgentCoreClientTransport(ready, bearer_token="x")
