"""The README's main job (`make demo`) runs end to end and prints the right answers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_demo_runs_the_four_tutorial_steps_offline() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "examples.run_demo"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    out = done.stdout
    for label in (
        "direct, auto -> protocol 2026-07-28",
        "direct, legacy -> protocol 2025-11-25",
        "boto3, auto -> protocol 2026-07-28",
        "boto3, legacy -> protocol 2025-11-25",
        "bearer, 2026-07-28 -> protocol 2026-07-28",
    ):
        assert label in out, out
    assert out.count("add_numbers(a=2, b=3) -> 5") == 5
    assert out.count("multiply_numbers(a=4, b=5) -> 20") == 5
    assert out.count("greet_user(name='Ada') -> Hello, Ada! Nice to meet you.") == 5
    assert "(status READY)" in out
    assert "stopped (StopRuntimeSession)" in out
    assert "All four steps ran offline." in out
