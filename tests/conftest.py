"""Shared fixtures: the demo server on real uvicorn on loopback."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from agentcore_mcp.server._local import serve_in_thread


@pytest.fixture(scope="session")
def demo_url() -> Iterator[str]:
    """The demo server (examples/demo_server.py) served by uvicorn on a free loopback port: its MCP URL."""
    from examples.demo_server import app

    with serve_in_thread(app) as base:
        yield f"{base}/mcp"


@pytest.fixture(autouse=True)
def _library_log_level() -> Iterator[None]:
    """Restore the ``agentcore_mcp`` logger's level after each test.

    ``serve()`` and the CLI's ``main()`` set it (``--log-level``, ``-v``), and tests call both in process:
    without this a later test's ``caplog`` would miss the library's debug records.
    """
    library = logging.getLogger("agentcore_mcp")
    level = library.level
    yield
    library.setLevel(level)
