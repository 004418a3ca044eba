"""Servers asking the client for input mid-call reach the SDK client through AgentCoreTransport, both eras,
directly and through InvokeAgentRuntime (the handshake-era answer is a second invocation on the same session)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import anyio
import boto3
import pytest
from mcp import types
from mcp.client import Client, ClientRequestContext

from agentcore_mcp import AgentCoreMCP, AgentCoreTransport, Context, StateSealing, tool
from agentcore_mcp.emulator import Emulator
from agentcore_mcp.server._local import serve_in_thread


@tool
async def ask_name(ctx: Context) -> str:
    answer = await ctx.elicit("Name?", {"type": "object", "properties": {"name": {"type": "string"}}})
    return f"hi {(answer.content or {}).get('name')}"


async def on_elicit(context: ClientRequestContext, params: types.ElicitRequestParams) -> types.ElicitResult:
    return types.ElicitResult(action="accept", content={"name": "Zed"})


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    app = AgentCoreMCP("asker", tools=[ask_name], sealing=StateSealing(keys=("k" * 32,)))
    with serve_in_thread(app) as base:
        yield f"{base}/mcp"


async def _ask(transport: Any, mode: str) -> str:
    with anyio.fail_after(30):
        async with Client(transport, mode=mode, elicitation_callback=on_elicit) as client:  # type: ignore[arg-type]
            result = await client.call_tool("ask_name", {})
            return result.content[0].text  # type: ignore[no-any-return, union-attr]


@pytest.mark.parametrize("mode", ["legacy", "2026-07-28"])
async def test_direct(server_url: str, mode: str) -> None:
    assert await _ask(AgentCoreTransport(server_url), mode) == "hi Zed"


@pytest.mark.parametrize("mode", ["legacy", "2026-07-28"])
def test_through_invoke_agent_runtime_with_boto3(server_url: str, mode: str) -> None:
    emulator = Emulator()
    runtime = emulator.add_runtime(server_url, auth="sigv4")
    with emulator.serve() as endpoint:
        client = boto3.client(
            "bedrock-agentcore",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        assert anyio.run(_ask, AgentCoreTransport(runtime.arn, client=client), mode) == "hi Zed"
