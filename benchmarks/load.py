"""Load: throughput and latency under concurrency, many concurrent SSE streams, and slow clients.

Not a CI test. One server process (``AgentCoreMCP`` with ``app.run()``: uvicorn, httptools + uvloop when
installed, one worker) on a free loopback port, pinned to one core; the load generator here, pinned to the
other. The generator is a lean asyncio HTTP/1.1 keep-alive client that checks every answer (status, strict
JSON, the expected result), so an error can never hide behind a fast figure.

Scenarios:

* ``calls``: ``tools/call`` of a trivial tool for ``--seconds`` at each concurrency (default 1, 8, 64), in
  both eras, answered as JSON and as SSE (a tool that sends one progress notification first);
* ``streams``: ``--streams`` concurrent SSE answers (default 1000), each with ``--events`` progress events
  spaced 20 ms apart: all must arrive complete and in order;
* ``slow``: the p50/p99 latency of 8 normal clients alone, then again while ``--slow-clients`` (default 32)
  connections trickle their request bodies a byte at a time and as many more stop reading a 5 MB answer.

Usage: ``python -m benchmarks.load [--seconds 5] [--concurrency 1,8,64] [--quick] [--only calls,streams,slow]``.
Prints a table; ``--json PATH`` writes the figures too.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from agentcore_mcp import AgentCoreMCP, Context, StateSealing, tool

ROOT = Path(__file__).resolve().parent.parent
ACCEPT = b"application/json, text/event-stream"
MODERN = "2026-07-28"


# -- the server under load -------------------------------------------------------------------------------


@tool
def add(a: int, b: int) -> int:
    """Add two integers (a sync tool: it runs in the worker pool)."""
    return a + b


@tool
async def echo(text: str) -> str:
    """Return the text (an async tool)."""
    return text


@tool
async def progress(n: int, ctx: Context, pause: float = 0.0) -> str:
    """Send ``n`` progress notifications (an SSE answer), then the result."""
    for i in range(n):
        await ctx.report_progress(i + 1, n)
        if pause:
            await asyncio.sleep(pause)
    return f"done {n}"


@tool
def blob(size: int) -> str:
    """Return ``size`` characters, made anew for each call."""
    return "x" * size


@functools.lru_cache(maxsize=4)
def _kept(size: int) -> str:
    return "y" * size


@tool
def kept_blob(size: int) -> str:
    """Return ``size`` characters the server keeps (the same string each call: a file, a cached report)."""
    return _kept(size)


def build_app() -> AgentCoreMCP:
    """The server the load scripts run: trivial tools, one of which streams."""
    return AgentCoreMCP(
        "load",
        tools=[add, echo, progress, blob, kept_blob],
        sealing=StateSealing(keys=("load-benchmark-key-0123456789",)),
    )


def serve_main(port: int) -> None:
    build_app().run(host="127.0.0.1", port=port, log_level="warning", timeout_graceful_shutdown=5)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cores() -> tuple[int | None, int | None]:
    """(server core, load core) when there are at least two CPUs to pin to, else (None, None)."""
    available = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    if len(available) >= 2:
        return available[0], available[1]
    return None, None


@dataclass
class Server:
    proc: subprocess.Popen[bytes]
    port: int

    @property
    def pid(self) -> int:
        return self.proc.pid

    def rss_kib(self) -> int:
        with open(f"/proc/{self.pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        raise RuntimeError("no VmRSS")


@contextmanager
def listening(
    command: list[str],
    port: int,
    *,
    core: int | None = None,
    what: str = "the server",
    start: float = 30,
    stop: float = 15,
) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``command`` (pinned to ``core``) until it accepts on ``port``; terminate it (then kill) on exit.

    Its stderr goes to a temporary file, never to a pipe: a pipe nobody reads fills up (64 KB of warnings on
    a long run) and the process then blocks in its next write, which once stalled a 2,000-session soak.

    Raises RuntimeError with the end of its stderr if it exits or does not listen within ``start`` seconds.
    """
    if core is not None:
        command = ["taskset", "-c", str(core), *command]
    with tempfile.TemporaryFile() as errors:
        proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=errors)
        deadline = time.monotonic() + start
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    proc.kill()
                    proc.wait(5)
                    errors.seek(0)
                    err = errors.read().decode(errors="replace")
                    raise RuntimeError(f"{what} did not start: {err[-2000:]}") from None
                time.sleep(0.05)
        try:
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(stop)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


@contextmanager
def server_process(module: str = "benchmarks.load", core: int | None = None) -> Iterator[Server]:
    port = free_port()
    with listening([sys.executable, "-m", module, "--serve", str(port)], port, core=core) as proc:
        yield Server(proc, port)


# -- a lean, checking HTTP/1.1 client --------------------------------------------------------------------


class AnswerError(Exception):
    """An answer that is not the expected one (status, JSON, result)."""


def request_bytes(port: int, message: dict[str, Any], headers: dict[str, str] | None = None) -> bytes:
    body = json.dumps(message, separators=(",", ":")).encode()
    extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items()).encode()
    return (
        b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nAccept: %s\r\nContent-Type: application/json\r\n"
        b"%sContent-Length: %d\r\n\r\n" % (port, ACCEPT, extra, len(body)) + body
    )


def call_message(
    name: str, arguments: dict[str, Any], era: str, request_id: int, progress: bool = False
) -> tuple[dict[str, Any], dict[str, str]]:
    params: dict[str, Any] = {"name": name, "arguments": arguments}
    headers: dict[str, str] = {}
    meta: dict[str, Any] = {"progressToken": request_id} if progress else {}
    if era == "modern":
        meta["io.modelcontextprotocol/protocolVersion"] = MODERN
        meta["io.modelcontextprotocol/clientCapabilities"] = {}
        headers = {"MCP-Protocol-Version": MODERN, "Mcp-Method": "tools/call", "Mcp-Name": name}
    if meta:
        params["_meta"] = meta
    return {"jsonrpc": "2.0", "id": request_id, "method": "tools/call", "params": params}, headers


def _strict(data: bytes) -> Any:
    def refuse(token: str) -> Any:
        raise AnswerError(f"non-standard JSON constant {token}")

    try:
        return json.loads(data, parse_constant=refuse)
    except ValueError as exc:
        raise AnswerError(f"not JSON: {data[:200]!r}") from exc


def final_message(content_type: bytes, body: bytes) -> tuple[Any, int]:
    """The final JSON-RPC message of an answer, and how many SSE events preceded it."""
    if content_type.startswith(b"text/event-stream"):
        events = [
            _strict(b"\n".join(line[6:] for line in block.split(b"\n") if line.startswith(b"data: ")))
            for block in body.split(b"\n\n")
            if b"\ndata: " in b"\n" + block
        ]
        if not events:
            raise AnswerError("an SSE answer without events")
        return events[-1], len(events) - 1
    return _strict(body), 0


class Connection:
    """One keep-alive connection; :meth:`exchange` sends a request and reads one whole answer."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, port: int) -> Connection:
        reader, writer = await asyncio.open_connection("127.0.0.1", port, limit=2**24)
        return cls(reader, writer)

    async def exchange(self, request: bytes) -> tuple[int, bytes, bytes]:
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        length = None
        chunked = False
        content_type = b""
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding":
                chunked = b"chunked" in value.lower()
            elif name == b"content-type":
                content_type = value.strip()
        if length is not None:
            body = await self.reader.readexactly(length)
        elif chunked:
            parts = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16)
                if size == 0:
                    await self.reader.readuntil(b"\r\n")
                    break
                parts.append(await self.reader.readexactly(size))
                await self.reader.readexactly(2)
            body = b"".join(parts)
        else:
            body = await self.reader.read()
        return status, content_type, body

    async def close(self) -> None:
        self.writer.close()
        with suppress(OSError):
            await self.writer.wait_closed()


def check_call(
    status: int, content_type: bytes, body: bytes, request_id: int, expected: Any, events: int
) -> None:
    if status != 200:
        raise AnswerError(f"HTTP {status}: {body[:200]!r}")
    final, seen = final_message(content_type, body)
    if final.get("id") != request_id:
        raise AnswerError(f"id {final.get('id')!r} for request {request_id}")
    result = final.get("result")
    if not isinstance(result, dict) or result.get("isError") is not False:
        raise AnswerError(f"not a successful result: {body[:200]!r}")
    content = result.get("content") or [{}]
    if content[0].get("text") != expected:
        raise AnswerError(f"result {content[0].get('text')!r}, expected {expected!r}")
    if seen != events:
        raise AnswerError(f"{seen} notifications, expected {events}")


# -- measurement -----------------------------------------------------------------------------------------


@dataclass
class Figures:
    name: str
    concurrency: int
    requests: int = 0
    errors: int = 0
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list, repr=False)
    first_error: str | None = None

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float | None:
        if not self.latencies_ms:
            return None
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    def summary(self) -> dict[str, Any]:
        out = {k: v for k, v in asdict(self).items() if k != "latencies_ms"}
        out.update(rate=round(self.rate, 1), p50_ms=self.percentile(0.5), p99_ms=self.percentile(0.99))
        return out


Job = Callable[[int], tuple[bytes, Callable[[int, bytes, bytes], None]]]
"""Request number -> (request bytes, a checker of (status, content type, body))."""


async def drive(
    port: int,
    job: Job,
    concurrency: int,
    *,
    seconds: float | None = None,
    total: int | None = None,
    figures: Figures,
    sample_every: int = 1,
    on_progress: Callable[[int], Awaitable[None]] | None = None,
) -> Figures:
    """Run ``job`` on ``concurrency`` connections until ``seconds`` pass or ``total`` requests are done."""
    counter = 0
    deadline = time.perf_counter() + seconds if seconds else None
    began = time.perf_counter()

    async def worker() -> None:
        nonlocal counter
        conn = await Connection.open(port)
        try:
            while True:
                if total is not None and counter >= total:
                    return
                if deadline is not None and time.perf_counter() >= deadline:
                    return
                n = counter
                counter += 1
                request, check = job(n)
                t0 = time.perf_counter()
                try:
                    status, ctype, body = await conn.exchange(request)
                    check(status, ctype, body)
                except (AnswerError, OSError, asyncio.IncompleteReadError, ValueError) as exc:
                    figures.errors += 1
                    figures.first_error = figures.first_error or f"{type(exc).__name__}: {exc}"
                    await conn.close()
                    conn = await Connection.open(port)
                    continue
                finally:
                    figures.requests += 1
                if n % sample_every == 0:
                    figures.latencies_ms.append((time.perf_counter() - t0) * 1000)
                if on_progress is not None and n % 10_000 == 0:
                    await on_progress(n)
        finally:
            await conn.close()

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    figures.seconds = time.perf_counter() - began
    return figures


def call_job(port: int, era: str, sse: bool) -> Job:
    def job(n: int) -> tuple[bytes, Callable[[int, bytes, bytes], None]]:
        if sse:
            message, headers = call_message("progress", {"n": 1}, era, n, progress=True)
            expected, events = "done 1", 1
        elif n % 2:
            message, headers = call_message("add", {"a": n, "b": 1}, era, n)
            expected, events = str(n + 1), 0
        else:
            message, headers = call_message("echo", {"text": f"t{n}"}, era, n)
            expected, events = f"t{n}", 0

        def check(status: int, ctype: bytes, body: bytes) -> None:
            check_call(status, ctype, body, n, expected, events)

        return request_bytes(port, message, headers), check

    return job


async def scenario_calls(port: int, seconds: float, levels: list[int]) -> list[Figures]:
    out = []
    for era in ("legacy", "modern"):
        for sse in (False, True):
            for level in levels:
                name = f"tools/call {era} {'SSE' if sse else 'JSON'}"
                await drive(
                    port, call_job(port, era, sse), level, seconds=0.5, figures=Figures("warm-up", level)
                )
                figures = await drive(
                    port, call_job(port, era, sse), level, seconds=seconds, figures=Figures(name, level)
                )
                print(_row(figures), flush=True)
                out.append(figures)
    return out


async def scenario_streams(port: int, streams: int, events: int) -> Figures:
    figures = Figures(f"{streams} concurrent SSE streams x {events} events", streams)

    async def one(i: int) -> None:
        conn = await Connection.open(port)
        message, headers = call_message("progress", {"n": events, "pause": 0.02}, "legacy", i, progress=True)
        t0 = time.perf_counter()
        try:
            status, ctype, body = await conn.exchange(request_bytes(port, message, headers))
            check_call(status, ctype, body, i, f"done {events}", events)
            progress = [e["params"]["progress"] for e in _events(body)[:-1]]
            if progress != list(range(1, events + 1)):
                raise AnswerError(f"events out of order: {progress[:10]}")
            figures.latencies_ms.append((time.perf_counter() - t0) * 1000)
        except (AnswerError, OSError, asyncio.IncompleteReadError) as exc:
            figures.errors += 1
            figures.first_error = figures.first_error or f"{type(exc).__name__}: {exc}"
        finally:
            figures.requests += 1
            await conn.close()

    began = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(streams)))
    figures.seconds = time.perf_counter() - began
    print(_row(figures), flush=True)
    return figures


def _events(body: bytes) -> list[Any]:
    return [
        json.loads(b"\n".join(line[6:] for line in block.split(b"\n") if line.startswith(b"data: ")))
        for block in body.split(b"\n\n")
        if b"\ndata: " in b"\n" + block
    ]


async def scenario_slow(port: int, slow_clients: int, seconds: float) -> list[Figures]:
    baseline = await drive(
        port, call_job(port, "legacy", False), 8, seconds=seconds, figures=Figures("8 clients alone", 8)
    )
    print(_row(baseline), flush=True)
    stop = asyncio.Event()
    opened: list[socket.socket] = []

    async def trickler() -> None:
        message, headers = call_message("echo", {"text": "slow"}, "legacy", 0)
        request = request_bytes(port, message, headers)
        head, _, body = request.partition(b"\r\n\r\n")
        _reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(head + b"\r\n\r\n")
        try:
            for byte in body:
                if stop.is_set():
                    break
                writer.write(bytes([byte]))
                await writer.drain()
                with suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(stop.wait(), 0.2)
        finally:
            writer.close()

    def non_reader() -> None:
        message, headers = call_message("blob", {"size": 5_000_000}, "legacy", 0)
        sock = socket.create_connection(("127.0.0.1", port))
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.sendall(request_bytes(port, message, headers))
        opened.append(sock)

    for _ in range(slow_clients):
        non_reader()
    tricklers = [asyncio.ensure_future(trickler()) for _ in range(slow_clients)]
    await asyncio.sleep(0.5)  # let the slow ones settle into their stalls
    loaded = await drive(
        port,
        call_job(port, "legacy", False),
        8,
        seconds=seconds,
        figures=Figures(f"8 clients beside {slow_clients} trickling + {slow_clients} non-reading", 8),
    )
    print(_row(loaded), flush=True)
    stop.set()
    await asyncio.gather(*tricklers, return_exceptions=True)
    for sock in opened:
        sock.close()
    return [baseline, loaded]


def _row(f: Figures) -> str:
    p50, p99 = f.percentile(0.5), f.percentile(0.99)
    lat = f"p50 {p50:7.2f} ms  p99 {p99:7.2f} ms" if p50 is not None and p99 is not None else ""
    err = f"  first error: {f.first_error}" if f.first_error else ""
    return f"{f.name:<58} c={f.concurrency:<5} {f.requests:>8} req {f.errors:>4} err {f.rate:>9.0f} req/s  {lat}{err}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--concurrency", default="1,8,64")
    parser.add_argument("--streams", type=int, default=1000)
    parser.add_argument("--events", type=int, default=20)
    parser.add_argument("--slow-clients", type=int, default=32)
    parser.add_argument("--only", default="calls,streams,slow")
    parser.add_argument("--quick", action="store_true", help="1 s per cell, 200 streams")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    if args.serve:
        serve_main(args.serve)
        return 0
    if args.quick:
        args.seconds, args.streams = 1.0, 200
    server_core, load_core = cores()
    if load_core is not None:
        os.sched_setaffinity(0, {load_core})
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    only = set(args.only.split(","))
    results: dict[str, Any] = {"pinned": server_core is not None}
    with server_process(core=server_core) as server:
        results["rss_start_kib"] = server.rss_kib()
        if "calls" in only:
            levels = [int(c) for c in args.concurrency.split(",")]
            results["calls"] = [
                f.summary() for f in asyncio.run(scenario_calls(server.port, args.seconds, levels))
            ]
        if "streams" in only:
            results["streams"] = asyncio.run(
                scenario_streams(server.port, args.streams, args.events)
            ).summary()
        if "slow" in only:
            results["slow"] = [
                f.summary() for f in asyncio.run(scenario_slow(server.port, args.slow_clients, args.seconds))
            ]
        results["rss_end_kib"] = server.rss_kib()
    print(
        f"server RSS: {results['rss_start_kib'] / 1024:.1f} MB at start, {results['rss_end_kib'] / 1024:.1f} MB at the end"
    )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    errors = sum(f["errors"] for f in results.get("calls", [])) + results.get("streams", {}).get("errors", 0)
    errors += sum(f["errors"] for f in results.get("slow", []))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
