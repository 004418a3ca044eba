"""Shared fixtures: the demo server on real uvicorn on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from agentcore_mcp.server._local import serve_in_thread


@pytest.fixture(scope="session")
def demo_url() -> Iterator[str]:
    """The demo server (examples/demo_server.py) served by uvicorn on a free loopback port: its MCP URL."""
    from examples.demo_server import app

    with serve_in_thread(app) as base:
        yield f"{base}/mcp"
