"""Security: Origin (DNS rebinding), body limits, no exception text to clients, secrets never logged,
sealed requestState (tamper, replay, expiry, rotation), and CR/LF header injection from tool metadata."""

from __future__ import annotations

import base64
import json
import logging
import re
from collections.abc import Iterator, MutableMapping
from types import SimpleNamespace
from typing import Any, Literal

import anyio
import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from agentcore_mcp import AgentCoreMCP, AgentCoreTransport, Limits, StateSealing, tool
from agentcore_mcp.emulator import Emulator
from agentcore_mcp.server._local import serve_in_thread

from . import harness
from .apps import STATE_KEY, build_app
from .conftest import Runner, fuzz_settings
from .strategies import check_answer

PING = harness.dumps(harness.legacy("ping"))
LOCAL_HOSTS = ("localhost", "127.0.0.1", "[::1]")


# -- Origin ---------------------------------------------------------------------------------------------


def _origin_ok(origin: str, allowed: set[str]) -> bool:
    """The rule docs/wire.md states: an allow-listed origin, or http(s)://localhost|127.0.0.1|[::1][:port]."""
    value = origin.lower().rstrip("/")
    if value in allowed:
        return True
    match = re.fullmatch(r"https?://(localhost|127\.0\.0\.1|\[::1\])(:[0-9]+)?", value)
    return match is not None


origins = st.one_of(
    st.builds(
        lambda scheme, host, port, tail: f"{scheme}://{host}{port}{tail}",
        st.sampled_from(["http", "https", "HTTP", "ftp", "null", ""]),
        st.sampled_from(
            [
                *LOCAL_HOSTS,
                "LOCALHOST",
                "localhost.evil.example",
                "evil.example",
                "127.0.0.1.nip.io",
                "0.0.0.0",
                "127.0.0.2",
                "[::2]",
                "localhost@evil.example",
                "app.example.com",
            ]
        ),
        st.sampled_from(["", ":3000", ":80", ":", ":abc", ":80@evil.example", ":1/x"]),
        st.sampled_from(["", "/", "//"]),
    ),
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=40),
    st.just("null"),
)


@fuzz_settings(300)
@given(origin=origins)
def test_only_local_or_allow_listed_origins_are_served(run: Runner, origin: str) -> None:
    app = AgentCoreMCP("o", allowed_origins=["https://app.example.com"])
    answer = run(harness.call, app, harness.post_scope({"origin": origin}), PING)
    if _origin_ok(origin, {"https://app.example.com"}):
        assert answer.status == 200, origin
    else:
        assert (answer.status, answer.error_code()) == (403, -32600), origin


def test_any_host_is_accepted_but_a_rebinding_origin_is_refused_on_real_uvicorn() -> None:
    with serve_in_thread(build_app()) as base:
        ok = httpx.post(
            f"{base}/mcp",
            content=PING,
            headers={
                "Host": "bedrock-agentcore.us-east-1.amazonaws.com",
                "Accept": harness.ACCEPT,
                "Content-Type": "application/json",
            },
        )
        assert ok.status_code == 200
        rebound = httpx.post(
            f"{base}/mcp",
            content=PING,
            headers={
                "Host": "evil.example:8000",
                "Origin": "http://evil.example:8000",
                "Accept": harness.ACCEPT,
                "Content-Type": "application/json",
            },
        )
        assert rebound.status_code == 403
        assert rebound.json()["error"]["code"] == -32600


def test_localhost_origins_can_be_turned_off(run: Runner) -> None:
    app = AgentCoreMCP("o", allow_localhost_origins=False)
    answer = run(harness.call, app, harness.post_scope({"origin": "http://localhost:3000"}), PING)
    assert answer.status == 403
    assert run(harness.call, app, harness.post_scope(), PING).status == 200  # no Origin: not a browser


# -- body size -------------------------------------------------------------------------------------------


def test_body_limits_by_declared_length_and_by_actual_bytes(run: Runner) -> None:
    app = AgentCoreMCP("b", limits=Limits(max_body_size=len(PING)))
    assert run(harness.call, app, harness.post_scope(), PING).status == 200
    over = PING[:-1] + b" }"
    declared = run(harness.call, app, harness.post_scope({"content-length": str(len(over))}), over)
    assert (declared.status, declared.error_code()) == (413, -32600)
    chunked = run(harness.call, app, harness.post_scope(), [over[:10], over[10:]])
    assert (chunked.status, chunked.error_code()) == (413, -32600)


async def _refused_before_the_body(app: AgentCoreMCP) -> tuple[int, int]:
    reads = 0

    async def receive() -> MutableMapping[str, Any]:
        nonlocal reads
        reads += 1
        return {"type": "http.request", "body": b"x" * 1000, "more_body": True}

    status = 0

    async def send(message: MutableMapping[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    scope = harness.post_scope({"content-length": "200000000"})
    with anyio.fail_after(5):
        await app(scope, receive, send)
    return status, reads


def test_a_declared_oversize_body_is_refused_without_reading_it(run: Runner) -> None:
    assert run(_refused_before_the_body, AgentCoreMCP("b")) == (413, 0)


def test_an_oversize_streamed_body_stops_being_read_at_the_limit(run: Runner) -> None:
    app = AgentCoreMCP("b", limits=Limits(max_body_size=10_000))
    chunks = [b"x" * 1000] * 1000
    answer = run(harness.call, app, harness.post_scope(), chunks)
    assert answer.status == 413


def test_a_declared_oversize_body_on_real_uvicorn_is_413_at_once() -> None:
    with serve_in_thread(AgentCoreMCP("b", limits=Limits(max_body_size=1000))) as base:
        host, port = base.removeprefix("http://").split(":")
        import socket

        with socket.create_connection((host, int(port)), timeout=5) as sock:
            sock.sendall(
                b"POST /mcp HTTP/1.1\r\nHost: x\r\nAccept: application/json, text/event-stream\r\n"
                b"Content-Type: application/json\r\nContent-Length: 100000000\r\n\r\n{"
            )
            assert sock.recv(100).startswith(b"HTTP/1.1 413")


def test_large_request_headers_are_refused_by_the_h11_parser() -> None:
    # uvicorn's h11 parser refuses a header block once more than 16 KB of it is buffered incomplete (a
    # smaller block that arrives in one read passes); httptools has no limit at all: finding F7.
    with serve_in_thread(build_app(), http="h11") as base:
        host, port = base.removeprefix("http://").split(":")
        import socket

        with socket.create_connection((host, int(port)), timeout=5) as sock:
            try:
                sock.sendall(
                    b"POST /mcp HTTP/1.1\r\nHost: x\r\nX-Big: "
                    + b"a" * 1_000_000
                    + b"\r\nContent-Length: 2\r\n\r\n{}"
                )
                status = sock.recv(100).split(b" ")[1]
            except (ConnectionResetError, BrokenPipeError):
                # The server answered and closed while the block was still being sent: a reset, or (when
                # the close lands mid-sendall) a broken pipe; either way the connection was refused.
                status = b"reset"
            assert status in (b"400", b"431", b"reset")


# -- exception text --------------------------------------------------------------------------------------


@pytest.mark.parametrize("era", ["legacy", "modern"])
def test_no_exception_text_or_traceback_reaches_the_client(run: Runner, app: AgentCoreMCP, era: str) -> None:
    for name in ("boom", "unserializable", "wrong_type", "bad_image", "hang"):
        if era == "modern":
            message, headers = harness.modern("tools/call", {"name": name, "arguments": {}})
        else:
            message, headers = harness.legacy("tools/call", {"name": name, "arguments": {}}), {}
        answer = run(harness.call, app, harness.post_scope(headers), harness.dumps(message))
        check_answer(answer, message, headers)  # checks for traceback and exception markers
        text = answer.final()["result"]["content"][0]["text"]
        assert "Error" not in text, text
        assert "object at 0x" not in text, text


# -- secrets in logs -------------------------------------------------------------------------------------

SECRETS = {
    "bearer": "eyJhbGciOi-NOT-A-REAL-TOKEN-bearer-secret-value",
    "wat": "workload-access-token-secret-value-0123",
    "session_token": "aws-session-token-secret-value-4567",
    "secret_key": "aws-secret-access-key-value-89ab",
    "argument": "password-in-an-argument-cdef",
}


@pytest.fixture
def all_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    caplog.set_level(logging.DEBUG)
    for noisy in ("botocore", "urllib3", "hpack", "httpcore", "httpx", "asyncio", "werkzeug"):
        logging.getLogger(noisy).setLevel(logging.INFO)  # third-party debug output is not ours to police
    yield caplog
    for noisy in ("botocore", "urllib3", "hpack", "httpcore", "httpx", "asyncio", "werkzeug"):
        logging.getLogger(noisy).setLevel(logging.NOTSET)


def _logged(caplog: pytest.LogCaptureFixture) -> str:
    lines = []
    for record in caplog.records:
        lines.append(record.getMessage())
        if record.exc_info:
            lines.append(logging.Formatter().formatException(record.exc_info))
    return "\n".join(lines)


def test_the_server_never_logs_tokens_headers_or_arguments(
    run: Runner, app: AgentCoreMCP, all_logs: pytest.LogCaptureFixture
) -> None:
    headers = {
        "authorization": f"Bearer {SECRETS['bearer']}",
        "x-amz-bedrock-agentcore-identity-wat": SECRETS["wat"],
        "workloadaccesstoken": SECRETS["wat"],
        "x-amz-security-token": SECRETS["session_token"],
        "mcp-session-id": "s" * 40,
    }
    calls = [
        ("boom", {}),
        ("add", {"a": SECRETS["argument"], "b": 1}),
        ("typed", {"s": SECRETS["argument"]}),
        ("hang", {}),
        ("unserializable", {}),
        ("nope", {"x": SECRETS["argument"]}),
    ]
    for name, arguments in calls:
        body = harness.dumps(harness.legacy("tools/call", {"name": name, "arguments": arguments}))
        run(harness.call, app, harness.post_scope(headers), body)
    run(harness.call, app, harness.post_scope(headers), b'{"broken": ' + SECRETS["argument"].encode())
    text = _logged(all_logs)
    assert "tool 'boom' raised" in text  # the capture works
    for name, secret in SECRETS.items():
        assert secret not in text, f"the {name} was logged"


async def _client_calls(url: str, **options: Any) -> None:
    from mcp.client import Client

    with anyio.fail_after(30):
        async with Client(AgentCoreTransport(url, **options)) as client:
            await client.call_tool("boom", {})
            await client.call_tool("add", {"a": SECRETS["argument"], "b": 1})


def test_the_emulator_and_the_client_never_log_credentials(all_logs: pytest.LogCaptureFixture) -> None:
    import boto3  # type: ignore[import-untyped]
    from botocore.config import Config  # type: ignore[import-untyped]

    secrets = dict(SECRETS)
    emulator = Emulator(credentials={"AKIDRELIABILITY": secrets["secret_key"]}, control_plane=False)
    jwt_runtime = emulator.add_runtime(build_app(), name="oauth_rel", auth="jwt", allowed_clients=["rel"])
    sig_runtime = emulator.add_runtime(build_app(), name="sigv4_rel", auth="sigv4")
    with emulator.serve() as endpoint:
        token = emulator.mint_token(client_id="rel")
        secrets["minted"] = token
        anyio.run(lambda: _client_calls(emulator.invocations_url(jwt_runtime), bearer_token=token))
        expired = emulator.mint_token(client_id="rel", expires_in=-120)
        secrets["expired"] = expired
        refused = httpx.post(
            emulator.invocations_url(jwt_runtime),
            content=PING,
            headers={
                "Authorization": f"Bearer {expired}",
                "Accept": harness.ACCEPT,
                "Content-Type": "application/json",
            },
        )
        assert refused.status_code == 401
        client = boto3.client(
            "bedrock-agentcore",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="AKIDRELIABILITY",
            aws_secret_access_key=secrets["secret_key"],
            config=Config(retries={"max_attempts": 1}),
        )
        reply = client.invoke_agent_runtime(
            agentRuntimeArn=sig_runtime.arn,
            payload=PING,
            contentType="application/json",
            accept=harness.ACCEPT,
        )
        signature_header = reply["ResponseMetadata"]["HTTPHeaders"]
        assert reply["statusCode"] == 200, signature_header
        bad = boto3.client(
            "bedrock-agentcore",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="AKIDRELIABILITY",
            aws_secret_access_key="wrong-" + secrets["secret_key"],
            config=Config(retries={"max_attempts": 1}),
        )
        with pytest.raises(bad.exceptions.ClientError):
            bad.invoke_agent_runtime(
                agentRuntimeArn=sig_runtime.arn,
                payload=PING,
                contentType="application/json",
                accept=harness.ACCEPT,
            )
    text = _logged(all_logs)
    assert "invoke" in text  # the emulator's request log was captured
    for name, secret in secrets.items():
        assert secret not in text, f"the {name} was logged"
    for part in (secrets["minted"].split(".")[2], secrets["expired"].split(".")[2]):
        assert part not in text, "a token signature was logged"
    assert not re.search(r"Signature=[0-9a-f]{64}", text), "a SigV4 signature was logged"


# -- sealed requestState ---------------------------------------------------------------------------------


def _ask(run: Runner, app: AgentCoreMCP, params: dict[str, Any]) -> harness.Answer:
    params = {"name": "ask_name", "arguments": {}, **params}
    meta: dict[str, Any] = {"io.modelcontextprotocol/clientCapabilities": {"elicitation": {}}}
    message, headers = harness.modern("tools/call", {**params, "_meta": meta})
    return run(harness.call, app, harness.post_scope(headers), harness.dumps(message))


def _first_round(run: Runner, app: AgentCoreMCP) -> str:
    answer = _ask(run, app, {})
    result = answer.final()["result"]
    assert result["resultType"] == "input_required"
    state: str = result["requestState"]
    return state


ACCEPT_NAME = {"elicitation": {"action": "accept", "content": {"name": "ada"}}}


def test_a_sealed_state_completes_the_round(run: Runner, app: AgentCoreMCP) -> None:
    state = _first_round(run, app)
    done = _ask(run, app, {"requestState": state, "inputResponses": ACCEPT_NAME}).final()["result"]
    assert done["content"][0]["text"] == "hello ada"


@fuzz_settings(200)
@given(data=st.data())
def test_any_tampering_with_request_state_is_400_invalid_params(
    run: Runner, app: AgentCoreMCP, data: st.DataObject
) -> None:
    state = _first_round(run, app)
    position = data.draw(st.integers(0, len(state) - 1))
    replacement = data.draw(st.sampled_from("ABCDEFabcdef0123456789-_.=+/ "))
    tampered = state[:position] + replacement + state[position + 1 :]
    tampered = data.draw(
        st.sampled_from([tampered, tampered + "x", state[:position], state.replace(".", "..", 1)])
    )
    if tampered == state:
        return
    answer = _ask(run, app, {"requestState": tampered, "inputResponses": ACCEPT_NAME})
    assert (answer.status, answer.error_code()) == (400, -32602)
    assert answer.final()["error"]["message"] == "Invalid requestState"


def test_a_forged_payload_with_the_old_signature_is_refused(run: Runner, app: AgentCoreMCP) -> None:
    version, kid, encoded, signature = _first_round(run, app).split(".")
    body = json.loads(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    body["p"]["answers"] = {"elicitation": {"action": "accept", "content": {"name": "mallory"}}}
    body["exp"] += 10_000
    forged = base64.urlsafe_b64encode(json.dumps(body).encode()).rstrip(b"=").decode()
    answer = _ask(run, app, {"requestState": f"{version}.{kid}.{forged}.{signature}"})
    assert (answer.status, answer.error_code()) == (400, -32602)


def test_a_state_replayed_against_other_arguments_or_another_tool_is_refused(
    run: Runner, app: AgentCoreMCP
) -> None:
    state = _first_round(run, app)
    other_args = _ask(
        run, app, {"arguments": {"extra": 1}, "requestState": state, "inputResponses": ACCEPT_NAME}
    )
    assert (other_args.status, other_args.error_code()) == (400, -32602)
    message, headers = harness.modern(
        "tools/call", {"name": "echo", "arguments": {"text": "x"}, "requestState": state}
    )
    other_tool = run(harness.call, app, harness.post_scope(headers), harness.dumps(message))
    assert (other_tool.status, other_tool.error_code()) == (400, -32602)


def test_expired_and_foreign_key_states_are_refused_and_rotation_keeps_old_ones(run: Runner) -> None:
    expiring = build_app(sealing=StateSealing(keys=(STATE_KEY,), ttl=-1))
    state = _first_round(run, expiring)
    expired = _ask(run, expiring, {"requestState": state, "inputResponses": ACCEPT_NAME})
    assert (expired.status, expired.error_code()) == (400, -32602)
    old = build_app(sealing=StateSealing(keys=("an-old-key-0123456789abcdef",)))
    state = _first_round(run, old)
    foreign = _ask(run, build_app(), {"requestState": state, "inputResponses": ACCEPT_NAME})
    assert (foreign.status, foreign.error_code()) == (400, -32602)
    rotated = build_app(sealing=StateSealing(keys=(STATE_KEY, "an-old-key-0123456789abcdef")))
    done = _ask(run, rotated, {"requestState": state, "inputResponses": ACCEPT_NAME}).final()["result"]
    assert done["content"][0]["text"] == "hello ada"


def test_non_string_and_oversize_states_are_refused(run: Runner, app: AgentCoreMCP) -> None:
    states: list[Any] = [1, None, [], {"p": {}}, "s1." + "a" * 1_100_000, "", "s1...."]
    for state in states:
        answer = _ask(run, app, {"requestState": state, "inputResponses": ACCEPT_NAME})
        if state is None:
            continue  # no state: a first round
        assert (answer.status, answer.error_code()) == (400, -32602), state


# -- CR/LF header injection from tool metadata ---------------------------------------------------------


EVIL = "evil\r\nX-Injected: 1"


def test_a_tool_name_with_crlf_is_served_without_reaching_any_header(run: Runner) -> None:
    def named(text: str) -> str:
        return text

    app = AgentCoreMCP("inj", tools=[tool(name=EVIL)(named)])
    listed = run(harness.call, app, harness.post_scope(), harness.dumps(harness.legacy("tools/list")))
    assert listed.final()["result"]["tools"][0]["name"] == EVIL
    message, headers = harness.modern("tools/call", {"name": EVIL, "arguments": {"text": "ok"}})
    assert headers["mcp-name"].startswith("=?base64?")
    answer = run(
        harness.call, app, harness.post_scope(headers), harness.dumps(message)
    )  # header checks in harness
    assert answer.final()["result"]["content"][0]["text"] == "ok"
    raw = dict(headers, **{"mcp-name": EVIL.replace("\r\n", "")})
    mismatch = run(harness.call, app, harness.post_scope(raw), harness.dumps(message))
    assert (mismatch.status, mismatch.error_code()) == (400, -32020)


@pytest.mark.parametrize("backend", ["http", "httpx"])
def test_the_client_transport_refuses_crlf_in_header_names_and_values(
    backend: Literal["http", "httpx"],
) -> None:
    from mcp.shared.message import SessionMessage
    from mcp.types import JSONRPCRequest

    seen: list[list[tuple[bytes, bytes]]] = []
    inner = build_app()

    async def spy(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            seen.append(list(scope["headers"]))
        await inner(scope, receive, send)

    async def exchange(url: str, headers: dict[str, str]) -> Any:
        with anyio.fail_after(20):
            async with AgentCoreTransport(url, backend=backend) as (read, write):
                request = JSONRPCRequest(jsonrpc="2.0", id=1, method="tools/list", params={})
                await write.send(SessionMessage(request, metadata=SimpleNamespace(headers=headers)))  # type: ignore[arg-type]
                return await read.receive()

    with serve_in_thread(spy) as base:
        for headers in ({"Mcp-Name": EVIL}, {"Mcp-Param-" + EVIL: "v"}, {"X-Ok": "v\nX-Injected: 2"}):
            answer = anyio.run(exchange, f"{base}/mcp", headers)
            error = getattr(answer.message, "error", None)
            assert error is not None, answer
            assert "header" in error.message.lower(), error.message  # refused before sending, and says why
    assert all(not any(k.startswith(b"x-injected") for k, _ in got) for got in seen)


# -- SSE event size on the client side --------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["http", "httpx"])
def test_the_client_transport_refuses_an_sse_event_over_its_limit(backend: Literal["http", "httpx"]) -> None:
    from mcp.client import Client
    from mcp.shared.exceptions import MCPError

    async def calls(url: str) -> tuple[str, str]:
        with anyio.fail_after(30):
            transport = AgentCoreTransport(url, backend=backend, max_event_size=1_000_000)
            async with Client(transport) as client:
                small = await client.call_tool("big_event", {"size": 500_000}, progress_callback=_ignore)
                with pytest.raises(MCPError, match="limit") as refused:
                    await client.call_tool("big_event", {"size": 2_000_000}, progress_callback=_ignore)
                after = await client.call_tool("echo", {"text": "still fine"})
        assert small.content[0].text == "sent"  # type: ignore[union-attr]
        return str(refused.value), after.content[0].text  # type: ignore[union-attr]

    with serve_in_thread(build_app()) as base:
        message, after = anyio.run(calls, f"{base}/mcp")
    assert "limit" in message, message
    assert after == "still fine"


async def _ignore(progress: float, total: float | None, message: str | None) -> None:
    return None
