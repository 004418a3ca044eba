"""``agentcore-mcp proxy`` in front of an AgentCore Gateway (its ARN or URL), exactly as in front of a runtime."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from typing import Any

import anyio
import boto3
import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

from tests.proxy.conftest import KEYS, REGION, ROOT


@pytest.fixture(scope="module")
def gateway() -> Iterator[tuple[dict[str, Any], str, dict[str, str]]]:
    from agentcore_mcp.emulator import Emulator
    from tests.proxy.app import app

    emulator = Emulator(credentials={"testing": "testing"}, region=REGION, health_probe=None)
    runtime = emulator.add_runtime(app, name="behind_gateway", auth="sigv4")
    with emulator.serve() as url:
        control = boto3.client(
            "bedrock-agentcore-control",
            endpoint_url=url,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        created = control.create_gateway(
            name="proxied",
            roleArn="arn:aws:iam::123456789012:role/gw",
            protocolType="MCP",
            authorizerType="AWS_IAM",
        )
        control.create_gateway_target(
            gatewayIdentifier=created["gatewayId"],
            name="app",
            targetConfiguration={"mcp": {"mcpServer": {"endpoint": emulator.invocations_url(runtime)}}},
            credentialProviderConfigurations=[
                {
                    "credentialProviderType": "GATEWAY_IAM_ROLE",
                    "credentialProvider": {"iamCredentialProvider": {"service": "bedrock-agentcore"}},
                }
            ],
        )
        record = control.get_gateway(gatewayIdentifier=created["gatewayId"])
        env = {**os.environ, **KEYS, "PYTHONPATH": str(ROOT)}
        env.pop("AWS_PROFILE", None)
        yield record, url, env


@pytest.mark.parametrize("how", ["arn", "url"])
async def test_the_proxy_lists_and_calls_through_the_gateway(
    gateway: tuple[dict[str, Any], str, dict[str, str]], how: str
) -> None:
    record, url, env = gateway
    args = (
        [record["gatewayArn"], "--endpoint-url", url]
        if how == "arn"
        else [record["gatewayUrl"], "--region", REGION]
    )
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "agentcore_mcp.cli", "proxy", *args], env=env
    )
    with anyio.fail_after(60):
        async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
            await session.initialize()
            names = {tool.name for tool in (await session.list_tools()).tools}
            assert "app___add_numbers" in names
            result = await session.call_tool("app___add_numbers", {"a": 2, "b": 3})
    assert result.model_dump(by_alias=True)["isError"] is False, result
    assert result.content[0].text == "5"  # type: ignore[union-attr]
