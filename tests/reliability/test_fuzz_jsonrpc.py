"""Property tests over the JSON-RPC surface, both eras, JSON and SSE answers, in process (raw ASGI).

Every request, however malformed, must get a well-formed answer: the right HTTP status for its JSON-RPC
code and era (docs/wire.md), strict JSON (or SSE carrying strict JSON), the id echoed when valid, no
exception text, and never a 5xx. The server must keep serving afterwards.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given

from agentcore_mcp import AgentCoreMCP

from . import harness
from .conftest import Runner, fuzz_settings
from .strategies import check_answer, messages, nested, raw_bodies


def _parsed(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None


def _still_serving(run: Runner, app: AgentCoreMCP) -> None:
    answer = run(harness.call, app, harness.post_scope(), harness.dumps(harness.legacy("ping", id=7)))
    assert answer.status == 200
    assert json.loads(answer.body) == {"jsonrpc": "2.0", "id": 7, "result": {}}


@fuzz_settings(1000)
@given(case=messages())
def test_structured_messages_get_well_formed_answers(run: Runner, app: AgentCoreMCP, case: Any) -> None:
    message, headers, _label = case
    body = json.dumps(message).encode()
    answer = run(harness.call, app, harness.post_scope(headers), body)
    check_answer(answer, message, headers)


@fuzz_settings(1000)
@given(case=raw_bodies())
def test_raw_and_mutated_bodies_get_well_formed_answers(run: Runner, app: AgentCoreMCP, case: Any) -> None:
    body, headers, _label = case
    answer = run(harness.call, app, harness.post_scope(headers), body)
    check_answer(answer, _parsed(body), headers)


def test_server_keeps_serving_after_the_fuzz(run: Runner, app: AgentCoreMCP) -> None:
    _still_serving(run, app)


def test_very_deep_nesting_is_a_parse_error_not_a_crash(run: Runner, app: AgentCoreMCP) -> None:
    for depth in (100, 1_000, 100_000):
        body = harness.dumps(harness.legacy("tools/list", {"deep": nested(min(depth, 900))}))
        if depth > 900:
            body = b'{"jsonrpc":"2.0","id":1,"method":"ping","params":' + b"[" * depth + b"]" * depth + b"}"
        answer = run(harness.call, app, harness.post_scope(), body)
        check_answer(answer)
        assert answer.status in (200, 400)
    _still_serving(run, app)


def test_huge_strings_and_numbers_are_answered(run: Runner, app: AgentCoreMCP) -> None:
    big = "x" * 5_000_000
    cases = [
        harness.legacy("tools/call", {"name": "echo", "arguments": {"text": big}}),
        harness.legacy("tools/call", {"name": "add", "arguments": {"a": 10**300, "b": 1}}),
        harness.legacy("tools/call", {"name": big[:100_000], "arguments": {}}),
        harness.legacy("ping", id=2**63),
        harness.legacy("ping", id=big[:100_000]),
    ]
    for message in cases:
        answer = run(harness.call, app, harness.post_scope(), harness.dumps(message), limit=30.0)
        check_answer(answer, message, {})
    echoed = run(harness.call, app, harness.post_scope(), harness.dumps(cases[0]), limit=30.0)
    assert json.loads(echoed.body)["result"]["content"][0]["text"] == big
    _still_serving(run, app)


def test_sse_answers_in_both_eras_are_complete_event_streams(run: Runner, app: AgentCoreMCP) -> None:
    legacy = harness.legacy(
        "tools/call", {"name": "stream", "arguments": {"events": 3}, "_meta": {"progressToken": 1}}
    )
    modern, headers = harness.modern(
        "tools/call", {"name": "stream", "arguments": {"events": 3}, "_meta": {"progressToken": "t"}}
    )
    for message, sent in ((legacy, {}), (modern, headers)):
        answer = run(harness.call, app, harness.post_scope(sent), harness.dumps(message))
        check_answer(answer, message, sent)
        assert answer.content_type == "text/event-stream"
        events = answer.messages()
        assert [e.get("method") for e in events] == ["notifications/progress"] * 3 + [None]
        assert events[-1]["result"]["content"][0]["text"] == "streamed 3"
