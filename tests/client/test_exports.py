"""The client's public surface, and what importing it costs."""

from __future__ import annotations

import subprocess
import sys

import pytest

import agentcore_mcp.client

pytestmark = pytest.mark.mcp1


def test_exported_members() -> None:
    assert set(agentcore_mcp.client.__all__) == {
        "AgentCoreTransport",
        "Backend",
        "TransportError",
        "TransportTimeout",
        "BearerAuth",
        "Boto3Backend",
        "ConnectionFailed",
        "Exchange",
        "FastHttpBackend",
        "FastHttpTransport",
        "HttpxBackend",
        "Reply",
        "RetryPolicy",
        "RuntimeArn",
        "SSEDecoder",
        "SSEError",
        "ServerSentEvent",
        "SigV4Auth",
        "TokenProvider",
        "call_tool_sync",
        "invocations_url",
        "list_tools_sync",
        "stop_session_url",
    }
    for name in agentcore_mcp.client.__all__:
        assert getattr(agentcore_mcp.client, name) is not None


def test_importing_the_client_imports_neither_the_sdk_nor_boto3() -> None:
    code = (
        "import sys, agentcore_mcp.client, agentcore_mcp._session\n"
        "loaded = [m for m in ('mcp', 'mcp_types', 'boto3', 'botocore') if m in sys.modules]\n"
        "print(','.join(loaded))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == ""


def test_the_serving_path_does_not_import_the_client() -> None:
    code = "import sys, agentcore_mcp\nprint('agentcore_mcp.client' in sys.modules, 'httpx' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == "False False"
