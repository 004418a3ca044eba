"""``@prompt``: publish message templates that clients fetch with ``prompts/get``."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar, cast, overload

from agentcore_mcp import _wire as rpc
from agentcore_mcp.errors import ProtocolError
from agentcore_mcp.server._content import CONTENT_TYPES, PromptMessage
from agentcore_mcp.server._context import Context
from agentcore_mcp.server._functions import Function, function_name
from agentcore_mcp.server._registration import PromptOptions, describe, describe_tail, record

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["Prompt", "PromptMessage", "PromptOptions", "prompt"]

logger = logging.getLogger("agentcore_mcp.server")

F = TypeVar("F", bound=Callable[..., Any])

OPTIONS_ATTR = "__agentcore_mcp_prompt__"


@overload
def prompt(fn: F, /) -> F: ...


@overload
def prompt(**options: Unpack[PromptOptions]) -> Callable[[F], F]: ...


def prompt(fn: F | None = None, /, **options: Unpack[PromptOptions]) -> F | Callable[[F], F]:
    """Mark a function as a prompt and return it unchanged.

    The prompt's arguments are the function's parameters (descriptions from ``Field`` or the docstring's
    ``Args:``; parameters without defaults are required). Clients send arguments as strings; they are
    validated and converted to the annotated types. The function returns a ``str`` (one user message), a
    :class:`PromptMessage`, a content block (a user message holding it), or a list of those.
    """
    mark = record("prompt", OPTIONS_ATTR, options)
    return mark(fn) if fn is not None else mark


class Prompt:
    """A registered prompt and how to render it."""

    __slots__ = ("_function", "definition", "expose_errors", "fn", "name")

    def __init__(self, fn: Callable[..., Any], options: PromptOptions | None = None) -> None:
        if options is None:
            options = cast("PromptOptions", getattr(fn, OPTIONS_ATTR, None) or {})
        self.fn = fn
        self.name = function_name(fn, options.get("name"))
        self.expose_errors = False
        self._function = Function(fn, self.name)
        schema = self._function.schema
        required = set(schema.get("required", []))
        arguments = []
        for arg, spec in schema.get("properties", {}).items():
            item: dict[str, Any] = {"name": arg, "required": arg in required}
            if isinstance(spec, dict) and spec.get("description"):
                item["description"] = spec["description"]
            arguments.append(item)
        definition = describe({"name": self.name}, options, self._function.summary)
        if arguments:
            definition["arguments"] = arguments
        describe_tail(definition, options)
        self.definition = definition

    @property
    def function(self) -> Function:
        return self._function

    async def render(self, arguments: Mapping[str, Any], ctx: Context | None) -> dict[str, Any]:
        """Call the prompt function and return the wire ``prompts/get`` result.

        Raises:
            ProtocolError: bad or missing arguments (-32602); the function failed (-32603).
        """
        failed = f"Prompt {self.name!r} failed"
        value = await self._function.run_or_refuse(
            arguments, ctx, "prompt", failed, expose_errors=self.expose_errors
        )
        try:
            rendered = messages(value)
        except TypeError:
            logger.exception("prompt %r returned a value that is not a message", self.name)
            raise ProtocolError(
                rpc.INTERNAL_ERROR, f"Prompt {self.name!r} returned an invalid message"
            ) from None
        result: dict[str, Any] = {"messages": rendered}
        if "description" in self.definition:
            result["description"] = self.definition["description"]
        return result


def messages(value: Any) -> list[dict[str, Any]]:
    """Turn a prompt function's return value into wire prompt messages."""
    items = value if isinstance(value, Sequence) and not isinstance(value, str) else [value]
    out = []
    for item in items:
        if isinstance(item, PromptMessage):
            out.append(item.to_wire())
        elif isinstance(item, str):
            out.append({"role": "user", "content": {"type": "text", "text": item}})
        elif isinstance(item, CONTENT_TYPES):
            out.append({"role": "user", "content": item.to_wire()})  # type: ignore[attr-defined]
        elif isinstance(item, dict) and "role" in item and "content" in item:
            out.append(item)
        else:
            raise TypeError(
                f"a prompt returned {type(item).__name__}; expected str, PromptMessage or content"
            )
    return out
