"""Client calls/s: AgentCoreTransport (its default backends, and boto3) vs the mcp SDK's streamable HTTP client.

Every client drives the same kind of session (mcp 2.x ``ClientSession``, legacy handshake, then
``tools/call add_numbers`` over and over) against the same servers, in one run, interleaved (A B C A B C ...):

* ``direct``: the demo server (uvicorn, httptools + uvloop, one worker) on loopback;
* ``emulator``: the same demo server behind the local AgentCore emulator, as an OAuth runtime (bearer token)
  and as an IAM runtime (SigV4, reached by ARN); the SDK client reaches the OAuth runtime through its
  invocations URL with the same bearer token.

Servers run in their own processes; the clients run here, one at a time. Sequential calls measure per-call
client overhead (latency-bound); concurrent calls (``--concurrency``) measure throughput. Figures are medians
of the repetitions. Usage: ``python -m benchmarks.client [--quick]``; results also go to
``benchmarks/results/client.md`` and ``client.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from importlib import metadata
from pathlib import Path
from typing import Any

import anyio

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
ARN = "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/bench_open-AbCdE12345"
SIGNED_ARN = "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/bench_iam-AbCdE12345"
OAUTH_ARN = "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/bench_oauth-AbCdE12345"
KEYS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}

EMULATOR = """
import pathlib, sys, uvicorn
from agentcore_mcp.emulator import Emulator
em = Emulator(credentials={"testing": "testing"}, control_plane=False, workload_token=False)
em.add_runtime(sys.argv[2], arn=sys.argv[3], auth="none")
em.add_runtime(sys.argv[2], arn=sys.argv[4], auth="sigv4")
em.add_runtime(sys.argv[2], arn=sys.argv[5], auth="jwt", allowed_clients=["bench"])
em.bind(f"http://127.0.0.1:{sys.argv[1]}")
pathlib.Path(sys.argv[6]).write_text(em.mint_token(client_id="bench", expires_in=86400))
uvicorn.run(em, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False,
            http="httptools", loop="uvloop")
"""


def free_port() -> int:
    from agentcore_mcp.server._local import free_port as pick

    return pick()


def wait_listening(port: int, process: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server on port {port} exited with {process.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listening on port {port} after {timeout} s")


@contextlib.contextmanager
def process(args: list[str], port: int) -> Iterator[None]:
    child = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_listening(port, child)
        yield
    finally:
        child.terminate()
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


@contextlib.contextmanager
def servers() -> Iterator[tuple[str, str, str]]:
    """The demo server and an emulator in front of it; yields (demo MCP URL, emulator URL, bearer token)."""
    demo_port, emulator_port = free_port(), free_port()
    uvicorn = [sys.executable, "-m", "uvicorn", "--log-level", "warning", "--no-access-log"]
    demo = [
        *uvicorn,
        "--http",
        "httptools",
        "--loop",
        "uvloop",
        "--port",
        str(demo_port),
        "examples.demo_server:app",
    ]
    demo_url = f"http://127.0.0.1:{demo_port}/mcp"
    with tempfile.TemporaryDirectory() as scratch:
        token_file = Path(scratch) / "token"
        emulator = [
            *(sys.executable, "-c", EMULATOR, str(emulator_port), demo_url),
            *(ARN, SIGNED_ARN, OAUTH_ARN, str(token_file)),
        ]
        with process(demo, demo_port), process(emulator, emulator_port):
            yield demo_url, f"http://127.0.0.1:{emulator_port}", token_file.read_text()


Factory = Callable[[], AbstractAsyncContextManager[Any]]


def default_transport() -> str:
    """What the HTTPS backend's own client sends through here (``auto``: aiohttp when installed)."""
    from agentcore_mcp.client._aiohttp import choice, installed

    picked = choice(None)
    return "aiohttp" if picked == "aiohttp" or (picked == "auto" and installed()) else "httpx"


def clients(demo_url: str, emulator_url: str, token: str) -> dict[str, tuple[str, Factory]]:
    """name -> (what it measures, a factory for a fresh transport)."""
    import boto3
    from mcp.client.streamable_http import streamable_http_client

    from agentcore_mcp.client import AgentCoreTransport, HttpxBackend, invocations_url
    from agentcore_mcp.client._aiohttp import installed as aiohttp_installed

    boto3_client = boto3.client(
        "bedrock-agentcore", endpoint_url=emulator_url, region_name="us-east-1", **KEYS
    )
    session = boto3.Session(region_name="us-east-1", **KEYS)
    oauth_url = invocations_url(OAUTH_ARN, endpoint_url=emulator_url)

    def sdk_with_token() -> AbstractAsyncContextManager[Any]:
        import httpx2  # the SDK's own HTTP client (mcp 2.x)

        http = httpx2.AsyncClient(headers={"authorization": f"Bearer {token}"}, timeout=300)
        return streamable_http_client(oauth_url, http_client=http)

    return {
        "sdk-direct": (
            "mcp SDK streamable_http_client -> demo server",
            lambda: streamable_http_client(demo_url),
        ),
        "ours-direct": (
            f"AgentCoreTransport (default: {default_transport()}) -> demo server",
            lambda: AgentCoreTransport(demo_url),
        ),
        "ours-httpx-direct": (
            "AgentCoreTransport (httpx's own transport) -> demo server",
            lambda: AgentCoreTransport(demo_url, backend=HttpxBackend(demo_url, http_transport="httpx")),
        ),
        **(
            {
                "ours-aiohttp-direct": (
                    "AgentCoreTransport (httpx-aiohttp, the fast extra) -> demo server",
                    lambda: AgentCoreTransport(
                        demo_url, backend=HttpxBackend(demo_url, http_transport="aiohttp")
                    ),
                )
            }
            if aiohttp_installed()
            else {}
        ),
        "sdk-emulator": (
            "mcp SDK streamable_http_client, bearer -> emulator (OAuth runtime) -> demo",
            sdk_with_token,
        ),
        "ours-bearer-emulator": (
            "AgentCoreTransport (HTTPS backend, bearer) -> emulator (OAuth runtime) -> demo",
            lambda: AgentCoreTransport(OAUTH_ARN, bearer_token=token, endpoint_url=emulator_url),
        ),
        "ours-arn-emulator": (
            "AgentCoreTransport (the default for an ARN) -> emulator (IAM runtime) -> demo",
            lambda: AgentCoreTransport(SIGNED_ARN, endpoint_url=emulator_url, boto3_session=session),
        ),
        "ours-sigv4-emulator": (
            "AgentCoreTransport (HTTPS backend, SigV4) -> emulator (IAM runtime) -> demo",
            lambda: AgentCoreTransport(
                SIGNED_ARN, backend="http", endpoint_url=emulator_url, boto3_session=session
            ),
        ),
        "ours-boto3-emulator": (
            "AgentCoreTransport (boto3 invoke_agent_runtime) -> emulator (IAM runtime) -> demo",
            lambda: AgentCoreTransport(SIGNED_ARN, client=boto3_client),
        ),
    }


@asynccontextmanager
async def opened(factory: Factory) -> AsyncIterator[Any]:
    from mcp.client import ClientSession

    async with factory() as streams, ClientSession(streams[0], streams[1]) as session:
        await session.initialize()
        await session.call_tool("add_numbers", {"a": 1, "b": 2})  # warm: tool list cached, connection open
        yield session


async def measure(factory: Factory, calls: int, concurrency: int) -> float:
    """Calls per second of ``calls`` tools/call over one session, ``concurrency`` at a time."""
    rate, _ = await measure_with_cpu(factory, calls, concurrency)
    return rate


async def measure_with_cpu(factory: Factory, calls: int, concurrency: int) -> tuple[float, float]:
    """Calls per second, and this process's CPU microseconds per call (the client's own cost: the servers
    run in other processes), of ``calls`` tools/call over one session, ``concurrency`` at a time.

    CPU per call barely moves when other work shares the machine; calls/s does.
    """
    async with opened(factory) as session:
        for _ in range(20):
            await session.call_tool("add_numbers", {"a": 1, "b": 2})
        per_worker = calls // concurrency

        async def worker() -> None:
            for i in range(per_worker):
                result = await session.call_tool("add_numbers", {"a": i, "b": 1})
                assert result.content[0].text == str(i + 1)

        start, cpu = time.perf_counter(), time.process_time()
        with anyio.fail_after(300):
            async with anyio.create_task_group() as tg:
                for _ in range(concurrency):
                    tg.start_soon(worker)
        done = per_worker * concurrency
        return done / (time.perf_counter() - start), (time.process_time() - cpu) / done * 1e6


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="fewer calls and repetitions (about 30 s)")
    parser.add_argument("--calls", type=int, default=None)
    parser.add_argument("--repeat", type=int, default=None)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--no-write", action="store_true", help="print only; keep the results files")
    parser.add_argument(
        "--clients",
        default=None,
        help="comma-separated client names to run (default: all; ratios need pairs)",
    )
    args = parser.parse_args(argv)
    calls = args.calls or (200 if args.quick else 1000)
    repeat = args.repeat or (1 if args.quick else 3)

    samples: dict[tuple[str, int], list[float]] = {}
    cpu: dict[tuple[str, int], list[float]] = {}
    with servers() as (demo_url, emulator_url, token):
        table = clients(demo_url, emulator_url, token)
        if args.clients:
            table = {name: table[name] for name in args.clients.split(",")}
        for _ in range(repeat):
            for concurrency in args.concurrency:
                for name, (_, factory) in table.items():
                    value, micros = anyio.run(
                        measure_with_cpu, factory, calls, concurrency, backend_options={"use_uvloop": False}
                    )
                    samples.setdefault((name, concurrency), []).append(value)
                    cpu.setdefault((name, concurrency), []).append(micros)
                    print(
                        f"  {name:22s} c={concurrency:<3d} {value:8.1f} calls/s {micros:7.0f} us CPU/call",
                        flush=True,
                    )

    medians = {key: statistics.median(values) for key, values in samples.items()}
    cpu_medians = {key: statistics.median(values) for key, values in cpu.items()}
    rows = []
    for name, (label, _) in table.items():
        row: dict[str, Any] = {"client": name, "what": label}
        for concurrency in args.concurrency:
            row[f"c{concurrency}"] = round(medians[(name, concurrency)], 1)
            row[f"cpu{concurrency}"] = round(cpu_medians[(name, concurrency)])
        rows.append(row)
    pairs = {
        "direct_vs_sdk_direct": ("ours-direct", "sdk-direct"),
        "httpx_direct_vs_sdk_direct": ("ours-httpx-direct", "sdk-direct"),
        "aiohttp_direct_vs_sdk_direct": ("ours-aiohttp-direct", "sdk-direct"),
        "bearer_emulator_vs_sdk_emulator": ("ours-bearer-emulator", "sdk-emulator"),
        "arn_emulator_vs_sdk_emulator": ("ours-arn-emulator", "sdk-emulator"),
        "sigv4_emulator_vs_sdk_emulator": ("ours-sigv4-emulator", "sdk-emulator"),
        "boto3_emulator_vs_sdk_emulator": ("ours-boto3-emulator", "sdk-emulator"),
    }
    pairs = {key: (a, b) for key, (a, b) in pairs.items() if a in table and b in table}
    ratios = {
        f"c{c}": {key: round(medians[(a, c)] / medians[(b, c)], 2) for key, (a, b) in pairs.items()}
        for c in args.concurrency
    }
    cpu_ratios = {  # the SDK's CPU per call over ours: above 1, ours costs less
        f"c{c}": {key: round(cpu_medians[(b, c)] / cpu_medians[(a, c)], 2) for key, (a, b) in pairs.items()}
        for c in args.concurrency
    }
    report = {
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
        },
        "versions": {p: metadata.version(p) for p in ("mcp", "httpx", "boto3", "uvicorn")},
        "calls": calls,
        "repeat": repeat,
        "load": os.getloadavg()[0],
        "rows": rows,
        "ratios": ratios,
        "cpu_ratios": cpu_ratios,
    }
    if not args.no_write:
        write(report, args.concurrency)
    return report


def write(report: dict[str, Any], concurrencies: list[int]) -> None:
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "client.json").write_text(json.dumps(report, indent=2) + "\n")
    head = (
        "| client | what | "
        + " | ".join(f"calls/s, {c} at a time | client CPU µs/call, {c} at a time" for c in concurrencies)
        + " |"
    )
    lines = [
        "# Client calls/s",
        "",
        f"{report['when']}; Python {report['machine']['python']}, {report['machine']['cpus']} CPUs, "
        f"load average {report['load']:.1f} at the end; {report['calls']} calls per sample, median of "
        f"{report['repeat']}; versions {report['versions']}.",
        "",
        head,
        "|" + "---|" * (2 + 2 * len(concurrencies)),
    ]
    for row in report["rows"]:
        lines.append(
            f"| {row['client']} | {row['what']} | "
            + " | ".join(f"{row[f'c{c}']} | {row[f'cpu{c}']}" for c in concurrencies)
            + " |"
        )
    lines += ["", "Ratios of calls/s (ours / SDK, same server, same run):", ""]
    for key, values in report["ratios"].items():
        lines.append(f"- {key}: " + ", ".join(f"{k} {v}x" for k, v in values.items()))
    lines += ["", "Ratios of client CPU per call (SDK / ours: above 1, ours costs less):", ""]
    for key, values in report["cpu_ratios"].items():
        lines.append(f"- {key}: " + ", ".join(f"{k} {v}x" for k, v in values.items()))
    text = "\n".join(lines) + "\n"
    (RESULTS / "client.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
