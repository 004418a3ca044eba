"""Cold start: process exec -> first ``tools/call`` answered, and what the serving path imports.

Three servers under the same uvicorn settings (httptools + uvloop, one worker, pinned to one core): ours
(``examples.demo_server:app``), the SDK's ``MCPServer`` and the bare-ASGI limit; plus the bare interpreter
(``python -c pass``) for reference. The runs are interleaved (ours, MCPServer, bare, python, ours, ...); each
run records when the port first accepts a connection, when the first ``tools/call add_numbers(2, 3)`` (legacy
era) is answered, and the server's resident memory (RSS) right after that answer. Figures are medians; the
ratios are medians of ratios between runs of the same round.

Then the import-time breakdown of our serving path: the same uvicorn command under ``python -X importtime``,
up to the first answer (so imports made lazily by the first request count too), several times; the medians
of each module's self and cumulative time, grouped into ours / third-party / standard library. It also checks
that nothing on the serving path imports ``mcp`` (nor starlette, anyio, httpx).

Usage: ``python -m benchmarks.startup`` (about 1 minute). Results: printed, and written to
``benchmarks/results/startup.md`` and ``startup.json``. Importable: :func:`run_startup` returns the JSON-able
dict and :func:`markdown` renders it.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.run import (
    _COMMON_HEADERS,
    BASELINE,
    LEGACY_VERSION,
    RESULTS,
    ROOT,
    Era,
    Pinning,
    ServerSpec,
    StackConfig,
    _loadavg,
    check_answer,
    code_fingerprint,
    free_port,
    machine_facts,
    pinning,
    post,
    uvicorn_command,
    write_atomically,
)

STACK = StackConfig("httptools", "httptools", "uvloop")  # what AgentCore deployments run
OURS = ServerSpec("ours", "agentcore-mcp", "examples.demo_server:app")
SERVERS = (
    OURS,
    *(
        (ServerSpec("baseline", "agentcore-mcp (baseline)", OURS.app, root=Path(BASELINE)),)
        if BASELINE
        else ()
    ),
    ServerSpec("sdk", "MCPServer", "benchmarks.servers.sdk_server:app"),
    ServerSpec("bare", "bare ASGI", "benchmarks.servers.bare_asgi:app"),
)
SERVING_MODULES_OURS = ("agentcore_mcp", "examples")
FORBIDDEN = ("mcp", "starlette", "anyio", "httpx", "sse_starlette")

LEGACY_CALL = Era(
    "legacy",
    (*_COMMON_HEADERS, ("MCP-Protocol-Version", LEGACY_VERSION)),
    json.dumps(
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "tools/call",
            "params": {"name": "add_numbers", "arguments": {"a": 2, "b": 3}},
        },
        separators=(",", ":"),
    ).encode(),
)
Checker = Callable[[int, bytes], "str | None"]


# -- one cold start --------------------------------------------------------------------------------------


@dataclass
class ColdRun:
    listening_s: float
    answered_s: float
    rss_kib: int | None
    hwm_kib: int | None


def proc_status(pid: int) -> dict[str, int]:
    """The ``Vm*`` figures (kiB) of ``/proc/<pid>/status``: VmRSS, VmHWM (peak RSS), ..."""
    out: dict[str, int] = {}
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("Vm"):
                name, value = line.split(":", 1)
                out[name] = int(value.split()[0])
    return out


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def cold_once(
    command: Sequence[str],
    port: int,
    era: Era,
    work: Path,
    check: Checker = check_answer,
    timeout: float = 60.0,
    stderr_path: Path | None = None,
    cwd: Path = ROOT,
) -> ColdRun | str:
    """Exec ``command`` (a server on ``port``); time the first accepted connection and the first answer.

    Returns the run, or why it failed. The process is stopped before returning. With ``stderr_path``, the
    server's stderr goes there (for ``-X importtime``); stdout and stderr go to a log file otherwise.
    """
    log_path = work / f"cold-{port}.log"
    with log_path.open("wb") as log_file:
        err = stderr_path.open("wb") if stderr_path is not None else None
        try:
            start = time.perf_counter()
            proc = subprocess.Popen(
                list(command),
                cwd=cwd,
                stdout=log_file,
                stderr=err if err is not None else subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
            try:
                listening: float | None = None
                while proc.poll() is None and time.perf_counter() - start < timeout:
                    try:
                        with socket.create_connection(("127.0.0.1", port), timeout=1.0):
                            listening = time.perf_counter()
                        break
                    except OSError:
                        time.sleep(0.001)
                if listening is None:
                    return "never listened: " + log_path.read_text(errors="replace")[-300:]
                status, body = post(port, era, timeout=30)
                answered = time.perf_counter()
                reason = check(status, body)
                if reason is not None:
                    return reason
                status_now = proc_status(proc.pid)
                return ColdRun(
                    listening - start, answered - start, status_now.get("VmRSS"), status_now.get("VmHWM")
                )
            finally:
                _stop(proc)
        finally:
            if err is not None:
                err.close()


def interpreter_once() -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    return time.perf_counter() - start


# -- interleaved cold starts -----------------------------------------------------------------------------


@dataclass
class ColdSeries:
    key: str
    label: str
    listening_s: list[float] = field(default_factory=list)
    answered_s: list[float] = field(default_factory=list)
    rss_kib: list[int] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


def measure_cold(
    specs: Sequence[ServerSpec],
    runs: int,
    pin: Pinning,
    work: Path,
    config: StackConfig = STACK,
    log: Callable[[str], None] | None = None,
) -> dict[str, ColdSeries]:
    """``runs`` rounds of one cold start per server (and one bare interpreter start), interleaved."""
    series = {s.key: ColdSeries(s.key, s.label) for s in specs}
    series["python"] = ColdSeries("python", "python -c pass")
    for round_no in range(runs):
        for spec in specs:
            port = free_port()
            command = uvicorn_command(spec.app, port, config, pin)
            run = cold_once(command, port, LEGACY_CALL, work, cwd=spec.root or ROOT)
            one = series[spec.key]
            if isinstance(run, str):
                one.failures.append(run)
                one.answered_s.append(float("nan"))
                continue
            one.listening_s.append(run.listening_s)
            one.answered_s.append(run.answered_s)
            if run.rss_kib is not None:
                one.rss_kib.append(run.rss_kib)
        series["python"].answered_s.append(interpreter_once())
        if log is not None:
            log(
                f"cold round {round_no + 1}/{runs}: "
                + ", ".join(f"{s.key} {series[s.key].answered_s[-1]:.3f}s" for s in specs)
            )
    return series


def _median(values: Sequence[float]) -> float | None:
    finite = [v for v in values if v == v]  # NaN marks a failed run
    return statistics.median(finite) if finite else None


def _paired_median(ours: Sequence[float], theirs: Sequence[float]) -> float | None:
    ratios = [a / b for a, b in zip(ours, theirs, strict=False) if a == a and b == b and b > 0]
    return statistics.median(ratios) if ratios else None


def cold_rows(series: dict[str, ColdSeries]) -> list[dict[str, Any]]:
    sdk = series.get("sdk")
    rows = []
    for one in series.values():
        rows.append(
            {
                "server": one.label,
                "key": one.key,
                "runs": len([v for v in one.answered_s if v == v]),
                "listening_s": _median(one.listening_s),
                "answered_s": _median(one.answered_s),
                "min_answered_s": min((v for v in one.answered_s if v == v), default=None),
                "rss_mib": _median(one.rss_kib) / 1024 if one.rss_kib else None,
                "time_vs_sdk": _paired_median(one.answered_s, sdk.answered_s) if sdk else None,
                "rss_vs_sdk": (
                    _median(one.rss_kib) / _median(sdk.rss_kib)  # type: ignore[operator]
                    if sdk and sdk.rss_kib and one.rss_kib
                    else None
                ),
                "failures": one.failures[:3],
                "samples_s": one.answered_s,
                "samples_rss_kib": one.rss_kib,
            }
        )
    return rows


# -- import time -----------------------------------------------------------------------------------------


@dataclass
class ImportLine:
    name: str
    depth: int
    self_us: int
    cumulative_us: int
    parent: str | None = None


def parse_importtime(text: str) -> list[ImportLine]:
    """The ``-X importtime`` lines of a stderr text, each with its importer (the enclosing line)."""
    lines: list[ImportLine] = []
    for raw in text.splitlines():
        if not raw.startswith("import time:"):
            continue
        parts = raw[len("import time:") :].split("|")
        if len(parts) != 3 or not parts[0].strip().isdigit():
            continue  # the header line
        name = parts[2].rstrip()
        stripped = name.lstrip()
        lines.append(ImportLine(stripped, (len(name) - len(stripped) - 1) // 2, int(parts[0]), int(parts[1])))
    # Lines print when an import completes, children first: a line's importer is the next line one level up.
    pending: dict[int, list[ImportLine]] = {}
    for line in lines:
        for child in pending.pop(line.depth + 1, []):
            child.parent = line.name
        pending.setdefault(line.depth, []).append(line)
    return lines


def category(module: str) -> str:
    top = module.split(".")[0]
    if top in SERVING_MODULES_OURS:
        return "ours"
    if top in sys.stdlib_module_names or top in ("_frozen_importlib", "_frozen_importlib_external"):
        return "stdlib"
    return "third-party"


def importtime_runs(runs: int, pin: Pinning, work: Path, spec: ServerSpec = OURS) -> list[list[ImportLine]]:
    """``runs`` cold starts of ``spec`` under ``-X importtime``, each up to its first answer."""
    out: list[list[ImportLine]] = []
    for i in range(runs):
        port = free_port()
        command = uvicorn_command(spec.app, port, STACK, pin)
        at = command.index(sys.executable) + 1
        command[at:at] = ["-X", "importtime"]
        err_path = work / f"importtime-{i}.txt"
        run = cold_once(command, port, LEGACY_CALL, work, stderr_path=err_path)
        if isinstance(run, str):
            raise RuntimeError(f"importtime run failed: {run}")
        out.append(parse_importtime(err_path.read_text(errors="replace")))
    return out


def import_summary(runs: list[list[ImportLine]], top: int = 20) -> dict[str, Any]:
    """Medians over runs: per module, per top-level package, per category; the forbidden imports seen."""
    per_module: dict[str, dict[str, list[int]]] = {}
    parents: dict[str, str | None] = {}
    for lines in runs:
        for line in lines:
            entry = per_module.setdefault(line.name, {"self": [], "cum": []})
            entry["self"].append(line.self_us)
            entry["cum"].append(line.cumulative_us)
            parents.setdefault(line.name, line.parent)
    modules = {
        name: {
            "self_ms": statistics.median(v["self"]) / 1000,
            "cumulative_ms": statistics.median(v["cum"]) / 1000,
            "category": category(name),
            "imported_by": parents.get(name),
            "seen_in_runs": len(v["self"]),
        }
        for name, v in per_module.items()
    }
    totals = [sum(line.self_us for line in lines) / 1000 for lines in runs]
    packages: dict[str, dict[str, Any]] = {}
    for lines in runs:
        sums: dict[str, float] = {}
        for line in lines:
            sums[line.name.split(".")[0]] = sums.get(line.name.split(".")[0], 0.0) + line.self_us / 1000
        for pkg, ms in sums.items():
            packages.setdefault(pkg, {"ms": [], "count": 0})["ms"].append(ms)
    for lines in runs[:1]:
        for line in lines:
            packages[line.name.split(".")[0]]["count"] += 1
    package_rows = sorted(
        (
            {
                "package": pkg,
                "category": category(pkg),
                "self_ms": statistics.median(v["ms"]),
                "modules": v["count"],
                "first_imported_by": parents.get(pkg),
                "top_cumulative_ms": modules.get(pkg, {}).get("cumulative_ms"),
            }
            for pkg, v in packages.items()
        ),
        key=lambda r: -r["self_ms"],
    )
    by_category: dict[str, float] = {}
    for row in package_rows:
        by_category[row["category"]] = by_category.get(row["category"], 0.0) + row["self_ms"]
    top_cumulative = sorted(
        ({"module": name, **info} for name, info in modules.items()), key=lambda r: -r["cumulative_ms"]
    )[:top]
    forbidden = {
        name: sorted(m for m in modules if m == name or m.startswith(name + ".")) for name in FORBIDDEN
    }
    ours = sorted(
        ({"module": name, **info} for name, info in modules.items() if info["category"] == "ours"),
        key=lambda r: -r["self_ms"],
    )
    return {
        "runs": len(runs),
        "total_ms": statistics.median(totals),
        "ours": ours,
        "by_category_ms": by_category,
        "packages": package_rows,
        "top_cumulative": top_cumulative,
        "forbidden_imported": {k: v for k, v in forbidden.items() if v},
        "mcp_imported": bool(forbidden["mcp"]),
        "module_count": statistics.median(len(lines) for lines in runs),
    }


# -- the whole module ------------------------------------------------------------------------------------


def run_startup(
    runs: int = 15,
    import_runs: int = 5,
    servers: Sequence[ServerSpec] = SERVERS,
    log: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Measure cold starts (interleaved) and our import-time breakdown; the JSON-able result."""
    pin = pinning()
    if pin.load_core is not None:
        with contextlib.suppress(OSError):
            os.sched_setaffinity(0, {pin.load_core})
    facts = machine_facts(shutil.which("wrk") or "true", pin)
    facts.pop("wrk", None)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="agentcore-mcp-startup-") as tmp:
        work = Path(tmp)
        series = measure_cold(servers, runs, pin, work, log=log)
        if log is not None:
            log(f"import-time runs x{import_runs}")
        imports = import_summary(importtime_runs(import_runs, pin, work))
    facts["loadavg_at_end"] = os.getloadavg()
    facts["code_at_end"] = code_fingerprint()
    return {
        "machine": facts,
        "stack": asdict(STACK),
        "runs": runs,
        "elapsed_s": time.monotonic() - started,
        "cold_start": cold_rows(series),
        "imports": imports,
    }


def _f(value: float | None, spec: str = ".3f") -> str:
    return "n/a" if value is None else format(value, spec)


def _x(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}×"


def markdown(result: dict[str, Any], heading: str = "#") -> str:
    facts = result["machine"]
    imports = result["imports"]
    packages = ", ".join(f"{k} {v}" for k, v in facts["packages"].items())
    out = [
        f"{heading} Cold start and the serving path's imports",
        "",
        f"- Date: {facts['date']}; git {facts['git']}; run took {result['elapsed_s']:.0f} s",
        f"- Machine: {facts['cpu']}, {facts['cores']} cores; {facts['platform']}; load average at start "
        f"{_loadavg(facts['loadavg_at_start'])}, at end {_loadavg(facts['loadavg_at_end'])}",
        f"- {facts['python']}; {packages}",
        f"- uvicorn {result['stack']['http']}+{result['stack']['loop']}, one worker, "
        f"`--no-access-log --log-level warning --ws none`; {facts['pinning']}",
        *(
            ["- **Warning: the served code changed during the run**"]
            if facts["code_at_start"] != facts["code_at_end"]
            else []
        ),
        "",
        f"{heading}# Cold start: exec → first `tools/call add_numbers(2, 3)` answered (legacy era)",
        "",
        f"{result['runs']} rounds, interleaved (ours, MCPServer, bare, python, ours, ...); medians; ratios are "
        "medians of same-round ratios. *listening*: the port first accepts a connection; *RSS*: VmRSS right "
        "after the first answer.",
        "",
        "| server | listening s | answered s | best s | RSS MiB | time vs MCPServer | RSS vs MCPServer |",
        "|---|--:|--:|--:|--:|--:|--:|",
    ]
    for r in result["cold_start"]:
        out.append(
            f"| {r['server']} | {_f(r['listening_s'])} | {_f(r['answered_s'])} | {_f(r['min_answered_s'])} | "
            f"{_f(r['rss_mib'], '.1f')} | {_x(r['time_vs_sdk'])} | {_x(r['rss_vs_sdk'])} |"
        )
    failures = [(r["server"], f) for r in result["cold_start"] for f in r["failures"]]
    if failures:
        out += ["", "Failures:", ""] + [f"- {s}: {f}" for s, f in failures]
    cats = imports["by_category_ms"]
    out += [
        "",
        f"{heading}# Imports on our serving path (`-X importtime`, uvicorn → examples.demo_server → first answer)",
        "",
        f"Median of {imports['runs']} runs: {imports['module_count']:.0f} modules, {imports['total_ms']:.0f} ms "
        "of import time in all (importtime inflates it): "
        + ", ".join(f"{k} {v:.0f} ms" for k, v in sorted(cats.items(), key=lambda kv: -kv[1]))
        + ".",
        "",
        "**`mcp` imported on the serving path: "
        + (
            "YES** — " + ", ".join(imports["forbidden_imported"]["mcp"][:5])
            if imports["mcp_imported"]
            else "no**"
        )
        + "; also absent: "
        + ", ".join(f"`{n}`" for n in FORBIDDEN[1:] if n not in imports["forbidden_imported"])
        + (
            "; **present**: " + ", ".join(f"`{n}`" for n in imports["forbidden_imported"])
            if imports["forbidden_imported"]
            else ""
        ),
        "",
        "By top-level package (sum of the self times of its modules):",
        "",
        "| package | kind | self ms | modules | first imported by |",
        "|---|---|--:|--:|---|",
    ]
    for p in imports["packages"][:15]:
        out.append(
            f"| {p['package']} | {p['category']} | {p['self_ms']:.1f} | {p['modules']} | "
            f"{p['first_imported_by'] or '(run time, not inside an import)'} |"
        )
    out += [
        "",
        "Our modules by self time (their own code, not what they import):",
        "",
        "| module | self ms | cumulative ms | imported by |",
        "|---|--:|--:|---|",
    ]
    for m in imports["ours"][:10]:
        out.append(
            f"| {m['module']} | {m['self_ms']:.1f} | {m['cumulative_ms']:.1f} | "
            f"{m['imported_by'] or '(run time, not inside an import)'} |"
        )
    out += [
        "",
        "Top cumulative import costs (a module and everything it imported first):",
        "",
        "| module | kind | cumulative ms | self ms | imported by |",
        "|---|---|--:|--:|---|",
    ]
    for m in imports["top_cumulative"]:
        out.append(
            f"| {m['module']} | {m['category']} | {m['cumulative_ms']:.1f} | {m['self_ms']:.1f} | "
            f"{m['imported_by'] or '(run time, not inside an import)'} |"
        )
    return "\n".join(out) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.startup", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--runs", type=int, default=15, help="cold-start rounds (default 15)")
    parser.add_argument("--import-runs", type=int, default=5, help="-X importtime runs (default 5)")
    parser.add_argument("--out", type=Path, default=RESULTS, help="results directory")
    args = parser.parse_args(argv)
    started = time.monotonic()

    def log(text: str) -> None:
        print(f"[{time.monotonic() - started:5.0f}s] {text}", file=sys.stderr, flush=True)

    result = run_startup(args.runs, args.import_runs, log=log)
    report = markdown(result)
    print(report)
    args.out.mkdir(parents=True, exist_ok=True)
    write_atomically(args.out / "startup.md", report)
    write_atomically(args.out / "startup.json", json.dumps(result, indent=2) + "\n")
    log(f"wrote {args.out / 'startup.md'} and {args.out / 'startup.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
