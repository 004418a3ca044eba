"""``agentcore-mcp emulator --oauth2-provider NAME``: the local AgentCore Identity knows that provider."""

from __future__ import annotations

import boto3
import pytest

from agentcore_mcp.server import free_port
from tests.cli.test_commands import cli


def test_the_emulator_serves_identity_for_the_providers_named(demo_url: str) -> None:
    port = free_port()
    args = ("emulator", "--port", str(port), "--target", demo_url, "--oauth2-provider", "calendar")
    with cli(*args) as running:
        running.wait_for(lambda line: "runtime ARN:" in line)
        client = boto3.client(
            "bedrock-agentcore",
            endpoint_url=f"http://127.0.0.1:{port}",
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        wat = client.get_workload_access_token_for_user_id(workloadName="local_mcp", userId="ada")
        answer = client.get_resource_oauth2_token(
            workloadIdentityToken=wat["workloadAccessToken"],
            resourceCredentialProviderName="calendar",
            scopes=["calendar.read"],
            oauth2Flow="USER_FEDERATION",
        )
        assert answer["authorizationUrl"].startswith(f"http://127.0.0.1:{port}/identities/oauth2/consent?")
        with pytest.raises(client.exceptions.ResourceNotFoundException):  # only the providers named
            client.get_resource_oauth2_token(
                workloadIdentityToken=wat["workloadAccessToken"],
                resourceCredentialProviderName="other",
                scopes=[],
                oauth2Flow="M2M",
            )
