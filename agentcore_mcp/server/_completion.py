"""Argument completion (``completion/complete``) for prompt arguments and resource-template variables."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["Completion", "CompletionHandler", "CompletionRef", "enum_completion"]

MAX_VALUES = 100  # the spec's cap on values per answer


@dataclass(frozen=True)
class CompletionRef:
    """What is being completed: a prompt (by name) or a resource template (by its URI template)."""

    type: Literal["ref/prompt", "ref/resource"]
    name: str | None = None
    uri: str | None = None


@dataclass
class Completion:
    """Suggested values; ``total`` and ``has_more`` when there are more than were sent."""

    values: Sequence[str]
    total: int | None = None
    has_more: bool | None = None

    def to_wire(self) -> dict[str, Any]:
        values = list(self.values)[:MAX_VALUES]
        out: dict[str, Any] = {"values": values}
        total = (
            self.total
            if self.total is not None
            else (len(self.values) if len(self.values) > MAX_VALUES else None)
        )
        if total is not None:
            out["total"] = total
        has_more = self.has_more if self.has_more is not None else (len(self.values) > MAX_VALUES or None)
        if has_more is not None:
            out["hasMore"] = has_more
        return out


# Returns Completion, a sequence of strings, or None (no opinion), or an awaitable of one of those.
CompletionHandler = Callable[[CompletionRef, str, str, Mapping[str, str]], Any]
"""``handler(ref, argument_name, partial_value, other_arguments)`` returning values (or None: no opinion)."""


async def call_handler(
    handler: CompletionHandler, ref: CompletionRef, argument: str, value: str, context: Mapping[str, str]
) -> Completion | None:
    result: Any = handler(ref, argument, value, context)
    if inspect.isawaitable(result):
        result = await result
    if result is None:
        return None
    if isinstance(result, Completion):
        return result
    if isinstance(result, str):
        raise TypeError("a completion handler must return a list of strings, not one string")
    return Completion(values=[str(v) for v in result])


def enum_completion(schema: Mapping[str, Any], argument: str, value: str) -> Completion:
    """Complete from the values a parameter's schema allows (``Literal``, enums, ``bool``), by prefix."""
    spec = (schema.get("properties") or {}).get(argument) or {}
    options = _choices(spec, schema.get("$defs") or {})
    lowered = value.lower()
    return Completion(values=[o for o in options if o.lower().startswith(lowered)])


def _choices(spec: Mapping[str, Any], defs: Mapping[str, Any], depth: int = 0) -> list[str]:
    if depth > 5:
        return []
    if "$ref" in spec:
        target = str(spec["$ref"]).rsplit("/", 1)[-1]
        return _choices(defs.get(target) or {}, defs, depth + 1)
    if "enum" in spec:
        return [str(v) for v in spec["enum"]]
    if "const" in spec:
        return [str(spec["const"])]
    if spec.get("type") == "boolean":
        return ["true", "false"]
    out: list[str] = []
    for key in ("anyOf", "oneOf"):
        for option in spec.get(key, []):
            out.extend(_choices(option, defs, depth + 1))
    return out
