"""``@tool``: mark a function as an MCP tool; :class:`Tool`: the compiled form the server calls."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast, overload

import pydantic
from pydantic_core import to_json

from agentcore_mcp import telemetry
from agentcore_mcp.errors import ProtocolError, RegistrationError, ToolError
from agentcore_mcp.server._content import CONTENT_TYPES, ToolResult, text_result, to_result
from agentcore_mcp.server._context import Context
from agentcore_mcp.server._functions import CallTimedOut, Function, describe_validation_error, function_name
from agentcore_mcp.server._input import InputRequired
from agentcore_mcp.server._registration import (
    TaskSupport,
    ToolAnnotations,
    ToolOptions,
    describe,
    describe_tail,
    record,
)
from agentcore_mcp.server._schema import OutputSpec

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["TaskSupport", "Tool", "ToolAnnotations", "ToolOptions", "tool"]

logger = logging.getLogger("agentcore_mcp.server")

F = TypeVar("F", bound=Callable[..., Any])

OPTIONS_ATTR = "__agentcore_mcp_tool__"


@overload
def tool(fn: F, /) -> F: ...


@overload
def tool(**options: Unpack[ToolOptions]) -> Callable[[F], F]: ...


def tool(fn: F | None = None, /, **options: Unpack[ToolOptions]) -> F | Callable[[F], F]:
    """Mark a sync or async function as an MCP tool and return it unchanged.

    Use bare (``@tool``) or with options (``@tool(name="add", timeout=5)``). The function stays directly
    callable; registering it on an :class:`~agentcore_mcp.AgentCoreMCP` (``tools=[...]``) publishes it.

    Args:
        name: the tool name (default: the function's name).
        title: a human-readable display name.
        description: the description (default: the docstring's text before its first section).
        annotations: behaviour hints (``readOnlyHint``, ``destructiveHint``, ...).
        timeout: seconds after which the call fails with ``isError: true``.
        icons: icon descriptors (``{"src": ..., "mimeType": ..., "sizes": [...]}``).
        meta: the tool's ``_meta`` object.
        input_schema: a JSON Schema to publish instead of the one derived from the signature; arguments
            are then passed through unvalidated (the function validates them itself).
        output_schema: an output schema to publish instead of the one derived from the return annotation.
        exclude_args: parameters left out of the input schema because something else supplies them, e.g.
            ``access_token`` filled in by bedrock-agentcore's ``@requires_access_token``.
        sync_to_thread: for a sync function: run it in a worker thread (the default, so a blocking call
            cannot stall other requests) or, with ``False``, directly on the event loop. Declare ``False``
            only for functions that never block and finish in microseconds (arithmetic, formatting, dict
            look-ups): it saves the thread hop, most of the server's cost for such a call. A ``timeout``
            cannot interrupt a function running on the loop, so the two cannot be combined.
        task: whether the tool may run as a task (``"forbidden"``, ``"optional"``, ``"required"``), for the
            Tasks extension to read as ``Tool.task``; the core ignores it.
    """
    mark = record("tool", OPTIONS_ATTR, options)
    if fn is not None:
        if not callable(fn):
            raise RegistrationError(f"@tool expects a function, got {fn!r}; did you mean @tool(name=...)?")
        return mark(fn)
    return mark


class Tool:
    """A registered tool: its published definition and the machinery to call it.

    Built once at registration. :meth:`run` never raises for anything the tool or its caller did wrong:
    every failure becomes an ``isError`` result (the reason is logged server-side).
    """

    __slots__ = (
        "_direct",
        "_exact",
        "_function",
        "_output",
        "definition",
        "expose_errors",
        "fn",
        "immediate",
        "name",
        "options",
        "param_headers",
        "task",
        "timeout",
        "wants_context",
    )

    def __init__(self, fn: Callable[..., Any], options: ToolOptions | None = None) -> None:
        if options is None:
            options = cast("ToolOptions", getattr(fn, OPTIONS_ATTR, None) or {})
        self.name: str = function_name(fn, options.get("name"))
        self.fn = fn
        self.options = options
        self.timeout = options.get("timeout")
        self.task = options.get("task")
        self.expose_errors = False
        self._function = function = Function(
            fn,
            self.name,
            input_schema=options.get("input_schema"),
            exclude_args=tuple(options.get("exclude_args") or ()),
            sync_to_thread=options.get("sync_to_thread") is not False,
        )
        if self.timeout is not None and not function.is_async and not function.in_thread:
            raise RegistrationError(
                f"tool {self.name!r}: a timeout needs the function to run in a thread (sync_to_thread=True) "
                "or to be async; a sync function on the event loop cannot be interrupted"
            )
        self._output = OutputSpec(
            function.return_type, name=self.name, content_types=(*CONTENT_TYPES, ToolResult)
        )
        given_output = options.get("output_schema")
        output_schema = dict(given_output) if given_output is not None else self._output.schema
        definition = describe({"name": self.name}, options, function.summary)
        definition["inputSchema"] = function.schema
        if output_schema is not None:
            definition["outputSchema"] = output_schema
        if options.get("annotations"):
            definition["annotations"] = dict(options["annotations"] or {})
        self.definition = describe_tail(definition, options)
        # Arguments mirrored in Mcp-Param-{Name} headers (modern era): (lower-cased name, property).
        self.param_headers = _param_headers(self.name, function.schema)
        self.wants_context = function.wants_context
        # Decided here rather than per call (every request of the tool pays for what is decided per call):
        # a function that runs on the loop with no timeout is called by _run itself, without
        # Function.call's frame; an int or bool result wrapped as it is gets its wire form without
        # to_result (see OutputSpec.exact).
        self._direct = not function.in_thread and self.timeout is None
        # A sync function on the loop that takes no Context needs no awaiting at all: the protocol layer
        # answers its calls with run_now, in one plain call (see Protocol.answer_now).
        self.immediate = self._direct and not function.is_async and not function.wants_context
        output = self._output
        wrapped_as_is = output.schema is not None and output.dumps and output.wrap
        self._exact = output.exact if wrapped_as_is else None

    def run(self, arguments: Mapping[str, Any] | None, ctx: Context | None) -> Awaitable[dict[str, Any]]:
        """Validate ``arguments``, call the function, and return the wire ``tools/call`` result (awaitable).

        A plain function returning the coroutine (not a coroutine of its own): one frame less per call.
        """
        if not telemetry.enabled():
            return self._run(arguments, ctx)
        return self._traced(arguments, ctx)

    async def _traced(self, arguments: Mapping[str, Any] | None, ctx: Context | None) -> dict[str, Any]:
        # Entered before the call so a sync tool's worker thread inherits the span in its context copy.
        with telemetry.tool_span(self.name) as span:
            result = await self._run(arguments, ctx)
            if result.get("isError"):
                span.tool_error()
            return result

    def run_now(self, arguments: Mapping[str, Any] | None) -> dict[str, Any]:
        """:meth:`run` for an :attr:`immediate` tool, without awaiting (the same result, the same failures).

        Tracing is the caller's to rule out: no span is made here.
        """
        try:
            kwargs = self._function.validate(arguments or {})
        except pydantic.ValidationError as exc:
            return text_result(describe_validation_error("tool", self.name, exc), is_error=True)
        try:
            value = self._function.fn(**kwargs)
        except BaseException as exc:
            return self._failed(exc)
        return self._result(value)

    async def _run(self, arguments: Mapping[str, Any] | None, ctx: Context | None) -> dict[str, Any]:
        function = self._function
        try:
            kwargs = function.validate(arguments or {})
        except pydantic.ValidationError as exc:
            return text_result(describe_validation_error("tool", self.name, exc), is_error=True)
        try:
            if self._direct:  # as Function.call does it for a function on the loop without a timeout
                for param in function.context_params:
                    kwargs[param] = ctx
                value = function.fn(**kwargs)
                if function.is_async:
                    value = await value
            else:
                value = await function.call(kwargs, ctx, self.timeout)
        except BaseException as exc:
            return self._failed(exc)
        return self._result(value)

    def _failed(self, exc: BaseException) -> dict[str, Any]:
        """The ``isError`` result for what the function raised, or ``exc`` raised again when it must unwind
        the request. Called from the ``except`` block that caught ``exc`` (the log records its traceback).

        What unwinds: a deliberate JSON-RPC error (a missing client capability, say: the client gets it as
        such), a request for input (asked outside until_answered: an extension's own run answers it), the
        request's own cancellation (the client went away), Ctrl-C.
        """
        if isinstance(exc, _UNWINDS) or (isinstance(exc, asyncio.CancelledError) and _cancelling()):
            try:
                raise exc
            finally:
                del exc  # (the frame raising it must not keep it: that would be a reference cycle)
        if isinstance(exc, ToolError):
            return text_result(str(exc), is_error=True)
        if isinstance(exc, CallTimedOut):
            logger.warning("tool %r timed out after %ss", self.name, self.timeout)
            return text_result(f"Tool {self.name!r} timed out after {self.timeout:g} seconds", is_error=True)
        if isinstance(exc, Exception):
            logger.exception("tool %r raised", self.name)
            detail = f": {exc}" if self.expose_errors else ""
            return text_result(f"Tool {self.name!r} failed{detail}", is_error=True)
        if isinstance(exc, asyncio.CancelledError):
            logger.error("tool %r was cancelled by something other than its request", self.name)
            return text_result(f"Tool {self.name!r} failed", is_error=True)
        # SystemExit and the like from user code must not take the request down
        logger.exception("tool %r raised a BaseException", self.name)
        return text_result(f"Tool {self.name!r} failed", is_error=True)

    def _result(self, value: Any) -> dict[str, Any]:
        """The wire ``tools/call`` result of what the function returned."""
        if type(value) is self._exact:  # (None unless the result type is int or bool)
            text = to_json(value).decode()
            return {
                "content": [{"type": "text", "text": text}],
                "structuredContent": {"result": value},
                "isError": False,
            }
        try:
            output = self._output
            if output.schema is not None and output.dumps:
                return to_result(value, output.structured(value), has_schema=True, wrapped=output.wrap)
            return to_result(value)
        except Exception as exc:
            logger.exception("tool %r returned a value that cannot be sent", self.name)
            detail = f": {exc}" if self.expose_errors else ""
            return text_result(
                f"Tool {self.name!r} returned a result that could not be serialized{detail}", is_error=True
            )


_UNWINDS = (ProtocolError, InputRequired, KeyboardInterrupt)


def _cancelling() -> bool:
    """True when the current task itself is being cancelled (Python 3.11+ can tell; 3.10 assumes so)."""
    task = asyncio.current_task()
    if task is None:
        return True
    cancelling = getattr(task, "cancelling", None)
    return True if cancelling is None else bool(cancelling())


_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")


def _param_headers(tool_name: str, schema: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    """The ``x-mcp-header`` annotations of a schema, checked: RFC 9110 tokens, unique, scalar properties.

    Raises:
        RegistrationError: an annotation a client could not (or must not) put in a header name.
    """
    found: list[tuple[str, str]] = []
    for prop, spec in (schema.get("properties") or {}).items():
        if not isinstance(spec, dict) or "x-mcp-header" not in spec:
            continue
        token = spec["x-mcp-header"]
        if not isinstance(token, str) or not _TOKEN.fullmatch(token):
            raise RegistrationError(
                f"tool {tool_name!r}: x-mcp-header of {prop!r} must be an HTTP token, got {token!r}"
            )
        if spec.get("type") not in ("string", "integer", "number", "boolean"):
            raise RegistrationError(
                f"tool {tool_name!r}: x-mcp-header needs a string, number or boolean property ({prop!r})"
            )
        if any(token.lower() == seen for seen, _ in found):
            raise RegistrationError(f"tool {tool_name!r}: x-mcp-header {token!r} appears twice")
        found.append((token.lower(), prop))
    return tuple(found)
