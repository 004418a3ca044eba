"""The official SDK's stdio client drives the real proxy process through the emulator, SigV4 and OAuth.

mcp 1.x ``ClientSession`` (in .venv-mcp1) and mcp 2.x ``ClientSession`` (in .venv) over ``stdio_client``,
the handshake era: list the tools, call each demo tool, a progress notification, a log message and an
elicitation round trip (a server-to-client request on the runtime's SSE stream, answered over stdin).
The mcp 2.x ``Client`` and the 2026-07-28 era are in test_modern.py.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import pytest
from mcp import ClientSession, StdioServerParameters, types
from mcp.client.stdio import stdio_client

from .conftest import Emulated

pytestmark = pytest.mark.mcp1

TOOLS = {
    "add_numbers",
    "multiply_numbers",
    "greet_user",
    "count_slowly",
    "confirm",
    "ask_model",
    "nap",
    "whoami",
    "look_up",
    "connect_account",
}


def text(result: Any) -> str:
    return "".join(block.text for block in result.content if block.type == "text")


@asynccontextmanager
async def proxied(emulated: Emulated, args: list[str], **callbacks: Any) -> AsyncIterator[ClientSession]:
    command = emulated.command(*args)
    params = StdioServerParameters(command=command[0], args=command[1:], env=emulated.env)
    async with stdio_client(params) as (read, write), ClientSession(read, write, **callbacks) as session:
        await session.initialize()
        yield session


async def on_elicit(context: Any, params: Any) -> Any:
    if getattr(params, "mode", "form") == "url":
        return types.ElicitResult(action="accept")  # the user opens it (URL mode: no content)
    assert params.message == "Proceed?"
    return types.ElicitResult(action="accept", content={"ok": True})


async def on_sample(context: Any, params: Any) -> Any:
    assert params.messages[0].content.text == "Say hi"
    return types.CreateMessageResult(
        role="assistant", content=types.TextContent(type="text", text="hi"), model="local"
    )


async def on_roots(context: Any) -> Any:
    return types.ListRootsResult(roots=[types.Root(uri="file:///work", name="work")])


CALLBACKS = {
    "elicitation_callback": on_elicit,
    "sampling_callback": on_sample,
    "list_roots_callback": on_roots,
}
ASKED = "model said 'hi'; roots ['file:///work']"


async def exercise(emulated: Emulated, args: list[str]) -> None:
    logs: list[Any] = []
    progress: list[tuple[float, float | None, str | None]] = []

    async def on_log(params: Any) -> None:
        logs.append(params.data)

    async def on_progress(value: float, total: float | None, message: str | None) -> None:
        progress.append((value, total, message))

    with anyio.fail_after(60):
        async with proxied(emulated, args, logging_callback=on_log, **CALLBACKS) as session:
            assert {t.name for t in (await session.list_tools()).tools} == TOOLS
            assert text(await session.call_tool("add_numbers", {"a": 2, "b": 3})) == "5"
            assert text(await session.call_tool("multiply_numbers", {"a": 4, "b": -5})) == "-20"
            assert (
                text(await session.call_tool("greet_user", {"name": "Ada"}))
                == "Hello, Ada! Nice to meet you."
            )
            counted = await session.call_tool("count_slowly", {"steps": 3}, progress_callback=on_progress)
            assert text(counted) == "counted to 3"
            assert text(await session.call_tool("confirm", {"question": "Proceed?"})) == "answered ok=True"
            assert text(await session.call_tool("ask_model", {"prompt": "Say hi"})) == ASKED
    assert progress == [(1, 3, "step 1"), (2, 3, "step 2"), (3, 3, "step 3")]
    assert logs == ["counted 1", "counted 2", "counted 3"]


async def test_sigv4_runtime_by_arn_through_boto3(emulated: Emulated) -> None:
    await exercise(emulated, emulated.sigv4_args("--backend", "boto3"))


@pytest.mark.parametrize("backend", ["http", "httpx"])
async def test_sigv4_runtime_by_arn_over_https(emulated: Emulated, backend: str) -> None:
    await exercise(emulated, emulated.sigv4_args("--backend", backend))


async def test_sigv4_runtime_by_invocations_url(emulated: Emulated) -> None:
    await exercise(emulated, [emulated.url(emulated.sigv4)])


async def test_jwt_runtime_with_a_bearer_token(emulated: Emulated) -> None:
    await exercise(emulated, emulated.jwt_args())


async def test_the_runtime_session_is_stopped_when_the_client_closes(emulated: Emulated) -> None:
    session_id = "proxy-test-stop-" + "a" * 24
    with anyio.fail_after(60):
        async with proxied(emulated, emulated.sigv4_args("--session-id", session_id)) as session:
            await session.call_tool("add_numbers", {"a": 1, "b": 1})
            assert emulated.emulator.session(session_id) is not None
    # stdio_client closed stdin and waited for the process: the proxy stopped the session before exiting
    assert emulated.emulator.session(session_id) is None


async def test_keep_session_leaves_the_runtime_session_running(emulated: Emulated) -> None:
    session_id = "proxy-test-keep-" + "b" * 24
    with anyio.fail_after(60):
        async with proxied(
            emulated, emulated.sigv4_args("--session-id", session_id, "--keep-session")
        ) as session:
            await session.call_tool("add_numbers", {"a": 1, "b": 1})
    assert emulated.emulator.session(session_id) is not None
