"""Google ADK's McpToolset on AgentCoreTransport through the emulator's ARNs (no model, no LLM).

google-adk pins websockets < 16 and its own OpenTelemetry, which the dev environment does not: this runs in
its own environment (``make test-frameworks``). The tools run as an agent would run them: ``run_async``
with a ``ToolContext`` of an invocation.
"""

from __future__ import annotations

from typing import Any

import pytest
from google.adk.agents import LlmAgent
from google.adk.agents.invocation_context import InvocationContext
from google.adk.sessions import InMemorySessionService
from google.adk.tools.tool_context import ToolContext

from agentcore_mcp.client import RetryPolicy
from agentcore_mcp.frameworks.google_adk import AgentCoreToolset

from .conftest import TOOLS, Emulated, runtime_sessions

FAST = RetryPolicy(attempts=4, base_delay=0.01, max_delay=0.05)


async def tool_context() -> ToolContext:
    sessions = InMemorySessionService()
    session = await sessions.create_session(app_name="demo", user_id="ada")
    agent = LlmAgent(name="calculator", model="gemini-2.0-flash")  # never called
    invocation = InvocationContext(
        session_service=sessions, invocation_id="e-1", agent=agent, session=session
    )
    return ToolContext(invocation)


def text(result: Any) -> str:
    assert isinstance(result, dict), result
    return "".join(block["text"] for block in result["content"] if block["type"] == "text")


async def use(toolset: AgentCoreToolset) -> None:
    """List the tools and call each demo tool, closing the connections in between (as after a run)."""
    context = await tool_context()
    tools = {tool.name: tool for tool in await toolset.get_tools()}
    assert set(tools) == TOOLS
    assert text(await tools["add_numbers"].run_async(args={"a": 20, "b": 22}, tool_context=context)) == "42"
    await toolset.close()
    tools = {tool.name: tool for tool in await toolset.get_tools()}
    product = await tools["multiply_numbers"].run_async(args={"a": 6, "b": 7}, tool_context=context)
    assert text(product) == "42"
    greeted = await tools["greet_user"].run_async(args={"name": "Ada"}, tool_context=context)
    assert text(greeted) == "Hello, Ada! Nice to meet you."
    failed = await tools["add_numbers"].run_async(args={"a": "not a number", "b": 1}, tool_context=context)
    assert failed["isError"] is True
    await toolset.close()


async def test_sigv4_runtime_by_arn(emulated: Emulated, caplog: pytest.LogCaptureFixture) -> None:
    toolset = AgentCoreToolset(
        emulated.sigv4,
        transport={
            "endpoint_url": emulated.endpoint_url,
            "boto3_session": emulated.boto3_session(),
            "retries": FAST,
        },
        tool_list_cache_ttl_seconds=60,
    )
    await use(toolset)
    assert runtime_sessions(caplog, "demo_sigv4") == {toolset.runtime_session.runtime_session_id}


async def test_jwt_runtime_by_arn(emulated: Emulated, caplog: pytest.LogCaptureFixture) -> None:
    toolset = AgentCoreToolset(
        emulated.jwt,
        transport={"endpoint_url": emulated.endpoint_url, "bearer_token": emulated.token, "retries": FAST},
    )
    await use(toolset)
    assert runtime_sessions(caplog, "demo_oauth") == {toolset.runtime_session.runtime_session_id}


async def test_boto3_a_given_session_id_a_filter_and_stop(
    emulated: Emulated, caplog: pytest.LogCaptureFixture
) -> None:
    chosen = "google-adk-" + "0" * 40
    toolset = AgentCoreToolset(
        emulated.sigv4,
        transport={"client": emulated.boto3_client(), "runtime_session_id": chosen, "retries": FAST},
        tool_filter=["greet_user"],
    )
    assert [tool.name for tool in await toolset.get_tools()] == ["greet_user"]
    await toolset.close()
    assert runtime_sessions(caplog, "demo_sigv4") == {chosen}
    await toolset.runtime_session.stop()
    assert emulated.emulator.session(chosen) is None
