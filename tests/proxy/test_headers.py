"""The modern-era headers the proxy derives from a request body agree with the mcp 2.x SDK's own."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from mcp.shared import inbound  # mcp 2.x only (conftest does not collect this file with mcp 1.x)

from agentcore_mcp.proxy._headers import ParamHeaders, encode_header_value, modern_headers

MODERN = {"io.modelcontextprotocol/protocolVersion": "2026-07-28"}


@given(st.text())
def test_header_values_are_encoded_exactly_as_the_sdk_encodes_them(value: str) -> None:
    assert encode_header_value(value) == inbound.encode_header_value(value)


@pytest.mark.parametrize(
    "value", ["", " lead", "trail ", "=?base64?eA==?=", "naïve", "a\r\nb", "plain-name_1"]
)
def test_edge_values_encode_as_the_sdk_does(value: str) -> None:
    assert encode_header_value(value) == inbound.encode_header_value(value)


def test_a_modern_tools_call_gets_version_method_name_and_param_headers() -> None:
    params = ParamHeaders()
    params.learn(
        [
            {
                "name": "get weather",
                "inputSchema": {
                    "type": "object",
                    "properties": {"city": {"type": "string", "x-mcp-header": "City"}},
                },
            }
        ]
    )
    body = {"name": "get weather", "arguments": {"city": "Zürich"}, "_meta": MODERN}
    assert modern_headers("tools/call", body, params) == {
        "mcp-protocol-version": "2026-07-28",
        "mcp-method": "tools/call",
        "mcp-name": "get weather",
        "Mcp-Param-City": inbound.encode_header_value("Zürich"),
    }


def test_resources_read_names_the_uri_and_legacy_requests_get_no_headers() -> None:
    params = ParamHeaders()
    assert modern_headers("resources/read", {"uri": "file:///a b", "_meta": MODERN}, params) == {
        "mcp-protocol-version": "2026-07-28",
        "mcp-method": "resources/read",
        "mcp-name": "file:///a b",
    }
    assert modern_headers("tools/call", {"name": "x"}, params) is None
    legacy = {"name": "x", "_meta": {"io.modelcontextprotocol/protocolVersion": "2025-11-25"}}
    assert modern_headers("tools/call", legacy, params) is None
    assert modern_headers("tools/list", None, params) is None
