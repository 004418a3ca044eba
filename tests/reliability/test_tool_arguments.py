"""Tool argument validation against hostile arguments, and tool output that cannot be sent."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from agentcore_mcp import AgentCoreMCP, tool

from . import harness
from .conftest import Runner, fuzz_settings
from .strategies import check_answer, json_values, texts

VALID: dict[str, Any] = {
    "s": "text",
    "n": 3,
    "f": 1.5,
    "flag": True,
    "items": [1, 2],
    "mapping": {"k": "v"},
    "choice": "red",
    "point": {"x": 1, "y": 2},
    "optional": None,
}
HOSTILE_VALUES = st.one_of(
    json_values,
    st.sampled_from(
        [
            "1",
            "1.0",
            "true",
            "",
            1.0,
            1.5,
            True,
            0,
            2**64,
            10**400,
            [],
            {},
            {"x": "1", "y": "2"},
            {"x": 1},
            {"__class__": "x"},
            ["1", 2],
            [True],
            {"k": 1},
            "RED",
            "x" * 100_000,
        ]
    ),
)


@st.composite
def typed_arguments(draw: st.DrawFn) -> dict[str, Any]:
    arguments = dict(VALID)
    for key in list(arguments):
        choice = draw(st.integers(0, 5))
        if choice == 0:
            arguments[key] = draw(HOSTILE_VALUES)
        elif choice == 1:
            del arguments[key]
    for _ in range(draw(st.integers(0, 3))):
        arguments[
            draw(st.one_of(texts, st.sampled_from(["__proto__", "model_config", "__dict__", "ctx"])))
        ] = draw(json_values)
    return arguments


def _call(run: Runner, app: AgentCoreMCP, name: str, arguments: Any, era: str = "legacy") -> harness.Answer:
    params = {"name": name, "arguments": arguments}
    if era == "modern":
        message, headers = harness.modern("tools/call", params)
    else:
        message, headers = harness.legacy("tools/call", params), {}
    answer = run(harness.call, app, harness.post_scope(headers), json.dumps(message).encode())
    check_answer(answer, message, headers)
    return answer


@fuzz_settings(500)
@given(arguments=typed_arguments(), era=st.sampled_from(["legacy", "modern"]))
def test_hostile_arguments_are_refused_as_tool_errors_never_let_through(
    run: Runner, app: AgentCoreMCP, arguments: dict[str, Any], era: str
) -> None:
    answer = _call(run, app, "typed", arguments, era)
    result = answer.final()["result"]
    text = result["content"][0]["text"] if result["content"] else ""
    assert "TYPE CONFUSION" not in text
    if result["isError"]:
        assert text.startswith("Invalid arguments for tool 'typed'"), text
    else:
        assert result["structuredContent"]["ok"] is True


@fuzz_settings(200)
@given(arguments=json_values)
def test_arguments_of_any_json_shape_are_answered(run: Runner, app: AgentCoreMCP, arguments: Any) -> None:
    answer = _call(run, app, "add", arguments)
    final = answer.final()
    if arguments is None or isinstance(arguments, dict):  # null arguments mean none
        assert "result" in final
    else:
        assert final["error"]["code"] == -32602


def test_extra_arguments_are_ignored_and_never_reach_the_function(run: Runner, app: AgentCoreMCP) -> None:
    answer = _call(run, app, "add", {"a": 1, "b": 2, "c": 3, "__class__": "x", "ctx": {}})
    assert answer.final()["result"]["structuredContent"] == {"result": 3}


def test_lax_coercions_are_the_documented_pydantic_ones(run: Runner, app: AgentCoreMCP) -> None:
    # pydantic's lax mode: numeric strings and booleans become ints (the function still gets an int);
    # floats with a fraction, other strings, containers and null do not.
    assert _call(run, app, "add", {"a": "2", "b": 3}).final()["result"]["structuredContent"] == {"result": 5}
    assert _call(run, app, "add", {"a": True, "b": 3}).final()["result"]["structuredContent"] == {"result": 4}
    wrongs: list[Any] = [1.5, "x", "1e3", [], {}, None]
    for wrong in wrongs:
        result = _call(run, app, "add", {"a": wrong, "b": 3}).final()["result"]
        assert result["isError"] is True, wrong
        assert result["content"][0]["text"].startswith("Invalid arguments for tool 'add': a:")


def test_oversize_strings_pass_through_intact(run: Runner, app: AgentCoreMCP) -> None:
    text = "é" * 2_000_000
    assert _call(run, app, "echo", {"text": text}).final()["result"]["content"][0]["text"] == text


def test_parameter_names_that_collide_with_model_internals(run: Runner) -> None:
    @tool
    def odd(model_config: str, schema: int, _private: str = "p", copy: bool = False) -> dict[str, Any]:
        """Parameters named like BaseModel attributes."""
        return {"model_config": model_config, "schema": schema, "_private": _private, "copy": copy}

    app = AgentCoreMCP("odd", tools=[odd])
    answer = _call(run, app, "odd", {"model_config": "m", "schema": 2, "_private": "q", "copy": True})
    assert answer.final()["result"]["structuredContent"] == {
        "model_config": "m",
        "schema": 2,
        "_private": "q",
        "copy": True,
    }
    refused = _call(run, app, "odd", {"model_config": 1, "schema": "two"}).final()["result"]
    assert refused["isError"] is True


def test_output_that_cannot_be_serialized_is_a_tool_error(run: Runner, app: AgentCoreMCP) -> None:
    for name in ("unserializable", "wrong_type"):
        for era in ("legacy", "modern"):
            result = _call(run, app, name, {}, era).final()["result"]
            assert result["isError"] is True
            assert (
                result["content"][0]["text"]
                == f"Tool {name!r} returned a result that could not be serialized"
            )


def test_huge_output_is_sent_whole(run: Runner, app: AgentCoreMCP) -> None:
    result = _call(run, app, "huge", {"size": 10_000_000}).final()["result"]
    assert len(result["content"][0]["text"]) == 10_000_000
