"""mcp 2.x's own clients on AgentCoreTransport, through the emulator: every Client mode, ClientSession.

The 2026-07-28 era's routing headers travel as InvokeAgentRuntime parameters on the boto3 backend and as
headers on HTTPS; the server behind the platform must receive them, or the client degrades to legacy.
"""

from __future__ import annotations

from typing import Any

import anyio
import pytest
from mcp.client import Client, ClientSession
from mcp.shared.exceptions import MCPError

from agentcore_mcp.client import AgentCoreTransport, RetryPolicy

from .conftest import Emulated
from .fakes import Action, sse

FAST = RetryPolicy(attempts=4, base_delay=0.01, max_delay=0.05)
DEMO_TOOLS = {"add_numbers", "multiply_numbers", "greet_user"}
CALLS: list[tuple[str, dict[str, Any], str]] = [
    ("add_numbers", {"a": 2, "b": 3}, "5"),
    ("multiply_numbers", {"a": 4, "b": -5}, "-20"),
    ("greet_user", {"name": "Ada"}, "Hello, Ada! Nice to meet you."),
]
MODES = ["auto", "legacy", "2026-07-28"]


def text(result: Any) -> str:
    return "".join(block.text for block in result.content if block.type == "text")


def transports(emulated: Emulated) -> dict[str, AgentCoreTransport]:
    return {
        "boto3": AgentCoreTransport(emulated.sigv4, client=emulated.boto3_client(), retries=FAST),
        "http-sigv4": AgentCoreTransport(
            emulated.sigv4,
            backend="http",
            endpoint_url=emulated.endpoint_url,
            boto3_session=emulated.boto3_session(),
            retries=FAST,
        ),
        "httpx-sigv4": AgentCoreTransport(
            emulated.sigv4,
            backend="httpx",
            endpoint_url=emulated.endpoint_url,
            boto3_session=emulated.boto3_session(),
            retries=FAST,
        ),
        "http-bearer": AgentCoreTransport(
            emulated.url(emulated.jwt), bearer_token=emulated.token(), retries=FAST
        ),
        "httpx-bearer": AgentCoreTransport(
            emulated.url(emulated.jwt), bearer_token=emulated.token(), backend="httpx", retries=FAST
        ),
    }


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("kind", ["boto3", "http-sigv4", "httpx-sigv4", "http-bearer", "httpx-bearer"])
async def test_client_lists_and_calls_every_demo_tool(emulated: Emulated, kind: str, mode: str) -> None:
    transport = transports(emulated)[kind]
    with anyio.fail_after(30):
        async with Client(transport, mode=mode) as client:
            assert client.session.protocol_version == ("2025-11-25" if mode == "legacy" else "2026-07-28")
            listed = await client.list_tools()
            assert {t.name for t in listed.tools} == DEMO_TOOLS
            for name, args, expected in CALLS:
                result = await client.call_tool(name, args)
                assert not result.is_error
                assert text(result) == expected


@pytest.mark.parametrize("kind", ["boto3", "http-bearer", "httpx-bearer"])
async def test_modern_routing_headers_reach_the_server(emulated: Emulated, kind: str) -> None:
    before = len(emulated.front.seen)
    transport = transports(emulated)[kind]
    async with Client(transport, mode="2026-07-28") as client:
        await client.call_tool("greet_user", {"name": "Grace"})
    call = next(s for s in emulated.front.seen[before:] if s.json().get("method") == "tools/call")
    assert call.headers["mcp-protocol-version"] == "2026-07-28"
    assert call.headers["mcp-method"] == "tools/call"
    assert call.headers["mcp-name"] == "greet_user"
    assert call.headers["mcp-session-id"] == transport.session.mcp_session_id  # affinity, even when modern


async def test_client_session_with_discover(emulated: Emulated) -> None:
    transport = AgentCoreTransport(emulated.sigv4, client=emulated.boto3_client(), retries=FAST)
    with anyio.fail_after(30):
        async with transport as (read, write), ClientSession(read, write) as session:
            discovered = await session.discover()
            assert "2026-07-28" in discovered.supported_versions
            assert {t.name for t in (await session.list_tools()).tools} == DEMO_TOOLS
            for name, args, expected in CALLS:
                assert text(await session.call_tool(name, args)) == expected


async def test_client_session_with_initialize(emulated: Emulated) -> None:
    transport = AgentCoreTransport(emulated.url(emulated.jwt), bearer_token=emulated.token(), retries=FAST)
    with anyio.fail_after(30):
        async with transport as (read, write), ClientSession(read, write) as session:
            init = await session.initialize()
            assert init.server_info.name == "demo"
            for name, args, expected in CALLS:
                assert text(await session.call_tool(name, args)) == expected


async def test_cancelling_a_modern_request_closes_its_stream(emulated: Emulated) -> None:
    transport = AgentCoreTransport(emulated.url(emulated.open), retries=FAST)
    progress = b'{"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info","data":"busy"}}'
    async with Client(transport, mode="2026-07-28") as client:
        await client.list_tools()
        emulated.front.queue(
            Action(
                status=200,
                headers=[("content-type", "text/event-stream")],
                chunks=sse(progress),
                then="hang",
                match="tools/call",
            )
        )
        with anyio.move_on_after(0.5):
            await client.call_tool("add_numbers", {"a": 1, "b": 2})
        # the abandoned call neither hangs the client nor sends a notification over HTTP
        assert text(await client.call_tool("add_numbers", {"a": 1, "b": 2})) == "3"
    sent = [s.json().get("method") for s in emulated.front.seen]
    assert "notifications/cancelled" not in sent


async def test_a_failed_request_is_an_mcp_error_not_a_hang(emulated: Emulated) -> None:
    transport = AgentCoreTransport(emulated.open, client=emulated.boto3_client(), timeout=0.5, retries=FAST)
    async with Client(transport, mode="2026-07-28") as client:
        await client.list_tools()
        emulated.front.queue(Action(delay=3, match="tools/call"))
        with anyio.fail_after(5), pytest.raises(MCPError) as caught:
            await client.call_tool("add_numbers", {"a": 1, "b": 2})
    assert caught.value.code == -32001


@pytest.mark.parametrize("backend", ["http", "httpx"])
async def test_an_unknown_method_404_is_an_error_not_a_lost_session(backend: str) -> None:
    import json

    from mcp.shared.message import ClientMessageMetadata, SessionMessage
    from mcp_types import jsonrpc_message_adapter

    from examples.demo_server import app as demo_app

    from .fakes import Front, serve

    front = Front(demo_app, session_id="platform-session-0123456789abcdef0123")
    meta = {
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {},
    }
    headers = {"MCP-Protocol-Version": "2026-07-28", "Mcp-Method": "no/such"}
    with serve(front) as url:
        transport = AgentCoreTransport(url, backend=backend, retries=FAST)  # type: ignore[arg-type]
        with anyio.fail_after(10):
            async with transport as (read, write):
                for request_id in (1, 2):  # the second goes out with the platform's session id
                    body = {
                        "jsonrpc": "2.0",
                        "id": request_id,
                        "method": "no/such",
                        "params": {"_meta": meta},
                    }
                    message = jsonrpc_message_adapter.validate_json(json.dumps(body), by_name=False)
                    await write.send(SessionMessage(message, ClientMessageMetadata(headers=headers)))
                    answer = (await read.receive()).message
                    assert answer.id == request_id
                    assert answer.error.code == -32601
    assert transport.session.renewals == 0
    assert [s.headers.get("mcp-session-id") for s in front.posts("no/such")] == [
        None,
        "platform-session-0123456789abcdef0123",
    ]
