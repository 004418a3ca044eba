"""Overhead of the local AgentCore Gateway hop: ``tools/call`` through the gateway vs the runtime directly.

One emulator (uvicorn in a background thread of this process, moto's control plane beside it) serves the
demo server as a SigV4 runtime (its own process, as a microVM) and an IAM gateway with that runtime as
its one target (outbound SigV4 as the gateway's role). The installed SDK's ``Client`` (legacy mode) calls
``add_numbers`` over ``AgentCoreTransport``, signed with SigV4, either

* **direct**: at the runtime's invocations URL, or
* **gateway**: at the gateway's URL, as ``calc___add_numbers`` (the gateway then makes the direct call).

Sequential calls, rounds interleaved (direct, gateway, ...); the median round's calls/s and the median
latency (p50) over every call are reported. The client shares the process with the emulator, so both
columns pay for that alike.

    .venv/bin/python -m benchmarks.gateway [--rounds 3] [--calls 200]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path
from typing import Any

import anyio
import boto3
from botocore.credentials import Credentials
from mcp.client import Client

from agentcore_mcp.client import AgentCoreTransport, SigV4Auth
from agentcore_mcp.emulator import Emulator

REGION = "us-east-1"
DEMO = str(Path(__file__).resolve().parents[1] / "examples" / "demo_server.py")


def _transport(url: str) -> AgentCoreTransport:
    return AgentCoreTransport(url, auth=SigV4Auth(REGION, credentials=Credentials("testing", "testing")))


async def _round(url: str, tool: str, calls: int, latencies: list[float]) -> float:
    async with Client(_transport(url), mode="legacy") as client:
        await client.call_tool(tool, {"a": 1, "b": 2})  # warm: session, handshake, catalogue
        began = time.perf_counter()
        for _ in range(calls):
            start = time.perf_counter()
            await client.call_tool(tool, {"a": 1, "b": 2})
            latencies.append(time.perf_counter() - start)
        return calls / (time.perf_counter() - began)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()
    emulator = Emulator(credentials={"testing": "testing"}, region=REGION)
    with emulator.serve() as url:
        runtime = emulator.add_runtime(DEMO, name="calc", auth="sigv4", isolation="process")
        control: Any = boto3.client(
            "bedrock-agentcore-control",
            endpoint_url=url,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        gateway_id = control.create_gateway(
            name="bench",
            roleArn="arn:aws:iam::123456789012:role/gw",
            protocolType="MCP",
            authorizerType="AWS_IAM",
        )["gatewayId"]
        control.create_gateway_target(
            gatewayIdentifier=gateway_id,
            name="calc",
            targetConfiguration={"mcp": {"mcpServer": {"endpoint": emulator.invocations_url(runtime)}}},
            credentialProviderConfigurations=[
                {
                    "credentialProviderType": "GATEWAY_IAM_ROLE",
                    "credentialProvider": {"iamCredentialProvider": {"service": "bedrock-agentcore"}},
                }
            ],
        )
        gateway_url = control.get_gateway(gatewayIdentifier=gateway_id)["gatewayUrl"]
        legs = {
            "direct": (emulator.invocations_url(runtime), "add_numbers"),
            "gateway": (gateway_url, "calc___add_numbers"),
        }
        rates: dict[str, list[float]] = {name: [] for name in legs}
        latencies: dict[str, list[float]] = {name: [] for name in legs}
        for _ in range(args.rounds):
            for name, (target, tool) in legs.items():
                rates[name].append(anyio.run(_round, target, tool, args.calls, latencies[name]))
    print("| path | calls/s (median round) | p50 latency |")
    print("|---|---:|---:|")
    for name in legs:
        p50 = statistics.median(latencies[name]) * 1000
        print(f"| {name} | {statistics.median(rates[name]):.0f} | {p50:.2f} ms |")


if __name__ == "__main__":
    main()
