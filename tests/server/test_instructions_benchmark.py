"""``python -m benchmarks.instructions``: the in-process program answers right, and callgrind counts it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks import instructions
from benchmarks.run import ROOT, SERVERS

_SCRIPT = str(Path(instructions.__file__).resolve())


@pytest.mark.parametrize("server", ["ours", "bare", "checked"])
@pytest.mark.parametrize("workload", ["legacy", "modern", "legacy-sse", "modern-sse"])
def test_the_measured_program_gets_right_answers(server: str, workload: str) -> None:
    """What is counted is a correct add_numbers(2, 3) answer in that workload (its first answer is checked)."""
    app = next(spec.app for spec in SERVERS if spec.key == server)
    done = subprocess.run(
        [sys.executable, _SCRIPT, "--inner", app, workload, "3"], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


def test_a_wrong_answer_stops_the_measurement() -> None:
    refused = subprocess.run(
        [
            sys.executable,
            _SCRIPT,
            "--inner",
            "tests.server.test_instructions_benchmark:refusing",
            "legacy",
            "1",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert refused.returncode != 0
    assert "legacy: HTTP 404" in refused.stderr


async def refusing(scope: object, receive: object, send: object) -> None:
    """An app that answers every request 404 (what a wrong path or a missing tool gives)."""
    await send({"type": "http.response.start", "status": 404, "headers": []})  # type: ignore[operator]
    await send({"type": "http.response.body", "body": b"not here"})  # type: ignore[operator]


def test_the_table_sets_ours_against_the_others() -> None:
    results = {("ours", "legacy"): 72_000.0, ("bare", "legacy"): 36_000.0, ("checked", "legacy"): 48_000.0}
    table = instructions.markdown(results, ["ours", "bare", "checked"], ["legacy", "modern"])
    lines = table.splitlines()
    assert lines[0] == (
        "| workload | agentcore-mcp | bare ASGI | checked ASGI | ours / bare ASGI | ours / checked ASGI |"
    )
    assert lines[2] == "| legacy | 72,000 | 36,000 | 48,000 | 2.00× | 1.50× |"
    assert lines[3] == "| modern | n/a | n/a | n/a | n/a | n/a |"


def test_callgrind_counts_the_requests_not_the_start_up() -> None:
    valgrind = shutil.which("valgrind")
    assert valgrind is not None, (
        "valgrind is on every machine this project is built on (apt-get install valgrind)"
    )
    bare = next(spec for spec in SERVERS if spec.key == "bare")
    few = instructions.per_request(valgrind, bare, "legacy", 20)
    # The bare app's request is some tens of thousands of instructions (34k on CPython 3.11, x86_64):
    # start-up (hundreds of millions) must have cancelled out, and the requests must have been counted.
    assert 5_000 < few < 200_000
