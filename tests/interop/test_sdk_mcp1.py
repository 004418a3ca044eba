"""Our decorated functions on the official mcp 1.x ``FastMCP``, and a ``FastMCP`` served for AgentCore.

Runs in the mcp 1.x environment (``.venv-mcp1``); see ``conftest.py``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import anyio
import httpx
import pytest
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.server.fastmcp import FastMCP

from agentcore_mcp import RegistrationError
from agentcore_mcp._interop import agentcore_app, register_with_sdk
from agentcore_mcp.server._local import serve_in_thread
from tests.interop import demo, helpers

pytestmark = pytest.mark.mcp1


def _text(result: Any) -> str:
    return "".join(block.text for block in result.content if block.type == "text")


@pytest.fixture
def plain_server() -> FastMCP:
    """Our demo functions registered with nothing but the SDK's own API."""
    server = FastMCP("sdk-plain")
    server.add_tool(demo.add_numbers)
    server.add_tool(demo.refuse)
    server.resource("demo://greeting")(demo.greeting)
    server.resource("users://{user_id}/profile")(demo.user_profile)
    server.prompt()(demo.review_code)
    return server


@pytest.fixture
def plain_url(plain_server: FastMCP) -> Iterator[str]:
    with serve_in_thread(agentcore_app(plain_server)) as base:
        yield f"{base}/mcp"


@pytest.fixture
def registered_url() -> Iterator[str]:
    server = FastMCP("sdk-registered")
    register_with_sdk(
        server, demo.add_numbers, demo.greet_user, demo.greeting, demo.user_profile, demo.review_code
    )
    with serve_in_thread(agentcore_app(server)) as base:
        yield f"{base}/mcp"


def _client(url: str, headers: dict[str, str] | None = None) -> Any:
    # No DELETE on close: nothing reaches the container but POST through InvokeAgentRuntime.
    http = httpx.AsyncClient(headers=headers, timeout=10)
    return http, streamable_http_client(url, http_client=http, terminate_on_close=False)


async def test_decorated_functions_register_unchanged_and_serve_through_the_official_client(
    plain_url: str,
) -> None:
    http, transport = _client(plain_url)
    with anyio.fail_after(20):
        async with http, transport as (read, write, _), ClientSession(read, write) as session:
            init = await session.initialize()
            assert init.serverInfo.name == "sdk-plain"
            tools = {t.name: t for t in (await session.list_tools()).tools}
            assert set(tools) == {"add_numbers", "refuse"}
            assert tools["add_numbers"].inputSchema["required"] == ["a", "b"]
            added = await session.call_tool("add_numbers", {"a": 2, "b": 3})
            assert not added.isError
            assert _text(added) == "5"
            assert added.structuredContent == {"result": 5}

            resources = (await session.list_resources()).resources
            assert [str(r.uri) for r in resources] == ["demo://greeting"]
            read = await session.read_resource("demo://greeting")  # type: ignore[arg-type]
            assert read.contents[0].text == "Hello from a resource"
            profile = await session.read_resource("users://ada/profile")  # type: ignore[arg-type]
            assert json.loads(profile.contents[0].text) == {"id": "ada", "plan": "free"}

            prompts = (await session.list_prompts()).prompts
            assert [p.name for p in prompts] == ["review_code"]
            rendered = await session.get_prompt("review_code", {"code": "x = 1"})
            assert rendered.messages[0].content.text == "Please review this code:\nx = 1"


def test_registering_on_the_sdk_leaves_the_functions_plain(plain_server: FastMCP) -> None:
    assert demo.add_numbers(2, 3) == 5
    assert plain_server.tool()(demo.add_numbers) is demo.add_numbers


async def test_our_tool_error_comes_back_as_an_error_result_with_its_message(plain_url: str) -> None:
    # mcp 1.x passes on the text of any exception a tool raises.
    http, transport = _client(plain_url)
    with anyio.fail_after(20):
        async with http, transport as (read, write, _), ClientSession(read, write) as session:
            await session.initialize()
            result = await session.call_tool("refuse", {"reason": "not today"})
            assert result.isError
            assert _text(result) == "Error executing tool refuse: not today"


async def test_register_with_sdk_carries_names_titles_annotations_and_mime_types(registered_url: str) -> None:
    http, transport = _client(registered_url)
    with anyio.fail_after(20):
        async with http, transport as (read, write, _), ClientSession(read, write) as session:
            await session.initialize()
            tools = {t.name: t for t in (await session.list_tools()).tools}
            assert set(tools) == {"add_numbers", "greet"}
            greet = tools["greet"]
            assert greet.title == "Greeter"
            assert greet.description == "Greet someone by name."
            assert greet.annotations is not None
            assert greet.annotations.readOnlyHint is True
            assert greet.icons is not None
            assert str(greet.icons[0].src) == "https://example.com/wave.png"
            assert greet.meta == {"team": "demo"}
            assert _text(await session.call_tool("greet", {"name": "Ada"})) == "Hello, Ada!"

            (static,) = (await session.list_resources()).resources
            assert (static.title, static.mimeType, static.description) == (
                "Greeting",
                "text/plain",
                "A fixed greeting.",
            )
            (template,) = (await session.list_resource_templates()).resourceTemplates
            assert (template.uriTemplate, template.name, template.mimeType) == (
                "users://{user_id}/profile",
                "profile",
                "application/json",
            )
            (review,) = (await session.list_prompts()).prompts
            assert (review.name, review.title) == ("review_code", "Code review")


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
    server = FastMCP("sdk-refusing")
    with pytest.raises(RegistrationError, match=reason):
        register_with_sdk(server, demo.add_numbers, fn)
    assert await server.list_tools() == []
    assert await server.list_prompts() == []


def test_register_with_sdk_reports_what_the_sdk_itself_refuses() -> None:
    from agentcore_mcp import resource

    @resource("demo://{kind}/item")
    def item(kind: str, extra: int = 0) -> str:
        return kind

    with pytest.raises(
        RegistrationError, match=re.escape("the MCP SDK refused resource 'demo://{kind}/item'")
    ):
        register_with_sdk(FastMCP("sdk"), item)


# -- agentcore_app: a FastMCP served the way AgentCore Runtime calls it ----------------------------------------


def test_platform_requests_succeed_statelessly_in_json(plain_url: str) -> None:
    helpers.assert_platform_conversation(plain_url)


def test_a_foreign_origin_is_refused_with_403(plain_url: str) -> None:
    helpers.assert_origin_checked(plain_url)


def test_any_host_is_accepted_and_the_edge_is_our_servers(plain_url: str) -> None:
    helpers.assert_edge(plain_url)


def test_the_endpoint_is_mcp_with_or_without_a_trailing_slash(plain_url: str) -> None:
    helpers.assert_path(plain_url.removesuffix("/mcp"))


def test_agentcore_app_sets_the_fastmcp_settings(plain_server: FastMCP) -> None:
    agentcore_app(plain_server, path="/custom/")
    settings = plain_server.settings
    assert settings.stateless_http is True
    assert settings.json_response is True
    assert settings.streamable_http_path == "/custom"
    assert settings.max_request_body_size == 100_000_000
    assert settings.transport_security is not None
    assert settings.transport_security.enable_dns_rebinding_protection is False  # HostOriginCheck does it


async def test_the_official_client_works_through_platform_style_headers(plain_url: str) -> None:
    headers = helpers.platform_headers()
    del headers["Accept"], headers["Content-Type"]
    http, transport = _client(plain_url, headers)
    with anyio.fail_after(20):
        async with http, transport as (read, write, _), ClientSession(read, write) as session:
            await session.initialize()
            assert _text(await session.call_tool("add_numbers", {"a": 20, "b": 22})) == "42"


def test_a_fastmcp_whose_app_was_already_built_is_refused(plain_server: FastMCP) -> None:
    plain_server.streamable_http_app()
    with pytest.raises(RuntimeError, match="already built its Streamable HTTP app"):
        agentcore_app(plain_server)


def test_agentcore_app_wants_a_fastmcp() -> None:
    with pytest.raises(TypeError, match=r"expected an mcp 1\.x FastMCP server"):
        agentcore_app(object())
