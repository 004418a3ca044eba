"""The OpenAI Agents SDK's MCP server on AgentCoreTransport through the emulator's ARNs (no model, no LLM).

openai-agents pins websockets < 17, which the dev environment does not: this runs in its own environment
(``make test-frameworks``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from agents.mcp import MCPServerStdio, MCPServerStdioParams, MCPServerStreamableHttp
from mcp.types import CallToolResult, TextContent

from agentcore_mcp.client import RetryPolicy
from agentcore_mcp.frameworks.openai_agents import AgentCoreMCPServer

from .conftest import TOOLS, Emulated, runtime_sessions

ROOT = Path(__file__).resolve().parents[2]
FAST = RetryPolicy(attempts=4, base_delay=0.01, max_delay=0.05)


def text(result: CallToolResult) -> str:
    return "".join(block.text for block in result.content if isinstance(block, TextContent))


async def use(server: MCPServerStreamableHttp) -> None:
    """List the tools and call each demo tool, connecting twice (as an app does per request it serves)."""
    async with server:
        assert {tool.name for tool in await server.list_tools()} == TOOLS
        assert text(await server.call_tool("add_numbers", {"a": 20, "b": 22})) == "42"
    async with server:
        assert text(await server.call_tool("multiply_numbers", {"a": 6, "b": 7})) == "42"
        assert text(await server.call_tool("greet_user", {"name": "Ada"})) == "Hello, Ada! Nice to meet you."
        failed = await server.call_tool("add_numbers", {"a": "not a number", "b": 1})
        assert failed.is_error


async def test_sigv4_runtime_by_arn(emulated: Emulated, caplog: pytest.LogCaptureFixture) -> None:
    server = AgentCoreMCPServer(
        emulated.sigv4,
        transport={
            "endpoint_url": emulated.endpoint_url,
            "boto3_session": emulated.boto3_session(),
            "retries": FAST,
        },
        cache_tools_list=True,
    )
    await use(server)
    assert runtime_sessions(caplog, "demo_sigv4") == {server.runtime_session.runtime_session_id}


async def test_jwt_runtime_by_arn(emulated: Emulated, caplog: pytest.LogCaptureFixture) -> None:
    server = AgentCoreMCPServer(
        emulated.jwt,
        transport={"endpoint_url": emulated.endpoint_url, "bearer_token": emulated.token, "retries": FAST},
    )
    await use(server)
    assert runtime_sessions(caplog, "demo_oauth") == {server.runtime_session.runtime_session_id}


async def test_boto3_a_given_session_id_and_stop(
    emulated: Emulated, caplog: pytest.LogCaptureFixture
) -> None:
    chosen = "openai-agents-" + "0" * 40
    server = AgentCoreMCPServer(
        emulated.sigv4,
        transport={"client": emulated.boto3_client(), "runtime_session_id": chosen, "retries": FAST},
        name="demo",
    )
    assert server.name == "demo"
    await use(server)
    assert runtime_sessions(caplog, "demo_sigv4") == {chosen}
    await server.runtime_session.stop()
    assert emulated.emulator.session(chosen) is None


def proxy_params(emulated: Emulated, env: dict[str, str]) -> MCPServerStdioParams:
    """``agentcore-mcp proxy ARN`` (the CLI's own entry point) as MCPServerStdio launches it."""
    command = [sys.executable, "-m", "agentcore_mcp.cli", "proxy", emulated.sigv4]
    args = [*command[1:], "--endpoint-url", emulated.endpoint_url]
    return {"command": command[0], "args": args, "env": {"PYTHONPATH": str(ROOT), **env}}


async def test_stdio_proxy_gets_the_aws_variables_through_env(
    emulated: Emulated, caplog: pytest.LogCaptureFixture
) -> None:
    keys = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    async with MCPServerStdio(proxy_params(emulated, keys), client_session_timeout_seconds=30) as server:
        assert {tool.name for tool in await server.list_tools()} == TOOLS
        assert text(await server.call_tool("add_numbers", {"a": 20, "b": 22})) == "42"
        assert text(await server.call_tool("multiply_numbers", {"a": 6, "b": 7})) == "42"
        assert text(await server.call_tool("greet_user", {"name": "Ada"})) == "Hello, Ada! Nice to meet you."
    assert len(runtime_sessions(caplog, "demo_sigv4")) == 1


async def test_stdio_proxy_without_the_aws_variables_fails_to_connect(
    emulated: Emulated, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Credentials in this process's environment do not reach the child: MCPServerStdio strips them.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    bare = {"HOME": str(tmp_path), "AWS_EC2_METADATA_DISABLED": "true"}  # no instance metadata lookup
    server = MCPServerStdio(proxy_params(emulated, bare), client_session_timeout_seconds=30)
    with pytest.raises(Exception):  # noqa: B017, PT011 - the SDK reports the closed pipe its own way
        async with server:
            pass
