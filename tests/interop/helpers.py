"""Requests shaped like the ones AgentCore Runtime forwards to an MCP container, sent with plain httpx."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

AGENTCORE_HOST = "bedrock-agentcore.us-west-2.amazonaws.com"
ACCEPT = "application/json, text/event-stream"


def platform_headers(session_id: str | None = None) -> dict[str, str]:
    """The headers the platform sets: its Host, a session id it minted, the runtime ids, trace context."""
    session_id = session_id or f"platform-{uuid.uuid4()}"
    return {
        "Host": AGENTCORE_HOST,
        "Accept": ACCEPT,
        "Content-Type": "application/json",
        "Mcp-Session-Id": session_id,
        "X-Amzn-Bedrock-AgentCore-Runtime-Session-Id": session_id,
        "X-Amzn-Bedrock-AgentCore-Runtime-Request-Id": str(uuid.uuid4()),
        "X-Amzn-Trace-Id": "Root=1-00000000-000000000000000000000000",
    }


def initialize(version: str = "2025-06-18") -> dict[str, Any]:
    return {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": version,
            "capabilities": {},
            "clientInfo": {"name": "tests", "version": "0"},
        },
    }


INITIALIZED = {"jsonrpc": "2.0", "method": "notifications/initialized"}
TOOLS_LIST = {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}
ADD = {
    "jsonrpc": "2.0",
    "id": 3,
    "method": "tools/call",
    "params": {"name": "add_numbers", "arguments": {"a": 2, "b": 3}},
}


def post(url: str, body: Any, headers: dict[str, str]) -> httpx.Response:
    with httpx.Client(timeout=10) as client:
        return client.post(url, json=body, headers=headers)


def assert_platform_conversation(url: str) -> None:
    """The handshake-era exchange the platform relays, under two different platform session ids."""
    for session_id in (f"platform-{uuid.uuid4()}", f"another-{uuid.uuid4()}"):
        headers = platform_headers(session_id)
        first = post(url, initialize(), headers)
        assert first.status_code == 200, first.text
        assert first.headers["content-type"].startswith("application/json")
        assert first.json()["result"]["protocolVersion"] == "2025-06-18"
        assert "mcp-session-id" not in first.headers  # stateless: nothing minted, the platform's id is enough
        assert post(url, INITIALIZED, headers).status_code == 202
        listed = post(url, TOOLS_LIST, headers)
        assert listed.status_code == 200, listed.text
        assert "add_numbers" in {t["name"] for t in listed.json()["result"]["tools"]}
        called = post(url, ADD, headers)
        assert called.status_code == 200, called.text
        assert called.headers["content-type"].startswith("application/json")
        assert called.json()["result"]["structuredContent"] == {"result": 5}


def assert_origin_checked(url: str) -> None:
    """A foreign Origin is refused with 403 before the SDK sees the request; a local one passes."""
    foreign = post(url, ADD, {**platform_headers(), "Origin": "https://evil.example"})
    assert foreign.status_code == 403
    assert foreign.json()["error"]["message"] == "Forbidden: Origin not allowed"
    local = post(url, ADD, {**platform_headers(), "Origin": "http://localhost:3000"})
    assert local.status_code == 200, local.text


def assert_edge(url: str) -> None:
    """The edge our own server has: any Host (no allow-list configured), ``/ping`` healthy, 405 with
    ``Allow: POST`` for GET at once (no stream left open), 406 for an ``Accept`` naming JSON only."""
    for host in (
        "bedrock-agentcore.eu-central-1.amazonaws.com",
        "localhost:8000",
        "10.0.3.7:8000",
        "mcp.example.com",
    ):
        ok = post(url, ADD, {**platform_headers(), "Host": host})
        assert ok.status_code == 200, (host, ok.text)
    ping = httpx.get(url.removesuffix("/mcp") + "/ping", timeout=5)
    assert (ping.status_code, ping.json()) == (200, {"status": "Healthy"})
    get = httpx.get(url, headers={"Accept": "text/event-stream"}, timeout=5)
    assert (get.status_code, get.headers["allow"]) == (405, "POST")
    json_only = post(url, ADD, {**platform_headers(), "Accept": "application/json"})
    assert json_only.status_code == 406
    assert json_only.json()["error"]["code"] == -32600


def assert_path(base: str) -> None:
    """The endpoint is /mcp; /mcp/ is served in place (no redirect to follow through the platform)."""
    for path in ("/mcp", "/mcp/"):
        answer = post(base + path, ADD, platform_headers())
        assert answer.status_code == 200, (path, answer.status_code)
    assert post(base + "/invocations", ADD, platform_headers()).status_code == 404
