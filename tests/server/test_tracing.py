"""The server makes OpenTelemetry spans when tracing is on: a SERVER span per request continuing the
caller's traceparent, an INTERNAL span per tool run under it (sync tools included), errors marked."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from agentcore_mcp import AgentCoreMCP, ToolError, telemetry, tool
from agentcore_mcp.server._local import serve_in_thread

from .helpers import legacy_request, post

TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


@tool
def add(a: int, b: int) -> int:
    return a + b


@tool
def refuse() -> str:
    raise ToolError("no")


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
    monkeypatch.setattr(telemetry, "_enabled", None)


def test_tool_calls_make_server_and_tool_spans_in_the_callers_trace(exporter: InMemorySpanExporter) -> None:
    with serve_in_thread(AgentCoreMCP("traced", tools=[add, refuse])) as base:
        url = f"{base}/mcp"
        assert (
            post(
                url,
                legacy_request("tools/call", {"name": "add", "arguments": {"a": 1, "b": 2}}),
                headers={"traceparent": TRACEPARENT, "Mcp-Session-Id": "s-1"},
            ).status_code
            == 200
        )
        post(url, legacy_request("tools/call", {"name": "refuse", "arguments": {}}))
        post(url, legacy_request("tools/call", {"name": "missing", "arguments": {}}))
    spans = {span.name: span for span in exporter.get_finished_spans()}
    server, inner = spans["tools/call add"], spans["execute_tool add"]
    assert server.kind is SpanKind.SERVER
    assert server.context.trace_id == int("4bf92f3577b34da6a3ce929d0e0e4736", 16)
    assert server.parent is not None
    assert server.parent.span_id == int("00f067aa0ba902b7", 16)
    assert inner.parent is not None
    assert inner.parent.span_id == server.context.span_id
    assert server.attributes["mcp.session.id"] == "s-1"
    assert spans["execute_tool refuse"].status.status_code is StatusCode.ERROR
    assert spans["tools/call missing"].attributes["error.type"] == "-32602"


def test_tracing_is_off_unless_asked_for(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [n for n in __import__("os").environ if n.startswith("OTEL_")]:
        monkeypatch.delenv(name)
    monkeypatch.delenv("AGENTCORE_MCP_TRACING", raising=False)
    monkeypatch.setattr(telemetry, "_enabled", None)
    assert telemetry.enabled() is False
    monkeypatch.setattr(telemetry, "_enabled", None)
    monkeypatch.setenv("OTEL_SERVICE_NAME", "demo")
    assert telemetry.enabled() is True
    monkeypatch.setattr(telemetry, "_enabled", None)
    monkeypatch.setenv("AGENTCORE_MCP_TRACING", "off")
    assert telemetry.enabled() is False
    monkeypatch.setattr(telemetry, "_enabled", None)
