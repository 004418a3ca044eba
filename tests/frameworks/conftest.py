"""Framework adapter tests: the client tests' emulator, and the runtime sessions its log shows.

Each framework's test module is collected only where that framework is installed (openai-agents lives in
its own environment, ``make test-frameworks``: its pins conflict with the dev environment's).
"""

from __future__ import annotations

import importlib.util
import logging
import re

import pytest

from tests.client.conftest import Emulated, emulated

__all__ = ["TOOLS", "Emulated", "emulated", "runtime_sessions"]

collect_ignore = [
    f"test_{name}.py"
    for name, module in [
        ("openai_agents", "agents"),
        ("google_adk", "google.adk"),
        ("pydantic_ai", "pydantic_ai"),
        ("fastmcp", "fastmcp"),
    ]
    if importlib.util.find_spec(module) is None
]

TOOLS = {"add_numbers", "multiply_numbers", "greet_user"}
_INVOKE = re.compile(r"^invoke (\S+) session=(\S+) ")


def runtime_sessions(caplog: pytest.LogCaptureFixture, runtime: str) -> set[str]:
    """The runtime session ids the emulator's log shows for invocations of ``runtime`` (by name)."""
    found = set()
    for record in caplog.records:
        if record.name == "agentcore_mcp.emulator":
            match = _INVOKE.match(record.getMessage())
            if match and match.group(1) == runtime:
                found.add(match.group(2))
    return found


@pytest.fixture(autouse=True)
def _emulator_log(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, "agentcore_mcp.emulator")
