"""Context in tools: request facts, progress and log notifications streamed as SSE (or dropped for JSON)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import anyio
import httpx
import pytest
from mcp.client import Client

from agentcore_mcp import AgentCoreMCP, Context, tool
from agentcore_mcp.server._local import serve_in_thread
from agentcore_mcp.server._sending import SEND_PIECE

from .helpers import ACCEPT, legacy_request, modern_meta, modern_request


@tool
async def work(steps: int, ctx: Context) -> str:
    """Report progress and log each step."""
    for i in range(steps):
        await ctx.report_progress(i + 1, steps, f"step {i + 1}")
        await ctx.info(f"did step {i + 1}", logger="work")
    return "done"


@tool
async def whoami(ctx: Context) -> dict[str, Any]:
    """Echo what the context knows."""
    return {
        "session_id": ctx.session_id,
        "runtime_session_id": ctx.runtime_session_id,
        "user_id": ctx.user_id,
        "request_id": ctx.request_id,
        "era": ctx.era,
        "protocol_version": ctx.protocol_version,
        "client_info": ctx.client_info,
        "client_capabilities": dict(ctx.client_capabilities),
        "custom": ctx.headers.get("x-amzn-bedrock-agentcore-runtime-custom-team"),
    }


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with serve_in_thread(AgentCoreMCP("ctx", tools=[work, whoami])) as base:
        yield f"{base}/mcp"


def sse_events(response: httpx.Response) -> list[dict[str, Any]]:
    events = []
    for block in response.text.split("\n\n"):
        data = [line[6:] for line in block.splitlines() if line.startswith("data: ")]
        if data:
            events.append(json.loads("".join(data)))
    return events


def test_progress_and_logs_stream_as_sse_before_the_result_in_the_legacy_era(url: str) -> None:
    body = legacy_request(
        "tools/call", {"name": "work", "arguments": {"steps": 2}, "_meta": {"progressToken": "p1"}}
    )
    response = httpx.post(url, json=body, headers={"Accept": ACCEPT})
    assert response.headers["content-type"] == "text/event-stream"
    events = sse_events(response)
    methods = [e.get("method") for e in events]
    assert methods == ["notifications/progress", "notifications/message"] * 2 + [None]
    assert events[0]["params"] == {"progressToken": "p1", "progress": 1, "total": 2, "message": "step 1"}
    assert events[1]["params"] == {"level": "info", "data": "did step 1", "logger": "work"}
    assert events[-1]["result"]["content"][0]["text"] == "done"


def test_modern_era_sends_logs_only_when_the_request_asks_for_a_level(url: str) -> None:
    body, headers = modern_request(
        "tools/call", {"name": "work", "arguments": {"steps": 1}, "_meta": {"progressToken": 9}}
    )
    events = sse_events(httpx.post(url, json=body, headers={"Accept": ACCEPT, **headers}))
    assert [e.get("method") for e in events] == ["notifications/progress", None]
    assert events[-1]["result"]["resultType"] == "complete"

    body["params"]["_meta"]["io.modelcontextprotocol/logLevel"] = "warning"
    events = sse_events(httpx.post(url, json=body, headers={"Accept": ACCEPT, **headers}))
    assert [e.get("method") for e in events] == ["notifications/progress", None]  # info < warning

    body["params"]["_meta"]["io.modelcontextprotocol/logLevel"] = "debug"
    events = sse_events(httpx.post(url, json=body, headers={"Accept": ACCEPT, **headers}))
    assert [e.get("method") for e in events] == ["notifications/progress", "notifications/message", None]


def test_without_a_progress_token_or_level_the_answer_is_plain_json(url: str) -> None:
    body, headers = modern_request("tools/call", {"name": "work", "arguments": {"steps": 3}})
    response = httpx.post(url, json=body, headers={"Accept": ACCEPT, **headers})
    assert response.headers["content-type"] == "application/json"
    assert response.json()["result"]["content"][0]["text"] == "done"


def test_streaming_off_drops_notifications_and_answers_json() -> None:
    with serve_in_thread(AgentCoreMCP("quiet", tools=[work], streaming=False)) as base:
        body = legacy_request(
            "tools/call", {"name": "work", "arguments": {"steps": 2}, "_meta": {"progressToken": "p"}}
        )
        response = httpx.post(f"{base}/mcp", json=body, headers={"Accept": ACCEPT})
        assert response.headers["content-type"] == "application/json"
        assert response.json()["result"]["content"][0]["text"] == "done"


def test_context_exposes_platform_and_request_facts(url: str) -> None:
    body, headers = modern_request("tools/call", {"name": "whoami", "arguments": {}}, id=77)
    body["params"]["_meta"]["io.modelcontextprotocol/clientCapabilities"] = {"sampling": {}}
    response = httpx.post(
        url,
        json=body,
        headers={
            "Accept": ACCEPT,
            **headers,
            "Mcp-Session-Id": "platform-session",
            "X-Amzn-Bedrock-AgentCore-Runtime-Session-Id": "r" * 40,
            "X-Amzn-Bedrock-AgentCore-Runtime-User-Id": "user-1",
            "X-Amzn-Bedrock-AgentCore-Runtime-Custom-Team": "blue",
        },
    )
    facts = response.json()["result"]["structuredContent"]
    assert facts == {
        "session_id": "platform-session",
        "runtime_session_id": "r" * 40,
        "user_id": "user-1",
        "request_id": 77,
        "era": "modern",
        "protocol_version": "2026-07-28",
        "client_info": modern_meta()["io.modelcontextprotocol/clientInfo"],
        "client_capabilities": {"sampling": {}},
        "custom": "blue",
    }


async def test_official_client_receives_progress_in_both_eras(url: str) -> None:
    for mode in ("legacy", "2026-07-28"):
        seen: list[tuple[float, float | None, str | None]] = []

        async def on_progress(progress: float, total: float | None, message: str | None) -> None:
            seen.append((progress, total, message))  # noqa: B023 - consumed within the iteration

        with anyio.fail_after(20):
            async with Client(url, mode=mode) as client:  # type: ignore[arg-type]
                result = await client.call_tool("work", {"steps": 3}, progress_callback=on_progress)
        assert result.content[0].text == "done"  # type: ignore[union-attr]
        assert seen == [(1, 3, "step 1"), (2, 3, "step 2"), (3, 3, "step 3")], mode


# -- the streamed answer's own costs ------------------------------------------------------------------------


class _Recorder:
    """An ASGI receive/send pair: the request body once, then a disconnect after ``leave_after`` seconds."""

    def __init__(self, body: bytes, leave_after: float | None = None) -> None:
        self.body = body
        self.leave_after = leave_after
        self.sent: list[dict[str, Any]] = []
        self._asked = 0

    async def receive(self) -> dict[str, Any]:
        self._asked += 1
        if self._asked == 1:
            return {"type": "http.request", "body": self.body, "more_body": False}
        if self.leave_after is None:
            await anyio.sleep_forever()
        await anyio.sleep(self.leave_after)
        return {"type": "http.disconnect"}

    async def send(self, message: dict[str, Any]) -> None:
        self.sent.append(message)


_SCOPE_HEADERS = [
    (b"accept", ACCEPT.encode()),
    (b"content-type", b"application/json"),
    (b"mcp-protocol-version", b"2025-11-25"),
]


async def _serve_one(app: AgentCoreMCP, body: dict[str, Any], recorder: _Recorder) -> None:
    recorder.body = json.dumps(body).encode()
    scope = {"type": "http", "method": "POST", "path": "/mcp", "headers": _SCOPE_HEADERS}
    await app(scope, recorder.receive, recorder.send)


async def test_a_large_event_is_sent_between_its_framing_without_being_copied() -> None:
    big = "x" * 200_000

    @tool
    async def large(ctx: Context) -> str:
        await ctx.report_progress(1, 1)
        return big

    app = AgentCoreMCP("big", tools=[large])
    recorder = _Recorder(b"")
    call = legacy_request("tools/call", {"name": "large", "arguments": {}, "_meta": {"progressToken": 7}})
    await _serve_one(app, call, recorder)
    bodies = [m["body"] for m in recorder.sent if m["type"] == "http.response.body"]
    # The progress event in one piece; the answer as head, the serialized message (in pieces of at most
    # SEND_PIECE bytes, so that a slow reader holds it back: write backpressure), tail.
    assert bodies[0].startswith(b"event: message\ndata: {")
    assert bodies[0].endswith(b"\n\n")
    assert bodies[1] == b"event: message\ndata: "
    assert bodies[-1] == b"\n\n"
    assert all(len(piece) <= SEND_PIECE for piece in bodies[2:-1])
    assert len(bodies) == 3 + -(-len(b"".join(bodies[2:-1])) // SEND_PIECE)
    assert recorder.sent[-1].get("more_body", False) is False
    answer = json.loads(b"".join(bodies[2:-1]))
    assert answer["result"]["content"][0]["text"] == big


async def test_short_streams_get_no_keepalive_and_long_ones_do() -> None:
    @tool
    async def wait(seconds: float, ctx: Context) -> str:
        await ctx.report_progress(0, 1)
        await anyio.sleep(seconds)
        return "done"

    app = AgentCoreMCP("ka", tools=[wait], keepalive=0.1)
    for seconds, expect_keepalive in ((0.0, False), (0.35, True)):
        recorder = _Recorder(b"")
        call = legacy_request(
            "tools/call", {"name": "wait", "arguments": {"seconds": seconds}, "_meta": {"progressToken": 1}}
        )
        await _serve_one(app, call, recorder)
        bodies = b"".join(m["body"] for m in recorder.sent if m["type"] == "http.response.body")
        assert (b": keep-alive" in bodies) is expect_keepalive, bodies
        assert b'"text":"done"' in bodies


async def test_a_client_that_leaves_mid_stream_still_cancels_the_tool() -> None:
    finished: list[bool] = []

    @tool
    async def forever(ctx: Context) -> str:
        await ctx.report_progress(0, 1)
        await anyio.sleep(30)
        finished.append(True)
        return "never"

    app = AgentCoreMCP("gone", tools=[forever], keepalive=None)
    recorder = _Recorder(b"", leave_after=0.05)
    call = legacy_request("tools/call", {"name": "forever", "arguments": {}, "_meta": {"progressToken": 1}})
    with anyio.fail_after(5):  # cancelled once the watcher starts (after WATCH_AFTER), not after 30 s
        await _serve_one(app, call, recorder)
    assert finished == []
    assert not any(b"never" in m.get("body", b"") for m in recorder.sent)
