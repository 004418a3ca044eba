"""Readers that stop reading large answers (the CI-sized ``benchmarks/stalled_readers.py``): with a send
timeout the server cuts them after it and keeps serving everyone else; without one their answers wait for
them, whole. Real uvicorn in a process of its own, both HTTP implementations."""

from __future__ import annotations

import pytest

from benchmarks.stalled_readers import measure


# 8 MB answers: more than the kernel's socket buffers take (tcp_wmem's maximum is 4 MB here), so the
# server itself has to hold what the reader does not take.
@pytest.mark.parametrize("http", ["h11", "httptools"])
def test_readers_stalled_past_the_send_timeout_are_cut_and_others_keep_being_served(
    http: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AGENTCORE_MCP_SEND_TIMEOUT", "1")
    figures = measure(
        stalled=8, size=8_000_000, clients=2, seconds=0.5, options={"http": http}, wait=2.0, pin=False
    )
    assert figures["errors"] == 0
    assert figures["server_alive"]
    assert figures["answers_cut"] == 8
    assert figures["loaded"]["requests"] > 0


def test_without_a_send_timeout_a_slow_reader_gets_its_whole_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENTCORE_MCP_SEND_TIMEOUT", "0")
    figures = measure(stalled=2, size=2_000_000, clients=2, seconds=0.5, wait=1.5, pin=False)
    assert figures["errors"] == 0
    assert figures["answers_whole"] == 2
