"""Our decorated functions on the official mcp 2.x ``MCPServer``, and an ``MCPServer`` served for AgentCore."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import anyio
import httpx2
import pytest
from mcp.client import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.server.mcpserver import MCPServer

from agentcore_mcp import RegistrationError
from agentcore_mcp._interop import agentcore_app, register_with_sdk
from agentcore_mcp.server._local import serve_in_thread
from agentcore_mcp.server._tools import OPTIONS_ATTR
from tests.interop import demo, helpers

pytestmark = pytest.mark.mcp2

MODES = ["auto", "legacy", "2026-07-28"]


def _text(result: Any) -> str:
    return "".join(block.text for block in result.content if block.type == "text")


@pytest.fixture
def plain_server() -> MCPServer:
    """Our demo functions registered with nothing but the SDK's own API."""
    server = MCPServer("sdk-plain")
    server.add_tool(demo.add_numbers)
    server.add_tool(demo.refuse)
    server.resource("demo://greeting")(demo.greeting)
    server.resource("users://{user_id}/profile")(demo.user_profile)
    server.prompt()(demo.review_code)
    return server


@pytest.fixture
def plain_url(plain_server: MCPServer) -> Iterator[str]:
    with serve_in_thread(agentcore_app(plain_server)) as base:
        yield f"{base}/mcp"


@pytest.fixture
def registered_url() -> Iterator[str]:
    """Our demo functions registered with register_with_sdk, which carries their decorator options over."""
    server = MCPServer("sdk-registered")
    register_with_sdk(
        server, demo.add_numbers, demo.greet_user, demo.greeting, demo.user_profile, demo.review_code
    )
    with serve_in_thread(agentcore_app(server)) as base:
        yield f"{base}/mcp"


@pytest.mark.parametrize("mode", MODES)
async def test_decorated_functions_register_unchanged_and_serve_through_the_official_client(
    plain_url: str, mode: str
) -> None:
    with anyio.fail_after(20):
        async with Client(plain_url, mode=mode) as client:  # type: ignore[arg-type]
            tools = {t.name: t for t in (await client.list_tools()).tools}
            assert set(tools) == {"add_numbers", "refuse"}
            assert tools["add_numbers"].input_schema["required"] == ["a", "b"]
            added = await client.call_tool("add_numbers", {"a": 2, "b": 3})
            assert not added.is_error
            assert _text(added) == "5"
            assert added.structured_content == {"result": 5}

            resources = (await client.list_resources()).resources
            assert [str(r.uri) for r in resources] == ["demo://greeting"]
            read = await client.read_resource("demo://greeting")
            assert read.contents[0].text == "Hello from a resource"  # type: ignore[union-attr]
            profile = await client.read_resource("users://ada/profile")
            assert json.loads(profile.contents[0].text) == {"id": "ada", "plan": "free"}  # type: ignore[union-attr]

            prompts = (await client.list_prompts()).prompts
            assert [p.name for p in prompts] == ["review_code"]
            rendered = await client.get_prompt("review_code", {"code": "x = 1"})
            assert rendered.messages[0].content.text == "Please review this code:\nx = 1"  # type: ignore[union-attr]


def test_registering_on_the_sdk_leaves_the_functions_plain(plain_server: MCPServer) -> None:
    assert demo.add_numbers(2, 3) == 5
    assert "name" not in getattr(demo.add_numbers, OPTIONS_ATTR)  # our options still on it, untouched
    assert plain_server.tool()(demo.add_numbers) is demo.add_numbers


async def test_our_tool_error_is_an_sdk_crash_whose_message_stays_on_the_server(plain_url: str) -> None:
    # mcp 2.x passes on the text of its own ToolError only (documented in docs/interop.md).
    with anyio.fail_after(20):
        async with Client(plain_url, mode="auto") as client:
            result = await client.call_tool("refuse", {"reason": "not today"})
            assert result.is_error
            assert _text(result) == "Error executing tool refuse"


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_register_with_sdk_carries_names_titles_annotations_and_mime_types(
    registered_url: str, mode: str
) -> None:
    with anyio.fail_after(20):
        async with Client(registered_url, mode=mode) as client:  # type: ignore[arg-type]
            tools = {t.name: t for t in (await client.list_tools()).tools}
            assert set(tools) == {"add_numbers", "greet"}
            greet = tools["greet"]
            assert greet.title == "Greeter"
            assert greet.description == "Greet someone by name."
            assert greet.annotations is not None
            assert greet.annotations.read_only_hint is True
            assert greet.annotations.idempotent_hint is True
            assert greet.icons is not None
            assert str(greet.icons[0].src) == "https://example.com/wave.png"
            assert greet.meta == {"team": "demo"}
            assert _text(await client.call_tool("greet", {"name": "Ada"})) == "Hello, Ada!"

            (static,) = (await client.list_resources()).resources
            assert (static.title, static.mime_type, static.description) == (
                "Greeting",
                "text/plain",
                "A fixed greeting.",
            )
            (template,) = (await client.list_resource_templates()).resource_templates
            assert (template.uri_template, template.name, template.mime_type) == (
                "users://{user_id}/profile",
                "profile",
                "application/json",
            )
            (review,) = (await client.list_prompts()).prompts
            assert (review.name, review.title) == ("review_code", "Code review")
            assert [(a.name, a.required) for a in review.arguments or []] == [("code", True)]


@pytest.mark.parametrize(
    ("fn", "reason"),
    [
        (demo.needs_context, "agentcore_mcp's Context"),
        (demo.with_timeout, "timeout="),
        (demo.picture, "agentcore_mcp.Image"),
        (demo.chat, "agentcore_mcp.PromptMessage"),
        (demo.undecorated, "not decorated"),
    ],
)
async def test_register_with_sdk_refuses_what_only_our_server_provides_and_registers_nothing(
    fn: Any, reason: str
) -> None:
    server = MCPServer("sdk-refusing")
    with pytest.raises(RegistrationError, match=reason):
        register_with_sdk(server, demo.add_numbers, fn)
    assert await server.list_tools() == []
    assert await server.list_prompts() == []


def test_register_with_sdk_reports_what_the_sdk_itself_refuses() -> None:
    from agentcore_mcp import resource

    @resource("demo://{kind}/item")
    def item(kind: str, extra: int = 0) -> str:  # the SDK wants the parameters to match the template exactly
        return kind

    with pytest.raises(
        RegistrationError, match=re.escape("the MCP SDK refused resource 'demo://{kind}/item'")
    ):
        register_with_sdk(MCPServer("sdk"), item)


def test_register_with_sdk_wants_an_sdk_server() -> None:
    with pytest.raises(TypeError, match="expected an official MCP server"):
        register_with_sdk(object(), demo.add_numbers)


# -- agentcore_app: an MCPServer served the way AgentCore Runtime calls it ------------------------------------


def test_platform_requests_succeed_statelessly_in_json(plain_url: str) -> None:
    helpers.assert_platform_conversation(plain_url)


def test_modern_requests_with_platform_headers_succeed_in_json(plain_url: str) -> None:
    meta = {
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {},
    }
    body = {**helpers.ADD, "params": {**helpers.ADD["params"], "_meta": meta}}
    headers = {
        **helpers.platform_headers(),
        "MCP-Protocol-Version": "2026-07-28",
        "Mcp-Method": "tools/call",
        "Mcp-Name": "add_numbers",
    }
    answer = helpers.post(plain_url, body, headers)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    assert answer.json()["result"]["structuredContent"] == {"result": 5}


def test_a_foreign_origin_is_refused_with_403(plain_url: str) -> None:
    helpers.assert_origin_checked(plain_url)


def test_any_host_is_accepted_and_the_edge_is_our_servers(plain_url: str) -> None:
    helpers.assert_edge(plain_url)


def test_the_endpoint_is_mcp_with_or_without_a_trailing_slash(plain_url: str) -> None:
    helpers.assert_path(plain_url.removesuffix("/mcp"))


def test_bodies_over_the_sdk_default_limit_pass_up_to_agentcore_s_cap(plain_url: str) -> None:
    big = {**helpers.ADD, "params": {"name": "refuse", "arguments": {"reason": "x" * (5 * 1024 * 1024)}}}
    answer = helpers.post(plain_url, big, helpers.platform_headers())
    assert answer.status_code == 200
    assert answer.json()["result"]["isError"] is True


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_the_official_client_works_through_platform_style_headers(plain_url: str, mode: str) -> None:
    headers = helpers.platform_headers()
    del headers["Accept"], headers["Content-Type"]  # the client sets its own
    with anyio.fail_after(20):
        http = httpx2.AsyncClient(headers=headers, timeout=10)
        async with (
            http,
            Client(streamable_http_client(plain_url, http_client=http), mode=mode) as client,  # type: ignore[arg-type]
        ):
            assert _text(await client.call_tool("add_numbers", {"a": 20, "b": 22})) == "42"


def test_allowed_hosts_turn_the_host_check_on_and_origins_extend_the_defaults() -> None:
    server = MCPServer("sdk")
    server.add_tool(demo.add_numbers)
    app = agentcore_app(
        server, path="/custom", allowed_hosts=["*.internal.example"], allowed_origins=["https://app.example"]
    )
    with serve_in_thread(app) as base:
        url = f"{base}/custom"
        ok = {
            **helpers.platform_headers(),
            "Host": "mcp.internal.example:8000",
            "Origin": "https://app.example",
        }
        assert helpers.post(url, helpers.ADD, ok).status_code == 200
        assert helpers.post(url, helpers.ADD, {**ok, "Host": "a.b.internal.example"}).status_code == 421
        assert helpers.post(url, helpers.ADD, {**ok, "Origin": "https://other.example"}).status_code == 403
        assert helpers.post(f"{base}/mcp", helpers.ADD, helpers.platform_headers()).status_code == 404


def test_a_star_allows_any_host_while_origin_stays_checked() -> None:
    server = MCPServer("sdk")
    server.add_tool(demo.add_numbers)
    with serve_in_thread(agentcore_app(server, allowed_hosts=["*", "mcp.example.com"])) as base:
        headers = {**helpers.platform_headers(), "Host": "10.0.3.7:8000"}
        assert helpers.post(f"{base}/mcp", helpers.ADD, headers).status_code == 200
        foreign = {**headers, "Origin": "https://evil.example"}
        assert helpers.post(f"{base}/mcp", helpers.ADD, foreign).status_code == 403


def test_agentcore_app_wants_an_mcp2_server() -> None:
    with pytest.raises(TypeError, match="expected an official MCP server"):
        agentcore_app(object())
