"""The official MCP conformance suite through the emulator's invocations URL (auth none), at both wires.

Same server (``tests/conformance/server.py``), same scenarios, same expected failures as
``tests/conformance/test_conformance.py`` runs against the server directly, except where the platform
itself changes the outcome: AgentCore mints an ``Mcp-Session-Id`` for every session, so the two checks the
direct run expects to fail for want of a server-issued session id pass here (``PLATFORM_FIXES``; the test
fails if they stop passing).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from agentcore_mcp.emulator import Emulator
from tests.conformance.test_conformance import (
    _BAD_CHECK,
    _RESULTS,
    EXPECTED_FAILURES,
    REQUIRED_RUNS,
    SCENARIO_TIMEOUT,
    SKILLS_SCENARIOS,
    SPEC_VERSIONS,
    SUITE_TIMEOUT,
    Suite,
    run_skills_scenario,
    server_url,
    suite,
)

pytestmark = pytest.mark.conformance

__all__ = ["server_url", "suite"]  # fixtures reused from the direct run

# Expected failures of the direct run that pass through the emulator, because the platform supplies them.
PLATFORM_FIXES = {
    "server-sse-multiple-streams:server-sse-multiple-streams-session",
    "server-sse-polling:server-sse-polling-session",
}


@pytest.fixture(scope="module")
def invocations_url(server_url: str) -> Iterator[str]:
    """The emulator in front of the conformance server: the runtime's invocations URL."""
    emulator = Emulator(control_plane=False)
    runtime = emulator.add_runtime(server_url, name="conformance", auth="none")
    with emulator.serve():
        yield emulator.invocations_url(runtime)


@pytest.fixture(scope="module")
def expected_failures(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """expected-failures.yaml without the entries the platform fixes (the file's format kept as is)."""
    lines = EXPECTED_FAILURES.read_text().splitlines()
    kept = [line for line in lines if line.strip().lstrip("- ").split(" ", 1)[0] not in PLATFORM_FIXES]
    assert len(lines) - len(kept) == len(PLATFORM_FIXES), (
        "PLATFORM_FIXES names entries the file no longer has"
    )
    if not any(line.lstrip().startswith("- ") for line in kept):  # nothing left: an empty list, not null
        kept = [("server: []" if line.strip() == "server:" else line) for line in kept]
    path = tmp_path_factory.mktemp("conformance-emulator") / "expected-failures.yaml"
    path.write_text("\n".join(kept) + "\n")
    return path


@pytest.mark.parametrize(
    ("scenario", "spec_version"), REQUIRED_RUNS, ids=[f"{s}@{v}" for s, v in REQUIRED_RUNS]
)
def test_required_scenario_passes_through_the_emulator(
    suite: Suite, invocations_url: str, scenario: str, spec_version: str
) -> None:
    code, output = suite.run(
        "server",
        "--url",
        invocations_url,
        "--scenario",
        scenario,
        "--spec-version",
        spec_version,
        timeout=SCENARIO_TIMEOUT,
    )
    results = _RESULTS.search(output)
    problems = []
    if code != 0:
        problems.append(f"the suite exited with code {code}")
    if _BAD_CHECK.findall(output):
        problems.append("check(s) reported FAILURE or WARNING")
    if results is None or results.group(3) != "0" or results.group(4) != "0":
        problems.append("failures or warnings in the results line")
    if problems:
        pytest.fail(f"{scenario} at {spec_version}: {'; '.join(problems)}\n\n{output}", pytrace=False)


@pytest.mark.parametrize("spec_version", [None, "2025-11-25"], ids=["2026-07-28", "2025-11-25"])
@pytest.mark.parametrize("scenario", SKILLS_SCENARIOS)
def test_skills_scenario_passes_through_the_emulator(
    suite: Suite, invocations_url: str, scenario: str, spec_version: str | None
) -> None:
    """The Skills extension's scenarios (run by name) pass through the platform as they do directly."""
    run_skills_scenario(suite, invocations_url, scenario, spec_version)


@pytest.mark.parametrize("spec_version", SPEC_VERSIONS)
def test_suite_all_through_the_emulator_matches_the_direct_run(
    suite: Suite, invocations_url: str, expected_failures: Path, spec_version: str
) -> None:
    code, output = suite.run(
        "server",
        "--url",
        invocations_url,
        "--suite",
        "all",
        "--spec-version",
        spec_version,
        "--expected-failures",
        str(expected_failures),
        timeout=SUITE_TIMEOUT,
    )
    if code != 0:
        summary = output[output.find("=== SUMMARY ===") :] if "=== SUMMARY ===" in output else output
        pytest.fail(
            f"--suite all --spec-version {spec_version} through the emulator differs from the direct run "
            f"(exit code {code})\n\n{summary}",
            pytrace=False,
        )
