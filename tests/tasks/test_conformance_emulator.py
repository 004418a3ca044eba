"""The Tasks extension's ten conformance scenarios through the emulator's invocations URL (auth none).

Same server and scenarios as ``tests/conformance/test_conformance.py::test_tasks_scenario_passes``; here
every request goes through the local AgentCore data plane (session id injection, header forwarding, the
platform's checks). The suite sends no runtime session id, so each request is its own platform session; the
server behind the URL is one process, as one microVM per session would be with a shared task store.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from agentcore_mcp.emulator import Emulator
from tests.conformance.test_conformance import (
    SCENARIO_TIMEOUT,
    TASKS_SCENARIOS,
    Suite,
    _check_scenario_output,
    server_url,
    suite,
)

pytestmark = pytest.mark.conformance

__all__ = ["server_url", "suite"]  # fixtures reused from the direct run


@pytest.fixture(scope="module")
def invocations_url(server_url: str) -> Iterator[str]:
    emulator = Emulator(control_plane=False)
    runtime = emulator.add_runtime(server_url, name="tasks_conformance", auth="none")
    with emulator.serve():
        yield emulator.invocations_url(runtime)


@pytest.mark.parametrize("scenario", TASKS_SCENARIOS)
def test_tasks_scenario_passes_through_the_emulator(
    suite: Suite, invocations_url: str, scenario: str
) -> None:
    code, output = suite.run(
        "server", "--url", invocations_url, "--scenario", scenario, timeout=SCENARIO_TIMEOUT
    )
    _check_scenario_output(f"{scenario} through the emulator", code, output, None)
