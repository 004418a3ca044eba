"""AgentCoreTransport against real servers on loopback: what goes on the wire, and every request answered.

These tests drive the transport with the installed SDK's ``ClientSession``, so they run with mcp 1.x and
2.x alike (``make test-mcp1``).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import pytest
from mcp import ClientSession
from mcp.shared import exceptions

from agentcore_mcp._session import RuntimeSession
from agentcore_mcp.client import AgentCoreTransport, RetryPolicy
from examples.demo_server import app as demo_app

from .fakes import Action, Front, serve, sse

# Every test runs on both transports of the HTTPS backend (the http_transport fixture).
pytestmark = [pytest.mark.mcp1, pytest.mark.usefixtures("http_transport")]

MCPError: type[Exception] = getattr(exceptions, "MCPError", None) or exceptions.McpError  # 2.x / 1.x
FAST = RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.05, throttle_attempts=3)
INVOCATIONS = "/runtimes/arn%3Aaws%3Abedrock-agentcore%3Aus-east-1%3A123456789012%3Aruntime%2Fdemo-AbCdE12345/invocations"


def text(result: Any) -> str:
    return "".join(block.text for block in result.content if block.type == "text")


def error_of(exc: pytest.ExceptionInfo[Exception]) -> Any:
    return exc.value.error  # type: ignore[attr-defined]


@pytest.fixture
def front() -> Front:
    return Front(demo_app)


@pytest.fixture
def url(front: Front) -> Iterator[str]:
    with serve(front) as mcp_url:
        yield mcp_url


@asynccontextmanager
async def connected(target: str, **options: Any) -> AsyncIterator[ClientSession]:
    options.setdefault("retries", FAST)
    async with AgentCoreTransport(target, **options) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        yield session


async def test_the_handshake_lists_and_calls_the_demo_tools(url: str, front: Front) -> None:
    with anyio.fail_after(20):
        async with connected(url) as session:
            tools = await session.list_tools()
            assert {t.name for t in tools.tools} == {"add_numbers", "multiply_numbers", "greet_user"}
            assert text(await session.call_tool("add_numbers", {"a": 2, "b": 3})) == "5"
            assert (
                text(await session.call_tool("greet_user", {"name": "Ada"}))
                == "Hello, Ada! Nice to meet you."
            )
    methods = [s.json().get("method") for s in front.posts()]
    assert methods == ["initialize", "notifications/initialized", "tools/list", "tools/call", "tools/call"]


async def test_every_post_carries_accept_content_type_and_the_negotiated_version(
    url: str, front: Front
) -> None:
    async with connected(url) as session:
        await session.list_tools()
    init, note, listed = front.posts()
    for seen in (init, note, listed):
        assert seen.headers["accept"] == "application/json, text/event-stream"
        assert seen.headers["content-type"] == "application/json"
    assert "mcp-protocol-version" not in init.headers
    assert listed.headers["mcp-protocol-version"] == "2025-11-25"
    assert [s.method for s in front.seen] == ["POST"] * 3  # no GET stream, and no DELETE on close


async def test_the_platform_session_id_is_captured_and_sent_on_every_later_request() -> None:
    front = Front(demo_app, session_id="platform-session-0123456789abcdef0123")
    with serve(front) as url:
        transport = AgentCoreTransport(url, retries=FAST)
        async with transport as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            await session.call_tool("add_numbers", {"a": 1, "b": 1})
    first, *later = front.posts()
    assert "mcp-session-id" not in first.headers
    assert {s.headers["mcp-session-id"] for s in later} == {"platform-session-0123456789abcdef0123"}
    assert transport.session.mcp_session_id == "platform-session-0123456789abcdef0123"


async def test_an_invocations_url_gets_a_stable_valid_runtime_session_id_and_user_id(front: Front) -> None:
    with serve(front) as url:
        target = url.replace("/mcp", INVOCATIONS) + "?qualifier=DEFAULT"
        front.app = _at_any_path(demo_app)
        transport = AgentCoreTransport(target, user_id="ada", retries=FAST)
        assert transport.agentcore
        async with transport as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            await session.list_tools()
    ids = {s.headers["x-amzn-bedrock-agentcore-runtime-session-id"] for s in front.posts()}
    assert ids == {transport.session.runtime_session_id}
    assert re.fullmatch(r"[a-zA-Z0-9][a-zA-Z0-9_-]{32,99}", ids.pop())
    assert {s.headers["x-amzn-bedrock-agentcore-runtime-user-id"] for s in front.posts()} == {"ada"}


async def test_a_plain_url_gets_no_agentcore_headers(url: str, front: Front) -> None:
    async with connected(url) as session:
        await session.list_tools()
    assert not any(k.startswith("x-amzn-bedrock") for s in front.posts() for k in s.headers)


async def test_a_shared_session_keeps_its_ids_across_transports(front: Front) -> None:
    session = RuntimeSession()
    with serve(front) as url:
        front.app = _at_any_path(demo_app)
        target = url.replace("/mcp", INVOCATIONS)
        for _ in range(2):
            async with connected(target, session=session) as client:
                await client.list_tools()
    assert {s.headers["x-amzn-bedrock-agentcore-runtime-session-id"] for s in front.posts()} == {
        session.runtime_session_id
    }


async def test_concurrent_requests_all_get_their_own_answer(url: str) -> None:
    results: dict[int, str] = {}
    with anyio.fail_after(30):
        async with connected(url) as session:

            async def call(i: int) -> None:
                results[i] = text(await session.call_tool("multiply_numbers", {"a": i, "b": 3}))

            async with anyio.create_task_group() as tg:
                for i in range(40):
                    tg.start_soon(call, i)
    assert results == {i: str(i * 3) for i in range(40)}


async def test_static_headers_and_trace_context_are_sent(url: str, front: Front) -> None:
    from opentelemetry import context, trace
    from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

    span = NonRecordingSpan(
        SpanContext(0x0123456789ABCDEF0123456789ABCDEF, 0x0123456789ABCDEF, False, TraceFlags(1))
    )
    token = context.attach(trace.set_span_in_context(span))
    try:
        async with connected(
            url, headers={"X-Amzn-Bedrock-AgentCore-Runtime-Custom-Team": "blue"}
        ) as session:
            await session.list_tools()
    finally:
        context.detach(token)
    listed = front.posts("tools/list")[0]
    assert listed.headers["x-amzn-bedrock-agentcore-runtime-custom-team"] == "blue"
    assert listed.headers["traceparent"] == "00-0123456789abcdef0123456789abcdef-0123456789abcdef-01"


# -- every request id is answered --------------------------------------------------------------------------


async def test_a_server_killed_mid_stream_becomes_a_clear_error(url: str, front: Front) -> None:
    progress = (
        b'{"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info","data":"working"}}'
    )
    front.queue(
        Action(
            status=200,
            headers=[("content-type", "text/event-stream")],
            chunks=sse(progress),
            then="break",
            match="tools/call",
        )
    )
    with anyio.fail_after(20):
        async with connected(url) as session:
            with pytest.raises(MCPError) as caught:
                await session.call_tool("add_numbers", {"a": 1, "b": 2})
            assert error_of(caught).code == -32000
            assert "broke off before the response to tools/call" in error_of(caught).message
            assert text(await session.call_tool("add_numbers", {"a": 1, "b": 2})) == "3"  # still usable


async def test_a_stream_that_ends_without_the_response_is_an_error(url: str, front: Front) -> None:
    front.queue(
        Action(
            status=200,
            headers=[("content-type", "text/event-stream")],
            chunks=[b'event: message\ndata: {"jsonrpc"'],
            match="tools/list",
        )
    )
    async with connected(url) as session:
        with pytest.raises(MCPError) as caught:
            await session.list_tools()
    assert "ended before the response to tools/list (it stopped mid-event)" in error_of(caught).message


async def test_malformed_sse_is_a_clear_parse_error(url: str, front: Front) -> None:
    front.queue(
        Action(
            status=200,
            headers=[("content-type", "text/event-stream")],
            chunks=[b"data: {not json\n\n"],
            match="tools/list",
        )
    )
    async with connected(url) as session:
        with pytest.raises(MCPError) as caught:
            await session.list_tools()
    error = error_of(caught)
    assert error.code == -32700
    assert "malformed SSE event" in error.message
    assert error.data["body"] == "{not json"


async def test_an_oversized_sse_event_is_refused(url: str, front: Front) -> None:
    front.queue(
        Action(
            status=200,
            headers=[("content-type", "text/event-stream")],
            chunks=[b"data: " + b"x" * 5000],
            then="hang",
            match="tools/list",
        )
    )
    async with connected(url, max_event_size=1000) as session:
        with pytest.raises(MCPError) as caught:
            await session.list_tools()
    assert "1000-byte limit" in error_of(caught).message


@pytest.mark.parametrize(
    ("action", "code", "words"),
    [
        (
            Action(status=200, headers=[("content-type", "application/json")], body=b"<html>"),
            -32700,
            "malformed JSON answer",
        ),
        (
            Action(status=200, headers=[("content-type", "text/html")], body=b"<html>hi"),
            -32600,
            "content type 'text/html'",
        ),
        (Action(status=202), -32600, "with 202"),
        (
            Action(status=307, headers=[("location", "https://elsewhere/mcp")]),
            -32600,
            "to https://elsewhere/mcp",
        ),
        (Action(status=502, body=b"Bad Gateway"), -32603, "HTTP 502: Bad Gateway"),
        (
            Action(status=401, headers=[("www-authenticate", 'Bearer resource_metadata="https://x/prm"')]),
            -32001,
            "WWW-Authenticate: Bearer",
        ),
        (
            Action(
                status=400,
                headers=[("content-type", "application/json")],
                body=b'{"jsonrpc":"2.0","id":null,"error":{"code":-32602,"message":"bad params"}}',
            ),
            -32602,
            "bad params",
        ),
    ],
)
async def test_http_failures_become_json_rpc_errors_that_say_what_happened(
    url: str, front: Front, action: Action, code: int, words: str
) -> None:
    action.match = "tools/call"
    front.queue(action, action, action, action)  # enough for every retry of a 5xx
    async with connected(url) as session:
        with pytest.raises(MCPError) as caught:
            await session.call_tool("add_numbers", {"a": 1, "b": 2})
    assert error_of(caught).code == code
    assert words in error_of(caught).message


async def test_a_refused_connection_is_an_error_not_a_hang() -> None:
    from agentcore_mcp.server._local import free_port

    transport = AgentCoreTransport(f"http://127.0.0.1:{free_port()}/mcp", retries=FAST)
    with anyio.fail_after(10):
        async with transport as (read, write), ClientSession(read, write) as session:
            with pytest.raises(MCPError) as caught:
                await session.initialize()
    assert error_of(caught).code == -32000
    assert "could not connect" in error_of(caught).message


async def test_a_slow_server_hits_the_configured_timeout(url: str, front: Front) -> None:
    front.queue(Action(delay=5, match="tools/call"))
    async with connected(url, timeout=0.3) as session:
        with anyio.fail_after(4):
            with pytest.raises(MCPError) as caught:
                await session.call_tool("add_numbers", {"a": 1, "b": 2})
    assert error_of(caught).code == -32001
    assert "within 0.3 s" in error_of(caught).message


async def test_closing_the_transport_ends_requests_in_flight(url: str, front: Front) -> None:
    import asyncio

    front.queue(Action(delay=5, match="tools/call"))

    async def call(session: ClientSession) -> None:
        await session.call_tool("add_numbers", {"a": 1, "b": 2})

    with anyio.fail_after(4):
        async with connected(url) as session, anyio.create_task_group() as tg:
            tg.start_soon(call, session)
            await anyio.sleep(0.3)
            transport_tasks = [t for t in asyncio.all_tasks() if "_run_request" in repr(t.get_coro())]
            assert len(transport_tasks) == 1
            tg.cancel_scope.cancel()
    assert all(task.done() for task in transport_tasks)  # the transport waited for its request task


async def test_a_silent_stream_hits_the_read_timeout(url: str, front: Front) -> None:
    front.queue(
        Action(
            status=200,
            headers=[("content-type", "text/event-stream")],
            chunks=[b": ping\n\n"],
            then="hang",
            match="tools/list",
        )
    )
    async with connected(url, read_timeout=0.3) as session:
        with anyio.fail_after(5), pytest.raises(MCPError) as caught:
            await session.list_tools()
    assert error_of(caught).code == -32001
    assert "silent" in error_of(caught).message


# -- retries ------------------------------------------------------------------------------------------------


async def test_throttling_and_conflicts_are_retried_until_they_pass(
    url: str, front: Front, caplog: pytest.LogCaptureFixture
) -> None:
    throttled = b'{"jsonrpc":"2.0","id":1,"error":{"code":-32003,"message":"Rate exceeded"}}'
    busy = b'{"jsonrpc":"2.0","id":1,"error":{"code":-32005,"message":"Session operation in progress, please retry"}}'
    json_ct = [("content-type", "application/json")]
    front.queue(
        Action(status=200, headers=json_ct, body=throttled, match="tools/call"),
        Action(status=429, match="tools/call"),
        Action(status=200, headers=json_ct, body=busy, match="tools/call"),
    )
    caplog.set_level(logging.INFO, "agentcore_mcp.client")
    async with connected(url) as session:
        assert text(await session.call_tool("add_numbers", {"a": 1, "b": 2})) == "3"
    assert len(front.posts("tools/call")) == 4
    assert "throttled, resend 2/3" in caplog.text  # throttled answers spend their own budget
    assert "retry 1/3" in caplog.text
    assert "retry 2/3" not in caplog.text


async def test_retries_give_up_with_the_last_refusal(url: str, front: Front) -> None:
    front.queue(*[Action(status=429, match="tools/list")] * 4)
    async with connected(url) as session:
        with pytest.raises(MCPError) as caught:
            await session.list_tools()
    assert error_of(caught).code == -32003
    assert len(front.posts("tools/list")) == 4


async def test_a_5xx_is_retried_for_a_listing_but_never_for_a_tool_call(url: str, front: Front) -> None:
    front.queue(Action(status=503, match="tools/list"), Action(status=503, match="tools/call"))
    async with connected(url) as session:
        await session.list_tools()
        with pytest.raises(MCPError):
            await session.call_tool("add_numbers", {"a": 1, "b": 2})
    assert len(front.posts("tools/list")) == 2
    assert len(front.posts("tools/call")) == 1  # it may have run: never sent twice


async def test_retries_disabled_means_one_try(url: str, front: Front) -> None:
    front.queue(Action(status=429, match="tools/list"))
    async with connected(url, retries=0) as session:
        with pytest.raises(MCPError):
            await session.list_tools()
    assert len(front.posts("tools/list")) == 1


# -- session recovery ----------------------------------------------------------------------------------------


class Stateful:
    """A server that remembers the sessions it initialized and answers 404 for any other session id."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.known: set[str] = set()
        self.generation = 0

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        method = json.loads(body).get("method") if body else None
        session_id = headers.get("mcp-session-id")
        if method is not None and method.startswith("notifications/"):
            pass  # this fake checks sessions on requests only
        elif method == "initialize":
            self.generation += 1
            session_id = f"server-session-{self.generation:04d}-{'0' * 24}"
            self.known.add(session_id)
        elif session_id not in self.known:
            payload = (
                b'{"jsonrpc":"2.0","id":"server-error","error":{"code":-32600,"message":"Session not found"}}'
            )
            await send(
                {
                    "type": "http.response.start",
                    "status": 404,
                    "headers": [(b"content-type", b"application/json")],
                }
            )
            await send({"type": "http.response.body", "body": payload})
            return

        async def with_session(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start" and session_id:
                message = {
                    **message,
                    "headers": [*message["headers"], (b"mcp-session-id", session_id.encode())],
                }
            await send(message)

        from .fakes import _replay

        await self.app(scope, _replay(body), with_session)


Scope = dict[str, Any]


async def test_a_dropped_session_is_recovered_with_a_replayed_handshake(
    caplog: pytest.LogCaptureFixture,
) -> None:
    server = Stateful(demo_app)
    front = Front(server)
    caplog.set_level(logging.WARNING, "agentcore_mcp.client")
    with serve(front) as url, anyio.fail_after(20):
        transport = AgentCoreTransport(url, retries=FAST)
        async with transport as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            assert text(await session.call_tool("add_numbers", {"a": 1, "b": 2})) == "3"
            server.known.clear()  # the platform dropped the microVM: the server forgot every session
            assert text(await session.call_tool("add_numbers", {"a": 2, "b": 2})) == "4"
            assert text(await session.call_tool("add_numbers", {"a": 3, "b": 2})) == "5"
    methods = [s.json().get("method") for s in front.posts()]
    methods = [m for m in methods if m != "tools/list"]  # mcp 2.x lists tools to validate call results
    assert methods == [
        "initialize",
        "notifications/initialized",
        "tools/call",
        "tools/call",  # 404: session gone
        "initialize",  # replayed
        "notifications/initialized",
        "tools/call",  # resent in the new session
        "tools/call",
    ]
    assert transport.session.mcp_session_id == "server-session-0002-" + "0" * 24
    assert transport.session.renewals == 1
    assert "dropped session" in caplog.text


async def test_recovery_can_be_turned_off() -> None:
    server = Stateful(demo_app)
    with serve(Front(server)) as url:
        async with connected(url, recover_sessions=False) as session:
            server.known.clear()
            with pytest.raises(MCPError) as caught:
                await session.list_tools()
    assert error_of(caught).message == "Session not found [HTTP 404, JSON-RPC -32600]"


async def test_many_requests_failing_together_recover_once() -> None:
    server = Stateful(demo_app)
    front = Front(server)
    with serve(front) as url, anyio.fail_after(20):
        async with connected(url) as session:
            server.known.clear()
            results: list[str] = []

            async def call(i: int) -> None:
                results.append(text(await session.call_tool("add_numbers", {"a": i, "b": 0})))

            async with anyio.create_task_group() as tg:
                for i in range(8):
                    tg.start_soon(call, i)
    assert sorted(results) == [str(i) for i in range(8)]
    assert len(front.posts("initialize")) == 2


def _at_any_path(app: Any) -> Any:
    """``app`` served at every path (so an invocations-shaped URL reaches the demo server's /mcp)."""

    async def routed(scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            scope = {**scope, "path": "/mcp", "raw_path": b"/mcp"}
        await app(scope, receive, send)

    return routed


def test_the_backend_is_chosen_by_the_target_and_the_options() -> None:
    import boto3
    import httpx

    from agentcore_mcp.client import Boto3Backend, HttpxBackend

    url = "http://127.0.0.1:9/mcp"
    arn = "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/demo-AbCdE12345"
    client = boto3.client("bedrock-agentcore", region_name="us-east-1")
    assert isinstance(AgentCoreTransport(url).backend, HttpxBackend)
    assert isinstance(AgentCoreTransport(arn, bearer_token="t").backend, HttpxBackend)
    assert isinstance(AgentCoreTransport(arn).backend, HttpxBackend)  # SigV4 over httpx
    assert isinstance(AgentCoreTransport(arn, backend="http").backend, HttpxBackend)
    assert isinstance(AgentCoreTransport(arn, backend="boto3").backend, Boto3Backend)
    assert isinstance(AgentCoreTransport(arn, client=client).backend, Boto3Backend)
    assert isinstance(AgentCoreTransport(url, http_client=httpx.AsyncClient()).backend, HttpxBackend)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"bearer_token": "t", "client": object()}, "exclude each other"),
        ({"bearer_token": "t", "auth": "sigv4"}, "not both"),
        ({"backend": "boto3"}, "needs a runtime ARN"),
        ({"backend": "carrier-pigeon"}, "backend must be"),
        ({"endpoint_url": "http://x"}, "applies to an ARN target"),
        ({"runtime_session_id": "short"}, "33–100"),
    ],
)
def test_contradictory_options_fail_at_construction(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        AgentCoreTransport("http://127.0.0.1:9/mcp", **options)


async def test_a_compressed_answer_is_decoded(url: str, front: Front) -> None:
    import gzip

    answer = (
        b'{"jsonrpc":"2.0","id":1,"result":{"tools":[{"name":"zipped","inputSchema":{"type":"object"}}]}}'
    )
    front.queue(
        Action(
            status=200,
            headers=[("content-type", "application/json"), ("content-encoding", "gzip")],
            body=gzip.compress(answer),
            match="tools/list",
        )
    )
    async with connected(url) as session:
        listed = await session.list_tools()
    assert [tool.name for tool in listed.tools] == ["zipped"]


def test_header_values_that_would_split_the_request_are_refused() -> None:
    with pytest.raises(ValueError, match="x-team"):
        AgentCoreTransport("http://127.0.0.1:9/mcp", headers={"x-team": "blue\r\nx-injected: 1"})


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"headers": {"x-team": "bleu-café"}}, "x-team"),
        ({"headers": {"x-équipe": "blue"}}, "x-équipe"),
        ({"user_id": "zoë"}, "x-amzn-bedrock-agentcore-runtime-user-id"),
    ],
)
def test_headers_outside_ascii_are_refused_at_construction_naming_the_header(
    options: dict[str, Any], named: str
) -> None:
    with pytest.raises(ValueError, match=f"the header '{named}'.*outside ASCII"):
        AgentCoreTransport("http://127.0.0.1:9/mcp", **options)


async def test_concurrency_is_capped_at_max_connections(url: str, front: Front) -> None:
    results: list[str] = []
    transport = AgentCoreTransport(url, max_connections=2)
    with anyio.fail_after(30):
        async with transport as (read, write), ClientSession(read, write) as session:
            await session.initialize()

            async def call(i: int) -> None:
                results.append(text(await session.call_tool("add_numbers", {"a": i, "b": 0})))

            async with anyio.create_task_group() as tg:
                for i in range(16):
                    tg.start_soon(call, i)
    assert sorted(results, key=int) == [str(i) for i in range(16)]
    assert front.max_in_flight <= 2


async def test_a_transport_can_be_opened_again_after_it_closed(url: str) -> None:
    transport = AgentCoreTransport(url)
    for _ in range(2):
        async with transport as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            assert text(await session.call_tool("add_numbers", {"a": 1, "b": 1})) == "2"


async def test_concurrent_calls_overlap_on_the_wire(url: str, front: Front) -> None:
    # Eight calls the server holds for 0.5 s each: concurrent POSTs take about 0.5 s in all, one at a time 4 s.
    front.queue(*[Action(delay=0.5, match="tools/call") for _ in range(8)])
    results: list[str] = []
    async with connected(url) as session:

        async def call(i: int) -> None:
            results.append(text(await session.call_tool("add_numbers", {"a": i, "b": 1})))

        start = anyio.current_time()
        with anyio.fail_after(10):
            async with anyio.create_task_group() as tg:
                for i in range(8):
                    tg.start_soon(call, i)
        elapsed = anyio.current_time() - start
    assert sorted(results, key=int) == [str(i + 1) for i in range(8)]
    assert elapsed < 2.0, f"8 calls held 0.5 s each took {elapsed:.2f} s: they did not overlap"


async def test_a_servers_json_rpc_error_data_reaches_the_client_as_its_data(url: str, front: Front) -> None:
    # Clients act on it: mcp 2.x's version negotiation reads ``supported`` off a -32022 error's data.
    refusal = b'{"jsonrpc":"2.0","id":null,"error":{"code":-32022,"message":"Unsupported protocol version",'
    refusal += b'"data":{"supported":["2026-07-28"],"requested":"2025-11-25"}}}'
    front.queue(
        Action(status=400, headers=[("content-type", "application/json")], body=refusal, match="tools/list")
    )
    async with connected(url) as session:
        with pytest.raises(MCPError) as caught:
            await session.list_tools()
    error = error_of(caught)
    assert error.code == -32022
    assert error.data["supported"] == ["2026-07-28"]
    assert error.data["requested"] == "2025-11-25"
    assert error.data["status"] == 400
