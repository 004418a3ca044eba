"""Growth: how our server's speed and memory grow with the number of tools, the result size and concurrency.

Our server only (``benchmarks/servers/many_tools.py``), under uvicorn httptools + uvloop, one worker, pinned
to one core, loaded by wrk pinned to the other (the helpers of ``benchmarks/run.py``), one-second slices taken
in turn (A B C A B C ...), medians over slices, ratios as medians of same-round ratios:

a. ``tools/list`` and ``tools/call add_numbers`` with 10, 100 and 1,000 registered tools (realistic generated
   tools: two or three typed parameters, docstrings), both eras, c8; the limit for ``tools/list`` is a bare ASGI
   callable sending the same bytes. Also the cold start (exec -> first ``tools/list``) and RSS with N tools.
   The bar: ``tools/list`` with 1,000 tools within 2x of ``tools/list`` with 10 tools in requests/s.
b. ``tools/call`` whose result is a text of 1 KB, 100 KB, 1 MB, 10 MB, as a JSON answer and as an SSE answer
   (the tool sends a progress notification first): latency (wrk c1: p50, p99) and the server's peak RSS
   (VmHWM) over its idle RSS, one fresh process per size and answer kind. The bar: 10 MB peak over idle at
   most 4x the payload; an SSE answer must not hold the body twice.
c. ``tools/call add_numbers`` at concurrency 1, 4, 16, 64, 256 (legacy era by default), with the bare-ASGI
   limit interleaved for reference.

Usage: ``python -m benchmarks.growth`` (about 3-4 minutes); ``--parts a,b,c`` picks parts. Results: printed,
and written to ``benchmarks/results/growth.md`` and ``growth.json``. Importable: :func:`run_growth` returns the
JSON-able dict and :func:`markdown` renders it.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import http.client
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.run import (
    _COMMON_HEADERS,
    LEGACY_VERSION,
    MODERN_VERSION,
    PATH,
    RESULTS,
    ROOT,
    Cell,
    Era,
    Pinning,
    RunningServer,
    ServerSpec,
    _loadavg,
    check_answer,
    code_fingerprint,
    free_port,
    lua_script,
    machine_facts,
    pinning,
    run_wrk,
    running,
    uvicorn_command,
    warm_up,
    write_atomically,
)
from benchmarks.startup import STACK as STARTUP_STACK
from benchmarks.startup import ColdRun, cold_once, proc_status

STACK = STARTUP_STACK  # httptools + uvloop
MODULE = "benchmarks.servers.many_tools"
EXTRA_TOOLS = 2  # the payload tools every many_tools app has besides its N
KIB = 1024
MIB = 1024 * 1024
Log = Callable[[str], None]


def era(key: str, method: str, params: Mapping[str, Any] | None = None, name: str | None = None) -> Era:
    """A request in one era: legacy (a plain JSON-RPC POST with the 2025-11-25 header) or modern (2026-07-28
    envelope in ``params._meta`` plus the ``Mcp-Method``/``Mcp-Name`` headers), as ``run.py`` builds them."""
    message: dict[str, Any] = {"jsonrpc": "2.0", "id": 1, "method": method}
    if key == "legacy":
        headers = (*_COMMON_HEADERS, ("MCP-Protocol-Version", LEGACY_VERSION))
        if params is not None:
            message["params"] = dict(params)
    else:
        headers = (*_COMMON_HEADERS, ("MCP-Protocol-Version", MODERN_VERSION), ("Mcp-Method", method))
        if name is not None:
            headers = (*headers, ("Mcp-Name", name))
        full = dict(params or {})
        full["_meta"] = {
            **full.get("_meta", {}),
            "io.modelcontextprotocol/protocolVersion": MODERN_VERSION,
            "io.modelcontextprotocol/clientCapabilities": {},
        }
        message["params"] = full
    return Era(key, headers, json.dumps(message, separators=(",", ":")).encode())


def call_era(key: str) -> Era:
    """``tools/call add_numbers(2, 3)`` in one era, the JSON workload of ``run.py``."""
    return era(key, "tools/call", {"name": "add_numbers", "arguments": {"a": 2, "b": 3}}, "add_numbers")


def list_era(key: str, compressed: bool = False) -> Era:
    """``tools/list``; ``compressed``: sent with ``Accept-Encoding: gzip`` as httpx (the SDK's client) does."""
    plain = era(key, "tools/list")
    if not compressed:
        return plain
    return Era(f"{key}-gzip", (*plain.headers, ("Accept-Encoding", "gzip")), plain.body)


def payload_era(key: str, size: int, sse: bool) -> Era:
    params: dict[str, Any] = {
        "name": "text_payload_sse" if sse else "text_payload",
        "arguments": {"size": size},
    }
    if sse:
        params["_meta"] = {"progressToken": 1}
    return era(key, "tools/call", params, params["name"])


def post_full(port: int, request: Era, timeout: float = 60.0) -> tuple[int, str, bytes]:
    """POST ``request``; the status, the content type and the whole body."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("POST", PATH, body=request.body, headers=dict(request.headers))
        response = conn.getresponse()
        return response.status, response.getheader("content-type") or "", response.read()
    finally:
        conn.close()


def final_message(content_type: str, body: bytes) -> tuple[dict[str, Any], int]:
    """The JSON-RPC response of a JSON or SSE answer, and how many SSE events preceded it."""
    if content_type.startswith("text/event-stream"):
        events = [e for e in body.split(b"\n\n") if b"data:" in e]
        data = events[-1].split(b"data: ", 1)[1]
        return json.loads(data), len(events) - 1
    return json.loads(body), 0


# -- servers ---------------------------------------------------------------------------------------------


def ours(count: int) -> ServerSpec:
    return ServerSpec(f"ours-{count}", f"ours, {count:,} tools", f"{MODULE}:app_{count}")


def bare_list(count: int) -> ServerSpec:
    return ServerSpec(
        f"bare-list-{count}", f"bare ASGI, {count:,}-tool list bytes", f"{MODULE}:bare_list_{count}"
    )


BARE = ServerSpec("bare", "bare ASGI", "benchmarks.servers.bare_asgi:app")


@contextlib.contextmanager
def started(specs: Sequence[ServerSpec], pin: Pinning, work: Path) -> Iterator[list[RunningServer]]:
    with running(specs, STACK, pin, work) as servers:
        for server in servers:
            problem = server.wait_ready(120)
            if problem is not None:
                raise RuntimeError(f"{server.spec.label} did not start: {problem}")
        yield servers


def check_list(count: int) -> Callable[[int, bytes], str | None]:
    def check(status: int, body: bytes) -> str | None:
        if status != 200:
            return f"HTTP {status}: {body[:200]!r}"
        tools = json.loads(gzip.decompress(body) if body[:2] == b"\x1f\x8b" else body)["result"]["tools"]
        return (
            None
            if len(tools) == count + EXTRA_TOOLS
            else f"{len(tools)} tools, expected {count + EXTRA_TOOLS}"
        )

    return check


def slices(
    wrk: str,
    pin: Pinning,
    work: Path,
    targets: Sequence[tuple[RunningServer, Cell]],
    request: Era,
    concurrency: int,
    count: int,
    rep: int,
) -> None:
    """``count`` one-second wrk slices of each target, in turn; samples go to each target's cell."""
    script = work / f"{request.key}-{hash((request.body, request.headers)) & 0xFFFFFFFF:x}.lua"
    script.write_text(lua_script(request))
    for slice_no in range(count):
        for server, cell in targets:
            sample = run_wrk(wrk, pin, script, server.port, concurrency, 1, rep, slice_no, server.proc.pid)
            cell.samples.append(sample)


def _cell_row(cell: Cell, reference: Cell | None = None, **extra: Any) -> dict[str, Any]:
    return {
        **extra,
        "rps": cell.median("rps"),
        "p50_ms": cell.median("p50_ms"),
        "p99_ms": cell.median("p99_ms"),
        "spread": cell.spread(),
        "clean_slices": len(cell.clean()),
        "slices": len(cell.samples),
        "errors": sum(s.errors for s in cell.samples),
        "vs_reference": cell.ratio_to(reference) if reference is not None else None,
    }


# -- a. the number of tools ------------------------------------------------------------------------------


@dataclass
class Plan:
    parts: str = "abc"
    reps: int = 2
    slices: int = 2
    concurrency: int = 8
    tool_counts: tuple[int, ...] = (10, 100, 1000)
    eras: tuple[str, ...] = ("legacy", "modern")
    cold_runs: int = 3
    sizes: tuple[int, ...] = (KIB, 100 * KIB, MIB, 10 * MIB)
    payload_eras: tuple[str, ...] = ("legacy",)
    payload_slices: int = 2
    payload_seconds: int = 2
    sweep: tuple[int, ...] = (1, 4, 16, 64, 256)
    sweep_eras: tuple[str, ...] = ("legacy",)
    max_interference: float = 0.15


def measure_tools(plan: Plan, wrk: str, pin: Pinning, work: Path, log: Log) -> dict[str, Any]:
    counts = plan.tool_counts
    # Cold start with N tools (registration cost), interleaved over N.
    cold: dict[int, list[ColdRun]] = {n: [] for n in counts}
    for _ in range(plan.cold_runs):
        for n in counts:
            port = free_port()
            run = cold_once(
                uvicorn_command(ours(n).app, port, STACK, pin), port, list_era("legacy"), work, check_list(n)
            )
            if isinstance(run, str):
                raise RuntimeError(f"cold start with {n} tools failed: {run}")
            cold[n].append(run)
    log(
        "tools: cold starts "
        + ", ".join(f"{n}: {statistics.median(r.answered_s for r in cold[n]):.3f}s" for n in counts)
    )
    cells: dict[tuple[str, str, str], Cell] = {}

    def cell(server: str, era_key: str, method: str) -> Cell:
        key = (server, era_key, method)
        if key not in cells:
            cells[key] = Cell(
                server, era_key, method, plan.concurrency, max_interference=plan.max_interference
            )
        return cells[key]

    list_bytes: dict[int, int] = {}
    gzip_bytes: dict[int, int] = {}
    limits = (counts[0], counts[-1])
    specs = [*(ours(n) for n in counts), *(bare_list(n) for n in limits)]
    for rep in range(plan.reps):
        log(f"tools: repetition {rep + 1}/{plan.reps}: starting {len(specs)} servers")
        with started(specs, pin, work) as servers:
            by_key = {s.spec.key: s for s in servers}
            for n in counts:
                server = by_key[ours(n).key]
                for era_key in plan.eras:
                    status, body = post_full(server.port, list_era(era_key))[::2]
                    problem = check_list(n)(status, body) or check_answer(
                        *post_full(server.port, call_era(era_key))[::2]
                    )
                    if problem:
                        raise RuntimeError(f"{server.spec.label}, {era_key}: {problem}")
                    status, zipped = post_full(server.port, list_era(era_key, compressed=True))[::2]
                    problem = check_list(n)(status, zipped)
                    if problem:
                        raise RuntimeError(f"{server.spec.label}, {era_key}, gzip: {problem}")
                    if era_key == "legacy":
                        list_bytes[n] = len(body)
                        gzip_bytes[n] = len(zipped)
            (work / "warm.lua").write_text(lua_script(list_era("legacy")))
            warm_up(wrk, pin, [(s.port, work / "warm.lua") for s in servers], 1)
            for era_key in plan.eras:
                list_targets = [(s, cell(s.spec.key, era_key, "tools/list")) for s in servers]
                slices(wrk, pin, work, list_targets, list_era(era_key), plan.concurrency, plan.slices, rep)
                gzip_targets = [
                    (by_key[ours(n).key], cell(ours(n).key, era_key, "tools/list, gzip")) for n in counts
                ]
                slices(
                    wrk, pin, work, gzip_targets, list_era(era_key, True), plan.concurrency, plan.slices, rep
                )
                call_targets = [
                    (by_key[ours(n).key], cell(ours(n).key, era_key, "tools/call")) for n in counts
                ]
                slices(wrk, pin, work, call_targets, call_era(era_key), plan.concurrency, plan.slices, rep)
                log(
                    f"tools: {era_key}: list "
                    + ", ".join(
                        f"{s.spec.key} {statistics.median(x.rps for x in cell(s.spec.key, era_key, 'tools/list').samples):.0f}"
                        for s in servers
                    )
                )
    rows = []
    first = counts[0]
    for era_key in plan.eras:
        for method in ("tools/list", "tools/list, gzip", "tools/call"):
            for n in counts:
                reference = cells[(ours(first).key, era_key, method)]
                sizes = {"tools/list": list_bytes, "tools/list, gzip": gzip_bytes}.get(method, {})
                rows.append(
                    _cell_row(
                        cells[(ours(n).key, era_key, method)],
                        reference,
                        server="ours",
                        tools=n,
                        era=era_key,
                        method=method,
                        answer_bytes=sizes.get(n),
                        vs_bare_list=(
                            cells[(ours(n).key, era_key, method)].ratio_to(
                                cells[(bare_list(n).key, era_key, method)]
                            )
                            if method == "tools/list" and n in limits
                            else None
                        ),
                    )
                )
            if method == "tools/list":
                for n in limits:
                    rows.append(
                        _cell_row(
                            cells[(bare_list(n).key, era_key, method)],
                            cells[(bare_list(first).key, era_key, method)],
                            server="bare",
                            tools=n,
                            era=era_key,
                            method=method,
                            answer_bytes=list_bytes.get(n),
                            vs_bare_list=None,
                        )
                    )
    bars = {}
    for era_key in plan.eras:
        big = cells[(ours(counts[-1]).key, era_key, "tools/list")]
        small = cells[(ours(first).key, era_key, "tools/list")]
        ratio = big.ratio_to(small)
        bare_ratio = cells[(bare_list(counts[-1]).key, era_key, "tools/list")].ratio_to(
            cells[(bare_list(first).key, era_key, "tools/list")]
        )
        zipped_ratio = cells[(ours(counts[-1]).key, era_key, "tools/list, gzip")].ratio_to(
            cells[(ours(first).key, era_key, "tools/list, gzip")]
        )
        bars[era_key] = {
            "gzip_list_ratio": zipped_ratio,
            "gzip_meets_2x": None if zipped_ratio is None else zipped_ratio >= 0.5,
            "list_ratio": ratio,
            "bare_list_ratio": bare_ratio,
            "slowdown": None if not ratio else 1 / ratio,
            "meets_2x": None if ratio is None else ratio >= 0.5,
        }
    return {
        "concurrency": plan.concurrency,
        "rows": rows,
        "bars": bars,
        "list_bytes": list_bytes,
        "gzip_bytes": gzip_bytes,
        "cold": [
            {
                "tools": n,
                "answered_s": statistics.median(r.answered_s for r in cold[n]),
                "rss_mib": statistics.median(r.rss_kib or 0 for r in cold[n]) / 1024,
                "samples_s": [r.answered_s for r in cold[n]],
            }
            for n in counts
        ],
    }


# -- b. the result size ----------------------------------------------------------------------------------


def measure_payload(plan: Plan, wrk: str, pin: Pinning, work: Path, log: Log) -> dict[str, Any]:
    """One fresh server per (era, size, answer kind); idle RSS after a small warm-up call of each kind; then
    wrk c1 slices in turn; the peak (VmHWM) at the end."""
    kinds = [(e, size, sse) for e in plan.payload_eras for size in plan.sizes for sse in (False, True)]
    spec = ours(10)
    specs = [ServerSpec(f"{spec.key}-{i}", spec.label, spec.app) for i in range(len(kinds))]
    rows = []
    with started(specs, pin, work) as servers:
        idle: dict[int, dict[str, int]] = {}
        checks: dict[int, dict[str, Any]] = {}
        for server, (era_key, _, _sse) in zip(servers, kinds, strict=True):
            for warm_sse in (False, True):  # take both answer paths once (lazy imports, first-use caches)
                post_full(server.port, payload_era(era_key, KIB, warm_sse))
            time.sleep(0.05)
            idle[server.proc.pid] = proc_status(server.proc.pid)
        for server, (era_key, size, sse) in zip(servers, kinds, strict=True):
            started_at = time.perf_counter()
            status, content_type, body = post_full(server.port, payload_era(era_key, size, sse))
            elapsed = time.perf_counter() - started_at
            message, notifications = final_message(content_type, body)
            text = message["result"]["content"][0]["text"]
            if (
                status != 200
                or len(text) != size
                or (sse and not content_type.startswith("text/event-stream"))
            ):
                raise RuntimeError(
                    f"payload {size} sse={sse}: HTTP {status}, {content_type}, {len(text)} chars"
                )
            checks[server.proc.pid] = {
                "content_type": content_type,
                "answer_bytes": len(body),
                "notifications": notifications,
                "first_call_s": elapsed,
            }
        cells = {
            server.proc.pid: Cell(
                server.spec.key, era_key, f"{size}-{sse}", 1, max_interference=plan.max_interference
            )
            for server, (era_key, size, sse) in zip(servers, kinds, strict=True)
        }
        scripts: dict[int, Path] = {}
        for server, (era_key, size, sse) in zip(servers, kinds, strict=True):
            scripts[server.proc.pid] = work / f"payload-{server.port}.lua"
            scripts[server.proc.pid].write_text(lua_script(payload_era(era_key, size, sse)))
        for slice_no in range(plan.payload_slices):
            for server in servers:
                sample = run_wrk(
                    wrk,
                    pin,
                    scripts[server.proc.pid],
                    server.port,
                    1,
                    plan.payload_seconds,
                    0,
                    slice_no,
                    server.proc.pid,
                )
                cells[server.proc.pid].samples.append(sample)
        for server, (era_key, size, sse) in zip(servers, kinds, strict=True):
            pid = server.proc.pid
            after = proc_status(pid)
            idle_rss = idle[pid].get("VmRSS", 0)
            peak_over = (after.get("VmHWM", 0) - idle_rss) * 1024
            cell = cells[pid]
            rows.append(
                {
                    "era": era_key,
                    "size": size,
                    "answer": "SSE" if sse else "JSON",
                    **checks[pid],
                    **_cell_row(cell),
                    "requests": sum(s.requests for s in cell.samples),
                    "idle_rss_mib": idle_rss / 1024,
                    "idle_hwm_mib": idle[pid].get("VmHWM", 0) / 1024,
                    "peak_rss_mib": after.get("VmHWM", 0) / 1024,
                    "rss_after_mib": after.get("VmRSS", 0) / 1024,
                    "peak_over_idle_mib": peak_over / MIB,
                    "peak_over_idle_x_payload": peak_over / size,
                }
            )
            log(
                f"payload {era_key} {_size(size):>6} {'SSE' if sse else 'JSON':4}: p50 {rows[-1]['p50_ms']:.2f} ms, "
                f"peak over idle {peak_over / MIB:.1f} MiB ({peak_over / size:.1f}x)"
            )
    big = [r for r in rows if r["size"] == max(plan.sizes)]
    bars = {
        f"{r['era']}-{r['answer']}": {
            "peak_over_idle_x_payload": r["peak_over_idle_x_payload"],
            "meets_4x": r["peak_over_idle_x_payload"] <= 4,
        }
        for r in big
    }
    for era_key in plan.payload_eras:
        pair = {r["answer"]: r for r in big if r["era"] == era_key}
        if "JSON" in pair and "SSE" in pair:
            extra = pair["SSE"]["peak_over_idle_x_payload"] - pair["JSON"]["peak_over_idle_x_payload"]
            bars[f"{era_key}-SSE-minus-JSON"] = {
                "extra_x_payload": extra,
                "holds_body_twice": extra >= 0.75,
            }
    steps = memory_steps(max(plan.sizes), pin)
    log(
        "payload: in-process steps "
        + ", ".join(f"{r['step']} {r['peak_over_idle_x_payload']:.2f}x" for r in steps)
    )
    return {"rows": rows, "bars": bars, "steps": steps}


MEMORY_STEPS = {
    "text": "the tool's text alone (make_text)",
    "to_json": "the text plus pydantic_core.to_json of the JSON-RPC answer around it",
    "asgi-json": "our whole app in process, JSON answer (ASGI send drops the body)",
    "asgi-sse": "our whole app in process, SSE answer (ASGI send drops the body)",
}


def memory_step(step: str, size: int) -> dict[str, Any]:
    """In this (fresh) process: the peak RSS over idle of one step of answering a ``size``-character text.

    Idle is after the app is built and has answered a 1 KB call of each kind; the peak (VmHWM) is reset
    through ``/proc/self/clear_refs`` just before the step.
    """
    import asyncio

    from pydantic_core import to_json

    from benchmarks.servers.many_tools import _ask, make_app, make_text

    app = make_app(10)
    for sse in (False, True):
        asyncio.run(_ask(app, payload_era("legacy", KIB, sse).body, keep=False))
    Path("/proc/self/clear_refs").write_text("5")
    idle = proc_status(os.getpid())["VmRSS"]
    held: Any = None
    if step == "text":
        held = make_text(size)
    elif step == "to_json":
        text = make_text(size)
        held = to_json({"jsonrpc": "2.0", "id": 1, "result": {"content": [{"type": "text", "text": text}]}})
    elif step in ("asgi-json", "asgi-sse"):
        asyncio.run(_ask(app, payload_era("legacy", size, step == "asgi-sse").body, keep=False))
    else:
        raise ValueError(f"unknown step {step!r}")
    peak = proc_status(os.getpid())["VmHWM"]
    del held
    return {
        "step": step,
        "size": size,
        "idle_mib": idle / 1024,
        "peak_over_idle_x_payload": (peak - idle) * 1024 / size,
    }


def memory_steps(size: int, pin: Pinning) -> list[dict[str, Any]]:
    """Each :data:`MEMORY_STEPS` step in its own fresh process (so no freed memory is reused)."""
    rows = []
    for step in MEMORY_STEPS:
        out = subprocess.run(
            [
                *pin.server,
                sys.executable,
                "-m",
                "benchmarks.growth",
                "--memory-step",
                step,
                "--size",
                str(size),
            ],
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        )
        rows.append({**json.loads(out.stdout), "what": MEMORY_STEPS[step]})
    return rows


# -- c. concurrency --------------------------------------------------------------------------------------


def measure_concurrency(plan: Plan, wrk: str, pin: Pinning, work: Path, log: Log) -> dict[str, Any]:
    specs = [ours(10), BARE]
    cells: dict[tuple[str, str, int], Cell] = {}
    for rep in range(plan.reps):
        with started(specs, pin, work) as servers:
            (work / "call.lua").write_text(lua_script(call_era("legacy")))
            warm_up(wrk, pin, [(s.port, work / "call.lua") for s in servers], 1)
            for era_key in plan.sweep_eras:
                for n in plan.sweep:
                    targets = []
                    for server in servers:
                        key = (server.spec.key, era_key, n)
                        cells.setdefault(
                            key,
                            Cell(
                                server.spec.key,
                                era_key,
                                "tools/call",
                                n,
                                max_interference=plan.max_interference,
                            ),
                        )
                        targets.append((server, cells[key]))
                    slices(wrk, pin, work, targets, call_era(era_key), n, plan.slices, rep)
                    log(
                        f"concurrency {era_key} c{n}: "
                        + ", ".join(
                            f"{s.spec.key} {statistics.median(x.rps for x in c.samples):.0f}"
                            for s, c in targets
                        )
                    )
    rows = []
    for era_key in plan.sweep_eras:
        for n in plan.sweep:
            for key in (ours(10).key, BARE.key):
                rows.append(
                    _cell_row(
                        cells[(key, era_key, n)],
                        cells[(BARE.key, era_key, n)],
                        server="ours" if key != BARE.key else "bare ASGI",
                        era=era_key,
                        concurrency=n,
                    )
                )
    return {"rows": rows}


# -- the whole module ------------------------------------------------------------------------------------


def run_growth(plan: Plan | None = None, log: Log | None = None) -> dict[str, Any]:
    plan = plan or Plan()
    wrk = shutil.which("wrk")
    if wrk is None:
        raise RuntimeError("wrk, the load generator, is not installed (sudo apt-get install -y wrk)")
    pin = pinning()
    if pin.load_core is not None:
        with contextlib.suppress(OSError):
            os.sched_setaffinity(0, {pin.load_core})
    facts = machine_facts(wrk, pin)
    facts["nofile_limit"] = _nofile()
    begun = time.monotonic()

    def say(text: str) -> None:
        if log is not None:
            log(text)

    result: dict[str, Any] = {"machine": facts, "plan": {k: v for k, v in vars(plan).items()}}
    timings: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="agentcore-mcp-growth-") as tmp:
        work = Path(tmp)
        for part, name, fn in (
            ("a", "tools", measure_tools),
            ("b", "payload", measure_payload),
            ("c", "concurrency", measure_concurrency),
        ):
            if part in plan.parts:
                t0 = time.monotonic()
                result[name] = fn(plan, wrk, pin, work, say)
                timings[name] = time.monotonic() - t0
    facts["loadavg_at_end"] = os.getloadavg()
    facts["code_at_end"] = code_fingerprint()
    result["elapsed_s"] = time.monotonic() - begun
    result["part_seconds"] = timings
    return result


def _nofile() -> int | None:
    try:
        return resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    except (OSError, ValueError):
        return None


def _size(size: int) -> str:
    if size >= MIB:
        return f"{size // MIB} MB"
    if size >= KIB:
        return f"{size // KIB} KB"
    return f"{size} B"


def _n(value: float | None, digits: int = 0) -> str:
    return "n/a" if value is None else f"{value:,.{digits}f}"


def _x(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}×"


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0%}"


def markdown(result: dict[str, Any], heading: str = "#") -> str:
    facts = result["machine"]
    packages = ", ".join(f"{k} {v}" for k, v in facts["packages"].items())
    h2 = heading + "#"
    out = [
        f"{heading} Growth: tools, result size, concurrency (our server)",
        "",
        f"- Date: {facts['date']}; git {facts['git']}; run took {result['elapsed_s']:.0f} s ("
        + ", ".join(f"{k} {v:.0f} s" for k, v in result["part_seconds"].items())
        + ")",
        f"- Machine: {facts['cpu']}, {facts['cores']} cores; {facts['platform']}; load average at start "
        f"{_loadavg(facts['loadavg_at_start'])}, at end {_loadavg(facts['loadavg_at_end'])}; "
        f"open files limit {facts.get('nofile_limit')}",
        f"- {facts['python']}; {packages}",
        f"- Load: {facts['wrk']}, 1 thread; {facts['pinning']}; uvicorn httptools+uvloop, one worker, "
        "`--no-access-log --log-level warning --ws none`; one-second slices in turn, medians; ratios: medians of "
        "same-round ratios; clean: slices where other processes took at most 15% of a pinned core",
        *(
            ["- **Warning: the served code changed during the run**"]
            if facts["code_at_start"] != facts["code_at_end"]
            else []
        ),
    ]
    tools = result.get("tools")
    if tools:
        out += [
            "",
            f"{h2} a. Number of registered tools (c{tools['concurrency']})",
            "",
            "Generated tools with 2-3 typed parameters and docstrings (`benchmarks/servers/many_tools.py`); "
            "`tools/call` is `add_numbers(2, 3)`. *vs 10 tools*: req/s over the same server kind with 10 "
            "tools; *vs bare*: over a bare ASGI callable sending the same `tools/list` bytes. *gzip*: the "
            "request says `Accept-Encoding: gzip`, as httpx (and so the SDK's client) does; pages of 8 KB and "
            "more then go out compressed (the 10-tool page is under that).",
            "",
            "| server | era | method | tools | answer bytes | req/s | p50 ms | p99 ms | clean | vs 10 tools | vs bare |",
            "|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|",
        ]
        for r in tools["rows"]:
            out.append(
                f"| {r['server']} | {r['era']} | {r['method']} | {r['tools']:,} | {_n(r['answer_bytes'])} | "
                f"{_n(r['rps'])} | {_n(r['p50_ms'], 2)} | {_n(r['p99_ms'], 2)} | {r['clean_slices']}/{r['slices']} | "
                f"{_x(r['vs_reference'])} | {_x(r['vs_bare_list'])} |"
            )
        out += ["", "The bar (tools/list req/s with 1,000 tools at least half of that with 10):", ""]
        verdicts = {True: "**met**", False: "**missed**", None: "n/a"}
        for era_key, bar in tools["bars"].items():
            out.append(
                f"- {era_key}, client accepting gzip: list(1,000)/list(10) = {_x(bar['gzip_list_ratio'])} "
                f"({verdicts[bar['gzip_meets_2x']]}); without gzip: {_x(bar['list_ratio'])} "
                f"({verdicts[bar['meets_2x']]}), where the bare-ASGI limit sending the same bytes gets "
                f"{_x(bar['bare_list_ratio'])}"
            )
        out += ["", "Cold start (exec → first `tools/list` answered, legacy) and RSS with N tools:", ""]
        out += ["| tools | seconds | RSS MiB |", "|--:|--:|--:|"]
        out += [f"| {c['tools']:,} | {c['answered_s']:.3f} | {c['rss_mib']:.1f} |" for c in tools["cold"]]
    payload = result.get("payload")
    if payload:
        out += [
            "",
            f"{h2} b. Result size (`tools/call` returning text; wrk c1; fresh server process per row)",
            "",
            "*peak over idle*: VmHWM at the end minus VmRSS when idle (after one 1 KB call of each kind); "
            "*× payload*: that over the text's size (page-granular and allocator-dependent: meaningless below "
            "~1 MB). The tool builds its text on each call, so 1× of it is the tool's own.",
            "",
            "| era | size | answer | answer bytes | req/s | p50 ms | p99 ms | idle RSS MiB | peak RSS MiB | "
            "peak over idle MiB | × payload |",
            "|---|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|",
        ]
        for r in payload["rows"]:
            out.append(
                f"| {r['era']} | {_size(r['size'])} | {r['answer']} | {r['answer_bytes']:,} | {_n(r['rps'], 1)} | "
                f"{_n(r['p50_ms'], 2)} | {_n(r['p99_ms'], 2)} | {r['idle_rss_mib']:.1f} | {r['peak_rss_mib']:.1f} | "
                f"{r['peak_over_idle_mib']:.1f} | {r['peak_over_idle_x_payload']:.2f} |"
            )
        if payload.get("steps"):
            out += [
                "",
                f"Where the peak comes from, {_size(payload['steps'][0]['size'])}, in process without uvicorn (each "
                "step in a fresh process; peak over idle as × payload):",
                "",
                "| step | what | × payload |",
                "|---|---|--:|",
            ]
            out += [
                f"| {r['step']} | {r['what']} | {r['peak_over_idle_x_payload']:.2f} |"
                for r in payload["steps"]
            ]
        out += ["", "The bars (largest size):", ""]
        for key, bar in payload["bars"].items():
            if "meets_4x" in bar:
                verdict = "**met**" if bar["meets_4x"] else "**missed**"
                out.append(
                    f"- {key}: peak over idle {bar['peak_over_idle_x_payload']:.2f}× payload (≤ 4×: {verdict})"
                )
            else:
                verdict = "**yes (missed)**" if bar["holds_body_twice"] else "no (met)"
                out.append(
                    f"- {key}: the SSE answer costs {bar['extra_x_payload']:+.2f}× payload more than the JSON "
                    f"one; holds the body twice: {verdict}"
                )
    conc = result.get("concurrency")
    if conc:
        out += [
            "",
            f"{h2} c. Concurrency (`tools/call add_numbers`, 10 tools; bare ASGI limit interleaved)",
            "",
            "| server | era | conc. | req/s | p50 ms | p99 ms | clean | errors | vs bare |",
            "|---|---|--:|--:|--:|--:|--:|--:|--:|",
        ]
        for r in conc["rows"]:
            out.append(
                f"| {r['server']} | {r['era']} | {r['concurrency']} | {_n(r['rps'])} | {_n(r['p50_ms'], 2)} | "
                f"{_n(r['p99_ms'], 2)} | {r['clean_slices']}/{r['slices']} | {r['errors']} | {_x(r['vs_reference'])} |"
            )
    return "\n".join(out) + "\n"


def _ints(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in text.split(",") if x.strip())


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.growth", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--parts", default="abc", help="which parts: a (tools), b (result size), c (concurrency)"
    )
    parser.add_argument("--reps", type=int, default=2, help="fresh server sets for parts a and c (default 2)")
    parser.add_argument(
        "--slices", type=int, default=2, help="one-second slices per cell and rep (default 2)"
    )
    parser.add_argument("--tools", default="10,100,1000", help="tool counts (first is the reference)")
    parser.add_argument(
        "--sizes", default=f"{KIB},{100 * KIB},{MIB},{10 * MIB}", help="result sizes in bytes"
    )
    parser.add_argument("--payload-eras", default="legacy", help="eras for part b (legacy,modern)")
    parser.add_argument("--sweep", default="1,4,16,64,256", help="concurrencies for part c")
    parser.add_argument("--sweep-eras", default="legacy", help="eras for part c (legacy,modern)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="results directory")
    parser.add_argument("--memory-step", choices=list(MEMORY_STEPS), help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, default=10 * MIB, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.memory_step:  # one step of the in-process memory breakdown, in a fresh process (see memory_steps)
        print(json.dumps(memory_step(args.memory_step, args.size)))
        return 0
    plan = Plan(
        parts=args.parts,
        reps=args.reps,
        slices=args.slices,
        tool_counts=_ints(args.tools),
        sizes=_ints(args.sizes),
        payload_eras=tuple(args.payload_eras.split(",")),
        sweep=_ints(args.sweep),
        sweep_eras=tuple(args.sweep_eras.split(",")),
    )
    begun = time.monotonic()

    def log(text: str) -> None:
        print(f"[{time.monotonic() - begun:5.0f}s] {text}", file=sys.stderr, flush=True)

    result = run_growth(plan, log)
    report = markdown(result)
    print(report)
    args.out.mkdir(parents=True, exist_ok=True)
    write_atomically(args.out / "growth.md", report)
    write_atomically(args.out / "growth.json", json.dumps(result, indent=2) + "\n")
    log(f"wrote {args.out / 'growth.md'} and {args.out / 'growth.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
