"""The tool-name budget of a Gateway target: ``<target>___<tool>`` against the limits downstream.

AgentCore Gateway names every tool of a target ``${target_name}___${tool_name}`` (three underscores; AWS
devguide, "Understand how AgentCore Gateway tools are named"). Models then see that name, and Amazon
Bedrock's Converse API takes a tool name only when it fits ``ToolSpecification.name``: "Length Constraints:
Minimum length of 1. Maximum length of 64. Pattern: [a-zA-Z0-9_-]+" (Amazon Bedrock API Reference,
"ToolSpecification"). A target's own name must match ``([0-9a-zA-Z][-]?){1,100}`` (botocore's
``bedrock-agentcore-control`` model, shape ``TargetName``: letters, digits and single hyphens, no
underscores). So a 60-character tool under a 10-character target is 73 characters long, nine too many.

:func:`check_tool_names` is pure: it takes the target name and the tools' names and returns one
:class:`NameProblem` per name that would break, saying by how much.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "MAX_TOOL_NAME",
    "SEPARATOR",
    "NameProblem",
    "check_target_name",
    "check_tool_names",
    "gateway_tool_name",
]

#: Bedrock Converse's ``ToolSpecification.name`` length limit.
MAX_TOOL_NAME = 64
#: What AgentCore Gateway puts between a target's name and its tool's name.
SEPARATOR = "___"
_TOOL_NAME = re.compile(r"[a-zA-Z0-9_-]+")
_TARGET_NAME = re.compile(r"([0-9a-zA-Z]-?){1,100}")


@dataclass(frozen=True)
class NameProblem:
    """One tool whose gateway name would break: the tool, the name the gateway gives it, and why."""

    tool: str
    gateway_name: str
    reason: str

    @property
    def over_by(self) -> int:
        """How many characters past :data:`MAX_TOOL_NAME` the gateway name is (0 when it fits)."""
        return max(0, len(self.gateway_name) - MAX_TOOL_NAME)

    def __str__(self) -> str:
        return f"{self.tool}: {self.gateway_name!r} {self.reason}"


def gateway_tool_name(target: str, tool: str) -> str:
    """The name AgentCore Gateway lists ``tool`` of ``target`` under: ``<target>___<tool>``."""
    return f"{target}{SEPARATOR}{tool}"


def check_target_name(target: str) -> str | None:
    """Why ``target`` is not a valid Gateway target name (``TargetName``'s pattern), or None."""
    if _TARGET_NAME.fullmatch(target):
        return None
    return (
        f"the target name {target!r} must be 1-100 letters and digits, each optionally followed by one "
        "hyphen (no underscores): the Gateway's TargetName pattern"
    )


def check_tool_names(target: str, tools: Iterable[str]) -> list[NameProblem]:
    """The tools of ``target`` whose gateway names break Bedrock's tool-name rule, in the order given.

    A name breaks the rule when ``<target>___<tool>`` is longer than 64 characters (the reason says by
    how much and how long the tool's name may be under this target) or has a character outside
    ``[a-zA-Z0-9_-]`` (the reason names them). An empty list: every name fits.
    """
    problems = []
    budget = MAX_TOOL_NAME - len(target) - len(SEPARATOR)
    for tool in tools:
        name = gateway_tool_name(target, tool)
        reasons = []
        if len(name) > MAX_TOOL_NAME:
            reasons.append(
                f"is {len(name)} characters, {len(name) - MAX_TOOL_NAME} over the limit of {MAX_TOOL_NAME} "
                f"(under the target {target!r} a tool name may have {max(budget, 0)})"
            )
        bad = sorted({ch for ch in name if not _TOOL_NAME.fullmatch(ch)})
        if bad:
            shown = ", ".join(repr(ch) for ch in bad)
            reasons.append(f"has characters outside [a-zA-Z0-9_-]: {shown}")
        if reasons:
            problems.append(NameProblem(tool, name, "; ".join(reasons)))
    return problems
