"""A PrefectHQ FastMCP server on AgentCore, called by mcp 1.x's ``ClientSession`` through the emulator.

Runs in the mcp 1.x environment (``.venv-mcp1``, ``make test-mcp1``). FastMCP 4 needs mcp 2.x, so it
cannot be installed there: the emulator and the server run in the main environment (``.venv``), started
as ``agentcore-mcp emulator --app tests/interop/fastmcp_app.py:app`` (each session its own server
process), and only the client runs here.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

from agentcore_mcp.server import free_port

pytestmark = pytest.mark.mcp1

ROOT = Path(__file__).resolve().parents[2]
MAIN_PYTHON = ROOT / ".venv" / "bin" / "python"
APP = f"{ROOT / 'tests' / 'interop' / 'fastmcp_app.py'}:app"
URL_LINE = re.compile(r"invocations URL:\s+(\S+)")


@pytest.fixture(scope="module")
def invocations_url() -> Iterator[str]:
    """The emulator (main environment) serving tests/interop/fastmcp_app.py, probing sessions every 0.1 s."""
    if not MAIN_PYTHON.is_file():
        raise AssertionError(f"needs {MAIN_PYTHON} with fastmcp installed (make pytest creates it)")
    port = free_port()
    command = [
        str(MAIN_PYTHON), "-m", "agentcore_mcp.cli", "emulator", "--app", APP, "--isolation", "process",
        "--no-control-plane", "--port", str(port), "--probe-interval", "0.1",
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        yield _read_url(process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _read_url(process: subprocess.Popen[str]) -> str:
    assert process.stdout is not None
    seen: list[str] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        seen.append(line)
        found = URL_LINE.search(line)
        if found:
            return found.group(1)
    raise AssertionError("the emulator did not print its invocations URL:\n" + "".join(seen))


def _text(result: Any) -> str:
    return "".join(block.text for block in result.content if block.type == "text")


def _client(url: str, headers: dict[str, str] | None = None) -> Any:
    # No DELETE on close: nothing reaches the container but POST through InvokeAgentRuntime.
    http = httpx.AsyncClient(headers=headers, timeout=30)
    return http, streamable_http_client(url, http_client=http, terminate_on_close=False)


async def test_mcp1_client_session_calls_the_tutorial_tools_through_the_emulator(
    invocations_url: str,
) -> None:
    http, transport = _client(invocations_url)
    with anyio.fail_after(60):
        async with http, transport as (read, write, get_session_id), ClientSession(read, write) as session:
            init = await session.initialize()
            assert init.serverInfo.name == "fastmcp-tutorial"
            assert get_session_id()  # the platform's, minted by the emulator and sent back since
            tools = {t.name: t for t in (await session.list_tools()).tools}
            assert set(tools) == {"add_numbers", "multiply_numbers", "greet_user", "echo"}
            assert _text(await session.call_tool("add_numbers", {"a": 2, "b": 3})) == "5"
            multiplied = await session.call_tool("multiply_numbers", {"a": 4, "b": -5})
            assert multiplied.structuredContent == {"product": -20}
            greeted = await session.call_tool("greet_user", {"name": "Ada"})
            assert _text(greeted) == "Hello, Ada! Nice to meet you."

            add = tools["add_numbers"]
            assert add.title == "Add numbers"
            assert add.annotations is not None
            assert (add.annotations.readOnlyHint, add.annotations.idempotentHint) == (True, True)
            assert add.inputSchema["properties"]["a"]["description"] == "The first number."
            assert tools["multiply_numbers"].outputSchema == {
                "type": "object",
                "properties": {"product": {"type": "integer"}},
                "required": ["product"],
            }
            assert tools["greet_user"].title == "Greet a user"


async def test_a_platform_session_id_on_the_first_request_and_probes_passing_keep_the_session_working(
    invocations_url: str,
) -> None:
    # The caller names the session on its very first request (initialize), as the platform does.
    headers = {"Mcp-Session-Id": "platform-0123456789abcdef0123456789abcdef"}
    http, transport = _client(invocations_url, headers)
    with anyio.fail_after(60):
        async with http, transport as (read, write, _), ClientSession(read, write) as session:
            await session.initialize()
            assert _text(await session.call_tool("add_numbers", {"a": 20, "b": 22})) == "42"
            await anyio.sleep(1.0)  # ten health probes of this session's server; one failure would be -32010
            result = await session.call_tool("greet_user", {"name": "Bo"})
            assert not result.isError
            assert _text(result) == "Hello, Bo! Nice to meet you."
