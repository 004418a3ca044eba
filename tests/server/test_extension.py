"""The extension seam: an extension adds methods, a capability, a tools/call take-over, a listen filter."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Mapping
from typing import Any

import anyio
import httpx
import pytest

from agentcore_mcp import AgentCoreMCP, tool
from agentcore_mcp.server._call import Call
from agentcore_mcp.server._extension import Era, Extension, Method
from agentcore_mcp.server._local import serve_in_thread
from agentcore_mcp.server._subscriptions import Listener
from agentcore_mcp.server._tools import Tool

from .helpers import ACCEPT, legacy_request, modern_request, post, rpc_error

NAME = "example.com/queue"


@tool(task="optional")
def slow(n: int) -> int:
    """Square a number."""
    return n * n


@tool
def plain(n: int) -> int:
    """Return a number."""
    return n


class Queue(Extension):
    """A toy extension: ``queue/peek`` answers what a deferred ``tools/call`` was asked."""

    name = NAME

    def __init__(self) -> None:
        self.server: AgentCoreMCP | None = None
        self.deferred: list[tuple[str, Mapping[str, Any]]] = []
        self.closed = False

    def bind(self, server: AgentCoreMCP) -> None:
        self.server = server

    def methods(self, era: Era) -> Mapping[str, Method]:
        return {"queue/peek": self.peek} if era == "modern" else {}

    def capability(self, era: Era) -> Mapping[str, Any] | None:
        return {"depth": 1} if era == "modern" else None

    async def peek(self, params: Mapping[str, Any], call: Call) -> dict[str, Any]:
        return {"deferred": [name for name, _ in self.deferred], "caps": dict(call.client_capabilities)}

    async def call_tool(self, tool: Tool, arguments: Mapping[str, Any], call: Call) -> dict[str, Any] | None:
        if tool.task is None:
            return None
        self.deferred.append((tool.name, arguments))
        return {"resultType": "queued", "position": len(self.deferred)}

    def describe_tool(self, tool: Tool, definition: dict[str, Any]) -> None:
        if tool.task is not None:
            definition["execution"] = {"taskSupport": tool.task}

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def served() -> Iterator[tuple[str, Queue]]:
    queue = Queue()
    app = AgentCoreMCP("ext", tools=[slow, plain], extensions=[queue])
    with serve_in_thread(app) as base:
        yield f"{base}/mcp", queue


def call_modern(url: str, method: str, params: dict[str, Any] | None = None) -> httpx.Response:
    body, headers = modern_request(method, params)
    return post(url, body, headers=headers)


def test_an_extension_method_is_served_and_stamped(served: tuple[str, Queue]) -> None:
    url, _ = served
    result = call_modern(url, "queue/peek").json()["result"]
    assert result["deferred"] == []
    assert result["caps"] == {}
    assert result["resultType"] == "complete"
    assert result["_meta"]["io.modelcontextprotocol/serverInfo"]["name"] == "ext"


def test_an_extension_method_is_only_served_in_the_eras_it_names(served: tuple[str, Queue]) -> None:
    url, _ = served
    assert rpc_error(post(url, legacy_request("queue/peek"))) == (200, -32601)


def test_the_capability_is_advertised_under_extensions(served: tuple[str, Queue]) -> None:
    url, _ = served
    caps = call_modern(url, "server/discover").json()["result"]["capabilities"]
    assert caps["extensions"] == {NAME: {"depth": 1}}
    init = post(url, legacy_request("initialize", {"protocolVersion": "2025-11-25", "capabilities": {}}))
    assert "extensions" not in init.json()["result"]["capabilities"]


def test_the_extension_takes_over_the_tools_it_chooses(served: tuple[str, Queue]) -> None:
    url, queue = served
    taken = call_modern(url, "tools/call", {"name": "slow", "arguments": {"n": 3}}).json()["result"]
    assert taken["resultType"] == "queued"
    assert taken["position"] == 1
    assert queue.deferred == [("slow", {"n": 3})]
    ran = call_modern(url, "tools/call", {"name": "plain", "arguments": {"n": 3}}).json()["result"]
    assert ran["structuredContent"] == {"result": 3}
    assert call_modern(url, "queue/peek").json()["result"]["deferred"] == ["slow"]


def test_the_extension_adjusts_published_definitions(served: tuple[str, Queue]) -> None:
    url, _ = served
    tools = {t["name"]: t for t in call_modern(url, "tools/list").json()["result"]["tools"]}
    assert tools["slow"]["execution"] == {"taskSupport": "optional"}
    assert "execution" not in tools["plain"]


def test_a_built_in_method_cannot_be_taken() -> None:
    class Thief(Extension):
        name = "thief"

        def methods(self, era: Era) -> Mapping[str, Method]:
            return {"tools/list": self.steal}

        async def steal(self, params: Mapping[str, Any], call: Call) -> dict[str, Any]:
            return {}

    with pytest.raises(ValueError, match="tools/list"):
        AgentCoreMCP("x", extensions=[Thief()])


def test_bind_gives_the_extension_its_server(served: tuple[str, Queue]) -> None:
    _, queue = served
    assert queue.server is not None
    assert queue.server.extensions == (queue,)
    assert not queue.closed


def test_shutdown_closes_extensions() -> None:
    queue = Queue()
    app = AgentCoreMCP("ext", extensions=[queue])
    with serve_in_thread(app):
        pass
    assert queue.closed


def test_a_listen_filter_part_is_acknowledged_and_published_to() -> None:
    class Bell(Extension):
        name = "example.com/bell"

        def listen(self, requested: Mapping[str, Any], call: Call) -> Mapping[str, Any]:
            assert call is not None
            assert call.method == "subscriptions/listen"  # the listen request itself is handed over
            return {"bells": True} if requested.get("bells") is True else {}

    app = AgentCoreMCP("bell", tools=[plain], extensions=[Bell()])
    body, headers = modern_request("subscriptions/listen", {"notifications": {"bells": True}}, id=9)

    def ring(listener: Listener) -> dict[str, Any] | None:
        return listener.tagged("notifications/bell", {"n": 1}) if listener.agreed.get("bells") else None

    async def run(url: str) -> list[dict[str, Any]]:
        seen: list[dict[str, Any]] = []
        async with (
            httpx.AsyncClient(timeout=10) as http,
            http.stream("POST", url, json=body, headers={"Accept": ACCEPT, **headers}) as response,
        ):
            async for line in response.aiter_lines():
                if line.startswith("data: "):
                    seen.append(json.loads(line[6:]))
                    if len(seen) == 1:
                        threading.Thread(target=app.subscriptions.publish, args=(ring,)).start()
                    else:
                        break
        return seen

    with serve_in_thread(app) as base:
        ack, bell = anyio.run(run, f"{base}/mcp")
    assert ack["params"]["notifications"] == {"bells": True}
    assert bell == {
        "jsonrpc": "2.0",
        "method": "notifications/bell",
        "params": {"n": 1, "_meta": {"io.modelcontextprotocol/subscriptionId": 9}},
    }
