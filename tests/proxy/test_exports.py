"""The public surface of agentcore_mcp.proxy is exactly what its __all__ lists, and it imports cheaply."""

from __future__ import annotations

import subprocess
import sys

import pytest

import agentcore_mcp.proxy

pytestmark = pytest.mark.mcp1


def test_the_public_names() -> None:
    assert agentcore_mcp.proxy.__all__ == ["ProxyOptions", "StdioProxy"]
    for name in agentcore_mcp.proxy.__all__:
        assert getattr(agentcore_mcp.proxy, name).__module__.startswith("agentcore_mcp.proxy.")


def test_importing_the_proxy_loads_neither_the_sdk_nor_boto3_nor_httpx() -> None:
    # the SDK is imported when the proxy starts serving, boto3 only for SigV4 credentials
    code = (
        "import sys, agentcore_mcp.proxy, agentcore_mcp.proxy._config; "
        "print(sorted(m for m in ('mcp', 'mcp_types', 'boto3', 'botocore', 'httpx') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
