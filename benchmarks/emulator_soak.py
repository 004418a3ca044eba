"""Emulator soak: thousands of runtime sessions with their own server processes, created, used, and then
idle-expired or stopped; nothing may leak.

Not a CI test (``tests/reliability/test_emulator_soak.py`` is the CI-sized version). The emulator runs in
a process of its own (uvicorn, ``control_plane=False``) with one runtime, ``examples/demo_server.py``, in
``--isolation process`` (a fresh Python per session, as a microVM) or ``snapshot`` (forked from a template
that imported the app once, as Runtime V2 restores a snapshot). ``--concurrency`` callers here each take a
new session id, call ``add_numbers`` ``--calls`` times on it (the first call starts the microVM: its
latency is the start time), then either stop the session (StopRuntimeSession) or leave it idle for the
reaper to expire (``--idle`` seconds). Every answer is checked (status, session id echoed, the sum).

At the end the script waits until the emulator has no session left, then compares the emulator's
descendant processes, open file descriptors and RSS with their values after a warm-up.

Usage::

    python -m benchmarks.emulator_soak [--sessions 2000] [--concurrency 8] [--calls 3]
        [--isolation process|snapshot] [--idle 2] [--json PATH]

Exits 1 on any error or leak.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.load import free_port, listening  # noqa: E402  (the path above makes the package importable)

APP = str(ROOT / "examples" / "demo_server.py")
ARN = "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/soak-0123456789"
SESSION_HEADER = "x-amzn-bedrock-agentcore-runtime-session-id"
ACCEPT = "application/json, text/event-stream"


# -- the emulator process ------------------------------------------------------------------------


def serve_main(port: int, isolation: str, idle: float, reap: float) -> None:
    import uvicorn

    from agentcore_mcp.emulator import Emulator

    emulator = Emulator(control_plane=False, reap_interval=reap, workload_token=False)
    emulator.add_runtime(APP, arn=ARN, isolation=isolation, idle_timeout=idle)  # type: ignore[arg-type]
    emulator.bind(f"http://127.0.0.1:{port}")
    uvicorn.run(
        emulator,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="on",
        timeout_graceful_shutdown=10,
    )


@contextmanager
def emulator_process(
    isolation: str, idle: float, reap: float
) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "benchmarks.emulator_soak",
        "--serve",
        str(port),
        "--isolation",
        isolation,
    ]
    command += ["--idle", str(idle), "--reap", str(reap)]
    with listening(command, port, what="the emulator", start=60, stop=30) as proc:
        yield proc, port


# -- what a process holds ------------------------------------------------------------------------


def descendants(pid: int) -> list[int]:
    """Every live process below ``pid`` (children, grandchildren, ...), zombies included."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents.setdefault(int(fields[1]), []).append(int(entry))
    found: list[int] = []
    todo = [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def fd_kinds(pid: int) -> dict[str, int]:
    """Open file descriptors by kind (socket, pipe, anon_inode:[eventpoll], a path...)."""
    kinds: dict[str, int] = {}
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        kind = target.split(":", 1)[0] if target.startswith(("socket:", "pipe:")) else target
        kinds[kind] = kinds.get(kind, 0) + 1
    return kinds


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


@dataclass
class Snapshot:
    processes: int
    fds: int
    rss_kib: int
    fd_kinds: dict[str, int]

    @classmethod
    def of(cls, pid: int) -> Snapshot:
        return cls(len(descendants(pid)), open_fds(pid), rss_kib(pid), fd_kinds(pid))


# -- the callers ---------------------------------------------------------------------------------


@dataclass
class Figures:
    sessions: int = 0
    requests: int = 0
    errors: int = 0
    stopped: int = 0
    left_idle: int = 0
    start_ms: list[float] = field(default_factory=list)
    call_ms: list[float] = field(default_factory=list)
    first_errors: list[str] = field(default_factory=list)

    def error(self, text: str) -> None:
        self.errors += 1
        if len(self.first_errors) < 5:
            self.first_errors.append(text)


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)


async def one_session(http: Any, base: str, index: int, calls: int, figures: Figures) -> None:
    import httpx

    session = str(uuid.uuid4())
    path = f"/runtimes/{quote(ARN, safe='')}"
    headers = {"accept": ACCEPT, "content-type": "application/json", SESSION_HEADER: session}
    figures.sessions += 1
    for n in range(calls):
        body = {
            "jsonrpc": "2.0",
            "id": n,
            "method": "tools/call",
            "params": {"name": "add_numbers", "arguments": {"a": index, "b": n}},
        }
        began = time.perf_counter()
        try:
            answer = await http.post(
                base + path + "/invocations?qualifier=DEFAULT", json=body, headers=headers
            )
        except httpx.HTTPError as exc:
            figures.requests += 1
            figures.error(f"session {index} call {n}: {type(exc).__name__}: {exc}")
            return
        took = (time.perf_counter() - began) * 1000
        figures.requests += 1
        (figures.start_ms if n == 0 else figures.call_ms).append(took)
        try:
            assert answer.status_code == 200, f"HTTP {answer.status_code}: {answer.text[:200]}"
            assert answer.headers.get(SESSION_HEADER) == session, "the session id was not kept"
            text = answer.json()["result"]["content"][0]["text"]
            assert text == str(index + n), f"{text!r} for {index}+{n}"
        except (AssertionError, KeyError, ValueError) as exc:
            figures.error(f"session {index} call {n}: {exc}")
            return
    if index % 2 == 0:
        answer = await http.post(
            base + path + "/stopruntimesession?qualifier=DEFAULT", headers={SESSION_HEADER: session}
        )
        figures.requests += 1
        if answer.status_code != 200:
            figures.error(f"stop {index}: HTTP {answer.status_code}: {answer.text[:200]}")
        else:
            figures.stopped += 1
    else:
        figures.left_idle += 1


async def drive(base: str, sessions: int, concurrency: int, calls: int, figures: Figures) -> float:
    import httpx

    queue = iter(range(sessions))
    began = time.perf_counter()
    async with httpx.AsyncClient(timeout=120, limits=httpx.Limits(max_connections=concurrency)) as http:

        async def worker() -> None:
            for index in queue:
                await one_session(http, base, index, calls, figures)
                if sessions >= 200 and figures.sessions % 100 == 0:  # progress on a long run, to stderr
                    print(
                        f"{figures.sessions}/{sessions} sessions, {figures.errors} errors, "
                        f"{time.perf_counter() - began:.0f} s",
                        file=sys.stderr,
                        flush=True,
                    )

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - began


def live_sessions(base: str) -> int:
    import httpx

    return len(httpx.get(base + "/", timeout=30).json()["sessions"])


def wait_until_empty(base: str, pid: int, baseline: int, limit: float) -> tuple[int, int, float]:
    """Wait until the emulator has no session and no more processes than at ``baseline``."""
    began = time.monotonic()
    while True:
        sessions, processes = live_sessions(base), len(descendants(pid))
        if (sessions == 0 and processes <= baseline) or time.monotonic() - began > limit:
            time.sleep(1.0)  # let the server close the connection the last overview came on
            return sessions, processes, time.monotonic() - began
        time.sleep(0.25)


def measure(
    *, sessions: int, concurrency: int, calls: int, isolation: str, idle: float, warmup: int = 20
) -> dict[str, Any]:
    reap = max(0.2, idle / 4)
    with emulator_process(isolation, idle, reap) as (proc, port):
        base = f"http://127.0.0.1:{port}"
        idle_state = Snapshot.of(proc.pid)
        warm = Figures()
        asyncio.run(drive(base, warmup, min(concurrency, warmup), calls, warm))
        wait_until_empty(base, proc.pid, idle_state.processes, idle * 4 + 30)
        before = Snapshot.of(proc.pid)
        figures = Figures()
        wall = asyncio.run(drive(base, sessions, concurrency, calls, figures))
        peak = Snapshot.of(proc.pid)
        left, _processes, waited = wait_until_empty(base, proc.pid, before.processes, idle * 4 + 60)
        after = Snapshot.of(proc.pid)
    return {
        "isolation": isolation,
        "sessions": figures.sessions,
        "concurrency": concurrency,
        "calls_per_session": calls,
        "requests": figures.requests,
        "errors": figures.errors + warm.errors,
        "first_errors": figures.first_errors + warm.first_errors,
        "stopped": figures.stopped,
        "left_idle": figures.left_idle,
        "wall_s": round(wall, 1),
        "sessions_per_s": round(figures.sessions / wall, 2),
        "start_p50_ms": percentile(figures.start_ms, 0.5),
        "start_p99_ms": percentile(figures.start_ms, 0.99),
        "call_p50_ms": percentile(figures.call_ms, 0.5),
        "call_p99_ms": percentile(figures.call_ms, 0.99),
        "idle_state": idle_state.__dict__,
        "before": before.__dict__,
        "at_the_end_of_load": peak.__dict__,
        "after": after.__dict__,
        "sessions_left": left,
        "drained_in_s": round(waited, 1),
        "rss_growth_mb": round((after.rss_kib - before.rss_kib) / 1024, 2),
        "leaked_processes": after.processes - before.processes,
        "leaked_fds": after.fds - before.fds,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--reap", type=float, default=0.5, help=argparse.SUPPRESS)
    parser.add_argument("--sessions", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--calls", type=int, default=3)
    parser.add_argument("--isolation", choices=["process", "snapshot"], default="process")
    parser.add_argument("--idle", type=float, default=2.0, help="the runtime's idle timeout in seconds")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    if args.serve:
        serve_main(args.serve, args.isolation, args.idle, args.reap)
        return 0
    figures = measure(
        sessions=args.sessions,
        concurrency=args.concurrency,
        calls=args.calls,
        isolation=args.isolation,
        idle=args.idle,
    )
    print(json.dumps(figures, indent=2))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    leaked = figures["leaked_processes"] > 0 or figures["leaked_fds"] > 0 or figures["sessions_left"]
    return 1 if figures["errors"] or leaked else 0


if __name__ == "__main__":
    sys.exit(main())
