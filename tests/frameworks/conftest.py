"""Framework adapter tests: the client tests' emulator, and the runtime sessions its log shows.

Each framework's test module is collected only where that framework is installed (openai-agents, LangChain
and LlamaIndex live in environments of their own, ``make test-frameworks``: their pins conflict with the dev
environment's).
"""

from __future__ import annotations

import importlib.util
import logging
import re

import pytest

from tests.client.conftest import Emulated, emulated

__all__ = ["TOOLS", "Emulated", "emulated", "runtime_sessions"]


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:  # a dotted name whose parent package is not installed
        return False


FRAMEWORKS = {
    "openai_agents": "agents",
    "pydantic_ai": "pydantic_ai",
    "fastmcp": "fastmcp",
    "langchain": "langchain_mcp_adapters",
    "llama_index": "llama_index.tools.mcp",
    "google_adk": "google.adk",
    "crewai": "crewai",
}
collect_ignore = [f"test_{name}.py" for name, module in FRAMEWORKS.items() if not _installed(module)]

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
