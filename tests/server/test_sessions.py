"""Session mode: minted and adopted ids, per-session state, the GET stream, resumption, DELETE, expiry."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import anyio
import httpx
import pytest
from mcp.client import Client

from agentcore_mcp import AgentCoreMCP, Context, resource, tool
from agentcore_mcp.server._local import serve_in_thread
from agentcore_mcp.server._session_store import SessionStore

from .helpers import legacy_request, modern_request, post, rpc_error

INIT = {
    "protocolVersion": "2025-11-25",
    "capabilities": {"sampling": {}},
    "clientInfo": {"name": "t", "version": "1"},
}


@tool
async def chatty(ctx: Context) -> dict[str, object]:
    await ctx.debug("debug line")
    await ctx.warning("warning line")
    return {
        "sampling": ctx.client_supports("sampling"),
        "roots": ctx.client_supports("roots"),
        "session": ctx.session_id,
    }


@resource("live://counter")
def counter() -> str:
    return "1"


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[AgentCoreMCP, str]]:
    app = AgentCoreMCP("s", tools=[chatty], resources=[counter], sessions=True, keepalive=0.2)
    with serve_in_thread(app) as base:
        yield app, f"{base}/mcp"


def _sse(text: str) -> list[dict[str, object]]:
    return [
        json.loads(line[6:]) for line in text.splitlines() if line.startswith("data: ") and line[6:].strip()
    ]


def test_initialize_mints_an_id_that_fits_agentcore(served: tuple[AgentCoreMCP, str]) -> None:
    _, url = served
    response = post(url, legacy_request("initialize", INIT))
    session_id = response.headers["mcp-session-id"]
    assert 33 <= len(session_id) <= 100
    assert session_id.isalnum()
    caps = response.json()["result"]["capabilities"]
    assert caps["resources"] == {"listChanged": True, "subscribe": True}


def test_platform_ids_are_adopted_and_remember_the_session(served: tuple[AgentCoreMCP, str]) -> None:
    _, url = served
    sid = "platform-minted-0123456789-abcdefghijklmnop"
    assert (
        post(url, legacy_request("initialize", INIT), headers={"Mcp-Session-Id": sid}).headers[
            "mcp-session-id"
        ]
        == sid
    )
    headers = {"Mcp-Session-Id": sid, "MCP-Protocol-Version": "2025-11-25"}
    assert (
        post(url, legacy_request("logging/setLevel", {"level": "warning"}), headers=headers).json()["result"]
        == {}
    )
    response = post(
        url,
        legacy_request("tools/call", {"name": "chatty", "arguments": {}, "_meta": {"progressToken": 1}}),
        headers=headers,
    )
    events = _sse(response.text)
    assert [e.get("params", {}).get("level") for e in events[:-1]] == ["warning"]  # debug filtered out
    assert events[-1]["result"]["structuredContent"] == {"sampling": True, "roots": False, "session": sid}  # type: ignore[index]


def test_an_unknown_id_on_a_later_request_is_adopted_not_404(served: tuple[AgentCoreMCP, str]) -> None:
    _, url = served
    response = post(
        url, legacy_request("tools/list"), headers={"Mcp-Session-Id": "recycled-microvm-session-000000000000"}
    )
    assert response.status_code == 200


def test_delete_ends_the_session_and_later_requests_get_404(served: tuple[AgentCoreMCP, str]) -> None:
    _, url = served
    sid = post(url, legacy_request("initialize", INIT)).headers["mcp-session-id"]
    assert httpx.delete(url, headers={"Mcp-Session-Id": sid}).status_code == 200
    assert rpc_error(post(url, legacy_request("tools/list"), headers={"Mcp-Session-Id": sid}))[0] == 404
    assert httpx.delete(url, headers={"Mcp-Session-Id": sid}).status_code == 404
    assert httpx.delete(url).status_code == 400


def test_modern_requests_stay_stateless(served: tuple[AgentCoreMCP, str]) -> None:
    _, url = served
    body, headers = modern_request("tools/list")
    response = post(url, body, headers={**headers, "Mcp-Session-Id": "x" * 40})
    assert response.status_code == 200
    assert "mcp-session-id" not in response.headers
    discover_body, discover_headers = modern_request("server/discover")
    caps = post(url, discover_body, headers=discover_headers).json()["result"]["capabilities"]
    assert caps["resources"] == {"listChanged": True, "subscribe": True}  # subscriptions/listen, no session


def test_get_stream_delivers_subscribed_updates_with_ids_and_resumes(
    served: tuple[AgentCoreMCP, str],
) -> None:
    app, url = served
    sid = post(url, legacy_request("initialize", INIT)).headers["mcp-session-id"]
    headers = {"Mcp-Session-Id": sid, "MCP-Protocol-Version": "2025-11-25"}
    assert (
        post(url, legacy_request("resources/subscribe", {"uri": "live://counter"}), headers=headers).json()[
            "result"
        ]
        == {}
    )

    async def listen(last_event_id: str | None, count: int) -> list[str]:
        lines: list[str] = []
        extra = {"Last-Event-ID": last_event_id} if last_event_id else {}
        async with (
            httpx.AsyncClient(timeout=10) as http,
            http.stream(
                "GET", url, headers={"Accept": "text/event-stream", "Mcp-Session-Id": sid, **extra}
            ) as response,
        ):
            assert response.status_code == 200
            async for line in response.aiter_lines():
                lines.append(line)
                if line.startswith("retry:"):
                    await anyio.to_thread.run_sync(app.notify_resource_updated, "live://counter")
                    await anyio.to_thread.run_sync(app.notify_resource_updated, "live://other")
                if sum(1 for x in lines if x.startswith("data: {")) >= count:
                    return lines
        return lines

    lines = anyio.run(listen, None, 1)
    ids = [line[4:] for line in lines if line.startswith("id: ")]
    updates = [json.loads(line[6:]) for line in lines if line.startswith("data: {")]
    assert updates == [
        {"jsonrpc": "2.0", "method": "notifications/resources/updated", "params": {"uri": "live://counter"}}
    ]
    assert len(ids) == 2  # the priming event, then the update
    # Resuming from the priming event replays the update.
    app.notify_resource_updated("live://counter")
    replay = anyio.run(listen, ids[0], 2)
    assert sum(1 for line in replay if "notifications/resources/updated" in line) == 2


def test_get_stream_needs_a_session_and_an_event_stream(served: tuple[AgentCoreMCP, str]) -> None:
    _, url = served
    assert httpx.get(url, headers={"Accept": "text/event-stream"}).status_code == 400
    assert (
        httpx.get(url, headers={"Accept": "application/json", "Mcp-Session-Id": "a" * 40}).status_code == 406
    )
    assert (
        httpx.get(
            url,
            headers={"Accept": "text/event-stream", "Mcp-Session-Id": "a" * 40, "Last-Event-ID": "nope.3"},
        ).status_code
        == 404
    )


def test_stateless_mode_refuses_get_and_delete() -> None:
    with serve_in_thread(AgentCoreMCP("x", tools=[chatty])) as base:
        response = httpx.get(f"{base}/mcp", headers={"Accept": "text/event-stream"})
        assert (response.status_code, response.headers["allow"]) == (405, "POST")


def test_idle_sessions_expire_and_their_ids_are_adopted_afresh() -> None:
    store = SessionStore(idle_timeout=0.05)
    first = store.open("abc")
    assert first is not None
    first.log_level = "error"
    time.sleep(0.1)
    again = store.open("abc")
    assert again is not None
    assert again is not first
    assert again.log_level is None


def test_ended_ids_stay_refused_and_the_store_is_bounded() -> None:
    store = SessionStore(max_sessions=3)
    store.end("gone")
    assert store.open("gone") is None
    for i in range(10):
        store.open(f"s{i}")
    assert len(store) == 3


async def test_official_client_in_legacy_mode_with_a_session(served: tuple[AgentCoreMCP, str]) -> None:
    _, url = served
    with anyio.fail_after(20):
        async with Client(url, mode="legacy") as client:
            assert client.session is not None
            result = await client.call_tool("chatty", {})
            assert result.structured_content is not None
            assert result.structured_content["session"]
