"""CrewAI's native MCP tools on AgentCoreTransport through the emulator's ARNs (no model, no LLM).

CrewAI needs mcp < 2 and its own pydantic, which the dev environment does not: this runs in its own
environment (``make test-frameworks``). The tools run as an agent runs them: ``tool.run(**arguments)``.
"""

from __future__ import annotations

from typing import Any

import pytest

from agentcore_mcp.client import RetryPolicy
from agentcore_mcp.frameworks.crewai import agentcore_tools

from .conftest import TOOLS, Emulated, runtime_sessions

FAST = RetryPolicy(attempts=4, base_delay=0.01, max_delay=0.05)


def use(tools: dict[str, Any]) -> None:
    """Call each demo tool, each call on a connection of its own (as CrewAI makes them)."""
    assert set(tools) == TOOLS
    assert tools["add_numbers"].run(a=20, b=22) == "42"
    assert tools["multiply_numbers"].run(a=6, b=7) == "42"
    assert tools["greet_user"].run(name="Ada") == "Hello, Ada! Nice to meet you."


def test_sigv4_runtime_by_arn(emulated: Emulated, caplog: pytest.LogCaptureFixture) -> None:
    options = {
        "endpoint_url": emulated.endpoint_url,
        "boto3_session": emulated.boto3_session(),
        "retries": FAST,
    }
    tools, session = agentcore_tools(emulated.sigv4, transport=options)
    use({tool.original_tool_name: tool for tool in tools})
    assert runtime_sessions(caplog, "demo_sigv4") == {session.runtime_session_id}


def test_jwt_runtime_by_arn(emulated: Emulated, caplog: pytest.LogCaptureFixture) -> None:
    options = {"endpoint_url": emulated.endpoint_url, "bearer_token": emulated.token, "retries": FAST}
    tools, session = agentcore_tools(emulated.jwt, transport=options)
    use({tool.original_tool_name: tool for tool in tools})
    assert runtime_sessions(caplog, "demo_oauth") == {session.runtime_session_id}
