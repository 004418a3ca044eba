"""Optional OpenTelemetry spans: one per MCP request, one per tool run, continuing the caller's trace.

AgentCore Runtime's observability is ADOT (the AWS Distro for OpenTelemetry): when the container runs under
``opentelemetry-instrument`` (or the application configures an SDK), the spans made here join the trace
the platform started, through the incoming ``traceparent`` (or ``X-Amzn-Trace-Id``, with the X-Ray
propagator configured). Spans are made when OpenTelemetry is installed and asked for (see :func:`enabled`);
otherwise every function here returns a shared no-op object: no import, no allocation per request.

Names and attributes follow the OpenTelemetry semantic conventions for MCP (development status)::

    tools/call add_numbers            SERVER   mcp.method.name, gen_ai.tool.name, jsonrpc.request.id,
    └── execute_tool add_numbers      INTERNAL mcp.session.id, mcp.protocol.version, error.type, ...

Usage (the server does this; shown for a custom ASGI wrapper or tests)::

    from agentcore_mcp import telemetry

    with telemetry.request_span("tools/call", scope["headers"], target="add_numbers", request_id=7) as span:
        with telemetry.tool_span("add_numbers") as tool:
            result = await run_tool()
            if result.get("isError"):
                tool.tool_error()           # error.type = "tool_error"; the span's status is ERROR
        ...
        span.jsonrpc_error(-32602, "Unknown tool")  # for a request answered with a JSON-RPC error

Enter and exit a span in the same task or thread (the current span lives in a context variable). An
exception leaving the block is recorded on the span (``error.type`` is its class name) and re-raised.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from types import TracebackType
from typing import Any

from agentcore_mcp import _settings as settings
from agentcore_mcp._wire import MCP_SESSION_ID

__all__ = [
    "SpanScope",
    "enabled",
    "request_span",
    "tool_span",
    "use_tracer_provider",
]

Headers = Mapping[str, str] | Iterable[tuple[bytes, bytes]]

_TRACE_KEYS = ("traceparent", "tracestate", "baggage")
_enabled: bool | None = None
_otel: Any = None  # the imported OpenTelemetry API pieces, once enabled
_tracer: Any = None
_provider: Any = None


def enabled() -> bool:
    """True when spans are made: OpenTelemetry's API is importable and tracing is asked for.

    ``AGENTCORE_MCP_TRACING=on`` asks for it, ``off`` forbids it; unset, it is on when the process is set
    up for OpenTelemetry (an ``OTEL_*`` environment variable, as ``opentelemetry-instrument`` and ADOT set)
    or a provider was given to :func:`use_tracer_provider`. Merely having the package installed costs
    nothing: the cold start does not import it. Decided once, on first use.
    """
    global _enabled
    if _enabled is None:
        try:
            setting = settings.flag(settings.TRACING)
        except ValueError:  # an unknown value leaves the choice to the OpenTelemetry set-up, as unset does
            setting = None
        if setting is False:
            _enabled = False
        elif setting or _provider is not None or any(name.startswith("OTEL_") for name in os.environ):
            _enabled = _load()
        else:
            _enabled = False
    return _enabled


def _load() -> bool:
    global _otel
    try:
        from opentelemetry import context, propagate, trace
        from opentelemetry.propagators.textmap import Getter
    except ImportError:
        return False

    class HeaderGetter(Getter[Mapping[str, str]]):
        """Case-insensitive lookups: the carrier's keys are lower-case, propagators ask in any case."""

        def get(self, carrier: Mapping[str, str], key: str) -> list[str] | None:
            value = carrier.get(key.lower())
            return None if value is None else [value]

        def keys(self, carrier: Mapping[str, str]) -> list[str]:
            return list(carrier)

    _otel = (trace, propagate, context, HeaderGetter())
    return True


def use_tracer_provider(provider: Any) -> None:
    """Make spans with ``provider`` instead of the global tracer provider (``None``: the global one again)."""
    global _provider, _tracer
    _provider = provider
    _tracer = None


def _get_tracer() -> Any:
    global _tracer
    if _tracer is None:
        from agentcore_mcp._version import __version__

        trace = _otel[0]
        provider = _provider if _provider is not None else trace.get_tracer_provider()
        _tracer = provider.get_tracer("agentcore_mcp", __version__)
    return _tracer


class SpanScope:
    """A span being recorded, as a context manager. The no-op one (tracing off) accepts the same calls.

    Attributes:
        span: the OpenTelemetry span (``None`` when tracing is off).
    """

    __slots__ = ("_attributes", "_kind", "_manager", "_name", "_parent", "span")

    def __init__(
        self,
        name: str = "",
        kind: str = "INTERNAL",
        attributes: dict[str, Any] | None = None,
        parent: Any = None,
    ) -> None:
        self._name = name
        self._kind = kind
        self._attributes = attributes
        self._parent = parent
        self._manager: Any = None
        self.span: Any = None

    def __enter__(self) -> SpanScope:
        if _otel is None or not self._name:  # tracing off: the shared no-op scope
            return self
        trace = _otel[0]
        self._manager = _get_tracer().start_as_current_span(
            self._name,
            context=self._parent,
            kind=getattr(trace.SpanKind, self._kind),
            attributes=self._attributes,
            record_exception=False,
            set_status_on_exception=False,
        )
        self.span = self._manager.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        manager, self._manager = self._manager, None
        if manager is None:
            return
        if exc is not None and not isinstance(exc, GeneratorExit):
            self.span.record_exception(exc)
            self._fail(type(exc).__qualname__, str(exc) or type(exc).__qualname__)
        manager.__exit__(exc_type, exc, traceback)

    def set_attribute(self, key: str, value: Any) -> None:
        """Set one attribute (str, bool, int, float, or a sequence of one of those)."""
        if self.span is not None:
            self.span.set_attribute(key, value)

    def tool_error(self, message: str | None = None) -> None:
        """The tool returned an error result (``isError: true``): ``error.type`` is ``tool_error``."""
        self._fail("tool_error", message)

    def jsonrpc_error(self, code: int, message: str | None = None) -> None:
        """The request was answered with a JSON-RPC error: its code as ``error.type`` and
        ``rpc.response.status_code``."""
        if self.span is not None:
            self.span.set_attribute("rpc.response.status_code", str(code))
        self._fail(str(code), message)

    def _fail(self, error_type: str, message: str | None) -> None:
        if self.span is None:
            return
        trace = _otel[0]
        self.span.set_attribute("error.type", error_type)
        self.span.set_status(trace.Status(trace.StatusCode.ERROR, message))


_NOOP = SpanScope()


def _carrier(headers: Headers | None, meta: Mapping[str, Any] | None) -> dict[str, str]:
    carrier: dict[str, str] = {}
    if isinstance(headers, Mapping):
        carrier = {str(k).lower(): str(v) for k, v in headers.items()}
    elif headers is not None:
        carrier = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in headers}
    if meta:
        # MCP's own propagation (params._meta) is per message, so it is more specific than the HTTP headers.
        for key in _TRACE_KEYS:
            value = meta.get(key)
            if isinstance(value, str):
                carrier[key] = value
    return carrier


def request_span(
    method: str,
    headers: Headers | None = None,
    *,
    target: str | None = None,
    request_id: Any = None,
    session_id: str | None = None,
    protocol_version: str | None = None,
    meta: Mapping[str, Any] | None = None,
    attributes: Mapping[str, Any] | None = None,
) -> SpanScope:
    """A SERVER span for one MCP request or notification, child of the caller's trace context.

    Args:
        method: the JSON-RPC method (``tools/call``).
        headers: the HTTP request headers (a mapping, or ASGI's raw ``(bytes, bytes)`` pairs): the trace
            context (``traceparent``, ``tracestate``, ``baggage``, ``X-Amzn-Trace-Id``) comes from them.
        target: the tool or prompt name (``gen_ai.tool.name`` for ``tools/call``, ``gen_ai.prompt.name``
            for ``prompts/get``); it ends the span name.
        request_id: the JSON-RPC id (None for a notification).
        session_id: ``Mcp-Session-Id`` (default: from ``headers``).
        protocol_version: the MCP protocol version of the request.
        meta: the request's ``params._meta``: its ``traceparent``/``tracestate``/``baggage`` win.
        attributes: extra span attributes.
    """
    if not enabled():
        return _NOOP
    carrier = _carrier(headers, meta)
    _, propagate, _, getter = _otel
    parent = propagate.extract(carrier, getter=getter)
    values: dict[str, Any] = {
        "mcp.method.name": method,
        "network.transport": "tcp",
        "network.protocol.name": "http",
    }
    if target:
        if method == "tools/call":
            values["gen_ai.tool.name"] = target
            values["gen_ai.operation.name"] = "execute_tool"
        elif method == "prompts/get":
            values["gen_ai.prompt.name"] = target
    if request_id is not None:
        values["jsonrpc.request.id"] = str(request_id)
    session = session_id or carrier.get(MCP_SESSION_ID)
    if session:
        values["mcp.session.id"] = session
    if protocol_version:
        values["mcp.protocol.version"] = protocol_version
    if attributes:
        values.update(attributes)
    name = f"{method} {target}" if target and method in ("tools/call", "prompts/get") else method
    return SpanScope(name, "SERVER", values, parent)


def tool_span(name: str, *, attributes: Mapping[str, Any] | None = None) -> SpanScope:
    """An INTERNAL span around one tool function's run, child of the current span.

    Enter it before a sync tool is handed to its worker thread: the thread gets a copy of the context,
    so spans the tool makes (an instrumented HTTP client, say) nest under this one.
    """
    if not enabled():
        return _NOOP
    values: dict[str, Any] = {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": name}
    if attributes:
        values.update(attributes)
    return SpanScope(f"execute_tool {name}", "INTERNAL", values)
