"""Through the local AgentCore emulator: real boto3, SigV4 and JWT checks, platform faults.

These use the installed SDK's ``ClientSession`` (mcp 1.x or 2.x). The mcp 2.x ``Client`` modes are in
test_official_clients.py, Strands Agents in test_strands.py.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import pytest
from mcp import ClientSession
from mcp.shared import exceptions

from agentcore_mcp.client import AgentCoreTransport, RetryPolicy

from .conftest import Emulated
from .fakes import Action, sse

pytestmark = pytest.mark.mcp1

MCPError: type[Exception] = getattr(exceptions, "MCPError", None) or exceptions.McpError
FAST = RetryPolicy(attempts=4, base_delay=0.01, max_delay=0.05)
DEMO_TOOLS = {"add_numbers", "multiply_numbers", "greet_user"}


def text(result: Any) -> str:
    return "".join(block.text for block in result.content if block.type == "text")


@asynccontextmanager
async def connected(transport: AgentCoreTransport) -> AsyncIterator[ClientSession]:
    async with transport as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        yield session


async def initialize(transport: AgentCoreTransport) -> None:
    """Open a session and initialize it, letting the initialize error (not a task-group wrapper) escape."""
    failure: BaseException | None = None
    async with transport as (read, write), ClientSession(read, write) as session:
        try:
            await session.initialize()
        except MCPError as exc:
            failure = exc
    if failure is not None:
        raise failure


async def exercise(transport: AgentCoreTransport) -> None:
    with anyio.fail_after(30):
        async with connected(transport) as session:
            assert {t.name for t in (await session.list_tools()).tools} == DEMO_TOOLS
            assert text(await session.call_tool("add_numbers", {"a": 2, "b": 3})) == "5"
            assert text(await session.call_tool("multiply_numbers", {"a": 4, "b": -5})) == "-20"
            assert (
                text(await session.call_tool("greet_user", {"name": "Ada"}))
                == "Hello, Ada! Nice to meet you."
            )


async def test_boto3_backend_lists_and_calls_the_demo_tools(emulated: Emulated) -> None:
    transport = AgentCoreTransport(emulated.sigv4, client=emulated.boto3_client(), retries=FAST)
    await exercise(transport)
    # one runtime session for the whole conversation: the platform kept us on one microVM
    session = emulated.emulator.session(transport.session.runtime_session_id)
    assert session is not None
    assert transport.session.mcp_session_id == session.mcp_session_id


async def test_boto3_backend_builds_its_own_client_from_endpoint_url_and_a_session(
    emulated: Emulated,
) -> None:
    await exercise(
        AgentCoreTransport(
            emulated.sigv4,
            endpoint_url=emulated.endpoint_url,
            boto3_session=emulated.boto3_session(),
            retries=FAST,
        )
    )


@pytest.mark.usefixtures("http_transport")  # both transports of the HTTPS backend
@pytest.mark.parametrize("backend", ["http", "httpx"])
async def test_https_backends_with_sigv4(emulated: Emulated, backend: str) -> None:
    transport = AgentCoreTransport(
        emulated.sigv4,
        backend=backend,  # type: ignore[arg-type]
        endpoint_url=emulated.endpoint_url,
        boto3_session=emulated.boto3_session(),
        retries=FAST,
    )
    await exercise(transport)


@pytest.mark.usefixtures("http_transport")  # both transports of the HTTPS backend
@pytest.mark.parametrize("backend", ["http", "httpx"])
async def test_https_backends_with_bad_keys_are_refused_with_403(emulated: Emulated, backend: str) -> None:
    import boto3

    wrong = boto3.Session(region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="wrong")
    transport = AgentCoreTransport(
        emulated.sigv4,
        backend=backend,  # type: ignore[arg-type]
        endpoint_url=emulated.endpoint_url,
        boto3_session=wrong,
        retries=FAST,
    )
    with anyio.fail_after(20), pytest.raises(MCPError) as caught:
        await initialize(transport)
    assert caught.value.error.code == -32002  # type: ignore[attr-defined]
    assert "HTTP 403" in caught.value.error.message  # type: ignore[attr-defined]


@pytest.mark.usefixtures("http_transport")  # both transports of the HTTPS backend
async def test_bearer_token_on_the_invocations_url(emulated: Emulated) -> None:
    await exercise(
        AgentCoreTransport(emulated.url(emulated.jwt), bearer_token=emulated.token(), retries=FAST)
    )


@pytest.mark.usefixtures("http_transport")  # both transports of the HTTPS backend
async def test_bearer_token_with_an_arn_and_endpoint_url(emulated: Emulated) -> None:
    await exercise(
        AgentCoreTransport(
            emulated.jwt, endpoint_url=emulated.endpoint_url, bearer_token=emulated.token(), retries=FAST
        )
    )


@pytest.mark.usefixtures("http_transport")  # both transports of the HTTPS backend
async def test_a_token_provider_is_called_again_after_a_401(emulated: Emulated) -> None:
    tokens = [emulated.token(expires_in=-60), emulated.token()]  # the first one has expired
    calls: list[int] = []

    async def provider() -> str:
        calls.append(1)
        return tokens[len(calls) - 1]

    await exercise(AgentCoreTransport(emulated.url(emulated.jwt), bearer_token=provider, retries=FAST))
    assert len(calls) == 2


async def test_an_expired_fixed_token_is_a_clear_401(emulated: Emulated) -> None:
    transport = AgentCoreTransport(emulated.url(emulated.jwt), bearer_token=emulated.token(expires_in=-60))
    with anyio.fail_after(20), pytest.raises(MCPError) as caught:
        await initialize(transport)
    error = caught.value.error  # type: ignore[attr-defined]
    assert error.code == -32001
    assert "expired" in error.message


@pytest.mark.usefixtures("http_transport")  # both transports of the HTTPS backend
async def test_mcp_headers_reach_the_server_through_the_platform(emulated: Emulated) -> None:
    before = len(emulated.front.seen)
    from opentelemetry import context, trace
    from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

    transport = AgentCoreTransport(
        emulated.sigv4,
        client=emulated.boto3_client(),
        user_id="ada",
        headers={"X-Amzn-Bedrock-AgentCore-Runtime-Custom-Team": "blue"},  # no API parameter: a signed header
        retries=FAST,
    )
    span = NonRecordingSpan(SpanContext(0xABC, 0xDEF, False, TraceFlags(1)))
    async with connected(transport) as session:
        token = context.attach(trace.set_span_in_context(span))
        try:
            await session.call_tool("add_numbers", {"a": 1, "b": 1})
        finally:
            context.detach(token)
    seen = emulated.front.seen[before:]
    call = next(s for s in seen if s.json().get("method") == "tools/call")
    assert call.headers["mcp-protocol-version"] == "2025-11-25"
    assert call.headers["mcp-session-id"] == transport.session.mcp_session_id
    assert call.headers["x-amzn-bedrock-agentcore-runtime-session-id"] == transport.session.runtime_session_id
    assert call.headers["x-amzn-bedrock-agentcore-runtime-user-id"] == "ada"
    assert call.headers["x-amzn-bedrock-agentcore-runtime-custom-team"] == "blue"
    assert call.headers["traceparent"] == f"00-{0xABC:032x}-{0xDEF:016x}-01"


@pytest.mark.usefixtures("http_transport")  # both transports of the HTTPS backend
async def test_stop_ends_the_runtime_session_and_the_next_call_starts_another(emulated: Emulated) -> None:
    for transport in (
        AgentCoreTransport(emulated.sigv4, client=emulated.boto3_client(), retries=FAST),
        AgentCoreTransport(emulated.url(emulated.jwt), bearer_token=emulated.token(), retries=FAST),
    ):
        async with connected(transport) as session:
            await session.list_tools()
            first = transport.session.runtime_session_id
            assert emulated.emulator.session(first) is not None
            await transport.stop()
            assert emulated.emulator.session(first) is None
            assert text(await session.call_tool("add_numbers", {"a": 1, "b": 1})) == "2"
            assert transport.session.runtime_session_id != first


# -- faults ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["boto3", "http", "httpx"])
async def test_injected_throttling_and_conflicts_are_retried_and_succeed(
    emulated: Emulated, backend: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "agentcore_mcp.client")
    transport = AgentCoreTransport(
        emulated.open,
        backend=backend,  # type: ignore[arg-type]
        endpoint_url=emulated.endpoint_url,
        boto3_session=emulated.boto3_session(),
        auth="none" if backend != "boto3" else None,
        retries=FAST,
    )
    async with connected(transport) as session:
        emulated.emulator.faults.throttle(2, arn=emulated.open)
        emulated.emulator.faults.conflict(1, arn=emulated.open)
        assert text(await session.call_tool("add_numbers", {"a": 20, "b": 22})) == "42"
    assert emulated.emulator.faults.pending() == 0
    assert "-32003 Rate exceeded" in caplog.text
    assert "-32005 Session operation in progress" in caplog.text


async def test_throttling_exceptions_from_the_api_are_retried(emulated: Emulated) -> None:
    transport = AgentCoreTransport(emulated.open, client=emulated.boto3_client(), retries=FAST)
    async with connected(transport) as session:
        emulated.emulator.faults.api_error("ThrottlingException", 429, "Rate exceeded", arn=emulated.open)
        assert text(await session.call_tool("add_numbers", {"a": 1, "b": 2})) == "3"


async def test_a_runtime_error_on_a_tool_call_is_reported_not_retried(emulated: Emulated) -> None:
    transport = AgentCoreTransport(emulated.open, client=emulated.boto3_client(), retries=FAST)
    async with connected(transport) as session:
        await session.list_tools()  # the SDK lists tools before a first call; keep the fault for the call
        emulated.emulator.faults.runtime_error(arn=emulated.open)
        with pytest.raises(MCPError) as caught:
            await session.call_tool("add_numbers", {"a": 1, "b": 2})
    error = caught.value.error  # type: ignore[attr-defined]
    assert error.code == -32010
    assert "RuntimeClientError" in error.message
    assert error.message.endswith("[HTTP 424, JSON-RPC -32010]")
    assert emulated.emulator.faults.pending() == 0


@pytest.mark.parametrize("backend", ["boto3", "http", "httpx"])
async def test_an_expired_session_is_recovered_transparently(
    emulated: Emulated, backend: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, "agentcore_mcp.client")
    transport = AgentCoreTransport(
        emulated.stateful,
        backend=backend,  # type: ignore[arg-type]
        endpoint_url=emulated.endpoint_url,
        boto3_session=emulated.boto3_session(),
        retries=FAST,
    )
    with anyio.fail_after(60):
        async with connected(transport) as session:
            assert text(await session.call_tool("add_numbers", {"a": 1, "b": 2})) == "3"
            first = transport.session.runtime_session_id
            old_pid = emulated.emulator.session(first).pid
            emulated.emulator.expire_session(first)  # idle timeout: the microVM is gone
            assert text(await session.call_tool("add_numbers", {"a": 2, "b": 2})) == "4"
            assert transport.session.runtime_session_id != first
            assert transport.session.renewals == 1
            assert emulated.emulator.session(transport.session.runtime_session_id).pid != old_pid
        await transport.stop()
    assert "replaying the initialize handshake" in caplog.text


@pytest.mark.parametrize("backend", ["boto3", "http", "httpx"])
async def test_a_server_killed_mid_stream_is_a_clear_error(emulated: Emulated, backend: str) -> None:
    transport = AgentCoreTransport(
        emulated.crashing,
        backend=backend,  # type: ignore[arg-type]
        endpoint_url=emulated.endpoint_url,
        boto3_session=emulated.boto3_session(),
        retries=FAST,
    )
    progress: list[float] = []

    async def on_progress(value: float, total: float | None, message: str | None) -> None:
        progress.append(value)

    with anyio.fail_after(60):
        async with connected(transport) as session:
            with pytest.raises(MCPError) as caught:
                await session.call_tool("crash", {}, progress_callback=on_progress)
            error = caught.value.error  # type: ignore[attr-defined]
            assert error.code == -32000
            assert "before the response to tools/call" in error.message
            assert progress == [1]
            # the platform replaces the dead microVM; until it notices, a listing is retried (424, no side
            # effects) while a tool call would not be; then the conversation goes on
            transport.retry = RetryPolicy(attempts=10, base_delay=0.05, max_delay=0.5)
            await session.list_tools()
            assert text(await session.call_tool("add_numbers", {"a": 1, "b": 2})) == "3"


async def test_a_slow_server_hits_the_configured_timeout(emulated: Emulated) -> None:
    transport = AgentCoreTransport(emulated.open, client=emulated.boto3_client(), timeout=0.5, retries=FAST)
    async with connected(transport) as session:
        emulated.front.queue(Action(delay=3, match="tools/call"))
        with anyio.fail_after(5), pytest.raises(MCPError) as caught:
            await session.call_tool("add_numbers", {"a": 1, "b": 2})
    error = caught.value.error  # type: ignore[attr-defined]
    assert error.code == -32001
    assert "within 0.5 s" in error.message


@pytest.mark.parametrize("backend", ["boto3", "http", "httpx"])
async def test_malformed_sse_is_a_clear_error(emulated: Emulated, backend: str) -> None:
    transport = AgentCoreTransport(
        emulated.open,
        backend=backend,  # type: ignore[arg-type]
        endpoint_url=emulated.endpoint_url,
        boto3_session=emulated.boto3_session(),
        auth="none" if backend != "boto3" else None,
        retries=FAST,
    )
    async with connected(transport) as session:
        emulated.front.queue(
            Action(
                status=200,
                headers=[("content-type", "text/event-stream")],
                chunks=[
                    *sse(
                        b'{"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info","data":1}}'
                    ),
                    b'data: {"jsonrpc": "2.0", "id": oops}\n\n',
                ],
                match="tools/call",
            )
        )
        with anyio.fail_after(10), pytest.raises(MCPError) as caught:
            await session.call_tool("add_numbers", {"a": 1, "b": 2})
    error = caught.value.error  # type: ignore[attr-defined]
    assert error.code == -32700
    assert "malformed SSE event" in error.message


@pytest.mark.parametrize("backend", ["boto3", "http", "httpx"])
async def test_aws_api_errors_keep_their_type_and_message(emulated: Emulated, backend: str) -> None:
    transport = AgentCoreTransport(
        emulated.open,
        backend=backend,  # type: ignore[arg-type]
        endpoint_url=emulated.endpoint_url,
        boto3_session=emulated.boto3_session(),
        auth="none" if backend != "boto3" else None,
        retries=FAST,
    )
    async with connected(transport) as session:
        await session.list_tools()
        emulated.emulator.faults.api_error("ValidationException", 400, "Invalid qualifier", arn=emulated.open)
        with pytest.raises(MCPError) as caught:
            await session.call_tool("add_numbers", {"a": 1, "b": 2})
    error = caught.value.error  # type: ignore[attr-defined]
    assert error.code == -32006
    assert "ValidationException: Invalid qualifier" in error.message
    assert "[HTTP 400, JSON-RPC -32006]" in error.message
    assert error.data["errorType"] == "ValidationException"
