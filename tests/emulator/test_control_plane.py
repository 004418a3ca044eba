"""moto's control plane on the emulator's URL: runtimes created with boto3 are invocable at once."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import boto3
import httpx
import pytest

from agentcore_mcp.emulator import Emulator
from tests.emulator.conftest import ACCEPT, APP_SPEC, REGION, agentcore, initialize_body, invoke, legacy

ROLE = "arn:aws:iam::123456789012:role/AgentCoreRuntime"
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/demo-mcp:latest"


@pytest.fixture
def served() -> Iterator[tuple[Emulator, str]]:
    emulator = Emulator(credentials={"testing": "testing"})
    with emulator.serve() as url:
        yield emulator, url


def _control(url: str | None = None) -> Any:
    return boto3.client(
        "bedrock-agentcore-control",
        endpoint_url=url,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def _create(control: Any, name: str, image: str, **extra: Any) -> str:
    created = control.create_agent_runtime(
        agentRuntimeName=name,
        agentRuntimeArtifact={"containerConfiguration": {"containerUri": image}},
        roleArn=ROLE,
        networkConfiguration={"networkMode": "PUBLIC"},
        protocolConfiguration={"serverProtocol": extra.pop("protocol", "MCP")},
        **extra,
    )
    assert created["status"] == "CREATING"
    assert control.get_agent_runtime(agentRuntimeId=created["agentRuntimeId"])["status"] == "READY"
    arn: str = created["agentRuntimeArn"]
    return arn


def test_a_runtime_created_on_the_control_plane_is_invocable_with_sigv4(
    served: tuple[Emulator, str], tests_app_url: str
) -> None:
    _, url = served
    arn = _create(_control(url), "demo_mcp", tests_app_url)
    client = agentcore(url)
    answer, init = invoke(client, arn, initialize_body())
    assert init["result"]["serverInfo"]["name"] == "emulator-tests"
    session = answer["runtimeSessionId"]
    assert client.stop_runtime_session(agentRuntimeArn=arn, runtimeSessionId=session)["statusCode"] == 200
    with pytest.raises(client.exceptions.ClientError) as caught:
        invoke(agentcore(url, secret="wrong"), arn, legacy("tools/list"))
    assert caught.value.response["Error"]["Code"] == "InvalidSignatureException"


def test_the_standard_endpoint_variables_point_boto3_at_the_emulator(
    served: tuple[Emulator, str], tests_app_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, url = served
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_AGENTCORE", url)
    monkeypatch.setenv("AWS_ENDPOINT_URL_BEDROCK_AGENTCORE_CONTROL", url)
    arn = _create(_control(), "from_env", tests_app_url)
    client = boto3.client(
        "bedrock-agentcore", region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing"
    )
    assert client.meta.endpoint_url == url
    _, listed = invoke(client, arn, legacy("tools/list"))
    assert "add_numbers" in {t["name"] for t in listed["result"]["tools"]}
    summaries = _control().list_agent_runtimes()["agentRuntimes"]
    assert [s["agentRuntimeName"] for s in summaries] == ["from_env"]


def test_a_jwt_authorizer_on_the_control_plane_uses_the_local_issuer(
    served: tuple[Emulator, str], tests_app_url: str
) -> None:
    emulator, url = served
    arn = _create(
        _control(url),
        "oauth_mcp",
        tests_app_url,
        authorizerConfiguration={
            "customJWTAuthorizer": {"discoveryUrl": emulator.issuer.discovery_url, "allowedClients": ["cli"]}
        },
    )
    invocations = emulator.invocations_url(arn)
    body = b'{"jsonrpc":"2.0","id":1,"method":"tools/list"}'
    headers = {"Content-Type": "application/json", "Accept": ACCEPT}
    token = emulator.mint_token(client_id="cli")
    ok = httpx.post(
        invocations, content=body, headers={**headers, "Authorization": f"Bearer {token}"}, timeout=10
    )
    assert ok.status_code == 200
    assert ok.headers["mcp-session-id"]
    assert httpx.post(invocations, content=body, headers=headers, timeout=10).status_code == 401
    other = emulator.mint_token(client_id="someone-else")
    wrong = httpx.post(
        invocations, content=body, headers={**headers, "Authorization": f"Bearer {other}"}, timeout=10
    )
    assert wrong.status_code == 401


def test_a_container_image_maps_to_a_local_app_run_per_session(served: tuple[Emulator, str]) -> None:
    emulator, url = served
    emulator.map_image(IMAGE, APP_SPEC, isolation="process")
    arn = _create(
        _control(url),
        "ecr_image",
        IMAGE,
        environmentVariables={"EMULATOR_TEST_MARKER": "from-the-control-plane"},
        requestHeaderConfiguration={"requestHeaderAllowlist": ["X-Team"]},
    )
    client = agentcore(url)
    _, called = invoke(client, arn, legacy("tools/call", {"name": "whoami", "arguments": {}}))
    assert called["result"]["structuredContent"]["marker"] == "from-the-control-plane"
    assert called["result"]["structuredContent"]["pid"] == emulator.sessions.sessions()[0].pid != os.getpid()


def test_an_unmapped_image_or_a_non_mcp_runtime_is_a_424_that_says_why(served: tuple[Emulator, str]) -> None:
    _, url = served
    control = _control(url)
    client = agentcore(url)
    unmapped = _create(control, "unmapped", IMAGE)
    with pytest.raises(client.exceptions.RuntimeClientError) as caught:
        invoke(client, unmapped, legacy("tools/list"))
    assert "map_image" in str(caught.value)
    http_runtime = _create(control, "http_runtime", "http://127.0.0.1:1/mcp", protocol="HTTP")
    with pytest.raises(client.exceptions.RuntimeClientError) as caught:
        invoke(client, http_runtime, legacy("tools/list"))
    assert "MCP runtimes only" in str(caught.value)


def test_endpoint_qualifiers_come_from_the_control_plane(
    served: tuple[Emulator, str], tests_app_url: str
) -> None:
    _, url = served
    control = _control(url)
    arn = _create(control, "with_endpoint", tests_app_url)
    runtime_id = control.list_agent_runtimes()["agentRuntimes"][0]["agentRuntimeId"]
    client = agentcore(url)
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        invoke(client, arn, legacy("tools/list"), qualifier="prod")
    control.create_agent_runtime_endpoint(agentRuntimeId=runtime_id, name="prod")
    answer, _ = invoke(client, arn, legacy("tools/list"), qualifier="prod")
    assert answer["statusCode"] == 200


def test_a_deleted_runtime_is_not_found(served: tuple[Emulator, str], tests_app_url: str) -> None:
    _, url = served
    control = _control(url)
    arn = _create(control, "short_lived", tests_app_url)
    runtime_id = control.list_agent_runtimes()["agentRuntimes"][0]["agentRuntimeId"]
    control.delete_agent_runtime(agentRuntimeId=runtime_id)
    client = agentcore(url)
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        invoke(client, arn, legacy("tools/list"))
