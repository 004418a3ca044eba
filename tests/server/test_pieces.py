"""Huge answers encoded as they are written: the same JSON as a whole encoding, in bounded pieces, over the
wire in both eras, as JSON and as the last event of an SSE stream, and read whole by the official client.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from pydantic_core import to_json

from agentcore_mcp import AgentCoreMCP, Context, tool
from agentcore_mcp.server._local import serve_in_thread
from agentcore_mcp.server._pieces import HUGE, SLICE, pieces_of

from .helpers import ACCEPT, legacy_request, modern_request

BIG = HUGE + 3 * SLICE + 7  # more than HUGE, and not a whole number of slices
TEXT = "x" * BIG
# every kind of character JSON escapes or carries as UTF-8, spread over slice boundaries
MIXED = ('a"\\\n\t\x00\x1f é€😀\u2028' * (BIG // 12 + 1))[:BIG]


def _message(result: Any, request_id: Any = 7) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": request_id, "result": result}


@pytest.mark.parametrize(
    "result",
    [
        {"content": [{"type": "text", "text": TEXT}], "isError": False},
        {"content": [{"type": "text", "text": MIXED}]},
        {"content": [{"type": "text", "text": "small"}, {"type": "text", "text": TEXT, "_meta": {"k": 1}}]},
        {"content": [{"type": "image", "data": TEXT, "mimeType": "image/png"}]},
        {"content": [{"type": "resource", "resource": {"uri": "file:///a", "text": MIXED}}]},
        {"contents": [{"uri": "file:///a", "blob": TEXT}, {"uri": "file:///b", "text": TEXT + "y"}]},
        {"content": [{"type": "text", "text": TEXT}], "structuredContent": {"n": float("nan"), "s": "ok"}},
    ],
    ids=["text", "escapes", "second-block", "image", "embedded-resource", "resource-read", "nan"],
)
def test_pieces_are_the_whole_encoding_cut_into_bounded_parts(result: dict[str, Any]) -> None:
    original = json.loads(json.dumps(result, allow_nan=True))
    pieces = pieces_of(_message(result), result)
    assert pieces is not None
    parts = list(pieces)
    assert b"".join(parts) == to_json(_message(result), inf_nan_mode="null")
    assert pieces.join() == b"".join(parts)  # encoded anew each time, nothing cached
    assert max(map(len, parts)) <= 6 * SLICE + 64  # a slice escaped at worst, plus a quote or two
    assert len(parts) > BIG // SLICE  # the text really went out in slices
    assert json.dumps(result, allow_nan=True) == json.dumps(original, allow_nan=True)  # not changed


@pytest.mark.parametrize(
    "result",
    [
        {"content": [{"type": "text", "text": "x" * HUGE}]},  # at the bound: encoded whole
        {"content": [{"type": "text", "text": "hi"}], "structuredContent": {"big": TEXT}},  # not bulk data
        {"content": "not a list"},
        ["a", "list"],
        None,
    ],
)
def test_answers_without_huge_bulk_text_are_encoded_whole(result: Any) -> None:
    assert pieces_of(_message(result), result) is None


def test_a_result_holding_the_placeholder_text_itself_is_encoded_whole_not_split_wrongly(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from agentcore_mcp.server import _pieces

    # The marker is random per process, so no tool can know it; pin one to put it in a result on purpose.
    monkeypatch.setattr(_pieces, "_MARK", "\x00pinned-")
    result = {"content": [{"type": "text", "text": "\x00pinned-0\x00"}, {"type": "text", "text": TEXT}]}
    assert pieces_of(_message(result), result) is None  # found twice: the answer goes out whole
    result = {"content": [{"type": "text", "text": "\x00pinned-1\x00"}, {"type": "text", "text": TEXT}]}
    pieces = pieces_of(_message(result), result)  # an index no placeholder has is plain text
    assert pieces is not None
    assert pieces.join() == to_json(_message(result))


def test_the_huge_strings_of_structured_content_go_out_in_slices_too() -> None:
    # A typed tool's answer: the text block and structuredContent carry the same data, in either key order.
    for result in (
        {"content": [{"type": "text", "text": TEXT}], "structuredContent": {"result": MIXED, "n": [1, TEXT]}},
        {"structuredContent": {"rows": [{"text": MIXED}]}, "content": [{"type": "text", "text": TEXT}]},
    ):
        pieces = pieces_of(_message(result), result)
        assert pieces is not None
        parts = list(pieces)
        assert b"".join(parts) == to_json(_message(result))
        assert max(map(len, parts)) <= 6 * SLICE + 64


def test_a_huge_structure_of_small_values_is_left_to_the_whole_encoding() -> None:
    rows = [{"i": i, "s": "v" * 10} for i in range(20_000)]  # more containers than the walk's budget
    result = {"content": [{"type": "text", "text": TEXT}], "structuredContent": {"rows": rows, "tail": MIXED}}
    pieces = pieces_of(_message(result), result)
    assert pieces is not None
    assert pieces.join() == to_json(_message(result))


def test_a_huge_text_that_is_not_valid_unicode_is_refused_before_a_byte_is_written() -> None:
    result = {"content": [{"type": "text", "text": TEXT + "\udcff"}]}
    with pytest.raises(UnicodeEncodeError):
        pieces_of(_message(result), result)


@tool
def blob(size: int, bad: bool = False) -> str:
    """Return ``size`` characters of mixed text (a lone surrogate at the end when ``bad``)."""
    return (MIXED * (size // len(MIXED) + 1))[:size] + ("\udcff" if bad else "")


@tool
async def reported(size: int, ctx: Context) -> str:
    """Report progress (so the answer is an SSE stream), then return ``size`` characters."""
    await ctx.report_progress(1, 1)
    return "z" * size


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    with serve_in_thread(AgentCoreMCP("pieces", tools=[blob, reported])) as base:
        yield f"{base}/mcp"


def _post(url: str, body: dict[str, Any], headers: dict[str, str] | None = None) -> httpx.Response:
    sent = {"Accept": ACCEPT, "Content-Type": "application/json", **(headers or {})}
    return httpx.post(url, json=body, headers=sent, timeout=30)


@pytest.mark.parametrize("era", ["legacy", "modern"])
def test_a_huge_json_answer_arrives_whole_and_chunked(url: str, era: str) -> None:
    params = {"name": "blob", "arguments": {"size": 3 * BIG}}
    headers: dict[str, str] = {}
    if era == "legacy":
        body = legacy_request("tools/call", params)
    else:
        body, headers = modern_request("tools/call", params)
    answer = _post(url, body, headers)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    assert "content-length" not in answer.headers  # encoded as written: chunked
    assert answer.headers["transfer-encoding"] == "chunked"
    assert answer.json()["result"]["content"][0]["text"] == blob(3 * BIG)
    small = _post(url, legacy_request("tools/call", {"name": "blob", "arguments": {"size": 10}}))
    assert small.headers["content-length"] == str(len(small.content))  # small answers keep their length


def test_a_huge_answer_after_progress_is_the_last_event_of_the_stream(url: str) -> None:
    params = {"name": "reported", "arguments": {"size": 2 * BIG}, "_meta": {"progressToken": "p"}}
    answer = _post(url, legacy_request("tools/call", params, id=9))
    assert answer.headers["content-type"].startswith("text/event-stream")
    events = [json.loads(line[6:]) for line in answer.text.splitlines() if line.startswith("data: ")]
    assert events[0]["method"] == "notifications/progress"
    assert events[-1]["id"] == 9
    assert events[-1]["result"]["content"][0]["text"] == "z" * (2 * BIG)


def test_a_huge_result_that_cannot_be_encoded_is_a_tool_error_and_the_server_keeps_serving(url: str) -> None:
    answer = _post(
        url, legacy_request("tools/call", {"name": "blob", "arguments": {"size": BIG, "bad": True}})
    )
    assert answer.status_code == 200
    result = answer.json()["result"]
    assert result["isError"] is True
    assert "could not be serialized" in result["content"][0]["text"]
    assert _post(url, legacy_request("tools/call", {"name": "blob", "arguments": {"size": 3}})).json()[
        "result"
    ]["content"][0]["text"] == blob(3)


def test_in_session_mode_a_huge_streamed_answer_is_sent_and_kept_for_resumption() -> None:
    with serve_in_thread(AgentCoreMCP("pieces", tools=[reported], sessions=True)) as base:
        init = {
            "protocolVersion": "2025-11-25",
            "capabilities": {},
            "clientInfo": {"name": "t", "version": "0"},
        }
        opened = _post(f"{base}/mcp", legacy_request("initialize", init, id=1))
        session = {"Mcp-Session-Id": opened.headers["mcp-session-id"], "MCP-Protocol-Version": "2025-11-25"}
        params = {"name": "reported", "arguments": {"size": BIG}, "_meta": {"progressToken": "p"}}
        answer = _post(f"{base}/mcp", legacy_request("tools/call", params, id=2), session)
        events = [line for line in answer.text.splitlines() if line.startswith(("id: ", "data: "))]
        last_id = [line for line in events if line.startswith("id: ")][-2]  # the event before the answer
        assert json.loads(events[-1][6:])["result"]["content"][0]["text"] == "z" * BIG
        with httpx.stream(
            "GET",
            f"{base}/mcp",
            headers={**session, "Accept": "text/event-stream", "Last-Event-ID": last_id[4:]},
        ) as resumed:
            data = b"".join(resumed.iter_bytes()).decode()
        replayed = [json.loads(line[6:]) for line in data.splitlines() if line.startswith("data: ")]
        assert replayed[-1]["id"] == 2
        assert replayed[-1]["result"]["content"][0]["text"] == "z" * BIG
