"""The emulator's control plane settles updates (UPDATING -> READY), so redeploying works locally."""

from __future__ import annotations

import time

import boto3

from agentcore_mcp.emulator import Emulator

IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/demo:1"
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing", "region_name": "us-east-1"}


def _status(control: object, runtime_id: str) -> str:
    for _ in range(50):
        status: str = control.get_agent_runtime(agentRuntimeId=runtime_id)["status"]  # type: ignore[attr-defined]
        if status not in ("CREATING", "UPDATING"):
            return status
        time.sleep(0.05)
    return status


def test_an_updated_runtime_becomes_ready_again() -> None:
    emulator = Emulator()
    with emulator.serve() as endpoint:
        control = boto3.client("bedrock-agentcore-control", endpoint_url=endpoint, **CREDENTIALS)
        spec = {
            "agentRuntimeArtifact": {"containerConfiguration": {"containerUri": IMAGE}},
            "roleArn": "arn:aws:iam::123456789012:role/runtime",
            "networkConfiguration": {"networkMode": "PUBLIC"},
            "protocolConfiguration": {"serverProtocol": "MCP"},
        }
        created = control.create_agent_runtime(agentRuntimeName="updates_settle", **spec)
        assert _status(control, created["agentRuntimeId"]) == "READY"
        control.update_agent_runtime(agentRuntimeId=created["agentRuntimeId"], **spec)
        assert _status(control, created["agentRuntimeId"]) == "READY"
