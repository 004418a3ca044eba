"""A Strands agent whose tools live on AgentCore Runtime, reached through ``AgentCoreTransport``.

Strands' ``MCPClient`` takes a function that opens a transport; ``AgentCoreTransport`` is one, so the agent
calls an MCP runtime on AgentCore through boto3 (SigV4) or with a bearer token, with no URL to build. This
example lists the runtime's tools and calls them without a model: through ``MCPClient`` itself and as an
agent's direct tool calls (``agent.tool.add_numbers(...)``), so it runs offline with no LLM and no AWS
account. ``agent("What is 2 + 3?")`` would hand the same tools to the model.

Strands supports mcp 1.x (``pip install strands-agents "agentcore-mcp[client]"``). Run it:

* ``python -m examples.strands_agent``: the demo server behind the local AgentCore emulator, over boto3;
* ``python -m examples.strands_agent ARN``: a runtime on AgentCore, with your AWS credentials;
* ``python -m examples.strands_agent ARN --bearer-token TOKEN``: an OAuth (custom JWT) runtime.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from strands import Agent
from strands.models.bedrock import BedrockModel
from strands.tools.mcp import MCPClient

from agentcore_mcp.client import AgentCoreTransport

REGION = "us-east-1"
KEYS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


def mcp_client(target: str, **transport: Any) -> MCPClient:
    """A Strands ``MCPClient`` on ``AgentCoreTransport(target, **transport)`` (a runtime ARN or a URL)."""
    return MCPClient(lambda: AgentCoreTransport(target, **transport), startup_timeout=30)


def use_tools(client: MCPClient) -> dict[str, Any]:
    """List the tools and call two of them through the MCP client, then as an agent's direct tool calls."""
    with client:
        names = sorted(t.tool_name for t in client.list_tools_sync())
        added = client.call_tool_sync("call-1", "add_numbers", {"a": 2, "b": 3})
        greeted = client.call_tool_sync("call-2", "greet_user", {"name": "Ada"})

    # An agent owns the client's lifecycle when given it as a tool provider. No model is called here:
    # agent.tool.NAME(...) runs one tool directly. (The model is constructed, never invoked.)
    agent = Agent(tools=[client], model=BedrockModel(region_name=REGION), callback_handler=None)
    try:
        multiplied = agent.tool.multiply_numbers(a=6, b=7, record_direct_tool_call=False)
    finally:
        agent.cleanup()
    return {
        "tools": names,
        "add_numbers": text(added),
        "greet_user": text(greeted),
        "multiply_numbers": text(multiplied),
    }


def text(result: Any) -> str:
    """The text of a Strands tool result (``{"status": ..., "content": [{"text": ...}]}``)."""
    if result["status"] != "success":
        raise RuntimeError(f"tool call failed: {result['content']}")
    return "".join(block.get("text", "") for block in result["content"])


@contextmanager
def local_runtime() -> Iterator[tuple[str, Callable[[], Any]]]:
    """The demo server as a SigV4 runtime on the local AgentCore emulator: its ARN and a boto3 client maker."""
    import boto3

    from agentcore_mcp.emulator import Emulator
    from examples.demo_server import app

    emulator = Emulator(credentials={"testing": "testing"}, control_plane=False, region=REGION)
    runtime = emulator.add_runtime(app, name="strands_demo", auth="sigv4")
    with emulator.serve() as endpoint_url:
        yield (
            runtime.arn,
            lambda: boto3.client("bedrock-agentcore", endpoint_url=endpoint_url, region_name=REGION, **KEYS),
        )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("target", nargs="?", help="a runtime ARN or an MCP URL (default: a local emulator)")
    parser.add_argument("--bearer-token", help="call an OAuth runtime over HTTPS with this access token")
    args = parser.parse_args(argv)

    if args.target is None:
        with local_runtime() as (arn, boto3_client):
            summary = use_tools(mcp_client(arn, client=boto3_client()))
    elif args.bearer_token:
        summary = use_tools(mcp_client(args.target, bearer_token=args.bearer_token))
    else:
        summary = use_tools(mcp_client(args.target))

    print("tools:", ", ".join(summary["tools"]))
    print("add_numbers(2, 3) =", summary["add_numbers"])
    print("greet_user('Ada') =", summary["greet_user"])
    print("agent.tool.multiply_numbers(6, 7) =", summary["multiply_numbers"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
