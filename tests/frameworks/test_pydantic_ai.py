"""pydantic-ai's MCPToolset on AgentCoreClientTransport through the emulator's ARNs (TestModel: no LLM)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic_ai import Agent
from pydantic_ai.mcp import MCPToolset
from pydantic_ai.messages import ToolReturnPart
from pydantic_ai.models.test import TestModel

from agentcore_mcp.client import AgentCoreTransport, RetryPolicy
from agentcore_mcp.frameworks.fastmcp import AgentCoreClientTransport
from agentcore_mcp.frameworks.pydantic_ai import agentcore_toolset

from .conftest import TOOLS, Emulated, runtime_sessions

FAST = RetryPolicy(attempts=4, base_delay=0.01, max_delay=0.05)


async def use(toolset: MCPToolset[Any]) -> None:
    """The toolset's own methods, then two agent runs whose TestModel calls every tool (no LLM)."""
    async with toolset:
        assert {tool.name for tool in await toolset.list_tools()} == TOOLS
        assert await toolset.direct_call_tool("add_numbers", {"a": 20, "b": 22}) == 42
        assert await toolset.direct_call_tool("multiply_numbers", {"a": 6, "b": 7}) == 42
        assert (
            await toolset.direct_call_tool("greet_user", {"name": "Ada"}) == "Hello, Ada! Nice to meet you."
        )
    agent = Agent(TestModel(), toolsets=[toolset])
    for _ in range(2):  # each run enters the toolset again: a new connection on the same runtime session
        result = await agent.run("use every tool")
        returns = [
            part
            for message in result.all_messages()
            for part in message.parts
            if isinstance(part, ToolReturnPart)
        ]
        assert {part.tool_name for part in returns} == TOOLS
        greeting = next(part.content for part in returns if part.tool_name == "greet_user")
        assert isinstance(greeting, str)
        assert greeting.startswith("Hello, ")


async def test_sigv4_runtime_by_arn(emulated: Emulated, caplog: pytest.LogCaptureFixture) -> None:
    toolset = agentcore_toolset(
        emulated.sigv4,
        transport={
            "endpoint_url": emulated.endpoint_url,
            "boto3_session": emulated.boto3_session(),
            "retries": FAST,
        },
        id="demo",
    )
    await use(toolset)
    transport = toolset.client.transport
    assert isinstance(transport, AgentCoreClientTransport)
    assert runtime_sessions(caplog, "demo_sigv4") == {transport.get_session_id()}


async def test_jwt_runtime_by_arn(emulated: Emulated, caplog: pytest.LogCaptureFixture) -> None:
    transport = AgentCoreClientTransport(
        emulated.jwt, endpoint_url=emulated.endpoint_url, bearer_token=emulated.token, retries=FAST
    )
    await use(MCPToolset(transport))
    assert runtime_sessions(caplog, "demo_oauth") == {transport.get_session_id()}


def test_the_bare_transport_is_refused_and_the_adapter_is_not(emulated: Emulated) -> None:
    bare = AgentCoreTransport(emulated.sigv4, client=emulated.boto3_client())
    with pytest.raises(ValueError, match="Could not infer a valid transport"):
        MCPToolset(bare)  # type: ignore[arg-type]
    assert isinstance(agentcore_toolset(bare).client.transport, AgentCoreClientTransport)
