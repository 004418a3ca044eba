"""Every HTTP-level path of the endpoint, on real uvicorn, with the exact status and JSON-RPC code."""

from __future__ import annotations

import httpx
import pytest

from agentcore_mcp import AgentCoreMCP, Limits
from agentcore_mcp.server._local import serve_in_thread

from .helpers import legacy_request, modern_request, post, rpc_error

LIST = legacy_request("tools/list")


def test_ping_route_reports_healthy(demo_url: str) -> None:
    response = httpx.get(demo_url.replace("/mcp", "/ping"))
    assert response.status_code == 200
    assert response.json() == {"status": "Healthy"}


@pytest.mark.parametrize("method", ["GET", "DELETE", "PUT", "PATCH"])
def test_methods_other_than_post_get_405_with_allow_post(demo_url: str, method: str) -> None:
    response = httpx.request(method, demo_url, headers={"Accept": "text/event-stream"})
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"


def test_unknown_path_is_404(demo_url: str) -> None:
    assert post(demo_url.replace("/mcp", "/other"), LIST).status_code == 404


def test_trailing_slash_is_served_without_redirect(demo_url: str) -> None:
    response = post(demo_url + "/", LIST)
    assert response.status_code == 200
    assert len(response.json()["result"]["tools"]) == 3


@pytest.mark.parametrize("accept", [None, "application/json", "text/event-stream", "text/html"])
def test_accept_without_both_types_is_406(demo_url: str, accept: str | None) -> None:
    response = post(demo_url, LIST, accept=accept)
    assert response.status_code == 406
    assert response.json()["error"]["code"] == -32600


@pytest.mark.parametrize(
    "accept",
    ["*/*", "application/json;q=0.9, text/event-stream;q=0.8", "TEXT/EVENT-STREAM, APPLICATION/JSON"],
)
def test_accept_variants_that_admit_both_are_served(demo_url: str, accept: str) -> None:
    assert post(demo_url, LIST, accept=accept).status_code == 200


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
def test_wrong_content_type_is_415(demo_url: str, content_type: str | None) -> None:
    assert post(demo_url, LIST, content_type=content_type).status_code == 415


def test_content_type_with_charset_is_accepted(demo_url: str) -> None:
    assert post(demo_url, LIST, content_type="application/json; charset=utf-8").status_code == 200


@pytest.mark.parametrize(
    "body", [b"{not json", b"", b'{"jsonrpc": "2.0", "id": 1, "method": "ping"', b"\xff\xfe{}"]
)
def test_malformed_json_is_400_parse_error(demo_url: str, body: bytes) -> None:
    response = post(demo_url, content=body)
    assert rpc_error(response) == (400, -32700)
    assert response.json()["id"] is None


@pytest.mark.parametrize(
    "body",
    [
        [legacy_request("ping")],
        42,
        "ping",
        {"id": 1, "method": "ping"},
        {"jsonrpc": "1.0", "id": 1, "method": "ping"},
        {"jsonrpc": "2.0", "id": None, "method": "ping"},
        {"jsonrpc": "2.0", "id": True, "method": "ping"},
        {"jsonrpc": "2.0", "id": 1.5, "method": "ping"},
        {"jsonrpc": "2.0", "id": 1, "method": 7},
        {"jsonrpc": "2.0", "id": 1},
        {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": "x"},
        {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": 3},
    ],
)
def test_invalid_requests_are_400_invalid_request(demo_url: str, body: object) -> None:
    assert rpc_error(post(demo_url, body)) == (400, -32600)


@pytest.mark.parametrize("method", ["tools/call", "tools/list", "ping"])
def test_params_as_an_array_are_invalid_params_not_an_invalid_request(demo_url: str, method: str) -> None:
    # JSON-RPC allows by-position params (an array); MCP's methods take named ones: -32602, in either era.
    legacy = {"jsonrpc": "2.0", "id": 1, "method": method, "params": ["add_numbers", {"a": 1}]}
    assert rpc_error(post(demo_url, legacy)) == (200, -32602)
    modern_headers = {"MCP-Protocol-Version": "2026-07-28", "Mcp-Method": method}
    assert rpc_error(post(demo_url, legacy, headers=modern_headers)) == (400, -32602)
    assert post(demo_url, legacy).json()["id"] == 1


def test_a_notification_with_array_params_gets_202(demo_url: str) -> None:
    body = {"jsonrpc": "2.0", "method": "notifications/initialized", "params": []}
    assert post(demo_url, body).status_code == 202


def test_invalid_request_echoes_a_usable_id(demo_url: str) -> None:
    response = post(demo_url, {"jsonrpc": "1.0", "id": 7, "method": "ping"})
    assert response.json()["id"] == 7


def test_notifications_get_202_and_no_body(demo_url: str) -> None:
    for body in (
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 1}},
    ):
        response = post(demo_url, body, headers={"MCP-Protocol-Version": "2025-11-25"})
        assert response.status_code == 202
        assert response.content == b""


def test_an_answer_nobody_waits_for_is_404_and_the_server_keeps_serving(demo_url: str) -> None:
    for body in (
        {"jsonrpc": "2.0", "id": 5, "result": {}},
        {"jsonrpc": "2.0", "id": "srv-x", "error": {"code": 1, "message": "no"}},
    ):
        response = post(demo_url, body, headers={"MCP-Protocol-Version": "2025-11-25"})
        assert rpc_error(response) == (404, -32602)
    assert post(demo_url, legacy_request("ping")).json()["result"] == {}


def test_unknown_method_is_200_method_not_found_in_the_legacy_era(demo_url: str) -> None:
    assert rpc_error(post(demo_url, legacy_request("foo/bar"))) == (200, -32601)


def test_unknown_method_is_404_method_not_found_in_the_modern_era(demo_url: str) -> None:
    body, headers = modern_request("foo/bar")
    assert rpc_error(post(demo_url, body, headers=headers)) == (404, -32601)


@pytest.mark.parametrize(
    "params",
    [{"name": 5}, {"name": "add_numbers", "arguments": [1, 2]}, {"name": "nope", "arguments": {}}, {}],
)
def test_bad_tools_call_params_are_invalid_params_in_both_eras(
    demo_url: str, params: dict[str, object]
) -> None:
    assert rpc_error(post(demo_url, legacy_request("tools/call", params))) == (200, -32602)
    body, headers = modern_request("tools/call", params)
    headers.pop("Mcp-Name", None)
    if isinstance(params.get("name"), str):
        headers["Mcp-Name"] = str(params["name"])
    assert rpc_error(post(demo_url, body, headers=headers)) == (400, -32602)


def test_origin_not_allowed_is_403(demo_url: str) -> None:
    response = post(demo_url, LIST, headers={"Origin": "http://evil.example.com"})
    assert response.status_code == 403


@pytest.mark.parametrize("origin", ["http://localhost:3000", "http://127.0.0.1", "https://[::1]:8443"])
def test_localhost_origins_are_allowed(demo_url: str, origin: str) -> None:
    assert post(demo_url, LIST, headers={"Origin": origin}).status_code == 200


def test_origin_with_a_lookalike_host_is_refused(demo_url: str) -> None:
    assert post(demo_url, LIST, headers={"Origin": "http://localhost.evil.com"}).status_code == 403


def test_configured_origins_are_allowed_and_others_refused() -> None:
    app = AgentCoreMCP("o", allowed_origins=["https://app.example.com"], allow_localhost_origins=False)
    with serve_in_thread(app) as base:
        assert post(f"{base}/mcp", LIST, headers={"Origin": "https://app.example.com"}).status_code == 200
        assert post(f"{base}/mcp", LIST, headers={"Origin": "http://localhost:1"}).status_code == 403


@pytest.mark.parametrize(
    "host", ["10.0.3.7:8000", "mcp.example.com", "bedrock-agentcore.us-west-2.amazonaws.com"]
)
def test_any_host_is_served_by_default(demo_url: str, host: str) -> None:
    assert post(demo_url, LIST, headers={"Host": host}).status_code == 200


def test_configured_hosts_turn_the_host_check_on_with_421(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENTCORE_MCP_ALLOWED_HOSTS", "env.example")
    app = AgentCoreMCP("h", allowed_hosts=["*.internal.example"])
    with serve_in_thread(app) as base:
        for host in ("a.internal.example:8000", "env.example", "bedrock-agentcore.eu-west-1.amazonaws.com"):
            assert post(f"{base}/mcp", LIST, headers={"Host": host}).status_code == 200, host
        refused = post(f"{base}/mcp", LIST, headers={"Host": "10.0.3.7:8000"})
        assert rpc_error(refused) == (421, -32600)
        assert refused.json()["error"]["message"] == "Misdirected Request: Host not allowed"
        # The health route answers any Host: a probe addresses the pod by its IP.
        assert httpx.get(f"{base}/ping", headers={"Host": "10.0.3.7:8000"}).status_code == 200


def test_body_over_the_limit_is_413_by_declared_length_and_by_streamed_length() -> None:
    app = AgentCoreMCP("small", limits=Limits(max_body_size=1_000))
    with serve_in_thread(app) as base:
        url = f"{base}/mcp"
        big = b'{"jsonrpc":"2.0","id":1,"method":"ping","params":{"pad":"' + b"x" * 5_000 + b'"}}'
        assert post(url, content=big).status_code == 413

        def chunks():  # no Content-Length: the server must count as it reads
            for i in range(0, len(big), 512):
                yield big[i : i + 512]

        response = httpx.post(
            url,
            content=chunks(),
            headers={"Accept": "application/json, text/event-stream", "Content-Type": "application/json"},
        )
        assert response.status_code == 413
        # The server keeps serving afterwards.
        assert post(url, legacy_request("ping")).json()["result"] == {}


def test_invalid_content_length_is_400(demo_url: str) -> None:
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(demo_url)
    with socket.create_connection((parts.hostname, parts.port), timeout=5) as sock:
        sock.sendall(
            b"POST /mcp HTTP/1.1\r\nHost: x\r\nAccept: application/json, text/event-stream\r\n"
            b"Content-Type: application/json\r\nContent-Length: abc\r\n\r\n"
        )
        reply = sock.recv(4096)
    assert reply.split(b" ", 2)[1] == b"400"


def test_any_host_and_platform_session_headers_are_accepted_in_both_eras(demo_url: str) -> None:
    platform = {
        "Host": "bedrock-agentcore.us-west-2.amazonaws.com",
        "Mcp-Session-Id": "a1b2c3d4-platform-minted-session-0000000000",
        "X-Amzn-Bedrock-AgentCore-Runtime-Session-Id": "runtime-session-0123456789abcdef0123456789",
        "X-Amzn-Trace-Id": "Root=1-5759e988-bd862e3fe1be46a994272793",
    }
    legacy = post(
        demo_url,
        legacy_request("tools/call", {"name": "add_numbers", "arguments": {"a": 1, "b": 2}}),
        headers={**platform, "MCP-Protocol-Version": "2025-11-25"},
    )
    assert legacy.status_code == 200
    assert legacy.json()["result"]["structuredContent"] == {"result": 3}
    body, headers = modern_request("tools/call", {"name": "add_numbers", "arguments": {"a": 1, "b": 2}})
    modern = post(demo_url, body, headers={**platform, **headers})
    assert modern.status_code == 200
    assert modern.json()["result"]["structuredContent"] == {"result": 3}
    # Stateless: the server never mints or echoes a session id of its own.
    assert "mcp-session-id" not in legacy.headers
    assert "mcp-session-id" not in modern.headers


def test_initialize_without_session_id_mints_none(demo_url: str) -> None:
    response = post(
        demo_url,
        legacy_request(
            "initialize",
            {
                "protocolVersion": "2025-11-25",
                "capabilities": {},
                "clientInfo": {"name": "t", "version": "0"},
            },
        ),
    )
    assert response.status_code == 200
    assert "mcp-session-id" not in response.headers


def test_a_large_cached_list_goes_out_in_pieces_and_arrives_whole() -> None:
    # 400 tools with long descriptions: the tools/list result is far over the size sent without copying.
    app = AgentCoreMCP("many")
    for i in range(400):

        def fn(a: int, b: str = "x") -> int:
            return a

        app.add_tool(
            fn, name=f"tool_{i:03}", description=f"Tool number {i}. " + "Describes itself at length. " * 8
        )
    with serve_in_thread(app) as base:
        for request_id in (1, "two", 3):
            request = legacy_request("tools/list")
            request["id"] = request_id
            response = post(f"{base}/mcp", request, headers={"Accept-Encoding": "identity"})
            assert response.status_code == 200
            assert int(response.headers["content-length"]) == len(response.content) > 64 * 1024
            answer = response.json()
            assert answer["id"] == request_id
            assert [t["name"] for t in answer["result"]["tools"]] == [f"tool_{i:03}" for i in range(400)]
        # The modern era's cached page (stamped with its own _meta) arrives whole too.
        body, headers = modern_request("tools/list")
        modern = post(f"{base}/mcp", body, headers=headers)
        assert modern.status_code == 200
        assert len(modern.json()["result"]["tools"]) == 400
