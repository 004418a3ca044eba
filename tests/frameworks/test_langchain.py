"""LangChain's MCP tools (langchain-mcp-adapters) through the emulator's ARNs (no model, no LLM).

langchain-mcp-adapters needs mcp < 2: this runs in its own environment (``make test-frameworks``).
"""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import ToolMessage
from langchain_core.tools import BaseTool
from langchain_mcp_adapters.client import MultiServerMCPClient
from mcp.types import Implementation

from agentcore_mcp.client import AgentCoreTransport, RetryPolicy
from agentcore_mcp.frameworks.langchain import agentcore_tools

from .conftest import TOOLS, Emulated, runtime_sessions

FAST = RetryPolicy(attempts=4, base_delay=0.01, max_delay=0.05)


def text(output: Any) -> str:
    """A tool's output (LangChain content blocks) as its text."""
    return "".join(block["text"] for block in output if block.get("type") == "text")


async def use(tools: list[BaseTool]) -> None:
    """Call each demo tool through LangChain's tool objects, as an agent's tool node does."""
    by_name = {tool.name: tool for tool in tools}
    assert set(by_name) == TOOLS
    assert text(await by_name["add_numbers"].ainvoke({"a": 20, "b": 22})) == "42"
    assert text(await by_name["multiply_numbers"].ainvoke({"a": 6, "b": 7})) == "42"
    greeted = await by_name["greet_user"].ainvoke({"name": "Ada"})
    assert text(greeted) == "Hello, Ada! Nice to meet you."


async def test_sigv4_runtime_by_arn(emulated: Emulated, caplog: pytest.LogCaptureFixture) -> None:
    options = {
        "endpoint_url": emulated.endpoint_url,
        "boto3_session": emulated.boto3_session(),
        "retries": FAST,
    }
    async with agentcore_tools(emulated.sigv4, transport=options) as tools:
        await use(tools)
    assert len(runtime_sessions(caplog, "demo_sigv4")) == 1


async def test_jwt_runtime_by_arn(emulated: Emulated, caplog: pytest.LogCaptureFixture) -> None:
    transport = AgentCoreTransport(
        emulated.jwt, endpoint_url=emulated.endpoint_url, bearer_token=emulated.token, retries=FAST
    )
    async with agentcore_tools(transport) as tools:
        await use(tools)
    async with agentcore_tools(transport, tool_name_prefix=True, server_name="demo") as tools:
        assert {tool.name for tool in tools} == {f"demo_{name}" for name in TOOLS}
    assert runtime_sessions(caplog, "demo_oauth") == {transport.session.runtime_session_id}
    await transport.stop()
    assert emulated.emulator.session(transport.session.runtime_session_id) is None


async def test_a_tool_error_is_the_models_to_read_and_session_kwargs(emulated: Emulated) -> None:
    me = Implementation(name="langchain-tools-test", version="1.0")
    async with agentcore_tools(
        emulated.sigv4, transport={"client": emulated.boto3_client()}, session_kwargs={"client_info": me}
    ) as tools:
        add = next(tool for tool in tools if tool.name == "add_numbers")
        call = {"name": "add_numbers", "args": {"a": "not a number", "b": 1}, "id": "1", "type": "tool_call"}
        failed = await add.ainvoke(call)
    assert isinstance(failed, ToolMessage)
    assert failed.status == "error"
    hellos = [seen.json() for seen in emulated.front.seen if b'"initialize"' in seen.body]
    assert any(hello["params"]["clientInfo"]["name"] == me.name for hello in hellos)
    with pytest.raises(TypeError, match="ready AgentCoreTransport"):
        async with agentcore_tools(AgentCoreTransport(emulated.sigv4), transport={"retries": 0}):
            pass


async def test_plain_multiserver_client_opens_a_runtime_session_per_call(
    emulated: Emulated, caplog: pytest.LogCaptureFixture
) -> None:
    # The configuration LangChain documents, to the JWT runtime's invocations URL with its bearer token:
    # get_tools() lists on one session, and each tool call opens another (another cold microVM).
    client = MultiServerMCPClient(
        {
            "demo": {
                "transport": "streamable_http",
                "url": emulated.url(emulated.jwt),
                "headers": {"Authorization": f"Bearer {emulated.token()}"},
            }
        }
    )
    await use(await client.get_tools())
    assert len(runtime_sessions(caplog, "demo_oauth")) == 4
