"""2026-07-28 subscriptions/listen: acknowledgement, tagged notifications, only what was asked, clean end."""

from __future__ import annotations

import json
import threading
from typing import Any

import anyio
import httpx

from agentcore_mcp import AgentCoreMCP, resource, tool
from agentcore_mcp.server._local import serve_in_thread

from .helpers import ACCEPT, modern_request, post, rpc_error


@tool
def ping_tool() -> str:
    return "pong"


@resource("live://a")
def live_a() -> str:
    return "a"


def _listen(
    url: str, notifications: dict[str, Any], app: AgentCoreMCP, stop_after: int
) -> list[dict[str, Any]]:
    body, headers = modern_request("subscriptions/listen", {"notifications": notifications}, id=7)

    async def run() -> list[dict[str, Any]]:
        seen: list[dict[str, Any]] = []
        async with (
            httpx.AsyncClient(timeout=10) as http,
            http.stream("POST", url, json=body, headers={"Accept": ACCEPT, **headers}) as response,
        ):
            assert response.headers["content-type"] == "text/event-stream"
            async for line in response.aiter_lines():
                if not line.startswith("data: "):
                    continue
                seen.append(json.loads(line[6:]))
                if (
                    len(seen) == 1
                ):  # acknowledged: now change things, from another thread like a sync tool would

                    def publish() -> None:
                        app.notify_resource_updated("live://b")  # not subscribed: must not arrive
                        app.notify_resource_updated("live://a")
                        app.notify_list_changed("prompts")  # not offered/asked: must not arrive
                        app.notify_list_changed("tools")

                    threading.Thread(target=publish).start()
                if len(seen) >= stop_after:
                    break
        return seen

    return anyio.run(run)


def test_listen_acknowledges_then_delivers_only_what_was_asked_tagged_with_its_id() -> None:
    app = AgentCoreMCP("sub", tools=[ping_tool], resources=[live_a])
    with serve_in_thread(app) as base:
        url = f"{base}/mcp"
        seen = _listen(
            url,
            {"toolsListChanged": True, "promptsListChanged": True, "resourceSubscriptions": ["live://a"]},
            app,
            stop_after=3,
        )
        ack, first, second = seen
        assert ack["method"] == "notifications/subscriptions/acknowledged"
        # prompts are not offered by this server, so they are not acknowledged
        assert ack["params"]["notifications"] == {
            "toolsListChanged": True,
            "resourceSubscriptions": ["live://a"],
        }
        assert ack["params"]["_meta"] == {"io.modelcontextprotocol/subscriptionId": 7}
        assert first == {
            "jsonrpc": "2.0",
            "method": "notifications/resources/updated",
            "params": {"uri": "live://a", "_meta": {"io.modelcontextprotocol/subscriptionId": 7}},
        }
        assert second["method"] == "notifications/tools/list_changed"
        # The client went away: the server forgets the stream.
        for _ in range(100):
            if len(app.subscriptions) == 0:
                break
            threading.Event().wait(0.02)
        assert len(app.subscriptions) == 0


def test_listen_needs_a_notifications_object() -> None:
    with serve_in_thread(AgentCoreMCP("sub", tools=[ping_tool])) as base:
        body, headers = modern_request("subscriptions/listen", {"notifications": [1]})
        assert rpc_error(post(f"{base}/mcp", body, headers=headers)) == (400, -32602)


def test_without_streaming_listen_does_not_exist_and_nothing_is_advertised() -> None:
    with serve_in_thread(AgentCoreMCP("sub", tools=[ping_tool], streaming=False)) as base:
        body, headers = modern_request("subscriptions/listen", {"notifications": {"toolsListChanged": True}})
        assert rpc_error(post(f"{base}/mcp", body, headers=headers)) == (404, -32601)
        body, headers = modern_request("server/discover")
        caps = post(f"{base}/mcp", body, headers=headers).json()["result"]["capabilities"]
        assert caps["tools"] == {"listChanged": False}
