"""Redeploying on the emulator's control plane keeps AgentCore's shapes: one ARN, versions counting up.

A runtime's id is ``<name>-<10 alphanumerics>`` and its ARN ``…:runtime/<id>`` (botocore's model patterns);
updates add versions (``agentRuntimeVersion``) and move the DEFAULT endpoint, never the ARN, so the
invocations URL and a client configured before the updates keep working.
"""

from __future__ import annotations

import re
import time
from typing import Any

import boto3
import botocore.session
import httpx

from agentcore_mcp.emulator import Emulator
from tests.emulator.conftest import ACCEPT, APP_SPEC, agentcore, invoke, legacy

IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/demo:1"
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing", "region_name": "us-east-1"}
MODEL = botocore.session.get_session().get_service_model("bedrock-agentcore-control")


def _pattern(shape: str) -> re.Pattern[str]:
    return re.compile(MODEL.shape_for(shape).metadata["pattern"])


def _settled(control: Any, runtime_id: str) -> dict[str, Any]:
    for _ in range(200):  # a V2 warm-up starts a process first
        described: dict[str, Any] = control.get_agent_runtime(agentRuntimeId=runtime_id)
        if described["status"] not in ("CREATING", "UPDATING"):
            return described
        time.sleep(0.05)
    return described


def _spec(marker: str) -> dict[str, Any]:
    return {
        "agentRuntimeArtifact": {"containerConfiguration": {"containerUri": IMAGE}},
        "roleArn": "arn:aws:iam::123456789012:role/runtime",
        "networkConfiguration": {"networkMode": "PUBLIC"},
        "protocolConfiguration": {"serverProtocol": "MCP"},
        "environmentVariables": {"EMULATOR_TEST_MARKER": marker},
    }


def _marker(client: Any, arn: str) -> str:
    _, called = invoke(client, arn, legacy("tools/call", {"name": "whoami", "arguments": {}}))
    marker: str = called["result"]["structuredContent"]["marker"]
    return marker


def test_deploy_update_update_keeps_the_arn_and_the_url_and_counts_versions() -> None:
    emulator = Emulator()
    emulator.map_image(IMAGE, APP_SPEC, isolation="process")
    with emulator.serve() as endpoint:
        control = boto3.client("bedrock-agentcore-control", endpoint_url=endpoint, **CREDENTIALS)
        spec = _spec("v1")
        created = control.create_agent_runtime(agentRuntimeName="redeployed", **spec)
        runtime_id, arn = created["agentRuntimeId"], created["agentRuntimeArn"]
        assert re.fullmatch(r"redeployed-[a-zA-Z0-9]{10}", runtime_id)
        assert arn == f"arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/{runtime_id}"
        assert _pattern("AgentRuntimeArn").fullmatch(arn)
        assert _pattern("AgentRuntimeId").fullmatch(runtime_id)
        assert created["agentRuntimeVersion"] == "1"
        assert created["status"] == "CREATING"
        assert _settled(control, runtime_id)["status"] == "READY"
        url = emulator.invocations_url(arn)
        client = agentcore(endpoint)  # configured once, before any update
        assert _marker(client, arn) == "v1"

        for version in ("2", "3"):
            spec = _spec(f"v{version}")
            updated = control.update_agent_runtime(agentRuntimeId=runtime_id, **spec)
            assert (updated["agentRuntimeArn"], updated["agentRuntimeVersion"]) == (arn, version)
            assert updated["status"] == "UPDATING"
            described = _settled(control, runtime_id)
            assert (described["agentRuntimeArn"], described["agentRuntimeVersion"]) == (arn, version)
            assert described["status"] == "READY"
            default = control.get_agent_runtime_endpoint(agentRuntimeId=runtime_id, endpointName="DEFAULT")
            assert default["liveVersion"] == default["targetVersion"] == version
            assert default["agentRuntimeArn"] == arn
            assert default["agentRuntimeEndpointArn"] == f"{arn}/runtime-endpoint/DEFAULT"
            assert _pattern("AgentRuntimeEndpointArn").fullmatch(default["agentRuntimeEndpointArn"])
            assert emulator.invocations_url(arn) == url
            assert _marker(client, arn) == f"v{version}"  # a new session runs the new version

        versions = control.list_agent_runtime_versions(agentRuntimeId=runtime_id)["agentRuntimes"]
        assert [(v["agentRuntimeVersion"], v["agentRuntimeArn"]) for v in versions] == [
            ("3", arn),
            ("2", arn),
            ("1", arn),
        ]
        answer = httpx.post(
            url,
            content=b'{"jsonrpc":"2.0","id":1,"method":"tools/list"}',
            headers={"Content-Type": "application/json", "Accept": ACCEPT},
            timeout=10,
        )
        assert answer.status_code == 403  # the same URL, still a SigV4 runtime: refused unsigned


def test_an_endpoint_pinned_to_a_version_stays_while_default_moves() -> None:
    emulator = Emulator()
    with emulator.serve() as endpoint:
        control = boto3.client("bedrock-agentcore-control", endpoint_url=endpoint, **CREDENTIALS)
        spec = _spec("v1")
        runtime_id = control.create_agent_runtime(agentRuntimeName="pinned", **spec)["agentRuntimeId"]
        _settled(control, runtime_id)
        prod = control.create_agent_runtime_endpoint(agentRuntimeId=runtime_id, name="PROD")
        assert re.fullmatch(
            r"PROD-[a-zA-Z0-9]{10}",
            control.get_agent_runtime_endpoint(agentRuntimeId=runtime_id, endpointName="PROD")["id"],
        )
        assert prod["targetVersion"] == "1"
        control.update_agent_runtime(agentRuntimeId=runtime_id, **spec)
        _settled(control, runtime_id)
        live = {
            name: control.get_agent_runtime_endpoint(agentRuntimeId=runtime_id, endpointName=name)[
                "liveVersion"
            ]
            for name in ("DEFAULT", "PROD")
        }
        assert live == {"DEFAULT": "2", "PROD": "1"}


def test_a_failing_warmup_hook_fails_an_update_in_a_process_that_started_emulators_before() -> None:
    for _ in range(2):  # emulators started earlier in the process: the control plane is patched once
        with Emulator().serve():
            pass
    emulator = Emulator()
    emulator.map_image(IMAGE, APP_SPEC, isolation="process")
    with emulator.serve() as endpoint:
        control = boto3.client("bedrock-agentcore-control", endpoint_url=endpoint, **CREDENTIALS)
        runtime_id = control.create_agent_runtime(
            agentRuntimeName="hooked", platformVersion="V2", **_spec("v1")
        )["agentRuntimeId"]
        assert _settled(control, runtime_id)["status"] == "READY"
        hooks = {"build": {"warmup": {"action": {"httpPost": {"path": "/no-such-hook"}}}}}
        control.update_agent_runtime(
            agentRuntimeId=runtime_id, platformVersion="V2", hooksConfiguration=hooks, **_spec("v2")
        )
        described = _settled(control, runtime_id)
        assert described["status"] == "UPDATE_FAILED"
        assert "The warm-up hook POST /no-such-hook answered HTTP 404" in described["failureReason"]
