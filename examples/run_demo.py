"""`make demo`: the AgentCore tutorial's four steps, end to end, offline, on this machine.

1. Write tools: examples/demo_server.py (add_numbers, multiply_numbers, greet_user).
2. Test locally: start it as its own process on a free loopback port and call it with the official MCP
   client, in both protocol eras.
3. "Deploy": a local AgentCore Runtime (the emulator) with moto's control plane; boto3
   ``create_agent_runtime`` registers an MCP runtime whose container image the emulator maps to the server.
4. Invoke: the official MCP client over ``AgentCoreTransport`` through InvokeAgentRuntime with real boto3
   (SigV4), and as the tutorial's bearer-token client (a JWT from the emulator's local issuer).
"""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from agentcore_mcp.server._local import free_port

CALLS = [
    ("add_numbers", {"a": 2, "b": 3}),
    ("multiply_numbers", {"a": 4, "b": 5}),
    ("greet_user", {"name": "Ada"}),
]
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/demo-mcp:latest"
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing", "region_name": "us-east-1"}


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


async def exercise(label: str, transport_or_url: Any, modes: tuple[str, ...] = ("auto", "legacy")) -> None:
    from mcp.client import Client

    for mode in modes:
        async with Client(transport_or_url, mode=mode) as client:  # type: ignore[arg-type]
            era = client.session.protocol_version
            listed = await client.list_tools()
            print(f"  [{label}, {mode} -> protocol {era}] tools: {', '.join(t.name for t in listed.tools)}")
            for name, args in CALLS:
                result = await client.call_tool(name, args)
                text = " ".join(getattr(block, "text", "") for block in result.content)
                shown = ", ".join(f"{k}={v!r}" for k, v in args.items())
                print(f"      {name}({shown}) -> {text}")


async def through_agentcore(server_url: str) -> None:
    import boto3

    from agentcore_mcp import AgentCoreTransport
    from agentcore_mcp.emulator import Emulator

    emulator = Emulator()
    emulator.map_image(IMAGE, server_url)
    with emulator.serve() as endpoint:
        print(f"\n== Step 3: deploy to the local AgentCore Runtime at {endpoint} (moto control plane)")
        control = boto3.client("bedrock-agentcore-control", endpoint_url=endpoint, **CREDENTIALS)
        created = control.create_agent_runtime(
            agentRuntimeName="demo_mcp",
            agentRuntimeArtifact={"containerConfiguration": {"containerUri": IMAGE}},
            roleArn="arn:aws:iam::123456789012:role/demo-agentcore-runtime",
            networkConfiguration={"networkMode": "PUBLIC"},
            protocolConfiguration={"serverProtocol": "MCP"},
        )
        arn = created["agentRuntimeArn"]
        status = control.get_agent_runtime(agentRuntimeId=created["agentRuntimeId"])["status"]
        print(f"  created {arn} (status {status})")

        print("\n== Step 4a: invoke with boto3 (SigV4) through InvokeAgentRuntime")
        data_plane = boto3.client("bedrock-agentcore", endpoint_url=endpoint, **CREDENTIALS)
        transport = AgentCoreTransport(arn, client=data_plane)
        await exercise("boto3", transport, modes=("auto",))
        await exercise("boto3", AgentCoreTransport(arn, client=data_plane), modes=("legacy",))
        await transport.stop()
        print(f"  runtime session {transport.session.runtime_session_id} stopped (StopRuntimeSession)")

        print("\n== Step 4b: invoke as the tutorial's bearer-token client (JWT runtime, plain HTTPS)")
        jwt_runtime = emulator.add_runtime(
            server_url, name="demo_mcp_oauth", auth="jwt", allowed_clients=["demo-client"]
        )
        token = emulator.mint_token(client_id="demo-client")
        url = emulator.invocations_url(jwt_runtime)
        await exercise("bearer", AgentCoreTransport(url, bearer_token=token), modes=("2026-07-28",))


def main() -> None:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's control-plane server logs every request
    port = free_port()
    url = f"http://127.0.0.1:{port}/mcp"
    print("== Step 1: the tools are in examples/demo_server.py (add_numbers, multiply_numbers, greet_user)")
    print(f"\n== Step 2: test locally: {sys.executable} examples/demo_server.py on {url}")
    proc = start_server(port)
    try:
        asyncio.run(exercise("direct", url))
        asyncio.run(through_agentcore(url))
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        print("\nStopped the demo server (SIGTERM, graceful shutdown). All four steps ran offline.")


if __name__ == "__main__":
    main()
