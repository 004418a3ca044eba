"""The tool-name budget behind a Gateway: ``<target>___<tool>`` within Bedrock's 64 characters."""

from __future__ import annotations

from agentcore_mcp._gateway_names import (
    MAX_TOOL_NAME,
    check_target_name,
    check_tool_names,
    gateway_tool_name,
)


def test_a_60_character_tool_under_a_10_character_target_is_refused_by_name() -> None:
    long_tool = "t" * 60
    problems = check_tool_names("calculator", ["add_numbers", long_tool])
    assert [p.tool for p in problems] == [long_tool]
    (problem,) = problems
    assert problem.gateway_name == f"calculator___{long_tool}"
    assert len(problem.gateway_name) == 73
    assert problem.over_by == 9
    assert "73 characters, 9 over the limit of 64" in problem.reason
    assert "may have 51" in problem.reason
    assert long_tool in str(problem)


def test_names_that_fit_exactly_pass() -> None:
    tool = "x" * (MAX_TOOL_NAME - len("a___"))
    assert len(gateway_tool_name("a", tool)) == MAX_TOOL_NAME
    assert check_tool_names("a", [tool, "add_numbers"]) == []


def test_characters_outside_bedrocks_pattern_are_named() -> None:
    (problem,) = check_tool_names("a", ["files.read", "ok-name"])
    assert problem.tool == "files.read"
    assert "'.'" in problem.reason
    assert problem.over_by == 0


def test_target_names_follow_the_gateways_pattern() -> None:
    assert check_target_name("calc-1") is None
    assert check_target_name("calc_1") is not None  # no underscores in a TargetName
    assert check_target_name("a--b") is not None
    assert check_target_name("") is not None
