"""The official MCP conformance suite's client leg against ``tests/conformance/client.py``.

The suite starts one scenario server per client scenario of a requirement set and runs the client (the mcp
2.x ``Client`` over ``AgentCoreTransport``) against each. It fails the run on a failure
``expected-client-failures.yaml`` does not list and on an entry that passes (stale), so the file may only
shrink as the transport gets better.
"""

from __future__ import annotations

import re
import shlex
import sys

import pytest
from test_conformance import REPO_ROOT, SCENARIO_TIMEOUT, SPEC_VERSIONS, SUITE_TIMEOUT, Suite, suite

__all__ = ["suite"]  # the fixture, shared with test_conformance

pytestmark = pytest.mark.conformance

CLIENT_SCRIPT = REPO_ROOT / "tests" / "conformance" / "client.py"
EXPECTED_CLIENT_FAILURES = REPO_ROOT / "tests" / "conformance" / "expected-client-failures.yaml"
# The suite starts every scenario's client at once: on a small shared machine dozens of Python processes
# starting together need more than the default 30 s.
CLIENT_TIMEOUT_MS = 120_000


def _client_command() -> str:
    return f"env PYTHONPATH={shlex.quote(str(REPO_ROOT))} {shlex.quote(sys.executable)} {shlex.quote(str(CLIENT_SCRIPT))}"


@pytest.mark.parametrize("revision", SPEC_VERSIONS)
def test_client_leg_matches_expected_failures(suite: Suite, revision: str) -> None:
    code, output = suite.run(
        "client",
        "--command",
        _client_command(),
        "--requirements",
        revision,
        "--timeout",
        str(CLIENT_TIMEOUT_MS),
        "--expected-failures",
        str(EXPECTED_CLIENT_FAILURES),
        timeout=SUITE_TIMEOUT,
    )
    if code != 0:
        summary = output[output.find("=== SUITE SUMMARY ===") :] if "SUITE SUMMARY" in output else output
        pytest.fail(
            f"client leg, --requirements {revision}, disagrees with {EXPECTED_CLIENT_FAILURES.name} "
            f"(exit code {code}): fix the transport, or update the file (stale entries must go, new "
            f"failures need an entry with a reason)\n\n{summary}",
            pytrace=False,
        )


# The Skills extension's client scenarios (SEP-2640), run by name as extension scenarios are: the client lists
# skills without reading a file, and refuses (reads nothing more of) a skill whose SKILL.md was tampered with.
SKILLS_CLIENT_SCENARIOS = (
    "sep-2640-client-no-prefetch",
    "sep-2640-client-verify-digest",
    "sep-2640-client-verify-size",
    "sep-2640-client-verify-frontmatter",
)
_CHECK = re.compile(r"^\S+\s+\[\s*([^\]\s]+)\s*\]\s+([A-Z]+)\b", re.MULTILINE)


@pytest.mark.parametrize("scenario", SKILLS_CLIENT_SCENARIOS)
def test_skills_client_scenario_passes(suite: Suite, scenario: str) -> None:
    code, output = suite.run(
        "client", "--command", _client_command(), "--scenario", scenario, timeout=SCENARIO_TIMEOUT
    )
    statuses = _CHECK.findall(output)
    assert code == 0, output
    assert statuses, output
    assert all(status == "SUCCESS" for _, status in statuses), output


def test_every_entry_has_a_reason() -> None:
    entries = [
        line for line in EXPECTED_CLIENT_FAILURES.read_text().splitlines() if line.lstrip().startswith("- ")
    ]
    assert entries, f"{EXPECTED_CLIENT_FAILURES.name} lists nothing; is it in the suite's format?"
    without = [line.strip() for line in entries if "#" not in line]
    assert not without, f"entries without a reason: {without}"
