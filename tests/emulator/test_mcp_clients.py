"""The tutorial's client shape through the emulator: an official MCP client over streamable HTTP to the
invocations URL with only ``Authorization: Bearer <token>`` and ``Content-Type: application/json``."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import anyio
import httpx
import httpx2
import pytest
from mcp.client import Client, ClientSession
from mcp.client.streamable_http import streamable_http_client

from agentcore_mcp.emulator import Emulator, Runtime

CALLS = [
    ("add_numbers", {"a": 2, "b": 3}, "5"),
    ("multiply_numbers", {"a": 4, "b": -5}, "-20"),
    ("greet_user", {"name": "Ada"}, "Hello, Ada! Nice to meet you."),
]


@pytest.fixture
def oauth(emulator: Emulator, tests_app_url: str) -> Iterator[tuple[Emulator, Runtime]]:
    runtime = emulator.add_runtime(
        tests_app_url, name="tutorial", auth="jwt", allowed_clients=["tutorial-client"]
    )
    with emulator.serve():
        yield emulator, runtime


def _tutorial_http_client(token: str) -> httpx2.AsyncClient:
    return httpx2.AsyncClient(
        headers={"authorization": f"Bearer {token}", "Content-Type": "application/json"},
        timeout=httpx2.Timeout(30, read=120),
    )


def _text(result: Any) -> str:
    return "".join(block.text for block in result.content if block.type == "text")


async def test_the_tutorial_client_initializes_lists_and_calls_through_the_invocations_url(
    oauth: tuple[Emulator, Runtime],
) -> None:
    emulator, runtime = oauth
    token = emulator.mint_token(client_id="tutorial-client")
    with anyio.fail_after(30):
        async with (
            _tutorial_http_client(token) as http,
            streamable_http_client(
                emulator.invocations_url(runtime), http_client=http, terminate_on_close=False
            ) as (
                read,
                write,
            ),
            ClientSession(read, write) as session,
        ):
            init = await session.initialize()
            assert init.server_info.name == "emulator-tests"
            tools = await session.list_tools()
            assert {"add_numbers", "multiply_numbers", "greet_user"} <= {t.name for t in tools.tools}
            for name, args, text in CALLS:
                assert _text(await session.call_tool(name, args)) == text
    # The platform minted one Mcp-Session-Id, the client sent it back, so every call reached one microVM.
    sessions = emulator.sessions.sessions()
    assert len(sessions) == 1
    assert sessions[0].invocations >= 5


@pytest.mark.parametrize("mode", ["auto", "legacy", "2026-07-28"])
async def test_the_official_client_works_in_every_mode_with_a_bearer_token(
    oauth: tuple[Emulator, Runtime], mode: str
) -> None:
    emulator, runtime = oauth
    token = emulator.mint_token(client_id="tutorial-client")
    with anyio.fail_after(30):
        async with (
            _tutorial_http_client(token) as http,
            Client(
                _transport(emulator.invocations_url(runtime), http),
                mode=mode,  # type: ignore[arg-type]
            ) as client,
        ):
            listed = await client.list_tools()
            assert "add_numbers" in {t.name for t in listed.tools}
            result = await client.call_tool("add_numbers", {"a": 40, "b": 2})
            assert _text(result) == "42"


def _transport(url: str, http: httpx2.AsyncClient) -> Any:
    return streamable_http_client(url, http_client=http, terminate_on_close=False)


async def test_a_token_from_the_local_token_endpoint_works_like_a_cognito_client_credentials_token(
    oauth: tuple[Emulator, Runtime],
) -> None:
    emulator, runtime = oauth
    async with httpx.AsyncClient(timeout=10) as http:
        discovery = (await http.get(emulator.issuer.discovery_url)).json()
        assert discovery["issuer"] == emulator.issuer.issuer_url
        assert (await http.get(discovery["jwks_uri"])).json()["keys"][0]["kid"] == emulator.issuer.kid
        form = {"grant_type": "client_credentials", "client_id": "tutorial-client", "scope": "mcp/invoke"}
        granted = (await http.post(discovery["token_endpoint"], data=form)).json()
    assert granted["token_type"] == "Bearer"
    with anyio.fail_after(30):
        async with (
            _tutorial_http_client(granted["access_token"]) as http,
            Client(_transport(emulator.invocations_url(runtime), http), mode="legacy") as client,
        ):
            assert (
                _text(await client.call_tool("greet_user", {"name": "Bo"})) == "Hello, Bo! Nice to meet you."
            )
