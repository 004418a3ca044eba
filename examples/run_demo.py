"""`make demo`: the tutorial's "test locally" step, end to end, on this machine.

Starts the demo server (examples/demo_server.py) as its own process on a free loopback port, connects the
official MCP Python client in each protocol era, lists the tools, calls each one, prints what happened,
and stops the server.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from agentcore_mcp.server.local import free_port

CALLS = [
    ("add_numbers", {"a": 2, "b": 3}),
    ("multiply_numbers", {"a": 4, "b": 5}),
    ("greet_user", {"name": "Ada"}),
]


def start_server(port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "AGENTCORE_MCP_HOST": "127.0.0.1",
        "AGENTCORE_MCP_PORT": str(port),
        "AGENTCORE_MCP_LOG_LEVEL": "warning",
    }
    server = Path(__file__).with_name("demo_server.py")
    proc = subprocess.Popen([sys.executable, str(server)], env=env)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the demo server exited with code {proc.returncode}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/ping", timeout=1) as resp:
                if resp.status == 200:
                    return proc
        except OSError:
            time.sleep(0.05)
    proc.terminate()
    raise SystemExit("the demo server did not become healthy within 20 s")


async def exercise(url: str) -> None:
    from mcp.client import Client

    for mode in ("2026-07-28", "legacy"):
        async with Client(url, mode=mode) as client:
            era = "modern (2026-07-28, stateless)" if mode != "legacy" else "legacy (initialize handshake)"
            print(f"\n== MCP client, {era}")
            listed = await client.list_tools()
            print("tools:", ", ".join(t.name for t in listed.tools))
            for name, args in CALLS:
                result = await client.call_tool(name, args)
                text = " ".join(getattr(block, "text", "") for block in result.content)
                print(
                    f"  {name}({', '.join(f'{k}={v!r}' for k, v in args.items())}) -> {text}"
                    + (f"   structured={result.structured_content}" if result.structured_content else "")
                )


def main() -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/mcp"
    print(f"Starting the demo server: {sys.executable} examples/demo_server.py on {url}")
    proc = start_server(port)
    try:
        asyncio.run(exercise(url))
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        print("\nStopped the demo server (SIGTERM, graceful shutdown).")


if __name__ == "__main__":
    main()
