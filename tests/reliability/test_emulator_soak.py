"""A CI-sized emulator soak (``benchmarks/emulator_soak.py`` with few sessions): sessions with their own
server processes created, used, then stopped or idle-expired, against an emulator process; no error, no
session left, no process left, no descriptor other than the HTTP pool's sockets left open."""

from __future__ import annotations

import pytest

from benchmarks.emulator_soak import measure


@pytest.mark.parametrize(("isolation", "sessions"), [("process", 3), ("snapshot", 10)])
def test_sessions_come_and_go_without_leaks(isolation: str, sessions: int) -> None:
    figures = measure(sessions=sessions, concurrency=2, calls=2, isolation=isolation, idle=1.0, warmup=2)
    assert figures["errors"] == 0, figures["first_errors"]
    assert figures["sessions"] == sessions
    assert figures["stopped"] + figures["left_idle"] == sessions
    assert figures["sessions_left"] == 0
    assert figures["leaked_processes"] == 0
    before, after = figures["before"]["fd_kinds"], figures["after"]["fd_kinds"]
    grown = {k: v for k, v in after.items() if k != "socket" and v > before.get(k, 0)}
    assert not grown, (before, after)
    # Sockets: at most the emulator's HTTP pool of keep-alive connections (20) beyond the warm-up's.
    assert after.get("socket", 0) <= before.get("socket", 0) + 20
