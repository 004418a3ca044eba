"""Client tests: which files run under which mcp major, and shared fixtures.

The ``mcp1`` marker selects the tests that also run with mcp 1.x (``make test-mcp1`` runs them in a second
environment with mcp 1.x and Strands Agents). Modules that need mcp 2.x, or Strands, are not collected
where those are not installed.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util

import pytest

MCP_MAJOR = int(importlib.metadata.version("mcp").split(".", 1)[0])

collect_ignore: list[str] = []
if MCP_MAJOR < 2:
    collect_ignore += [
        "test_official_clients.py",
        "test_emulator_mcp2.py",
        "test_faults.py",
        "test_benchmark.py",
    ]
if importlib.util.find_spec("strands") is None:
    collect_ignore += ["test_strands.py"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "mcp1: also runs with mcp 1.x (make test-mcp1)")
