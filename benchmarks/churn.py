"""Connection churn: the server's cost when every request comes on a new connection (no keep-alive).

AgentCore's sidecar reuses connections; other front ends (some load balancers, scripts, health checkers)
open one per request. Not a CI test. The demo server (``examples/demo_server.py``, served by
``agentcore-mcp serve``: uvicorn, httptools + uvloop when installed, one worker) runs in a process of its
own, pinned to one core; the load here, pinned to the other. Two runs at the same concurrency and length:

* ``keep-alive``: ``--concurrency`` connections, each sending request after request;
* ``churn``: ``--concurrency`` callers, each opening a connection, sending one ``Connection: close``
  request, reading the answer to EOF and closing, then again.

Each answer is checked (HTTP 200, the sum of ``add_numbers``, the id). Reported per run: requests,
errors (by kind), rate, p50/p99 latency (connect included for churn), the server's RSS and open
descriptors before, at the end, and 2 s after.

Usage::

    python -m benchmarks.churn [--seconds 30] [--concurrency 64] [--only keep-alive,churn] [--json PATH]

Exits 1 on any error.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.load import cores, free_port, listening  # noqa: E402  (the path above makes the package importable)

APP = "examples/demo_server.py"


@contextmanager
def demo_server(core: int | None) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    port = free_port()
    cli = [
        sys.executable,
        "-m",
        "agentcore_mcp.cli",
        "serve",
        APP,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    command = [*cli, "--log-level", "warning"]
    with listening(command, port, core=core, what="the demo server", start=30, stop=15) as proc:
        yield proc, port


def process_state(pid: int) -> dict[str, int]:
    with open(f"/proc/{pid}/status") as status:
        rss = next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
    return {"rss_kib": rss, "fds": len(os.listdir(f"/proc/{pid}/fd"))}


def request(port: int, n: int, close: bool) -> bytes:
    body = json.dumps(
        {
            "jsonrpc": "2.0",
            "id": n,
            "method": "tools/call",
            "params": {"name": "add_numbers", "arguments": {"a": n, "b": 1}},
        },
        separators=(",", ":"),
    ).encode()
    connection = b"Connection: close\r\n" if close else b""
    return (
        b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nAccept: application/json, text/event-stream\r\n"
        b"Content-Type: application/json\r\n%sContent-Length: %d\r\n\r\n"
        % (port, connection, len(body))
        + body
    )


class Wrong(Exception):
    """An answer that is not the expected one."""


def check(n: int, status: int, body: bytes) -> None:
    if status != 200:
        raise Wrong(f"HTTP {status}: {body[:200]!r}")
    answer = json.loads(body)
    if answer.get("id") != n or answer["result"]["content"][0]["text"] != str(n + 1):
        raise Wrong(f"wrong answer for {n}: {body[:200]!r}")


async def read_answer(reader: asyncio.StreamReader, to_eof: bool) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length = None
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    if length is None:
        raise Wrong("an answer without Content-Length")
    body = await reader.readexactly(length)
    if to_eof and await reader.read(1):
        raise Wrong("bytes after the answer on a closed connection")
    return status, body


@dataclass
class Figures:
    name: str
    concurrency: int
    requests: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list, repr=False)
    first_error: str | None = None
    server_before: dict[str, int] = field(default_factory=dict)
    server_end: dict[str, int] = field(default_factory=dict)
    server_after: dict[str, int] = field(default_factory=dict)

    def error(self, exc: BaseException) -> None:
        kind = type(exc).__name__
        self.errors[kind] = self.errors.get(kind, 0) + 1
        self.first_error = self.first_error or f"{kind}: {exc}"

    def summary(self) -> dict[str, Any]:
        ordered = sorted(self.latencies_ms)

        def pct(q: float) -> float | None:
            return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2) if ordered else None

        out = {k: v for k, v in asdict(self).items() if k != "latencies_ms"}
        out.update(
            rate=round(self.requests / self.seconds, 1) if self.seconds else 0.0,
            p50_ms=pct(0.5),
            p99_ms=pct(0.99),
            error_count=sum(self.errors.values()),
        )
        return out


async def run(port: int, seconds: float, concurrency: int, churn: bool, figures: Figures) -> None:
    counter = 0
    deadline = time.perf_counter() + seconds

    async def keep_alive() -> None:
        nonlocal counter
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while time.perf_counter() < deadline:
                n = counter = counter + 1
                began = time.perf_counter()
                try:
                    writer.write(request(port, n, close=False))
                    status, body = await read_answer(reader, to_eof=False)
                    check(n, status, body)
                except (OSError, asyncio.IncompleteReadError, Wrong, ValueError, KeyError) as exc:
                    figures.error(exc)
                    writer.close()
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
                else:
                    figures.latencies_ms.append((time.perf_counter() - began) * 1000)
                figures.requests += 1
        finally:
            writer.close()

    async def one_per_connection() -> None:
        nonlocal counter
        while time.perf_counter() < deadline:
            n = counter = counter + 1
            began = time.perf_counter()
            writer = None
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                writer.write(request(port, n, close=True))
                status, body = await read_answer(reader, to_eof=True)
                check(n, status, body)
            except (OSError, asyncio.IncompleteReadError, Wrong, ValueError, KeyError) as exc:
                figures.error(exc)
            else:
                figures.latencies_ms.append((time.perf_counter() - began) * 1000)
            finally:
                figures.requests += 1
                if writer is not None:
                    writer.close()
                    with suppress(OSError):
                        await writer.wait_closed()

    began = time.perf_counter()
    worker = one_per_connection if churn else keep_alive
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    figures.seconds = time.perf_counter() - began


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--only", default="keep-alive,churn")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    server_core, load_core = cores()
    if load_core is not None:
        os.sched_setaffinity(0, {load_core})
    with suppress(ImportError):
        import uvloop

        uvloop.install()
    results: list[dict[str, Any]] = []
    with demo_server(server_core) as (proc, port):
        # Warm up: imports, pools, the first connections.
        asyncio.run(run(port, 2.0, 8, False, Figures("warm-up", 8)))
        for name in args.only.split(","):
            figures = Figures(name, args.concurrency, server_before=process_state(proc.pid))
            asyncio.run(run(port, args.seconds, args.concurrency, name == "churn", figures))
            figures.server_end = process_state(proc.pid)
            time.sleep(2.0)
            figures.server_after = process_state(proc.pid)
            summary = figures.summary()
            results.append(summary)
            print(
                f"{name:<11} c={args.concurrency} {summary['requests']:>8} req {summary['error_count']:>4} err "
                f"{summary['rate']:>8.0f} req/s  p50 {summary['p50_ms']} ms  p99 {summary['p99_ms']} ms  "
                f"server RSS {figures.server_before['rss_kib'] / 1024:.1f} -> {figures.server_end['rss_kib'] / 1024:.1f}"
                f" -> {figures.server_after['rss_kib'] / 1024:.1f} MB, fds {figures.server_before['fds']} -> "
                f"{figures.server_end['fds']} -> {figures.server_after['fds']}"
                + (f"  first error: {figures.first_error}" if figures.first_error else ""),
                flush=True,
            )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 1 if any(r["error_count"] for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
