"""Instructions per request: each server's ASGI app called in process under valgrind's callgrind.

On a shared VM, wall-clock rates of the same code move by ±10% between runs and in-process timings by more,
which hides any change smaller than that. The number of instructions a request executes does not move: it
is the same from run to run (to about 0.5%, with ``PYTHONHASHSEED=0``), whatever else the machine is doing.
So a change to the serving path is judged here first, and by ``benchmarks.run`` over the network after.

Each measurement runs the app (``benchmarks.run.SERVERS``'s ``ours``, ``bare``, ``checked`` and, with
``AGENTCORE_MCP_BENCH_BASELINE``, ``baseline``) in a fresh interpreter under callgrind twice, for ``N`` and
``3N`` requests of one workload (the same requests ``benchmarks.run`` sends), and reports the difference
over ``2N``: start-up and imports cancel out. The app is called directly with a prebuilt scope, receive
and send, so uvicorn's own work is not counted (it is the same for every server). Workloads are measured
side by side, as many at once as there are cores; callgrind runs a program about 50 times slower, so the
default (four workloads, three servers, 1,000 requests) takes about two minutes on two cores.

Usage: ``python -m benchmarks.instructions [--servers ours,bare,checked] [--eras legacy,modern,...]
[--requests N]``; needs ``valgrind`` (``apt-get install valgrind``).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from benchmarks.run import ERAS, ROOT, SERVERS, Era, ServerSpec, check_answer

_WORKLOADS = {era.key: era for era in ERAS}
_DEFAULT_ERAS = ("legacy", "modern", "legacy-sse", "modern-sse")
_DEFAULT_SERVERS = ("ours", "baseline", "bare", "checked")
_COLLECTED = re.compile(r"Collected\s*:\s*(\d+)")


def _scope(era: Era) -> dict[str, Any]:
    headers = [(name.lower().encode(), value.encode()) for name, value in era.headers]
    headers += [(b"host", b"127.0.0.1:8000"), (b"content-length", str(len(era.body)).encode())]
    return {
        "type": "http",
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/mcp",
        "root_path": "",
        "query_string": b"",
        "headers": headers,
    }


async def _serve(app: Any, era: Era, requests: int) -> None:
    """Send ``requests`` requests of ``era`` to ``app``; the first one's answer is checked (what is measured
    must be a right answer, not an error page)."""
    scope = _scope(era)
    request = {"type": "http.request", "body": era.body, "more_body": False}
    first: list[Any] = []

    async def receive() -> dict[str, Any]:
        return dict(request)

    async def keep(message: Any) -> None:
        first.append(message)

    async def send(message: Any) -> None:
        pass

    await app(dict(scope), receive, keep)
    body = b"".join(m.get("body", b"") for m in first[1:])
    wrong = check_answer(first[0]["status"], body, era.answer) if first else "no answer"
    if wrong is not None:
        raise SystemExit(f"{era.key}: {wrong}")
    for _ in range(requests - 1):
        await app(dict(scope), receive, send)


def _inner(app_path: str, workload: str, requests: int) -> None:
    """The measured program: ``requests`` requests of ``workload`` to the app at ``app_path``."""
    module, attribute = app_path.split(":")
    app = getattr(importlib.import_module(module), attribute)
    era = _WORKLOADS[workload]
    try:
        import uvloop
    except ImportError:  # the same loop as uvicorn's httptools + uvloop stack, where available
        asyncio.run(_serve(app, era, requests))
    else:
        uvloop.run(_serve(app, era, requests))


def _instructions(valgrind: str, spec: ServerSpec, workload: str, requests: int) -> int:
    """What callgrind counts for one run of the measured program."""
    root = spec.root or ROOT
    command = [
        valgrind,
        "--tool=callgrind",
        "--callgrind-out-file=/dev/null",
        sys.executable,
        # This file by path, so that another checkout without it can be measured: the app and
        # benchmarks.run are imported from ``root`` (PYTHONPATH comes before the installed package).
        str(Path(__file__).resolve()),
        "--inner",
        spec.app,
        workload,
        str(requests),
    ]
    env = {**os.environ, "PYTHONHASHSEED": "0", "PYTHONPATH": str(root)}
    done = subprocess.run(command, cwd=root, env=env, capture_output=True, text=True, check=False)
    found = _COLLECTED.search(done.stderr)
    if done.returncode != 0 or found is None:
        raise RuntimeError(
            f"{spec.key} {workload}: callgrind failed (exit {done.returncode}): {done.stderr[-600:]}"
        )
    return int(found.group(1))


def per_request(valgrind: str, spec: ServerSpec, workload: str, requests: int) -> float:
    """Instructions one request of ``workload`` executes in ``spec``'s app (start-up cancelled out)."""
    few = _instructions(valgrind, spec, workload, requests)
    many = _instructions(valgrind, spec, workload, 3 * requests)
    return (many - few) / (2 * requests)


def measure(
    servers: Sequence[str], eras: Sequence[str], requests: int, *, valgrind: str, log: Any = print
) -> dict[tuple[str, str], float]:
    """Instructions per request by (server key, workload key), measured side by side."""
    specs = {spec.key: spec for spec in SERVERS}
    cells = [(specs[key], era) for era in eras for key in servers if key in specs]
    results: dict[tuple[str, str], float] = {}
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        futures = {
            pool.submit(per_request, valgrind, spec, era, requests): (spec, era) for spec, era in cells
        }
        for done, (future, (spec, era)) in enumerate(futures.items(), 1):
            results[spec.key, era] = future.result()
            log(f"[{done}/{len(cells)}] {spec.label:<26} {era:<11} {results[spec.key, era]:>9,.0f}")
    return results


def markdown(results: dict[tuple[str, str], float], servers: Sequence[str], eras: Sequence[str]) -> str:
    """The table: instructions per request, and ours against the others (ratios of instructions)."""
    labels = {spec.key: spec.label for spec in SERVERS}
    shown = [key for key in servers if any((key, era) in results for era in eras)]
    others = [key for key in shown if key != "ours"]
    head = ["workload", *(labels[key] for key in shown), *(f"ours / {labels[key]}" for key in others)]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for era in eras:
        counts = [results.get((key, era)) for key in shown]
        ours = results.get(("ours", era))
        ratios = [
            f"{ours / results[key, era]:.2f}×" if ours and (key, era) in results else "n/a" for key in others
        ]
        cells = [f"{count:,.0f}" if count is not None else "n/a" for count in counts]
        lines.append("| " + " | ".join([era, *cells, *ratios]) + " |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> str:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.instructions",
        description="Instructions per tools/call request, each server's app called in process under callgrind.",
    )
    parser.add_argument("--servers", default=",".join(_DEFAULT_SERVERS), help="comma-separated server keys")
    parser.add_argument("--eras", default=",".join(_DEFAULT_ERAS), help="comma-separated workloads")
    parser.add_argument("--requests", type=int, default=1000, help="N: runs of N and 3N requests (1000)")
    parser.add_argument("--inner", nargs=3, metavar=("APP", "WORKLOAD", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.inner:
        app_path, workload, requests = args.inner
        _inner(app_path, workload, int(requests))
        return ""
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        parser.error("valgrind is not installed (apt-get install valgrind)")
    servers = [key for key in args.servers.split(",") if key]
    eras = [key for key in args.eras.split(",") if key]
    unknown = [era for era in eras if era not in _WORKLOADS]
    if unknown:
        parser.error(f"unknown workload(s): {', '.join(unknown)}; choose from {', '.join(_WORKLOADS)}")
    table = markdown(measure(servers, eras, args.requests, valgrind=valgrind), servers, eras)
    print(table)
    return table


if __name__ == "__main__":
    main()
