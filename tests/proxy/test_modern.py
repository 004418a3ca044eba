"""mcp 2.x ``Client`` over stdio through the real proxy process, in every connect mode.

``auto`` probes ``server/discover`` (2026-07-28) first; ``2026-07-28`` pins the stateless era, where each
request carries its version in ``_meta`` and the proxy derives the HTTP headers the runtime requires
(``MCP-Protocol-Version``, ``Mcp-Method``, ``Mcp-Name``) from the body; elicitation is a multi-round-trip
request (``input_required``, retried with the answers) rather than a server-to-client request.
"""

from __future__ import annotations

from typing import Any

import anyio
import pytest
from mcp import StdioServerParameters, types
from mcp.client import Client
from mcp.shared.exceptions import MCPError

from .conftest import Emulated
from .test_sdk_clients import ASKED, CALLBACKS, TOOLS, text

MODES = ["auto", "legacy", "2026-07-28"]


async def exercise(emulated: Emulated, args: list[str], mode: str) -> dict[str, Any]:
    command = emulated.command(*args)
    params = StdioServerParameters(command=command[0], args=command[1:], env=emulated.env)
    progress: list[tuple[float, float | None, str | None]] = []
    logs: list[Any] = []

    async def on_progress(value: float, total: float | None, message: str | None) -> None:
        progress.append((value, total, message))

    async def on_log(params: types.LoggingMessageNotificationParams) -> None:
        logs.append(params.data)

    with anyio.fail_after(60):
        async with Client(
            params, mode=mode, logging_callback=on_log, log_level="info", **CALLBACKS
        ) as client:  # type: ignore[arg-type]
            assert {t.name for t in (await client.list_tools()).tools} == TOOLS
            assert text(await client.call_tool("add_numbers", {"a": 2, "b": 3})) == "5"
            assert text(await client.call_tool("multiply_numbers", {"a": 4, "b": -5})) == "-20"
            assert (
                text(await client.call_tool("greet_user", {"name": "Ada"})) == "Hello, Ada! Nice to meet you."
            )
            counted = await client.call_tool("count_slowly", {"steps": 3}, progress_callback=on_progress)
            assert text(counted) == "counted to 3"
            assert text(await client.call_tool("confirm", {"question": "Proceed?"})) == "answered ok=True"
            assert text(await client.call_tool("ask_model", {"prompt": "Say hi"})) == ASKED
            seen = (await client.call_tool("whoami", {})).structured_content
    assert progress == [(1, 3, "step 1"), (2, 3, "step 2"), (3, 3, "step 3")]
    assert logs == ["counted 1", "counted 2", "counted 3"]
    assert isinstance(seen, dict)
    return seen


@pytest.mark.parametrize("mode", MODES)
async def test_sigv4_runtime(emulated: Emulated, mode: str) -> None:
    seen = await exercise(emulated, emulated.sigv4_args(), mode)
    assert seen["protocol_version"] == ("2025-11-25" if mode == "legacy" else "2026-07-28")


@pytest.mark.parametrize("mode", MODES)
async def test_jwt_runtime(emulated: Emulated, mode: str) -> None:
    seen = await exercise(emulated, emulated.jwt_args(), mode)
    assert seen["protocol_version"] == ("2025-11-25" if mode == "legacy" else "2026-07-28")


async def test_read_only_in_the_stateless_era(emulated: Emulated) -> None:
    command = emulated.command(*emulated.sigv4_args("--read-only"))
    params = StdioServerParameters(command=command[0], args=command[1:], env=emulated.env)
    with anyio.fail_after(60):
        async with Client(params, mode="2026-07-28") as client:  # type: ignore[arg-type]
            with pytest.raises(MCPError) as refused:  # before any listing
                await client.call_tool("add_numbers", {"a": 1, "b": 2})
            assert refused.value.error.code == -32602
            assert "--read-only" in refused.value.error.message
            assert [t.name for t in (await client.list_tools()).tools] == ["look_up"]
            assert text(await client.call_tool("look_up", {"key": "k"})) == "value of k"


@pytest.mark.parametrize("mode", ["legacy", "2026-07-28"])
async def test_a_url_elicitation_passes_through_the_proxy(emulated: Emulated, mode: str) -> None:
    from .app import CONNECT_URL

    command = emulated.command(*emulated.sigv4_args())
    params = StdioServerParameters(command=command[0], args=command[1:], env=emulated.env)
    asked: list[Any] = []

    async def on_elicit(context: Any, request: Any) -> Any:
        asked.append(request)
        return types.ElicitResult(action="accept")

    with anyio.fail_after(60):
        async with Client(params, mode=mode, elicitation_callback=on_elicit) as client:  # type: ignore[arg-type]
            if mode == "legacy":
                # The runtime has no sessions, so it cannot know what the client declared: -32042, its data
                # (the URL to open) relayed to the local client unchanged.
                with pytest.raises(MCPError) as refused:
                    await client.call_tool("connect_account", {})
                assert refused.value.error.code == -32042
                assert refused.value.error.data == {
                    "elicitations": [
                        {
                            "mode": "url",
                            "message": "Connect your account",
                            "url": CONNECT_URL,
                            "elicitationId": "proxy-1",
                        }
                    ]
                }
                assert asked == []
            else:
                assert text(await client.call_tool("connect_account", {})) == "connect: accept"
                (request,) = asked
                assert isinstance(request, types.ElicitRequestURLParams)
                assert (request.mode, request.url, request.message) == (
                    "url",
                    CONNECT_URL,
                    "Connect your account",
                )
