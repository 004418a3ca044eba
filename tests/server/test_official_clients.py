"""The official MCP clients (mcp 2.x) against the demo server on loopback, in every connection mode."""

from __future__ import annotations

from typing import Any

import anyio
import pytest
from mcp.client import Client, ClientSession
from mcp.client.streamable_http import streamable_http_client

EXPECTED_TOOLS = {"add_numbers", "multiply_numbers", "greet_user"}
CALLS: list[tuple[str, dict[str, Any], str, dict[str, Any] | None]] = [
    ("add_numbers", {"a": 2, "b": 3}, "5", {"result": 5}),
    ("multiply_numbers", {"a": 4, "b": -5}, "-20", {"result": -20}),
    ("greet_user", {"name": "Ada"}, "Hello, Ada! Nice to meet you.", None),
]


def _text(result: Any) -> str:
    return "".join(block.text for block in result.content if block.type == "text")


@pytest.mark.parametrize("mode", ["auto", "legacy", "2026-07-28"])
async def test_client_lists_and_calls_every_demo_tool(demo_url: str, mode: str) -> None:
    with anyio.fail_after(20):
        async with Client(demo_url, mode=mode) as client:  # type: ignore[arg-type]
            listed = await client.list_tools()
            assert {t.name for t in listed.tools} == EXPECTED_TOOLS
            for name, args, text, structured in CALLS:
                result = await client.call_tool(name, args)
                assert not result.is_error
                assert _text(result) == text
                assert result.structured_content == structured


async def test_auto_mode_negotiates_the_modern_era(demo_url: str) -> None:
    async with Client(demo_url, mode="auto") as client:
        assert client.session.protocol_version == "2026-07-28"


async def test_client_session_with_initialize(demo_url: str) -> None:
    with anyio.fail_after(20):
        async with (
            streamable_http_client(demo_url) as (read, write),
            ClientSession(read, write) as session,
        ):
            init = await session.initialize()
            assert init.protocol_version == "2025-11-25"
            assert init.server_info.name == "demo"
            tools = await session.list_tools()
            assert {t.name for t in tools.tools} == EXPECTED_TOOLS
            for name, args, text, _ in CALLS:
                assert _text(await session.call_tool(name, args)) == text


async def test_client_session_with_discover(demo_url: str) -> None:
    with anyio.fail_after(20):
        async with (
            streamable_http_client(demo_url) as (read, write),
            ClientSession(read, write) as session,
        ):
            discovered = await session.discover()
            assert "2026-07-28" in discovered.supported_versions
            assert discovered.capabilities.tools is not None
            tools = await session.list_tools()
            assert {t.name for t in tools.tools} == EXPECTED_TOOLS
            for name, args, text, _ in CALLS:
                assert _text(await session.call_tool(name, args)) == text


async def test_bad_arguments_come_back_as_a_tool_error_naming_the_argument(demo_url: str) -> None:
    async with Client(demo_url, mode="2026-07-28") as client:
        result = await client.call_tool("add_numbers", {"a": "not a number", "b": 1})
        assert result.is_error
        assert "a:" in _text(result)
        assert "integer" in _text(result)
