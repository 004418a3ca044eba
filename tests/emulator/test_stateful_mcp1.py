"""A stateful runtime through the emulator with mcp 1.x ``ClientSession``: elicitation in the handshake era.

Runs in the mcp 1.x environment (``.venv-mcp1``, marker ``mcp1``); the mcp 2.x twin is test_stateful.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import anyio
import httpx
import pytest
from mcp import ClientSession, types
from mcp.client.streamable_http import streamable_http_client

from agentcore_mcp.emulator import Emulator
from tests.emulator.conftest import HERE

pytestmark = pytest.mark.mcp1

OURS = f"{HERE / 'stateful_apps.py'}:ours"


async def on_elicit(context: Any, params: types.ElicitRequestParams) -> types.ElicitResult:
    assert params.message == "Name?"
    return types.ElicitResult(action="accept", content={"name": "Zed"})


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    emulator = Emulator(control_plane=False)
    with emulator.serve():
        yield emulator


def _text(result: Any) -> str:
    return "".join(block.text for block in result.content if block.type == "text")


async def test_mcp1_client_session_elicits_over_a_stateful_runtime(emulator: Emulator) -> None:
    runtime = emulator.add_runtime(OURS, name="ours_mcp1", auth="jwt", stateful=True, isolation="process")
    headers = {"Authorization": f"Bearer {emulator.mint_token()}"}
    with anyio.fail_after(60):
        async with (
            httpx.AsyncClient(headers=headers, timeout=httpx.Timeout(30, read=60)) as http,
            streamable_http_client(
                emulator.invocations_url(runtime), http_client=http, terminate_on_close=False
            ) as (read, write, get_session_id),
            ClientSession(read, write, elicitation_callback=on_elicit) as session,
        ):
            await session.initialize()
            first = _text(await session.call_tool("whereami", {}))
            assert _text(await session.call_tool("ask_name", {})) == "hi Zed"
            assert _text(await session.call_tool("whereami", {})) == first
            held = get_session_id()
    (live,) = emulator.sessions.sessions()
    assert held == live.mcp_session_id != live.runtime_session_id  # the server's own id, passed back
    assert held in first
