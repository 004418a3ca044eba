"""The options of tools, resources and prompts: one type each, taken alike by the decorator, ``app.<kind>()``
and ``app.add_<kind>()``; normalised and validated once, here, whichever way they came in.

Options are plain dicts (``TypedDict``): the decorator records the normalised dict on the function, the
``add_*`` methods lay their own options over what was recorded (a value of None keeps the recorded one).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Literal, TypedDict, TypeVar, cast, get_args

from agentcore_mcp.errors import RegistrationError

__all__ = [
    "PromptOptions",
    "ResourceOptions",
    "TaskSupport",
    "ToolAnnotations",
    "ToolOptions",
    "describe",
    "describe_tail",
    "merged",
    "record",
]

F = TypeVar("F", bound=Callable[..., Any])
OptionsT = TypeVar("OptionsT", bound=Mapping[str, Any])

TaskSupport = Literal["forbidden", "optional", "required"]
"""Whether a tool may run as a task (the Tasks extension's ``taskSupport``); the core itself ignores it."""


class ToolAnnotations(TypedDict, total=False):
    """Hints about a tool's behaviour, as the MCP spec names them (all optional, all advisory)."""

    title: str
    readOnlyHint: bool
    destructiveHint: bool
    idempotentHint: bool
    openWorldHint: bool


class _Published(TypedDict, total=False):
    """What every kind publishes besides its name."""

    name: str | None  # default: the function's name
    title: str | None  # a human-readable display name
    description: str | None  # default: the docstring's text before its first section
    icons: Sequence[Mapping[str, Any]] | None  # icon descriptors ({"src", "mimeType", "sizes"})
    meta: Mapping[str, Any] | None  # the definition's ``_meta`` object


class ToolOptions(_Published, total=False):
    """A tool's options (see :func:`agentcore_mcp.tool` for what each means)."""

    annotations: ToolAnnotations | Mapping[str, Any] | None
    timeout: float | None
    input_schema: Mapping[str, Any] | None
    output_schema: Mapping[str, Any] | None
    exclude_args: Iterable[str] | None
    sync_to_thread: bool | None
    task: TaskSupport | None


class ResourceOptions(_Published, total=False):
    """A resource's options besides its URI (see :func:`agentcore_mcp.resource`)."""

    mime_type: str | None
    size: int | None
    annotations: Mapping[str, Any] | None


class PromptOptions(_Published, total=False):
    """A prompt's options (see :func:`agentcore_mcp.prompt`)."""


_KEYS = {
    "tool": ToolOptions.__optional_keys__,
    "resource": ResourceOptions.__optional_keys__,
    "prompt": PromptOptions.__optional_keys__,
}


def _normalised(kind: str, options: Mapping[str, Any]) -> dict[str, Any]:
    """``options`` without None values, containers copied (immutable where they are sequences), checked."""
    unknown = sorted(set(options) - _KEYS[kind])
    if unknown:
        raise TypeError(f"unexpected {kind} option(s): {', '.join(unknown)}")
    out: dict[str, Any] = {}
    for key, value in options.items():
        if value is None:
            continue
        if key in ("icons", "exclude_args"):
            value = tuple(value)
        elif key in ("meta", "annotations", "input_schema", "output_schema"):
            value = dict(value)
        out[key] = value
    timeout = out.get("timeout")
    if timeout is not None and timeout <= 0:
        raise RegistrationError(f"timeout must be a positive number of seconds, not {timeout!r}")
    task = out.get("task")
    if task is not None and task not in get_args(TaskSupport):
        choices = ", ".join(repr(c) for c in get_args(TaskSupport))
        raise RegistrationError(f"task must be one of {choices}, not {task!r}")
    return out


def merged(kind: str, recorded: OptionsT | None, given: Mapping[str, Any]) -> OptionsT:
    """``given`` (normalised; None values dropped) laid over what the decorator ``recorded``."""
    return cast("OptionsT", {**(recorded or {}), **_normalised(kind, given)})


def record(kind: str, attr: str, options: Mapping[str, Any], **fixed: Any) -> Callable[[F], F]:
    """A decorator that records the normalised ``options`` (and ``fixed``, e.g. a resource's URI) on a
    function under ``attr`` and returns the function."""
    normalised = {**_normalised(kind, options), **fixed}

    def mark(func: F) -> F:
        if not callable(func):
            raise RegistrationError(f"@{kind} expects a function, got {func!r}")
        setattr(func, attr, normalised)
        return func

    return mark


def describe(definition: dict[str, Any], options: Mapping[str, Any], summary: str | None) -> dict[str, Any]:
    """Add the options every kind publishes (title, description, icons, ``_meta``) to ``definition``."""
    if options.get("title"):
        definition["title"] = options["title"]
    description = options.get("description") or summary
    if description:
        definition["description"] = description
    return definition


def describe_tail(definition: dict[str, Any], options: Mapping[str, Any]) -> dict[str, Any]:
    """Add the options every kind publishes last (icons, ``_meta``) to ``definition``."""
    if options.get("icons"):
        definition["icons"] = [dict(i) for i in options["icons"]]
    if options.get("meta"):
        definition["_meta"] = dict(options["meta"])
    return definition
