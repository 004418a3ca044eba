"""``agentcore_mcp.deploy``: specs checked before any call, create-or-update against moto, waits, destroy."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.stub import Stubber
from moto import mock_aws

from agentcore_mcp.deploy import (
    CodeArtifact,
    DeployError,
    InvalidRuntimeSpec,
    JWTAuthorizerConfig,
    RuntimeFailed,
    RuntimeNotFound,
    RuntimeSpec,
    WaitTimeout,
    WarmupHook,
    control_client,
    deploy,
    destroy,
    find_runtime,
    wait_until_ready,
)

REGION = "us-east-1"
ROLE = "arn:aws:iam::123456789012:role/AgentCoreRuntime"
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/demo-mcp:1"
DISCOVERY = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEf/.well-known/openid-configuration"


def spec(**changes: Any) -> RuntimeSpec:
    values: dict[str, Any] = {"name": "demo_mcp", "image": IMAGE, "role_arn": ROLE}
    values.update(changes)
    return RuntimeSpec(**values)


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Credentials and a region for boto3, and no endpoint overrides from the caller's shell."""
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_BEDROCK_AGENTCORE_CONTROL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)


def settle_moto_updates(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make moto's runtimes go UPDATING -> READY, as AgentCore's do.

    moto 5.2.5 models only CREATING -> READY, so an updated runtime stays UPDATING forever there. This
    patches the fake (moto's model, in this process: ``mock_aws`` and the emulator's moto server alike),
    not our code.
    """
    from moto.bedrockagentcorecontrol.models import AgentRuntime

    original = AgentRuntime.update

    def update(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        if ("UPDATING", "READY") not in self._transitions:
            self._transitions = [*self._transitions, ("UPDATING", "READY")]

    monkeypatch.setattr(AgentRuntime, "update", update)


@pytest.fixture
def moto_updates_settle(monkeypatch: pytest.MonkeyPatch) -> None:
    settle_moto_updates(monkeypatch)


@pytest.fixture
def moto_control(aws_env: None, moto_updates_settle: None) -> Iterator[Any]:
    with mock_aws():
        yield control_client(region=REGION)


# -- the spec -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": "demo-mcp"}, "no hyphens), got 'demo-mcp'; try 'demo_mcp'"),
        ({"name": "1demo"}, "a runtime name is a letter"),
        ({"name": "x" * 49}, "up to 47"),
        ({"role_arn": ""}, "an execution role is required"),
        ({"role_arn": "AgentCoreRuntime"}, "must be an IAM role ARN"),
        ({"image": ""}, "a container image (an ECR image URI) or a code zip in S3 is required"),
        ({"image": "python:3.12-slim"}, "must be in Amazon ECR"),
        ({"image": "http://127.0.0.1:8000/mcp"}, "must be in Amazon ECR"),
        ({"network_mode": "VPC"}, "needs at least one subnet and one security group"),
        ({"subnets": ("subnet-0123456789abcdef0",)}, "need the VPC network mode"),
        (
            {"network_mode": "VPC", "subnets": ("subnet-1",), "security_groups": ("sg-0123456789abcdef0",)},
            "not a subnet id: 'subnet-1'",
        ),
        (
            {"authorizer": JWTAuthorizerConfig("https://issuer.example.com", ("client",))},
            "did you mean https://issuer.example.com/.well-known/openid-configuration?",
        ),
        (
            {
                "authorizer": JWTAuthorizerConfig(
                    "http://issuer.example.com/.well-known/openid-configuration", ("c",)
                )
            },
            "must use https://",
        ),
        ({"authorizer": JWTAuthorizerConfig(DISCOVERY)}, "any token from the issuer would be accepted"),
        ({"environment": {"1BAD": "x"}}, "not an environment variable name: '1BAD'"),
        ({"environment": {"BIG": "x" * 5001}}, "the limit is 5000"),
        ({"environment": {f"V{i}": "x" for i in range(51)}}, "at most 50 environment variables"),
        ({"header_allowlist": tuple(f"X-H{i}" for i in range(21))}, "at most 20 allow-listed headers"),
        ({"header_allowlist": ("X Bad",)}, "not a header name"),
        ({"header_allowlist": ("X-A", "x-a")}, "allow-listed twice"),
        ({"header_allowlist": ("Authorization",)}, "only on a runtime with a JWT authorizer"),
        ({"idle_timeout": 30}, "the idle timeout is 60-1209600 seconds, got 30"),
        ({"idle_timeout": 3600, "max_lifetime": 600}, "cannot exceed the max lifetime"),
        (
            {"platform_version": "V1", "warmup": WarmupHook()},
            'a warm-up hook needs platform version V2, not V1: "Lifecycle hooks are available for agent '
            'runtimes that use platform version V2 on microVMs."',
        ),
        (
            {"platform_version": "V1", "architecture": "X86_64"},
            'x86_64 needs platform version V2, not V1: "The X86_64 architecture is supported only with '
            'Runtime platform version V2."',
        ),
        ({"platform_version": "V3"}, "the platform version is V1 or V2, got 'V3'"),
        ({"warmup": WarmupHook("warmup")}, "a hook path begins with /"),
        ({"warmup": WarmupHook("/" + "w" * 32)}, "up to 32 characters"),
        ({"warmup": WarmupHook("/ping")}, "cannot be one the server already serves"),
        ({"warmup": WarmupHook(port=8443)}, "not 8443 (reserved), got 8443"),
        ({"warmup": WarmupHook(port=7999)}, "a hook port is 8000-12000"),
        ({"image": None, "code": CodeArtifact("Bad_Bucket", "k.zip")}, "not an S3 bucket name"),
        ({"code": CodeArtifact("my-bucket", "k.zip")}, "a container image or a code zip, not both"),
        (
            {"image": None, "code": CodeArtifact("my-bucket", "k.zip", entry_point=("a", "b", "c"))},
            "one or two items",
        ),
    ],
)
def test_a_spec_the_service_would_refuse_fails_before_any_call_with_the_reason(
    changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidRuntimeSpec) as caught:
        spec(**changes).validate()
    assert message in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_a_local_control_plane_also_accepts_loopback_images_and_issuers() -> None:
    local = spec(
        image="http://127.0.0.1:8000/mcp",
        authorizer=JWTAuthorizerConfig("http://127.0.0.1:9000/oidc/.well-known/openid-configuration", ("c",)),
    )
    local.validate(local=True)
    with pytest.raises(InvalidRuntimeSpec):
        local.validate(local=False)


def test_the_request_describes_an_mcp_runtime_with_every_setting() -> None:
    full = spec(
        network_mode="VPC",
        subnets=("subnet-0123456789abcdef0",),
        security_groups=("sg-0123456789abcdef0",),
        authorizer=JWTAuthorizerConfig(DISCOVERY, ("client-1",), ("aud-1",), ("orders/read",)),
        environment={"LOG_LEVEL": "debug"},
        header_allowlist=("Authorization", "X-Amzn-Bedrock-AgentCore-Runtime-Custom-Tenant"),
        idle_timeout=600,
        max_lifetime=3600,
        description="demo",
        tags={"team": "tools"},
    )
    full.validate()
    assert full.create_request() == {
        "agentRuntimeName": "demo_mcp",
        "agentRuntimeArtifact": {"containerConfiguration": {"containerUri": IMAGE}},
        "roleArn": ROLE,
        "networkConfiguration": {
            "networkMode": "VPC",
            "networkModeConfig": {
                "subnets": ["subnet-0123456789abcdef0"],
                "securityGroups": ["sg-0123456789abcdef0"],
            },
        },
        "protocolConfiguration": {"serverProtocol": "MCP"},
        "description": "demo",
        "authorizerConfiguration": {
            "customJWTAuthorizer": {
                "discoveryUrl": DISCOVERY,
                "allowedClients": ["client-1"],
                "allowedAudience": ["aud-1"],
                "allowedScopes": ["orders/read"],
            }
        },
        "environmentVariables": {"LOG_LEVEL": "debug"},
        "requestHeaderConfiguration": {
            "requestHeaderAllowlist": ["Authorization", "X-Amzn-Bedrock-AgentCore-Runtime-Custom-Tenant"]
        },
        "lifecycleConfiguration": {"idleRuntimeSessionTimeout": 600, "maxLifetime": 3600},
        "tags": {"team": "tools"},
    }
    assert "agentRuntimeName" not in full.update_request()
    assert "tags" not in full.update_request()


def test_a_code_zip_on_runtime_v2_with_a_warmup_hook_and_x86_64() -> None:
    code = CodeArtifact("my-code-bucket", "agentcore-mcp/demo/abc.zip", version_id="v123")
    v2 = spec(image=None, code=code, warmup=WarmupHook("/warmup", 8000), architecture="X86_64")
    v2.validate()
    request = v2.create_request()
    assert request["agentRuntimeArtifact"] == {
        "codeConfiguration": {
            "code": {
                "s3": {
                    "bucket": "my-code-bucket",
                    "prefix": "agentcore-mcp/demo/abc.zip",
                    "versionId": "v123",
                }
            },
            "runtime": "PYTHON_3_13",
            "entryPoint": ["main.py"],
        }
    }
    assert request["platformVersion"] == "V2"  # what the hook and x86_64 need, sent though not given
    assert request["hooksConfiguration"] == {
        "build": {"warmup": {"action": {"httpPost": {"path": "/warmup", "port": 8000}}}}
    }
    assert request["cpuConfigurations"] == [{"architecture": "X86_64"}]
    assert "cpuConfigurations" not in v2.update_request()  # immutable after creation
    plain = spec()
    assert "platformVersion" not in plain.create_request()  # the service's default
    assert "hooksConfiguration" not in plain.create_request()
    # botocore's own model accepts every shape sent.
    import botocore.session
    from botocore.validate import ParamValidator

    model = botocore.session.get_session().get_service_model("bedrock-agentcore-control")
    report = ParamValidator().validate(request, model.operation_model("CreateAgentRuntime").input_shape)
    assert not report.has_errors(), report.generate_report()


# -- against moto --------------------------------------------------------------------------------------


def test_deploy_creates_an_mcp_runtime_and_waits_until_ready(moto_control: Any) -> None:
    seen: list[str] = []
    actions: list[str] = []
    deployment = deploy(
        moto_control,
        spec(authorizer=JWTAuthorizerConfig(DISCOVERY, ("client-1",))),
        on_status=lambda status, elapsed: seen.append(status),
        on_action=lambda action, existing: actions.append(action),
    )
    assert (deployment.action, deployment.status, deployment.name) == ("created", "READY", "demo_mcp")
    assert actions == ["create"]
    assert seen[-1] == "READY"
    described = moto_control.get_agent_runtime(agentRuntimeId=deployment.runtime_id)
    assert described["protocolConfiguration"] == {"serverProtocol": "MCP"}
    assert described["authorizerConfiguration"]["customJWTAuthorizer"] == {
        "discoveryUrl": DISCOVERY,
        "allowedClients": ["client-1"],
    }
    assert deployment.invocations_url().startswith(
        "https://bedrock-agentcore.us-east-1.amazonaws.com/runtimes/"
    )
    assert deployment.to_dict()["agentRuntimeArn"] == deployment.arn


def test_a_second_deploy_updates_the_runtime_instead_of_duplicating_it(moto_control: Any) -> None:
    first = deploy(moto_control, spec())
    actions: list[str] = []
    second = deploy(
        moto_control,
        spec(image=IMAGE.replace(":1", ":2"), environment={"MODE": "v2"}),
        on_action=lambda action, existing: actions.append(action),
    )
    assert actions == ["update"]
    assert (second.action, second.status, second.runtime_id) == ("updated", "READY", first.runtime_id)
    assert second.version == "2"
    runtimes = moto_control.list_agent_runtimes()["agentRuntimes"]
    assert [r["agentRuntimeId"] for r in runtimes] == [first.runtime_id]
    described = moto_control.get_agent_runtime(agentRuntimeId=first.runtime_id)
    assert described["agentRuntimeArtifact"]["containerConfiguration"]["containerUri"].endswith(":2")
    assert described["environmentVariables"] == {"MODE": "v2"}


def test_destroy_finds_a_runtime_by_name_id_or_versioned_arn(moto_control: Any) -> None:
    for how in ("name", "id", "arn"):
        deployment = deploy(moto_control, spec(name=f"by_{how}"))
        identifier = {"name": deployment.name, "id": deployment.runtime_id, "arn": deployment.arn}[how]
        summary = destroy(moto_control, identifier, poll_interval=0.05)
        assert summary["agentRuntimeId"] == deployment.runtime_id
        assert find_runtime(moto_control, deployment.name) is None
    with pytest.raises(RuntimeNotFound, match="no runtime named or identified 'by_name'"):
        destroy(moto_control, "by_name")


def test_deploy_refuses_a_bad_spec_without_calling_the_control_plane(aws_env: None) -> None:
    client = control_client(region=REGION, endpoint_url="http://127.0.0.1:1")  # nothing listens there
    with pytest.raises(InvalidRuntimeSpec, match="no hyphens"):
        deploy(client, spec(name="bad-name"))


# -- waiting, against scripted control-plane answers (botocore's Stubber) ---------------------------


def _described(status: str, **extra: Any) -> dict[str, Any]:
    now = time.time()
    return {
        "agentRuntimeArn": "arn:aws:bedrock-agentcore:us-east-1:123456789012:runtime/demo_mcp-AbCdE12345",
        "agentRuntimeName": "demo_mcp",
        "agentRuntimeId": "demo_mcp-AbCdE12345",
        "agentRuntimeVersion": "1",
        "createdAt": now,
        "lastUpdatedAt": now,
        "roleArn": ROLE,
        "networkConfiguration": {"networkMode": "PUBLIC"},
        "status": status,
        "lifecycleConfiguration": {"idleRuntimeSessionTimeout": 900, "maxLifetime": 28800},
        **extra,
    }


@pytest.fixture
def stubbed(aws_env: None) -> Iterator[tuple[Any, Stubber]]:
    client = control_client(region=REGION)
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def test_the_wait_polls_through_creating_and_reports_each_status(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    for status in ("CREATING", "CREATING", "READY"):
        stubber.add_response(
            "get_agent_runtime", _described(status), {"agentRuntimeId": "demo_mcp-AbCdE12345"}
        )
    seen: list[str] = []
    described = wait_until_ready(
        client, "demo_mcp-AbCdE12345", poll_interval=0.01, on_status=lambda s, _: seen.append(s)
    )
    assert described["status"] == "READY"
    assert seen == ["CREATING", "CREATING", "READY"]


def test_a_failed_runtime_reports_the_services_reason(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    reason = "The image is not arm64: exec format error"
    stubber.add_response("get_agent_runtime", _described("UPDATE_FAILED", failureReason=reason))
    with pytest.raises(RuntimeFailed) as caught:
        wait_until_ready(client, "demo_mcp-AbCdE12345", poll_interval=0.01)
    assert (caught.value.status, caught.value.reason) == ("UPDATE_FAILED", reason)
    assert str(caught.value) == f"runtime demo_mcp-AbCdE12345 is UPDATE_FAILED: {reason}"


def test_the_wait_is_bounded(aws_env: None) -> None:
    client = control_client(region=REGION)
    stubber = Stubber(client)  # more answers than the wait can use: it must stop on time, not run out
    for _ in range(200):
        stubber.add_response("get_agent_runtime", _described("CREATING"))
    started = time.monotonic()
    with stubber, pytest.raises(WaitTimeout, match="is still CREATING after 0 s; it may still become READY"):
        wait_until_ready(client, "demo_mcp-AbCdE12345", timeout=0.2, poll_interval=0.05)
    assert time.monotonic() - started < 5


def test_an_update_waits_for_a_runtime_that_is_still_settling(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    summary = {
        key: _described("UPDATING")[key]
        for key in ("agentRuntimeArn", "agentRuntimeId", "agentRuntimeVersion", "agentRuntimeName")
    }
    summary.update(description="demo", lastUpdatedAt=time.time(), status="UPDATING")
    stubber.add_response("list_agent_runtimes", {"agentRuntimes": [summary]})
    stubber.add_response("get_agent_runtime", _described("READY"))
    stubber.add_response(
        "update_agent_runtime",
        {
            "agentRuntimeArn": summary["agentRuntimeArn"],
            "agentRuntimeId": summary["agentRuntimeId"],
            "agentRuntimeVersion": "2",
            "createdAt": time.time(),
            "lastUpdatedAt": time.time(),
            "status": "UPDATING",
        },
    )
    stubber.add_response("get_agent_runtime", _described("READY", agentRuntimeVersion="2"))
    deployment = deploy(client, spec(), poll_interval=0.01)
    assert (deployment.action, deployment.version) == ("updated", "2")


def test_service_errors_become_one_line_deploy_errors(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    stubber.add_client_error(
        "list_agent_runtimes", "AccessDeniedException", "User is not authorized", http_status_code=403
    )
    with pytest.raises(DeployError) as caught:
        deploy(client, spec())
    message = str(caught.value)
    assert message.startswith("list_agent_runtimes failed: AccessDeniedException: User is not authorized")
    assert "IAM permissions" in message
    assert "\n" not in message


def test_a_missing_region_or_profile_is_a_usage_error(
    aws_env: None, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    with pytest.raises(InvalidRuntimeSpec, match="no AWS region configured"):
        control_client()
    with pytest.raises(InvalidRuntimeSpec, match="could not be found"):
        control_client(region=REGION, profile="no-such-profile")
