"""PrefectHQ FastMCP (``fastmcp`` 4.x) servers: ``agentcore_app`` serves them for AgentCore, ``register_with``
puts our decorated functions on them. FastMCP 4 needs mcp 2.x, so this runs in the main environment; the
mcp 1.x client's side is ``test_fastmcp_mcp1.py``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import anyio
import httpx
import httpx2
import pytest
from fastmcp import FastMCP
from mcp.client import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.server.mcpserver import MCPServer

from agentcore_mcp import RegistrationError, agentcore_app, register_with, register_with_sdk, tool
from agentcore_mcp.emulator import Emulator, Runtime
from agentcore_mcp.emulator._probes import HealthProbe
from agentcore_mcp.server._local import serve_in_thread
from agentcore_mcp.server._tools import OPTIONS_ATTR
from tests.interop import demo, fastmcp_app, helpers

pytestmark = pytest.mark.mcp2

MODES = ["auto", "legacy", "2026-07-28"]
# Probed every 0.1 s; patient enough that a loaded test machine's slow answer is not a failed session.
FAST_PROBES = HealthProbe(interval=0.1, timeout=5.0, failures=3)
TUTORIAL = {"add_numbers", "multiply_numbers", "greet_user"}


def _text(result: Any) -> str:
    return "".join(block.text for block in result.content if block.type == "text")


@pytest.fixture
def fastmcp_url() -> Iterator[str]:
    """tests/interop/fastmcp_app.py's server, through agentcore_app, on loopback: its MCP URL."""
    with serve_in_thread(agentcore_app(fastmcp_app.make_server())) as base:
        yield f"{base}/mcp"


@pytest.fixture
def emulated(fastmcp_url: str) -> Iterator[tuple[Emulator, Runtime]]:
    """The emulator in front of that server, probing each session's server as AgentCore's sidecar does."""
    emulator = Emulator(control_plane=False, health_probe=FAST_PROBES)
    runtime = emulator.add_runtime(fastmcp_url, name="fastmcp_tutorial")
    with emulator.serve():
        yield emulator, runtime


def _wait_for_probes(emulator: Emulator, count: int, timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sessions = emulator.sessions.sessions()
        if sessions and all(s.health.probes >= count or s.health.failed for s in sessions):
            return sessions
        time.sleep(0.05)
    raise AssertionError(f"the sessions were not probed {count} times within {timeout} s")


# -- through the emulator, with the official mcp 2.x client -------------------------------------------------


@pytest.mark.parametrize("mode", MODES)
async def test_the_tutorial_tools_serve_through_the_emulator_in_every_client_mode(
    emulated: tuple[Emulator, Runtime], mode: str
) -> None:
    emulator, runtime = emulated
    with anyio.fail_after(30):
        async with Client(emulator.invocations_url(runtime), mode=mode) as client:  # type: ignore[arg-type]
            assert {t.name for t in (await client.list_tools()).tools} == {*TUTORIAL, "echo"}
            added = await client.call_tool("add_numbers", {"a": 2, "b": 3})
            assert (_text(added), added.structured_content) == ("5", {"result": 5})
            multiplied = await client.call_tool("multiply_numbers", {"a": 4, "b": -5})
            assert multiplied.structured_content == {"product": -20}
            greeted = await client.call_tool("greet_user", {"name": "Ada"})
            assert _text(greeted) == "Hello, Ada! Nice to meet you."
            assert _text(await client.call_tool("echo", {"text": "own"})) == "own"
            read = await client.read_resource("users://ada/profile")
            assert json.loads(read.contents[0].text) == {"id": "ada", "plan": "free"}  # type: ignore[union-attr]
            rendered = await client.get_prompt("review_code", {"code": "x = 1"})
            assert rendered.messages[0].content.text == "Please review this code:\nx = 1"  # type: ignore[union-attr]
    if mode == "legacy":  # the handshake era sends the platform's session id back on every call
        (session,) = emulator.sessions.sessions()
        assert session.invocations >= 7


@pytest.mark.parametrize("mode", ["auto", "legacy", "2026-07-28"])
async def test_our_tools_keep_title_annotations_output_schema_and_argument_descriptions(
    emulated: tuple[Emulator, Runtime], mode: str
) -> None:
    emulator, runtime = emulated
    with anyio.fail_after(30):
        async with Client(emulator.invocations_url(runtime), mode=mode) as client:  # type: ignore[arg-type]
            tools = {t.name: t for t in (await client.list_tools()).tools}
    add, multiply, greet = tools["add_numbers"], tools["multiply_numbers"], tools["greet_user"]
    assert (add.title, add.description) == ("Add numbers", "Add two numbers together.")
    assert add.annotations is not None
    assert (add.annotations.read_only_hint, add.annotations.idempotent_hint) == (True, True)
    assert add.input_schema["properties"]["a"]["description"] == "The first number."  # from Args:
    assert multiply.title == "Multiply numbers"
    assert multiply.annotations is not None
    assert multiply.annotations.open_world_hint is False
    assert multiply.input_schema["properties"]["b"]["description"] == "The multiplier."  # from Field
    assert multiply.output_schema == getattr(fastmcp_app.multiply_numbers, OPTIONS_ATTR)["output_schema"]
    assert (greet.title, greet.description) == ("Greet a user", "Greet a user by name.")
    assert greet.meta is not None
    assert greet.meta["team"] == "tutorial"


async def test_the_platform_session_id_is_accepted_on_the_first_request(fastmcp_url: str) -> None:
    helpers.assert_platform_conversation(fastmcp_url)  # initialize itself carries the platform's id
    headers = helpers.platform_headers()
    del headers["Accept"], headers["Content-Type"]  # the client sets its own
    for mode in ("auto", "legacy"):
        with anyio.fail_after(20):
            http = httpx2.AsyncClient(headers=headers, timeout=10)
            async with (
                http,
                Client(streamable_http_client(fastmcp_url, http_client=http), mode=mode) as client,  # type: ignore[arg-type]
            ):
                assert _text(await client.call_tool("add_numbers", {"a": 20, "b": 22})) == "42"


def test_modern_requests_with_platform_headers_succeed_in_json(fastmcp_url: str) -> None:
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
    answer = helpers.post(fastmcp_url, body, headers)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/json")
    assert answer.json()["result"]["structuredContent"] == {"result": 5}


def test_the_emulator_s_health_probes_pass_while_the_session_is_served(
    emulated: tuple[Emulator, Runtime],
) -> None:
    emulator, runtime = emulated
    url = emulator.invocations_url(runtime)
    first = helpers.post(url, helpers.initialize(), {"Accept": helpers.ACCEPT})
    assert first.status_code == 200, first.text
    session_id = first.headers["mcp-session-id"]
    (session,) = _wait_for_probes(emulator, 5)
    assert session.health.failed is None
    again = helpers.post(url, helpers.ADD, {"Accept": helpers.ACCEPT, "Mcp-Session-Id": session_id})
    assert again.json()["result"]["structuredContent"] == {"result": 5}


def test_fastmcp_s_default_app_refuses_the_platform_s_session_and_fails_the_probe() -> None:
    # What agentcore_app fixes: a stateful server answers a session id it never issued 404 "Session not
    # found", and the emulator's session-less probe 400.
    server = fastmcp_app.make_server()
    with serve_in_thread(server.http_app(path="/mcp")) as base:
        refused = helpers.post(f"{base}/mcp", helpers.ADD, helpers.platform_headers())
        assert (refused.status_code, refused.json()["error"]["message"]) == (404, "Session not found")
        emulator = Emulator(control_plane=False, health_probe=FAST_PROBES)
        runtime = emulator.add_runtime(f"{base}/mcp", name="fastmcp_default")
        with emulator.serve():
            helpers.post(emulator.invocations_url(runtime), helpers.initialize(), {"Accept": helpers.ACCEPT})
            (session,) = _wait_for_probes(emulator, FAST_PROBES.failures)
            assert session.health.failed is not None
            assert "400" in session.health.failed


# -- the edge: the same HostOriginCheck as the SDK's servers, so the same answers ----------------------------


def test_a_foreign_origin_is_refused_with_403(fastmcp_url: str) -> None:
    helpers.assert_origin_checked(fastmcp_url)


def test_the_edge_is_our_own_server_s(fastmcp_url: str) -> None:
    helpers.assert_edge(fastmcp_url)


def test_the_endpoint_is_mcp_with_or_without_a_trailing_slash(fastmcp_url: str) -> None:
    helpers.assert_path(fastmcp_url.removesuffix("/mcp"))


def _edge_answers(base: str) -> dict[str, int]:
    """Statuses of the requests HostOriginCheck decides for every server kind."""
    json_only = {**helpers.platform_headers(), "Accept": "application/json"}
    with httpx.Client(timeout=10) as http:
        return {
            "GET /ping": http.get(f"{base}/ping").status_code,
            "GET /mcp": http.get(f"{base}/mcp", headers={"Accept": "text/event-stream"}).status_code,
            "Accept: application/json": http.post(
                f"{base}/mcp", json=helpers.ADD, headers=json_only
            ).status_code,
            "unknown Host": http.post(
                f"{base}/mcp",
                json=helpers.ADD,
                headers={**helpers.platform_headers(), "Host": "evil.example"},
            ).status_code,
            "POST /mcp/": http.post(
                f"{base}/mcp/", json=helpers.ADD, headers=helpers.platform_headers()
            ).status_code,
        }


def test_edge_requests_are_answered_as_the_sdk_server_answers_them() -> None:
    sdk = MCPServer("sdk")
    sdk.add_tool(demo.add_numbers)
    with (
        serve_in_thread(agentcore_app(sdk)) as sdk_base,
        serve_in_thread(agentcore_app(fastmcp_app.make_server())) as fastmcp_base,
    ):
        assert _edge_answers(fastmcp_base) == _edge_answers(sdk_base)


def test_bodies_over_the_sdk_default_limit_pass_up_to_agentcore_s_cap(fastmcp_url: str) -> None:
    big = {**helpers.ADD, "params": {"name": "echo", "arguments": {"text": "x" * (5 * 1024 * 1024)}}}
    answer = helpers.post(fastmcp_url, big, helpers.platform_headers())
    assert answer.status_code == 200, answer.text[:200]
    assert len(answer.json()["result"]["structuredContent"]["result"]) == 5 * 1024 * 1024


def test_max_body_size_is_applied_to_fastmcp_s_session_manager() -> None:
    app = agentcore_app(fastmcp_app.make_server(), max_body_size=1000)
    with serve_in_thread(app) as base:
        small = helpers.post(f"{base}/mcp", helpers.ADD, helpers.platform_headers())
        assert small.status_code == 200
        big = {**helpers.ADD, "params": {"name": "echo", "arguments": {"text": "x" * 2000}}}
        assert helpers.post(f"{base}/mcp", big, helpers.platform_headers()).status_code == 413


def test_allowed_hosts_and_origins_extend_the_defaults() -> None:
    app = agentcore_app(
        fastmcp_app.make_server(),
        path="/custom",
        allowed_hosts=["*.internal.example"],
        allowed_origins=["https://app.example"],
    )
    with serve_in_thread(app) as base:
        ok = {
            **helpers.platform_headers(),
            "Host": "mcp.internal.example:8000",
            "Origin": "https://app.example",
        }
        assert helpers.post(f"{base}/custom", helpers.ADD, ok).status_code == 200
        assert (
            helpers.post(f"{base}/custom", helpers.ADD, {**ok, "Origin": "https://x.example"}).status_code
            == 403
        )
        assert helpers.post(f"{base}/mcp", helpers.ADD, helpers.platform_headers()).status_code == 404


# -- register_with: what carries over, what is refused, and who refused it ----------------------------------


def test_register_with_sdk_is_register_with_for_a_fastmcp_server_too() -> None:
    server = FastMCP("old-name")
    register_with_sdk(server, demo.add_numbers, demo.greet_user)  # the TypeError: no more

    async def names() -> set[str]:
        return {t.name for t in await server.list_tools()}

    assert anyio.run(names) == {"add_numbers", "greet"}


async def test_registering_leaves_the_functions_plain_and_carries_icons_and_timeouts() -> None:
    @tool(timeout=2.5, icons=[{"src": "https://example.com/clock.png", "mimeType": "image/png"}])
    async def slow(x: int) -> int:
        return x

    server = FastMCP("carried")
    register_with(server, slow, demo.review_code)
    assert await slow(3) == 3
    (registered,) = await server.list_tools()
    assert registered.timeout == 2.5
    assert [str(i.src) for i in registered.icons or []] == ["https://example.com/clock.png"]
    (review,) = await server.list_prompts()
    assert (review.name, review.title) == ("review_code", "Code review")


async def test_our_tool_error_is_an_error_result_with_fastmcp_s_message() -> None:
    server = FastMCP("errors")
    register_with(server, demo.refuse)
    with serve_in_thread(agentcore_app(server)) as base:
        async with Client(f"{base}/mcp", mode="auto") as client:
            result = await client.call_tool("refuse", {"reason": "not today"})
    assert result.is_error
    assert _text(result) == "Error calling tool 'refuse': not today"


@pytest.mark.parametrize(
    ("fn", "reason"),
    [
        (demo.needs_context, r"agentcore_mcp's Context \(ctx\), which FastMCP does not provide"),
        (demo.picture, "agentcore_mcp.Image, which FastMCP cannot convert"),
        (demo.chat, "agentcore_mcp.PromptMessage, which FastMCP cannot convert"),
        (demo.undecorated, "not decorated"),
    ],
)
async def test_what_only_our_server_provides_is_refused_naming_fastmcp_and_nothing_registers(
    fn: Any, reason: str
) -> None:
    server = FastMCP("refusing")
    with pytest.raises(RegistrationError, match=reason):
        register_with(server, demo.add_numbers, fn)
    assert await server.list_tools() == []
    assert await server.list_prompts() == []


@pytest.mark.parametrize("option", ["input_schema", "exclude_args", "task"])
def test_tool_options_fastmcp_has_no_place_for_are_refused(option: str) -> None:
    values: dict[str, Any] = {
        "input_schema": {"type": "object", "properties": {"x": {"type": "integer"}}},
        "exclude_args": ["x"],
        "task": "optional",
    }

    @tool(**{option: values[option]})
    async def limited(x: int = 0) -> int:
        return x

    with pytest.raises(RegistrationError, match=f"tool 'limited' sets {option}="):
        register_with(FastMCP("limited"), limited)


def test_what_fastmcp_itself_refuses_is_reported_as_fastmcp_s() -> None:
    @tool(output_schema={"type": "string"})  # FastMCP wants object output schemas
    def word() -> str:
        return "w"

    with pytest.raises(RegistrationError, match=r"^FastMCP refused tool 'word': .*object types"):
        register_with(FastMCP("fastmcp"), word)


def test_a_server_of_no_known_framework_is_refused() -> None:
    with pytest.raises(TypeError, match="or a PrefectHQ FastMCP server"):
        register_with(object(), demo.add_numbers)


def test_an_sdk_server_still_gets_the_sdk_s_wording() -> None:
    with pytest.raises(RegistrationError, match="which the MCP SDK does not provide"):
        register_with(MCPServer("sdk"), demo.needs_context)
