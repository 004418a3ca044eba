"""``agentcore_mcp.telemetry``: spans per request and per tool, continuing the caller's trace, recorded by
the OpenTelemetry SDK's in-memory exporter; nothing at all when OpenTelemetry is absent or switched off."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from agentcore_mcp import telemetry

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"
TRACEPARENT = f"00-{TRACE_ID}-{PARENT_ID}-01"


@pytest.fixture
def exporter(monkeypatch: pytest.MonkeyPatch) -> Iterator[InMemorySpanExporter]:
    monkeypatch.delenv("AGENTCORE_MCP_TRACING", raising=False)
    monkeypatch.setattr(telemetry, "_enabled", None)
    memory = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    telemetry.use_tracer_provider(provider)
    yield memory
    telemetry.use_tracer_provider(None)


def by_name(spans: tuple[ReadableSpan, ...]) -> dict[str, ReadableSpan]:
    return {span.name: span for span in spans}


def test_a_tool_call_makes_a_server_span_continuing_the_traceparent_and_a_tool_span_under_it(
    exporter: InMemorySpanExporter,
) -> None:
    headers = [(b"traceparent", TRACEPARENT.encode()), (b"mcp-session-id", b"sess-1")]
    with telemetry.request_span(
        "tools/call", headers, target="add_numbers", request_id=7, protocol_version="2025-11-25"
    ) as request:
        with telemetry.tool_span("add_numbers") as tool:
            tool.set_attribute("app.detail", "x")
        assert request.span is not None
    spans = by_name(exporter.get_finished_spans())
    server, inner = spans["tools/call add_numbers"], spans["execute_tool add_numbers"]
    assert server.kind is SpanKind.SERVER
    assert format(server.context.trace_id, "032x") == TRACE_ID
    assert server.parent is not None
    assert format(server.parent.span_id, "016x") == PARENT_ID
    assert dict(server.attributes or {}) == {
        "mcp.method.name": "tools/call",
        "network.transport": "tcp",
        "network.protocol.name": "http",
        "gen_ai.tool.name": "add_numbers",
        "gen_ai.operation.name": "execute_tool",
        "jsonrpc.request.id": "7",
        "mcp.session.id": "sess-1",
        "mcp.protocol.version": "2025-11-25",
    }
    assert inner.kind is SpanKind.INTERNAL
    assert inner.parent is not None
    assert inner.parent.span_id == server.context.span_id
    assert inner.attributes is not None
    assert inner.attributes["app.detail"] == "x"
    assert server.status.status_code is StatusCode.UNSET


def test_trace_context_in_params_meta_wins_over_the_headers(exporter: InMemorySpanExporter) -> None:
    other = "11111111111111111111111111111111"
    meta = {"traceparent": f"00-{other}-2222222222222222-01"}
    with telemetry.request_span("tools/list", {"Traceparent": TRACEPARENT}, meta=meta):
        pass
    (span,) = exporter.get_finished_spans()
    assert span.name == "tools/list"
    assert format(span.context.trace_id, "032x") == other


def test_without_trace_context_a_request_starts_a_new_trace(exporter: InMemorySpanExporter) -> None:
    with telemetry.request_span("ping", None):
        pass
    (span,) = exporter.get_finished_spans()
    assert span.parent is None


def test_errors_are_recorded_tool_errors_jsonrpc_errors_and_exceptions(
    exporter: InMemorySpanExporter,
) -> None:
    with telemetry.request_span("tools/call", {}, target="flaky"), telemetry.tool_span("flaky") as tool:
        tool.tool_error("the API answered 404")
    with telemetry.request_span("tools/call", {}, target="nope") as request:
        request.jsonrpc_error(-32602, "Unknown tool: nope")
    with pytest.raises(ZeroDivisionError), telemetry.tool_span("divide"):
        1 / 0  # noqa: B018
    spans = by_name(exporter.get_finished_spans())
    flaky = spans["execute_tool flaky"]
    assert flaky.attributes is not None
    assert flaky.attributes["error.type"] == "tool_error"
    assert (flaky.status.status_code, flaky.status.description) == (StatusCode.ERROR, "the API answered 404")
    refused = spans["tools/call nope"]
    assert refused.attributes is not None
    assert (refused.attributes["error.type"], refused.attributes["rpc.response.status_code"]) == (
        "-32602",
        "-32602",
    )
    divided = spans["execute_tool divide"]
    assert divided.attributes is not None
    assert divided.attributes["error.type"] == "ZeroDivisionError"
    assert divided.status.status_code is StatusCode.ERROR
    assert [event.name for event in divided.events] == ["exception"]


def test_a_worker_thread_started_inside_the_tool_span_sees_it_as_current(
    exporter: InMemorySpanExporter,
) -> None:
    import contextvars

    from opentelemetry import trace

    seen: list[int] = []
    with telemetry.tool_span("sync_tool") as tool:
        context = contextvars.copy_context()  # what the server does before handing a sync tool to a thread
        thread = threading.Thread(
            target=context.run,
            args=(lambda: seen.append(trace.get_current_span().get_span_context().span_id),),
        )
        thread.start()
        thread.join(timeout=10)
    assert seen == [tool.span.get_span_context().span_id]


def test_tracing_off_makes_no_spans_and_returns_the_shared_no_op(
    exporter: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AGENTCORE_MCP_TRACING", "off")
    monkeypatch.setattr(telemetry, "_enabled", None)
    scope = telemetry.request_span("tools/call", {"traceparent": TRACEPARENT}, target="x")
    assert scope is telemetry.tool_span("x")
    with scope as entered:
        entered.tool_error("ignored")
        entered.jsonrpc_error(-1)
        entered.set_attribute("a", 1)
        assert entered.span is None
    assert exporter.get_finished_spans() == ()
    assert telemetry.enabled() is False


def test_without_opentelemetry_installed_nothing_is_traced(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "opentelemetry", None)  # `import opentelemetry` now fails
    monkeypatch.setattr(telemetry, "_enabled", None)
    monkeypatch.setattr(telemetry, "_otel", None)
    assert telemetry.enabled() is False
    with telemetry.request_span("tools/call", {}, target="x") as scope:
        assert scope.span is None


def test_importing_the_module_does_not_import_opentelemetry() -> None:
    code = "import sys, agentcore_mcp.telemetry; print('opentelemetry' in sys.modules)"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "False"
