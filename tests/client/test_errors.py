"""What a caller catches when a call fails: one exception, its message saying why, status and code.

For every way a call can fail (connection refused, untrusted TLS, timeout, 4xx, 5xx, 424, throttling as
HTTP 200 / -32003, a session lost beyond recovery, a refused token), the same failure is produced for this
transport and for the SDK's own streamable HTTP client, through the emulator as the remote service. The
test asserts the exception a user's ``except`` sees (type, message, JSON-RPC code) and that it is wrapped
in no more ExceptionGroup layers than the SDK client's, through mcp 2.x ``Client`` and ``ClientSession``,
mcp 1.x ``ClientSession`` (``-m mcp1``), and ``call_tool_sync`` (no wrapping at all).
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import ClientSession
from mcp.shared import exceptions

from agentcore_mcp.client import AgentCoreTransport, RetryPolicy, call_tool_sync
from agentcore_mcp.server._local import serve_in_thread
from examples.demo_server import app as demo_app

from .conftest import MCP_MAJOR
from .fakes import Action, Front
from .test_tls import self_signed

# Every test runs on both transports of the HTTPS backend (the http_transport fixture).
pytestmark = pytest.mark.usefixtures("http_transport")

MCPError: type[Exception] = getattr(exceptions, "MCPError", None) or exceptions.McpError  # 2.x / 1.x
FAST = RetryPolicy(attempts=2, base_delay=0.01, max_delay=0.02, throttle_attempts=2)
CLIENT = "errors-tests"


@dataclass
class World:
    """The emulator with an OAuth runtime (the demo server behind a scriptable front), and a TLS server."""

    emulator: Any
    front: Front
    arn: str
    url: str
    token: str
    tls_url: str
    refused_url: str


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    from agentcore_mcp.emulator import Emulator

    front = Front(demo_app)
    emulator = Emulator(control_plane=False, workload_token=False)
    runtime = emulator.add_runtime(front, name="errors_oauth", auth="jwt", allowed_clients=[CLIENT])
    cert_file, key_file = self_signed(tmp_path_factory.mktemp("tls"))
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))  # bound, never listening: connections to it are refused
        refused = f"http://127.0.0.1:{closed.getsockname()[1]}/mcp"
        with (
            emulator.serve(),
            serve_in_thread(demo_app, ssl_certfile=str(cert_file), ssl_keyfile=str(key_file)) as tls,
        ):
            yield World(
                emulator,
                front,
                runtime.arn,
                emulator.invocations_url(runtime),
                emulator.mint_token(client_id=CLIENT),
                tls.replace("http://", "https://") + "/mcp",
                refused,
            )


@dataclass
class Case:
    """One way to fail: where to send, what to arm before the call, what the caller must read."""

    url: Callable[[World], str]
    arm: Callable[[World], None]
    code: int
    says: list[str]  # parts of the message
    token: Callable[[World], str] = lambda world: world.token
    options: dict[str, Any] = field(default_factory=dict)  # for this transport
    sdk_timeout: float = 30.0


def _fault(method: str, *args: Any, **kwargs: Any) -> Callable[[World], None]:
    def arm(world: World) -> None:
        getattr(world.emulator.faults, method)(*args, arn=world.arn, **kwargs)

    return arm


def _slow(world: World) -> None:
    world.front.queue(Action(delay=2.0, match="tools/call"))


def _nothing(world: World) -> None:
    return None


CASES = {
    "connection refused": Case(lambda w: w.refused_url, _nothing, -32000, ["could not connect"]),
    "untrusted TLS": Case(lambda w: w.tls_url, _nothing, -32603, ["TLS with", "CERTIFICATE_VERIFY_FAILED"]),
    "timeout": Case(
        lambda w: w.url,
        _slow,
        -32001,
        ["no answer to tools/call", "within 0.5 s"],
        options={"timeout": 0.5},
        sdk_timeout=0.5,
    ),
    "HTTP 403": Case(
        lambda w: w.url,
        _fault("api_error", "AccessDeniedException", 403, "not for you", times=10),
        -32002,
        ["AccessDeniedException: not for you", "[HTTP 403, JSON-RPC -32002]"],
    ),
    "HTTP 500": Case(
        lambda w: w.url,
        _fault("api_error", "InternalServerException", 500, "it broke", times=10),
        -32603,
        ["InternalServerException: it broke", "[HTTP 500, JSON-RPC -32603]"],
    ),
    "HTTP 424": Case(
        lambda w: w.url,
        _fault("runtime_error", times=10, message="the container exited"),
        -32010,
        ["RuntimeClientError: the container exited", "[HTTP 424, JSON-RPC -32010]"],
    ),
    "throttled": Case(
        lambda w: w.url,
        _fault("throttle", times=10),
        -32003,
        ["Rate exceeded", "[HTTP 200, JSON-RPC -32003]"],
    ),
    "session lost beyond recovery": Case(
        lambda w: w.url,
        _fault("api_error", "ResourceNotFoundException", 404, "Session not found", times=10),
        -32004,
        ["Session not found", "[HTTP 404, JSON-RPC -32004]"],
    ),
    "token refused": Case(
        lambda w: w.url,
        _nothing,
        -32001,
        ["Invalid Bearer token", "[HTTP 401, JSON-RPC -32001]"],
        token=lambda w: "not-a-jwt",
    ),
}


def depth(exc: BaseException) -> tuple[int, BaseException]:
    """How many one-member ExceptionGroups wrap ``exc``, and the exception inside them."""
    layers = 0
    while isinstance(getattr(exc, "exceptions", None), tuple) and len(exc.exceptions) == 1:  # type: ignore[attr-defined]
        exc = exc.exceptions[0]  # type: ignore[attr-defined]
        layers += 1
    return layers, exc


Opener = Callable[[], AbstractAsyncContextManager[Any]]


def ours(world: World, case: Case) -> Opener:
    options = {"retries": FAST, **case.options}
    return lambda: AgentCoreTransport(case.url(world), bearer_token=case.token(world), **options)


def sdk(world: World, case: Case) -> Opener:
    """The installed SDK's own streamable HTTP client, with the same bearer token."""
    from mcp.client.streamable_http import streamable_http_client

    http_module: Any
    if MCP_MAJOR >= 2:
        import httpx2 as http_module  # mcp 2.x's HTTP client
    else:
        import httpx as http_module

    def opener() -> AbstractAsyncContextManager[Any]:
        http = http_module.AsyncClient(
            headers={"authorization": f"Bearer {case.token(world)}"},
            timeout=http_module.Timeout(case.sdk_timeout),
        )
        return streamable_http_client(case.url(world), http_client=http)  # type: ignore[no-any-return]

    return opener


async def with_session(open_transport: Opener) -> None:
    """Handshake, then the call that fails (faults are armed between them, see :func:`failure`)."""
    async with open_transport() as streams, ClientSession(streams[0], streams[1]) as session:
        await session.initialize()
        await armed()
        await session.call_tool("add_numbers", {"a": 1, "b": 2})


async def with_client(open_transport: Opener) -> None:
    from mcp.client import Client

    async with Client(open_transport()) as client:
        await armed()
        await client.call_tool("add_numbers", {"a": 1, "b": 2})


_ARM: list[Callable[[], None]] = []


async def armed() -> None:
    """Arm the case's failure now: after the connection's handshake, before the call."""
    for arm in _ARM:
        arm()


def failure(world: World, case: Case, run: Callable[[Opener], Any], opener: Opener) -> BaseException:
    world.emulator.faults.clear()
    world.front.clear()  # nothing left from an earlier run
    _ARM[:] = [lambda: case.arm(world)]
    try:
        with pytest.raises(BaseException) as caught:  # noqa: PT011 - the type is what is measured
            anyio.run(_bounded, run, opener)
    finally:
        _ARM.clear()
        world.emulator.faults.clear()
    return caught.value


async def _bounded(run: Callable[[Opener], Any], opener: Opener) -> None:
    with anyio.fail_after(30):
        await run(opener)


def check(world: World, case: Case, run: Callable[[Opener], Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    theirs_depth, _ = depth(failure(world, case, run, sdk(world, case)))
    layers, exc = depth(failure(world, case, run, ours(world, case)))
    assert isinstance(exc, MCPError), f"{type(exc).__name__}: {exc}"
    assert exc.error.code == case.code  # type: ignore[attr-defined]
    for part in case.says:
        assert part in str(exc), f"{part!r} not in {str(exc)!r}"
    assert layers <= theirs_depth, f"{layers} ExceptionGroup layers, the SDK's client {theirs_depth}"


@pytest.mark.mcp1
@pytest.mark.parametrize("kind", list(CASES))
def test_a_client_session_raises_one_error_that_says_what_failed(
    world: World, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    check(world, CASES[kind], with_session, monkeypatch)


@pytest.mark.parametrize("kind", list(CASES))  # not mcp1: mcp 1.x has no Client
def test_the_mcp2_client_raises_one_error_that_says_what_failed(
    world: World, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    check(world, CASES[kind], with_client, monkeypatch)


@pytest.mark.mcp1
@pytest.mark.parametrize("kind", list(CASES))
def test_call_tool_sync_raises_the_error_alone(
    world: World, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    case = CASES[kind]
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    world.emulator.faults.clear()
    world.front.clear()
    case.arm(world)
    try:
        with pytest.raises(MCPError) as caught:
            call_tool_sync(
                case.url(world),
                "add_numbers",
                {"a": 1, "b": 2},
                bearer_token=case.token(world),
                retries=FAST,
                **case.options,  # timeout= bounds the call and each of its requests
            )
    finally:
        world.emulator.faults.clear()
    assert type(caught.value) is MCPError
    assert caught.value.error.code == case.code  # type: ignore[attr-defined]
    for part in case.says:
        assert part in str(caught.value)


@pytest.mark.mcp1
def test_the_cases_cover_every_failure_kind_the_docs_name() -> None:
    guide = (Path(__file__).resolve().parents[2] / "docs" / "client.md").read_text()
    section = guide.split("\n## Errors a caller catches\n", 1)[1].split("\n## ", 1)[0]
    for kind in CASES:
        assert kind in section, f"docs/client.md does not name {kind!r}"
