"""Stalled readers: what clients that stop reading large answers cost the server and everyone else.

Not a CI test (``tests/reliability/test_stalled_readers.py`` is the CI-sized version). One server process
(the load server of ``benchmarks/load.py``: a ``blob(size)`` tool among trivial ones, uvicorn, one worker)
on a free loopback port, pinned to one core; the clients here, pinned to the other. The run:

1. warm up with ordinary calls, then read the server's idle RSS;
2. ``--clients`` (default 8) keep-alive clients call a trivial tool for ``--seconds``: the baseline rate;
3. ``--stalled`` (default 32) connections each ask for a ``--size`` (default 5 MB) answer with a 4 KB
   receive buffer and never read it;
4. the same clients run again beside them, while the server's RSS is sampled every 50 ms;
5. each stalled connection is then drained: an answer that arrives whole was kept for the reader all
   along; one that ends early (EOF or reset) was cut by the server. ``--wait S`` first waits S seconds
   (a server with a stall deadline should have cut them by then).

Usage::

    python -m benchmarks.stalled_readers [--stalled 32] [--size 5000000] [--tool blob|kept_blob] [--seconds 5]
        [--http h11|httptools] [--run-option NAME=JSON ...] [--wait S] [--json PATH]

``--run-option`` passes a keyword to ``AgentCoreMCP.run()`` (uvicorn options, or the server's own once it
has a stall deadline). Prints the figures; exits 1 if a normal client saw an error.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import h11

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.load import (  # noqa: E402  (the path above makes the package importable as a script)
    Figures,
    build_app,
    call_job,
    call_message,
    cores,
    drive,
    free_port,
    listening,
    request_bytes,
)


def serve_main(port: int, options: dict[str, Any]) -> None:
    build_app().run(host="127.0.0.1", port=port, log_level="warning", **options)


def rss_kib(pid: int, field_name: str = "VmRSS") -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"no {field_name} for pid {pid}")


@contextmanager
def server(options: dict[str, Any], core: int | None) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    port = free_port()
    command = [sys.executable, "-m", "benchmarks.stalled_readers", "--serve", str(port)]
    command += ["--options", json.dumps(options)]
    with listening(command, port, core=core, what="the server", start=30, stop=15) as proc:
        yield proc, port


def open_stalled(port: int, size: int, tool: str = "blob") -> socket.socket:
    """A connection that asks ``tool`` for a ``size``-character answer and does not read it (4 KB receive
    buffer)."""
    message, headers = call_message(tool, {"size": size}, "legacy", 0)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connect: it sets the window
    sock.connect(("127.0.0.1", port))
    sock.sendall(request_bytes(port, message, headers))
    return sock


def drain(sock: socket.socket, timeout: float) -> tuple[int, bool]:
    """Read until EOF: (body bytes received, whether the answer arrived whole).

    The response is parsed with h11, so an answer with a ``content-length`` and a chunked one (a huge
    answer the server encodes as it writes) are judged alike: whole means h11 reached its end.
    """
    parser = h11.Connection(h11.CLIENT)
    parser.send(h11.Request(method="POST", target="/mcp", headers=[("host", "x"), ("content-length", "0")]))
    parser.send(h11.EndOfMessage())  # only to put h11 in the state of a client waiting for its answer
    sock.settimeout(timeout)
    received, whole = 0, False
    try:
        while not whole:
            event = parser.next_event()
            if event is h11.NEED_DATA:
                chunk = sock.recv(1 << 20)
                parser.receive_data(chunk)  # b"": EOF
                if not chunk and parser.their_state is not h11.DONE:
                    break
            elif isinstance(event, h11.Data):
                received += len(event.data)
            elif isinstance(event, h11.EndOfMessage):
                whole = True
            elif isinstance(event, h11.ConnectionClosed):
                break
    except (ConnectionResetError, TimeoutError, OSError, h11.RemoteProtocolError):
        pass  # cut: reset, or closed in the middle of the body
    finally:
        sock.close()
    return received, whole


@dataclass
class Sampler:
    """Samples a process's RSS every ``interval`` seconds in a thread; ``peak`` is the highest seen."""

    pid: int
    interval: float = 0.05
    peak: int = 0
    samples: list[int] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> Sampler:
        def loop() -> None:
            while not self._stop.wait(self.interval):
                value = rss_kib(self.pid)
                self.samples.append(value)
                self.peak = max(self.peak, value)

        self._thread = threading.Thread(target=loop, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()


def measure(
    *,
    stalled: int = 32,
    size: int = 5_000_000,
    clients: int = 8,
    seconds: float = 5.0,
    options: dict[str, Any] | None = None,
    wait: float = 0.0,
    pin: bool = True,
    tool: str = "blob",
) -> dict[str, Any]:
    """Run the scenario once and return its figures (RSS in KiB, rates in requests/s)."""
    server_core, load_core = cores() if pin else (None, None)
    if load_core is not None:
        os.sched_setaffinity(0, {load_core})
    with server(options or {}, server_core) as (proc, port):
        asyncio.run(
            drive(
                port, call_job(port, "legacy", False), clients, total=2000, figures=Figures("warm", clients)
            )
        )
        time.sleep(0.3)
        idle = rss_kib(proc.pid)
        baseline = asyncio.run(
            drive(
                port,
                call_job(port, "legacy", False),
                clients,
                seconds=seconds,
                figures=Figures("alone", clients),
            )
        )
        with Sampler(proc.pid) as sampler:
            socks = [open_stalled(port, size, tool) for _ in range(stalled)]
            time.sleep(1.0)  # let the server produce the answers and fill the buffers
            settled = rss_kib(proc.pid)
            loaded = asyncio.run(
                drive(
                    port,
                    call_job(port, "legacy", False),
                    clients,
                    seconds=seconds,
                    figures=Figures(f"beside {stalled} stalled", clients),
                )
            )
            if wait:
                time.sleep(wait)
            after_wait = rss_kib(proc.pid)
        drained = [drain(sock, timeout=10.0) for sock in socks]
        time.sleep(0.5)
        end = rss_kib(proc.pid)
        alive = proc.poll() is None
    expected = size + 100  # the JSON-RPC envelope around the text
    whole = sum(1 for got, complete in drained if complete and got >= size)
    cut = len(drained) - whole
    return {
        "stalled": stalled,
        "size": size,
        "tool": tool,
        "clients": clients,
        "seconds": seconds,
        "options": options or {},
        "wait": wait,
        "idle_kib": idle,
        "settled_kib": settled,
        "peak_kib": sampler.peak,
        "after_wait_kib": after_wait,
        "end_kib": end,
        "growth_peak_mb": round((sampler.peak - idle) / 1024, 1),
        "baseline": baseline.summary(),
        "loaded": loaded.summary(),
        "rate_ratio": round(loaded.rate / baseline.rate, 3) if baseline.rate else None,
        "answers_whole": whole,
        "answers_cut": cut,
        "expected_answer_bytes_about": expected,
        "server_alive": alive,
        "errors": baseline.errors + loaded.errors,
    }


def _options(values: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in values:
        name, sep, raw = item.partition("=")
        if not sep:
            raise SystemExit(f"--run-option wants NAME=JSON, got {item!r}")
        try:
            out[name] = json.loads(raw)
        except ValueError:
            out[name] = raw
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--options", default="{}", help=argparse.SUPPRESS)
    parser.add_argument("--stalled", type=int, default=32)
    parser.add_argument("--size", type=int, default=5_000_000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--http", choices=["h11", "httptools"], default=None)
    parser.add_argument("--run-option", action="append", default=[])
    parser.add_argument("--wait", type=float, default=0.0)
    parser.add_argument(
        "--send-timeout",
        help="AGENTCORE_MCP_SEND_TIMEOUT for the server (seconds a write may wait for a reader; 0: never)",
    )
    parser.add_argument(
        "--tool",
        choices=["blob", "kept_blob"],
        default="blob",
        help="blob: each answer's text made anew per call; kept_blob: one string the server keeps",
    )
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    if args.serve:
        serve_main(args.serve, json.loads(args.options))
        return 0
    options = _options(args.run_option)
    if args.send_timeout is not None:
        os.environ["AGENTCORE_MCP_SEND_TIMEOUT"] = args.send_timeout  # the server process inherits it
    if args.http:
        options["http"] = args.http
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    figures = measure(
        stalled=args.stalled,
        size=args.size,
        clients=args.clients,
        seconds=args.seconds,
        options=options,
        wait=args.wait,
        tool=args.tool,
    )
    mb = 1024
    print(f"server options: {figures['options']}")
    print(
        f"RSS idle {figures['idle_kib'] / mb:.1f} MB, with {args.stalled} stalled {figures['settled_kib'] / mb:.1f} MB, "
        f"peak {figures['peak_kib'] / mb:.1f} MB (+{figures['growth_peak_mb']} MB), "
        f"after the wait {figures['after_wait_kib'] / mb:.1f} MB, after draining {figures['end_kib'] / mb:.1f} MB"
    )
    base, loaded = figures["baseline"], figures["loaded"]
    print(
        f"{args.clients} clients alone {base['rate']:.0f} req/s (p99 {base['p99_ms']:.2f} ms); beside the stalled "
        f"{loaded['rate']:.0f} req/s (p99 {loaded['p99_ms']:.2f} ms): ratio {figures['rate_ratio']}"
    )
    print(
        f"stalled answers: {figures['answers_whole']} arrived whole, {figures['answers_cut']} cut by the server"
    )
    print(f"errors: {figures['errors']}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 1 if figures["errors"] or not figures["server_alive"] else 0


if __name__ == "__main__":
    sys.exit(main())
