"""Real boto3 ``invoke_agent_runtime`` / ``stop_runtime_session`` through the emulator, as on AgentCore."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from agentcore_mcp.emulator import Emulator, Runtime
from tests.emulator import apps
from tests.emulator.conftest import (
    ACCEPT,
    agentcore,
    initialize_body,
    invoke,
    legacy,
)

MODERN = "2026-07-28"


@pytest.fixture
def served(emulator: Emulator, tests_app_url: str) -> Iterator[tuple[Any, Runtime, Runtime]]:
    """(boto3 client, a SigV4 runtime in front of the loopback server, one in front of the in-process app)."""
    over_http = emulator.add_runtime(tests_app_url, name="demo_http", auth="sigv4")
    in_process = emulator.add_runtime(apps.app, name="demo_asgi", auth="sigv4")
    with emulator.serve() as url:
        yield agentcore(url), over_http, in_process


def _modern(method: str, params: dict[str, Any] | None = None, id: int = 1) -> dict[str, Any]:
    meta = {
        "io.modelcontextprotocol/protocolVersion": MODERN,
        "io.modelcontextprotocol/clientCapabilities": {},
    }
    return legacy(method, {**(params or {}), "_meta": meta}, id)


@pytest.mark.parametrize("which", ["over_http", "in_process"])
def test_boto3_runs_initialize_list_and_call_of_the_demo_tools(
    served: tuple[Any, Runtime, Runtime], which: str
) -> None:
    client, over_http, in_process = served
    arn = (over_http if which == "over_http" else in_process).arn

    answer, init = invoke(client, arn, initialize_body(), mcpProtocolVersion="2025-11-25")
    assert answer["statusCode"] == 200
    assert init["result"]["serverInfo"]["name"] == "emulator-tests"
    session = answer["mcpSessionId"]
    assert answer["runtimeSessionId"] == session
    assert 33 <= len(session) <= 100
    assert answer["mcpProtocolVersion"] == "2025-11-25"
    assert answer["contentType"] == "application/json"

    common = {"mcpSessionId": session, "runtimeSessionId": session, "mcpProtocolVersion": "2025-11-25"}
    answer, listed = invoke(client, arn, legacy("tools/list", id=2), **common)
    assert {"add_numbers", "multiply_numbers", "greet_user"} <= {t["name"] for t in listed["result"]["tools"]}
    assert answer["mcpSessionId"] == session

    for name, args, text in [
        ("add_numbers", {"a": 2, "b": 3}, "5"),
        ("multiply_numbers", {"a": 4, "b": -5}, "-20"),
        ("greet_user", {"name": "Ada"}, "Hello, Ada! Nice to meet you."),
    ]:
        _, called = invoke(
            client, arn, legacy("tools/call", {"name": name, "arguments": args}, id=3), **common
        )
        assert called["result"]["content"][0]["text"] == text
        assert not called["result"]["isError"]


def test_boto3_speaks_the_modern_era_with_mcp_method_and_name_headers(
    served: tuple[Any, Runtime, Runtime],
) -> None:
    client, over_http, _ = served
    answer, discovered = invoke(client, over_http.arn, _modern("server/discover"), mcpProtocolVersion=MODERN)
    assert MODERN in discovered["result"]["supportedVersions"]
    assert answer["mcpProtocolVersion"] == MODERN
    body = _modern("tools/call", {"name": "add_numbers", "arguments": {"a": 20, "b": 22}})
    _, called = invoke(client, over_http.arn, body, mcpProtocolVersion=MODERN)
    assert called["result"]["structuredContent"] == {"result": 42}
    # A header that disagrees with the body is the server's -32020 (HTTP 400), passed through unchanged.
    with pytest.raises(client.exceptions.ClientError) as caught:
        invoke(client, over_http.arn, body, mcpProtocolVersion=MODERN, mcpName="multiply_numbers")
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_sse_answers_stream_through_as_they_are_produced(served: tuple[Any, Runtime, Runtime]) -> None:
    """The first progress event arrives while the tool still waits for the test's cue: nothing is buffered."""
    client, over_http, in_process = served
    for runtime in (over_http, in_process):
        apps.CUE.clear()
        body = legacy(
            "tools/call", {"name": "stream_on_cue", "arguments": {}, "_meta": {"progressToken": "p"}}
        )
        answer = client.invoke_agent_runtime(
            agentRuntimeArn=runtime.arn,
            payload=json.dumps(body).encode(),
            contentType="application/json",
            accept=ACCEPT,
            mcpMethod="tools/call",
            mcpName="stream_on_cue",
        )
        assert answer["contentType"].startswith("text/event-stream")
        # Read byte by byte: botocore's default 1 KB reads would wait for 1 KB to arrive.
        lines = answer["response"].iter_lines(chunk_size=1)
        first = next(line for line in lines if line.startswith(b"data:"))
        assert json.loads(first[5:])["params"]["message"] == "first"
        assert not apps.CUE.is_set()  # the tool is still running: the event was not held back
        threading.Timer(0, apps.CUE.set).start()
        rest = [json.loads(line[5:]) for line in lines if line.startswith(b"data:")]
        assert rest[0]["params"]["message"] == "second"
        assert rest[-1]["result"]["content"][0]["text"] == "done"


def test_stop_runtime_session_ends_the_session(
    emulator: Emulator, served: tuple[Any, Runtime, Runtime]
) -> None:
    client, over_http, _ = served
    answer, _ = invoke(client, over_http.arn, initialize_body())
    session = answer["runtimeSessionId"]
    assert emulator.session(session) is not None
    stopped = client.stop_runtime_session(agentRuntimeArn=over_http.arn, runtimeSessionId=session)
    assert stopped["statusCode"] == 200
    assert stopped["runtimeSessionId"] == session
    assert emulator.session(session) is None
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.stop_runtime_session(agentRuntimeArn=over_http.arn, runtimeSessionId=session)


def test_the_platform_injects_and_forwards_headers_as_agentcore_does(
    emulator: Emulator, tests_app_url: str
) -> None:
    runtime = emulator.add_runtime(tests_app_url, name="headers", auth="sigv4", header_allowlist=["X-Team"])
    emulator.invoke_for_user = True  # the caller names a user (runtimeUserId): InvokeAgentRuntimeForUser
    with emulator.serve() as url:
        client = agentcore(url)

        def add_headers(request: Any, **_: Any) -> None:
            request.headers["X-Team"] = "blue"
            request.headers["X-Not-Allowed"] = "dropped"
            request.headers["X-Amzn-Bedrock-AgentCore-Runtime-Custom-Tenant"] = "acme"

        client.meta.events.register_first("before-sign.bedrock-agentcore.InvokeAgentRuntime", add_headers)
        body = legacy("tools/call", {"name": "whoami", "arguments": {}})
        answer, called = invoke(
            client,
            runtime.arn,
            body,
            runtimeUserId="user-7",
            traceParent="00-" + "a" * 32 + "-" + "b" * 16 + "-01",
        )
    seen = called["result"]["structuredContent"]["headers"]
    assert seen["host"] == "bedrock-agentcore.us-east-1.amazonaws.com"
    assert seen["mcp-session-id"] == answer["mcpSessionId"]  # generated by the platform, sent to the server
    assert seen["x-amzn-bedrock-agentcore-runtime-session-id"] == answer["runtimeSessionId"]
    assert seen["x-amzn-bedrock-agentcore-runtime-request-id"] == answer["ResponseMetadata"]["RequestId"]
    assert seen["x-amzn-bedrock-agentcore-runtime-user-id"] == "user-7"
    assert seen["traceparent"] == answer["traceParent"]
    assert seen["x-amzn-trace-id"].startswith("Root=1-")
    assert seen["workloadaccesstoken"]
    assert seen["workloadaccesstoken"] == seen["x-amz-bedrock-agentcore-identity-wat"]
    assert seen["x-team"] == "blue"
    assert seen["x-amzn-bedrock-agentcore-runtime-custom-tenant"] == "acme"
    for dropped in ("x-not-allowed", "authorization", "x-amz-date", "user-agent"):
        assert seen[dropped] is None, dropped


def test_the_same_session_id_reaches_the_same_microvm(
    emulator: Emulator, served: tuple[Any, Runtime, Runtime]
) -> None:
    client, over_http, _ = served
    first, _ = invoke(client, over_http.arn, initialize_body())
    session = emulator.session(first["mcpSessionId"])
    assert session is not None
    # boto3 fills in a new runtime session id on every call; the Mcp-Session-Id keeps the affinity.
    again, _ = invoke(client, over_http.arn, legacy("tools/list"), mcpSessionId=first["mcpSessionId"])
    assert again["mcpSessionId"] == first["mcpSessionId"]
    assert emulator.session(first["mcpSessionId"]) is session
    assert session.invocations == 2
