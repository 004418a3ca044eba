"""Soak: a bounded run of ``tools/call`` at fixed concurrency, with zero errors and flat memory required.

Not a CI test. The server (``benchmarks.load``'s app under ``app.run()``: uvicorn, one worker) runs in its own
process pinned to one core; the checking load generator runs here on the other. The request mix cycles
through both eras and both answer types: 45 % legacy JSON, 45 % 2026-07-28 JSON (sync and async tools
alternating), 10 % SSE (one progress notification, then the result). Every answer is checked: HTTP 200,
strict JSON, the request's id, the expected result, the expected number of notifications.

The server's resident memory (``VmRSS``) is sampled after the warm-up (``--warmup`` requests, default 5 % of
the run) and every 10,000 requests after it; the growth reported is the last sample minus the first after
warm-up, and the largest sample minus that first one.

Pass criteria (exit status 0): zero errors and growth under ``--max-growth-mb`` (default 10).

Usage: ``python -m benchmarks.soak [--requests 1000000] [--concurrency 64] [--json PATH]``. At the rates
measured here (about 8,000-12,000 requests/s on two shared cores) a million requests take two to three minutes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from benchmarks.load import (
    Figures,
    Job,
    Server,
    call_message,
    check_call,
    cores,
    drive,
    request_bytes,
    server_process,
)


def soak_job(port: int) -> Job:
    """Request ``n`` of the soak mix, and its checker."""

    def job(n: int) -> tuple[bytes, Callable[[int, bytes, bytes], None]]:
        slot = n % 20
        era = "modern" if slot % 2 else "legacy"
        if slot in (0, 1):  # 10 %: an SSE answer
            message, headers = call_message("progress", {"n": 1}, era, n, progress=True)
            expected, events = "done 1", 1
        elif slot % 4 < 2:
            message, headers = call_message("add", {"a": n, "b": 1}, era, n)
            expected, events = str(n + 1), 0
        else:
            message, headers = call_message("echo", {"text": f"soak {n}"}, era, n)
            expected, events = f"soak {n}", 0

        def check(status: int, ctype: bytes, body: bytes) -> None:
            check_call(status, ctype, body, n, expected, events)

        return request_bytes(port, message, headers), check

    return job


async def soak(server: Server, total: int, concurrency: int, warmup: int) -> dict[str, Any]:
    job = soak_job(server.port)
    warm = await drive(server.port, job, concurrency, total=warmup, figures=Figures("warm-up", concurrency))
    print(f"warm-up: {warm.requests:,} requests, {warm.errors} errors, {warm.rate:,.0f} req/s", flush=True)
    baseline = server.rss_kib()
    samples: list[tuple[int, int]] = [(0, baseline)]
    began = time.perf_counter()

    async def sample(n: int) -> None:
        if n and n % 10_000 == 0:
            samples.append((n, server.rss_kib()))
        if n and n % 100_000 == 0:
            elapsed = time.perf_counter() - began
            growth = (samples[-1][1] - baseline) / 1024
            print(
                f"  {n:>9,} requests  {n / elapsed:>8,.0f} req/s  RSS {samples[-1][1] / 1024:.1f} MB ({growth:+.2f})",
                flush=True,
            )

    figures = await drive(
        server.port,
        job,
        concurrency,
        total=total,
        figures=Figures("soak", concurrency),
        sample_every=50,
        on_progress=sample,
    )
    final = server.rss_kib()
    samples.append((total, final))
    peak = max(rss for _, rss in samples)
    return {
        "requests": figures.requests,
        "errors": figures.errors,
        "first_error": figures.first_error,
        "concurrency": concurrency,
        "seconds": round(figures.seconds, 1),
        "rate": round(figures.rate),
        "p50_ms": figures.percentile(0.5),
        "p99_ms": figures.percentile(0.99),
        "warmup_requests": warm.requests,
        "warmup_errors": warm.errors,
        "rss_after_warmup_mb": round(baseline / 1024, 2),
        "rss_final_mb": round(final / 1024, 2),
        "rss_growth_mb": round((final - baseline) / 1024, 2),
        "rss_peak_growth_mb": round((peak - baseline) / 1024, 2),
        "rss_samples": samples,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=1_000_000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--warmup", type=int, help="requests before the memory baseline (default 5 %%)")
    parser.add_argument("--max-growth-mb", type=float, default=10.0)
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args(argv)
    warmup = args.warmup if args.warmup is not None else max(10_000, args.requests // 20)
    server_core, load_core = cores()
    if load_core is not None:
        os.sched_setaffinity(0, {load_core})
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    print(
        f"soak: {args.requests:,} tools/call at concurrency {args.concurrency} after {warmup:,} warm-up requests",
        flush=True,
    )
    with server_process(core=server_core) as server:
        result = asyncio.run(soak(server, args.requests, args.concurrency, warmup))
    result.update(
        date=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        python=platform.python_version(),
        cpus=os.cpu_count(),
        pinned=server_core is not None,
    )
    ok = (
        result["errors"] == 0
        and result["warmup_errors"] == 0
        and result["rss_growth_mb"] < args.max_growth_mb
    )
    print(
        f"soak: {result['requests']:,} requests, {result['errors']} errors "
        f"(first: {result['first_error']}), {result['rate']:,} req/s over {result['seconds']} s, "
        f"p50 {result['p50_ms']:.2f} ms, p99 {result['p99_ms']:.2f} ms; RSS {result['rss_after_warmup_mb']} MB "
        f"after warm-up -> {result['rss_final_mb']} MB ({result['rss_growth_mb']:+} MB, peak "
        f"{result['rss_peak_growth_mb']:+} MB): {'PASS' if ok else 'FAIL'}"
    )
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
