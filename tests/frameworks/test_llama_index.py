"""LlamaIndex's MCP tools (llama-index-tools-mcp) on AgentCoreMCPClient through the emulator's ARNs (no LLM).

llama-index-tools-mcp 0.4 needs mcp < 2: this runs in its own environment (``make test-frameworks``).
"""

from __future__ import annotations

import asyncio

import pytest
from llama_index.core.tools import FunctionTool, ToolOutput
from llama_index.tools.mcp import BasicMCPClient, McpToolSpec
from mcp.types import CallToolResult, TextContent

from agentcore_mcp._session import RuntimeSession
from agentcore_mcp.client import RetryPolicy
from agentcore_mcp.frameworks.llama_index import AgentCoreMCPClient

from .conftest import TOOLS, Emulated, runtime_sessions

FAST = RetryPolicy(attempts=4, base_delay=0.01, max_delay=0.05)


def text(output: ToolOutput) -> str:
    result = output.raw_output
    assert isinstance(result, CallToolResult)
    return "".join(block.text for block in result.content if isinstance(block, TextContent))


async def use(client: BasicMCPClient) -> None:
    """List the tools and call each demo tool through LlamaIndex's tool objects, as an agent does."""
    tools: list[FunctionTool] = await McpToolSpec(client=client).to_tool_list_async()
    by_name = {tool.metadata.name: tool for tool in tools}
    assert set(by_name) == TOOLS
    assert text(await by_name["add_numbers"].acall(a=20, b=22)) == "42"
    assert text(await by_name["multiply_numbers"].acall(a=6, b=7)) == "42"
    assert text(await by_name["greet_user"].acall(name="Ada")) == "Hello, Ada! Nice to meet you."


async def test_sigv4_runtime_by_arn(emulated: Emulated, caplog: pytest.LogCaptureFixture) -> None:
    client = AgentCoreMCPClient(
        emulated.sigv4,
        endpoint_url=emulated.endpoint_url,
        boto3_session=emulated.boto3_session(),
        retries=FAST,
    )
    await use(client)
    assert runtime_sessions(caplog, "demo_sigv4") == {client.runtime_session.runtime_session_id}


async def test_jwt_runtime_by_arn(emulated: Emulated, caplog: pytest.LogCaptureFixture) -> None:
    client = AgentCoreMCPClient(
        emulated.jwt, endpoint_url=emulated.endpoint_url, bearer_token=emulated.token, retries=FAST
    )
    await use(client)
    assert runtime_sessions(caplog, "demo_oauth") == {client.runtime_session.runtime_session_id}


async def test_concurrent_calls_a_given_session_and_stop(
    emulated: Emulated, caplog: pytest.LogCaptureFixture
) -> None:
    chosen = RuntimeSession("llama-index-" + "0" * 40)
    client = AgentCoreMCPClient(emulated.sigv4, client=emulated.boto3_client(), session=chosen, retries=FAST)
    sums = await asyncio.gather(*(client.call_tool("add_numbers", {"a": n, "b": 1}) for n in range(4)))
    assert [block.text for result in sums for block in result.content if isinstance(block, TextContent)] == [
        "1",
        "2",
        "3",
        "4",
    ]
    failed = await client.call_tool("add_numbers", {"a": "not a number", "b": 1})
    assert failed.model_dump(by_alias=True)["isError"]  # the wire name on either mcp major
    assert runtime_sessions(caplog, "demo_sigv4") == {chosen.runtime_session_id}
    await client.runtime_session.stop()
    assert emulated.emulator.session(chosen.runtime_session_id) is None


async def test_plain_basic_client_opens_a_runtime_session_per_call(
    emulated: Emulated, caplog: pytest.LogCaptureFixture
) -> None:
    # BasicMCPClient to the JWT runtime's invocations URL: every call is a new connection, so a new
    # runtime session (a cold microVM) for the listing and for each of the three calls.
    headers = {"Authorization": f"Bearer {emulated.token()}"}
    await use(BasicMCPClient(emulated.url(emulated.jwt), headers=headers))
    assert len(runtime_sessions(caplog, "demo_oauth")) == 4
