"""Asking the client for input: MRTR rounds (2026-07-28) and server-to-client requests (handshake era)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import anyio
import httpx
import pytest
from mcp import types
from mcp.client import Client, ClientRequestContext

from agentcore_mcp import (
    AgentCoreMCP,
    Context,
    Elicit,
    Limits,
    ListRoots,
    Sample,
    StateSealing,
    prompt,
    resource,
    tool,
)
from agentcore_mcp.server._local import serve_in_thread
from agentcore_mcp.server._state import StateSealer

from .helpers import ACCEPT, legacy_request, modern_request, post, rpc_error

KEYS = ["first-key-0123456789abcdef", "older-key-0123456789abcdef"]
NAME = {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}
side_effects: list[str] = []


@tool
async def signup(plan: str, ctx: Context) -> str:
    """Two questions, one per round; the side effect happens after both answers."""
    name = await ctx.elicit("Your name?", NAME)
    if not name.accepted:
        return "cancelled"
    model = await ctx.sample(f"Suggest a nickname for {name.content['name']}", max_tokens=20)  # type: ignore[index]
    side_effects.append(plan)
    return f"{name.content['name']} ({model['content']['text']}) on {plan}"  # type: ignore[index]


@tool
async def everything(ctx: Context) -> dict[str, Any]:
    answers = await ctx.ask({"who": Elicit("Who?", NAME), "llm": Sample("Hi"), "roots": ListRoots()})
    return {"who": answers["who"]["content"]["name"], "roots": len(answers["roots"]["roots"])}


unwound: list[str] = []


@tool
async def guarded(ctx: Context) -> str:
    """Asks inside a broad ``except Exception`` and a ``finally``: the pause must get through both."""
    try:
        name = await ctx.elicit("Your name?", NAME)
    except Exception:
        return "swallowed"
    finally:
        unwound.append("finally")
    return f"hello {(name.content or {}).get('name')}"


@prompt
async def briefing(ctx: Context) -> str:
    topic = await ctx.elicit("Topic?", {"type": "object", "properties": {"topic": {"type": "string"}}})
    return f"Brief me on {(topic.content or {}).get('topic')}"


@resource("secret://{name}")
async def secret(name: str, ctx: Context) -> str:
    roots = await ctx.list_roots()
    return f"{name} visible under {roots[0]['uri']}"


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    app = AgentCoreMCP(
        "asker",
        tools=[signup, everything, guarded],
        prompts=[briefing],
        resources=[secret],
        sealing=StateSealing(keys=tuple(KEYS)),
        limits=Limits(input_timeout=5),
    )
    with serve_in_thread(app) as base:
        yield f"{base}/mcp"


async def on_elicit(context: ClientRequestContext, params: types.ElicitRequestParams) -> types.ElicitResult:
    field = next(iter(params.requested_schema["properties"]))  # type: ignore[union-attr]
    return types.ElicitResult(action="accept", content={field: "Ada" if field == "name" else "MCP"})


async def on_sample(
    context: ClientRequestContext, params: types.CreateMessageRequestParams
) -> types.CreateMessageResult:
    return types.CreateMessageResult(
        role="assistant",
        content=types.TextContent(type="text", text="Countess"),
        model="test-model",
        stop_reason="endTurn",
    )


async def on_roots(context: ClientRequestContext) -> types.ListRootsResult:
    return types.ListRootsResult(roots=[types.Root(uri="file:///work", name="work")])


@pytest.mark.parametrize("mode", ["2026-07-28", "legacy"])
async def test_official_client_answers_questions_in_both_eras(url: str, mode: str) -> None:
    side_effects.clear()
    with anyio.fail_after(30):
        async with Client(
            url,
            mode=mode,
            elicitation_callback=on_elicit,
            sampling_callback=on_sample,  # type: ignore[arg-type]
            list_roots_callback=on_roots,
        ) as client:
            result = await client.call_tool("signup", {"plan": "pro"})
            assert result.content[0].text == "Ada (Countess) on pro"  # type: ignore[union-attr]
            combined = await client.call_tool("everything", {})
            assert combined.structured_content == {"who": "Ada", "roots": 1}
            got = await client.get_prompt("briefing")
            assert got.messages[0].content.text == "Brief me on MCP"  # type: ignore[union-attr]
            read = await client.read_resource("secret://x")
            assert read.contents[0].text == "x visible under file:///work"  # type: ignore[union-attr]
    assert side_effects == ["pro"]  # re-runs per round, side effect once, after the questions


def _meta_caps(body: dict[str, Any], caps: dict[str, Any]) -> dict[str, Any]:
    body["params"]["_meta"]["io.modelcontextprotocol/clientCapabilities"] = caps
    return body


def _call(url: str, params: dict[str, Any], caps: dict[str, Any] | None = None) -> httpx.Response:
    body, headers = modern_request("tools/call", params)
    _meta_caps(body, caps if caps is not None else {"elicitation": {}, "sampling": {}, "roots": {}})
    return post(url, body, headers=headers)


def test_mrtr_round_trip_on_the_wire(url: str) -> None:
    first = _call(url, {"name": "signup", "arguments": {"plan": "basic"}}).json()["result"]
    assert first["resultType"] == "input_required"
    assert list(first["inputRequests"]) == ["elicitation"]
    assert first["inputRequests"]["elicitation"]["method"] == "elicitation/create"
    state = first["requestState"]
    second = _call(
        url,
        {
            "name": "signup",
            "arguments": {"plan": "basic"},
            "requestState": state,
            "inputResponses": {"elicitation": {"action": "accept", "content": {"name": "Bo"}}},
        },
    ).json()["result"]
    assert second["resultType"] == "input_required"
    assert list(second["inputRequests"]) == ["sampling"]
    assert second["requestState"] != state
    third = _call(
        url,
        {
            "name": "signup",
            "arguments": {"plan": "basic"},
            "requestState": second["requestState"],
            "inputResponses": {
                "sampling": {"role": "assistant", "model": "m", "content": {"type": "text", "text": "B"}}
            },
        },
    ).json()["result"]
    assert third["resultType"] == "complete"
    assert third["content"][0]["text"] == "Bo (B) on basic"


def test_a_pause_for_input_is_not_an_exception_the_tool_can_swallow_and_unwinds_it(url: str) -> None:
    unwound.clear()
    first = _call(url, {"name": "guarded", "arguments": {}}).json()["result"]
    assert first["resultType"] == "input_required"
    assert unwound == ["finally"]  # the run was cancelled, so its finally block ran
    answer = {"elicitation": {"action": "accept", "content": {"name": "Ann"}}}
    params = {
        "name": "guarded",
        "arguments": {},
        "requestState": first["requestState"],
        "inputResponses": answer,
    }
    second = _call(url, params).json()["result"]
    assert second["content"][0]["text"] == "hello Ann"


def test_input_required_is_an_ordinary_exception_type() -> None:
    from agentcore_mcp.server._input import InputRequired

    assert issubclass(InputRequired, Exception)


def test_tampered_state_is_refused_and_the_server_keeps_serving(url: str) -> None:
    first = _call(url, {"name": "signup", "arguments": {"plan": "x"}}).json()["result"]
    answer = {"elicitation": {"action": "accept", "content": {"name": "Eve"}}}
    for forged in (
        first["requestState"] + "-TAMPERED",
        first["requestState"][:-3] + "AAA",
        "s1.x.y.z",
        42,
        "",
    ):
        response = _call(
            url,
            {"name": "signup", "arguments": {"plan": "x"}, "requestState": forged, "inputResponses": answer},
        )
        assert rpc_error(response) == (400, -32602), forged
    # A state is bound to its request: replaying it with other arguments is refused too.
    replay = _call(
        url,
        {
            "name": "signup",
            "arguments": {"plan": "enterprise"},
            "requestState": first["requestState"],
            "inputResponses": answer,
        },
    )
    assert rpc_error(replay) == (400, -32602)
    assert post(url, legacy_request("ping")).json()["result"] == {}


def test_state_sealed_with_a_rotated_out_key_is_refused_and_an_old_listed_key_accepted() -> None:
    old_only = StateSealer([KEYS[1].encode()])
    binding = "tools/call\0x"
    token = old_only.seal({"answers": {}}, binding)
    assert StateSealer([k.encode() for k in KEYS]).open(token, binding) == {"answers": {}}
    with pytest.raises(Exception, match="requestState"):
        StateSealer([KEYS[0].encode()]).open(token, binding)


def test_expired_state_is_refused() -> None:
    sealer = StateSealer([KEYS[0].encode()], ttl_seconds=-1)
    with pytest.raises(Exception, match="requestState"):
        sealer.open(sealer.seal({}, "b"), "b")


def test_undeclared_capability_is_32021_naming_it(url: str) -> None:
    response = _call(url, {"name": "signup", "arguments": {"plan": "x"}}, caps={"sampling": {}})
    assert rpc_error(response) == (400, -32021)
    assert response.json()["error"]["data"] == {"requiredCapabilities": {"elicitation": {}}}


def test_malformed_input_responses_are_invalid_params(url: str) -> None:
    for responses in ({"elicitation": 12345}, {"elicitation": {"action": "maybe"}}, [1]):
        response = _call(url, {"name": "signup", "arguments": {"plan": "x"}, "inputResponses": responses})
        assert rpc_error(response) == (400, -32602), responses


def test_a_missing_answer_is_asked_again(url: str) -> None:
    response = _call(
        url,
        {
            "name": "signup",
            "arguments": {"plan": "x"},
            "inputResponses": {"wrong_key": {"action": "accept", "content": {}}},
        },
    )
    assert response.json()["result"]["resultType"] == "input_required"


def test_legacy_answer_for_an_unknown_request_id_is_refused(url: str) -> None:
    response = post(
        url,
        {"jsonrpc": "2.0", "id": "srv-unknown", "result": {"action": "accept"}},
        headers={"MCP-Protocol-Version": "2025-11-25"},
    )
    assert rpc_error(response) == (404, -32602)


def test_legacy_question_without_an_answer_times_out_with_a_clear_error() -> None:
    app = AgentCoreMCP("t", tools=[signup], limits=Limits(input_timeout=0.2))
    with serve_in_thread(app) as base:
        body = legacy_request("tools/call", {"name": "signup", "arguments": {"plan": "x"}})
        response = httpx.post(f"{base}/mcp", json=body, headers={"Accept": ACCEPT}, timeout=10)
        events = [json.loads(line[6:]) for line in response.text.splitlines() if line.startswith("data: ")]
        assert events[0]["method"] == "elicitation/create"
        assert events[-1]["result"]["isError"] is True
        assert (
            "No answer from the client to elicitation/create within 0.2 s"
            in events[-1]["result"]["content"][0]["text"]
        )
        assert len(app.pending) == 0  # nothing left behind


def test_legacy_answer_posted_back_resumes_the_tool() -> None:
    app = AgentCoreMCP("t", tools=[everything], limits=Limits(input_timeout=10))

    async def scenario(base: str) -> dict[str, Any]:
        async with httpx.AsyncClient(timeout=10) as http:
            body = legacy_request("tools/call", {"name": "everything", "arguments": {}})
            async with http.stream(
                "POST", f"{base}/mcp", json=body, headers={"Accept": ACCEPT, "Mcp-Session-Id": "platform-1"}
            ) as response:
                async for line in response.aiter_lines():
                    if not line.startswith("data: "):
                        continue
                    message = json.loads(line[6:])
                    if "result" in message and message.get("id") == 1:
                        return message["result"]  # type: ignore[no-any-return]
                    answer = {
                        "elicitation/create": {"action": "accept", "content": {"name": "Lin"}},
                        "sampling/createMessage": {
                            "role": "assistant",
                            "model": "m",
                            "content": {"type": "text", "text": "hi"},
                        },
                        "roots/list": {"roots": [{"uri": "file:///a"}, {"uri": "file:///b"}]},
                    }[message["method"]]
                    # A reply from another session is not accepted for this question.
                    wrong = await http.post(
                        f"{base}/mcp",
                        json={"jsonrpc": "2.0", "id": message["id"], "result": answer},
                        headers={"Accept": ACCEPT, "Mcp-Session-Id": "someone-else"},
                    )
                    assert wrong.status_code == 404
                    ok = await http.post(
                        f"{base}/mcp",
                        json={"jsonrpc": "2.0", "id": message["id"], "result": answer},
                        headers={"Accept": ACCEPT, "Mcp-Session-Id": "platform-1"},
                    )
                    assert ok.status_code == 202
        raise AssertionError("no result")

    with serve_in_thread(app) as base:
        result = anyio.run(scenario, base)
    assert result["structuredContent"] == {"who": "Lin", "roots": 2}


async def test_legacy_elicitation_with_an_mcp2_client_session(url: str) -> None:
    from mcp.client import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    with anyio.fail_after(30):
        async with (
            streamable_http_client(url) as (read, write),
            ClientSession(
                read, write, elicitation_callback=on_elicit, sampling_callback=on_sample
            ) as session,
        ):
            init = await session.initialize()
            assert init.protocol_version == "2025-11-25"
            result = await session.call_tool("signup", {"plan": "team"})
            assert result.content[0].text == "Ada (Countess) on team"  # type: ignore[union-attr]
