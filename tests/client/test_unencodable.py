"""A message the client cannot encode as JSON (UTF-8) is answered at once, and the connection carries on.

A lone surrogate in a tool argument (what ``surrogateescape`` makes of a non-UTF-8 command-line byte) has
no UTF-8 form, so no body can be sent for it. The caller's request gets a JSON-RPC error naming the
problem, immediately rather than at its timeout, and the next call on the same connection works; a
response to a server request that cannot be encoded reaches the server as an error, so its request does
not hang either. Each backend (plain HTTP, HTTPS with SigV4, boto3) through mcp 2.x ``ClientSession`` and
``Client``, mcp 1.x ``ClientSession`` (``-m mcp1``), and ``call_tool_sync``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import anyio
import pytest
from mcp import ClientSession
from mcp.shared import exceptions

from agentcore_mcp import AgentCoreMCP, Context, StateSealing, tool
from agentcore_mcp.client import AgentCoreTransport, call_tool_sync
from agentcore_mcp.server._local import serve_in_thread
from examples.demo_server import app as demo_app

from .conftest import MCP_MAJOR, Emulated
from .fakes import Front, serve

MCPError: type[Exception] = getattr(exceptions, "MCPError", None) or exceptions.McpError  # 2.x / 1.x
INVALID_PARAMS = -32602
LONE = "\udcff"  # what surrogateescape decodes the byte 0xff to
# Far beyond what an immediate answer takes: a request left unanswered fails the test, not the suite.
PATIENCE = 20.0
IMMEDIATE = 5.0


@pytest.fixture(scope="module")
def front() -> Front:
    return Front(demo_app)


@pytest.fixture(scope="module")
def url(front: Front) -> Iterator[str]:
    with serve(front) as mcp_url:
        yield mcp_url


Opener = Callable[[], AgentCoreTransport]


@pytest.fixture(params=["http", "sigv4", "boto3"])
def opener(request: pytest.FixtureRequest) -> Opener:
    """A new transport per call, by backend: plain HTTP on loopback, or the emulator (HTTPS-style or boto3)."""
    if request.param == "http":
        target: str = request.getfixturevalue("url")
        return lambda: AgentCoreTransport(target, timeout=PATIENCE)
    emulated: Emulated = request.getfixturevalue("emulated")
    if request.param == "sigv4":
        return lambda: AgentCoreTransport(
            emulated.sigv4,
            endpoint_url=emulated.endpoint_url,
            boto3_session=emulated.boto3_session(),
            timeout=PATIENCE,
        )
    return lambda: AgentCoreTransport(emulated.sigv4, client=emulated.boto3_client(), timeout=PATIENCE)


def text(result: Any) -> str:
    return "".join(block.text for block in result.content if block.type == "text")


def check_refusal(exc: BaseException, elapsed: float) -> None:
    assert isinstance(exc, MCPError), f"{type(exc).__name__}: {exc}"
    error = exc.error  # type: ignore[attr-defined]
    assert error.code == INVALID_PARAMS
    message = str(exc)
    assert "tools/call was not sent" in message
    assert "cannot be encoded as JSON" in message
    assert "surrogates not allowed" in message
    assert "params.arguments.name" in message  # where the offending value is
    assert message.endswith(f"[JSON-RPC {INVALID_PARAMS}]")
    assert elapsed < IMMEDIATE, f"answered after {elapsed:.1f} s: the request waited for its timeout"


@pytest.mark.mcp1
async def test_a_client_session_gets_an_immediate_error_and_the_next_call_works(opener: Opener) -> None:
    with anyio.fail_after(PATIENCE + 10):
        async with opener() as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            started = time.monotonic()
            with pytest.raises(MCPError) as caught:
                await session.call_tool("greet_user", {"name": LONE})
            check_refusal(caught.value, time.monotonic() - started)
            assert (
                text(await session.call_tool("greet_user", {"name": "Ada"}))
                == "Hello, Ada! Nice to meet you."
            )


@pytest.mark.skipif(MCP_MAJOR < 2, reason="mcp 1.x has no Client")
async def test_the_mcp2_client_gets_an_immediate_error_and_the_next_call_works(opener: Opener) -> None:
    from mcp.client import Client

    with anyio.fail_after(PATIENCE + 10):
        async with Client(opener()) as client:  # type: ignore[arg-type, unused-ignore]
            started = time.monotonic()
            with pytest.raises(MCPError) as caught:
                await client.call_tool("greet_user", {"name": LONE})
            check_refusal(caught.value, time.monotonic() - started)
            assert (
                text(await client.call_tool("greet_user", {"name": "Ada"})) == "Hello, Ada! Nice to meet you."
            )


@pytest.mark.mcp1
def test_call_tool_sync_raises_the_error_at_once(url: str) -> None:
    started = time.monotonic()
    with pytest.raises(MCPError) as caught:
        call_tool_sync(url, "greet_user", {"name": LONE}, timeout=PATIENCE)
    assert type(caught.value) is MCPError  # alone, not in an ExceptionGroup
    check_refusal(caught.value, time.monotonic() - started)
    assert text(call_tool_sync(url, "greet_user", {"name": "Ada"})) == "Hello, Ada! Nice to meet you."


@pytest.mark.mcp1
async def test_the_error_names_where_the_value_is(url: str) -> None:
    async with (
        AgentCoreTransport(url, timeout=PATIENCE) as (read, write),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        with anyio.fail_after(IMMEDIATE), pytest.raises(MCPError) as caught:
            await session.call_tool("greet_user", {"name": "Ada", "extra": [{"ok": 1}, {"k-1": [LONE]}]})
    assert "the value at params.arguments.extra[1]['k-1'][0] cannot" in str(caught.value)
    assert caught.value.error.code == INVALID_PARAMS  # type: ignore[attr-defined]


@tool
async def ask_name(ctx: Context) -> str:
    """Elicit a name; say what the client answered, or why there was no answer."""
    try:
        answer = await ctx.elicit("Name?", {"type": "object", "properties": {"name": {"type": "string"}}})
    except Exception as exc:
        return f"no answer: {exc}"
    return f"hi {(answer.content or {}).get('name')!r}"


@pytest.mark.skipif(MCP_MAJOR < 2, reason="the elicitation callback signature is mcp 2.x's")
async def test_an_unencodable_answer_to_a_server_request_reaches_the_server_as_an_error() -> None:
    from mcp import types
    from mcp.client import Client

    async def on_elicit(context: Any, params: types.ElicitRequestParams) -> types.ElicitResult:
        return types.ElicitResult(action="accept", content={"name": LONE})

    app = AgentCoreMCP("asker", tools=[ask_name], sealing=StateSealing(keys=("k" * 32,)))
    with serve_in_thread(app) as base:
        async with Client(
            AgentCoreTransport(f"{base}/mcp", timeout=PATIENCE),  # type: ignore[arg-type, unused-ignore]
            mode="legacy",
            elicitation_callback=on_elicit,
        ) as client:
            with anyio.fail_after(IMMEDIATE):
                result = await client.call_tool("ask_name", {})
            assert "could not be encoded as JSON" in text(result), text(result)
