"""Overhead of ``agentcore-mcp proxy``: calls/s of one MCP client through the proxy vs straight to the URL.

The same client (the installed SDK's ``ClientSession``) calls the demo's ``add_numbers`` either

* **direct**: over ``AgentCoreTransport(url)`` in the benchmark process, or
* **proxy**: over ``stdio_client`` launching ``agentcore-mcp proxy URL`` (the proxy then uses the same
  transport), as a desktop client does,

against two targets, each served in its own process: the demo server (``agentcore-mcp serve``, no auth) and
the local AgentCore emulator in front of it (``agentcore-mcp emulator --auth sigv4``, the invocations URL
signed with SigV4). Sequential calls (one in flight) and 8 concurrent callers; rounds interleaved (direct,
proxy, direct, proxy, ...), the median of the rounds reported with the ratio proxy/direct.

Calls/s on a shared machine swing with its load, so the CPU cost is measured too, which load barely moves:
CPU seconds per call of the proxy process (driven over raw pipes, its start-up subtracted) against CPU
seconds per call of the bare transport doing the same exchanges in-process; the difference is what the
proxy's own work (stdio framing, parsing, re-serialising) costs per call.

    .venv/bin/python benchmarks/proxy.py [--rounds 5] [--calls 300]
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

from agentcore_mcp.client import AgentCoreTransport

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
KEYS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}
ENV = {**os.environ, **KEYS}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def served(command: list[str], ready: Callable[[], bool]) -> Any:
    process = subprocess.Popen(
        command, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT
    )
    try:
        deadline = time.monotonic() + 60
        while not ready():
            if time.monotonic() > deadline or process.poll() is not None:
                raise RuntimeError(f"{command} did not start")
            time.sleep(0.1)
        yield
    finally:
        process.terminate()
        process.wait(10)


def answers(url: str) -> Callable[[], bool]:
    def ready() -> bool:
        try:
            httpx.post(url, json={}, timeout=1)
        except httpx.HTTPError:
            return False
        return True

    return ready


@asynccontextmanager
async def direct(url: str) -> AsyncIterator[ClientSession]:
    transport = AgentCoreTransport(url, auth="sigv4" if "/invocations" in url else None)
    async with transport as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        yield session


@asynccontextmanager
async def proxied(url: str) -> AsyncIterator[ClientSession]:
    params = StdioServerParameters(command=str(BIN / "agentcore-mcp"), args=["proxy", url], env=ENV)
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        yield session


async def rate(open_session: Any, url: str, calls: int, concurrency: int) -> float:
    async with open_session(url) as session:
        for i in range(20):  # warm-up: connections, imports, the microVM
            await session.call_tool("add_numbers", {"a": i, "b": 1})
        per_worker = calls // concurrency

        async def worker() -> None:
            for i in range(per_worker):
                await session.call_tool("add_numbers", {"a": i, "b": 1})

        started = time.perf_counter()
        async with anyio.create_task_group() as group:
            for _ in range(concurrency):
                group.start_soon(worker)
        return per_worker * concurrency / (time.perf_counter() - started)


INITIALIZE = {
    "jsonrpc": "2.0",
    "id": "init",
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-11-25",
        "capabilities": {},
        "clientInfo": {"name": "b", "version": "1"},
    },
}


def call(i: int) -> dict[str, Any]:
    return {
        "jsonrpc": "2.0",
        "id": i,
        "method": "tools/call",
        "params": {"name": "add_numbers", "arguments": {"a": i, "b": 1}},
    }


def cpu_seconds(pid: int) -> float:
    """User + system CPU of process ``pid`` so far (Linux /proc; clock ticks)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proxy_cpu(url: str, calls: int) -> float:
    """CPU seconds a proxy process spent on ``calls`` sequential calls over raw pipes (after warm-up)."""
    import json

    process = subprocess.Popen(
        [str(BIN / "agentcore-mcp"), "proxy", url], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=ENV
    )
    assert process.stdin is not None
    assert process.stdout is not None
    for message in (INITIALIZE, {"jsonrpc": "2.0", "method": "notifications/initialized"}):
        process.stdin.write(json.dumps(message).encode() + b"\n")
        process.stdin.flush()
    process.stdout.readline()

    def exchange(count: int) -> None:
        for i in range(count):
            process.stdin.write(json.dumps(call(i)).encode() + b"\n")  # type: ignore[union-attr]
            process.stdin.flush()  # type: ignore[union-attr]
            process.stdout.readline()  # type: ignore[union-attr]

    exchange(20)
    started = cpu_seconds(process.pid)
    exchange(calls)
    spent = cpu_seconds(process.pid) - started
    process.stdin.close()
    process.wait(30)
    return spent


async def transport_cpu(url: str, calls: int) -> float:
    """CPU seconds this process spends on ``calls`` sequential exchanges through the bare transport."""
    import json

    from mcp.shared.message import SessionMessage
    from mcp_types import jsonrpc_message_adapter

    def message(obj: dict[str, Any]) -> Any:
        return SessionMessage(jsonrpc_message_adapter.validate_json(json.dumps(obj), by_name=False))

    async with AgentCoreTransport(url, auth="sigv4" if "/invocations" in url else None) as (read, write):
        await write.send(message(INITIALIZE))
        await read.receive()
        await write.send(message({"jsonrpc": "2.0", "method": "notifications/initialized"}))
        for i in range(20):
            await write.send(message(call(i)))
            await read.receive()
        started = time.process_time()
        for i in range(calls):
            await write.send(message(call(i)))
            await read.receive()
        return time.process_time() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=300)
    args = parser.parse_args()
    os.environ.update(KEYS)  # the direct client signs in this process
    server_port, emulator_port = free_port(), free_port()
    server_url = f"http://127.0.0.1:{server_port}/mcp"
    arn = "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/bench_proxy-AbCdE12345"
    emulator_url = (
        f"http://127.0.0.1:{emulator_port}/runtimes/"
        + arn.replace(":", "%3A").replace("/", "%2F")
        + "/invocations?qualifier=DEFAULT"
    )
    serve = [str(BIN / "agentcore-mcp"), "serve", "examples/demo_server.py", "--host", "127.0.0.1"]
    emulate = [
        str(BIN / "agentcore-mcp"),
        "emulator",
        "--target",
        server_url,
        "--arn",
        arn,
        "--auth",
        "sigv4",
    ]
    rows = []
    with (
        served([*serve, "--port", str(server_port), "--log-level", "warning"], answers(server_url)),
        served(
            [*emulate, "--port", str(emulator_port), "--no-control-plane", "--log-level", "warning"],
            answers(f"http://127.0.0.1:{emulator_port}/ping"),
        ),
    ):
        for label, url in (("demo server, no auth", server_url), ("emulator, SigV4", emulator_url)):
            for concurrency in (1, 8):
                figures: dict[str, list[float]] = {"direct": [], "proxy": []}
                for _ in range(args.rounds):
                    for name, opener in (("direct", direct), ("proxy", proxied)):
                        figures[name].append(anyio.run(rate, opener, url, args.calls, concurrency))
                d, p = statistics.median(figures["direct"]), statistics.median(figures["proxy"])
                rows.append((label, concurrency, d, p))
                print(
                    f"{label:22} c={concurrency}: direct {d:7.0f}/s  proxy {p:7.0f}/s  ratio {p / d:.2f}",
                    flush=True,
                )
        cpu_rows = []
        for label, url in (("demo server, no auth", server_url), ("emulator, SigV4", emulator_url)):
            proxy_costs, transport_costs = [], []
            for _ in range(args.rounds):
                proxy_costs.append(proxy_cpu(url, args.calls) / args.calls)
                transport_costs.append(anyio.run(transport_cpu, url, args.calls) / args.calls)
            p, t = statistics.median(proxy_costs), statistics.median(transport_costs)
            cpu_rows.append((label, t, p))
            print(
                f"{label:22} CPU/call: transport {t * 1e6:5.0f} us  proxy process {p * 1e6:5.0f} us",
                flush=True,
            )
    print()
    print("| target | callers | direct (calls/s) | through the proxy (calls/s) | proxy / direct |")
    print("|---|---:|---:|---:|---:|")
    for label, concurrency, d, p in rows:
        print(f"| {label} | {concurrency} | {d:,.0f} | {p:,.0f} | {p / d:.2f} |")
    print()
    print("| target | CPU per call, bare transport | CPU per call, proxy process | the proxy's own share |")
    print("|---|---:|---:|---:|")
    for label, t, p in cpu_rows:
        print(f"| {label} | {t * 1e6:,.0f} µs | {p * 1e6:,.0f} µs | {(p - t) * 1e6:,.0f} µs |")


if __name__ == "__main__":
    main()
