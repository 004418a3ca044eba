"""``make bench``: ``tools/call`` of a trivial tool on our server, its SDK peer and the bare-ASGI limit.

One run measures the servers side by side, interleaved (A B C A B C ...), under the same uvicorn settings
(one worker, no access log, log level warning, no WebSocket), in both protocol eras, at a few concurrencies, on
two HTTP stacks (h11 + asyncio, httptools + uvloop). The workloads: a tool that runs on the event loop (JSON
answers, everywhere), a plain ``def`` tool in a worker thread and a tool that reports progress first (an SSE
answer), these two at the headline concurrency on httptools + uvloop. Each server runs in its own process on a free loopback port,
pinned away from the load generator (wrk, with a Lua script for the POST). Each repetition starts fresh server
processes and loads every cell in one-second slices taken in turn, so a burst of other work on a shared machine
spoils one slice of each server rather than a whole cell of one. Figures are medians over the slices; each
ratio is the median of ratios between samples of the same round, taken seconds apart. Cold start (exec to the
first answered ``tools/call``, ``benchmarks/startup.py``) and growth (``benchmarks/growth.py``: 10 to 1,000
tools, 1 KB to 10 MB results, concurrency 1 to 256) come last, in the same report.

Usage: ``python -m benchmarks.run`` (about 11 minutes) or ``python -m benchmarks.run --quick`` (about 2,
without growth).
Results: printed, and written to ``benchmarks/results/latest.md`` and ``latest.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import hashlib
import http.client
import json
import os
import platform
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
PATH = "/mcp"
MODERN_VERSION = "2026-07-28"
LEGACY_VERSION = "2025-11-25"


@dataclass(frozen=True)
class ServerSpec:
    key: str
    label: str
    app: str
    answers: tuple[str, ...] = ("json",)  # the workloads' answer kinds it takes part in
    root: Path | None = None  # the checkout it is served from (default: this one)


@dataclass(frozen=True)
class StackConfig:
    key: str
    http: str
    loop: str


@dataclass(frozen=True)
class Era:
    """A workload: one request in one protocol era, sent over and over.

    ``era`` is the protocol era; ``tool`` says how the tool runs ("loop": on the event loop, "thread": a plain
    ``def`` in a worker thread, "progress": it reports progress first, so the answer is SSE); ``answer`` is
    what comes back ("json" or "sse"). ``concurrency`` and ``configs`` restrict where it is measured (empty:
    everywhere the plan goes).
    """

    key: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    era: str = ""
    tool: str = "loop"
    answer: str = "json"
    concurrency: tuple[int, ...] = ()
    configs: tuple[str, ...] = ()

    def measured(self, config: StackConfig, concurrency: int, headline: int) -> bool:
        """True where this workload is measured: its configs, and its concurrencies (0: the headline)."""
        if self.configs and config.key not in self.configs:
            return False
        wanted = tuple(headline if n == 0 else n for n in self.concurrency)
        return not wanted or concurrency in wanted


# Another checkout of this repository (e.g. `git worktree add /tmp/old <commit>`) to serve side by side with
# this one: its server joins the run as "baseline", interleaved with the others under the same flags.
BASELINE = os.environ.get("AGENTCORE_MCP_BENCH_BASELINE")

SERVERS = (
    ServerSpec("ours", "agentcore-mcp", "benchmarks.servers.ours_server:app", ("json", "sse")),
    *(
        (
            ServerSpec(
                "baseline",
                "agentcore-mcp (baseline)",
                "benchmarks.servers.ours_server:app",
                ("json", "sse"),
                Path(BASELINE),
            ),
        )
        if BASELINE
        else ()
    ),
    ServerSpec("sdk", "MCPServer", "benchmarks.servers.sdk_server:app", ("json",)),
    ServerSpec("sdk-sse", "MCPServer (SSE)", "benchmarks.servers.sdk_server:sse_app", ("sse",)),
    ServerSpec("bare", "bare ASGI", "benchmarks.servers.bare_asgi:app", ("json", "sse")),
    # The bare app plus the checks MCP requires (benchmarks/servers/checked_asgi.py): what the specification
    # costs over the stack, so "vs bare" of ours splits into the specification's share and the design's.
    ServerSpec("checked", "checked ASGI", "benchmarks.servers.checked_asgi:app", ("json", "sse")),
)
CONFIGS = (
    StackConfig("h11", "h11", "asyncio"),
    StackConfig("httptools", "httptools", "uvloop"),
)
_COMMON_HEADERS = (
    ("Accept", "application/json, text/event-stream"),
    ("Content-Type", "application/json"),
)
_TOOLS = {"loop": "add_numbers", "thread": "add_numbers_thread", "progress": "add_with_progress"}


def workload(
    era: str,
    tool: str = "loop",
    *,
    concurrency: tuple[int, ...] = (),
    configs: tuple[str, ...] = (),
) -> Era:
    """The ``tools/call`` of the ``tool`` kind in ``era``; a "progress" call carries a progress token."""
    name = _TOOLS[tool]
    params: dict[str, Any] = {"name": name, "arguments": {"a": 2, "b": 3}}
    meta: dict[str, Any] = {"progressToken": 1} if tool == "progress" else {}
    if era == "modern":
        meta["io.modelcontextprotocol/protocolVersion"] = MODERN_VERSION
        meta["io.modelcontextprotocol/clientCapabilities"] = {}
        headers: tuple[tuple[str, str], ...] = (
            *_COMMON_HEADERS,
            ("MCP-Protocol-Version", MODERN_VERSION),
            ("Mcp-Method", "tools/call"),
            ("Mcp-Name", name),
        )
    else:
        headers = (*_COMMON_HEADERS, ("MCP-Protocol-Version", LEGACY_VERSION))
    if meta:
        params["_meta"] = meta
    body = json.dumps(
        {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": params}, separators=(",", ":")
    )
    key = era if tool == "loop" else f"{era}-{'sse' if tool == 'progress' else tool}"
    answer = "sse" if tool == "progress" else "json"
    return Era(key, headers, body.encode(), era, tool, answer, concurrency, configs)


# The JSON workloads everywhere; the worker-thread and SSE ones at the headline concurrency on the faster stack.
ERAS = (
    workload("legacy"),
    workload("modern"),
    workload("legacy", "thread", concurrency=(0,), configs=("httptools",)),
    workload("modern", "thread", concurrency=(0,), configs=("httptools",)),
    workload("legacy", "progress", concurrency=(0,), configs=("httptools",)),
    workload("modern", "progress", concurrency=(0,), configs=("httptools",)),
)


@dataclass
class Plan:
    reps: int
    concurrency: tuple[int, ...]
    slices: int  # one-second slices per cell and repetition at the headline (first) concurrency
    extra_slices: int  # one-second slices per cell and repetition at the other concurrencies
    warmup: int  # seconds of load on each fresh server process before its cells (0: none)
    max_interference: float  # slices where other processes took more of a core are set aside
    cold_runs: int
    servers: tuple[ServerSpec, ...]
    configs: tuple[StackConfig, ...]
    eras: tuple[Era, ...]

    def slices_for(self, concurrency: int) -> int:
        return self.slices if concurrency == self.concurrency[0] else self.extra_slices


@dataclass
class Sample:
    rep: int  # the repetition (fresh server processes) it belongs to
    slice: int  # the one-second slice of its cell; ratios pair samples of the same repetition and slice
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int
    # Share of a core's time taken by other processes during the slice (the worse of the server's core and
    # the load generator's core); None when the processes are not pinned.
    interference: float | None = None


@dataclass
class Cell:
    server: str
    era: str
    config: str
    concurrency: int
    samples: list[Sample] = field(default_factory=list)
    unavailable: str | None = None
    max_interference: float = 1.0

    def clean(self) -> list[Sample]:
        """Error-free samples taken while other processes left both cores (nearly) alone."""
        return [
            s
            for s in self.samples
            if s.errors == 0 and (s.interference is None or s.interference <= self.max_interference)
        ]

    def error_free(self) -> list[Sample]:
        return [s for s in self.samples if s.errors == 0]

    def valid(self) -> list[Sample]:
        """The samples the figures come from: the clean ones, or every error-free one when none is clean."""
        return self.clean() or self.error_free()

    def median(self, name: str) -> float | None:
        values = [getattr(s, name) for s in self.valid()]
        return statistics.median(values) if values else None

    def ratio_to(self, reference: Cell | None) -> float | None:
        """The median over rounds of req/s divided by the reference's req/s in the same round.

        A round is one slice of one repetition: the two samples were taken seconds apart, so the slow drifts
        of a shared machine hit both alike.
        """
        if reference is None:
            return None
        ratios = _paired_ratios(self.valid(), reference.valid()) or _paired_ratios(
            self.error_free(), reference.error_free()
        )  # no round clean for both: pair every round
        return statistics.median(ratios) if ratios else None

    def spread(self) -> float | None:
        """The interquartile range of req/s over the median (the full range below four samples)."""
        rates = sorted(s.rps for s in self.valid())
        if len(rates) < 2:
            return None
        if len(rates) < 4:
            low, high = rates[0], rates[-1]
        else:
            low, _, high = statistics.quantiles(rates, n=4)
        return (high - low) / statistics.median(rates)


def _paired_ratios(ours: Sequence[Sample], theirs: Sequence[Sample]) -> list[float]:
    by_round = {(s.rep, s.slice): s.rps for s in theirs}
    return [s.rps / by_round[(s.rep, s.slice)] for s in ours if by_round.get((s.rep, s.slice))]


# -- processes ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pinning:
    server: list[str]  # command prefix pinning a server process
    load: list[str]  # command prefix pinning wrk
    load_core: int | None
    server_core: int | None
    note: str


def pinning() -> Pinning:
    taskset = shutil.which("taskset")
    cores = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    if taskset is None or len(cores) < 2:
        return Pinning([], [], None, None, "not pinned (taskset or a second core missing)")
    load_core, server_core = cores[0], cores[1]
    return Pinning(
        [taskset, "-c", str(server_core)],
        [taskset, "-c", str(load_core)],
        load_core,
        server_core,
        f"servers on core {server_core}, wrk (and this driver) on core {load_core}",
    )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def uvicorn_command(app: str, port: int, config: StackConfig, pin: Pinning) -> list[str]:
    return [
        *pin.server,
        sys.executable,
        "-m",
        "uvicorn",
        app,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--http",
        config.http,
        "--loop",
        config.loop,
        "--no-access-log",
        "--log-level",
        "warning",
        "--ws",  # no server here speaks WebSocket: skip importing a WebSocket library at start
        "none",
    ]


def post(port: int, era: Era, timeout: float = 5.0) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("POST", PATH, body=era.body, headers=dict(era.headers))
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def check_answer(status: int, body: bytes, answer: str = "json") -> str | None:
    """None when the answer is a correct ``add_numbers(2, 3)`` result (as JSON, or as an SSE stream with a
    progress notification before it), else why not."""
    shown = body[:200].decode("utf-8", "replace")
    if status != 200:
        return f"HTTP {status}: {shown}"
    try:
        if answer == "sse":
            events = [json.loads(line[5:]) for line in body.decode().splitlines() if line.startswith("data:")]
            if not any(e.get("method") == "notifications/progress" for e in events[:-1]):
                return f"no progress notification before the result: {shown}"
            message = events[-1]
        else:
            message = json.loads(body)
        result = message["result"]
        texts = [c.get("text") for c in result.get("content", [])]
    except (ValueError, KeyError, TypeError, AttributeError, IndexError):
        return f"not a JSON-RPC result: {shown}"
    if result.get("isError") or (
        "5" not in texts and (result.get("structuredContent") or {}).get("result") != 5
    ):
        return f"wrong result: {shown}"
    return None


def rss_kib(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


class RunningServer:
    def __init__(self, spec: ServerSpec, config: StackConfig, pin: Pinning, log_dir: Path) -> None:
        self.spec = spec
        self.port = free_port()
        self.log_path = log_dir / f"{spec.key}-{config.key}-{self.port}.log"
        self._log = self.log_path.open("wb")
        self.proc = subprocess.Popen(
            uvicorn_command(spec.app, self.port, config, pin),
            cwd=spec.root or ROOT,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )

    def wait_ready(self, timeout: float = 60.0) -> str | None:
        """Wait until the server answers; None when it does, else why it never did."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return f"exited with {self.proc.returncode}: {self.log_tail()}"
            try:
                post(self.port, ERAS[0], timeout=2.0)
                return None
            except OSError:
                time.sleep(0.02)
        return f"not answering after {timeout:g}s: {self.log_tail()}"

    def log_tail(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")[-400:].strip()

    def terminate(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()


@contextlib.contextmanager
def running(
    specs: Sequence[ServerSpec], config: StackConfig, pin: Pinning, log_dir: Path
) -> Iterator[list[RunningServer]]:
    servers: list[RunningServer] = []
    try:
        for spec in specs:
            servers.append(RunningServer(spec, config, pin, log_dir))
        yield servers
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.stop()


# -- load ------------------------------------------------------------------------------------------------


def lua_script(era: Era) -> str:
    lines = ['wrk.method = "POST"', f"wrk.body = [==[{era.body.decode()}]==]"]
    lines += [f'wrk.headers["{name}"] = "{value}"' for name, value in era.headers]
    lines.append(
        """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH_JSON {\\"requests\\":%d,\\"duration_us\\":%d,\\"p50_us\\":%.1f,\\"p99_us\\":%.1f," ..
    "\\"errors\\":%d}\\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.status + e.timeout))
end
"""
    )
    return "\n".join(lines)


def _core_ticks(core: int) -> tuple[int, int, int]:
    """Busy (user + nice + system), steal and total clock ticks of one core so far, from /proc/stat."""
    for line in Path("/proc/stat").read_text().splitlines():
        if line.startswith(f"cpu{core} "):
            user, nice, system, idle, iowait, irq, softirq, steal = (int(v) for v in line.split()[1:9])
            return user + nice + system, steal, user + nice + system + idle + iowait + irq + softirq + steal
    raise LookupError(f"no cpu{core} in /proc/stat")


def _process_ticks(pid: int) -> int:
    """User + system clock ticks used so far by a process (all its threads)."""
    text = Path(f"/proc/{pid}/stat").read_text()
    fields = text[text.rindex(")") + 2 :].split()  # after the command name; fields[0] is field 3 (state)
    return int(fields[11]) + int(fields[12])


def _own_and_children_ticks() -> float:
    clock = os.sysconf("SC_CLK_TCK")
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime) * clock


class InterferenceProbe:
    """How much of the two pinned cores other processes took while one slice ran.

    The server's core is busy with the server, the load generator's core with wrk and this driver; whatever
    else the cores did (other users' work, hypervisor steal) is interference. Soft interrupts are left out:
    loopback networking lands there for our own processes.
    """

    def __init__(self, server_core: int, load_core: int, server_pid: int) -> None:
        self._cores = (server_core, load_core)
        self._pid = server_pid
        self._start = self._read()

    def _read(self) -> tuple[tuple[int, int, int], tuple[int, int, int], int, float]:
        return (
            _core_ticks(self._cores[0]),
            _core_ticks(self._cores[1]),
            _process_ticks(self._pid),
            _own_and_children_ticks(),
        )

    def stop(self) -> float:
        (b0, st0, t0), (b1, st1, t1), server0, ours0 = self._start
        (b0e, st0e, t0e), (b1e, st1e, t1e), server1, ours1 = self._read()
        server_core = (max(0, (b0e - b0) - (server1 - server0)) + (st0e - st0)) / max(1, t0e - t0)
        load_core = (max(0.0, (b1e - b1) - (ours1 - ours0)) + (st1e - st1)) / max(1, t1e - t1)
        return round(min(1.0, max(server_core, load_core)), 3)


def wrk_command(wrk: str, pin: Pinning, script: Path, port: int, concurrency: int, seconds: int) -> list[str]:
    return [
        *pin.load,
        wrk,
        "-t1",
        f"-c{concurrency}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(script),
        f"http://127.0.0.1:{port}{PATH}",
    ]


def warm_up(wrk: str, pin: Pinning, targets: Sequence[tuple[int, Path]], seconds: int) -> None:
    """Load every target at once for ``seconds`` (c8), discarding the figures."""
    procs = [
        subprocess.Popen(
            wrk_command(wrk, pin, script, port, 8, seconds),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for port, script in targets
    ]
    for proc in procs:
        proc.wait(seconds + 60)


def run_wrk(
    wrk: str,
    pin: Pinning,
    script: Path,
    port: int,
    concurrency: int,
    seconds: int,
    rep: int = 0,
    slice_no: int = 0,
    server_pid: int | None = None,
) -> Sample:
    command = wrk_command(wrk, pin, script, port, concurrency, seconds)
    probe = None
    if server_pid is not None and pin.server_core is not None and pin.load_core is not None:
        probe = InterferenceProbe(pin.server_core, pin.load_core, server_pid)
    out = subprocess.run(command, capture_output=True, text=True, check=False, timeout=seconds + 60)
    interference = probe.stop() if probe is not None else None
    for line in out.stdout.splitlines():
        if line.startswith("BENCH_JSON "):
            data = json.loads(line[len("BENCH_JSON ") :])
            return Sample(
                rep=rep,
                slice=slice_no,
                rps=data["requests"] / (data["duration_us"] / 1e6),
                p50_ms=data["p50_us"] / 1000,
                p99_ms=data["p99_us"] / 1000,
                requests=data["requests"],
                errors=data["errors"],
                interference=interference,
            )
    raise RuntimeError(f"wrk gave no result (exit {out.returncode}): {out.stdout[-300:]} {out.stderr[-300:]}")


CellKey = tuple[str, str, str, int]  # server, era, config, concurrency
RssKey = tuple[str, str]  # server, config


def measure(
    plan: Plan, wrk: str, pin: Pinning, work: Path, log: Callable[[str], None]
) -> tuple[dict[CellKey, Cell], dict[RssKey, list[int]]]:
    """Run every cell in every repetition, interleaved; also the servers' RSS after each block."""
    scripts: dict[str, Path] = {}
    for era in plan.eras:
        scripts[era.key] = work / f"{era.key}.lua"
        scripts[era.key].write_text(lua_script(era))
    cells = {
        (s.key, e.key, c.key, n): Cell(s.key, e.key, c.key, n, max_interference=plan.max_interference)
        for s in plan.servers
        for e in plan.eras
        for c in plan.configs
        for n in plan.concurrency
        if e.answer in s.answers and e.measured(c, n, plan.concurrency[0])
    }
    rss_after_load: dict[RssKey, list[int]] = {}
    for rep in range(plan.reps):
        for config in plan.configs:
            log(f"repetition {rep + 1}/{plan.reps}, {config.http}+{config.loop}: starting fresh servers")
            needed = [s for s in plan.servers if any(k[0] == s.key and k[2] == config.key for k in cells)]
            with running(needed, config, pin, work) as servers:
                ready = start_block(plan, servers, cells, config, scripts)
                if plan.warmup > 0:
                    warm_up(wrk, pin, [(server.port, script) for server, script in ready], plan.warmup)
                measure_block(
                    plan, wrk, pin, [server for server, _ in ready], cells, config, scripts, rep, log
                )
                for server, _ in ready:
                    rss = rss_kib(server.proc.pid)
                    if rss is not None:
                        rss_after_load.setdefault((server.spec.key, config.key), []).append(rss)
    return cells, rss_after_load


def start_block(
    plan: Plan,
    servers: Sequence[RunningServer],
    cells: dict[CellKey, Cell],
    config: StackConfig,
    scripts: dict[str, Path],
) -> list[tuple[RunningServer, Path]]:
    """Wait for each server and check its answer in each era; the servers to load, with a warm-up script.

    A server that does not start, or answers an era wrongly, has those cells marked unavailable with the reason.
    """
    ready: list[tuple[RunningServer, Path]] = []
    for server in servers:
        problem = server.wait_ready()
        if problem is not None:
            for key, cell in cells.items():
                if key[0] == server.spec.key and key[2] == config.key:
                    cell.unavailable = f"server did not start: {problem}"
            continue
        eras_ok = []
        for era in plan.eras:
            mine = [
                cells[key]
                for key in ((server.spec.key, era.key, config.key, n) for n in plan.concurrency)
                if key in cells
            ]
            if not mine:
                continue
            # This also takes each era's path once (lazy imports, first-use caches) before any measurement.
            reason = check_answer(*post(server.port, era), era.answer)
            if reason is None:
                eras_ok.append(era)
            else:
                for cell in mine:
                    cell.unavailable = reason
        if eras_ok:
            ready.append((server, scripts[eras_ok[0].key]))
    return ready


def measure_block(
    plan: Plan,
    wrk: str,
    pin: Pinning,
    servers: Sequence[RunningServer],
    cells: dict[CellKey, Cell],
    config: StackConfig,
    scripts: dict[str, Path],
    rep: int,
    log: Callable[[str], None],
) -> None:
    """Load the running servers, one-second slices taken in turn (A B C A B C ...) for each era and concurrency.

    Slicing each cell puts the servers' samples seconds apart, so a burst of other work on a shared machine
    hits one slice of each rather than a whole cell of one; each slice of a round is paired for the ratios.
    """
    for era in plan.eras:
        for n in plan.concurrency:
            active = [
                s
                for s in servers
                if (s.spec.key, era.key, config.key, n) in cells
                and cells[(s.spec.key, era.key, config.key, n)].unavailable is None
            ]
            for slice_no in range(plan.slices_for(n)):
                for server in active:
                    sample = run_wrk(
                        wrk, pin, scripts[era.key], server.port, n, 1, rep, slice_no, server.proc.pid
                    )
                    cells[(server.spec.key, era.key, config.key, n)].samples.append(sample)
            for server in active:
                cell = cells[(server.spec.key, era.key, config.key, n)]
                block = [s for s in cell.samples if s.rep == rep]
                errors = sum(s.errors for s in block)
                noise = [s.interference for s in block if s.interference is not None]
                log(
                    f"  {server.spec.label:15} {era.key:13} c{n:<3} "
                    f"{statistics.median(s.rps for s in block):9.0f} req/s "
                    f"(median of {len(block)} slices"
                    + (f"; interference {min(noise):.0%}-{max(noise):.0%}" if noise else "")
                    + ")"
                    + (f", {errors} errors" if errors else "")
                )


# -- facts and reports -----------------------------------------------------------------------------------


def code_fingerprint() -> str:
    """A hash of the served code (the package and the demo server), to notice edits made during a run."""
    digest = hashlib.sha256()
    for path in sorted([*ROOT.glob("agentcore_mcp/**/*.py"), ROOT / "examples" / "demo_server.py"]):
        with contextlib.suppress(OSError):
            digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def machine_facts(wrk: str, pin: Pinning) -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    versions = {}
    for dist in (
        "agentcore-mcp",
        "mcp",
        "uvicorn",
        "h11",
        "httptools",
        "uvloop",
        "starlette",
        "pydantic",
        "pydantic-core",
        "anyio",
    ):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = "absent"
    wrk_version = subprocess.run([wrk, "--version"], capture_output=True, text=True, check=False)
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
        capture_output=True,
        text=True,
        check=False,
    )
    return {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "platform": platform.platform(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "packages": versions,
        "wrk": (wrk_version.stdout or wrk_version.stderr).split("Copyright")[0].strip(),
        "pinning": pin.note,
        "git": commit.stdout.strip() or "unknown",
        "code_at_start": code_fingerprint(),
        "loadavg_at_start": os.getloadavg(),
    }


def _num(value: float | None, digits: int = 0) -> str:
    return "n/a" if value is None else f"{value:,.{digits}f}"


def _loadavg(values: Sequence[float]) -> str:
    return ", ".join(f"{x:.2f}" for x in values)


def _times(ratio: float | None) -> str:
    return "n/a" if ratio is None else f"{ratio:.2f}×"


def _percent(fraction: float | None) -> str:
    return "n/a" if fraction is None else f"{fraction:.0%}"


def _ratio(value: float | None, reference: float | None) -> str:
    return _times(None if value is None or not reference else value / reference)


def summary_rows(plan: Plan, cells: dict[CellKey, Cell]) -> list[dict[str, Any]]:
    rows = []
    for config in plan.configs:
        for era in plan.eras:
            for n in plan.concurrency:
                sdk = cells.get(("sdk-sse" if era.answer == "sse" else "sdk", era.key, config.key, n))
                bare = cells.get(("bare", era.key, config.key, n))
                baseline = cells.get(("baseline", era.key, config.key, n))
                for spec in plan.servers:
                    cell = cells.get((spec.key, era.key, config.key, n))
                    if cell is None:
                        continue
                    rps = cell.median("rps")
                    rows.append(
                        {
                            "server": spec.label,
                            "era": era.era,
                            "tool": era.tool,
                            "answer": era.answer,
                            "config": f"{config.http}+{config.loop}",
                            "concurrency": n,
                            "rps": rps,
                            "p50_ms": cell.median("p50_ms"),
                            "p99_ms": cell.median("p99_ms"),
                            "spread": cell.spread(),
                            "clean_slices": len(cell.clean()),
                            "slices": len(cell.samples),
                            "vs_sdk": cell.ratio_to(sdk),
                            "vs_bare": cell.ratio_to(bare),
                            "vs_baseline": cell.ratio_to(baseline) if baseline is not None else None,
                            "unavailable": cell.unavailable,
                            "samples": [asdict(s) for s in cell.samples],
                        }
                    )
    return rows


def markdown(
    plan: Plan,
    facts: dict[str, Any],
    rows: list[dict[str, Any]],
    rss_after_load: dict[RssKey, list[int]],
    elapsed: float,
) -> str:
    packages = ", ".join(f"{k} {v}" for k, v in facts["packages"].items())
    out = [
        "# Benchmark: trivial `tools/call`, ours vs MCPServer vs bare ASGI",
        "",
        f"- Date: {facts['date']}; git {facts['git']}; run took {elapsed:.0f} s",
        f"- Machine: {facts['cpu']}, {facts['cores']} cores; {facts['platform']}; "
        f"load average at start {_loadavg(facts['loadavg_at_start'])}, at end {_loadavg(facts['loadavg_at_end'])} "
        "(other work on the machine shows here)",
        f"- {facts['python']}; {packages}",
        *(
            [
                f"- **Warning: the served code changed during the run** (fingerprint {facts['code_at_start']} "
                f"at start, {facts['code_at_end']} at end): later repetitions ran newer code"
            ]
            if facts["code_at_start"] != facts["code_at_end"]
            else []
        ),
        f"- Load: {facts['wrk']}, 1 thread, one `tools/call` of `a + b` sent over and over; {facts['pinning']}",
        "- tool: `loop`: runs on the event loop (ours: `@tool(sync_to_thread=False)`, as the demo declares its "
        "tools; MCPServer: `async def`), `thread`: a plain `def` in a worker thread (both servers' default), "
        "`progress`: reports progress once, then answers (an SSE stream: MCPServer with `json_response=False`); "
        "the bare-ASGI limit does the same work without MCP machinery",
        "- uvicorn: one worker, `--no-access-log --log-level warning --ws none`, each server in its own process",
        f"- {plan.reps} repetitions, each with fresh server processes ({plan.warmup} s warm-up); every cell is "
        f"loaded in one-second slices taken in turn (A B C A B C ...): {plan.slices} slices per repetition "
        f"at c{plan.concurrency[0]}, {plan.extra_slices} at other concurrencies",
        "- req/s, p50, p99: medians over all slices; ratios: median over slices of req/s / the reference's "
        "req/s in the same round (seconds apart; clean rounds, or all rounds when none is clean for both); "
        "spread: interquartile range of req/s / median",
        f"- clean: slices in which other processes took at most {plan.max_interference:.0%} of either pinned "
        "core (from /proc/stat); figures use the clean slices only, or all of them (flagged 0/n) when none "
        "is clean",
        "",
        "| server | era | tool | answer | config | conc. | req/s | p50 ms | p99 ms | spread | clean "
        "| vs MCPServer | vs bare | vs baseline |",
        "|---|---|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for r in rows:
        out.append(
            f"| {r['server']} | {r['era']} | {r['tool']} | {r['answer'].upper()} | {r['config']} | "
            f"{r['concurrency']} | {_num(r['rps'])} | "
            f"{_num(r['p50_ms'], 2)} | {_num(r['p99_ms'], 2)} | {_percent(r['spread'])} | "
            f"{r['clean_slices']}/{r['slices']} | {_times(r['vs_sdk'])} | {_times(r['vs_bare'])} | "
            f"{_times(r['vs_baseline'])} |"
        )
    missing = sorted(
        {(r["server"], r["era"], r["tool"], r["config"], r["unavailable"]) for r in rows if r["unavailable"]}
    )
    if missing:
        out += ["", "Not measured:", ""]
        out += [f"- {s}, {e} era, {t} tool, {c}: {why}" for s, e, t, c, why in missing]
    if rss_after_load:
        labels = {s.key: s.label for s in SERVERS}
        out += ["", "## Resident memory after the load (MiB, median over repetitions)", ""]
        out += ["| server | " + " | ".join(f"{c.http}+{c.loop}" for c in plan.configs) + " |"]
        out += ["|---|" + "--:|" * len(plan.configs)]
        for spec in plan.servers:
            figures = []
            for config in plan.configs:
                values = rss_after_load.get((spec.key, config.key))
                figures.append(_num(statistics.median(values) / 1024, 1) if values else "n/a")
            out.append(f"| {labels[spec.key]} | " + " | ".join(figures) + " |")
    return "\n".join(out) + "\n"


def write_atomically(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text)
    tmp.replace(path)


# -- entry point -----------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="a ~1-minute run: concurrency 8 only, short cells"
    )
    parser.add_argument("--reps", type=int, help="repetitions (median reported; default 3)")
    parser.add_argument("--concurrency", help="comma-separated; the first is the headline (default 8,1,64)")
    parser.add_argument(
        "--slices", type=int, help="one-second slices per headline cell and repetition (default 3)"
    )
    parser.add_argument(
        "--extra-slices", type=int, help="one-second slices per other cell and repetition (default 2)"
    )
    parser.add_argument("--warmup", type=int, help="warm-up seconds of each fresh server process (default 1)")
    parser.add_argument(
        "--max-interference",
        type=float,
        default=0.15,
        help="set aside slices in which other processes took more than this share of a pinned core "
        "(default 0.15; 1 keeps every slice)",
    )
    parser.add_argument(
        "--cold-runs",
        type=int,
        help="cold-start rounds (benchmarks/startup.py; default 15, quick 5; 0 skips)",
    )
    parser.add_argument(
        "--growth",
        action=argparse.BooleanOptionalAction,
        help="run the growth benchmark (benchmarks/growth.py) too (default: yes; --quick: no)",
    )
    parser.add_argument(
        "--every-concurrency",
        action="store_true",
        help="measure every workload (the thread and progress ones too) at every concurrency",
    )
    parser.add_argument("--servers", help="comma-separated subset of: " + ",".join(s.key for s in SERVERS))
    parser.add_argument("--configs", help="comma-separated subset of: " + ",".join(c.key for c in CONFIGS))
    parser.add_argument("--eras", help="comma-separated subset of: " + ",".join(e.key for e in ERAS))
    parser.add_argument("--out", type=Path, default=RESULTS, help="results directory")
    return parser.parse_args(argv)


def _pick(items: Sequence[Any], wanted: str | None) -> tuple[Any, ...]:
    if not wanted:
        return tuple(items)
    keys = [w.strip() for w in wanted.split(",") if w.strip()]
    known = {item.key: item for item in items}
    unknown = [k for k in keys if k not in known]
    if unknown:
        raise SystemExit(f"unknown choice(s) {', '.join(unknown)}; pick from {', '.join(known)}")
    return tuple(known[k] for k in keys)


def make_plan(args: argparse.Namespace) -> Plan:
    quick = args.quick
    concurrency = args.concurrency or ("8" if quick else "8,1,64")

    def pick(value: Any, default: Any, quick_default: Any) -> Any:
        return value if value is not None else (quick_default if quick else default)

    plan = Plan(
        reps=pick(args.reps, 3, 3),
        concurrency=tuple(int(c) for c in concurrency.split(",") if c.strip()),
        slices=pick(args.slices, 3, 1),
        extra_slices=pick(args.extra_slices, 2, 1),
        warmup=pick(args.warmup, 1, 1),
        max_interference=args.max_interference,
        cold_runs=pick(args.cold_runs, 15, 5),
        servers=_pick(SERVERS, args.servers),
        configs=_pick(CONFIGS, args.configs),
        eras=_pick(ERAS, args.eras),
    )
    if args.every_concurrency:
        plan.eras = tuple(dataclasses.replace(e, concurrency=()) for e in plan.eras)
    if min(plan.reps, plan.slices, plan.extra_slices, *plan.concurrency) < 1 or plan.warmup < 0:
        raise SystemExit("--reps, --concurrency and the slices must be at least 1, --warmup at least 0")
    return plan


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    wrk = shutil.which("wrk")
    if wrk is None:
        print(
            "wrk, the load generator, is not installed. On Debian/Ubuntu: sudo apt-get install -y wrk "
            "(macOS: brew install wrk); then run this again.",
            file=sys.stderr,
        )
        return 2
    plan = make_plan(args)
    pin = pinning()
    all_cores = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
    if pin.load_core is not None:  # keep this driver off the servers' core too
        with contextlib.suppress(OSError):
            os.sched_setaffinity(0, {pin.load_core})
    facts = machine_facts(wrk, pin)

    started = time.monotonic()

    def log(text: str) -> None:
        print(f"[{time.monotonic() - started:5.0f}s] {text}", file=sys.stderr, flush=True)

    with tempfile.TemporaryDirectory(prefix="agentcore-mcp-bench-") as tmp:
        work = Path(tmp)
        cells, rss_after_load = measure(plan, wrk, pin, work, log)
    # Cold start and growth have modules of their own (each runnable alone); here their sections join the
    # one report. Imported here: they import this module's helpers.
    from benchmarks import growth, startup

    def unpin() -> None:  # each of them pins this process afresh, so must see every core first
        if all_cores is not None:
            with contextlib.suppress(OSError):
                os.sched_setaffinity(0, all_cores)

    extra: dict[str, Any] = {}
    sections: list[str] = []
    if plan.cold_runs > 0:
        log(f"cold start: {plan.cold_runs} interleaved rounds, and the import-time breakdown")
        unpin()
        extra["startup"] = startup.run_startup(runs=plan.cold_runs, log=log)
        sections.append(startup.markdown(extra["startup"], heading="##"))
    if args.growth if args.growth is not None else not args.quick:
        log("growth: tools, result sizes, concurrency")
        unpin()
        extra["growth"] = growth.run_growth(log=log)
        sections.append(growth.markdown(extra["growth"], heading="##"))
    elapsed = time.monotonic() - started
    facts["loadavg_at_end"] = os.getloadavg()
    facts["code_at_end"] = code_fingerprint()
    rows = summary_rows(plan, cells)
    report = "\n".join([markdown(plan, facts, rows, rss_after_load, elapsed), *sections])
    print(report)
    args.out.mkdir(parents=True, exist_ok=True)
    write_atomically(args.out / "latest.md", report)
    payload = {
        "machine": facts,
        "plan": {
            "reps": plan.reps,
            "concurrency": plan.concurrency,
            "slices": plan.slices,
            "extra_slices": plan.extra_slices,
            "warmup_s": plan.warmup,
            "max_interference": plan.max_interference,
            "cold_runs": plan.cold_runs,
            "servers": {s.key: {"label": s.label, "app": s.app} for s in plan.servers},
            "configs": [asdict(c) for c in plan.configs],
            "workloads": {
                e.key: {"headers": dict(e.headers), "body": e.body.decode(), "answer": e.answer}
                for e in plan.eras
            },
        },
        "elapsed_s": elapsed,
        "results": rows,
        **extra,
        "rss_after_load_kib": [
            {"server": s, "config": c, "values": v} for (s, c), v in sorted(rss_after_load.items())
        ],
    }
    write_atomically(args.out / "latest.json", json.dumps(payload, indent=2) + "\n")
    log(f"wrote {args.out / 'latest.md'} and {args.out / 'latest.json'} ({elapsed:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
