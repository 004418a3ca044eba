"""Stateful runtimes: the server's own Mcp-Session-Id is passed back and routed by, one process per session,
and server-to-client requests (elicitation, handshake era) ride the open session; mcp 2.x ClientSession.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import anyio
import httpx2
import pytest
from mcp import types
from mcp.client import ClientRequestContext, ClientSession
from mcp.client.streamable_http import streamable_http_client

from agentcore_mcp.emulator import Emulator, HealthProbe
from tests.emulator.conftest import HERE

OURS = f"{HERE / 'stateful_apps.py'}:ours"
SDK = f"{HERE / 'stateful_sdk_app.py'}:app"


async def on_elicit(context: ClientRequestContext, params: types.ElicitRequestParams) -> types.ElicitResult:
    assert params.message == "Name?"
    return types.ElicitResult(action="accept", content={"name": "Zed"})


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    # probed five times a second: a stateful server must pass probes sent in its own session
    emulator = Emulator(control_plane=False, health_probe=HealthProbe(interval=0.2, timeout=2.0, failures=2))
    with emulator.serve():
        yield emulator


def _text(result: Any) -> str:
    return "".join(block.text for block in result.content if block.type == "text")


async def _session_flow(emulator: Emulator, spec: str, name: str) -> list[str]:
    runtime = emulator.add_runtime(spec, name=name, auth="jwt", stateful=True, isolation="process")
    headers = {"authorization": f"Bearer {emulator.mint_token()}"}
    texts = []
    with anyio.fail_after(60):
        async with (
            httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(30, read=60)) as http,
            streamable_http_client(
                emulator.invocations_url(runtime), http_client=http, terminate_on_close=False
            ) as (read, write),
            ClientSession(read, write, elicitation_callback=on_elicit) as session,
        ):
            await session.initialize()
            texts.append(_text(await session.call_tool("whereami", {})))
            texts.append(_text(await session.call_tool("ask_name", {})))
            texts.append(_text(await session.call_tool("whereami", {})))
    return texts


@pytest.mark.parametrize(("spec", "name"), [(OURS, "ours"), (SDK, "sdk")])
async def test_a_stateful_server_keeps_its_session_and_elicits_over_it(
    emulator: Emulator, spec: str, name: str
) -> None:
    first, asked, last = await _session_flow(emulator, spec, name)
    assert asked == "hi Zed"
    assert first == last  # one process served the whole session (same pid, same session)
    (session,) = emulator.sessions.sessions()
    assert session.runtime.stateful
    assert session.mcp_session_id  # the server's own id, adopted from its initialize answer
    assert session.mcp_session_id != session.runtime_session_id
    assert str(session.pid) in first
    # The first probe goes out once the server has issued its id; the calls above may all finish sooner.
    # The count is kept in the emulator's own thread, with no event to await: poll it, bounded.
    with anyio.fail_after(10):
        while session.health.probes < 1:  # noqa: ASYNC110
            await anyio.sleep(0.02)
    assert session.health.failed is None
    if name == "ours":
        assert session.mcp_session_id in first  # the id our server issued is the one it saw again


async def test_without_the_flag_the_platform_made_id_breaks_a_stateful_sdk_server(emulator: Emulator) -> None:
    runtime = emulator.add_runtime(SDK, name="unflagged", auth="none", isolation="process")
    with anyio.fail_after(60):
        async with httpx2.AsyncClient(timeout=30) as http:
            answer = await http.post(
                emulator.invocations_url(runtime),
                json={
                    "jsonrpc": "2.0",
                    "id": 1,
                    "method": "initialize",
                    "params": {
                        "protocolVersion": "2025-11-25",
                        "capabilities": {},
                        "clientInfo": {"name": "t", "version": "0"},
                    },
                },
                headers={"accept": "application/json, text/event-stream"},
            )
    assert answer.status_code in (400, 404)  # "Session not found": the platform's id is not the server's
